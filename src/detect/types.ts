/**
 * Detection contracts. A rule is a small stateful module that subscribes to the event kinds it needs, records
 * hits into aggregated alert drafts (one per rule and aggregation key), and may run a post-pass over the model in
 * `finish`. The engine (engine.ts) dispatches, bounds the evidence and turns drafts into AlertReport objects.
 */
import type {
  AssetFactEvent, Endpoint, FactField, OperationEvent, OperationKind, OperationResult, OtEvent, ProtocolAnomalyEvent,
  ProtocolDetectedEvent, ProtocolName,
} from '../events/types.js';
import type { AlertCategory, AlertEvidence, AlertSeverity, AssetReport, CommunicationReport } from '../report/types.js';
import type { ModelView } from './model.js';
import type { Baseline, BaselineCaps, BaselineData } from './baseline.js';

/**
 * The flow-summary fields detection reads (src/decode/flow-types.ts FlowSummary satisfies it). Optional fields
 * are treated as unknown, never as zero.
 */
export interface FlowLike {
  clientIp: string;
  serverIp: string;
  serverPort: number;
  clientPort?: number;
  transport: string;
  protocol: string;
  tcpState?: string;
  firstSeen: number;
  firstFrame?: number;
  lastSeen?: number;
  packetsToServer?: number;
  packetsToClient?: number;
  payloadToServer?: number;
  payloadToClient?: number;
  clientMac?: string;
  serverMac?: string;
  captureIndex?: number;
}

export interface DetectionModel {
  assets: AssetReport[];
  communications: CommunicationReport[];
}

/** User-supplied indicators of compromise (known bad infrastructure). Matching is exact, domains also by suffix. */
export interface IndicatorList {
  ips?: string[];
  domains?: string[];
  ja4?: string[];
  /** shown in the alert, e.g. "abuse.ch feodo 2026-03-01" */
  source?: string;
}

/** Address plan: the zones file. Subnets in CIDR; levels are Purdue levels (3.5 for the DMZ). */
export interface ZoneDef {
  name: string;
  cidrs: string[];
  purdueLevel: number;
}
export interface ConduitDef {
  from: string;
  to: string;
  /** absent = any protocol */
  protocol?: string;
  /** absent or 0 = any port */
  port?: number;
}

export interface DetectorOptions {
  /** rule ids (or prefixes ending in '.', e.g. "ot.") to run; default all */
  rules?: string[];
  indicators?: IndicatorList;
  zones?: ZoneDef[];
  /**
   * Hosts approved for engineering (program, mode, firmware, restart): operations from them are "trusted".
   * Inferred roles are not used for this, since the inventory infers "engineering workstation" from the very
   * operations these rules report.
   */
  engineeringHosts?: string[];
  /** when given, IT/OT traffic between zones must match one (see net.it-ot-bypass) */
  conduits?: ConduitDef[];
  /** evidence entries kept per alert (default 10) */
  maxEvidence?: number;
  /** alert drafts per rule (default 5000); further keys are dropped and counted */
  maxAlertsPerRule?: number;
  /** alerts below this severity are not reported (default 'info': everything) */
  minSeverity?: AlertSeverity;
  /** per-rule tuning, by rule id: { 'net.scan': { horizontalHosts: 32 } } */
  tuning?: Record<string, Record<string, number>>;
  /**
   * A learned baseline (docs/detection.md "Learning"): the learn.* deviation rules run against it, and OT
   * operations it holds from the same source are treated as expected. A Baseline object is extended in place
   * when learning.
   */
  baseline?: Baseline | BaselineData;
  /** Learning mode: learn the whole input (no deviation checks), or only its first `windowSec` then check the rest. */
  learn?: LearnOptions;
}

export interface LearnOptions {
  /** learn the first windowSec seconds of traffic (from the first packet time seen), check the rest; absent = learn all */
  windowSec?: number;
  /** receives the learned baseline (merged with `baseline` when one was given) in Detector.finish() */
  onBaseline?: (baseline: BaselineData, counters: Record<string, number>) => void;
  caps?: BaselineCaps;
}

/** What the rules record: the aggregated alert before the model post-pass. */
export interface AlertDraft {
  readonly ruleId: string;
  readonly key: string;
  srcIp: string | null;
  srcMac: string | null;
  dstIp: string | null;
  dstMac: string | null;
  first: number;
  last: number;
  count: number;
  evidence: AlertEvidence[];
  evidenceOmitted: number;
  /** set by rules while recording or in assess(); the meta severity until then */
  severity: AlertSeverity;
  details: Record<string, string | number | boolean>;
  /** extra sentences appended to the explanation (why this severity, what was linked) */
  notes: string[];
  /** report the source without an address when srcIp is null (instead of the asset's first address) */
  srcIpUnknown?: boolean;
  /** rule-private aggregation state (never reported) */
  state?: unknown;
}

/** Evidence given to a hit: an event (frame-level) or a flow (flow-level). */
export type EvidenceSource = OtEvent | FlowLike;

export interface HitRecorder {
  /**
   * Records one occurrence under `key` (rule-scoped) and returns the draft. `src`/`dst` are taken from the
   * first occurrence. Returns null when the per-rule draft cap is reached (counted).
   */
  hit(key: string, ts: number, src: PartyRef | null, dst: PartyRef | null, evidence: EvidenceSource | null, file: string): AlertDraft | null;
  /**
   * One more occurrence on a draft hit() returned: what hit() does for an existing key, without the key lookup
   * and the parties (for rules that hit once per flow and keep the draft of the last key).
   */
  again(draft: AlertDraft, ts: number, evidence: EvidenceSource | null, file: string): AlertDraft;
  /** The draft for `key`, if any (for rules that add to an alert without counting an occurrence). */
  get(key: string): AlertDraft | undefined;
  /** Every draft of the rule (for post-passes). */
  drafts(): IterableIterator<AlertDraft>;
  /** Drops a draft (e.g. a candidate the post-pass did not confirm). */
  drop(key: string): void;
  count(counter: string, n?: number): void;
}

/** Endpoint-like: an event Endpoint or a bare address. */
export type PartyRef = Endpoint | { ip: string; mac?: string | undefined };

export interface RuleMeta {
  id: string;
  title: string;
  category: AlertCategory;
  severity: AlertSeverity;
  mitre: { ics?: string[]; enterprise?: string[] };
  explanation: string;
  recommendation: string;
}

export interface RuleSubscriptions {
  /**
   * operation events: by kind, protocol and/or result (several given: all must match). The engine resolves the
   * subscribed rules once per (kind, protocol, result), so an event no rule wants costs one comparison.
   */
  operations?: { kinds?: readonly OperationKind[]; protocols?: readonly ProtocolName[]; results?: readonly OperationResult[] };
  /**
   * The rule's event and flow handlers do nothing without a baseline (RuleContext.checkAt() always null): the
   * engine does not call them when it has neither a baseline nor learning. finish()/assess() still run.
   */
  baselineOnly?: boolean;
  facts?: readonly FactField[];
  /** 'protocol' (flow recognised) events of these protocols; empty array = all */
  detected?: readonly ProtocolName[];
  anomalies?: boolean;
  flows?: boolean;
}

export interface Rule {
  readonly meta: RuleMeta;
  readonly subscribe: RuleSubscriptions;
  onOperation?(e: OperationEvent, file: string, hits: HitRecorder): void;
  onFact?(e: AssetFactEvent, file: string, hits: HitRecorder): void;
  onDetected?(e: ProtocolDetectedEvent, file: string, hits: HitRecorder): void;
  onAnomaly?(e: ProtocolAnomalyEvent, file: string, hits: HitRecorder): void;
  onFlow?(f: FlowLike, file: string, hits: HitRecorder): void;
  /** post-pass over the model: may add, adjust or drop drafts */
  finish?(model: ModelView, hits: HitRecorder): void;
  /** final say on one draft: set severity/notes/details; return false to suppress it */
  assess?(draft: AlertDraft, model: ModelView): boolean | void;
}

export interface RuleContext {
  options: DetectorOptions;
  /** `options.tuning[ruleId][name]`, else the fallback */
  tune(ruleId: string, name: string, fallback: number): number;
  /**
   * The baseline to check traffic at time `ts` against: null when there is none, or while `ts` is inside the
   * learning window (or the whole input is being learned).
   */
  checkAt(ts: number): Baseline | null;
  /** The baseline as it stands (at finish: everything learned), or null. */
  baseline(): Baseline | null;
}

export type RuleFactory = (ctx: RuleContext) => Rule;
