/** Property tests: re-segmentation is invisible; random and mutated streams never throw or hang. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Dir, Probe } from '../analyzer.js';
import { OPERATION_KINDS } from '../../events/types.js';
import { recordingContext } from '../common/test-support.js';
import { fuzzRuns } from '../../util/fuzz-budget.js';
import { httpSpec } from './index.js';
import { HttpHead, parseHead } from './parser.js';
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

test('header names: only the fields the analyzer reads are decoded, matched as trim + lower-case of the latin1 name', () => {
  const FIELDS: Array<[string, (h: HttpHead) => unknown]> = [
    ['Host', (h) => h.host],
    ['User-Agent', (h) => h.userAgent],
    ['Server', (h) => h.server],
    ['Content-Type', (h) => h.contentType],
    ['Content-Length', (h) => h.contentLength],
  ];
  const TRIMMED = ['\t', ' ', '\v', '\f', '\xa0'];
  const LEADING = ['\v', '\f', '\xa0']; // a line starting with SP/HTAB is a folded continuation instead
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: FIELDS.length - 1 }),
      fc.array(fc.boolean(), { maxLength: 16 }),
      fc.array(fc.constantFrom(...LEADING), { maxLength: 3 }),
      fc.array(fc.constantFrom(...TRIMMED), { maxLength: 3 }),
      fc.option(fc.tuple(fc.nat(), fc.constantFrom('x', '\xc9', '\xe9', '_', '-'))),
      (which, upper, before, after, edit) => {
        const [name, read] = FIELDS[which]!;
        let cased = [...name].map((c, i) => (upper[i % Math.max(1, upper.length)] ? c.toUpperCase() : c.toLowerCase())).join('');
        if (edit !== null) cased = cased.slice(0, edit[0] % cased.length) + edit[1] + cased.slice((edit[0] % cased.length) + 1);
        const wire = `${before.join('')}${cased}${after.join('')}`;
        const head = Buffer.from(`GET / HTTP/1.1\r\nX: 1\r\n${wire}: 42\r\n\r\n`, 'latin1');
        const h = new HttpHead();
        parseHead(head, 0, head.length, { maxHeaders: 10, maxLineBytes: 100 }, h);
        // the reference: what the string operations make of the name
        const known = Buffer.from(wire, 'latin1').toString('latin1').trim().toLowerCase() === name.toLowerCase();
        const value = read(h);
        if (known) assert.ok(value === '42' || value === 42, `${JSON.stringify(wire)} → ${String(value)}`);
        else assert.ok(value === '' || value === -1, `${JSON.stringify(wire)} → ${String(value)}`);
        assert.equal(h.headers, 2);
      },
    ),
    { numRuns: fuzzRuns(300) },
  );
});
