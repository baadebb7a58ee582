/**
 * Application-protocol dispatch: which analyzer, if any, gets a flow.
 *
 * Content decides, ports only break ties: every registered probe of the flow's transport looks at the first
 * payload bytes of each direction (TCP: the accumulated first bytes of that direction; UDP: each datagram).
 *   1. any probe saying Yes wins (several: the one listing the flow's port, else the first registered);
 *   2. otherwise, once the evidence is complete (both directions probed and no probe waiting for more bytes, or a
 *      probe limit reached, or the flow ends), a Maybe whose spec lists the server port wins;
 *   3. otherwise a `portOnly` spec listing the server port claims it by port (reported as opaque);
 *   4. otherwise the flow is unclaimed and never probed again.
 * Bytes seen while probing are kept (bounded) and replayed to the winner before live data.
 */
import { Probe, type AnalyzerSpec, type Dir } from '../protocols/analyzer.js';

export type AppTransport = 'tcp' | 'udp';

const NO_SPECS: readonly AnalyzerSpec[] = [];

export class AnalyzerRegistry {
  private readonly all: AnalyzerSpec[] = [];
  private readonly tcpSpecs: AnalyzerSpec[] = [];
  private readonly udpSpecs: AnalyzerSpec[] = [];
  private readonly tcpPortHints = new Map<number, AnalyzerSpec[]>();
  private readonly udpPortHints = new Map<number, AnalyzerSpec[]>();
  /** 1 where some spec lists the port: a cheap per-flow lookup for the client/server heuristic */
  private readonly tcpServerPorts = new Uint8Array(65536);
  private readonly udpServerPorts = new Uint8Array(65536);

  /** Register once, before traffic flows (flows probing at that moment keep the spec list they started with). */
  register(spec: AnalyzerSpec): void {
    if (this.all.includes(spec)) return;
    for (const port of spec.ports) {
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        throw new RangeError(`analyzer ${spec.name}: bad port ${port}`);
      }
    }
    this.all.push(spec);
    for (const transport of new Set(spec.transports)) {
      const tcp = transport === 'tcp';
      (tcp ? this.tcpSpecs : this.udpSpecs).push(spec);
      const hints = tcp ? this.tcpPortHints : this.udpPortHints;
      const bitmap = tcp ? this.tcpServerPorts : this.udpServerPorts;
      for (const port of spec.ports) {
        bitmap[port] = 1;
        let list = hints.get(port);
        if (list === undefined) hints.set(port, (list = []));
        if (!list.includes(spec)) list.push(spec);
      }
    }
  }

  get specs(): readonly AnalyzerSpec[] {
    return this.all;
  }

  specsFor(transport: AppTransport): readonly AnalyzerSpec[] {
    return transport === 'tcp' ? this.tcpSpecs : this.udpSpecs;
  }

  /** Specs listing `port` for `transport`, in registration order. */
  portHint(transport: AppTransport, port: number): readonly AnalyzerSpec[] {
    return (transport === 'tcp' ? this.tcpPortHints : this.udpPortHints).get(port) ?? NO_SPECS;
  }

  /** Does some registered spec list `port` as a server port? */
  isServerPort(transport: AppTransport, port: number): boolean {
    return (transport === 'tcp' ? this.tcpServerPorts : this.udpServerPorts)[port & 0xffff] === 1;
  }
}

/** Decision codes besides a spec index (>= 0). */
export const CLAIM_UNDECIDED = -1;
export const CLAIM_NONE = -2;

export interface ProbeEntry {
  /** sent by the flow's A endpoint (first sender); directions are resolved at replay time (sides may swap) */
  readonly fromA: boolean;
  /** data: range in the sender's probe buffer */
  readonly start: number;
  readonly len: number;
  /** > 0: a gap of this many bytes instead of data */
  readonly gap: number;
  readonly frame: number;
  readonly ts: number;
}

/**
 * Per-flow probing state; exists only until the flow is decided, then goes back to the dispatcher's pool
 * (most flows never need one: the port-hinted probe decides their first chunk).
 */
export class ProbeState {
  /** probe result per (spec, dir): index spec * 2 + dir. TCP: latest; UDP: best over datagrams. */
  readonly results: Uint8Array;
  /** per direction: has the probe run at least once */
  readonly probed = new Uint8Array(2);
  /** first bytes sent by A / by B, in arrival order (allocated on first need, maxProbeBytes each) */
  bufA: Buffer | null = null;
  bufB: Buffer | null = null;
  usedA = 0;
  usedB = 0;
  /** where the bytes being probed start in bufA/bufB (after a gap, probing restarts on the bytes after it) */
  startA = 0;
  startB = 0;
  /** payload chunks (TCP segments after reassembly, UDP datagrams) offered so far */
  chunks = 0;
  readonly entries: ProbeEntry[] = [];
  /** set with a positive decision */
  claimBy: 'probe' | 'port' = 'probe';
  /** bytes of the last offered chunk that were stored in an entry (the rest must be delivered live) */
  lastStored = 0;

  constructor(readonly specs: readonly AnalyzerSpec[]) {
    this.results = new Uint8Array(specs.length * 2);
  }

  /** Back to the state of a new flow. The probe buffers are dropped, not reused: analyzers saw views of them. */
  reset(): void {
    this.results.fill(Probe.No);
    this.probed[0] = 0;
    this.probed[1] = 0;
    this.bufA = null;
    this.bufB = null;
    this.usedA = 0;
    this.usedB = 0;
    this.startA = 0;
    this.startB = 0;
    this.chunks = 0;
    this.entries.length = 0;
    this.claimBy = 'probe';
    this.lastStored = 0;
  }
}

/** Free probing states kept per transport for reuse (beyond it, released states are left to the GC). */
const PROBE_STATE_POOL = 64;

/** hintResults entry of a spec firstChunk() did not run (not a Probe value) */
const NOT_HINTED = 255;

export interface DispatchLimits {
  /** first bytes kept per direction while probing (TCP) / datagram bytes kept per direction (UDP) */
  maxProbeBytes: number;
  /** TCP payload segments (both directions) probed before deciding with what is known */
  maxProbeSegments: number;
  /** UDP datagrams (both directions) probed before deciding */
  maxProbeDatagrams: number;
}

/** The flow facts the decision needs. */
export interface ProbeFlowView {
  readonly serverPort: number;
  readonly clientPort: number;
  readonly sidesGuessed: boolean;
}

export class Dispatcher {
  private readonly tcpPool: ProbeState[] = [];
  private readonly udpPool: ProbeState[] = [];
  /** results of the last firstChunk() round per spec (Probe values; NOT_HINTED where the spec was not run) */
  private hintResults = new Uint8Array(0);
  private hintDir: Dir = 0;

  constructor(
    readonly registry: AnalyzerRegistry,
    private readonly limits: DispatchLimits,
    private readonly countError: (specName: string) => void,
  ) {}

  /**
   * A flow's first payload chunk, before any probing state exists. Most flows are what their port says: when
   * a port-hinted probe says Yes, that is the decision the full round would reach (the first port-matching Yes
   * wins), without the other probes and without state. Returns that spec index into specsFor(transport),
   * CLAIM_NONE when the transport has no analyzers, else CLAIM_UNDECIDED: then call startProbing() at once
   * and offer() the same chunk to the state it returns (the port-hinted results are carried over).
   */
  firstChunk(transport: AppTransport, flow: ProbeFlowView, dir: Dir, buf: Buffer, off: number, len: number): number {
    const specs = this.registry.specsFor(transport);
    if (specs.length === 0) return CLAIM_NONE;
    if (this.hintResults.length < specs.length) this.hintResults = new Uint8Array(specs.length);
    const results = this.hintResults;
    const datagram = transport !== 'tcp';
    for (let i = 0; i < specs.length; i++) {
      const spec = specs[i]!;
      if (!portMatches(spec, flow)) {
        results[i] = NOT_HINTED;
        continue;
      }
      const r = this.probeOne(spec, buf, off, len, dir, datagram);
      if (r === Probe.Yes) return i;
      results[i] = r;
    }
    this.hintDir = dir;
    return CLAIM_UNDECIDED;
  }

  /** The probing state of a flow whose first chunk firstChunk() left undecided (pooled; see release()). */
  startProbing(transport: AppTransport): ProbeState {
    const pool = transport === 'tcp' ? this.tcpPool : this.udpPool;
    const st = pool.pop() ?? new ProbeState(this.registry.specsFor(transport));
    const hints = this.hintResults;
    const dir = this.hintDir;
    for (let i = 0; i < st.specs.length; i++) if (hints[i] !== NOT_HINTED) st.results[i * 2 + dir] = hints[i]!;
    return st;
  }

  /** The flow was decided (or ended): its state may serve another flow. */
  release(transport: AppTransport, st: ProbeState): void {
    const pool = transport === 'tcp' ? this.tcpPool : this.udpPool;
    // A spec registered meanwhile makes the results array too short for new flows: such a state is dropped.
    if (pool.length >= PROBE_STATE_POOL || st.results.length !== this.registry.specsFor(transport).length * 2) return;
    st.reset();
    pool.push(st);
  }

  /**
   * Offer one payload chunk of a flow still being probed. Returns a spec index into `st.specs`, CLAIM_NONE, or
   * CLAIM_UNDECIDED. `st.lastStored` tells how much of the chunk was kept for replay.
   */
  offer(
    transport: AppTransport,
    st: ProbeState,
    flow: ProbeFlowView,
    fromA: boolean,
    dir: Dir,
    buf: Buffer,
    off: number,
    len: number,
    frame: number,
    ts: number,
  ): number {
    st.chunks++;
    st.lastStored = 0;
    if (st.specs.length === 0) return CLAIM_NONE;
    const tcp = transport === 'tcp';
    const prefilled = st.chunks === 1 ? flow : null;
    let stored = 0;
    let alreadyStored = false;
    const used = fromA ? st.usedA : st.usedB;
    const start = fromA ? st.startA : st.startB;
    if (tcp && used > start) {
      // Probe the direction's first bytes as one contiguous run.
      stored = this.store(st, fromA, buf, off, len, frame, ts, false);
      alreadyStored = true;
      this.runProbes(st, dir, fromA ? st.bufA! : st.bufB!, start, used + stored - start, false, null);
    } else {
      this.runProbes(st, dir, buf, off, len, !tcp, prefilled);
    }
    let decision = this.decide(st, flow, false);
    if (decision === CLAIM_UNDECIDED) {
      if (!alreadyStored) stored = this.store(st, fromA, buf, off, len, frame, ts, !tcp);
      const maxChunks = tcp ? this.limits.maxProbeSegments : this.limits.maxProbeDatagrams;
      if (stored < len || st.chunks >= maxChunks) decision = this.decide(st, flow, true);
    }
    st.lastStored = stored;
    return decision;
  }

  /**
   * A gap in direction `dir` while probing: the bytes after it do not continue the ones before, so that
   * direction's probes start over on what follows (the gap itself is replayed in order to the winner).
   */
  gap(
    st: ProbeState,
    flow: ProbeFlowView,
    fromA: boolean,
    dir: Dir,
    bytes: number,
    frame: number,
    ts: number,
  ): number {
    st.chunks++;
    st.entries.push({ fromA, start: 0, len: 0, gap: bytes, frame, ts });
    if (fromA) st.startA = st.usedA;
    else st.startB = st.usedB;
    for (let i = dir; i < st.results.length; i += 2) if (st.results[i] !== Probe.Yes) st.results[i] = Probe.No;
    st.probed[dir] = 0;
    return this.decide(st, flow, st.chunks >= this.limits.maxProbeSegments);
  }

  /** Decide with the evidence so far (flow end, limits). Never returns CLAIM_UNDECIDED. */
  finish(st: ProbeState, flow: ProbeFlowView): number {
    return this.decide(st, flow, true);
  }

  private store(
    st: ProbeState,
    fromA: boolean,
    buf: Buffer,
    off: number,
    len: number,
    frame: number,
    ts: number,
    whole: boolean,
  ): number {
    const cap = this.limits.maxProbeBytes;
    const used = fromA ? st.usedA : st.usedB;
    let n = Math.min(len, cap - used);
    if (whole && n < len) n = 0; // a datagram is replayed whole or not at all
    if (n <= 0) return 0;
    let target = fromA ? st.bufA : st.bufB;
    if (target === null) {
      target = Buffer.allocUnsafe(cap);
      if (fromA) st.bufA = target;
      else st.bufB = target;
    }
    buf.copy(target, used, off, off + n);
    st.entries.push({ fromA, start: used, len: n, gap: 0, frame, ts });
    if (fromA) st.usedA = used + n;
    else st.usedB = used + n;
    return n;
  }

  /** One probe call, normalised (a throw counts and is a No; NeedMore on a datagram is a No). */
  private probeOne(spec: AnalyzerSpec, buf: Buffer, off: number, len: number, dir: Dir, datagram: boolean): number {
    let r: number;
    try {
      r = spec.probe(buf, off, len, dir);
    } catch {
      // Probes must not throw; one that does is treated as a No for this input and counted.
      this.countError(spec.name);
      return Probe.No;
    }
    if (r !== Probe.Yes && r !== Probe.Maybe && r !== Probe.NeedMore) return Probe.No;
    if (datagram && r === Probe.NeedMore) return Probe.No; // a datagram is all there is
    return r;
  }

  /** `prefilled`: the flow whose port-matching specs firstChunk() already probed on this chunk. */
  private runProbes(
    st: ProbeState,
    dir: Dir,
    buf: Buffer,
    off: number,
    len: number,
    datagram: boolean,
    prefilled: ProbeFlowView | null,
  ): void {
    const specs = st.specs;
    const results = st.results;
    const probedBefore = st.probed[dir] === 1;
    st.probed[dir] = 1;
    for (let i = 0; i < specs.length; i++) {
      const k = i * 2 + dir;
      const previous = results[k]!;
      // No and Yes are final for a TCP direction: more bytes of the same stream will not change them.
      if (!datagram && probedBefore && (previous === Probe.No || previous === Probe.Yes)) continue;
      const spec = specs[i]!;
      if (prefilled !== null && portMatches(spec, prefilled)) continue;
      const r = this.probeOne(spec, buf, off, len, dir, datagram);
      if (datagram) {
        if (r > previous) results[k] = r;
      } else {
        results[k] = r;
      }
    }
  }

  private decide(st: ProbeState, flow: ProbeFlowView, final: boolean): number {
    const specs = st.specs;
    const results = st.results;
    let yes = -1;
    let pending = false;
    for (let i = 0; i < specs.length; i++) {
      const toServer = results[i * 2]!;
      const toClient = results[i * 2 + 1]!;
      if (toServer === Probe.Yes || toClient === Probe.Yes) {
        if (yes < 0 || (!portMatches(specs[yes]!, flow) && portMatches(specs[i]!, flow))) yes = i;
      } else if (toServer === Probe.NeedMore || toClient === Probe.NeedMore) {
        pending = true;
      }
    }
    if (yes >= 0) {
      st.claimBy = 'probe';
      return yes;
    }
    if (!final && (pending || st.probed[0] === 0 || st.probed[1] === 0)) return CLAIM_UNDECIDED;
    for (let i = 0; i < specs.length; i++) {
      if ((results[i * 2] === Probe.Maybe || results[i * 2 + 1] === Probe.Maybe) && portMatches(specs[i]!, flow)) {
        st.claimBy = 'probe';
        return i;
      }
    }
    for (let i = 0; i < specs.length; i++) {
      if (specs[i]!.portOnly === true && portMatches(specs[i]!, flow)) {
        st.claimBy = 'port';
        return i;
      }
    }
    return CLAIM_NONE;
  }
}

/** The server port; while sides are only guessed, the client port counts too (the guess may be wrong). */
function portMatches(spec: AnalyzerSpec, flow: ProbeFlowView): boolean {
  return spec.ports.includes(flow.serverPort) || (flow.sidesGuessed && spec.ports.includes(flow.clientPort));
}
