/**
 * Asset inventory and communications map, built from flow summaries, events, ARP and non-IP frames.
 *
 * Keying (docs/report.md, "Asset keying"): hosts on the capture's L2 segment are keyed by MAC, hosts seen only
 * through a router by IP. Which MACs are routers is only known once the whole capture is seen, so the feeders
 * accumulate per IP and per MAC, and `build()` resolves IP → owning asset:
 *   1. an IP claimed by ARP (or a DHCP / PROFINET-DCP identity binding) belongs to the claiming MAC;
 *   2. otherwise to the non-router MAC it was seen with most often;
 *   3. otherwise (only seen behind a router, or no link layer) it is its own asset "ip:<address>".
 * A MAC is a router when it carries more distinct IPs, or more subnets, than one host plausibly has
 * (`InventoryOptions.routerIpThreshold`, `routerSubnetThreshold`), or when it carries an IPv4 address
 * outside the /24s of the addresses it ARP-announced for itself.
 *
 * Memory grows with hosts and edges, never with packets or flows: every table has an explicit cap, and each
 * time one is hit it is counted in `capsHit` (reported in stats.capsHit).
 *
 * Operations (OperationEvents) are counted on the communication edge of the flow that carried them, so an
 * edge's operations describe its packets: UMAS requests riding a Modbus flow are counted on that flow's
 * "modbus" edge (the asset still lists "umas" among its protocols). They are held per flow until the flow
 * ends; operations whose flow never ended by `build()` go to an edge with the same endpoints and port.
 */
import { OPERATION_KINDS, type Endpoint, type OperationKind, type OtEvent, type ProtocolName } from '../events/types.js';
import type { AssetProtocol, AssetReport, CommunicationReport } from '../report/types.js';
import { isoTime } from '../report/time.js';
import {
  BROADCAST_MAC,
  classifyIp,
  compareText,
  endpointSortKey,
  addressSortKey,
  isGroupMacText,
  isLinkLocalIp,
  isMacText,
  parseIp4,
  subnetKey,
} from './address-class.js';
import { mergeIdentity, type FactEvidence } from './identity.js';
import { initialTtl, osFamily } from './os.js';
import { ZoneModel, type PurdueAssetInput } from './purdue.js';
import { classifyRoles, type RoleAssetInput } from './roles.js';
import type { ZonesConfig } from './zones.js';
import { isPublicIp } from './address-class.js';

/** What the inventory needs from the flow layer's end-of-flow summary (a structural subset of it). */
export interface FlowEnd {
  id: number;
  captureIndex: number;
  transport: 'tcp' | 'udp' | 'icmp' | 'other';
  ipProto: number;
  clientIp: string;
  serverIp: string;
  clientPort: number;
  serverPort: number;
  /** 'aa:bb:cc:dd:ee:ff', '' when the link carried none */
  clientMac: string;
  serverMac: string;
  protocol: ProtocolName;
  /** epoch seconds */
  firstSeen: number;
  lastSeen: number;
  packetsToServer: number;
  packetsToClient: number;
  bytesToServer: number;
  bytesToClient: number;
  tcpState: 'syn-only' | 'rejected' | 'established' | 'closed' | 'reset' | 'midstream' | 'none';
  /** true while client/server were only guessed (ports, first packet), false once seen or confirmed by content */
  sidesGuessed: boolean;
  /** 802.1Q VLAN id of the flow's frames, 0 when untagged (absent: unknown) */
  vlan?: number;
  /** IP TTL / hop limit of each side's first packet, 0 when that side sent nothing (absent: unknown) */
  clientTtl?: number;
  serverTtl?: number;
}

export interface InventoryOptions {
  /** distinct IP hosts tracked */
  maxHosts: number;
  /** distinct MAC addresses tracked */
  maxMacs: number;
  /** distinct communication edges (IP and L2) */
  maxCommunications: number;
  maxFactsPerAsset: number;
  maxHostnamesPerAsset: number;
  /** distinct IPs remembered per MAC (enough to tell a router; beyond it the MAC is a router anyway) */
  maxIpsPerMac: number;
  /** distinct MACs remembered per IP */
  maxMacsPerIp: number;
  maxProtocolsPerHost: number;
  maxPortsPerProtocol: number;
  /** flows with operations waiting for their flow's end */
  maxPendingFlowOperations: number;
  /** VLANs remembered per address (a host is in one; trunk-attached hosts in a few) */
  maxVlansPerIp: number;
  /** a MAC carrying more distinct non-link-local IPv4 addresses than this (not its own) is a router */
  routerIpThreshold: number;
  /** a MAC carrying addresses of more /24 (IPv4) or /64 (IPv6) subnets than this is a router */
  routerSubnetThreshold: number;
  /** the user's zones file (zones, Purdue levels, conduits); without it zones and levels are inferred */
  zones?: ZonesConfig | null;
}

export const DEFAULT_INVENTORY_OPTIONS: Readonly<InventoryOptions> = {
  maxHosts: 200_000,
  maxMacs: 200_000,
  maxCommunications: 1_000_000,
  maxFactsPerAsset: 64,
  maxHostnamesPerAsset: 16,
  maxIpsPerMac: 256,
  maxMacsPerIp: 4,
  maxProtocolsPerHost: 64,
  maxPortsPerProtocol: 32,
  maxPendingFlowOperations: 100_000,
  maxVlansPerIp: 8,
  routerIpThreshold: 5,
  routerSubnetThreshold: 2,
};

/** Identity bindings from these protocols are as authoritative as ARP (the device states its own IP + MAC). */
const BINDING_FACT_PROTOCOLS: ReadonlySet<string> = new Set(['profinet-dcp', 'dhcp']);

type ProtocolRole = AssetProtocol['role'];
type Transport = CommunicationReport['transport'];

interface ProtocolUse {
  name: ProtocolName;
  role: ProtocolRole;
  ports: number[];
}

/** A fact as first stated (frame), with the strongest confidence and latest time it was stated with since. */
type StoredFact = FactEvidence;

/** Traffic and identity common to IP and MAC records. */
interface HostData {
  firstSeen: number;
  lastSeen: number;
  packets: number;
  bytes: number;
  /** key `${name}/${role}` */
  protocols: Map<string, ProtocolUse> | null;
  facts: StoredFact[] | null;
  /** fact value → the stored facts with that value (one per field/protocol): no key string per fact event */
  factKeys: Map<string, StoredFact[]> | null;
  /** initial TTL (32/64/128/255) of the host's packets → flows: the OS guess of last resort */
  ttls: Map<number, Tally> | null;
  /** the tally of the host's last flow's initial TTL (0: none yet): a host's packets keep one initial TTL */
  lastTtl: number;
  lastTtlTally: Tally | null;
  /** the edges this host is the source of: dst endpoint id → edges (by protocol, transport, port) */
  edgesByDst: Map<string, Edge[]> | null;
  /** the protocol use of this host's last flow: a host's flows mostly repeat one protocol and role */
  lastUse: ProtocolUse | null;
  /** the edge of the last flow this host was the source of: clients repeat the same exchange */
  lastEdge: Edge | null;
}

interface IpRecord extends HostData {
  ip: string;
  /** "ip:<ip>", made once: the flow-end path compares and hashes the same string every time */
  endpointId: string;
  /** MAC the IP was seen with in flows → number of flows */
  seenWith: Map<string, SeenWith>;
  /** MAC that claimed the IP (ARP, DHCP, DCP) → claims */
  claims: Map<string, { count: number; first: number }> | null;
  /** VLAN id → flows of this address (tagged flows only) */
  vlans: Map<number, Tally> | null;
  /** the VLAN of the address's last tagged flow and its tally (null: none yet, or the cap refused it) */
  lastVlan: number;
  lastVlanTally: Tally | null;
  /** parseIp4(ip): the address as a number, -1 when not IPv4 (parsed once, not per flow) */
  ip4: number;
  /**
   * The MAC text of this IP's last flow and what it resolved to: the record, and the seenWith count it bumped
   * (null when the seenWith cap refused it). A host's flows carry the same MAC, as a new string each time, so
   * comparing it saves hashing it into two maps.
   */
  lastMacText: string;
  lastMacRecord: MacRecord | null;
  lastMacSeen: SeenWith | null;
}

/** Flows an IP was seen with one MAC (a mutable count, so a repeat needs no map update). */
interface SeenWith {
  flows: number;
}

/** A count kept in a map, mutable so that a repeated key needs one lookup (or none, when cached). */
interface Tally {
  n: number;
}

interface MacRecord extends HostData {
  mac: string;
  /** "mac:<mac>", made once */
  endpointId: string;
  /** distinct IPs this MAC carried as source/destination */
  ips: Set<string>;
  ipsOverflow: boolean;
  /** IPs this MAC claimed for itself in ARP */
  arpIps: Set<string> | null;
  /** sent ARP/L2 frames, was described by a protocol, or used an unspecified source IP: a host, not a relay */
  ownTraffic: boolean;
  /** L2 protocols (role peer) by name, kept apart so the per-frame path needs no string keys */
  l2Protocols: Map<ProtocolName, ProtocolUse> | null;
}

interface Edge {
  src: string;
  dst: string;
  protocol: ProtocolName;
  transport: Transport;
  port: number;
  packets: number;
  bytes: number;
  flows: number;
  firstSeen: number;
  lastSeen: number;
  operations: Map<OperationKind, number> | null;
}

interface PendingOperations {
  srcIp: string;
  dstIp: string;
  port: number;
  protocol: ProtocolName;
  /**
   * Counts without a map update per event, and without an array for the many flows (DNS, NTP, connects) that
   * carry one kind: the first kind (OPERATION_KINDS index) and its count inline, further kinds by index.
   */
  firstKind: number;
  firstCount: number;
  countsByKind: number[] | null;
  /** kinds outside OPERATION_KINDS (never emitted by a well-typed analyzer), counted apart */
  otherCounts: Map<OperationKind, number> | null;
  /** protocols of the operations other than `protocol` (UMAS inside Modbus), in order of appearance */
  otherProtocols: Set<ProtocolName> | null;
  /** the last operation's protocol: consecutive operations of one protocol skip the set */
  lastProtocol: ProtocolName;
}

const KIND_INDEX: ReadonlyMap<string, number> = new Map(OPERATION_KINDS.map((k, i) => [k, i]));

/** Slots of Inventory's direct-mapped cache of pending operation counts (a power of two). */
const PENDING_CACHE_SLOTS = 64;
const PENDING_CACHE_MASK = PENDING_CACHE_SLOTS - 1;

function countPendingOperation(p: PendingOperations, kindIndex: number, kind: OperationKind): void {
  if (kindIndex < 0) {
    p.otherCounts ??= new Map();
    p.otherCounts.set(kind, (p.otherCounts.get(kind) ?? 0) + 1);
  } else if (kindIndex === p.firstKind) {
    p.firstCount++;
  } else if (p.firstKind < 0) {
    p.firstKind = kindIndex;
    p.firstCount = 1;
  } else {
    p.countsByKind ??= OPERATION_KINDS.map(() => 0);
    p.countsByKind[kindIndex]!++;
  }
}

/** Every (kind, count) of a flow's pending operations. */
function forEachPendingCount(p: PendingOperations, fn: (kind: OperationKind, n: number) => void): void {
  if (p.firstKind >= 0) fn(OPERATION_KINDS[p.firstKind]!, p.firstCount);
  const counts = p.countsByKind;
  if (counts !== null) for (let i = 0; i < counts.length; i++) if (counts[i]! > 0) fn(OPERATION_KINDS[i]!, counts[i]!);
  if (p.otherCounts !== null) for (const [kind, n] of p.otherCounts) fn(kind, n);
}

function addOperations(edge: Edge, p: PendingOperations): void {
  if (edge.operations === null) edge.operations = new Map();
  const ops = edge.operations;
  forEachPendingCount(p, (kind, n) => ops.set(kind, (ops.get(kind) ?? 0) + n));
}

/** `${name}/${role}` keys of a host's protocol uses, made once per protocol name. */
const PROTOCOL_USE_KEYS = new Map<string, { client: string; server: string; peer: string }>();

function protocolUseKey(name: ProtocolName, role: ProtocolRole): string {
  let keys = PROTOCOL_USE_KEYS.get(name);
  if (keys === undefined) {
    keys = { client: `${name}/client`, server: `${name}/server`, peer: `${name}/peer` };
    PROTOCOL_USE_KEYS.set(name, keys);
  }
  return role === 'client' ? keys.client : role === 'server' ? keys.server : role === 'peer' ? keys.peer : `${name}/${role}`;
}

/**
 * Same /24 (IPv4) or /64 (IPv6) network, as subnetKey() compares them, without building the keys for IPv4.
 * `a4`/`b4`: parseIp4() of the addresses when already known (their records hold it), undefined otherwise.
 */
function sameSubnet(a: string, b: string, a4: number = parseIp4(a), b4In?: number): boolean {
  if (a4 >= 0) {
    const b4 = b4In ?? parseIp4(b);
    return b4 >= 0 && Math.floor(a4 / 256) === Math.floor(b4 / 256);
  }
  const key = subnetKey(a);
  return key !== null && key === subnetKey(b);
}

interface TrafficTotals {
  packets: number;
  bytes: number;
  flows: number;
}

export interface InventoryBuild {
  assets: AssetReport[];
  communications: CommunicationReport[];
  protocols: Array<{ name: ProtocolName; packets: number; bytes: number; flows: number }>;
}

function newHostData(ts: number): HostData {
  return {
    firstSeen: ts, lastSeen: ts, packets: 0, bytes: 0, protocols: null, facts: null, factKeys: null, ttls: null, lastTtl: 0, lastTtlTally: null,
    edgesByDst: null, lastUse: null, lastEdge: null,
  };
}

function touch(host: HostData, first: number, last: number): void {
  if (first < host.firstSeen) host.firstSeen = first;
  if (last > host.lastSeen) host.lastSeen = last;
}

/** EtherType (or 802.3 length + destination) → protocol token for non-IP frames. */
function l2Protocol(etherType: number, dstMac: string): ProtocolName {
  switch (etherType) {
    case 0x0806:
      return 'arp';
    case 0x8892:
      return 'profinet-rt';
    case 0x88cc:
      return 'lldp';
    case 0x88b8:
      return 'goose';
    case 0x88ba:
      return 'sv';
    case 0x88a4:
      return 'ethercat';
    case 0x88f7:
      return 'ptp';
  }
  if (etherType <= 1500) {
    if (dstMac === '01:80:c2:00:00:00') return 'stp';
    if (dstMac === '01:00:0c:cc:cc:cc') return 'cdp';
  }
  return 'ethernet';
}

export class Inventory {
  private readonly options: InventoryOptions;
  private readonly ipRecords = new Map<string, IpRecord>();
  private readonly macRecords = new Map<string, MacRecord>();
  /** IP edges in creation order (build() walks them in this order) */
  private readonly edges: Edge[] = [];
  /**
   * src endpoint id → dst endpoint id → the edges of that pair (by protocol, transport, port), for sources
   * without a host record (broadcast, multicast, unspecified); a host's part is its record's edgesByDst.
   */
  private readonly edgeIndex = new Map<string, Map<string, Edge[]>>();
  /** src MAC → dst endpoint id → protocol → edge; nested so a frame needs no key string */
  private readonly l2Edges = new Map<string, Map<string, Map<ProtocolName, Edge>>>();
  private edgeCount = 0;
  private readonly groupMacIds = new Map<string, string>();
  /** Operation counts per flow until the flow ends, keyed by captureIndex * 2^32 + flowId. */
  private readonly pendingOperations = new Map<number, PendingOperations>();
  /**
   * A direct-mapped cache of pendingOperations by flow id (slot = flowId & PENDING_CACHE_MASK): the operations
   * of a plant's concurrent polling flows interleave, so a one-entry cache misses about half the time while
   * 64 slots catch ~92%, saving a number-keyed map lookup per operation. Holds only entries of the map.
   */
  private readonly pendingCacheKeys = new Float64Array(PENDING_CACHE_SLOTS).fill(-1);
  private readonly pendingCacheEntries: Array<PendingOperations | null> = new Array<PendingOperations | null>(PENDING_CACHE_SLOTS).fill(null);
  /** the IP subject of the last asset fact and its record (undefined: none yet) */
  private lastFactIp = '';
  private lastFactIpRecord: IpRecord | undefined = undefined;
  /** OPERATION_KINDS index of the last operation's kind (-1: not in the list) */
  private lastKind = '';
  private lastKindIndex = -1;
  /** what flowEndpoint() resolved besides the id: the host record ("ip:"/"mac:" ids), the IP record ("ip:" ids) */
  private endpointHost: HostData | undefined = undefined;
  private endpointIpRecord: IpRecord | undefined = undefined;
  private readonly totals = new Map<ProtocolName, TrafficTotals>();
  /** the totals of the last protocol counted: flows of one protocol come in runs */
  private lastTotalsProtocol = '';
  private lastTotals: TrafficTotals | undefined = undefined;
  private readonly caps = new Map<string, number>();
  private readonly counts = new Map<string, number>();

  constructor(options: Partial<InventoryOptions> = {}) {
    this.options = { ...DEFAULT_INVENTORY_OPTIONS, ...options };
  }

  /** Every cap hit so far, e.g. { "inventory.hosts": 3 } (for the report's stats.capsHit). */
  get capsHit(): Record<string, number> {
    return Object.fromEntries([...this.caps].sort((a, b) => compareText(a[0], b[0])));
  }

  /** Non-cap counters (e.g. "inventory.operations-without-flow"). */
  get counters(): Record<string, number> {
    return Object.fromEntries([...this.counts].sort((a, b) => compareText(a[0], b[0])));
  }

  private hitCap(name: string): void {
    this.caps.set(name, (this.caps.get(name) ?? 0) + 1);
  }

  // ---- records ---------------------------------------------------------------------------------------------

  private ipRecord(ip: string, ts: number): IpRecord | null {
    let rec = this.ipRecords.get(ip);
    if (rec) return rec;
    if (this.ipRecords.size >= this.options.maxHosts) {
      this.hitCap('inventory.hosts');
      return null;
    }
    rec = {
      ...newHostData(ts), ip, endpointId: `ip:${ip}`, seenWith: new Map(), claims: null, vlans: null, lastVlan: 0, lastVlanTally: null,
      ip4: parseIp4(ip), lastMacText: '', lastMacRecord: null, lastMacSeen: null,
    };
    this.ipRecords.set(ip, rec);
    return rec;
  }

  private macRecord(mac: string, ts: number): MacRecord | null {
    let rec = this.macRecords.get(mac);
    if (rec) return rec;
    if (this.macRecords.size >= this.options.maxMacs) {
      this.hitCap('inventory.macs');
      return null;
    }
    rec = {
      ...newHostData(ts),
      mac,
      endpointId: `mac:${mac}`,
      ips: new Set(),
      ipsOverflow: false,
      arpIps: null,
      ownTraffic: false,
      l2Protocols: null,
    };
    this.macRecords.set(mac, rec);
    return rec;
  }

  private addProtocolUse(host: HostData, name: ProtocolName, role: ProtocolRole, port: number): void {
    const last = host.lastUse;
    if (last !== null && last.name === name && last.role === role) {
      this.addPort(last, port);
      return;
    }
    if (host.protocols === null) host.protocols = new Map();
    const key = protocolUseKey(name, role);
    let use = host.protocols.get(key);
    if (!use) {
      if (host.protocols.size >= this.options.maxProtocolsPerHost) {
        this.hitCap('inventory.protocols-per-host');
        return;
      }
      use = { name, role, ports: [] };
      host.protocols.set(key, use);
    }
    host.lastUse = use;
    this.addPort(use, port);
  }

  private addPort(use: ProtocolUse, port: number): void {
    if (use.ports.includes(port)) return;
    if (use.ports.length >= this.options.maxPortsPerProtocol) {
      this.hitCap('inventory.ports-per-protocol');
      return;
    }
    use.ports.push(port);
  }

  private addFact(host: HostData, field: string, value: string, protocol: string, frame: number, captureIndex: number, confidence: number, ts: number): void {
    if (host.facts === null || host.factKeys === null) {
      host.facts = [];
      host.factKeys = new Map();
    }
    const sameValue = host.factKeys.get(value);
    if (sameValue !== undefined) {
      for (let i = 0; i < sameValue.length; i++) {
        const known = sameValue[i]!;
        if (known.field !== field || known.protocol !== protocol) continue;
        if (confidence > known.confidence) known.confidence = confidence;
        if (ts > known.ts) known.ts = ts;
        return;
      }
    }
    if (host.facts.length >= this.options.maxFactsPerAsset) {
      this.hitCap('inventory.facts-per-asset');
      return;
    }
    const fact: StoredFact = { field, value, protocol, frame, captureIndex, confidence, ts };
    if (sameValue !== undefined) sameValue.push(fact);
    else host.factKeys.set(value, [fact]);
    host.facts.push(fact);
  }

  private claim(ipRec: IpRecord, mac: string, ts: number): void {
    if (ipRec.claims === null) ipRec.claims = new Map();
    const existing = ipRec.claims.get(mac);
    if (existing) existing.count++;
    else if (ipRec.claims.size >= this.options.maxMacsPerIp) this.hitCap('inventory.macs-per-ip');
    else ipRec.claims.set(mac, { count: 1, first: ts });
  }

  private noteMacCarriesIp(macRec: MacRecord, ip: string): void {
    if (macRec.ips.has(ip)) return;
    if (macRec.ips.size >= this.options.maxIpsPerMac) {
      if (!macRec.ipsOverflow) this.hitCap('inventory.ips-per-mac');
      macRec.ipsOverflow = true;
      return;
    }
    macRec.ips.add(ip);
  }

  // ---- feeders ---------------------------------------------------------------------------------------------

  /**
   * The endpoint id a flow side counts under before IP ownership is resolved: "ip:<addr>" for a unicast host
   * (resolved in build()), "mac:<mac>" for an unspecified source address with a MAC (DHCP discover),
   * "broadcast:<addr>" / "multicast:<addr>" / "unspecified:<addr>" otherwise. Null when a cap refused it.
   * Also sets endpointHost / endpointIpRecord to the records behind an "ip:"/"mac:" id (undefined otherwise).
   *
   * Records exist only for unicast IPs and unicast MACs, so a known address skips classification.
   */
  private flowEndpoint(ip: string, mac: string, first: number, last: number): string | null {
    this.endpointHost = undefined;
    this.endpointIpRecord = undefined;
    let ipRec = this.ipRecords.get(ip);
    if (ipRec !== undefined && mac === ipRec.lastMacText && mac !== '') {
      // The MAC of this IP's last flow: a unicast MAC with a record, already noted as carrying the IP (so
      // noteMacCarriesIp() has nothing to do), and its seenWith entry, or the cap that refused one, unchanged.
      const known = ipRec.lastMacRecord!;
      touch(ipRec, first, last);
      touch(known, first, last);
      const seen = ipRec.lastMacSeen;
      if (seen !== null) seen.flows++;
      else this.hitCap('inventory.macs-per-ip');
      this.endpointHost = ipRec;
      this.endpointIpRecord = ipRec;
      return ipRec.endpointId;
    }
    let macRec = mac === '' ? undefined : this.macRecords.get(mac);
    const unicastMac = macRec !== undefined || (mac !== '' && isMacText(mac) && !isGroupMacText(mac));
    if (ipRec === undefined) {
      const kind = classifyIp(ip);
      if (kind === 'unspecified' || kind === 'invalid') {
        if (!unicastMac) return `unspecified:${ip}`;
        macRec ??= this.macRecord(mac, first) ?? undefined;
        if (macRec === undefined) return null;
        touch(macRec, first, last);
        macRec.ownTraffic = true;
        this.endpointHost = macRec;
        return macRec.endpointId;
      }
      if (kind === 'broadcast') return `broadcast:${ip}`;
      if (kind === 'multicast') return `multicast:${ip}`;
    }
    // A unicast-looking IP sent to a group MAC is a directed (subnet) broadcast or multicast.
    if (mac !== '' && !unicastMac && isMacText(mac)) return `${mac === BROADCAST_MAC ? 'broadcast' : 'multicast'}:${ip}`;
    if (ipRec === undefined) {
      ipRec = this.ipRecord(ip, first) ?? undefined;
      if (ipRec === undefined) return null;
    }
    touch(ipRec, first, last);
    if (unicastMac) {
      macRec ??= this.macRecord(mac, first) ?? undefined;
      if (macRec !== undefined) {
        touch(macRec, first, last);
        this.noteMacCarriesIp(macRec, ip);
        let seen = ipRec.seenWith.get(mac);
        if (seen !== undefined) {
          seen.flows++;
        } else if (ipRec.seenWith.size < this.options.maxMacsPerIp) {
          seen = { flows: 1 };
          ipRec.seenWith.set(mac, seen);
        } else {
          this.hitCap('inventory.macs-per-ip');
        }
        ipRec.lastMacText = mac;
        ipRec.lastMacRecord = macRec;
        ipRec.lastMacSeen = seen ?? null;
      }
    }
    this.endpointHost = ipRec;
    this.endpointIpRecord = ipRec;
    return ipRec.endpointId;
  }

  private addTotals(protocol: ProtocolName, packets: number, bytes: number, flows: number): void {
    let t = protocol === this.lastTotalsProtocol ? this.lastTotals : this.totals.get(protocol);
    if (!t) {
      t = { packets: 0, bytes: 0, flows: 0 };
      this.totals.set(protocol, t);
    }
    this.lastTotalsProtocol = protocol;
    this.lastTotals = t;
    t.packets += packets;
    t.bytes += bytes;
    t.flows += flows;
  }

  private newEdge(src: string, dst: string, protocol: ProtocolName, transport: Transport, port: number, ts: number): Edge | null {
    if (this.edgeCount >= this.options.maxCommunications) {
      this.hitCap('inventory.communications');
      return null;
    }
    this.edgeCount++;
    return { src, dst, protocol, transport, port, packets: 0, bytes: 0, flows: 0, firstSeen: ts, lastSeen: ts, operations: null };
  }

  /** One finished flow (called once per flow by the flow layer). */
  onFlowEnd(f: FlowEnd): void {
    const packets = f.packetsToServer + f.packetsToClient;
    const bytes = f.bytesToServer + f.bytesToClient;
    this.addTotals(f.protocol, packets, bytes, 1);
    const src = this.flowEndpoint(f.clientIp, f.clientMac, f.firstSeen, f.lastSeen);
    const client = this.endpointHost;
    const clientIpRecord = this.endpointIpRecord;
    const dst = this.flowEndpoint(f.serverIp, f.serverMac, f.firstSeen, f.lastSeen);
    const server = this.endpointHost;
    const serverIpRecord = this.endpointIpRecord;
    const pendingKey = f.captureIndex * 0x100000000 + f.id;
    const pending = this.pendingOperations.get(pendingKey);
    if (pending) {
      this.pendingOperations.delete(pendingKey);
      const slot = f.id & PENDING_CACHE_MASK;
      if (this.pendingCacheKeys[slot] === pendingKey) {
        this.pendingCacheKeys[slot] = -1;
        this.pendingCacheEntries[slot] = null;
      }
    }
    if (src === null || dst === null) return;

    const port = f.transport === 'tcp' || f.transport === 'udp' ? f.serverPort : f.transport === 'other' ? f.ipProto : 0;
    if (client) {
      client.packets += packets;
      client.bytes += bytes;
      if (f.clientTtl) this.noteTtl(client, f.clientTtl);
    }
    if (server) {
      server.packets += packets;
      server.bytes += bytes;
      if (f.serverTtl) this.noteTtl(server, f.serverTtl);
    }
    // A flow's VLAN is its first packet's: the client's. The server shares it only when no router sits between
    // them (same subnet); a routed server is on another VLAN, which its own subnet's clients will tell.
    if (f.vlan) {
      if (clientIpRecord !== undefined) this.noteVlan(clientIpRecord, f.vlan);
      if (serverIpRecord !== undefined && sameSubnet(f.clientIp, f.serverIp, clientIpRecord?.ip4, serverIpRecord.ip4)) this.noteVlan(serverIpRecord, f.vlan);
    }
    // Equal ports say nothing about who serves whom, unless the analyzer confirmed the sides from content.
    if (f.transport === 'udp' && f.clientPort === f.serverPort && f.sidesGuessed) {
      if (client) this.addProtocolUse(client, f.protocol, 'peer', port);
      if (server) this.addProtocolUse(server, f.protocol, 'peer', port);
    } else {
      if (client) this.addProtocolUse(client, f.protocol, 'client', port);
      // A host that refused or never answered a connection does not serve that protocol.
      const served =
        f.transport !== 'tcp' ||
        (f.packetsToClient > 0 && f.tcpState !== 'syn-only' && f.tcpState !== 'rejected');
      if (server && served) this.addProtocolUse(server, f.protocol, 'server', port);
    }
    // Operations may name a protocol inside the flow's (UMAS inside Modbus): both hosts list it too.
    if (pending) {
      this.addInnerProtocolUse(client, server, pending.protocol, f.protocol, port);
      if (pending.otherProtocols !== null) {
        for (const name of pending.otherProtocols) this.addInnerProtocolUse(client, server, name, f.protocol, port);
      }
    }

    const lastEdge = client !== undefined ? client.lastEdge : null;
    let edge: Edge | undefined;
    if (lastEdge !== null && lastEdge.dst === dst && lastEdge.port === port && lastEdge.protocol === f.protocol && lastEdge.transport === f.transport && lastEdge.src === src) {
      edge = lastEdge;
    } else {
      edge = this.findOrAddEdge(client, src, dst, f, port);
      if (edge === undefined) return;
      if (client !== undefined) client.lastEdge = edge;
    }
    edge.packets += packets;
    edge.bytes += bytes;
    edge.flows++;
    if (f.firstSeen < edge.firstSeen) edge.firstSeen = f.firstSeen;
    if (f.lastSeen > edge.lastSeen) edge.lastSeen = f.lastSeen;
    if (pending) addOperations(edge, pending);
  }

  /**
   * The IP edge of a flow's endpoints, protocol, transport and port; created when new (undefined: cap hit).
   * `client`: the source's host record, which holds the source's part of the index (src is its endpoint id).
   */
  private findOrAddEdge(client: HostData | undefined, src: string, dst: string, f: FlowEnd, port: number): Edge | undefined {
    let byDst = client !== undefined ? client.edgesByDst : this.edgeIndex.get(src);
    if (byDst === undefined || byDst === null) {
      byDst = new Map();
      if (client !== undefined) client.edgesByDst = byDst;
      else this.edgeIndex.set(src, byDst);
    }
    let pairEdges = byDst.get(dst);
    let edge: Edge | undefined;
    if (pairEdges !== undefined) {
      for (let i = 0; i < pairEdges.length; i++) {
        const e = pairEdges[i]!;
        if (e.port === port && e.protocol === f.protocol && e.transport === f.transport) {
          edge = e;
          break;
        }
      }
    }
    if (edge === undefined) {
      const created = this.newEdge(src, dst, f.protocol, f.transport, port, f.firstSeen);
      if (!created) return undefined;
      edge = created;
      if (pairEdges === undefined) byDst.set(dst, (pairEdges = []));
      pairEdges.push(edge);
      this.edges.push(edge);
    }
    return edge;
  }

  private addInnerProtocolUse(client: HostData | undefined, server: HostData | undefined, name: ProtocolName, flowProtocol: ProtocolName, port: number): void {
    if (name === flowProtocol) return;
    if (client) this.addProtocolUse(client, name, 'client', port);
    if (server) this.addProtocolUse(server, name, 'server', port);
  }

  private noteTtl(host: HostData, ttl: number): void {
    const initial = initialTtl(ttl);
    if (initial === host.lastTtl) {
      host.lastTtlTally!.n++;
      return;
    }
    if (host.ttls === null) host.ttls = new Map();
    let tally = host.ttls.get(initial);
    if (tally !== undefined) tally.n++;
    else host.ttls.set(initial, (tally = { n: 1 }));
    host.lastTtl = initial;
    host.lastTtlTally = tally;
  }

  private noteVlan(rec: IpRecord, vlan: number): void {
    if (vlan === rec.lastVlan && rec.lastVlanTally !== null) {
      rec.lastVlanTally.n++;
      return;
    }
    if (rec.vlans === null) rec.vlans = new Map();
    let tally = rec.vlans.get(vlan);
    if (tally !== undefined) {
      tally.n++;
    } else if (rec.vlans.size < this.options.maxVlansPerIp) {
      rec.vlans.set(vlan, (tally = { n: 1 }));
    } else {
      this.hitCap('inventory.vlans-per-ip');
      return;
    }
    rec.lastVlan = vlan;
    rec.lastVlanTally = tally;
  }

  /** A protocol event. Operations and asset facts are used; the rest is ignored. */
  onEvent(e: OtEvent): void {
    if (e.type === 'asset-fact') this.onFact(e.protocol, e.subject, e.field, e.value, e.confidence, e.ts, e.frame, e.captureIndex);
    else if (e.type === 'operation') this.countOperation(e.captureIndex, e.flowId, e.protocol, e.kind, e.src, e.dst);
  }

  /**
   * One operation of a flow, counted per kind for the flow's communication (added when the flow ends). Called for
   * each operation event, and directly by the engine for operations no consumer needs as an event.
   */
  countOperation(captureIndex: number, flowId: number, protocol: ProtocolName, kindName: OperationKind, src: Endpoint, dst: Endpoint): void {
    const key = captureIndex * 0x100000000 + flowId;
    const slot = flowId & PENDING_CACHE_MASK;
    let pending = this.pendingCacheKeys[slot] === key ? this.pendingCacheEntries[slot] : this.pendingOperations.get(key);
    if (!pending) {
      if (this.pendingOperations.size >= this.options.maxPendingFlowOperations) {
        this.hitCap('inventory.pending-flow-operations');
        return;
      }
      pending = {
        srcIp: src.ip, dstIp: dst.ip, port: dst.port, protocol,
        firstKind: -1, firstCount: 0, countsByKind: null, otherCounts: null, otherProtocols: null, lastProtocol: protocol,
      };
      this.pendingOperations.set(key, pending);
    }
    this.pendingCacheKeys[slot] = key;
    this.pendingCacheEntries[slot] = pending;
    let kind = this.lastKindIndex;
    if (kindName !== this.lastKind) {
      kind = KIND_INDEX.get(kindName) ?? -1;
      this.lastKind = kindName;
      this.lastKindIndex = kind;
    }
    countPendingOperation(pending, kind, kindName);
    if (protocol !== pending.lastProtocol) {
      pending.lastProtocol = protocol;
      if (protocol !== pending.protocol) (pending.otherProtocols ??= new Set()).add(protocol);
    }
  }

  private onFact(
    protocol: ProtocolName,
    subject: { ip?: string; mac?: string },
    field: string,
    value: string,
    confidence: number,
    ts: number,
    frame: number,
    captureIndex: number,
  ): void {
    // Records exist only for unicast addresses: a known subject needs no classification. Records are never
    // removed, so the last subject's record stays valid (a server's role hints repeat on each of its flows).
    const subjectIp = subject.ip;
    if (subjectIp !== undefined) {
      let ipRec = subjectIp === this.lastFactIp ? this.lastFactIpRecord : this.ipRecords.get(subjectIp);
      if (ipRec === undefined && classifyIp(subjectIp) === 'unicast') {
        const created = this.ipRecord(subjectIp, ts);
        if (created === null) return;
        ipRec = created;
      }
      // An IP subject is preferred: a MAC taken from a routed flow would be the router's.
      if (ipRec !== undefined) {
        this.lastFactIp = subjectIp;
        this.lastFactIpRecord = ipRec;
        touch(ipRec, ts, ts);
        const mac = subject.mac;
        if (mac !== undefined && BINDING_FACT_PROTOCOLS.has(protocol) && this.isHostMac(mac)) {
          const macRec = this.macRecord(mac, ts);
          if (macRec) {
            touch(macRec, ts, ts);
            macRec.ownTraffic = true;
            this.claim(ipRec, mac, ts);
          }
        }
        this.addFact(ipRec, field, value, protocol, frame, captureIndex, confidence, ts);
        return;
      }
    }
    const mac = subject.mac;
    if (mac !== undefined && this.isHostMac(mac)) {
      const macRec = this.macRecord(mac, ts);
      if (!macRec) return;
      touch(macRec, ts, ts);
      macRec.ownTraffic = true;
      this.addFact(macRec, field, value, protocol, frame, captureIndex, confidence, ts);
    }
  }

  /** A unicast MAC (records exist only for those, so a known one needs no parsing). */
  private isHostMac(mac: string): boolean {
    return this.macRecords.has(mac) || (isMacText(mac) && !isGroupMacText(mac));
  }

  /**
   * An ARP request or reply: the sender states its own IP→MAC binding (authoritative for asset keying).
   * Probes (sender IP 0.0.0.0) only prove the MAC exists. Traffic volume of ARP frames is counted by
   * observeL2, which the caller also feeds with them.
   */
  observeArp(senderMac: string, senderIp: string, ts: number, _frame: number, _captureIndex: number, _op: number): void {
    if (!isMacText(senderMac) || isGroupMacText(senderMac)) return;
    const macRec = this.macRecord(senderMac, ts);
    if (!macRec) return;
    touch(macRec, ts, ts);
    macRec.ownTraffic = true;
    if (classifyIp(senderIp) !== 'unicast') return;
    const ipRec = this.ipRecord(senderIp, ts);
    if (!ipRec) return;
    touch(ipRec, ts, ts);
    this.claim(ipRec, senderMac, ts);
    if (macRec.arpIps === null) macRec.arpIps = new Set();
    if (!macRec.arpIps.has(senderIp)) {
      if (macRec.arpIps.size < this.options.maxIpsPerMac) macRec.arpIps.add(senderIp);
      else this.hitCap('inventory.ips-per-mac');
    }
  }

  /**
   * Non-IP traffic (PROFINET, LLDP, GOOSE, STP, ARP, ...) between two MACs: `packets` frames of one EtherType
   * seen between `firstSeen` and `lastSeen`. The engine aggregates frames per (src, dst, EtherType) and hands
   * the aggregates over at the end of each capture; a single frame is packets = 1, firstSeen = lastSeen.
   * Allocates only when a new MAC, protocol or edge appears.
   */
  observeL2(
    srcMac: string,
    dstMac: string,
    etherType: number,
    packets: number,
    bytes: number,
    firstSeen: number,
    lastSeen: number,
    _captureIndex = 0,
  ): void {
    const name = l2Protocol(etherType, dstMac);
    this.addTotals(name, packets, bytes, 0);
    if (!isMacText(srcMac) || isGroupMacText(srcMac) || !isMacText(dstMac)) return;
    const src = this.macRecord(srcMac, firstSeen);
    if (!src) return;
    touch(src, firstSeen, lastSeen);
    src.packets += packets;
    src.bytes += bytes;
    src.ownTraffic = true;
    this.addL2Protocol(src, name);

    let dstId: string | undefined;
    if (isGroupMacText(dstMac)) {
      dstId = this.groupMacIds.get(dstMac);
      if (dstId === undefined) {
        dstId = `${dstMac === BROADCAST_MAC ? 'broadcast' : 'multicast'}:${dstMac}`;
        this.groupMacIds.set(dstMac, dstId);
      }
    } else {
      const dst = this.macRecord(dstMac, firstSeen);
      if (!dst) return;
      touch(dst, firstSeen, lastSeen);
      dst.packets += packets;
      dst.bytes += bytes;
      dst.ownTraffic = true;
      this.addL2Protocol(dst, name);
      dstId = dstMac;
    }

    let byDst = this.l2Edges.get(srcMac);
    if (!byDst) {
      byDst = new Map();
      this.l2Edges.set(srcMac, byDst);
    }
    let byProtocol = byDst.get(dstId);
    if (!byProtocol) {
      byProtocol = new Map();
      byDst.set(dstId, byProtocol);
    }
    let edge = byProtocol.get(name);
    if (!edge) {
      const dstEndpoint = dstId === dstMac ? `mac:${dstMac}` : dstId;
      const created = this.newEdge(`mac:${srcMac}`, dstEndpoint, name, 'ethernet', 0, firstSeen);
      if (!created) return;
      edge = created;
      byProtocol.set(name, edge);
    }
    edge.packets += packets;
    edge.bytes += bytes;
    if (firstSeen < edge.firstSeen) edge.firstSeen = firstSeen;
    if (lastSeen > edge.lastSeen) edge.lastSeen = lastSeen;
  }

  private addL2Protocol(rec: MacRecord, name: ProtocolName): void {
    if (rec.l2Protocols === null) rec.l2Protocols = new Map();
    if (rec.l2Protocols.has(name)) return;
    if (rec.l2Protocols.size >= this.options.maxProtocolsPerHost) {
      this.hitCap('inventory.protocols-per-host');
      return;
    }
    rec.l2Protocols.set(name, { name, role: 'peer', ports: [0] });
  }

  // ---- build -----------------------------------------------------------------------------------------------

  /** MACs that relay traffic for other hosts (routers, gateways, firewalls in routed mode). */
  private routerMacs(): Set<string> {
    const routers = new Set<string>();
    const { routerIpThreshold, routerSubnetThreshold } = this.options;
    for (const rec of this.macRecords.values()) {
      if (rec.ipsOverflow) {
        routers.add(rec.mac);
        continue;
      }
      const own = new Set<string>();
      for (const ip of rec.arpIps ?? []) own.add(ip);
      for (const ip of rec.ips) if (this.claimedBy(ip) === rec.mac) own.add(ip);
      const ownV4Subnets = new Set<string>();
      for (const ip of own) if (parseIp4(ip) >= 0) ownV4Subnets.add(subnetKey(ip)!);
      let v4 = 0;
      let v6 = 0;
      let foreignV4Subnet = false;
      const subnets4 = new Set<string>();
      const subnets6 = new Set<string>();
      for (const ip of rec.ips) {
        if (own.has(ip) || isLinkLocalIp(ip)) continue;
        const subnet = subnetKey(ip);
        if (subnet === null) continue;
        if (parseIp4(ip) >= 0) {
          v4++;
          subnets4.add(subnet);
          if (ownV4Subnets.size > 0 && !ownV4Subnets.has(subnet)) foreignV4Subnet = true;
        } else {
          v6++;
          subnets6.add(subnet);
        }
      }
      if (
        v4 > routerIpThreshold ||
        // IPv6 hosts rotate temporary addresses within their /64s, so only far more addresses count.
        v6 > routerIpThreshold * 4 ||
        subnets4.size > routerSubnetThreshold ||
        subnets6.size > routerSubnetThreshold ||
        foreignV4Subnet
      ) {
        routers.add(rec.mac);
      }
    }
    return routers;
  }

  /** The MAC with the most authoritative claims on an IP (ties: earliest claim, then lowest MAC). */
  private claimedBy(ip: string): string | null {
    const claims = this.ipRecords.get(ip)?.claims;
    if (!claims) return null;
    let best: string | null = null;
    let bestCount = -1;
    let bestFirst = Infinity;
    for (const [mac, c] of claims) {
      if (
        c.count > bestCount ||
        (c.count === bestCount && (c.first < bestFirst || (c.first === bestFirst && best !== null && mac < best)))
      ) {
        best = mac;
        bestCount = c.count;
        bestFirst = c.first;
      }
    }
    return best;
  }

  private ownerMac(rec: IpRecord, routers: ReadonlySet<string>): string | null {
    const claimed = this.claimedBy(rec.ip);
    if (claimed !== null) return claimed;
    let best: string | null = null;
    let bestFlows = 0;
    for (const [mac, seen] of rec.seenWith) {
      if (routers.has(mac)) continue;
      const flows = seen.flows;
      if (flows > bestFlows || (flows === bestFlows && best !== null && mac < best)) {
        best = mac;
        bestFlows = flows;
      }
    }
    return best;
  }

  /** The report's assets, communications and protocol totals. Does not modify the inventory. */
  build(): InventoryBuild {
    const routers = this.routerMacs();
    const ipOwner = new Map<string, string>(); // ip → asset id
    const assets = new Map<string, AssetBuilder>();
    const assetFor = (id: string, mac: string | null): AssetBuilder => {
      let a = assets.get(id);
      if (!a) {
        a = new AssetBuilder(id, mac);
        assets.set(id, a);
      }
      return a;
    };

    for (const rec of this.ipRecords.values()) {
      const mac = this.ownerMac(rec, routers);
      const id = mac !== null ? `mac:${mac}` : `ip:${rec.ip}`;
      ipOwner.set(rec.ip, id);
      const asset = assetFor(id, mac);
      asset.ips.push(rec.ip);
      asset.merge(rec);
      for (const [vlan, tally] of rec.vlans ?? []) asset.vlans.set(vlan, (asset.vlans.get(vlan) ?? 0) + tally.n);
    }
    for (const rec of this.macRecords.values()) {
      const id = `mac:${rec.mac}`;
      const isRouter = routers.has(rec.mac);
      if (!assets.has(id) && !isRouter && !rec.ownTraffic) continue;
      const asset = assetFor(id, rec.mac);
      asset.isRouter = isRouter;
      asset.merge(rec);
      for (const use of rec.l2Protocols?.values() ?? []) asset.addProtocol(use);
      if (isRouter) for (const ip of rec.ips) if (ipOwner.get(ip) !== id) asset.routedIps.push(ip);
    }

    const resolve = (endpoint: string): string =>
      endpoint.startsWith('ip:') ? (ipOwner.get(endpoint.slice(3)) ?? endpoint) : endpoint;
    const merged = new Map<string, Edge>();
    const mergeEdge = (e: Edge): void => {
      const src = resolve(e.src);
      const dst = resolve(e.dst);
      const key = `${src}\u0000${dst}\u0000${e.protocol}\u0000${e.transport}\u0000${e.port}`;
      let out = merged.get(key);
      if (!out) {
        out = { ...e, src, dst, operations: null, packets: 0, bytes: 0, flows: 0 };
        merged.set(key, out);
      }
      out.packets += e.packets;
      out.bytes += e.bytes;
      out.flows += e.flows;
      if (e.firstSeen < out.firstSeen) out.firstSeen = e.firstSeen;
      if (e.lastSeen > out.lastSeen) out.lastSeen = e.lastSeen;
      if (e.operations) {
        if (out.operations === null) out.operations = new Map();
        for (const [kind, n] of e.operations) out.operations.set(kind, (out.operations.get(kind) ?? 0) + n);
      }
    };
    for (const e of this.edges) mergeEdge(e);
    for (const byDst of this.l2Edges.values()) for (const byProtocol of byDst.values()) for (const e of byProtocol.values()) mergeEdge(e);

    const operationsWithoutFlow = this.attachPendingOperations(merged, resolve);

    // sort keys are built once per endpoint, not once per comparison (communications number in the thousands)
    const sortKeys = new Map<string, string>();
    const sortKey = (id: string): string => {
      let key = sortKeys.get(id);
      if (key === undefined) {
        key = endpointSortKey(id);
        sortKeys.set(id, key);
      }
      return key;
    };
    const builders = [...assets.values()].sort((a, b) => compareText(sortKey(a.id), sortKey(b.id)));
    const assetList = builders.map((a) => a.toReport(this.options));
    const edgeList = [...merged.values()];
    const communications = edgeList.map(edgeReport);
    annotate(builders, assetList, edgeList, communications, this.options.zones ?? null);
    communications.sort((a, b) => compareCommunications(a, b, sortKey));
    const protocols = [...this.totals]
      .map(([name, t]) => ({ name, packets: t.packets, bytes: t.bytes, flows: t.flows }))
      .sort((a, b) => compareText(a.name, b.name));
    if (operationsWithoutFlow > 0) this.counts.set('inventory.operations-without-flow', operationsWithoutFlow);
    else this.counts.delete('inventory.operations-without-flow');
    return { assets: assetList, communications, protocols };
  }

  /** Operations of flows that have not ended: onto an edge with the same endpoints and port. Returns the rest. */
  private attachPendingOperations(merged: Map<string, Edge>, resolve: (endpoint: string) => string): number {
    if (this.pendingOperations.size === 0) return 0;
    const byEndpoints = new Map<string, Edge[]>();
    for (const e of merged.values()) {
      const key = `${e.src}\u0000${e.dst}\u0000${e.port}`;
      const list = byEndpoints.get(key);
      if (list) list.push(e);
      else byEndpoints.set(key, [e]);
    }
    let unattributed = 0;
    for (const p of this.pendingOperations.values()) {
      const src = resolve(`ip:${p.srcIp}`);
      const dst = resolve(`ip:${p.dstIp}`);
      const candidates = byEndpoints.get(`${src}\u0000${dst}\u0000${p.port}`);
      if (!candidates) {
        forEachPendingCount(p, (_kind, n) => (unattributed += n));
        continue;
      }
      const edge = candidates.find((e) => e.protocol === p.protocol) ?? candidates.sort(compareEdgesForChoice)[0]!;
      addOperations(edge, p);
    }
    return unattributed;
  }
}

function compareEdgesForChoice(a: Edge, b: Edge): number {
  return b.flows - a.flows || compareText(a.protocol, b.protocol) || compareText(a.transport, b.transport);
}

/**
 * Roles (src/model/roles.ts), then Purdue levels and zones (src/model/purdue.ts) of the built assets, then the
 * levels/zones of each communication's ends. `assets[i]` is `builders[i]`'s report, `communications[i]`
 * `edges[i]`'s; both are completed in place.
 */
function annotate(
  builders: readonly AssetBuilder[],
  assets: AssetReport[],
  edges: readonly Edge[],
  communications: CommunicationReport[],
  zones: ZonesConfig | null,
): void {
  const roleInputs: RoleAssetInput[] = builders.map((b, i) => b.roleInput(assets[i]!));
  const roleEdges = edges.map((e) => ({
    src: e.src, dst: e.dst, protocol: e.protocol, port: e.port, flows: e.flows, packets: e.packets,
    firstSeen: e.firstSeen, lastSeen: e.lastSeen, operations: operationsRecord(e),
  }));
  const roles = classifyRoles(roleInputs, roleEdges);
  const purdueInputs: PurdueAssetInput[] = [];
  assets.forEach((a, i) => {
    const details = roles.get(a.id)!;
    a.roleDetails = details;
    a.roles = details.map((d) => d.role);
    purdueInputs.push({ id: a.id, ips: a.ips, vlan: builders[i]!.dominantVlan(), roles: details, isRouter: builders[i]!.isRouter, routedIps: builders[i]!.routedIps });
  });
  const model = new ZoneModel(purdueInputs, zones);
  const placed = model.assign(purdueInputs, edges);
  for (const a of assets) Object.assign(a, placed.get(a.id)!);
  communications.forEach((c, i) => Object.assign(c, model.zoneCommunication(edges[i]!, placed)));
}

function operationsRecord(e: Edge): Partial<Record<OperationKind, number>> {
  const operations: Partial<Record<OperationKind, number>> = {};
  if (e.operations) for (const kind of [...e.operations.keys()].sort()) operations[kind] = e.operations.get(kind)!;
  return operations;
}

function edgeReport(e: Edge): CommunicationReport {
  const operations = operationsRecord(e);
  return {
    src: e.src,
    dst: e.dst,
    protocol: e.protocol,
    transport: e.transport,
    port: e.port,
    packets: e.packets,
    bytes: e.bytes,
    flows: e.flows,
    firstSeen: isoTime(e.firstSeen),
    lastSeen: isoTime(e.lastSeen),
    operations,
    srcLevel: null,
    dstLevel: null,
    srcZone: null,
    dstZone: null,
    crossesItOt: false,
    skipsLevels: false,
    internet: false,
    conduitAllowed: null,
  };
}

/** `sortKey` is endpointSortKey, possibly memoised. */
function compareCommunications(a: CommunicationReport, b: CommunicationReport, sortKey: (id: string) => string): number {
  return (
    compareText(sortKey(a.src), sortKey(b.src)) ||
    compareText(sortKey(a.dst), sortKey(b.dst)) ||
    compareText(a.protocol, b.protocol) ||
    a.port - b.port ||
    compareText(a.transport, b.transport)
  );
}

/** Merges the IP and MAC records that make one asset. */
class AssetBuilder {
  readonly ips: string[] = [];
  isRouter = false;
  /** addresses a router MAC carried for other hosts */
  readonly routedIps: string[] = [];
  /** VLAN id → flows */
  readonly vlans = new Map<number, number>();
  private firstSeen = Infinity;
  private lastSeen = -Infinity;
  private packets = 0;
  private bytes = 0;
  private readonly protocols = new Map<string, ProtocolUse>();
  private readonly facts: StoredFact[] = [];
  private readonly factKeys = new Map<string, StoredFact>();
  private readonly ttls = new Map<number, number>();

  constructor(
    readonly id: string,
    readonly mac: string | null,
  ) {}

  merge(rec: HostData): void {
    if (rec.firstSeen < this.firstSeen) this.firstSeen = rec.firstSeen;
    if (rec.lastSeen > this.lastSeen) this.lastSeen = rec.lastSeen;
    this.packets += rec.packets;
    this.bytes += rec.bytes;
    for (const use of rec.protocols?.values() ?? []) this.addProtocol(use);
    for (const fact of rec.facts ?? []) {
      const key = `${fact.field}\u0000${fact.value}\u0000${fact.protocol}`;
      const known = this.factKeys.get(key);
      if (known) {
        if (fact.confidence > known.confidence) known.confidence = fact.confidence;
        if (fact.ts > known.ts) known.ts = fact.ts;
        continue;
      }
      const copy = { ...fact };
      this.factKeys.set(key, copy);
      this.facts.push(copy);
    }
    for (const [ttl, tally] of rec.ttls ?? []) this.ttls.set(ttl, (this.ttls.get(ttl) ?? 0) + tally.n);
  }

  addProtocol(use: ProtocolUse): void {
    const key = `${use.name}/${use.role}`;
    const existing = this.protocols.get(key);
    if (!existing) this.protocols.set(key, { name: use.name, role: use.role, ports: [...use.ports] });
    else for (const port of use.ports) if (!existing.ports.includes(port)) existing.ports.push(port);
  }

  /** The VLAN most of the asset's flows carried, null when untagged. */
  dominantVlan(): number | null {
    let best: number | null = null;
    let bestFlows = 0;
    for (const [vlan, n] of this.vlans) {
      if (n > bestFlows || (n === bestFlows && best !== null && vlan < best)) {
        best = vlan;
        bestFlows = n;
      }
    }
    return best;
  }

  roleInput(report: AssetReport): RoleAssetInput {
    return {
      id: this.id,
      protocols: report.protocols,
      roleHints: this.facts.filter((f) => f.field === 'role-hint').map((f) => ({ value: f.value, confidence: f.confidence, protocol: f.protocol })),
      deviceTypes: this.facts.filter((f) => f.field === 'device-type').map((f) => f.value),
      isRouter: this.isRouter,
      os: report.os === null ? null : osFamily(report.os.value),
      isPublic: this.ips.length > 0 && this.ips.every(isPublicIp),
    };
  }

  /** The asset's report; roles, levels and zones are filled in by annotate(). */
  toReport(options: InventoryOptions): AssetReport {
    const protocols: AssetProtocol[] = [...this.protocols.values()]
      .map((p) => ({ name: p.name, role: p.role, ports: [...p.ports].sort((a, b) => a - b) }))
      .sort((a, b) => compareText(a.name, b.name) || compareText(a.role, b.role));
    const identity = mergeIdentity(this.facts, this.mac, this.ttls.size > 0 ? this.ttls : null, {
      maxClaimsPerField: 8,
      maxSourcesPerClaim: 4,
      maxHostnames: options.maxHostnamesPerAsset,
      maxUsers: options.maxFactsPerAsset,
    });
    return {
      id: this.id,
      mac: this.mac,
      ips: [...this.ips].sort((a, b) => compareText(addressSortKey(a), addressSortKey(b))),
      hostnames: identity.hostnames,
      vendor: identity.vendor,
      vendorSource: identity.vendorSource,
      model: identity.model,
      firmware: identity.firmware,
      serial: identity.serial,
      identity: identity.identity,
      identityConflicts: identity.identityConflicts,
      os: identity.os,
      domain: identity.domain,
      users: identity.users,
      roles: ['unknown'],
      roleDetails: [],
      purdueLevel: null,
      purdueInferred: true,
      zone: null,
      zoneInferred: true,
      criticality: null,
      protocols,
      firstSeen: isoTime(this.firstSeen),
      lastSeen: isoTime(this.lastSeen),
      packets: this.packets,
      bytes: this.bytes,
      facts: this.facts
        .slice(0, options.maxFactsPerAsset)
        .map((f) => ({ field: f.field, value: f.value, protocol: f.protocol, frame: f.frame, captureIndex: f.captureIndex })),
    };
  }
}
