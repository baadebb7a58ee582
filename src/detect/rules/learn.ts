/**
 * learn.*: deviations from a learned baseline (src/detect/baseline.ts). Active only when a baseline is loaded
 * (--baseline, the store's) or learned from the first part of the input (--learn-window); traffic inside the
 * learning window is never checked.
 *
 * Flow-based candidates (new talker, new edge) are confirmed in finish(): a flow summary arrives when the flow
 * ends, so an edge learned from a long flow that started inside the window may reach the baseline after a
 * shorter, later flow of the same edge was checked.
 */
import type { OperationEvent, OperationKind } from '../../events/types.js';
import type { AlertSeverity } from '../../report/types.js';
import { functionCode, functionName, isLearnedOperation, isWriteOperation, writeTarget } from '../baseline.js';
import { INDUSTRIAL_PROTOCOLS, type ModelView } from '../model.js';
import type { AlertDraft, FlowLike, HitRecorder, RuleFactory } from '../types.js';
import { evictIfFull } from './common.js';

const CATEGORY = 'baseline-deviation' as const;

/** Multicast, broadcast and unspecified addresses are destinations, not talkers. */
function isGroupAddress(ip: string): boolean {
  if (ip.includes(':')) return ip.toLowerCase().startsWith('ff') || ip === '::';
  const first = Number(ip.slice(0, ip.indexOf('.')));
  return first >= 224 || ip === '0.0.0.0' || ip.endsWith('.255');
}

const answered = (f: FlowLike): boolean => (f.packetsToClient ?? 0) > 0;

export const learnNewTalker: RuleFactory = (ctx) => ({
  meta: {
    id: 'learn.new-talker',
    title: 'Host not in the baseline',
    category: CATEGORY,
    severity: 'low',
    mitre: { ics: ['T0864', 'T0848'], enterprise: ['T1200'] },
    explanation: 'A host that did not communicate while the baseline was learned appeared on the network.',
    recommendation: 'Identify the host (owner, purpose). A planned addition: learn it into the baseline. Otherwise treat it as a rogue or transient device.',
  },
  subscribe: { flows: true, baselineOnly: true },
  onFlow(f: FlowLike, file: string, hits: HitRecorder): void {
    const b = ctx.checkAt(f.firstSeen);
    if (b === null) return;
    if (f.clientIp && !isGroupAddress(f.clientIp) && !b.hasTalker(f.clientIp)) {
      const d = hits.hit(f.clientIp, f.firstSeen, { ip: f.clientIp, mac: f.clientMac || undefined }, { ip: f.serverIp }, f, file);
      if (d !== null && INDUSTRIAL_PROTOCOLS.has(f.protocol as never)) d.details.industrial = true;
    }
    if (f.serverIp && answered(f) && !isGroupAddress(f.serverIp) && !b.hasTalker(f.serverIp)) {
      const d = hits.hit(f.serverIp, f.firstSeen, { ip: f.serverIp, mac: f.serverMac || undefined }, { ip: f.clientIp }, f, file);
      if (d !== null && INDUSTRIAL_PROTOCOLS.has(f.protocol as never)) d.details.industrial = true;
    }
  },
  finish(_model: ModelView, hits: HitRecorder): void {
    const b = ctx.baseline();
    for (const d of [...hits.drafts()]) if (b === null || b.hasTalker(d.key)) hits.drop(d.key);
  },
  assess(d: AlertDraft, model: ModelView): void {
    // "target" is only the first peer: the alert is about the host itself
    d.dstIp = null;
    const a = model.asset(d.srcIp, d.srcMac);
    if (d.details.industrial === true || model.isOtAsset(a)) {
      d.severity = 'medium';
      d.notes.push('It uses an industrial protocol or is an OT device.');
    }
  },
});

export const learnNewEdge: RuleFactory = (ctx) => ({
  meta: {
    id: 'learn.new-edge',
    title: 'Communication not in the baseline',
    category: CATEGORY,
    severity: 'low',
    mitre: { ics: ['T0886', 'T0869'], enterprise: ['T1021'] },
    explanation: 'Two hosts communicated over a protocol and port that this pair did not use while the baseline was learned.',
    recommendation: 'Confirm the new connection is intended (new HMI screen, maintenance, integration). If not, block it and find what initiated it.',
  },
  subscribe: { flows: true, baselineOnly: true },
  onFlow(f: FlowLike, file: string, hits: HitRecorder): void {
    const b = ctx.checkAt(f.firstSeen);
    if (b === null || !answered(f) || !f.clientIp || !f.serverIp || isGroupAddress(f.clientIp)) return;
    if (b.hasEdge(f.clientIp, f.serverIp, f.protocol, f.serverPort)) return;
    const d = hits.hit(`${f.clientIp}|${f.serverIp}|${f.protocol}|${f.serverPort}`, f.firstSeen,
      { ip: f.clientIp, mac: f.clientMac || undefined }, { ip: f.serverIp, mac: f.serverMac || undefined }, f, file);
    if (d !== null && d.count === 1) {
      d.details.protocol = f.protocol;
      d.details.port = f.serverPort;
      d.state = [f.clientIp, f.serverIp, f.protocol, f.serverPort];
    }
  },
  finish(_model: ModelView, hits: HitRecorder): void {
    const b = ctx.baseline();
    for (const d of [...hits.drafts()]) {
      const [src, dst, protocol, port] = d.state as [string, string, string, number];
      if (b === null || b.hasEdge(src, dst, protocol, port)) hits.drop(d.key);
    }
  },
  assess(d: AlertDraft, model: ModelView): void {
    const industrial = INDUSTRIAL_PROTOCOLS.has(d.details.protocol as never);
    if (industrial || model.isOtDevice(model.asset(d.dstIp, d.dstMac))) {
      d.severity = 'medium';
      d.notes.push(industrial ? 'The protocol is a process-control protocol.' : 'The target is an OT device.');
    }
  },
});

/** Operation kinds that change a controller: a new one of these on an edge is worse than a new read. */
const CHANGING_KINDS: ReadonlySet<OperationKind> = new Set<OperationKind>([
  'write', 'control', 'program-download', 'program-modify', 'mode-change', 'restart', 'firmware-update', 'configuration',
]);

export const learnNewFunction: RuleFactory = (ctx) => ({
  meta: {
    id: 'learn.new-function',
    title: 'Function not in the baseline',
    category: CATEGORY,
    severity: 'medium',
    mitre: { ics: ['T0855', 'T0836', 'T0858'] },
    explanation: 'A known pair of hosts used an industrial function code that this source never sent to this target while the baseline was learned.',
    recommendation: 'Check what the function does on the target and whether a change (maintenance, new HMI function) explains it.',
  },
  subscribe: { operations: { protocols: [...INDUSTRIAL_PROTOCOLS] }, baselineOnly: true },
  onOperation(e: OperationEvent, file: string, hits: HitRecorder): void {
    const b = ctx.checkAt(e.ts);
    if (b === null || !isLearnedOperation(e)) return;
    const code = functionCode(e);
    if (b.hasFunction(e.src.ip, e.dst.ip, e.protocol, code)) return;
    const d = hits.hit(`${e.src.ip}|${e.dst.ip}|${e.protocol}|${code}`, e.ts, e.src, e.dst, e, file);
    if (d !== null && d.count === 1) {
      d.details.protocol = e.protocol;
      d.details.function = functionName(e);
      d.details.code = code;
      d.details.kind = e.kind;
      d.state = [e.src.ip, e.dst.ip, e.protocol, code];
    }
  },
  finish(_model: ModelView, hits: HitRecorder): void {
    const b = ctx.baseline();
    for (const d of [...hits.drafts()]) {
      const [src, dst, protocol, code] = d.state as [string, string, string, string];
      // a pair the baseline never saw is a new edge (learn.new-edge), not a new function on a known edge
      if (b === null || b.hasFunction(src, dst, protocol, code) || !(b.hasFunctionsOn(src, dst, protocol) || b.hasPair(src, dst, protocol))) hits.drop(d.key);
    }
  },
  assess(d: AlertDraft): void {
    d.severity = CHANGING_KINDS.has(d.details.kind as OperationKind) ? 'high' : 'medium';
  },
});

interface TargetState {
  targets: Set<string>;
}

export const learnNewWriteTarget: RuleFactory = (ctx) => {
  const maxTargets = ctx.tune('learn.new-write-target', 'maxTargetsListed', 10);
  return {
    meta: {
      id: 'learn.new-write-target',
      title: 'Write to a point not in the baseline',
      category: CATEGORY,
      severity: 'medium',
      mitre: { ics: ['T0836', 'T0855', 'T0831'] },
      explanation: 'Registers, tags or objects were written that no host wrote on this device while the baseline was learned.',
      recommendation: 'Check the written points (setpoints, interlocks, outputs) against the process and the change log.',
    },
    subscribe: { operations: { kinds: ['write', 'control'], protocols: [...INDUSTRIAL_PROTOCOLS] }, baselineOnly: true },
    onOperation(e: OperationEvent, file: string, hits: HitRecorder): void {
      const b = ctx.checkAt(e.ts);
      if (b === null || !isLearnedOperation(e) || !isWriteOperation(e)) return;
      const target = writeTarget(e);
      if (b.hasWriteTarget(e.dst.ip, e.protocol, target)) return;
      const d = hits.hit(`${e.src.ip}|${e.dst.ip}|${e.protocol}`, e.ts, e.src, e.dst, e, file);
      if (d === null) return;
      let s = d.state as TargetState | undefined;
      if (s === undefined) {
        d.state = s = { targets: new Set() };
        d.details.protocol = e.protocol;
      }
      if (!s.targets.has(target) && s.targets.size < maxTargets) s.targets.add(target);
    },
    assess(d: AlertDraft, model: ModelView): void {
      const s = d.state as TargetState;
      d.details.targets = [...s.targets].join(', ');
      const b = ctx.baseline();
      if (d.srcIp !== null && d.dstIp !== null && b !== null && !b.hasPair(d.srcIp, d.dstIp, String(d.details.protocol))) {
        d.severity = 'high';
        d.notes.push('The writer is not a known peer of this device.');
      } else if (model.isOtDevice(model.asset(d.dstIp, d.dstMac))) {
        d.notes.push('The target is an OT device.');
      }
    },
  };
};

interface RateWindow {
  start: number;
  n: number;
  flagged: boolean;
}

export const learnRateAnomaly: RuleFactory = (ctx) => {
  const factor = ctx.tune('learn.rate-anomaly', 'factor', 3);
  const minOps = ctx.tune('learn.rate-anomaly', 'minOps', 20);
  const maxEdges = ctx.tune('learn.rate-anomaly', 'maxEdges', 20_000);
  const windows = new Map<string, RateWindow>();
  return {
    meta: {
      id: 'learn.rate-anomaly',
      title: 'Operation rate above the baseline',
      category: CATEGORY,
      severity: 'medium',
      mitre: { ics: ['T0806', 'T0814'] },
      explanation: 'A source sent industrial requests to a target much faster than it did while the baseline was learned.',
      recommendation: 'Check the source: a misconfigured poller, a flood (denial of service) or brute-force I/O look like this.',
    },
    subscribe: { operations: { protocols: [...INDUSTRIAL_PROTOCOLS] }, baselineOnly: true },
    onOperation(e: OperationEvent, file: string, hits: HitRecorder): void {
      const b = ctx.checkAt(e.ts);
      if (b === null || !isLearnedOperation(e)) return;
      const rate = b.rate(e.src.ip, e.dst.ip, e.protocol);
      if (rate === undefined) return;
      const key = `${e.src.ip}|${e.dst.ip}|${e.protocol}`;
      let w = windows.get(key);
      if (w === undefined) {
        if (evictIfFull(windows, maxEdges)) hits.count('edges-cap');
        windows.set(key, (w = { start: e.ts, n: 0, flagged: false }));
      }
      if (e.ts - w.start >= rate.windowSec) {
        w.start = e.ts;
        w.n = 0;
        w.flagged = false;
      }
      w.n++;
      // expected: the busiest learned window, or the average rate over a window when learning was shorter than one
      const average = rate.spanSec > 0 ? (rate.ops / rate.spanSec) * rate.windowSec : rate.ops;
      const expected = Math.max(rate.maxPerWindow, Math.min(average, rate.ops));
      const limit = Math.max(minOps, factor * expected);
      if (w.n <= limit) return;
      if (w.flagged) {
        const seen = hits.get(key);
        if (seen !== undefined && w.n > (seen.details.peak_window_ops as number)) seen.details.peak_window_ops = w.n;
        return;
      }
      w.flagged = true;
      const d = hits.hit(key, e.ts, e.src, e.dst, e, file);
      if (d === null) return;
      d.details.protocol = e.protocol;
      d.details.window_sec = rate.windowSec;
      d.details.baseline_max_per_window = rate.maxPerWindow;
      d.details.limit = Math.round(limit);
      if (w.n > ((d.details.peak_window_ops as number | undefined) ?? 0)) d.details.peak_window_ops = w.n;
      if (rate.periodSec !== null) d.details.baseline_period_sec = rate.periodSec;
    },
    assess(d: AlertDraft): void {
      const sev: AlertSeverity = Number(d.details.peak_window_ops) > 3 * Number(d.details.limit) ? 'high' : 'medium';
      d.severity = sev;
      d.notes.push(`Peak ${String(d.details.peak_window_ops)} operations in ${String(d.details.window_sec)} s against at most ${String(d.details.baseline_max_per_window)} while learning.`);
    },
  };
};

export const LEARN_RULES: readonly RuleFactory[] = [learnNewTalker, learnNewEdge, learnNewFunction, learnNewWriteTarget, learnRateAnomaly];
