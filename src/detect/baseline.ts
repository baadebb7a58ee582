/**
 * Learning mode: the "normal" of a network, recorded from the event stream and flow summaries, and the lookups the
 * deviation rules (learn.*) and the OT-operation rules make against it.
 *
 * What is learned:
 * - talkers: every IP that ended a flow as client or server;
 * - edges: (client, server, protocol, server port) of every flow;
 * - functions: (src, dst, protocol, code[/sub-code]) of operations over industrial protocols;
 * - write targets: (dst, protocol, unit:object-or-address) of write/control operations over industrial protocols;
 * - rates: per (src, dst, protocol) of industrial operations: count, span, busiest `rateWindowSec` window and the
 *   median request interval (the cycle period).
 *
 * Every table has a cap; hitting one is counted (`counters`), never fatal. A baseline is plain JSON
 * (`BaselineData`), saved to a file (--baseline) or the store, and merges with what a later run learns.
 */
import type { OperationEvent } from '../events/types.js';
import { INDUSTRIAL_PROTOCOLS } from './model.js';
import type { FlowLike } from './types.js';

export const BASELINE_SCHEMA = 'otwatch.baseline/v1';

export interface BaselineEdge {
  src: string;
  dst: string;
  protocol: string;
  port: number;
}
export interface BaselineFunction {
  src: string;
  dst: string;
  protocol: string;
  /** "<code>" or "<code>/<subCode>", with the names kept for reading */
  code: string;
  name: string;
}
export interface BaselineWriteTarget {
  dst: string;
  protocol: string;
  /** "<unit>:<object or @address>" */
  target: string;
}
export interface BaselineRate {
  src: string;
  dst: string;
  protocol: string;
  /** operations learned */
  ops: number;
  /** seconds between the first and last operation learned */
  spanSec: number;
  /** most operations in one `windowSec` window */
  maxPerWindow: number;
  windowSec: number;
  /** median seconds between consecutive requests (the polling cycle), null with fewer than 3 requests */
  periodSec: number | null;
}

export interface BaselineData {
  schema: typeof BASELINE_SCHEMA;
  /** ISO times of the first and last traffic learned */
  from: string | null;
  to: string | null;
  talkers: string[];
  edges: BaselineEdge[];
  functions: BaselineFunction[];
  writeTargets: BaselineWriteTarget[];
  rates: BaselineRate[];
}

export interface BaselineCaps {
  maxTalkers?: number;
  maxEdges?: number;
  maxFunctions?: number;
  maxWriteTargets?: number;
  maxRateEdges?: number;
  /** request intervals kept per edge for the median period (default 256) */
  maxIntervals?: number;
}

export const DEFAULT_RATE_WINDOW_SEC = 60;

const WRITE_KINDS: ReadonlySet<string> = new Set(['write', 'control']);

export function functionCode(e: OperationEvent): string {
  return e.subCode === undefined ? String(e.code) : `${e.code}/${e.subCode}`;
}
export function functionName(e: OperationEvent): string {
  return e.subCodeName ? `${e.codeName}/${e.subCodeName}` : e.codeName;
}
export function writeTarget(e: OperationEvent): string {
  const where = e.object !== undefined ? e.object : e.address !== undefined ? `@${e.address}` : '';
  return `${e.unit ?? ''}:${where}`;
}
/** Operations that count towards functions, write targets and rates: process-control protocols only. */
export function isLearnedOperation(e: OperationEvent): boolean {
  return INDUSTRIAL_PROTOCOLS.has(e.protocol) && e.kind !== 'error' && !!e.src.ip && !!e.dst.ip;
}
export function isWriteOperation(e: OperationEvent): boolean {
  return WRITE_KINDS.has(e.kind);
}

const edgeKey = (src: string, dst: string, protocol: string, port: number): string => `${src}|${dst}|${protocol}|${port}`;
const pairKey = (src: string, dst: string, protocol: string): string => `${src}|${dst}|${protocol}`;

interface RateState {
  src: string;
  dst: string;
  protocol: string;
  ops: number;
  first: number;
  last: number;
  windowStart: number;
  inWindow: number;
  maxPerWindow: number;
  intervals: number[];
  /** from a loaded baseline: carried over, merged at export */
  prior: BaselineRate | null;
}

/** A baseline being learned or loaded; `toJSON()` gives the persistent form. */
export class Baseline {
  readonly counters: Record<string, number> = {};
  private readonly talkers = new Set<string>();
  private readonly edges = new Map<string, BaselineEdge>();
  /** src|dst|protocol of every edge (any port), for "is this pair known at all" */
  private readonly pairs = new Set<string>();
  private readonly functions = new Map<string, BaselineFunction>();
  /** src|dst|protocol that has at least one learned function */
  private readonly functionPairs = new Set<string>();
  private readonly writeTargets = new Set<string>();
  /** dst|protocol that has at least one learned write target */
  private readonly writtenDevices = new Set<string>();
  private readonly rates = new Map<string, RateState>();
  private from = Infinity;
  private to = -Infinity;
  private readonly caps: Required<BaselineCaps>;
  readonly windowSec: number;

  constructor(caps: BaselineCaps = {}, windowSec = DEFAULT_RATE_WINDOW_SEC) {
    this.caps = {
      maxTalkers: caps.maxTalkers ?? 20_000,
      maxEdges: caps.maxEdges ?? 100_000,
      maxFunctions: caps.maxFunctions ?? 50_000,
      maxWriteTargets: caps.maxWriteTargets ?? 100_000,
      maxRateEdges: caps.maxRateEdges ?? 20_000,
      maxIntervals: caps.maxIntervals ?? 256,
    };
    this.windowSec = windowSec;
  }

  /** Loads a saved baseline (validated: a wrong document throws BaselineFormatError). */
  static fromJSON(data: unknown, caps: BaselineCaps = {}): Baseline {
    const d = data as Partial<BaselineData> | null;
    if (d === null || typeof d !== 'object' || d.schema !== BASELINE_SCHEMA) {
      throw new BaselineFormatError(`not an otwatch baseline (schema ${JSON.stringify(d?.schema)}, expected ${BASELINE_SCHEMA})`);
    }
    for (const k of ['talkers', 'edges', 'functions', 'writeTargets', 'rates'] as const) {
      if (!Array.isArray(d[k])) throw new BaselineFormatError(`baseline field "${k}" must be an array`);
    }
    const b = new Baseline(caps, d.rates![0]?.windowSec ?? DEFAULT_RATE_WINDOW_SEC);
    for (const t of d.talkers!) if (typeof t === 'string') b.addTalker(t);
    for (const e of d.edges!) b.addEdge(e.src, e.dst, e.protocol, e.port);
    for (const f of d.functions!) b.addFunction(f.src, f.dst, f.protocol, f.code, f.name);
    for (const w of d.writeTargets!) b.addWriteTarget(w.dst, w.protocol, w.target);
    for (const r of d.rates!) {
      if (b.rates.size >= b.caps.maxRateEdges) {
        b.count('rates-cap');
        break;
      }
      b.rates.set(pairKey(r.src, r.dst, r.protocol), {
        src: r.src, dst: r.dst, protocol: r.protocol, ops: 0, first: 0, last: 0, windowStart: 0, inWindow: 0,
        maxPerWindow: 0, intervals: [], prior: { ...r },
      });
    }
    if (typeof d.from === 'string') b.from = Date.parse(d.from) / 1000;
    if (typeof d.to === 'string') b.to = Date.parse(d.to) / 1000;
    return b;
  }

  // ---- learning

  learnFlow(f: FlowLike): void {
    if (!f.clientIp || !f.serverIp) return;
    this.span(f.firstSeen);
    if (f.lastSeen !== undefined) this.span(f.lastSeen);
    this.addTalker(f.clientIp);
    this.addTalker(f.serverIp);
    this.addEdge(f.clientIp, f.serverIp, f.protocol, f.serverPort);
  }

  learnOperation(e: OperationEvent): void {
    if (!isLearnedOperation(e)) return;
    this.span(e.ts);
    this.addFunction(e.src.ip, e.dst.ip, e.protocol, functionCode(e), functionName(e));
    if (isWriteOperation(e)) this.addWriteTarget(e.dst.ip, e.protocol, writeTarget(e));
    const k = pairKey(e.src.ip, e.dst.ip, e.protocol);
    let r = this.rates.get(k);
    if (r === undefined) {
      if (this.rates.size >= this.caps.maxRateEdges) {
        this.count('rates-cap');
        return;
      }
      r = { src: e.src.ip, dst: e.dst.ip, protocol: e.protocol, ops: 0, first: e.ts, last: e.ts, windowStart: e.ts, inWindow: 0, maxPerWindow: 0, intervals: [], prior: null };
      this.rates.set(k, r);
    }
    if (r.ops === 0) {
      r.first = r.last = r.windowStart = e.ts;
    } else if (r.intervals.length < this.caps.maxIntervals && e.ts >= r.last) {
      r.intervals.push(e.ts - r.last);
    }
    r.ops++;
    if (e.ts > r.last) r.last = e.ts;
    if (e.ts - r.windowStart >= this.windowSec) {
      r.windowStart = e.ts;
      r.inWindow = 0;
    }
    r.inWindow++;
    if (r.inWindow > r.maxPerWindow) r.maxPerWindow = r.inWindow;
  }

  private span(ts: number): void {
    if (ts < this.from) this.from = ts;
    if (ts > this.to) this.to = ts;
  }

  private addTalker(ip: string): void {
    if (this.talkers.has(ip)) return;
    if (this.talkers.size >= this.caps.maxTalkers) return this.count('talkers-cap');
    this.talkers.add(ip);
  }
  private addEdge(src: string, dst: string, protocol: string, port: number): void {
    const k = edgeKey(src, dst, protocol, port);
    if (this.edges.has(k)) return;
    if (this.edges.size >= this.caps.maxEdges) return this.count('edges-cap');
    this.edges.set(k, { src, dst, protocol, port });
    this.pairs.add(pairKey(src, dst, protocol));
  }
  private addFunction(src: string, dst: string, protocol: string, code: string, name: string): void {
    const k = `${pairKey(src, dst, protocol)}|${code}`;
    if (this.functions.has(k)) return;
    if (this.functions.size >= this.caps.maxFunctions) return this.count('functions-cap');
    this.functions.set(k, { src, dst, protocol, code, name });
    this.functionPairs.add(pairKey(src, dst, protocol));
  }
  private addWriteTarget(dst: string, protocol: string, target: string): void {
    const k = `${dst}|${protocol}|${target}`;
    if (this.writeTargets.has(k)) return;
    if (this.writeTargets.size >= this.caps.maxWriteTargets) return this.count('write-targets-cap');
    this.writeTargets.add(k);
    this.writtenDevices.add(`${dst}|${protocol}`);
  }
  private count(counter: string): void {
    this.counters[counter] = (this.counters[counter] ?? 0) + 1;
  }

  // ---- lookups (deviation rules)

  hasTalker(ip: string): boolean {
    return this.talkers.has(ip);
  }
  hasEdge(src: string, dst: string, protocol: string, port: number): boolean {
    return this.edges.has(edgeKey(src, dst, protocol, port));
  }
  /** Any edge between src and dst over this protocol, whatever the port. */
  hasPair(src: string, dst: string, protocol: string): boolean {
    return this.pairs.has(pairKey(src, dst, protocol)) || this.functionPairs.has(pairKey(src, dst, protocol));
  }
  hasFunction(src: string, dst: string, protocol: string, code: string): boolean {
    return this.functions.has(`${pairKey(src, dst, protocol)}|${code}`);
  }
  /** Whether any function was learned on this edge (a new function is only news on an edge with a history). */
  hasFunctionsOn(src: string, dst: string, protocol: string): boolean {
    return this.functionPairs.has(pairKey(src, dst, protocol));
  }
  hasWriteTarget(dst: string, protocol: string, target: string): boolean {
    return this.writeTargets.has(`${dst}|${protocol}|${target}`);
  }
  /** The learned rate of an edge (merged with a loaded one), or undefined. */
  rate(src: string, dst: string, protocol: string): BaselineRate | undefined {
    const r = this.rates.get(pairKey(src, dst, protocol));
    return r === undefined ? undefined : this.rateOf(r);
  }

  get size(): { talkers: number; edges: number; functions: number; writeTargets: number; rates: number } {
    return { talkers: this.talkers.size, edges: this.edges.size, functions: this.functions.size, writeTargets: this.writeTargets.size, rates: this.rates.size };
  }

  private rateOf(r: RateState): BaselineRate {
    const learned: BaselineRate | null = r.ops === 0 ? null : {
      src: r.src, dst: r.dst, protocol: r.protocol, ops: r.ops, spanSec: round(r.last - r.first),
      maxPerWindow: r.maxPerWindow, windowSec: this.windowSec, periodSec: median(r.intervals),
    };
    const p = r.prior;
    if (learned === null) return p!;
    if (p === null) return learned;
    // Merged: the busiest window of either run, the sum of operations and spans; the period of the longer history.
    return {
      src: r.src, dst: r.dst, protocol: r.protocol, ops: p.ops + learned.ops, spanSec: round(p.spanSec + learned.spanSec),
      maxPerWindow: Math.max(p.maxPerWindow, learned.maxPerWindow), windowSec: this.windowSec,
      periodSec: p.ops >= learned.ops ? (p.periodSec ?? learned.periodSec) : (learned.periodSec ?? p.periodSec),
    };
  }

  /** The persistent form, sorted so the same traffic gives the same document. */
  toJSON(): BaselineData {
    const byStr = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
    const edges = [...this.edges.values()].sort((a, b) => byStr(a.src, b.src) || byStr(a.dst, b.dst) || byStr(a.protocol, b.protocol) || a.port - b.port);
    const functions = [...this.functions.values()].sort((a, b) => byStr(a.src, b.src) || byStr(a.dst, b.dst) || byStr(a.protocol, b.protocol) || byStr(a.code, b.code));
    const writeTargets = [...this.writeTargets].sort().map((k) => {
      const [dst, protocol, ...rest] = k.split('|');
      return { dst: dst!, protocol: protocol!, target: rest.join('|') };
    });
    const rates = [...this.rates.values()].map((r) => this.rateOf(r)).sort((a, b) => byStr(a.src, b.src) || byStr(a.dst, b.dst) || byStr(a.protocol, b.protocol));
    return {
      schema: BASELINE_SCHEMA,
      from: Number.isFinite(this.from) ? new Date(this.from * 1000).toISOString() : null,
      to: Number.isFinite(this.to) ? new Date(this.to * 1000).toISOString() : null,
      talkers: [...this.talkers].sort(), edges, functions, writeTargets, rates,
    };
  }
}

export class BaselineFormatError extends Error {
  override name = 'BaselineFormatError';
}

function median(xs: number[]): number | null {
  if (xs.length < 2) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return round(s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2);
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
