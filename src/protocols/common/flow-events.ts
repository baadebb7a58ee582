/**
 * Event stamping for one flow, shared by the analyzers: the flow's two endpoints built once, the packet being
 * decoded (`meta`), operation skeletons with src = the sender of a direction, capped anomaly events, per-flow
 * de-duplicated and capped asset facts, and the once-per-flow "content is opaque" protocol event.
 *
 * Nothing here allocates per call beyond the event it emits: counter names are interned per protocol, and the
 * fact key string is only built for facts (rare, never per message).
 */
import type { ProtocolAnomalyEvent, Endpoint, EventSink, FactField, OperationEvent, OperationKind, OperationResult, OtEvent, ProtocolName } from '../../events/types.js';
import { Dir, type AnalyzerContext, type PacketMeta } from '../analyzer.js';
import { eventEndpointOf } from './endpoints.js';

/** FlowEvents' meta before the first packet: shared (analyzers replace `meta`, nobody writes into it). */
const NO_PACKET_YET: PacketMeta = { frame: 0, ts: 0 };

export type AnomalyKind = ProtocolAnomalyEvent['anomaly'];
export type Side = 'client' | 'server';

export interface FlowEventLimits {
  /** anomaly events emitted per flow; past it `anomaly()` still counts, but emits nothing */
  maxAnomalyEvents: number;
  /** distinct asset facts emitted per flow; past it new facts are dropped and counted `fact-cap` */
  maxFacts: number;
}

export const DEFAULT_FLOW_EVENT_LIMITS: Readonly<FlowEventLimits> = { maxAnomalyEvents: 50, maxFacts: 64 };
/** The cleartext IT session analyzers (FTP, SMTP, Telnet, VNC, RDP, SNMP, Syslog, NTP, Stratum, MQTT). */
export const IT_SESSION_LIMITS: Readonly<FlowEventLimits> = { maxAnomalyEvents: 32, maxFacts: 64 };

/**
 * How FlowEvents names its counters: 'qualified' = '<protocol>.gap', 'bare' = 'gap'. Both reach the same report
 * key (the flow layer prefixes a bare name with the flow's protocol); they differ only where a test's recording
 * context reads the counters as given, so each analyzer keeps the form it has always used.
 */
export type CounterNaming = 'qualified' | 'bare';

type CounterName = AnomalyKind | 'fact-cap';
const COUNTER_NAMES: readonly CounterName[] = ['malformed', 'gap', 'resync', 'transaction-cap', 'unexpected-response', 'buffer-cap', 'fact-cap'];
const BARE_COUNTERS = Object.fromEntries(COUNTER_NAMES.map((n) => [n, n])) as Readonly<Record<CounterName, string>>;
const qualifiedCounters = new Map<string, Readonly<Record<CounterName, string>>>();

/** The counter names for `protocol`, built once per protocol (no string per anomaly). */
function countersOf(protocol: string, naming: CounterNaming): Readonly<Record<CounterName, string>> {
  if (naming === 'bare') return BARE_COUNTERS;
  let names = qualifiedCounters.get(protocol);
  if (names === undefined) {
    const built = {} as Record<CounterName, string>;
    for (const n of COUNTER_NAMES) built[n] = `${protocol}.${n}`;
    qualifiedCounters.set(protocol, (names = built));
  }
  return names;
}

/**
 * Whether answered ('ok') operations are counted rather than emitted (EventSink.wantsOperation/countOperation),
 * remembered for the last protocol and kind asked: the sink's answer is fixed for a run, and a polling flow asks
 * about the same kind message after message (one string comparison instead of the sink's lookup).
 */
export class AnsweredCounting {
  private protocol: ProtocolName | null = null;
  private kind: OperationKind | null = null;
  private counted = false;

  counts(sink: EventSink, protocol: ProtocolName, kind: OperationKind): boolean {
    if (kind === this.kind && protocol === this.protocol) return this.counted;
    const counted = sink.countOperation !== undefined && !sink.wantsOperation!(protocol, kind, 'ok');
    this.protocol = protocol;
    this.kind = kind;
    this.counted = counted;
    return counted;
  }
}

export class FlowEvents {
  client: Endpoint;
  server: Endpoint;
  /** the packet whose bytes are being decoded: set it at the top of onData/onGap/onClose */
  meta: PacketMeta = NO_PACKET_YET;
  private anomalies = 0;
  /** keys of the facts emitted; made on the first fact (many flows never state one) */
  private factsSeen: Set<string> | null = null;
  private opaqueReported = false;
  /** made on the first answered operation (emitAnswered) */
  private answered: AnsweredCounting | null = null;
  private readonly counters: Readonly<Record<CounterName, string>>;

  constructor(
    readonly ctx: AnalyzerContext,
    readonly protocol: ProtocolName,
    private readonly limits: Readonly<FlowEventLimits> = DEFAULT_FLOW_EVENT_LIMITS,
    counterNaming: CounterNaming = 'qualified',
  ) {
    this.client = eventEndpointOf(ctx.flow, true);
    this.server = eventEndpointOf(ctx.flow, false);
    this.counters = countersOf(protocol, counterNaming);
  }

  /** After ctx.swapSides(): exchange the two endpoints locally (the analyzer's view of who is client follows). */
  swapped(): void {
    const c = this.client;
    this.client = this.server;
    this.server = c;
  }

  /** Re-read the endpoints from the flow (after the flow layer swapped its sides). */
  refreshEndpoints(): void {
    const flow = this.ctx.flow;
    this.client = eventEndpointOf(flow, true);
    this.server = eventEndpointOf(flow, false);
  }

  sender(dir: Dir): Endpoint {
    return dir === Dir.ToServer ? this.client : this.server;
  }

  receiver(dir: Dir): Endpoint {
    return dir === Dir.ToServer ? this.server : this.client;
  }

  /** A request sent in direction `dir` (src = its sender), stamped with the current packet. */
  operation(dir: Dir, kind: OperationKind, code: number, codeName: string, result: OperationResult = 'no-response'): OperationEvent {
    return {
      type: 'operation',
      protocol: this.protocol,
      ts: this.meta.ts,
      frame: this.meta.frame,
      captureIndex: this.ctx.captureIndex,
      flowId: this.ctx.flow.id,
      src: this.sender(dir),
      dst: this.receiver(dir),
      kind,
      code,
      codeName,
      result,
    };
  }

  emit(event: OtEvent): void {
    this.ctx.sink.emit(event);
  }

  /**
   * A final operation event: an answered one ('ok') is counted instead of emitted when nobody reads it
   * individually (docs/events.md "Counted, not emitted"), anything else is emitted.
   */
  emitAnswered(event: OperationEvent): void {
    const sink = this.ctx.sink;
    if (event.result === 'ok' && (this.answered ??= new AnsweredCounting()).counts(sink, event.protocol, event.kind)) {
      sink.countOperation!(event.captureIndex, event.flowId, event.protocol, event.kind, event.src, event.dst);
      return;
    }
    sink.emit(event);
  }

  /** Completes `event` with the response in the current packet. */
  complete(event: OperationEvent, ok: boolean, exceptionCode?: number, exceptionName?: string): void {
    event.responseFrame = this.meta.frame;
    event.result = ok ? 'ok' : 'exception';
    if (!ok && exceptionCode !== undefined) event.exceptionCode = exceptionCode;
    if (!ok && exceptionName !== undefined) event.exceptionName = exceptionName;
  }

  /** Counts the anomaly (see CounterNaming) and emits an anomaly event for the first `maxAnomalyEvents` of the flow. */
  anomaly(dir: Dir, anomaly: AnomalyKind, detail: string): void {
    this.ctx.count(this.counters[anomaly]);
    this.anomalyEvent(dir, anomaly, detail);
  }

  /** The anomaly event alone (capped, not counted): for callers that count under another name, or not at all. */
  anomalyEvent(dir: Dir, anomaly: AnomalyKind, detail: string): void {
    if (this.anomalies >= this.limits.maxAnomalyEvents) return;
    this.anomalies++;
    this.ctx.sink.emit({
      type: 'anomaly',
      protocol: this.protocol,
      ts: this.meta.ts,
      frame: this.meta.frame,
      captureIndex: this.ctx.captureIndex,
      flowId: this.ctx.flow.id,
      src: this.sender(dir),
      dst: this.receiver(dir),
      anomaly,
      detail,
    });
  }

  /**
   * A fact about `about` — the flow's 'client' or 'server', or any endpoint — keyed by its IP (its MAC goes
   * along when known). Repeats are dropped; past `maxFacts` distinct ones, new facts are dropped and counted.
   */
  fact(about: Side | Endpoint, field: FactField, value: string, confidence: number): void {
    if (value === '') return;
    const ep = about === 'client' ? this.client : about === 'server' ? this.server : about;
    const key = `${ep.ip}|${field}|${value}`;
    const seen = (this.factsSeen ??= new Set());
    if (seen.has(key)) return;
    if (seen.size >= this.limits.maxFacts) {
      this.ctx.count(this.counters['fact-cap']);
      return;
    }
    seen.add(key);
    this.ctx.sink.emit({
      type: 'asset-fact',
      protocol: this.protocol,
      ts: this.meta.ts,
      frame: this.meta.frame,
      captureIndex: this.ctx.captureIndex,
      subject: ep.mac ? { ip: ep.ip, mac: ep.mac } : { ip: ep.ip },
      field,
      value,
      confidence,
    });
  }

  /**
   * Once per flow: the rest of the session is encrypted or otherwise unreadable (STARTTLS, RDP with TLS, OPC UA
   * SignAndEncrypt). The flow is marked opaque and one protocol event says why.
   */
  opaque(detail: string): void {
    if (this.opaqueReported) return;
    this.opaqueReported = true;
    this.ctx.sink.emit({
      type: 'protocol',
      protocol: this.protocol,
      ts: this.meta.ts,
      frame: this.meta.frame,
      captureIndex: this.ctx.captureIndex,
      flowId: this.ctx.flow.id,
      src: this.client,
      dst: this.server,
      visibility: 'opaque',
      by: 'probe',
      detail,
    });
    this.ctx.markOpaque();
  }
}
