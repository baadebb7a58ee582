/**
 * The flow table: bidirectional flows keyed by (IP version, protocol, VLAN, both endpoints), client/server
 * sides, TCP state and per-direction counters, TCP reassembly and the application analyzer of each flow.
 *
 * Hot path (every IP packet): one symmetric numeric hash, one Map lookup (collisions chained through
 * `Flow.nextInBucket`, compared on the real key fields), a few field updates, an O(1) LRU touch and, for flows
 * that have an analyzer, the reassembly step and the analyzer call. No strings and no allocation per packet:
 * strings are made once per flow, and copies only for out-of-order segments and the first bytes being probed.
 *
 * Flows live in three LRU lists (open TCP, closed TCP, everything else) so each idle timeout is checked from
 * its list's tail in O(expired). The table is capped at `maxFlows`: the least recently active flow is evicted
 * (closed TCP flows first) and summarised.
 */
import { be32 } from '../util/bytes.js';
import {
  Dir,
  type AnalyzerContext,
  type AnalyzerSpec,
  type FlowAnalyzer,
  type FlowInfo,
  type PacketMeta,
} from '../protocols/analyzer.js';
import type { Endpoint, EventSink, ProtocolName } from '../events/types.js';
import { ip4ToString, ip6ToString, macToString } from '../util/addr.js';
import type { EventEndpointSource } from '../protocols/common/endpoints.js';
import { IpProto, TcpFlag, type DecodedPacket } from './packet.js';
import { TcpStream, type ReassemblyCounters, type StreamReceiver } from './tcp-reassembly.js';
import {
  AnalyzerRegistry,
  CLAIM_NONE,
  CLAIM_UNDECIDED,
  Dispatcher,
  type AppTransport,
  type ProbeFlowView,
  type ProbeState,
} from './dispatch.js';
import type { FlowEndReason, FlowSummary, FlowTransport, TcpFlowState } from './flow-types.js';

export interface FlowTableOptions {
  registry: AnalyzerRegistry;
  sink: EventSink;
  onFlowEnd: (summary: FlowSummary) => void;
  captureIndex?: number;
  /** default 500_000 */
  maxFlows?: number;
  /** default 3600 */
  tcpIdleTimeoutSec?: number;
  /** after FIN both ways or RST; default 10 */
  tcpClosedTimeoutSec?: number;
  /** UDP, ICMP and other IP protocols; default 180 */
  udpIdleTimeoutSec?: number;
  /** handed to analyzers; default 1024 */
  maxPendingTransactions?: number;
  /** handed to analyzers; default 1 MiB */
  maxAnalyzerBufferBytes?: number;
  /** per direction; default 256 KiB */
  maxOutOfOrderBytes?: number;
  /** per direction; default 64 */
  maxOutOfOrderSegments?: number;
  /** first bytes kept per direction while probing; default 2048 */
  maxProbeBytes?: number;
  /** TCP payload segments probed before deciding; default 8 */
  maxProbeSegments?: number;
  /** UDP datagrams probed before deciding; default 4 */
  maxProbeDatagrams?: number;
  /** idle timeouts are checked at most this often (packet time); default 1 */
  expiryCheckIntervalSec?: number;
  /** called when an analyzer throws (it is then detached from its flow); for logging */
  onAnalyzerError?: (protocol: ProtocolName, error: unknown) => void;
  /** Test hook: AND-ed into every flow hash (0 puts all flows in one bucket to exercise collision chains). */
  hashMask?: number;
}

export interface FlowTableCounters extends ReassemblyCounters {
  /** IP packets processed */
  packets: number;
  /** packets skipped because their addresses or payload lay outside the buffer (decoder contract breach) */
  packetsIgnored: number;
  flows: number;
  flowsEvicted: number;
  flowsTimedOut: number;
  flowsClosed: number;
  /** "<protocol>.<counter>" from analyzers, "<protocol>.analyzer-error", "<protocol>.probe-error",
   *  "dispatch.unclaimed", "dispatch.claimed-probe", "dispatch.claimed-port" */
  analyzerCounters: Record<string, number>;
  /** "flow-table.max-flows", "tcp.out-of-order" */
  capsHit: Record<string, number>;
}

const APP_PROBING = 0;
const APP_ATTACHED = 1;
const APP_UNCLAIMED = 2;
const APP_DETACHED = 3;

const LIST_TCP_OPEN = 0;
const LIST_TCP_CLOSED = 1;
const LIST_OTHER = 2;

const SYN_A = 1;
const SYN_B = 2;
const SYNACK_A = 4;
const SYNACK_B = 8;
const FIN_A = 16;
const FIN_B = 32;
const RST_A = 64;
const RST_B = 128;

/** Flow hash chains: the bucket array starts small and doubles while flows outnumber buckets. */
const INITIAL_BUCKETS = 1024;
const MAX_BUCKETS = 1 << 22;

const SYN_ACK = TcpFlag.SYN | TcpFlag.ACK;
const CONTROL_FLAGS = TcpFlag.SYN | TcpFlag.FIN | TcpFlag.RST;

/** The two IPv6 addresses of a flow (A's, B's) as four uint32 words each. */
class Ip6Pair {
  constructor(
    readonly a0: number,
    readonly a1: number,
    readonly a2: number,
    readonly a3: number,
    readonly b0: number,
    readonly b1: number,
    readonly b2: number,
    readonly b3: number,
  ) {}
}

/** One bidirectional flow. A = the sender of the flow's first packet; client/server are mapped onto A/B. */
class Flow implements ProbeFlowView {
  // Fields every packet reads or writes come first (flow key, LRU links, activity, counters, reassembly), so
  // that looking a flow up and updating it touches as few cache lines of the object as possible.
  nextInBucket: Flow | undefined = undefined;
  aPort = 0;
  bPort = 0;
  /**
   * IPv4 addresses as int32 (`addr | 0`; IPv6: 0): small integers stay in the Flow object, whereas uint32
   * values from 128.0.0.0 up would be doubles, each in a box of its own that every key comparison would load.
   */
  a4 = 0;
  b4 = 0;
  ipVersion: 4 | 6 = 4;
  proto = 0;
  /** VLAN of A's packets (part of the flow key) */
  vlan = 0;
  /**
   * VLAN of B's packets, -1 until B has sent one. An rx-only SPAN of routed traffic shows each direction on
   * its ingress VLAN, so the two directions of one conversation may carry different tags; B's VLAN is
   * learned from its first packet and then enforced like A's (overlapping address spaces stay apart).
   */
  vlanB = -1;
  lruList = LIST_OTHER;
  lruPrev: Flow | null = null;
  lruNext: Flow | null = null;
  lastSeen = 0;
  lastFrame = 0;
  packetsA = 0;
  packetsB = 0;
  bytesA = 0;
  bytesB = 0;
  payloadA = 0;
  payloadB = 0;
  app = APP_PROBING;
  clientIsA = true;
  streamA: TcpStream<Flow> | null = null;
  streamB: TcpStream<Flow> | null = null;

  id = 0;
  hash = 0;
  ended = false;
  /**
   * IPv6 addresses (null for IPv4). A separate object: as Flow fields, the eight words (doubles, being uint32)
   * would cost every flow, IPv4 ones included, eight boxed numbers.
   */
  v6: Ip6Pair | null = null;
  ipA = '';
  ipB = '';
  macA = 0;
  macB = 0;
  /** Text forms of macA/macB, made on first use (analyzers ask per event); null when stale. */
  macAText: string | null = null;
  macBText: string | null = null;

  captureIndex = 0;
  sidesGuessed = false;
  firstSeen = 0;
  firstFrame = 0;
  ttlA = 0;
  ttlB = 0;
  tcpBits = 0;

  probe: ProbeState | null = null;
  analyzer: FlowAnalyzer | null = null;
  protocol: ProtocolName = 'ip';
  claimedBy: 'probe' | 'port' | null = null;
  visibility: 'clear' | 'opaque' | 'none' = 'none';

  get serverPort(): number {
    return this.clientIsA ? this.bPort : this.aPort;
  }
  get clientPort(): number {
    return this.clientIsA ? this.aPort : this.bPort;
  }
}

/** What every flow context of one protocol in one table shares: built once per protocol, not per flow. */
class ProtocolContextShared {
  readonly counterKeys: Map<string, string>;
  constructor(
    readonly protocol: ProtocolName,
    readonly counters: AnalyzerCounterSink,
    readonly sink: EventSink,
    readonly maxPendingTransactions: number,
    readonly maxBufferBytes: number,
  ) {
    this.counterKeys = counters.keysOf(protocol);
  }
}

/**
 * The analyzer's view of its flow; also its FlowInfo (reflects side swaps). One per claimed flow: it holds the
 * flow, the protocol's shared constants and the event endpoints of the flow's two sides, built once for the
 * 'protocol' event and handed on to the analyzer's events (common/endpoints.ts eventEndpointOf).
 */
class FlowContext implements AnalyzerContext, FlowInfo, EventEndpointSource {
  constructor(
    private readonly f: Flow,
    private readonly shared: ProtocolContextShared,
    private endpointA: Endpoint,
    private endpointB: Endpoint,
  ) {}
  get sink(): EventSink {
    return this.shared.sink;
  }
  get maxPendingTransactions(): number {
    return this.shared.maxPendingTransactions;
  }
  get maxBufferBytes(): number {
    return this.shared.maxBufferBytes;
  }
  /** The event endpoint of the client (or server) side; rebuilt only if that side's MAC became known since. */
  eventEndpoint(client: boolean): Endpoint {
    const f = this.f;
    const isA = client === f.clientIsA;
    const cached = isA ? this.endpointA : this.endpointB;
    const mac = isA ? f.macA : f.macB;
    if (mac === 0 ? cached.mac === undefined : cached.mac === macTextOf(f, isA)) return cached;
    const rebuilt = endpoint(f, isA);
    if (isA) this.endpointA = rebuilt;
    else this.endpointB = rebuilt;
    return rebuilt;
  }
  get flow(): FlowInfo {
    return this;
  }
  get captureIndex(): number {
    return this.f.captureIndex;
  }
  get id(): number {
    return this.f.id;
  }
  get transport(): 'tcp' | 'udp' {
    return this.f.proto === IpProto.TCP ? 'tcp' : 'udp';
  }
  get clientIp(): string {
    return this.f.clientIsA ? this.f.ipA : this.f.ipB;
  }
  get serverIp(): string {
    return this.f.clientIsA ? this.f.ipB : this.f.ipA;
  }
  get clientPort(): number {
    return this.f.clientPort;
  }
  get serverPort(): number {
    return this.f.serverPort;
  }
  get clientMac(): string {
    return macTextOf(this.f, this.f.clientIsA);
  }
  get serverMac(): string {
    return macTextOf(this.f, !this.f.clientIsA);
  }
  get vlan(): number {
    return this.f.vlan;
  }
  get sidesGuessed(): boolean {
    return this.f.sidesGuessed;
  }
  count(counter: string, n = 1): void {
    const shared = this.shared;
    shared.counters.addWith(shared.counterKeys, shared.protocol, counter, n);
  }
  markOpaque(): void {
    this.f.visibility = 'opaque';
  }
  confirmSides(): void {
    if (!this.f.ended) this.f.sidesGuessed = false;
  }
  /** Content proved the guess wrong: swap, and from then on the sides count as known. */
  swapSides(): void {
    const f = this.f;
    if (!f.sidesGuessed || f.ended) return;
    f.clientIsA = !f.clientIsA;
    f.sidesGuessed = false;
  }
}

/** "<protocol>.<counter>" keys without building a string per increment. */
class AnalyzerCounterSink {
  private readonly keys = new Map<string, Map<string, string>>();
  constructor(private readonly out: Record<string, number>) {}
  /** The counter-name → key map of one protocol (a flow's context resolves it once). */
  keysOf(protocol: string): Map<string, string> {
    let perProtocol = this.keys.get(protocol);
    if (perProtocol === undefined) this.keys.set(protocol, (perProtocol = new Map()));
    return perProtocol;
  }
  /** A counter whose report key is known up front (the flow table's own): no lookups to resolve it. */
  addKey(key: string, n: number): void {
    this.out[key] = (this.out[key] ?? 0) + n;
  }
  add(protocol: string, counter: string, n: number): void {
    this.addWith(this.keysOf(protocol), protocol, counter, n);
  }
  addWith(perProtocol: Map<string, string>, protocol: string, counter: string, n: number): void {
    let key = perProtocol.get(counter);
    if (key === undefined) perProtocol.set(counter, (key = counter.includes('.') ? counter : `${protocol}.${counter}`));
    this.out[key] = (this.out[key] ?? 0) + n;
  }
}

export class FlowTable implements StreamReceiver<Flow> {
  readonly counters: FlowTableCounters = {
    packets: 0,
    packetsIgnored: 0,
    flows: 0,
    flowsEvicted: 0,
    flowsTimedOut: 0,
    flowsClosed: 0,
    tcpGaps: 0,
    tcpGapBytes: 0,
    tcpOutOfOrderDropped: 0,
    tcpRetransmissions: 0,
    tcpOverlaps: 0,
    tcpBogusSequence: 0,
    analyzerCounters: {},
    capsHit: {},
  };
  readonly registry: AnalyzerRegistry;

  private readonly sink: EventSink;
  private readonly onFlowEnd: (s: FlowSummary) => void;
  private readonly onAnalyzerError: ((protocol: ProtocolName, error: unknown) => void) | undefined;
  private readonly maxFlows: number;
  private readonly tcpIdleTimeoutSec: number;
  private readonly tcpClosedTimeoutSec: number;
  private readonly udpIdleTimeoutSec: number;
  private readonly maxPendingTransactions: number;
  private readonly maxAnalyzerBufferBytes: number;
  private readonly expiryCheckIntervalSec: number;
  private readonly hashMask: number;
  private readonly reassemblyLimits: { maxOutOfOrderBytes: number; maxOutOfOrderSegments: number };
  private readonly dispatcher: Dispatcher;
  private readonly analyzerCounterSink: AnalyzerCounterSink;
  private readonly hasTcpSpecs: boolean;
  private readonly hasUdpSpecs: boolean;

  private captureIndex: number;
  /**
   * Open hash table of flow chains, indexed by `hash & bucketMask` (a power of two, grown with the flow count;
   * bounded by maxFlows). Flows with equal hashes keep their newest-first order in a chain (resizing preserves
   * it), which is what the VLAN fallback in process() relies on.
   */
  private buckets: Array<Flow | undefined>;
  private bucketMask: number;
  private flowCount = 0;
  private nextFlowId = 1;
  private readonly lruHead: Array<Flow | null> = [null, null, null];
  private readonly lruTail: Array<Flow | null> = [null, null, null];
  /** newest packet time seen (packet clocks drive every timeout) */
  private clock = -Infinity;
  private nextExpiryCheck = -Infinity;
  /** reused for every analyzer call; valid only during the call */
  private readonly meta: PacketMeta = { frame: 0, ts: 0 };
  /** per protocol: what its flows' contexts share */
  private readonly contextShared = new Map<ProtocolName, ProtocolContextShared>();
  /** the flow of the previous IP packet (null once it ended) */
  private lastFlow: Flow | null = null;
  // IPv6 addresses of the current packet as words (read once per packet)
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private d0 = 0;
  private d1 = 0;
  private d2 = 0;
  private d3 = 0;

  constructor(opts: FlowTableOptions) {
    this.registry = opts.registry;
    this.sink = opts.sink;
    this.onFlowEnd = opts.onFlowEnd;
    this.onAnalyzerError = opts.onAnalyzerError;
    this.captureIndex = opts.captureIndex ?? 0;
    this.maxFlows = Math.max(1, opts.maxFlows ?? 500_000);
    this.tcpIdleTimeoutSec = opts.tcpIdleTimeoutSec ?? 3600;
    this.tcpClosedTimeoutSec = opts.tcpClosedTimeoutSec ?? 10;
    this.udpIdleTimeoutSec = opts.udpIdleTimeoutSec ?? 180;
    this.maxPendingTransactions = opts.maxPendingTransactions ?? 1024;
    this.maxAnalyzerBufferBytes = opts.maxAnalyzerBufferBytes ?? 1 << 20;
    this.expiryCheckIntervalSec = opts.expiryCheckIntervalSec ?? 1;
    this.hashMask = (opts.hashMask ?? 0x3fffffff) & 0x3fffffff;
    this.reassemblyLimits = {
      maxOutOfOrderBytes: opts.maxOutOfOrderBytes ?? 256 * 1024,
      maxOutOfOrderSegments: opts.maxOutOfOrderSegments ?? 64,
    };
    this.analyzerCounterSink = new AnalyzerCounterSink(this.counters.analyzerCounters);
    this.dispatcher = new Dispatcher(
      this.registry,
      {
        maxProbeBytes: opts.maxProbeBytes ?? 2048,
        maxProbeSegments: opts.maxProbeSegments ?? 8,
        maxProbeDatagrams: opts.maxProbeDatagrams ?? 4,
      },
      (specName) => this.analyzerCounterSink.add(specName, 'probe-error', 1),
    );
    this.buckets = new Array<Flow | undefined>(INITIAL_BUCKETS).fill(undefined);
    this.bucketMask = INITIAL_BUCKETS - 1;
    this.hasTcpSpecs = this.registry.specsFor('tcp').length > 0;
    this.hasUdpSpecs = this.registry.specsFor('udp').length > 0;
  }

  /** Flows created from now on belong to capture `i`. */
  setCaptureIndex(i: number): void {
    this.captureIndex = i;
  }

  get size(): number {
    return this.flowCount;
  }

  /** One decoded IP packet (ipVersion 4/6, not a pending fragment; others are ignored). */
  process(pkt: DecodedPacket): void {
    const ipVersion = pkt.ipVersion;
    if (ipVersion === 0 || pkt.fragmentPending) return;
    const ts = pkt.ts;
    if (ts > this.clock) {
      this.clock = ts;
      if (ts >= this.nextExpiryCheck) {
        this.nextExpiryCheck = ts + this.expiryCheckIntervalSec;
        this.expireIdle(ts);
      }
    }
    const proto = pkt.l4Proto;
    let sport = 0;
    let dport = 0;
    if (proto === IpProto.TCP || proto === IpProto.UDP || proto === IpProto.SCTP) {
      sport = pkt.srcPort;
      dport = pkt.dstPort;
    }
    const vlan = pkt.vlan;
    // Consecutive packets often belong to one flow (a poll, its answer, the ACK): try it before hashing.
    const last = this.lastFlow;
    if (ipVersion === 4 && last !== null) {
      const side = this.match(last, pkt, ipVersion, proto, vlan, sport, dport);
      if (side !== 0) {
        this.counters.packets++;
        this.onPacketOf(last, side === 1, pkt, proto, vlan);
        return;
      }
    }
    let hs: number;
    let hd: number;
    if (ipVersion === 4) {
      hs = endpointHash4(pkt.src4, sport);
      hd = endpointHash4(pkt.dst4, dport);
    } else {
      const b = pkt.l3Buf;
      const so = pkt.src6Off;
      const dO = pkt.dst6Off;
      if (so < 0 || dO < 0 || so + 16 > b.length || dO + 16 > b.length) {
        this.counters.packetsIgnored++;
        return;
      }
      this.s0 = be32(b, so);
      this.s1 = be32(b, so + 4);
      this.s2 = be32(b, so + 8);
      this.s3 = be32(b, so + 12);
      this.d0 = be32(b, dO);
      this.d1 = be32(b, dO + 4);
      this.d2 = be32(b, dO + 8);
      this.d3 = be32(b, dO + 12);
      hs = endpointHash6(this.s0, this.s1, this.s2, this.s3, sport);
      hd = endpointHash6(this.d0, this.d1, this.d2, this.d3, dport);
    }
    // VLAN is matched per direction in match(), not hashed: the two directions may be tagged differently.
    const hash = flowHash(hs, hd, proto, 0) & this.hashMask;
    this.counters.packets++;

    let f = this.buckets[hash & this.bucketMask];
    let fromA = true;
    while (f !== undefined) {
      const side = this.match(f, pkt, ipVersion, proto, vlan, sport, dport);
      if (side !== 0) {
        fromA = side === 1;
        break;
      }
      f = f.nextInBucket;
    }
    if (f === undefined) {
      // B's first packet on another VLAN than A's (asymmetric tagging): join the flow still missing B's VLAN.
      for (f = this.buckets[hash & this.bucketMask]; f !== undefined; f = f.nextInBucket) {
        if (f.vlanB < 0 && f.hash === hash && f.ipVersion === ipVersion && f.proto === proto && this.matchAddresses(f, pkt, ipVersion, sport, dport) === 2) break;
      }
      if (f !== undefined) fromA = false;
    }
    if (f === undefined) {
      f = this.createFlow(pkt, hash, ipVersion, proto, sport, dport);
    }
    this.onPacketOf(f, fromA, pkt, proto, vlan);
  }

  /**
   * The packet's flow is found (or new): bookkeeping, then the transport's handling.
   * Timestamps and sequence numbers are read from `pkt` where they are used, never passed down the per-packet
   * calls: a double argument to a call V8 does not inline is boxed, one heap number per packet.
   */
  private onPacketOf(f: Flow, fromA: boolean, pkt: DecodedPacket, proto: number, vlan: number): void {
    const ts = pkt.ts;
    if (proto === IpProto.TCP && f.lruList === LIST_TCP_CLOSED && (pkt.tcpFlags & SYN_ACK) === TcpFlag.SYN) {
      // A new connection attempt on the 5-tuple of a finished one: a new flow.
      const hash = f.hash;
      this.endFlow(f, 'closed');
      f = this.createFlow(pkt, hash, f.ipVersion, proto, pkt.srcPort, pkt.dstPort);
      fromA = true;
    }
    this.lastFlow = f;

    if (!fromA && f.vlanB < 0) f.vlanB = vlan;
    if (ts > f.lastSeen) f.lastSeen = ts;
    f.lastFrame = pkt.frame;
    if (this.lruHead[f.lruList] !== f) {
      this.lruUnlink(f);
      this.lruPushHead(f, f.lruList);
    }
    const payloadLen = pkt.payloadLen > 0 ? pkt.payloadLen : 0;
    if (fromA) {
      f.packetsA++;
      f.bytesA += pkt.wireLen;
      f.payloadA += payloadLen;
    } else {
      if (f.packetsB === 0) {
        f.ttlB = pkt.ttl;
        if (pkt.hasEth && f.macB !== pkt.srcMac) {
          f.macB = pkt.srcMac;
          f.macBText = null;
        }
      }
      f.packetsB++;
      f.bytesB += pkt.wireLen;
      f.payloadB += payloadLen;
    }

    if (proto === IpProto.TCP) this.onTcp(f, fromA, pkt, payloadLen);
    else if (proto === IpProto.UDP && payloadLen > 0 && f.app < APP_UNCLAIMED) {
      if (!payloadInBounds(pkt, payloadLen)) {
        this.counters.packetsIgnored++;
        return;
      }
      this.packetPayload(f, fromA, pkt, payloadLen);
    }
  }

  /**
   * End every flow (end of capture): analyzers are closed and summaries emitted. TCP flows that had already
   * finished (FIN both ways / RST) end as 'closed', the others with `endReason`.
   */
  flushAll(endReason: FlowEndReason = 'end-of-capture'): void {
    for (let list = 0; list < 3; list++) {
      const reason = list === LIST_TCP_CLOSED ? 'closed' : endReason;
      for (let f = this.lruTail[list] ?? null; f !== null; f = this.lruTail[list] ?? null) this.endFlow(f, reason);
    }
    this.clock = -Infinity;
    this.nextExpiryCheck = -Infinity;
  }

  // ---- StreamReceiver (TCP reassembly output)

  streamData(stream: TcpStream<Flow>, buf: Buffer, off: number, len: number, frame: number, ts: number): void {
    const f = stream.owner;
    this.payload(f, stream === f.streamA, buf, off, len, frame, ts);
  }

  streamGap(stream: TcpStream<Flow>, bytes: number, frame: number, ts: number): void {
    const f = stream.owner;
    const fromA = stream === f.streamA;
    if (f.app === APP_ATTACHED) {
      const meta = this.meta;
      meta.frame = frame;
      meta.ts = ts;
      try {
        f.analyzer!.onGap(fromA === f.clientIsA ? Dir.ToServer : Dir.ToClient, bytes, meta);
      } catch (error) {
        this.analyzerFailed(f, error);
      }
    } else if (f.app === APP_PROBING) {
      const st = f.probe;
      if (st === null) return; // nothing probed yet: the analyzer will start after the gap
      const dir = fromA === f.clientIsA ? Dir.ToServer : Dir.ToClient;
      this.settle(f, st, this.dispatcher.gap(st, f, fromA, dir, bytes, frame, ts));
    }
  }

  // ---- per packet

  /** 1: packet sent by A, 2: sent by B, 0: another flow. */
  private match(
    f: Flow,
    pkt: DecodedPacket,
    ipVersion: number,
    proto: number,
    vlan: number,
    sport: number,
    dport: number,
  ): number {
    if (f.ipVersion !== ipVersion || f.proto !== proto) return 0;
    const side = this.matchAddresses(f, pkt, ipVersion, sport, dport);
    // Hosts without an address yet (DHCP discover from 0.0.0.0) all share one 5-tuple: their MAC tells them apart.
    if (side === 1 && ipVersion === 4 && f.a4 === 0 && pkt.srcMac !== f.macA) return 0;
    if (side === 1) return f.vlan === vlan ? 1 : 0;
    if (side === 2) return f.vlanB === vlan || (f.vlanB < 0 && f.vlan === vlan) ? 2 : 0;
    return 0;
  }

  private matchAddresses(f: Flow, pkt: DecodedPacket, ipVersion: number, sport: number, dport: number): number {
    if (ipVersion === 4) {
      const src = pkt.src4 | 0;
      const dst = pkt.dst4 | 0;
      if (f.aPort === sport && f.bPort === dport && f.a4 === src && f.b4 === dst) return 1;
      if (f.aPort === dport && f.bPort === sport && f.a4 === dst && f.b4 === src) return 2;
      return 0;
    }
    const w = f.v6;
    if (w === null) return 0;
    if (
      f.aPort === sport &&
      f.bPort === dport &&
      w.a0 === this.s0 &&
      w.a1 === this.s1 &&
      w.a2 === this.s2 &&
      w.a3 === this.s3 &&
      w.b0 === this.d0 &&
      w.b1 === this.d1 &&
      w.b2 === this.d2 &&
      w.b3 === this.d3
    ) {
      return 1;
    }
    if (
      f.aPort === dport &&
      f.bPort === sport &&
      w.a0 === this.d0 &&
      w.a1 === this.d1 &&
      w.a2 === this.d2 &&
      w.a3 === this.d3 &&
      w.b0 === this.s0 &&
      w.b1 === this.s1 &&
      w.b2 === this.s2 &&
      w.b3 === this.s3
    ) {
      return 2;
    }
    return 0;
  }

  private onTcp(f: Flow, fromA: boolean, pkt: DecodedPacket, payloadLen: number): void {
    const flags = pkt.tcpFlags;
    if ((flags & CONTROL_FLAGS) !== 0) this.tcpControl(f, fromA, flags);
    if (f.app >= APP_UNCLAIMED) return;
    if (payloadLen > 0 && !payloadInBounds(pkt, payloadLen)) {
      this.counters.packetsIgnored++;
      payloadLen = 0;
    }
    let streamA = f.streamA;
    let streamB = f.streamB;
    if (streamA === null || streamB === null) {
      streamA = f.streamA = new TcpStream(f, this, this.reassemblyLimits, this.counters);
      streamB = f.streamB = new TcpStream(f, this, this.reassemblyLimits, this.counters);
    }
    if ((flags & TcpFlag.ACK) !== 0) {
      // Acknowledged peer data we never saw is lost: tell the analyzer before this side's bytes.
      const peer = fromA ? streamB : streamA;
      if (peer.started && peer.ackSkipsData(pkt.tcpAck)) {
        peer.acked(pkt.tcpAck, pkt.frame, pkt.ts);
        if (f.app >= APP_UNCLAIMED) return;
      }
    }
    if (payloadLen > 0 && (flags & (TcpFlag.SYN | TcpFlag.FIN | TcpFlag.RST)) === 0) {
      // In-order data, the bulk of every stream: straight to the application layer.
      if ((fromA ? streamA : streamB).advanceInOrder(pkt.tcpSeq, payloadLen)) {
        this.packetPayload(f, fromA, pkt, payloadLen);
        return;
      }
    }
    const frame = pkt.frame;
    const ts = pkt.ts;
    if (payloadLen > 0 || (flags & (TcpFlag.SYN | TcpFlag.FIN)) !== 0) {
      (fromA ? streamA : streamB).segment(pkt.tcpSeq, flags, pkt.l4Buf, pkt.payloadOff, payloadLen, frame, ts);
    }
    if ((flags & TcpFlag.RST) !== 0) {
      if (f.app < APP_UNCLAIMED) streamA.flush(frame, ts);
      if (f.app < APP_UNCLAIMED) streamB.flush(frame, ts);
    }
  }

  /** SYN/FIN/RST bookkeeping (rare path). */
  private tcpControl(f: Flow, fromA: boolean, flags: number): void {
    let bits = f.tcpBits;
    if ((flags & TcpFlag.SYN) !== 0) {
      const synAck = (flags & TcpFlag.ACK) !== 0;
      bits |= synAck ? (fromA ? SYNACK_A : SYNACK_B) : fromA ? SYN_A : SYN_B;
      // The handshake outranks a port guess made from an earlier stray packet, unless an analyzer (or its
      // probing) already relies on the guessed directions.
      if (f.sidesGuessed && f.probe === null && f.claimedBy === null) {
        f.clientIsA = synAck ? !fromA : fromA;
        f.sidesGuessed = false;
      }
    }
    if ((flags & TcpFlag.FIN) !== 0) bits |= fromA ? FIN_A : FIN_B;
    if ((flags & TcpFlag.RST) !== 0) bits |= fromA ? RST_A : RST_B;
    f.tcpBits = bits;
    if (
      f.lruList === LIST_TCP_OPEN &&
      ((bits & (RST_A | RST_B)) !== 0 || (bits & (FIN_A | FIN_B)) === (FIN_A | FIN_B))
    ) {
      this.lruUnlink(f);
      this.lruPushHead(f, LIST_TCP_CLOSED);
    }
  }

  /** The packet's own payload (a UDP datagram, in-order TCP data) for the application layer: see payload(). */
  private packetPayload(f: Flow, fromA: boolean, pkt: DecodedPacket, len: number): void {
    if (f.app === APP_ATTACHED) {
      const meta = this.meta;
      meta.frame = pkt.frame;
      meta.ts = pkt.ts;
      try {
        f.analyzer!.onData(fromA === f.clientIsA ? Dir.ToServer : Dir.ToClient, pkt.l4Buf, pkt.payloadOff, len, meta);
      } catch (error) {
        this.analyzerFailed(f, error);
      }
    } else if (f.app === APP_PROBING) {
      this.probeData(f, fromA, pkt.l4Buf, pkt.payloadOff, len, pkt.frame, pkt.ts);
    }
  }

  /** Payload for the application layer: reassembled TCP bytes or a whole UDP datagram. */
  private payload(f: Flow, fromA: boolean, buf: Buffer, off: number, len: number, frame: number, ts: number): void {
    if (f.app === APP_ATTACHED) {
      const meta = this.meta;
      meta.frame = frame;
      meta.ts = ts;
      try {
        f.analyzer!.onData(fromA === f.clientIsA ? Dir.ToServer : Dir.ToClient, buf, off, len, meta);
      } catch (error) {
        this.analyzerFailed(f, error);
      }
    } else if (f.app === APP_PROBING) {
      this.probeData(f, fromA, buf, off, len, frame, ts);
    }
  }

  private probeData(f: Flow, fromA: boolean, buf: Buffer, off: number, len: number, frame: number, ts: number): void {
    const transport: AppTransport = f.proto === IpProto.TCP ? 'tcp' : 'udp';
    const dir = fromA === f.clientIsA ? Dir.ToServer : Dir.ToClient;
    let st = f.probe;
    if (st === null) {
      const hinted = this.dispatcher.firstChunk(transport, f, dir, buf, off, len);
      if (hinted !== CLAIM_UNDECIDED) {
        // Decided without probing state: nothing was kept, the whole chunk goes live.
        this.settleFirst(f, transport, hinted);
        if (f.app === APP_ATTACHED) this.payload(f, fromA, buf, off, len, frame, ts);
        return;
      }
      st = f.probe = this.dispatcher.startProbing(transport);
    }
    const decision = this.dispatcher.offer(transport, st, f, fromA, dir, buf, off, len, frame, ts);
    if (decision === CLAIM_UNDECIDED) return;
    const stored = st.lastStored;
    this.settle(f, st, decision);
    // What was not kept for replay goes live (zero-copy when the first chunk decided).
    if (stored < len && f.app === APP_ATTACHED) this.payload(f, fromA, buf, off + stored, len - stored, frame, ts);
  }

  /** A decision on the first chunk, made before any probing state (see Dispatcher.firstChunk). */
  private settleFirst(f: Flow, transport: AppTransport, decision: number): void {
    if (decision < 0) {
      this.analyzerCounterSink.addKey('dispatch.unclaimed', 1);
      this.detach(f, APP_UNCLAIMED);
      return;
    }
    this.claim(f, this.registry.specsFor(transport)[decision]!, 'probe', f.lastFrame, f.lastSeen);
  }

  /** Apply a dispatch decision: claim (create, announce, replay) or give up on the flow. */
  private settle(f: Flow, st: ProbeState, decision: number): void {
    if (decision === CLAIM_UNDECIDED) return;
    f.probe = null;
    const transport: AppTransport = f.proto === IpProto.TCP ? 'tcp' : 'udp';
    if (decision === CLAIM_NONE || decision < 0) {
      this.analyzerCounterSink.addKey('dispatch.unclaimed', 1);
      this.detach(f, APP_UNCLAIMED);
      this.dispatcher.release(transport, st);
      return;
    }
    const spec = st.specs[decision]!;
    const entries = st.entries;
    const first = entries.length > 0 ? entries[0]! : null;
    this.claim(f, spec, st.claimBy, first?.frame ?? f.lastFrame, first?.ts ?? f.lastSeen);
    const meta = this.meta;
    for (let i = 0; i < entries.length && f.app === APP_ATTACHED; i++) {
      const e = entries[i]!;
      const dir = e.fromA === f.clientIsA ? Dir.ToServer : Dir.ToClient;
      meta.frame = e.frame;
      meta.ts = e.ts;
      try {
        if (e.gap > 0) f.analyzer!.onGap(dir, e.gap, meta);
        else f.analyzer!.onData(dir, e.fromA ? st.bufA! : st.bufB!, e.start, e.len, meta);
      } catch (error) {
        this.analyzerFailed(f, error);
      }
    }
    this.dispatcher.release(transport, st);
  }

  private claim(f: Flow, spec: AnalyzerSpec, by: 'probe' | 'port', frame: number, ts: number): void {
    f.protocol = spec.name;
    f.claimedBy = by;
    f.visibility = by === 'probe' ? 'clear' : 'opaque';
    this.analyzerCounterSink.addKey(by === 'probe' ? 'dispatch.claimed-probe' : 'dispatch.claimed-port', 1);
    const endpointA = endpoint(f, true);
    const endpointB = endpoint(f, false);
    const c = f.clientIsA;
    this.sink.emit({
      type: 'protocol',
      protocol: spec.name,
      ts,
      frame,
      captureIndex: f.captureIndex,
      flowId: f.id,
      src: c ? endpointA : endpointB,
      dst: c ? endpointB : endpointA,
      visibility: f.visibility,
      by,
    });
    const ctx = new FlowContext(f, this.contextSharedOf(spec.name), endpointA, endpointB);
    try {
      f.analyzer = spec.create(ctx);
      f.app = APP_ATTACHED;
    } catch (error) {
      this.analyzerFailed(f, error);
    }
  }

  private contextSharedOf(protocol: ProtocolName): ProtocolContextShared {
    let shared = this.contextShared.get(protocol);
    if (shared === undefined) {
      shared = new ProtocolContextShared(protocol, this.analyzerCounterSink, this.sink, this.maxPendingTransactions, this.maxAnalyzerBufferBytes);
      this.contextShared.set(protocol, shared);
    }
    return shared;
  }

  /** An analyzer threw: a bug in it, never fatal to the engine. Count, report, and stop feeding it this flow. */
  private analyzerFailed(f: Flow, error: unknown): void {
    this.analyzerCounterSink.add(f.protocol, 'analyzer-error', 1);
    this.detach(f, APP_DETACHED);
    if (this.onAnalyzerError !== undefined) this.onAnalyzerError(f.protocol, error);
  }

  /** No analyzer from now on: drop reassembly state (a stream mid-callback finishes into a no-op). */
  private detach(f: Flow, state: number): void {
    f.app = state;
    f.analyzer = null;
    f.probe = null;
    f.streamA = null;
    f.streamB = null;
  }

  // ---- flow lifecycle

  private createFlow(
    pkt: DecodedPacket,
    hash: number,
    ipVersion: number,
    proto: number,
    sport: number,
    dport: number,
  ): Flow {
    if (this.flowCount >= this.maxFlows) this.evictOne();
    const f = new Flow();
    f.id = this.nextFlowId++;
    f.hash = hash;
    f.ipVersion = ipVersion === 6 ? 6 : 4;
    f.proto = proto;
    f.vlan = pkt.vlan;
    f.aPort = sport;
    f.bPort = dport;
    if (ipVersion === 4) {
      f.a4 = pkt.src4 | 0;
      f.b4 = pkt.dst4 | 0;
      f.ipA = ip4ToString(pkt.src4);
      f.ipB = ip4ToString(pkt.dst4);
    } else {
      f.v6 = new Ip6Pair(this.s0, this.s1, this.s2, this.s3, this.d0, this.d1, this.d2, this.d3);
      f.ipA = ip6ToString(pkt.l3Buf, pkt.src6Off);
      f.ipB = ip6ToString(pkt.l3Buf, pkt.dst6Off);
    }
    if (pkt.hasEth) {
      f.macA = pkt.srcMac;
      f.macB = pkt.dstMac; // until B sends a frame of its own
    }
    f.ttlA = pkt.ttl;
    f.captureIndex = this.captureIndex;
    f.firstSeen = pkt.ts;
    f.lastSeen = pkt.ts;
    f.firstFrame = pkt.frame;
    f.lastFrame = pkt.frame;
    this.chooseSides(f, pkt, proto, sport, dport);
    switch (proto) {
      case IpProto.TCP:
        f.protocol = 'tcp';
        if (!this.hasTcpSpecs) f.app = APP_UNCLAIMED;
        break;
      case IpProto.UDP:
        f.protocol = 'udp';
        if (!this.hasUdpSpecs) f.app = APP_UNCLAIMED;
        break;
      case IpProto.ICMP:
        f.protocol = 'icmp';
        f.app = APP_UNCLAIMED;
        break;
      case IpProto.ICMPV6:
        f.protocol = 'icmpv6';
        f.app = APP_UNCLAIMED;
        break;
      case IpProto.IGMP:
        f.protocol = 'igmp';
        f.app = APP_UNCLAIMED;
        break;
      default:
        f.protocol = 'ip';
        f.app = APP_UNCLAIMED;
    }
    if (this.flowCount >= this.buckets.length) this.growBuckets();
    const slot = hash & this.bucketMask;
    f.nextInBucket = this.buckets[slot];
    this.buckets[slot] = f;
    this.lruPushHead(f, proto === IpProto.TCP ? LIST_TCP_OPEN : LIST_OTHER);
    this.flowCount++;
    this.counters.flows++;
    return f;
  }

  /**
   * TCP: SYN sender is the client, SYN-ACK sender the server; otherwise (mid-stream) the side on a well-known
   * or analyzer-listed port is the server, else the lower port. UDP: the first sender is the client unless
   * only its source port looks like a server port. ICMP: echo replies come from the server.
   */
  private chooseSides(f: Flow, pkt: DecodedPacket, proto: number, sport: number, dport: number): void {
    if (proto === IpProto.TCP) {
      const flags = pkt.tcpFlags;
      if ((flags & SYN_ACK) === TcpFlag.SYN) {
        f.clientIsA = true;
        f.sidesGuessed = false;
      } else if ((flags & SYN_ACK) === SYN_ACK) {
        f.clientIsA = false;
        f.sidesGuessed = false;
      } else {
        f.clientIsA = this.destinationIsServer('tcp', sport, dport);
        f.sidesGuessed = true;
      }
    } else if (proto === IpProto.UDP) {
      const srcServer = this.looksLikeServerPort('udp', sport);
      const dstServer = this.looksLikeServerPort('udp', dport);
      if (dstServer && !srcServer) {
        f.clientIsA = true;
        f.sidesGuessed = false;
      } else {
        f.clientIsA = !(srcServer && !dstServer);
        f.sidesGuessed = true;
      }
    } else if (proto === IpProto.ICMP || proto === IpProto.ICMPV6) {
      const type = pkt.icmpType;
      const request = proto === IpProto.ICMP ? type === 8 || type === 13 : type === 128;
      const reply = proto === IpProto.ICMP ? type === 0 || type === 14 : type === 129;
      f.clientIsA = !reply;
      f.sidesGuessed = !request && !reply;
    } else {
      f.clientIsA = true;
      f.sidesGuessed = true;
    }
  }

  private looksLikeServerPort(transport: AppTransport, port: number): boolean {
    return (port > 0 && port < 1024) || this.registry.isServerPort(transport, port);
  }

  private destinationIsServer(transport: AppTransport, sport: number, dport: number): boolean {
    const srcServer = this.looksLikeServerPort(transport, sport);
    const dstServer = this.looksLikeServerPort(transport, dport);
    if (dstServer !== srcServer) return dstServer;
    return dport <= sport;
  }

  private evictOne(): void {
    // Finished TCP flows go first (they end as 'closed'); else the least recently active flow.
    const capKey = 'flow-table.max-flows';
    this.counters.capsHit[capKey] = (this.counters.capsHit[capKey] ?? 0) + 1;
    const closed = this.lruTail[LIST_TCP_CLOSED] ?? null;
    if (closed !== null) {
      this.endFlow(closed, 'closed');
      return;
    }
    const open = this.lruTail[LIST_TCP_OPEN] ?? null;
    const other = this.lruTail[LIST_OTHER] ?? null;
    const victim = open === null ? other : other === null ? open : open.lastSeen <= other.lastSeen ? open : other;
    if (victim === null) return;
    this.counters.flowsEvicted++;
    this.endFlow(victim, 'evicted');
  }

  private expireIdle(now: number): void {
    this.expireList(LIST_TCP_CLOSED, now - this.tcpClosedTimeoutSec, 'closed');
    this.expireList(LIST_TCP_OPEN, now - this.tcpIdleTimeoutSec, 'timeout');
    this.expireList(LIST_OTHER, now - this.udpIdleTimeoutSec, 'timeout');
  }

  private expireList(list: number, cutoff: number, reason: FlowEndReason): void {
    for (let f = this.lruTail[list] ?? null; f !== null && f.lastSeen <= cutoff; f = this.lruTail[list] ?? null) {
      if (reason === 'timeout') this.counters.flowsTimedOut++;
      this.endFlow(f, reason);
    }
  }

  private endFlow(f: Flow, reason: FlowEndReason): void {
    if (f.ended) return;
    const frame = f.lastFrame;
    const ts = f.lastSeen;
    // Deliver what reassembly still holds (holes become gaps), then decide a flow still being probed.
    if (f.app <= APP_ATTACHED && f.streamA !== null) f.streamA.flush(frame, ts);
    if (f.app <= APP_ATTACHED && f.streamB !== null) f.streamB.flush(frame, ts);
    if (f.app === APP_PROBING && f.probe !== null) this.settle(f, f.probe, this.dispatcher.finish(f.probe, f));
    if (f.app === APP_ATTACHED) {
      const meta = this.meta;
      meta.frame = frame;
      meta.ts = ts;
      try {
        f.analyzer!.onClose(meta);
      } catch (error) {
        this.analyzerFailed(f, error);
      }
    }
    f.ended = true;
    if (this.lastFlow === f) this.lastFlow = null;
    this.bucketRemove(f);
    this.lruUnlink(f);
    this.flowCount--;
    if (reason === 'closed') this.counters.flowsClosed++;
    const summary = summarize(f, reason);
    this.detach(f, f.app === APP_ATTACHED ? APP_DETACHED : f.app);
    this.onFlowEnd(summary);
  }

  private bucketRemove(f: Flow): void {
    const slot = f.hash & this.bucketMask;
    const head = this.buckets[slot];
    if (head === f) {
      this.buckets[slot] = f.nextInBucket;
    } else {
      let p = head;
      while (p !== undefined && p.nextInBucket !== f) p = p.nextInBucket;
      if (p !== undefined) p.nextInBucket = f.nextInBucket;
    }
    f.nextInBucket = undefined;
  }

  /** Double the bucket array (load factor <= 1), splitting each chain in order. */
  private growBuckets(): void {
    const old = this.buckets;
    const size = old.length;
    if (size >= MAX_BUCKETS) return;
    const grown = new Array<Flow | undefined>(size * 2).fill(undefined);
    const mask = size * 2 - 1;
    for (let i = 0; i < size; i++) {
      let tailLow: Flow | undefined;
      let tailHigh: Flow | undefined;
      for (let f = old[i]; f !== undefined; ) {
        const next = f.nextInBucket;
        f.nextInBucket = undefined;
        const slot = f.hash & mask;
        if (slot === i) {
          if (tailLow === undefined) grown[slot] = f;
          else tailLow.nextInBucket = f;
          tailLow = f;
        } else {
          if (tailHigh === undefined) grown[slot] = f;
          else tailHigh.nextInBucket = f;
          tailHigh = f;
        }
        f = next;
      }
    }
    this.buckets = grown;
    this.bucketMask = mask;
  }

  private lruUnlink(f: Flow): void {
    const list = f.lruList;
    const prev = f.lruPrev;
    const next = f.lruNext;
    if (prev !== null) prev.lruNext = next;
    else if (this.lruHead[list] === f) this.lruHead[list] = next;
    if (next !== null) next.lruPrev = prev;
    else if (this.lruTail[list] === f) this.lruTail[list] = prev;
    f.lruPrev = null;
    f.lruNext = null;
  }

  private lruPushHead(f: Flow, list: number): void {
    f.lruList = list;
    const head = this.lruHead[list] ?? null;
    f.lruPrev = null;
    f.lruNext = head;
    if (head !== null) head.lruPrev = f;
    else this.lruTail[list] = f;
    this.lruHead[list] = f;
  }
}

function payloadInBounds(pkt: DecodedPacket, len: number): boolean {
  const off = pkt.payloadOff;
  return off >= 0 && off + len <= pkt.l4Buf.length;
}

function macText(mac: number): string {
  return mac === 0 ? '' : macToString(mac);
}

function macTextOf(f: Flow, isA: boolean): string {
  if (isA) return f.macAText ?? (f.macAText = macText(f.macA));
  return f.macBText ?? (f.macBText = macText(f.macB));
}

function endpoint(f: Flow, isA: boolean): Endpoint {
  const ip = isA ? f.ipA : f.ipB;
  const port = isA ? f.aPort : f.bPort;
  // Built whole: adding `mac` to a two-field literal would allocate an out-of-object property store.
  return (isA ? f.macA : f.macB) !== 0 ? { ip, port, mac: macTextOf(f, isA) } : { ip, port };
}

function transportOf(proto: number): FlowTransport {
  if (proto === IpProto.TCP) return 'tcp';
  if (proto === IpProto.UDP) return 'udp';
  if (proto === IpProto.ICMP || proto === IpProto.ICMPV6) return 'icmp';
  return 'other';
}

function tcpStateOf(f: Flow): TcpFlowState {
  if (f.proto !== IpProto.TCP) return 'none';
  const bits = f.tcpBits;
  const clientSyn = f.clientIsA ? SYN_A : SYN_B;
  const serverSynAck = f.clientIsA ? SYNACK_B : SYNACK_A;
  const syn = (bits & (SYN_A | SYN_B)) !== 0;
  const synAck = (bits & (SYNACK_A | SYNACK_B)) !== 0;
  if ((bits & (RST_A | RST_B)) !== 0) return (bits & clientSyn) !== 0 && (bits & serverSynAck) === 0 ? 'rejected' : 'reset';
  if ((bits & (FIN_A | FIN_B)) === (FIN_A | FIN_B)) return 'closed';
  if (!syn && !synAck) return 'midstream';
  if (syn && !synAck) {
    const serverPackets = f.clientIsA ? f.packetsB : f.packetsA;
    return serverPackets === 0 ? 'syn-only' : 'established';
  }
  return 'established';
}

function summarize(f: Flow, reason: FlowEndReason): FlowSummary {
  const c = f.clientIsA;
  return {
    id: f.id,
    captureIndex: f.captureIndex,
    transport: transportOf(f.proto),
    ipProto: f.proto,
    ipVersion: f.ipVersion,
    vlan: f.vlan,
    clientIp: c ? f.ipA : f.ipB,
    serverIp: c ? f.ipB : f.ipA,
    clientPort: c ? f.aPort : f.bPort,
    serverPort: c ? f.bPort : f.aPort,
    clientMac: macTextOf(f, c),
    serverMac: macTextOf(f, !c),
    protocol: f.protocol,
    visibility: f.visibility,
    claimedBy: f.claimedBy,
    firstSeen: f.firstSeen,
    firstFrame: f.firstFrame,
    lastSeen: f.lastSeen,
    packetsToServer: c ? f.packetsA : f.packetsB,
    packetsToClient: c ? f.packetsB : f.packetsA,
    bytesToServer: c ? f.bytesA : f.bytesB,
    bytesToClient: c ? f.bytesB : f.bytesA,
    payloadToServer: c ? f.payloadA : f.payloadB,
    payloadToClient: c ? f.payloadB : f.payloadA,
    tcpState: tcpStateOf(f),
    sidesGuessed: f.sidesGuessed,
    clientTtl: c ? f.ttlA : f.ttlB,
    serverTtl: c ? f.ttlB : f.ttlA,
    endReason: reason,
  };
}

// ---- hashing: murmur3-style mixing, symmetric in the two endpoints (both directions hit one bucket)

const SEED = 0x9747b28c;

function mix(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

// The port seeds the endpoint's mixing and the two endpoint hashes are added (symmetric without ordering
// them): three mixing rounds per IPv4 packet instead of seven, the final avalanche step spreading the sum.

function endpointHash4(ip: number, port: number): number {
  return mix(SEED ^ port, ip);
}

function endpointHash6(w0: number, w1: number, w2: number, w3: number, port: number): number {
  return mix(mix(mix(mix(SEED ^ port, w0), w1), w2), w3);
}

function flowHash(h1: number, h2: number, proto: number, vlan: number): number {
  let h = mix(SEED ^ (proto | (vlan << 8)), (h1 + h2) | 0);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h & 0x3fffffff;
}
