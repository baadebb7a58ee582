/**
 * The detection engine. Feed it every event (`onEvent`) and flow summary (`onFlowEnd`) during the pass, then
 * call `finish(model)` once: post-pass rules run over the model and the aggregated alerts come back sorted by
 * severity then time.
 *
 * Per-event cost: the subscribed rules of an operation are resolved once per (kind, protocol, result) and the
 * last resolution is reused while consecutive events share it (polling traffic is long runs of one kind), so an
 * operation no rule wants costs three string comparisons; other events go by type (and fact field) to
 * precomputed lists. Rules allocate only for events they act on (an aggregation key per hit). Evidence is
 * converted to text only while an alert has fewer than `maxEvidence` entries. Rules that only compare against a
 * baseline (`baselineOnly`) are not called when there is none.
 */
import { createHash } from 'node:crypto';
import {
  OPERATION_KINDS, type AssetFactEvent, type OperationEvent, type OperationKind, type OperationResult, type OtEvent,
  type ProtocolAnomalyEvent, type ProtocolDetectedEvent,
} from '../events/types.js';
import type { AlertReport, AlertSeverity } from '../report/types.js';
import { isoTime } from '../report/time.js';
import { ModelView, severityRank } from './model.js';
import { toEvidence } from './evidence.js';
import { ALL_RULES } from './rules/index.js';
import { Baseline } from './baseline.js';
import type { BaselineData } from './baseline.js';
import type {
  AlertDraft, DetectionModel, DetectorOptions, EvidenceSource, FlowLike, HitRecorder, PartyRef, Rule, RuleContext, RuleFactory,
} from './types.js';

export const DEFAULT_MAX_EVIDENCE = 10;
export const DEFAULT_MAX_ALERTS_PER_RULE = 5000;

const KIND_INDEX = new Map<OperationKind, number>(OPERATION_KINDS.map((k, i) => [k, i]));
const OPERATION_RESULTS: readonly OperationResult[] = ['ok', 'exception', 'no-response', 'unknown'];
/** Slot for a result outside OperationResult: only rules without a result filter get such an event. */
const OTHER_RESULT = OPERATION_RESULTS.length;
const NO_RULES: readonly Bound[] = [];
const RECENT_COMBINATIONS = 8;

function resultIndex(result: string): number {
  const i = (OPERATION_RESULTS as readonly string[]).indexOf(result);
  return i < 0 ? OTHER_RESULT : i;
}

class RuleHits implements HitRecorder {
  readonly drafts_ = new Map<string, AlertDraft>();
  constructor(
    private readonly rule: Rule,
    private readonly maxEvidence: number,
    private readonly maxDrafts: number,
    private readonly counters: Record<string, number>,
  ) {}

  hit(key: string, ts: number, src: PartyRef | null, dst: PartyRef | null, evidence: EvidenceSource | null, file: string): AlertDraft | null {
    let d = this.drafts_.get(key);
    if (d === undefined) {
      if (this.drafts_.size >= this.maxDrafts) {
        this.count('alerts-cap');
        return null;
      }
      d = {
        ruleId: this.rule.meta.id, key,
        srcIp: src?.ip || null, srcMac: src?.mac || null, dstIp: dst?.ip || null, dstMac: dst?.mac || null,
        first: ts, last: ts, count: 0, evidence: [], evidenceOmitted: 0, severity: this.rule.meta.severity,
        details: {}, notes: [],
      };
      this.drafts_.set(key, d);
    }
    return this.again(d, ts, evidence, file);
  }
  again(d: AlertDraft, ts: number, evidence: EvidenceSource | null, file: string): AlertDraft {
    d.count++;
    if (ts < d.first) d.first = ts;
    if (ts > d.last) d.last = ts;
    if (evidence !== null) {
      if (d.evidence.length < this.maxEvidence) d.evidence.push(toEvidence(evidence, file));
      else d.evidenceOmitted++;
    }
    return d;
  }
  get(key: string): AlertDraft | undefined {
    return this.drafts_.get(key);
  }
  drafts(): IterableIterator<AlertDraft> {
    return this.drafts_.values();
  }
  drop(key: string): void {
    this.drafts_.delete(key);
  }
  count(counter: string, n = 1): void {
    const k = `${this.rule.meta.id}.${counter}`;
    this.counters[k] = (this.counters[k] ?? 0) + n;
  }
}

interface Bound {
  rule: Rule;
  hits: RuleHits;
  protocols: ReadonlySet<string> | null;
  /** operation results the rule wants, null = all */
  results: ReadonlySet<string> | null;
}

export class Detector {
  readonly rules: Rule[];
  /** '<rule>.<counter>' → n (caps hit, dropped drafts) */
  readonly counters: Record<string, number> = {};
  private readonly options: DetectorOptions;
  private readonly bound: Bound[] = [];
  private readonly byKind: Bound[][] = OPERATION_KINDS.map(() => []);
  /** kind index → protocol → result index → the rules that want such an operation (filled on first use) */
  private readonly byKindProtocol: Array<Map<string, Array<readonly Bound[] | undefined>>> = OPERATION_KINDS.map(() => new Map());
  /**
   * The last RECENT_COMBINATIONS (kind, protocol, result) combinations seen and their rules, checked before the
   * maps: the protocols of a plant interleave, but only a handful of combinations are live at a time.
   */
  private readonly recentKind: string[] = new Array<string>(RECENT_COMBINATIONS).fill('');
  private readonly recentProtocol: string[] = new Array<string>(RECENT_COMBINATIONS).fill('');
  private readonly recentResult: string[] = new Array<string>(RECENT_COMBINATIONS).fill('');
  private readonly recentRules: Array<readonly Bound[]> = new Array<readonly Bound[]>(RECENT_COMBINATIONS).fill(NO_RULES);
  private recentNext = 0;
  private readonly factRules = new Map<string, Bound[]>();
  private readonly detectedRules: Bound[] = [];
  private readonly anomalyRules: Bound[] = [];
  private readonly flowRules: Bound[] = [];
  private finished = false;
  /** the baseline being checked against and/or extended (learning mode), null without either */
  private readonly baselineModel: Baseline | null;
  private readonly learning: boolean;
  /** learning ends at firstTs + learnWindowSec; Infinity = the whole input is learned */
  private readonly learnWindowSec: number;
  private firstTs = Infinity;

  constructor(opts: DetectorOptions = {}, factories: ReadonlyArray<RuleFactory> = ALL_RULES) {
    this.options = opts;
    const maxEvidence = opts.maxEvidence ?? DEFAULT_MAX_EVIDENCE;
    const maxDrafts = opts.maxAlertsPerRule ?? DEFAULT_MAX_ALERTS_PER_RULE;
    const given = opts.baseline;
    this.baselineModel = given instanceof Baseline ? given
      : given !== undefined ? Baseline.fromJSON(given, opts.learn?.caps)
      : opts.learn !== undefined ? new Baseline(opts.learn.caps) : null;
    this.learning = opts.learn !== undefined;
    const window = opts.learn?.windowSec;
    if (window !== undefined && !(window >= 0)) throw new RangeError(`learn window must be >= 0 seconds, got ${window}`);
    this.learnWindowSec = this.learning ? (window ?? Infinity) : 0;
    const ctx: RuleContext = {
      options: opts,
      tune: (ruleId: string, name: string, fallback: number) => opts.tuning?.[ruleId]?.[name] ?? fallback,
      checkAt: (ts: number) => (this.isLearningAt(ts) ? null : this.baselineModel),
      baseline: () => (this.learning && this.learnWindowSec === Infinity ? null : this.baselineModel),
    };
    const all = factories.map((f) => f(ctx));
    const wanted = opts.rules;
    this.rules = wanted === undefined || wanted.length === 0
      ? all
      : all.filter((r) => wanted.some((w) => (w.endsWith('.') ? r.meta.id.startsWith(w) : r.meta.id === w)));
    // Without a baseline, checkAt() is null for every timestamp: baseline-only handlers would return at once.
    const noBaseline = this.baselineModel === null;
    for (const rule of this.rules) {
      const s = rule.subscribe;
      const b: Bound = {
        rule,
        hits: new RuleHits(rule, maxEvidence, maxDrafts, this.counters),
        protocols: s.operations?.protocols ? new Set(s.operations.protocols) : null,
        results: s.operations?.results ? new Set(s.operations.results) : null,
      };
      this.bound.push(b);
      if (s.baselineOnly === true && noBaseline) continue;
      if (s.operations && rule.onOperation) {
        const kinds = s.operations.kinds ?? OPERATION_KINDS;
        for (const k of kinds) this.byKind[KIND_INDEX.get(k)!]!.push(b);
      }
      if (s.facts && rule.onFact) {
        for (const f of s.facts) {
          let list = this.factRules.get(f);
          if (!list) this.factRules.set(f, (list = []));
          list.push(b);
        }
      }
      if (s.detected && rule.onDetected) this.detectedRules.push({ ...b, protocols: s.detected.length > 0 ? new Set(s.detected) : null });
      if (s.anomalies && rule.onAnomaly) this.anomalyRules.push(b);
      if (s.flows && rule.onFlow) this.flowRules.push(b);
    }
  }

  /** Whether traffic at `ts` falls in the learning part of the input. */
  private isLearningAt(ts: number): boolean {
    if (!this.learning) return false;
    if (ts < this.firstTs) this.firstTs = ts;
    return ts - this.firstTs < this.learnWindowSec;
  }

  /** The baseline learned so far (merged with the one given), or null when not learning. */
  learnedBaseline(): BaselineData | null {
    return this.learning ? this.baselineModel!.toJSON() : null;
  }

  onEvent(e: OtEvent, file: string): void {
    if (this.learning && e.ts < this.firstTs) this.firstTs = e.ts;
    switch (e.type) {
      case 'operation':
        if (this.learning && this.isLearningAt(e.ts)) this.baselineModel!.learnOperation(e);
        this.onOperation(e, file);
        return;
      case 'asset-fact':
        this.onFact(e, file);
        return;
      case 'protocol':
        this.onDetected(e, file);
        return;
      case 'anomaly':
        this.onAnomaly(e, file);
        return;
    }
  }

  /**
   * Whether an operation of this kind, protocol and result must reach onEvent(): when learning a baseline (every
   * operation is learned), or when a rule subscribes to it. Fixed for a run.
   */
  wantsOperation(kind: string, protocol: string, result: string): boolean {
    return this.learning || this.subscribedRules(kind, protocol, result).length > 0;
  }

  private onOperation(e: OperationEvent, file: string): void {
    const list = this.subscribedRules(e.kind, e.protocol, e.result);
    for (let i = 0; i < list.length; i++) list[i]!.rule.onOperation!(e, file, list[i]!.hits);
  }

  private subscribedRules(kind: string, protocol: string, result: string): readonly Bound[] {
    let list: readonly Bound[] | undefined;
    for (let i = 0; i < RECENT_COMBINATIONS; i++) {
      if (this.recentKind[i] === kind && this.recentProtocol[i] === protocol && this.recentResult[i] === result) {
        list = this.recentRules[i]!;
        break;
      }
    }
    if (list === undefined) {
      list = this.operationRules(kind, protocol, result);
      const slot = this.recentNext;
      this.recentNext = (slot + 1) % RECENT_COMBINATIONS;
      this.recentKind[slot] = kind;
      this.recentProtocol[slot] = protocol;
      this.recentResult[slot] = result;
      this.recentRules[slot] = list;
    }
    return list;
  }

  /** The rules subscribed to operations of this kind, protocol and result (resolved once, then looked up). */
  private operationRules(kind: string, protocol: string, result: string): readonly Bound[] {
    const k = KIND_INDEX.get(kind as OperationKind);
    if (k === undefined) return NO_RULES;
    const byProtocol = this.byKindProtocol[k]!;
    let byResult = byProtocol.get(protocol);
    if (byResult === undefined) {
      byResult = [];
      byProtocol.set(protocol, byResult);
    }
    const r = resultIndex(result);
    let list = byResult[r];
    if (list === undefined) {
      list = this.byKind[k]!.filter((b) => (b.protocols === null || b.protocols.has(protocol)) && (b.results === null || b.results.has(result)));
      if (list.length === 0) list = NO_RULES;
      byResult[r] = list;
    }
    return list;
  }

  private onFact(e: AssetFactEvent, file: string): void {
    const list = this.factRules.get(e.field);
    if (list === undefined) return;
    for (let i = 0; i < list.length; i++) list[i]!.rule.onFact!(e, file, list[i]!.hits);
  }

  private onDetected(e: ProtocolDetectedEvent, file: string): void {
    const list = this.detectedRules;
    for (let i = 0; i < list.length; i++) {
      const b = list[i]!;
      if (b.protocols !== null && !b.protocols.has(e.protocol)) continue;
      b.rule.onDetected!(e, file, b.hits);
    }
  }

  private onAnomaly(e: ProtocolAnomalyEvent, file: string): void {
    const list = this.anomalyRules;
    for (let i = 0; i < list.length; i++) list[i]!.rule.onAnomaly!(e, file, list[i]!.hits);
  }

  onFlowEnd(f: FlowLike, file = ''): void {
    if (this.learning && this.isLearningAt(f.firstSeen)) this.baselineModel!.learnFlow(f);
    const list = this.flowRules;
    for (let i = 0; i < list.length; i++) list[i]!.rule.onFlow!(f, file, list[i]!.hits);
  }

  /** Runs the post-pass rules and returns every alert (severity descending, then first seen). Call once. */
  finish(model: DetectionModel): AlertReport[] {
    if (this.finished) throw new Error('Detector.finish() called twice');
    this.finished = true;
    const view = new ModelView(model, this.options.zones, this.options.engineeringHosts);
    if (this.baselineModel !== null) {
      for (const [k, v] of Object.entries(this.baselineModel.counters)) this.counters[`baseline.${k}`] = v;
      if (this.learning) this.options.learn?.onBaseline?.(this.baselineModel.toJSON(), this.baselineModel.counters);
    }
    const minRank = severityRank(this.options.minSeverity ?? 'info');
    const out: AlertReport[] = [];
    for (const b of this.bound) {
      b.rule.finish?.(view, b.hits);
      for (const d of b.hits.drafts()) {
        if (b.rule.assess && b.rule.assess(d, view) === false) continue;
        if (severityRank(d.severity) < minRank) continue;
        out.push(this.toAlert(b.rule, d, view));
      }
    }
    out.sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || cmp(a.firstSeen, b.firstSeen) || cmp(a.ruleId, b.ruleId) || cmp(a.id, b.id));
    return out;
  }

  private toAlert(rule: Rule, d: AlertDraft, model: ModelView): AlertReport {
    const m = rule.meta;
    const explanation = d.notes.length > 0 ? `${m.explanation} ${d.notes.join(' ')}` : m.explanation;
    return {
      id: alertId(m.id, d.key),
      ruleId: m.id,
      title: m.title,
      severity: d.severity as AlertSeverity,
      category: m.category,
      status: 'new',
      mitre: { ics: [...(m.mitre.ics ?? [])], enterprise: [...(m.mitre.enterprise ?? [])] },
      source: model.party(d.srcIp, d.srcMac, d.srcIpUnknown === true),
      target: model.party(d.dstIp, d.dstMac),
      firstSeen: isoTime(d.first),
      lastSeen: isoTime(d.last),
      count: d.count,
      evidence: d.evidence,
      evidenceOmitted: d.evidenceOmitted,
      explanation,
      recommendation: m.recommendation,
      details: d.details,
    };
  }
}

/** Stable id: the same rule and aggregation key give the same id in every run (store status follows it). */
export function alertId(ruleId: string, key: string): string {
  return createHash('sha1').update(`${ruleId}\u0000${key}`).digest('hex').slice(0, 16);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export { toEvidence } from './evidence.js';
