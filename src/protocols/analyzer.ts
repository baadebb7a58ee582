/**
 * The application-layer analyzer contract (Suricata app-layer / Zeek analyzer style).
 *
 * - A protocol registers an AnalyzerSpec: a content probe and port hints.
 * - The dispatcher (src/decode/dispatch.ts) runs the probes of every spec on a new flow's first payload bytes,
 *   in each direction; a flow is claimed by content, ports only break ties or decide when a probe says
 *   'maybe'. HTTP on port 502 is not Modbus, Modbus on port 5020 is.
 * - The winning spec's `create` builds a per-flow analyzer. For TCP it receives the reassembled byte stream of
 *   each direction (in order, gaps signalled); for UDP each datagram.
 * - Analyzers keep per-direction parser state, pair requests with responses, cap pending transactions, tell
 *   incomplete input from malformed input and resync after garbage or gaps instead of giving up.
 */
import type { EventSink, ProtocolName } from '../events/types.js';

/** Direction of data relative to the flow's client (initiator). */
export const Dir = { ToServer: 0, ToClient: 1 } as const;
export type Dir = (typeof Dir)[keyof typeof Dir];

export const Probe = {
  /** Definitely not this protocol. */
  No: 0,
  /** Not enough bytes to tell yet; ask again with more. */
  NeedMore: 1,
  /** Plausible but weak (e.g. only a few header fields check out); ports decide among 'maybe's. */
  Maybe: 2,
  /** Strong content match. */
  Yes: 3,
} as const;
export type Probe = (typeof Probe)[keyof typeof Probe];

/** What a flow looks like to an analyzer: read-only identity of the two endpoints. */
export interface FlowInfo {
  readonly id: number;
  readonly transport: 'tcp' | 'udp';
  readonly clientIp: string;
  readonly serverIp: string;
  readonly clientPort: number;
  readonly serverPort: number;
  /** MACs as aa:bb:.. strings, '' when the link carried none */
  readonly clientMac: string;
  readonly serverMac: string;
  readonly vlan: number;
  /** True when the client/server sides were decided by a heuristic (no SYN seen); analyzers may swap them. */
  readonly sidesGuessed: boolean;
}

/** Per-packet context the analyzer needs to stamp events (frame number and time of the bytes' packet). */
export interface PacketMeta {
  frame: number;
  ts: number;
}

export interface AnalyzerContext {
  readonly flow: FlowInfo;
  readonly sink: EventSink;
  readonly captureIndex: number;
  /** Upper bound on requests awaiting a response; over it the oldest is completed as 'no-response' and counted. */
  readonly maxPendingTransactions: number;
  /** Upper bound on bytes an analyzer buffers per direction while waiting for a complete message. */
  readonly maxBufferBytes: number;
  /**
   * Analyzer-level counters (malformed, resyncs, cap hits) that end up in the report's stats.analyzers. A name
   * without a dot is prefixed with the protocol ("malformed" → "modbus.malformed"); a dotted one is kept.
   */
  count(counter: string, n?: number): void;
  /**
   * Ask the flow layer to swap client and server (when content shows the guessed sides were wrong, e.g. the
   * first bytes seen were a response). Only honoured while `flow.sidesGuessed` is true.
   */
  swapSides(): void;
  /**
   * Content confirmed the current sides (e.g. the client sent a request): stop treating them as guessed. For
   * UDP exchanges between equal ports (BACnet 47808↔47808) this is what turns "peer" into client/server.
   */
  confirmSides(): void;
  /**
   * The session turned out to be encrypted or otherwise unreadable (S7comm-plus over TLS, OPC UA
   * SignAndEncrypt): the flow is reported as the protocol, with `visibility: 'opaque'`. The analyzer also emits
   * one `protocol` event saying why.
   */
  markOpaque(): void;
}

export interface FlowAnalyzer {
  /**
   * Bytes for one direction. For TCP: the next contiguous bytes of the stream (buf[off..off+len), a view
   * valid only during the call; copy what must be kept). For UDP: one whole datagram.
   */
  onData(dir: Dir, buf: Buffer, off: number, len: number, meta: PacketMeta): void;
  /** TCP only: `bytes` of this direction were lost (capture drop / missing segment). The parser must resync. */
  onGap(dir: Dir, bytes: number, meta: PacketMeta): void;
  /** The flow ended (FIN/RST, idle timeout, eviction, end of capture): flush pending transactions. */
  onClose(meta: PacketMeta): void;
}

export interface AnalyzerSpec {
  name: ProtocolName;
  transports: ReadonlyArray<'tcp' | 'udp'>;
  /** Well-known server ports: a hint, never the sole proof (except where `portOnly` says so). */
  ports: readonly number[];
  /**
   * Content probe on the first bytes the flow carries in direction `dir` (data starts at buf[off]).
   * Must be pure, cheap and never throw.
   */
  probe(buf: Buffer, off: number, len: number, dir: Dir): Probe;
  create(ctx: AnalyzerContext): FlowAnalyzer;
  /**
   * Protocols whose content cannot be recognised (e.g. fully encrypted) may be claimed by port alone when no
   * probe matched; such flows are reported with `by: 'port'`.
   */
  portOnly?: boolean;
}
