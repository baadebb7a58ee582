/**
 * Test helpers shared by analyzer tests: a fake AnalyzerContext that records events and counters; replay of a
 * conversation (client/server messages in order) through a spec's analyzer, optionally re-segmented; and a
 * property check that arbitrary/mutated/re-segmented input never throws, never hangs and yields well-formed
 * events.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { OPERATION_KINDS, FACT_FIELDS, type AssetFactEvent, type OtEvent, type OperationEvent } from '../../events/types.js';
import { Dir, Probe, type AnalyzerContext, type AnalyzerSpec, type FlowInfo } from '../analyzer.js';
import { fuzzRuns } from '../../util/fuzz-budget.js';

export interface RecordingContext extends AnalyzerContext {
  events: OtEvent[];
  counters: Record<string, number>;
  operations(): OperationEvent[];
  swaps: number;
  confirmations: number;
  opaque: boolean;
}

export function recordingContext(overrides: Partial<FlowInfo> = {}, caps: { maxPendingTransactions?: number; maxBufferBytes?: number } = {}): RecordingContext {
  const flow: FlowInfo = {
    id: 1,
    transport: 'tcp',
    clientIp: '10.0.0.1',
    serverIp: '10.0.0.2',
    clientPort: 40000,
    serverPort: 2404,
    clientMac: '00:00:00:00:00:01',
    serverMac: '00:00:00:00:00:02',
    vlan: 0,
    sidesGuessed: false,
    ...overrides,
  };
  const ctx: RecordingContext = {
    flow,
    captureIndex: 0,
    maxPendingTransactions: caps.maxPendingTransactions ?? 64,
    maxBufferBytes: caps.maxBufferBytes ?? 65536,
    events: [],
    counters: {},
    swaps: 0,
    confirmations: 0,
    opaque: false,
    sink: { emit: (e) => ctx.events.push(e) },
    count(counter, n = 1) {
      ctx.counters[counter] = (ctx.counters[counter] ?? 0) + n;
    },
    swapSides() {
      ctx.swaps++;
    },
    confirmSides() {
      ctx.confirmations++;
    },
    markOpaque() {
      ctx.opaque = true;
    },
    operations() {
      return ctx.events.filter((e): e is OperationEvent => e.type === 'operation');
    },
  };
  return ctx;
}

// ---- conversation replay and robustness ------------------------------------------------------------------

export type Message = [Dir, Buffer | string];

export const C = Dir.ToServer;
export const S = Dir.ToClient;

function bytes(m: Buffer | string): Buffer {
  return typeof m === 'string' ? Buffer.from(m, 'latin1') : m;
}

/**
 * Feeds the messages (frame = index + 1) to a new analyzer. `chunk` > 0 splits every TCP message into pieces
 * of that size (each piece its own frame number is not needed: all pieces share the message's frame).
 */
export function replay(spec: AnalyzerSpec, messages: Message[], opts: { chunk?: number; flow?: Partial<FlowInfo>; caps?: { maxPendingTransactions?: number; maxBufferBytes?: number } } = {}): RecordingContext {
  const ctx = recordingContext({ serverPort: spec.ports[0] ?? 0, transport: spec.transports[0], ...opts.flow }, opts.caps);
  const analyzer = spec.create(ctx);
  messages.forEach(([dir, m], i) => {
    const b = bytes(m);
    const meta = { frame: i + 1, ts: i };
    const chunk = opts.chunk ?? 0;
    if (chunk <= 0 || spec.transports[0] === 'udp') {
      // Copy into a larger buffer at an offset: analyzers must honour off/len.
      const host = Buffer.alloc(b.length + 8, 0xee);
      b.copy(host, 3);
      analyzer.onData(dir, host, 3, b.length, meta);
    } else {
      for (let o = 0; o < b.length; o += chunk) analyzer.onData(dir, b, o, Math.min(chunk, b.length - o), meta);
    }
  });
  analyzer.onClose({ frame: messages.length + 1, ts: messages.length });
  return ctx;
}

export function facts(ctx: RecordingContext): AssetFactEvent[] {
  return ctx.events.filter((e): e is AssetFactEvent => e.type === 'asset-fact');
}

export function fact(ctx: RecordingContext, field: string, ip?: string): string[] {
  return facts(ctx)
    .filter((f) => f.field === field && (ip === undefined || f.subject.ip === ip))
    .map((f) => f.value);
}

export function ops(ctx: RecordingContext): OperationEvent[] {
  return ctx.operations();
}

const KINDS = new Set<string>(OPERATION_KINDS);
const FIELDS = new Set<string>(FACT_FIELDS);
const PROBES = new Set<number>(Object.values(Probe));

/** Every event is well-formed, and none leaks `secret` (a password/community planted in the input). */
export function assertWellFormed(events: OtEvent[], secret?: string): void {
  for (const e of events) {
    if (e.type === 'operation') {
      assert.ok(KINDS.has(e.kind), `kind ${e.kind}`);
      assert.ok(Number.isFinite(e.code));
      assert.equal(typeof e.codeName, 'string');
    } else if (e.type === 'asset-fact') {
      assert.ok(FIELDS.has(e.field));
      assert.ok(e.confidence > 0 && e.confidence <= 1);
    }
    if (secret) assert.ok(!JSON.stringify(e).includes(secret), `event leaks the secret: ${JSON.stringify(e)}`);
  }
}

/**
 * Property: for random conversations built from `sample` (mutated: bytes flipped, truncated, re-segmented at
 * random points), and for pure noise, the probe and the analyzer never throw and events stay well-formed.
 */
export function checkRobustness(spec: AnalyzerSpec, sample: Message[], runs = 60): void {
  const tcp = spec.transports[0] === 'tcp';
  const mutation = fc.record({
    flips: fc.array(fc.tuple(fc.nat(), fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
    cut: fc.nat(),
    chunk: fc.integer({ min: 1, max: 64 }),
    noise: fc.array(fc.tuple(fc.boolean(), fc.uint8Array({ maxLength: 96 })), { maxLength: 6 }),
  });
  fc.assert(
    fc.property(mutation, ({ flips, cut, chunk, noise }) => {
      const messages: Message[] = sample.map(([d, m]) => [d, Buffer.from(bytes(m))]);
      for (const [mi, bi, v] of flips) {
        const b = messages[mi % messages.length]![1] as Buffer;
        if (b.length > 0) b[bi % b.length] = v;
      }
      const last = messages[cut % messages.length]!;
      last[1] = (last[1] as Buffer).subarray(0, cut % ((last[1] as Buffer).length + 1));
      for (const [toServer, n] of noise) messages.push([toServer ? C : S, Buffer.from(n)]);
      for (const [d, m] of messages) {
        const b = m as Buffer;
        const p = spec.probe(b, 0, b.length, d);
        assert.ok(PROBES.has(p));
      }
      const ctx = replay(spec, messages, { chunk: tcp ? chunk : 0, caps: { maxBufferBytes: 512 + (chunk % 3) * 1024, maxPendingTransactions: 4 } });
      assertWellFormed(ctx.events);
    }),
    { numRuns: fuzzRuns(runs) },
  );
}
