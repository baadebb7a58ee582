/**
 * Asset roles from what a host serves, what it asks of others, and what protocols said about it. Each role
 * comes with a confidence (0..1) and the reasons that gave it (docs/report.md, "Roles").
 *
 * Two passes: servers first (a PLC is what serves an industrial protocol), then clients, whose roles depend on
 * what their peers are (an HMI polls controllers). Controller roles (plc, rtu, ied) need industrial server
 * behaviour or an industrial identity protocol: an IT host is never classed as a controller.
 */
import type { OperationKind, ProtocolName } from '../events/types.js';
import { ASSET_ROLES, type AssetProtocol, type AssetRole, type RoleDetail } from '../report/types.js';
import { isDesktopOs, type OsFamily } from './os.js';

export interface RoleAssetInput {
  id: string;
  protocols: readonly AssetProtocol[];
  /** 'role-hint' facts */
  roleHints: ReadonlyArray<{ value: string; confidence: number; protocol: string }>;
  /** 'device-type' fact values (CIP device type names, PROFINET DCP device roles) */
  deviceTypes: readonly string[];
  isRouter: boolean;
  os: OsFamily | null;
  /** every address of the asset is a public (Internet) address */
  isPublic: boolean;
}

export interface RoleEdgeInput {
  src: string;
  dst: string;
  protocol: ProtocolName;
  port: number;
  operations: Partial<Record<OperationKind, number>>;
  flows: number;
  packets: number;
  /** epoch seconds */
  firstSeen: number;
  lastSeen: number;
}

export interface RoleOptions {
  /** a client polling more than this many controllers is a SCADA server, up to it an HMI */
  hmiMaxControllers: number;
  /** reads on one edge before it counts as cyclic polling */
  minPollReads: number;
  /** slowest read rate (reads per second over the edge's lifetime) that still counts as polling */
  minPollRate: number;
  /** below this share of writes among reads+writes a poller is read-mostly (HMIs write occasionally) */
  maxHmiWriteShare: number;
  /** a poller whose fastest controller is read less often than this (reads/s) is a slow collector (historian) */
  historianMaxRate: number;
  /**
   * A cyclic poller whose engineering operations are at most this share of its industrial requests
   * (engineering + reads + writes to controllers) is an HMI that did something unusual, not an EWS.
   */
  maxOccasionalEngineeringShare: number;
}

export const DEFAULT_ROLE_OPTIONS: Readonly<RoleOptions> = {
  hmiMaxControllers: 5,
  minPollReads: 5,
  minPollRate: 1 / 60,
  maxHmiWriteShare: 0.2,
  historianMaxRate: 0.75,
  maxOccasionalEngineeringShare: 0.05,
};

/** Serving one of these makes a host a controller of that kind (with operations: more confident). */
const CONTROLLER_SERVER: Partial<Record<ProtocolName, AssetRole>> = {
  modbus: 'plc', umas: 'plc', s7comm: 'plc', 's7comm-plus': 'plc', enip: 'plc', cip: 'plc', 'cip-io': 'plc',
  bacnet: 'plc', fins: 'plc', slmp: 'plc', melsoft: 'plc', ads: 'plc', 'hart-ip': 'ied', knxip: 'plc',
  dnp3: 'rtu', iec104: 'rtu',
  mms: 'ied', c37118: 'ied',
};

/** Industrial protocols (client side of these is OT behaviour). */
export const INDUSTRIAL_PROTOCOLS: ReadonlySet<ProtocolName> = new Set<ProtocolName>([
  'modbus', 'umas', 's7comm', 's7comm-plus', 'enip', 'cip', 'cip-io', 'dnp3', 'iec104', 'bacnet', 'opcua',
  'profinet-dcp', 'profinet-rt', 'profinet-cm', 'fins', 'slmp', 'melsoft', 'hart-ip', 'mms', 'goose', 'sv', 'ads',
  'knxip', 'c37118', 'ethercat',
]);

/** Ethernet-level industrial protocols: speaking them is field-device behaviour even without an IP server. */
const INDUSTRIAL_L2: ReadonlySet<ProtocolName> = new Set<ProtocolName>(['profinet-rt', 'goose', 'sv', 'ethercat']);
const TELECONTROL: ReadonlySet<ProtocolName> = new Set<ProtocolName>(['dnp3', 'iec104']);
const CONTROLLER_ROLES: ReadonlySet<AssetRole> = new Set<AssetRole>(['plc', 'rtu', 'ied']);
const ENGINEERING_OPS: readonly OperationKind[] = ['program-download', 'program-upload', 'program-modify', 'mode-change', 'firmware-update'];

/** Roles whose presence means the host is part of the control system. */
export const OT_ROLES: ReadonlySet<AssetRole> = new Set<AssetRole>([
  'plc', 'rtu', 'ied', 'hmi', 'engineering-workstation', 'historian', 'scada-server', 'opc-server',
]);
/** IT services: a host with one of these and no OT role is also an `it-server`. */
const IT_SERVICE_ROLES: ReadonlySet<AssetRole> = new Set<AssetRole>([
  'domain-controller', 'dns-server', 'dhcp-server', 'ntp-server', 'file-server', 'web-server', 'database-server',
  'mail-server', 'remote-access', 'it-server',
]);

/** role-hint fact values → roles (values not listed are ignored: they are findings, not roles). */
const HINT_ROLES: Readonly<Record<string, AssetRole>> = {
  plc: 'plc',
  'engineering-station': 'engineering-workstation',
  hmi: 'hmi',
  'dhcp-server': 'dhcp-server',
  'dns-server': 'dns-server',
  'domain-controller': 'domain-controller',
  'backup-domain-controller': 'domain-controller',
  'ntp-server': 'ntp-server',
  'time-source': 'ntp-server',
  'file-server': 'file-server',
  'sql-server': 'database-server',
  'print-server': 'printer',
  'mail-server': 'mail-server',
  'remote-access': 'remote-access',
  'network-device': 'network-device',
  router: 'network-device',
  'mqtt-broker': 'it-server',
  'log-collector': 'it-server',
  'anonymous-ftp-server': 'file-server',
};

/** Hints that need corroboration: a DHCP server's "router"/"dns-server" options name hosts, they do not prove. */
const HINT_CONFIDENCE_CAP: Readonly<Record<string, number>> = { router: 0.6 };

/** Served IT protocols → role. Port-only fallbacks (`tcp`/`udp` with a well-known port) in SERVED_PORTS. */
const IT_SERVER: Partial<Record<ProtocolName, readonly [AssetRole, number]>> = {
  dns: ['dns-server', 0.8],
  dhcp: ['dhcp-server', 0.8],
  ntp: ['ntp-server', 0.7],
  smb: ['file-server', 0.7],
  ftp: ['file-server', 0.6],
  http: ['web-server', 0.6],
  tls: ['web-server', 0.5],
  ldap: ['domain-controller', 0.6],
  kerberos: ['domain-controller', 0.8],
  mssql: ['database-server', 0.8],
  smtp: ['mail-server', 0.7],
  rdp: ['remote-access', 0.6],
  vnc: ['remote-access', 0.6],
  ssh: ['remote-access', 0.5],
  telnet: ['remote-access', 0.5],
};
const SERVED_PORTS: Readonly<Record<number, readonly [AssetRole, number]>> = {
  9100: ['printer', 0.7],
  515: ['printer', 0.6],
  631: ['printer', 0.6],
  554: ['camera', 0.6],
  1433: ['database-server', 0.6],
};
/** What an infrastructure appliance serves besides its one service (management). */
const APPLIANCE_PROTOCOLS: ReadonlySet<ProtocolName> = new Set<ProtocolName>(['ntp', 'ptp', 'snmp', 'syslog', 'http', 'tls', 'ssh', 'icmp']);
const WEB_CLIENT: ReadonlySet<ProtocolName> = new Set<ProtocolName>(['http', 'tls']);

class RoleSet {
  private readonly roles = new Map<AssetRole, { confidence: number; reasons: string[] }>();

  /** Adds evidence: independent reasons for one role raise its confidence (1 - Π(1 - c)). */
  add(role: AssetRole, confidence: number, reason: string): void {
    const r = this.roles.get(role);
    if (!r) {
      this.roles.set(role, { confidence, reasons: [reason] });
      return;
    }
    if (!r.reasons.includes(reason)) {
      r.reasons.push(reason);
      r.confidence = 1 - (1 - r.confidence) * (1 - confidence);
    }
  }

  has(role: AssetRole): boolean {
    return this.roles.has(role);
  }

  confidence(role: AssetRole): number {
    return this.roles.get(role)?.confidence ?? 0;
  }

  delete(role: AssetRole): void {
    this.roles.delete(role);
  }

  keys(): AssetRole[] {
    return [...this.roles.keys()];
  }

  details(): RoleDetail[] {
    const order = (r: AssetRole) => ASSET_ROLES.indexOf(r);
    return [...this.roles]
      .map(([role, r]) => ({ role, confidence: Math.round(Math.min(r.confidence, 0.99) * 100) / 100, reasons: r.reasons }))
      .sort((a, b) => b.confidence - a.confidence || order(a.role) - order(b.role));
  }
}

function ops(e: RoleEdgeInput, kinds: readonly OperationKind[]): number {
  let n = 0;
  for (const k of kinds) n += e.operations[k] ?? 0;
  return n;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Server-side and declared roles: needs nothing about peers. */
function serverRoles(a: RoleAssetInput, received: readonly RoleEdgeInput[]): RoleSet {
  const roles = new RoleSet();
  if (a.isRouter) roles.add('network-device', 0.9, 'forwards traffic for other hosts (router MAC)');
  const served = new Set<ProtocolName>();
  for (const p of a.protocols) if (p.role === 'server') served.add(p.name);

  for (const name of served) {
    const controller = CONTROLLER_SERVER[name];
    if (controller) {
      const operations = received.filter((e) => e.protocol === name).reduce((n, e) => n + ops(e, ['read', 'write', 'control', 'subscription']), 0);
      roles.add(controller, operations > 0 ? 0.9 : 0.7, operations > 0 ? `serves ${name} (${plural(operations, 'request')} answered)` : `serves ${name}`);
    }
    if (name === 'opcua') roles.add('opc-server', 0.8, 'serves opcua');
    const it = IT_SERVER[name];
    if (it) roles.add(it[0], it[1], `serves ${name}`);
  }
  for (const p of a.protocols) {
    if (p.role !== 'server' || (p.name !== 'tcp' && p.name !== 'udp')) continue;
    for (const port of p.ports) {
      const byPort = SERVED_PORTS[port];
      if (byPort) roles.add(byPort[0], byPort[1], `serves ${p.name}/${port}`);
    }
  }
  for (const t of a.deviceTypes) {
    if (/^io-device$|drive|adapter|\bi\/o\b|remote io|sensor|valve|actuator/i.test(t)) roles.add('ied', 0.7, `declared device type "${t}"`);
    if (/programmable logic controller|^io-controller$/i.test(t)) roles.add('plc', 0.8, `declared device type "${t}"`);
  }
  for (const h of a.roleHints) {
    const role = HINT_ROLES[h.value];
    if (!role) continue;
    const confidence = Math.min(h.confidence, HINT_CONFIDENCE_CAP[h.value] ?? 1);
    roles.add(role, confidence, `${h.protocol} says ${h.value}`);
  }
  if (a.roleHints.some((h) => h.value === 'snmp-agent') && served.size <= 2 && !roles.keys().some((r) => OT_ROLES.has(r))) {
    roles.add('network-device', 0.4, 'SNMP agent with no other service');
  }

  // Controller roles need industrial server behaviour (or an industrial identity protocol describing the host).
  const industrialEvidence =
    [...served].some((p) => CONTROLLER_SERVER[p] !== undefined) ||
    a.protocols.some((p) => INDUSTRIAL_L2.has(p.name)) ||
    a.deviceTypes.length > 0;
  if (!industrialEvidence) for (const r of CONTROLLER_ROLES) roles.delete(r);
  // An engineering-station / HMI TSAP hint names a client; it says nothing about a host that only serves.
  return roles;
}

interface ClientView {
  /** industrial edges this host initiated, towards controllers */
  polled: Map<string, { reads: number; rate: number }>;
  writes: number;
  reads: number;
  engineering: number;
  engineeringTargets: Set<string>;
  identifyTargets: Set<string>;
  industrialClientProtocols: Set<ProtocolName>;
  telecontrolTargets: Set<string>;
  opcClient: boolean;
  webToPublic: number;
}

function clientView(out: readonly RoleEdgeInput[], controllers: ReadonlySet<string>, publicIds: ReadonlySet<string>, options: RoleOptions): ClientView {
  const v: ClientView = {
    polled: new Map(), writes: 0, reads: 0, engineering: 0, engineeringTargets: new Set(), identifyTargets: new Set(),
    industrialClientProtocols: new Set(), telecontrolTargets: new Set(), opcClient: false, webToPublic: 0,
  };
  for (const e of out) {
    if (WEB_CLIENT.has(e.protocol) && publicIds.has(e.dst)) v.webToPublic += e.flows;
    if (!INDUSTRIAL_PROTOCOLS.has(e.protocol)) continue;
    if (e.protocol === 'opcua') {
      v.opcClient = true;
      continue;
    }
    v.industrialClientProtocols.add(e.protocol);
    const engineering = ops(e, ENGINEERING_OPS);
    if (engineering > 0) {
      v.engineering += engineering;
      v.engineeringTargets.add(e.dst);
    }
    if (TELECONTROL.has(e.protocol) && controllers.has(e.dst)) v.telecontrolTargets.add(e.dst);
    const reads = ops(e, ['read', 'subscription']);
    const writes = ops(e, ['write', 'control']);
    if (ops(e, ['identify', 'diagnostics']) > 0 && reads < options.minPollReads) v.identifyTargets.add(e.dst);
    if (!controllers.has(e.dst)) continue;
    v.reads += reads;
    v.writes += writes;
    const duration = Math.max(1, e.lastSeen - e.firstSeen);
    const rate = reads / duration;
    if (reads >= options.minPollReads && rate >= options.minPollRate) {
      const prev = v.polled.get(e.dst);
      v.polled.set(e.dst, { reads: (prev?.reads ?? 0) + reads, rate: (prev?.rate ?? 0) + rate });
    }
  }
  return v;
}

/** Client-side (behaviour) roles: engineering, HMI, SCADA, historian, IT workstation. */
function clientRoles(
  a: RoleAssetInput,
  roles: RoleSet,
  v: ClientView,
  servesToItClients: readonly string[],
  options: RoleOptions,
): void {
  if (v.engineering > 0) {
    // One STOP or download from an HMI that polls all day is what the alerts are about; it must not relabel the
    // host. An EWS's engineering sessions are a real share of what it asks of controllers.
    const engineeringShare = v.engineering / (v.engineering + v.reads + v.writes);
    if (v.polled.size > 0 && engineeringShare <= options.maxOccasionalEngineeringShare) {
      roles.add('engineering-workstation', 0.4, 'occasional engineering operations from a host that mostly polls — see alerts');
    } else {
      roles.add('engineering-workstation', 0.9, `sent ${plural(v.engineering, 'engineering operation')} (program transfer, mode change, firmware) to ${plural(v.engineeringTargets.size, 'controller')}`);
    }
  }
  if (v.identifyTargets.size >= 2 && v.polled.size === 0) {
    const multiVendor = v.industrialClientProtocols.size >= 2;
    roles.add('engineering-workstation', multiVendor ? 0.7 : 0.6, `identifies/diagnoses ${plural(v.identifyTargets.size, 'controller')} over ${[...v.industrialClientProtocols].sort().join(', ')} without polling them`);
  }
  // Hints about clients (TSAP names) only count for hosts that act as industrial clients.
  if (v.industrialClientProtocols.size === 0) {
    roles.delete('engineering-workstation');
    if (!roles.keys().some((r) => OT_ROLES.has(r) && r !== 'hmi')) roles.delete('hmi');
  }

  // Supervisory candidates: the best-fitting one is kept.
  const candidates = new RoleSet();
  const polled = v.polled.size;
  const fastest = Math.max(0, ...[...v.polled.values()].map((p) => p.rate));
  const writeShare = v.reads + v.writes === 0 ? 0 : v.writes / (v.reads + v.writes);
  if (v.telecontrolTargets.size > 0) {
    candidates.add('scada-server', 0.85, `telecontrol master (DNP3/IEC 104) of ${plural(v.telecontrolTargets.size, 'RTU')}`);
  }
  if (polled > options.hmiMaxControllers) candidates.add('scada-server', 0.8, `polls ${polled} controllers`);
  if (polled >= 1) {
    let historian = 0;
    const why: string[] = [];
    if (polled >= 2 && v.writes === 0 && fastest < options.historianMaxRate) {
      historian += 0.4;
      why.push(`slow read-only collection from ${polled} controllers`);
    }
    if (historian > 0 && v.industrialClientProtocols.size >= 2) {
      historian += 0.2;
      why.push(`collects over ${[...v.industrialClientProtocols].sort().join(', ')}`);
    }
    if (historian > 0 && v.opcClient) {
      historian += 0.2;
      why.push('OPC UA client');
    }
    if (servesToItClients.length > 0) {
      historian += 0.2;
      why.push(`serves ${servesToItClients.join(', ')} to IT hosts`);
    }
    if (historian >= 0.6) candidates.add('historian', Math.min(historian, 0.9), why.join('; '));
    if (polled <= options.hmiMaxControllers && writeShare <= options.maxHmiWriteShare && v.telecontrolTargets.size === 0) {
      const confidence = v.writes > 0 ? 0.8 : 0.7;
      candidates.add('hmi', confidence, `polls ${plural(polled, 'controller')} cyclically${v.writes > 0 ? `, ${plural(v.writes, 'occasional write')}` : ', read-only'}`);
    }
  }
  const best = candidates.details()[0];
  if (best) for (const reason of best.reasons) roles.add(best.role, best.confidence, reason);

  // IT workstation: desktop behaviour, no server role, no OT role.
  const hasServerRole = roles.keys().some((r) => IT_SERVICE_ROLES.has(r) || OT_ROLES.has(r) || r === 'network-device' || r === 'printer' || r === 'camera');
  if (!hasServerRole && v.industrialClientProtocols.size === 0 && !v.opcClient) {
    const desktop = a.os !== null && isDesktopOs(a.os);
    const smbClient = a.protocols.some((p) => p.role === 'client' && (p.name === 'smb' || p.name === 'kerberos'));
    if (v.webToPublic > 0) roles.add('it-workstation', 0.6, `browses Internet hosts (${plural(v.webToPublic, 'web flow')})`);
    if (desktop && (v.webToPublic > 0 || smbClient || a.protocols.some((p) => p.name === 'dhcp' && p.role === 'client'))) {
      roles.add('it-workstation', 0.4, `desktop OS (${a.os})`);
    }
    if (smbClient) roles.add('it-workstation', 0.3, 'file-share/domain client');
  }
}

/**
 * Roles of every asset (RoleDetail lists, most confident first; [unknown] when nothing applies). `edges` are
 * the communications map's edges between asset ids.
 */
export function classifyRoles(
  assets: readonly RoleAssetInput[],
  edges: readonly RoleEdgeInput[],
  options: RoleOptions = DEFAULT_ROLE_OPTIONS,
): Map<string, RoleDetail[]> {
  const outgoing = new Map<string, RoleEdgeInput[]>();
  const incoming = new Map<string, RoleEdgeInput[]>();
  for (const e of edges) {
    let o = outgoing.get(e.src);
    if (!o) outgoing.set(e.src, (o = []));
    o.push(e);
    let i = incoming.get(e.dst);
    if (!i) incoming.set(e.dst, (i = []));
    i.push(e);
  }
  const firstPass = new Map<string, RoleSet>();
  for (const a of assets) firstPass.set(a.id, serverRoles(a, incoming.get(a.id) ?? []));
  const controllers = new Set<string>();
  for (const [id, roles] of firstPass) if ([...CONTROLLER_ROLES].some((r) => roles.has(r))) controllers.add(id);
  const publicIds = new Set(assets.filter((a) => a.isPublic).map((a) => a.id));
  const industrialHosts = new Set<string>();
  for (const a of assets) if (a.protocols.some((p) => INDUSTRIAL_PROTOCOLS.has(p.name))) industrialHosts.add(a.id);

  const out = new Map<string, RoleDetail[]>();
  for (const a of assets) {
    const roles = firstPass.get(a.id)!;
    if (!a.isPublic) {
      const view = clientView(outgoing.get(a.id) ?? [], controllers, publicIds, options);
      const itClients = new Set<string>();
      for (const e of incoming.get(a.id) ?? []) {
        if ((e.protocol === 'mssql' || e.protocol === 'http' || e.protocol === 'tls' || e.protocol === 'opcua') && !industrialHosts.has(e.src) && !publicIds.has(e.src)) {
          itClients.add(e.protocol);
        }
      }
      clientRoles(a, roles, view, [...itClients].sort(), options);
      applianceRule(a, roles, outgoing.get(a.id) ?? []);
    }
    // Embedded web/management servers are features of the device, not its role.
    if (roles.keys().some((r) => OT_ROLES.has(r) || r === 'network-device' || r === 'printer' || r === 'camera')) {
      roles.delete('web-server');
      if (!roles.has('domain-controller')) roles.delete('remote-access');
    }
    if (!roles.keys().some((r) => OT_ROLES.has(r) || r === 'network-device' || r === 'it-server')) {
      const services = roles.keys().filter((r) => IT_SERVICE_ROLES.has(r));
      if (services.length > 0) roles.add('it-server', Math.max(...services.map((r) => roles.confidence(r))), `provides IT services (${services.join(', ')})`);
    }
    const details = roles.details();
    out.set(a.id, details.length > 0 ? details : [{ role: 'unknown', confidence: 0, reasons: ['no role evidence'] }]);
  }
  return out;
}

/**
 * A dedicated infrastructure appliance (time server): it serves one infrastructure protocol plus management,
 * asks others for nothing but names and time, and runs no desktop OS. Network infrastructure, not an IT server.
 */
function applianceRule(a: RoleAssetInput, roles: RoleSet, out: readonly RoleEdgeInput[]): void {
  if (!roles.has('ntp-server') || roles.keys().some((r) => OT_ROLES.has(r) || (IT_SERVICE_ROLES.has(r) && r !== 'ntp-server' && r !== 'web-server'))) return;
  if (a.os === 'windows') return;
  if (!a.protocols.every((p) => p.role !== 'server' || APPLIANCE_PROTOCOLS.has(p.name))) return;
  if (!out.every((e) => e.protocol === 'dns' || e.protocol === 'ntp' || e.protocol === 'arp')) return;
  roles.delete('web-server');
  roles.add('network-device', 0.6, 'dedicated time-server appliance (serves only NTP and management)');
}
