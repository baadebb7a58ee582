/** Property tests: re-segmentation is invisible; random and mutated streams never throw or hang. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Dir, Probe } from '../analyzer.js';
import { OPERATION_KINDS } from '../../events/types.js';
import { recordingContext } from '../common/test-support.js';
import { fuzzRuns } from '../../util/fuzz-budget.js';
import { httpSpec } from './index.js';
import { chunked, down, request, response, run, up } from './test-support.js';

const KINDS = new Set<string>(OPERATION_KINDS);
const PROBES = new Set<number>(Object.values(Probe));

const listing = '<title>Index of /a/</title><h1>Index of /a/</h1><a href="../">../</a>';
const requests = Buffer.concat([
  request('GET', '/a/', { Authorization: `Basic ${Buffer.from('op:pw').toString('base64')}` }),
  request('POST', '/b', { 'Transfer-Encoding': 'chunked' }, chunked('x=1&y=2', 3)),
  request('GET', '/c'),
]);
const responses = Buffer.concat([
  response(200, 'OK', { 'Content-Type': 'text/html', 'Transfer-Encoding': 'chunked' }, chunked(listing, 11)),
  response(500, 'Internal Server Error', {}, 'oops'),
  response(200, 'OK', { 'Content-Type': 'text/plain' }, 'plain'),
]);
const summary = (cuts: number[]) =>
  run([up(requests), down(responses)], cuts).operations().map((o) => [o.codeName, o.object, o.code, o.result, o.attributes!.listing_type ?? '']);

test('segmentation is invisible: any re-cut of a pipelined conversation yields the same operations', () => {
  const whole = summary([0]);
  assert.equal(whole.length, 3);
  assert.equal(whole[0]![4], 'nginx');
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 16 }), (cuts) => {
      assert.deepEqual(summary(cuts), whole);
    }),
    { numRuns: fuzzRuns(60) },
  );
});

test('random bytes and mutated conversations never throw and only produce well-formed events', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 400 }),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 12 }),
      fc.array(fc.integer({ min: 1, max: 80 }), { minLength: 1, maxLength: 8 }),
      fc.boolean(),
      (noise, mutations, cuts, gap) => {
        const a = Buffer.from(requests);
        const b = Buffer.concat([Buffer.from(responses), Buffer.from(noise)]);
        for (const [at, v] of mutations) (at % 2 ? a : b)[at % (at % 2 ? a.length : b.length)] = v;
        for (const buf of [a, b, Buffer.from(noise)]) assert.ok(PROBES.has(httpSpec.probe(buf, 0, buf.length, Dir.ToServer)));
        const ctx = recordingContext({ serverPort: 80 }, { maxPendingTransactions: 4 });
        const s = httpSpec.create(ctx);
        let frame = 1;
        let c = 0;
        for (const [dir, buf] of [[Dir.ToServer, a], [Dir.ToClient, b], [Dir.ToServer, Buffer.from(noise)]] as Array<[Dir, Buffer]>) {
          for (let p = 0; p < buf.length; ) {
            const n = Math.min(buf.length - p, cuts[c++ % cuts.length]!);
            s.onData(dir, buf, p, n, { frame: frame++, ts: 0 });
            if (gap && c === 3) s.onGap(dir, 17, { frame, ts: 0 });
            p += n;
          }
        }
        s.onClose({ frame, ts: 0 });
        for (const e of ctx.events) {
          if (e.type === 'operation') {
            assert.ok(KINDS.has(e.kind));
            assert.ok(Number.isInteger(e.code) && e.code >= 0 && e.code <= 999);
          }
        }
        assert.ok(!JSON.stringify(ctx.events).includes('op:pw'));
      },
    ),
    { numRuns: fuzzRuns(150) },
  );
});
