/**
 * The model as detection sees it after the pass: assets by address, who polls whom, which hosts are OT, zones.
 * Built once in Detector.finish(); nothing here runs per event.
 */
import type { ProtocolName } from '../events/types.js';
import type { AlertParty, AlertSeverity, AssetReport, AssetRole, CommunicationReport } from '../report/types.js';
import { ALERT_SEVERITIES } from '../report/types.js';
import { ip4FromString, isPublicIp } from '../util/addr.js';
import type { DetectionModel, ZoneDef } from './types.js';

/** Process-control protocols: serving one makes a host an OT device, using one makes it an OT client. */
export const INDUSTRIAL_PROTOCOLS: ReadonlySet<ProtocolName> = new Set<ProtocolName>([
  'modbus', 'umas', 's7comm', 's7comm-plus', 'enip', 'cip', 'cip-io', 'dnp3', 'iec104', 'bacnet', 'opcua',
  'profinet-dcp', 'profinet-rt', 'profinet-cm', 'fins', 'slmp', 'melsoft', 'hart-ip', 'mms', 'goose', 'sv', 'ads',
  'knxip', 'c37118', 'ethercat',
]);

export const OT_ROLES: ReadonlySet<AssetRole> = new Set<AssetRole>([
  'plc', 'rtu', 'ied', 'hmi', 'engineering-workstation', 'historian', 'scada-server', 'opc-server',
]);
export const CONTROLLER_ROLES: ReadonlySet<AssetRole> = new Set<AssetRole>(['plc', 'rtu', 'ied']);

/** Well-known ports of industrial services, for scan classification. */
export const ICS_PORTS: ReadonlySet<number> = new Set([
  102, 502, 2222, 2404, 4840, 20000, 44818, 47808, 34962, 34963, 34964, 1911, 4911, 9600, 5007, 5094, 48898, 18245,
  18246, 1962, 20547, 789, 2455, 5006, 1089, 1090, 1091, 4000, 5450, 12316, 38000, 62900,
]);

export function severityRank(s: AlertSeverity): number {
  return ALERT_SEVERITIES.indexOf(s);
}
export function maxSeverity(a: AlertSeverity, b: AlertSeverity): AlertSeverity {
  return severityRank(a) >= severityRank(b) ? a : b;
}
export function raiseSeverity(s: AlertSeverity, steps = 1): AlertSeverity {
  return ALERT_SEVERITIES[Math.min(ALERT_SEVERITIES.length - 1, severityRank(s) + steps)]!;
}

interface Cidr4 {
  net: number;
  mask: number;
  zone: ZoneDef;
}

export interface ZoneInfo {
  name: string;
  purdueLevel: number | null;
}

export class ModelView {
  readonly assets: AssetReport[];
  readonly communications: CommunicationReport[];
  private readonly byIp = new Map<string, AssetReport>();
  private readonly byMac = new Map<string, AssetReport>();
  private readonly byId = new Map<string, AssetReport>();
  /** src asset id → dst asset id → read/poll operations over industrial protocols */
  private readonly polls = new Map<string, Map<string, number>>();
  private readonly internetTalkers = new Set<string>();
  private readonly zones: Cidr4[] = [];

  readonly engineeringHosts: ReadonlySet<string>;

  constructor(model: DetectionModel, zones: ZoneDef[] = [], engineeringHosts: string[] = []) {
    this.engineeringHosts = new Set(engineeringHosts);
    this.assets = model.assets;
    this.communications = model.communications;
    for (const a of model.assets) {
      this.byId.set(a.id, a);
      if (a.mac !== null) this.byMac.set(a.mac, a);
      for (const ip of a.ips) this.byIp.set(ip, a);
    }
    for (const c of model.communications) {
      if (INDUSTRIAL_PROTOCOLS.has(c.protocol)) {
        // Routine cyclic exchanges: reads, subscriptions and vendor-specific services we cannot name (e.g. CIP
        // class-addressed services outside the standard set) — a host doing them all day is the controller's master.
        const reads = (c.operations.read ?? 0) + (c.operations.subscription ?? 0) + (c.operations.other ?? 0);
        if (reads > 0) {
          let m = this.polls.get(c.src);
          if (!m) this.polls.set(c.src, (m = new Map()));
          m.set(c.dst, (m.get(c.dst) ?? 0) + reads);
        }
      }
      const s = this.byId.get(c.src);
      const d = this.byId.get(c.dst);
      if (s && d) {
        if (this.isPublicAsset(d)) this.internetTalkers.add(s.id);
        if (this.isPublicAsset(s)) this.internetTalkers.add(d.id);
      }
    }
    for (const z of zones) {
      for (const cidr of z.cidrs) {
        const [base, bits] = cidr.split('/');
        if (base === undefined || base.includes(':')) continue;
        const n = bits === undefined ? 32 : Number(bits);
        const mask = n === 0 ? 0 : (0xffffffff << (32 - n)) >>> 0;
        this.zones.push({ net: (ip4FromString(base) & mask) >>> 0, mask, zone: z });
      }
    }
    // Longest prefix first.
    this.zones.sort((a, b) => b.mask - a.mask);
  }

  assetByIp(ip: string | null): AssetReport | undefined {
    return ip ? this.byIp.get(ip) : undefined;
  }
  assetByMac(mac: string | null): AssetReport | undefined {
    return mac ? this.byMac.get(mac) : undefined;
  }
  assetById(id: string): AssetReport | undefined {
    return this.byId.get(id);
  }
  /** IP first: routed frames carry the router's MAC, not the host's. */
  asset(ip: string | null, mac: string | null): AssetReport | undefined {
    return this.assetByIp(ip) ?? this.assetByMac(mac);
  }

  party(ip: string | null, mac: string | null, noIpFallback = false): AlertParty | null {
    if (!ip && !mac) return null;
    const a = this.asset(ip, mac);
    return {
      asset: a?.id ?? null,
      ip: ip || (noIpFallback ? null : (a?.ips[0] ?? null)),
      mac: a?.mac ?? mac ?? null,
      name: a?.hostnames[0] ?? null,
    };
  }

  hasRole(a: AssetReport | undefined, roles: ReadonlySet<AssetRole> | AssetRole[]): boolean {
    if (!a) return false;
    const set = roles instanceof Set ? roles : new Set(roles as AssetRole[]);
    return a.roles.some((r) => set.has(r));
  }

  /** Only public addresses and no MAC of its own: a host on the Internet. */
  isPublicAsset(a: AssetReport | undefined): boolean {
    return !!a && a.ips.length > 0 && a.ips.every(isPublicIp);
  }

  /** A process-control device: OT role, or it serves an industrial protocol. */
  isOtDevice(a: AssetReport | undefined): boolean {
    if (!a) return false;
    if (a.roles.some((r) => CONTROLLER_ROLES.has(r) || r === 'opc-server')) return true;
    return a.protocols.some((p) => p.role === 'server' && INDUSTRIAL_PROTOCOLS.has(p.name));
  }

  /** Uses an industrial protocol as a client (HMI, SCADA, EWS, historian — or an intruder). */
  isIndustrialClient(a: AssetReport | undefined): boolean {
    return !!a && a.protocols.some((p) => p.role === 'client' && INDUSTRIAL_PROTOCOLS.has(p.name));
  }

  isOtAsset(a: AssetReport | undefined): boolean {
    return this.isOtDevice(a) || this.hasRole(a, OT_ROLES);
  }

  /** Read/poll operations the source made to the target over industrial protocols (its HMI/SCADA/master). */
  pollCount(src: AssetReport | undefined, dst: AssetReport | undefined): number {
    if (!src || !dst) return 0;
    return this.polls.get(src.id)?.get(dst.id) ?? 0;
  }

  talksToInternet(a: AssetReport | undefined): boolean {
    return !!a && this.internetTalkers.has(a.id);
  }

  /** Zone of an address: the zones file first, then the asset's own zone/level from the inventory. */
  zoneOf(ip: string | null): ZoneInfo | null {
    if (ip && this.zones.length > 0 && !ip.includes(':')) {
      let n: number;
      try {
        n = ip4FromString(ip);
      } catch {
        n = -1;
      }
      if (n >= 0) for (const z of this.zones) if (((n & z.mask) >>> 0) === z.net) return { name: z.zone.name, purdueLevel: z.zone.purdueLevel };
    }
    const a = this.assetByIp(ip);
    if (a && (a.zone !== null || a.purdueLevel !== null)) return { name: a.zone ?? '', purdueLevel: a.purdueLevel };
    if (ip && isPublicIp(ip)) return { name: 'internet', purdueLevel: 5 };
    return null;
  }
}
