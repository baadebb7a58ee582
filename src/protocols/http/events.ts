/**
 * Event stamping shared by the web and secure-channel analyzers (HTTP, TLS, SSH): the two endpoints of a flow
 * indexed by the byte stream they send, per-flow de-duplicated and capped asset facts, and capped anomalies.
 *
 * Streams are indexed by who sends them as first seen by the analyzer (0 = the flow's client at creation). When
 * content proves the guessed sides wrong, the analyzer calls `swapSides()`: from then on the flow layer labels
 * the other stream ToServer, so `stream(dir)` maps the call's direction back to the same stream index.
 */
import type { Endpoint, FactField, ProtocolName } from '../../events/types.js';
import type { AnalyzerContext, Dir, PacketMeta } from '../analyzer.js';
import { flowEndpoints } from '../common/endpoints.js';

export type AnomalyKind = 'malformed' | 'gap' | 'resync' | 'transaction-cap' | 'unexpected-response' | 'buffer-cap';

export interface EmitterLimits {
  /** distinct asset facts per flow; over it facts are dropped and counted */
  maxFacts: number;
  /** anomaly events per flow; every anomaly is still counted */
  maxAnomalyEvents: number;
}

export class FlowEmitter {
  /** sender endpoint of each stream (0 = the flow's client when the analyzer was created) */
  readonly senders: [Endpoint, Endpoint];
  meta: PacketMeta = { frame: 0, ts: 0 };
  private flip = 0;
  private sidesSettled = false;
  private readonly facts = new Set<string>();
  private anomalies = 0;

  constructor(
    readonly ctx: AnalyzerContext,
    private readonly protocol: ProtocolName,
    private readonly limits: EmitterLimits,
  ) {
    const { client, server } = flowEndpoints(ctx.flow);
    this.senders = [client, server];
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

  fact(about: Endpoint, field: FactField, value: string, confidence: number): void {
    if (value === '') return;
    const key = `${about.ip}\u0000${field}\u0000${value}`;
    if (this.facts.has(key)) return;
    if (this.facts.size >= this.limits.maxFacts) {
      this.ctx.count('fact-cap');
      return;
    }
    this.facts.add(key);
    this.ctx.sink.emit({
      type: 'asset-fact',
      protocol: this.protocol,
      ts: this.meta.ts,
      frame: this.meta.frame,
      captureIndex: this.ctx.captureIndex,
      subject: about.mac ? { ip: about.ip, mac: about.mac } : { ip: about.ip },
      field,
      value,
      confidence,
    });
  }

  /** Counts `<protocol>.<anomaly>` and emits an event for the first few. */
  anomaly(s: 0 | 1, anomaly: AnomalyKind, detail: string): void {
    this.ctx.count(anomaly);
    if (this.anomalies >= this.limits.maxAnomalyEvents) return;
    this.anomalies++;
    this.ctx.sink.emit({
      type: 'anomaly',
      protocol: this.protocol,
      ts: this.meta.ts,
      frame: this.meta.frame,
      captureIndex: this.ctx.captureIndex,
      flowId: this.ctx.flow.id,
      src: this.senders[s],
      dst: this.senders[s ^ 1]!,
      anomaly,
      detail,
    });
  }
}

/** Printable, bounded copy of a protocol string for events (control characters become '?'). */
export function clean(value: string, maxChars: number): string {
  let v = value.length > maxChars ? value.slice(0, maxChars) : value;
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(v)) v = v.replace(/[\x00-\x1f\x7f]/g, '?');
  return v.trim();
}
