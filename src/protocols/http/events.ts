/**
 * Event stamping for the web and secure-channel analyzers (HTTP, TLS, SSH): common/flow-events.ts plus the
 * two byte streams of a flow indexed by who sends them as first seen by the analyzer (0 = the flow's client at
 * creation).
 *
 * When content proves the guessed sides wrong, the analyzer calls `settleSides()`: from then on the flow layer
 * labels the other stream ToServer, so `stream(dir)` maps the call's direction back to the same stream index.
 * The endpoints themselves never move: `anomaly(s, …)` and `senders[s]` take a stream index.
 */
import type { Endpoint, ProtocolName } from '../../events/types.js';
import type { AnalyzerContext, Dir } from '../analyzer.js';
import { FlowEvents, type FlowEventLimits } from '../common/flow-events.js';

export class FlowEmitter extends FlowEvents {
  /** sender endpoint of each stream (0 = the flow's client when the analyzer was created) */
  readonly senders: [Endpoint, Endpoint];
  private flip = 0;
  private sidesSettled = false;

  constructor(ctx: AnalyzerContext, protocol: ProtocolName, limits: FlowEventLimits) {
    super(ctx, protocol, limits, 'bare');
    this.senders = [this.client, this.server];
  }

  /** Stream index of bytes delivered with direction `dir`. */
  stream(dir: Dir): 0 | 1 {
    return ((dir ^ this.flip) & 1) as 0 | 1;
  }

  /**
   * Content showed that stream `s` is sent by the client (`isClient`) or by the server. The first such proof
   * settles a guessed flow: confirm it, or swap the sides when it contradicts the guess.
   */
  settleSides(s: 0 | 1, isClient: boolean): void {
    if (this.sidesSettled) return;
    this.sidesSettled = true;
    if (!this.ctx.flow.sidesGuessed) return;
    const clientStream = this.flip === 0 ? 0 : 1;
    if ((s === clientStream) === isClient) {
      this.ctx.confirmSides();
      return;
    }
    this.ctx.swapSides();
    this.flip ^= 1;
    this.ctx.count('sides-swapped');
  }

  /** Which stream the (possibly swapped) flow now calls the client's. */
  get clientStream(): 0 | 1 {
    return this.flip === 0 ? 0 : 1;
  }
}

/** Printable, bounded copy of a protocol string for events (control characters become '?'). */
export function clean(value: string, maxChars: number): string {
  let v = value.length > maxChars ? value.slice(0, maxChars) : value;
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(v)) v = v.replace(/[\x00-\x1f\x7f]/g, '?');
  return v.trim();
}
