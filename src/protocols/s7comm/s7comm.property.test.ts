import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fuzzRuns } from '../../util/fuzz-budget.js';
import type { OtEvent } from '../../events/types.js';
import { s7commSpec } from './index.js';
import { S7commFlow } from './session.js';
import { fakeContext } from './test-support/harness.js';
import { ackData, anyItem, ascii, cr, dt, job, setupAck, setupJob, userdata } from './test-support/frames.js';

/** A valid two-direction conversation: [dir, frame bytes][]. */
function conversation(): Array<[0 | 1, Buffer]> {
  const pdu = job(9, [0x29, 0, 0, 0, 0, 0, 0x09, ...ascii('P_PROGRAM')]);
  return [
    [0, cr('CR', [0x01, 0x00], [0x01, 0x02])],
    [1, cr('CC', [0x01, 0x00], [0x01, 0x02])],
    [0, dt(setupJob(1))],
    [1, dt(setupAck(1))],
    [0, dt(job(2, [0x04, 0x01, ...anyItem(0x02, 8, 1, 0x84, 0)]))],
    [1, dt(ackData(2, [0x04, 0x01], [0xff, 0x04, 0x00, 0x40, 1, 2, 3, 4, 5, 6, 7, 8]))],
    [0, dt(userdata(3, 4, 4, 1, [0x00, 0x1c, 0x00, 0x01]))],
    [1, dt(userdata(3, 8, 4, 1, [0x00, 0x1c, 0x00, 0x01, 0x00, 34, 0x00, 0x01, 0x00, 0x01, ...ascii('PLC1'), ...new Array(28).fill(0)]))],
    [0, dt(pdu.subarray(0, 7), false)],
    [0, dt(pdu.subarray(7), true)],
    [1, dt(ackData(9, [0x29]))],
  ];
}

/** Per-direction byte streams of the conversation, in order. */
function streams(): [Buffer, Buffer] {
  const conv = conversation();
  return [
    Buffer.concat(conv.filter(([d]) => d === 0).map(([, b]) => b)),
    Buffer.concat(conv.filter(([d]) => d === 1).map(([, b]) => b)),
  ];
}

/**
 * Feed each direction's stream cut at the given points (requests fully before responses, as the
 * conversation is strictly request/response), every chunk as a window inside a larger buffer with junk around
 * it so that a read outside [off, off+len) would change the outcome.
 */
function feed(cuts: [number[], number[]], junk: number): OtEvent[] {
  const ctx = fakeContext();
  const a = new S7commFlow(ctx);
  const [s0, s1] = streams();
  const chunked = (s: Buffer, points: number[]): Buffer[] => {
    const sorted = [...new Set(points.map((p) => p % (s.length + 1)))].sort((x, y) => x - y);
    const out: Buffer[] = [];
    let prev = 0;
    for (const p of [...sorted, s.length]) {
      if (p > prev) out.push(s.subarray(prev, p));
      prev = Math.max(prev, p);
    }
    return out;
  };
  const c0 = chunked(s0, cuts[0]);
  const c1 = chunked(s1, cuts[1]);
  let frame = 0;
  const send = (dir: 0 | 1, chunk: Buffer) => {
    frame++;
    const big = Buffer.alloc(chunk.length + 16, junk);
    chunk.copy(big, 8);
    a.onData(dir, big, 8, chunk.length, { frame: 1, ts: 1 });
  };
  for (const c of c0) send(0, c);
  for (const c of c1) send(1, c);
  a.onClose({ frame: frame + 1, ts: 2 });
  return ctx.events;
}

describe('s7comm properties', () => {
  it('random bytes never throw and the probe stays in range', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 }), fc.boolean(), (chunks, startValid) => {
        const ctx = fakeContext();
        const a = new S7commFlow(ctx, { maxReassemblyBytes: 512 });
        let frame = 0;
        if (startValid) {
          const b = dt(setupJob(1));
          a.onData(0, b, 0, b.length, { frame: ++frame, ts: 0 });
        }
        for (const c of chunks) {
          const b = Buffer.from(c);
          const p = s7commSpec.probe(b, 0, b.length, 0);
          assert.ok(p >= 0 && p <= 3);
          a.onData((frame & 1) as 0 | 1, b, 0, b.length, { frame: ++frame, ts: 0 });
          if (frame % 3 === 0) a.onGap(0, 5, { frame, ts: 0 });
        }
        a.onClose({ frame: frame + 1, ts: 0 });
      }),
      { numRuns: fuzzRuns(300) },
    );
  });

  it('mutated valid streams never throw', () => {
    const [s0, s1] = streams();
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 12 }),
        fc.nat(),
        (mutations, cut) => {
          const m0 = Buffer.from(s0);
          const m1 = Buffer.from(s1);
          for (const [at, v] of mutations) {
            const target = at & 1 ? m1 : m0;
            target[at % target.length] = v;
          }
          const ctx = fakeContext(undefined, { maxPendingTransactions: 4 });
          const a = new S7commFlow(ctx);
          const k = cut % (m0.length + 1);
          a.onData(0, m0, 0, k, { frame: 1, ts: 0 });
          a.onData(0, m0, k, m0.length - k, { frame: 2, ts: 0 });
          a.onData(1, m1, 0, m1.length, { frame: 3, ts: 0 });
          a.onClose({ frame: 4, ts: 0 });
          for (const e of ctx.events) assert.ok(e.type === 'operation' || e.type === 'asset-fact' || e.type === 'anomaly');
        },
      ),
      { numRuns: fuzzRuns(300) },
    );
  });

  it('random re-segmentation yields the same events as whole frames', () => {
    const strip = (events: OtEvent[]) => events.map((e) => ({ ...e, frame: 0, ts: 0, responseFrame: undefined }));
    const reference = strip(feed([[], []], 0));
    assert.ok(reference.filter((e) => e.type === 'operation').length === 4);
    assert.ok(reference.some((e) => e.type === 'asset-fact' && e.field === 'device-name'));
    fc.assert(
      fc.property(
        fc.array(fc.nat(), { maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        fc.integer({ min: 0, max: 255 }),
        (cuts0, cuts1, junk) => {
          assert.deepEqual(strip(feed([cuts0, cuts1], junk)), reference);
        },
      ),
      { numRuns: fuzzRuns(200) },
    );
  });
});

describe('multi-part SZL answers (property)', () => {
  it('cutting a module/component identification answer into parts anywhere gives the facts of the whole answer', () => {
    const record = fc.record({
      list: fc.constantFrom(0x11, 0x1c),
      extra: fc.nat(6),
      rows: fc.array(fc.tuple(fc.integer({ min: 0, max: 12 }), fc.string({ minLength: 0, maxLength: 20 })), { minLength: 1, maxLength: 12 }),
      cuts: fc.array(fc.nat(600), { maxLength: 6 }),
    });
    const factRows = (events: OtEvent[]) => events.filter((e) => e.type === 'asset-fact').map((e) => (e.type === 'asset-fact' ? `${e.field}=${e.value}` : ''));
    fc.assert(
      fc.property(record, ({ list, extra, rows, cuts }) => {
        const recLen = (list === 0x11 ? 28 : 34) + extra;
        const recs = rows.flatMap(([index, text]) => {
          const bytes = new Array(recLen).fill(0);
          bytes[1] = index;
          ascii(text.replace(/[^\x20-\x7e]/g, 'x')).forEach((b, i) => (bytes[2 + i] = b));
          if (list === 0x11) bytes[24] = 0x56;
          return bytes;
        });
        const answer = [0x00, list, 0x00, 0x00, recLen >> 8, recLen & 0xff, 0x00, rows.length, ...recs];
        const run = (bounds: number[]): OtEvent[] => {
          const ctx = fakeContext();
          const flow = new S7commFlow(ctx);
          let frame = 0;
          const feed = (dir: 0 | 1, b: Buffer) => flow.onData(dir, b, 0, b.length, { frame: ++frame, ts: frame });
          feed(0, dt(userdata(1, 4, 4, 1, [0x00, list, 0x00, 0x00])));
          for (let i = 0; i + 1 < bounds.length; i++) {
            if (i > 0) feed(0, dt(userdata(1 + i, 4, 4, 1, [])));
            const more = i + 2 < bounds.length;
            feed(1, dt(userdata(1 + i, 8, 4, 1, answer.slice(bounds[i], bounds[i + 1]), { dataUnitRef: 3, moreFollows: more })));
          }
          return ctx.events;
        };
        const inner = [...new Set(cuts.map((c) => 8 + (c % Math.max(1, answer.length - 8))))].filter((c) => c < answer.length).sort((a, b) => a - b);
        const whole = factRows(run([0, answer.length]));
        assert.deepEqual(factRows(run([0, ...inner, answer.length])), whole);
      }),
      { numRuns: fuzzRuns(150) },
    );
  });
});
