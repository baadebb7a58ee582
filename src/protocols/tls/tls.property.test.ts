/** Property tests: re-segmented handshakes give the same result; random and mutated streams never throw. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Dir, Probe } from '../analyzer.js';
import { recordingContext } from '../common/test-support.js';
import { fuzzRuns } from '../../util/fuzz-budget.js';
import { tlsSpec } from './index.js';
import { SPEC_CIPHERS, SPEC_EXTENSION_ORDER, clientHello, ext, record, serverHello, specExtensions } from './test-support.js';

const PROBES = new Set<number>(Object.values(Probe));
const hello = clientHello(SPEC_CIPHERS, specExtensions(SPEC_EXTENSION_ORDER));
// a ClientHello fragmented over three records, as large hellos (post-quantum key shares) are
const up = Buffer.concat([record(22, hello.subarray(0, 50)), record(22, hello.subarray(50, 120)), record(22, hello.subarray(120)), record(20, Buffer.from([1])), record(23, Buffer.alloc(99))]);
const down = Buffer.concat([record(22, serverHello(0x1301, [[0x002b, Buffer.from([3, 4])], ext.empty(0x0033)])), record(20, Buffer.from([1])), record(23, Buffer.alloc(77))]);

function feed(a: Buffer, b: Buffer, cuts: number[], gapAt = -1) {
  const ctx = recordingContext({ serverPort: 443 });
  const s = tlsSpec.create(ctx);
  let frame = 1;
  let c = 0;
  for (const [dir, buf] of [[Dir.ToServer, a], [Dir.ToClient, b]] as Array<[Dir, Buffer]>) {
    for (let p = 0; p < buf.length; ) {
      const n = Math.min(buf.length - p, cuts[c++ % cuts.length]!);
      s.onData(dir, buf, p, n, { frame: frame++, ts: 0 });
      if (c === gapAt) s.onGap(dir, 13, { frame, ts: 0 });
      p += n;
    }
  }
  s.onClose({ frame, ts: 0 });
  return ctx;
}

test('segmentation is invisible: any re-cut of a TLS 1.3 handshake yields the same operation', () => {
  const whole = feed(up, down, [1 << 20]).operations().map((o) => [o.code, o.object, o.result, o.attributes!.ja4, o.attributes!.cipher]);
  assert.deepEqual(whole, [[0x0304, 'example.com', 'ok', 't13d1516h2_8daaf6152771_e5627efa2ab1', '1301']]);
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: 90 }), { minLength: 1, maxLength: 12 }), (cuts) => {
      assert.deepEqual(feed(up, down, cuts).operations().map((o) => [o.code, o.object, o.result, o.attributes!.ja4, o.attributes!.cipher]), whole);
    }),
    { numRuns: fuzzRuns(40) },
  );
});

test('random bytes, mutated handshakes and gaps never throw and emit at most one operation', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 300 }),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 16 }),
      fc.array(fc.integer({ min: 1, max: 70 }), { minLength: 1, maxLength: 8 }),
      fc.integer({ min: -1, max: 10 }),
      (noise, mutations, cuts, gapAt) => {
        const a = Buffer.concat([up, Buffer.from(noise)]);
        const b = Buffer.from(down);
        for (const [at, v] of mutations) (at % 2 ? a : b)[at % (at % 2 ? a.length : b.length)] = v;
        for (const buf of [a, b, Buffer.from(noise)]) assert.ok(PROBES.has(tlsSpec.probe(buf, 0, buf.length, Dir.ToServer)));
        const ctx = feed(a, b, cuts, gapAt);
        assert.ok(ctx.operations().length <= 1);
      },
    ),
    { numRuns: fuzzRuns(100) },
  );
});
