/**
 * Purdue levels and zones (docs/report.md, "Purdue levels and zones").
 *
 * Levels belong to zones, as in ISA-95/IEC 62443 practice: an asset takes its zone's level, clamped to the range
 * its role allows (an HMI sits at 1 or 2, a historian at 3, an IT workstation at 4). A zone is the user's (zones
 * file: CIDR/VLAN, level, criticality) or inferred: the asset's VLAN when its flows were tagged, else its /24
 * (IPv4) or /64 (IPv6); public addresses form the zone "internet" (level 5). An inferred zone's level is the
 * dominant level its assets vote for (weighted by role confidence); roles whose level is ambiguous (SCADA, OPC,
 * engineering: 2 or 3) split their vote. A zone nobody votes in (only IT services, infrastructure) is a DMZ
 * (3.5) when its assets talk to both IT (≥ 4) and OT (≤ 3) zones, else the side it talks to.
 *
 * Routers get the highest OT level (≤ 3) they route for: a router serving OT networks is the industrial core
 * (CPwE places it at level 3), whatever subnet its own address is in. What a router routes: the addresses its MAC
 * carried, or, when it is the only router on the segment, the zones of segment hosts that talk across subnets.
 */
import type { ProtocolName } from '../events/types.js';
import type { AssetRole, Criticality, RoleDetail } from '../report/types.js';
import { isLinkLocalIp, isPublicIp, parseIp4, expandIp6 } from './address-class.js';
import { conduitAllows, declaredZoneOf, INTERNET_ZONE, type ZonesConfig } from './zones.js';

export interface PurdueAssetInput {
  id: string;
  ips: readonly string[];
  /** dominant VLAN of the asset's flows, null when untagged */
  vlan: number | null;
  roles: readonly RoleDetail[];
  isRouter: boolean;
  /** addresses a router carried for other hosts */
  routedIps: readonly string[];
}

export interface PurdueAssignment {
  purdueLevel: number | null;
  purdueInferred: boolean;
  zone: string | null;
  zoneInferred: boolean;
  criticality: Criticality | null;
}

export interface PurdueEdgeInput {
  src: string;
  dst: string;
  protocol: ProtocolName;
  port: number;
  /** 'ethernet' frames stay on their segment: they cross no level */
  transport: string;
}

export interface CommunicationZoning {
  srcLevel: number | null;
  dstLevel: number | null;
  srcZone: string | null;
  dstZone: string | null;
  crossesItOt: boolean;
  skipsLevels: boolean;
  internet: boolean;
  conduitAllowed: boolean | null;
}

interface RoleLevel {
  /** level → share of the asset's vote; empty: the role does not vote */
  votes: ReadonlyArray<readonly [number, number]>;
  min: number;
  max: number;
}

const ANY: RoleLevel = { votes: [], min: 0, max: 5 };
const IT_SERVICE: RoleLevel = { votes: [], min: 3, max: 4 };
const SUPERVISORY: RoleLevel = { votes: [[2, 0.5], [3, 0.5]], min: 2, max: 3 };

/** Level rules per role (docs/report.md). */
export const ROLE_LEVELS: Readonly<Record<AssetRole, RoleLevel>> = {
  plc: { votes: [[1, 1]], min: 1, max: 1 },
  rtu: { votes: [[1, 1]], min: 1, max: 1 },
  ied: { votes: [[1, 1]], min: 0, max: 1 },
  hmi: { votes: [[2, 1]], min: 1, max: 2 },
  'engineering-workstation': SUPERVISORY,
  'scada-server': SUPERVISORY,
  'opc-server': SUPERVISORY,
  historian: { votes: [[3, 1]], min: 3, max: 3 },
  'domain-controller': IT_SERVICE,
  'dns-server': IT_SERVICE,
  'dhcp-server': IT_SERVICE,
  'ntp-server': IT_SERVICE,
  'file-server': IT_SERVICE,
  'web-server': IT_SERVICE,
  'database-server': IT_SERVICE,
  'mail-server': IT_SERVICE,
  'remote-access': { votes: [], min: 3, max: 4 },
  'it-server': IT_SERVICE,
  'it-workstation': { votes: [[4, 1]], min: 4, max: 4 },
  'network-device': ANY,
  printer: ANY,
  camera: ANY,
  unknown: ANY,
};

const CRITICALITY: Partial<Record<AssetRole, Criticality>> = {
  plc: 'high', rtu: 'high', ied: 'high', 'scada-server': 'high', 'engineering-workstation': 'high',
  hmi: 'medium', historian: 'medium', 'opc-server': 'medium', 'domain-controller': 'medium', 'network-device': 'medium',
};

/** Purdue levels in order; 3.5 is the IT/OT DMZ. */
const LEVEL_ORDER: readonly number[] = [0, 1, 2, 3, 3.5, 4, 5];

function primaryRole(roles: readonly RoleDetail[]): AssetRole | null {
  return roles.find((r) => r.role !== 'unknown')?.role ?? null;
}

function clamp(level: number, rule: RoleLevel): number {
  return Math.min(rule.max, Math.max(rule.min, level));
}

/** The inferred zone name of an address: "a.b.c.0/24", "2001:db8:0:1::/64", or null (link-local, invalid). */
export function subnetZoneName(ip: string): string | null {
  if (isLinkLocalIp(ip)) return null;
  const v4 = parseIp4(ip);
  if (v4 >= 0) return `${v4 >>> 24}.${(v4 >>> 16) & 0xff}.${(v4 >>> 8) & 0xff}.0/24`;
  const v6 = expandIp6(ip);
  if (v6 === null) return null;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 4) groups.push(parseInt(v6.slice(i, i + 4), 16).toString(16));
  return `${groups.join(':')}::/64`;
}

function preferredIp(ips: readonly string[]): string | null {
  return ips.find((ip) => parseIp4(ip) >= 0 && !isLinkLocalIp(ip)) ?? ips.find((ip) => !isLinkLocalIp(ip)) ?? null;
}

export class ZoneModel {
  private readonly subnetVlan = new Map<string, number>();

  constructor(
    assets: readonly PurdueAssetInput[],
    private readonly config: ZonesConfig | null,
  ) {
    // A subnet seen tagged with one VLAN is that VLAN, also for its hosts whose own frames were never tagged.
    const votes = new Map<string, Map<number, number>>();
    for (const a of assets) {
      if (a.vlan === null) continue;
      for (const ip of a.ips) {
        const subnet = subnetZoneName(ip);
        if (subnet === null) continue;
        let v = votes.get(subnet);
        if (!v) votes.set(subnet, (v = new Map()));
        v.set(a.vlan, (v.get(a.vlan) ?? 0) + 1);
      }
    }
    for (const [subnet, v] of votes) this.subnetVlan.set(subnet, [...v].sort((x, y) => y[1] - x[1] || x[0] - y[0])[0]![0]);
  }

  /** Zone of a set of addresses: declared (zones file), else inferred. */
  zoneOf(ips: readonly string[], vlan: number | null): { name: string; declared: boolean; level: number | null; criticality: Criticality | null } | null {
    if (this.config) {
      const z = declaredZoneOf(this.config, ips, vlan);
      if (z) return { name: z.name, declared: true, level: z.purdueLevel, criticality: z.criticality };
    }
    if (ips.length > 0 && ips.every(isPublicIp)) return { name: INTERNET_ZONE, declared: false, level: 5, criticality: null };
    if (vlan !== null) return { name: `vlan-${vlan}`, declared: false, level: null, criticality: null };
    const ip = preferredIp(ips.filter((x) => !isPublicIp(x)));
    if (ip === null) return null;
    const subnet = subnetZoneName(ip)!;
    const tagged = this.subnetVlan.get(subnet);
    return { name: tagged !== undefined ? `vlan-${tagged}` : subnet, declared: false, level: null, criticality: null };
  }

  /** Every asset's level, zone and criticality. */
  assign(assets: readonly PurdueAssetInput[], edges: readonly PurdueEdgeInput[]): Map<string, PurdueAssignment> {
    const zoneOfAsset = new Map<string, NonNullable<ReturnType<ZoneModel['zoneOf']>>>();
    for (const a of assets) {
      const z = this.zoneOf(a.ips, a.vlan);
      if (z) zoneOfAsset.set(a.id, z);
    }
    // Votes per inferred zone (declared zones with a level do not need them).
    const zoneVotes = new Map<string, Map<number, number>>();
    for (const a of assets) {
      const z = zoneOfAsset.get(a.id);
      if (!z || z.level !== null || a.isRouter) continue;
      const role = primaryRole(a.roles);
      if (role === null) continue;
      const rule = ROLE_LEVELS[role];
      const weight = a.roles.find((r) => r.role === role)!.confidence;
      let v = zoneVotes.get(z.name);
      if (!v) zoneVotes.set(z.name, (v = new Map()));
      for (const [level, share] of rule.votes) v.set(level, (v.get(level) ?? 0) + share * weight);
    }
    const zoneLevel = new Map<string, number | null>();
    for (const z of zoneOfAsset.values()) {
      if (zoneLevel.has(z.name)) continue;
      if (z.level !== null) {
        zoneLevel.set(z.name, z.level);
        continue;
      }
      const v = zoneVotes.get(z.name);
      const ranked = v ? [...v].filter(([, w]) => w > 0).sort((x, y) => y[1] - x[1] || x[0] - y[0]) : [];
      zoneLevel.set(z.name, ranked.length > 0 ? ranked[0]![0] : null);
    }
    // Zones without votes: by the levels of the zones they talk to.
    const peerLevels = new Map<string, Set<number>>();
    for (const e of edges) {
      const s = zoneOfAsset.get(e.src)?.name;
      const d = zoneOfAsset.get(e.dst)?.name;
      if (s === undefined || d === undefined || s === d) continue;
      for (const [zone, peer] of [[s, d], [d, s]] as const) {
        if (zoneLevel.get(zone) !== null) continue;
        const level = zoneLevel.get(peer);
        if (level === null || level === undefined) continue;
        let set = peerLevels.get(zone);
        if (!set) peerLevels.set(zone, (set = new Set()));
        set.add(level);
      }
    }
    for (const [zone, levels] of peerLevels) {
      const it = [...levels].some((l) => l >= 4);
      const ot = [...levels].some((l) => l <= 3);
      zoneLevel.set(zone, it && ot ? 3.5 : ot ? 3 : 4);
    }

    // Flows between two segment hosts (MAC-keyed) of different zones were routed; with a single router on the
    // segment, it routed them (flow summaries keep each side's own MAC, not the router's it was sent to).
    const routers = assets.filter((a) => a.isRouter).length;
    const crossSubnetOtLevels: number[] = [];
    if (routers === 1) {
      for (const e of edges) {
        if (!e.src.startsWith('mac:') || !e.dst.startsWith('mac:')) continue;
        const s = zoneOfAsset.get(e.src);
        const d = zoneOfAsset.get(e.dst);
        if (!s || !d || s.name === d.name) continue;
        for (const z of [s, d]) {
          const l = z.level ?? zoneLevel.get(z.name) ?? null;
          if (l !== null && l <= 3) crossSubnetOtLevels.push(l);
        }
      }
    }
    const ownerOf = new Map<string, string>();
    for (const a of assets) for (const ip of a.ips) ownerOf.set(ip, a.id);
    const out = new Map<string, PurdueAssignment>();
    for (const a of assets) {
      const z = zoneOfAsset.get(a.id) ?? null;
      const role = primaryRole(a.roles);
      const rule = role === null ? ANY : ROLE_LEVELS[role];
      let level: number | null = z === null ? null : (zoneLevel.get(z.name) ?? null);
      const declaredLevel = z !== null && z.declared && z.level !== null;
      if (!declaredLevel) {
        if (z !== null && z.name === INTERNET_ZONE) level = 5;
        else if (a.isRouter) {
          const routed = a.routedIps
            .map((ip) => {
              const owner = ownerOf.get(ip);
              const rz = owner !== undefined ? zoneOfAsset.get(owner) : this.zoneOf([ip], null);
              return rz ? (rz.level ?? zoneLevel.get(rz.name) ?? null) : null;
            })
            .filter((l): l is number => l !== null && l <= 3);
          if (routed.length === 0 && routers === 1) routed.push(...crossSubnetOtLevels);
          if (routed.length > 0) level = Math.max(...routed);
        } else if (level !== null) level = clamp(level, rule);
        else if (rule.votes.length > 0) level = [...rule.votes].sort((x, y) => y[1] - x[1] || x[0] - y[0])[0]![0];
      }
      out.set(a.id, {
        purdueLevel: level,
        purdueInferred: !declaredLevel,
        zone: z?.name ?? null,
        zoneInferred: z === null ? true : !z.declared,
        criticality: z?.criticality ?? (role === null ? null : (CRITICALITY[role] ?? 'low')),
      });
    }
    return out;
  }

  /** Level/zone of both ends of a communication and what the crossing means. */
  zoneCommunication(e: PurdueEdgeInput, assigned: ReadonlyMap<string, PurdueAssignment>): CommunicationZoning {
    const s = assigned.get(e.src);
    const d = assigned.get(e.dst);
    const srcLevel = s?.purdueLevel ?? null;
    const dstLevel = d?.purdueLevel ?? null;
    const known = srcLevel !== null && dstLevel !== null && e.transport !== 'ethernet';
    const crossesItOt = known && ((srcLevel >= 4 && dstLevel <= 3) || (dstLevel >= 4 && srcLevel <= 3));
    const skipsLevels = known && Math.abs(LEVEL_ORDER.indexOf(srcLevel) - LEVEL_ORDER.indexOf(dstLevel)) > 1;
    const srcZone = s?.zone ?? null;
    const dstZone = d?.zone ?? null;
    let conduitAllowed: boolean | null = null;
    if (this.config && srcZone !== null && dstZone !== null) conduitAllowed = conduitAllows(this.config, srcZone, dstZone, e.protocol, e.port);
    return {
      srcLevel,
      dstLevel,
      srcZone,
      dstZone,
      crossesItOt,
      skipsLevels,
      internet: srcZone === INTERNET_ZONE || dstZone === INTERNET_ZONE,
      conduitAllowed,
    };
  }
}
