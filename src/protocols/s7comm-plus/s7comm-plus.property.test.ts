import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fuzzRuns } from '../../util/fuzz-budget.js';
import { Dir, Probe } from '../analyzer.js';
import { recordingContext } from '../common/test-support.js';
import { probeS7commPlus } from './probe.js';
import { S7commPlusFlow } from './session.js';
import { connection, dt, hex, plus, request, response } from './test-frames.js';

/** A valid conversation per direction: session set-up, a read, a mode change, a fragmented write, a close. */
function streams(): [Buffer, Buffer] {
  const toServer = Buffer.concat([
    connection(0xe0, 'SIMATIC-ROOT-HMI'),
    dt(plus(1, request(0x04ca, 1, 0x120, '0000011d 000400 00000000 a1 000000d3 821f 00 a2'))),
    dt(plus(2, request(0x054c, 2, 0x388, '00000000 01 05 00 88d0b88002 02 9376 0a'))),
    dt(plus(2, request(0x04f2, 3, 0x388, '00000034 01 9077 000801 00'))),
    dt(plus(2, request(0x0542, 4, 0x388, '00000000 01 07 00 88d0b88003'), false)),
    dt(plus(2, hex('0102030405'))),
    dt(plus(2, request(0x04d4, 5, 0x388, '00000388 00'))),
  ]);
  const toClient = Buffer.concat([
    connection(0xd0, 'SIMATIC-ROOT-HMI'),
    dt(plus(1, response(0x04ca, 1, '00 01 8708 a1 00000120 821f 00 a2'))),
    dt(plus(2, response(0x054c, 2, '00 01 0003 05 00'))),
    dt(plus(2, response(0x04f2, 3, '00'))),
    dt(plus(2, response(0x0542, 4, '00 00'))),
    dt(plus(2, response(0x04d4, 5, '00 00000388'))),
  ]);
  return [toServer, toClient];
}

/** Deliver each stream cut at `cuts`, every chunk as a window inside a larger junk-filled buffer. */
function run(s: [Buffer, Buffer], cuts: [number[], number[]], junk: number) {
  const ctx = recordingContext({ serverPort: 102 }, { maxPendingTransactions: 8, maxBufferBytes: 4096 });
  const flow = new S7commPlusFlow(ctx, { maxReassemblyBytes: 2048 });
  let frame = 0;
  for (const dir of [Dir.ToServer, Dir.ToClient] as const) {
    const bytes = s[dir];
    const points = [...new Set(cuts[dir].map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
    let prev = 0;
    for (const p of [...points, bytes.length]) {
      if (p <= prev) continue;
      const chunk = bytes.subarray(prev, p);
      const host = Buffer.alloc(chunk.length + 16, junk);
      chunk.copy(host, 8);
      flow.onData(dir, host, 8, chunk.length, { frame: ++frame, ts: frame });
      prev = p;
    }
  }
  flow.onClose({ frame: ++frame, ts: frame });
  return ctx;
}

const cutsArb = fc.tuple(fc.array(fc.nat(), { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 12 }));

test('re-segmented valid streams give the same operations as whole delivery, whatever surrounds the window', () => {
  const s = streams();
  const reference = run(s, [[], []], 0).operations().map((o) => [o.codeName, o.kind, o.detail ?? '', o.result]);
  assert.deepEqual(reference, [
    ['create_object', 'connect', 'V1 session=0x00000388', 'ok'],
    ['get_multi_variables', 'read', '', 'ok'],
    ['set_variable', 'mode-change', 'stop', 'ok'],
    ['set_multi_variables', 'write', '', 'ok'],
    ['delete_object', 'connect', 'close session=0x00000388', 'ok'],
  ]);
  fc.assert(
    fc.property(cutsArb, fc.integer({ min: 0, max: 255 }), (cuts, junk) => {
      const ops = run(s, cuts, junk).operations().map((o) => [o.codeName, o.kind, o.detail ?? '', o.result]);
      assert.deepEqual(ops, reference);
    }),
    { numRuns: fuzzRuns(150) },
  );
});

test('mutated streams never throw, and every operation stays consistent', () => {
  const s = streams();
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.boolean(), fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
      cutsArb,
      (mutations, cuts) => {
        const m: [Buffer, Buffer] = [Buffer.from(s[0]), Buffer.from(s[1])];
        for (const [side, at, value] of mutations) {
          const b = m[side ? 1 : 0];
          b[at % b.length] = value;
        }
        const ctx = run(m, cuts, 0xaa);
        for (const o of ctx.operations()) {
          assert.ok(o.protocol === 's7comm-plus' && Number.isInteger(o.code) && o.code >= 0 && o.code <= 0xffff);
          assert.notEqual(o.result, 'unknown');
        }
      },
    ),
    { numRuns: fuzzRuns(200) },
  );
});

test('random bytes, random gaps: no exception, no hang, counters only grow', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.boolean(), fc.uint8Array({ maxLength: 300 }), fc.boolean()), { maxLength: 20 }),
      (chunks) => {
        const ctx = recordingContext({ serverPort: 102 }, { maxPendingTransactions: 4, maxBufferBytes: 1024 });
        const flow = new S7commPlusFlow(ctx, { maxReassemblyBytes: 512 });
        let frame = 0;
        for (const [toClient, bytes, gap] of chunks) {
          const dir = toClient ? Dir.ToClient : Dir.ToServer;
          const b = Buffer.from(bytes);
          if (gap) flow.onGap(dir, 10, { frame: ++frame, ts: frame });
          flow.onData(dir, b, 0, b.length, { frame: ++frame, ts: frame });
        }
        flow.onClose({ frame: ++frame, ts: frame });
        for (const v of Object.values(ctx.counters)) assert.ok(v >= 0);
      },
    ),
    { numRuns: fuzzRuns(200) },
  );
});

test('probe is total: any bytes, any window, a valid verdict and no read outside the window', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(), fc.nat(), (bytes, a, b) => {
      const buf = Buffer.from(bytes);
      const off = buf.length ? a % (buf.length + 1) : 0;
      const len = buf.length - off ? b % (buf.length - off + 1) : 0;
      const v = probeS7commPlus(buf, off, len, Dir.ToServer);
      assert.ok(v === Probe.No || v === Probe.NeedMore || v === Probe.Maybe || v === Probe.Yes);
      // the same window copied into a buffer with different surroundings gives the same verdict
      const host = Buffer.alloc(len + 20, 0x72);
      buf.copy(host, 10, off, off + len);
      assert.equal(probeS7commPlus(host, 10, len, Dir.ToServer), v);
    }),
    { numRuns: fuzzRuns(300) },
  );
});
