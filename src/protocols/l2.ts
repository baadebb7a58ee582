/**
 * Analyzers for protocols that ride directly on Ethernet (PROFINET DCP/RT, LLDP, GOOSE, ...) or on ARP.
 * They see the decoded frame (EtherType, MACs and the L2 payload offsets into pkt.raw), not a flow.
 */
import type { DecodedPacket } from '../decode/packet.js';
import type { EventSink, ProtocolName } from '../events/types.js';

export interface L2Context {
  readonly sink: EventSink;
  readonly captureIndex: number;
  count(counter: string, n?: number): void;
}

export interface L2Analyzer {
  readonly name: ProtocolName;
  /** EtherTypes this analyzer handles (LLC frames use `llcDsaps`). */
  readonly etherTypes: readonly number[];
  readonly llcDsaps?: readonly number[];
  /** Called for every matching frame; pkt is valid only during the call. Must never throw. */
  onFrame(pkt: DecodedPacket, ctx: L2Context): void;
  /** End of one capture file: complete pending exchanges and emit per-capture summaries. */
  onCaptureEnd?(ctx: L2Context): void;
}
