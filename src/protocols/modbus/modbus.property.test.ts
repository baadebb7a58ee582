/** Property tests: arbitrary/mutated input never throws or reads outside its view; segmentation is invisible. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Dir, Probe } from '../analyzer.js';
import { OPERATION_KINDS, type OtEvent } from '../../events/types.js';
import { fuzzRuns } from '../../util/fuzz-budget.js';
import { modbusSpec } from './index.js';
import { adu, ascii, be16, defaultFlow, fakeContext } from './test-support.js';

const PROBE_VALUES = new Set<number>(Object.values(Probe));
const KINDS = new Set<string>(OPERATION_KINDS);

/** A request/response pair of one of several shapes. */
function transaction(tid: number, unit: number, shape: number, a: number, q: number): [Buffer, Buffer] {
  const addr = be16(a);
  switch (shape % 10) {
    case 0: {
      const n = (q % 125) + 1;
      return [adu(tid, unit, [3, ...addr, ...be16(n)]), adu(tid, unit, [3, n * 2, ...new Array(n * 2).fill(q & 0xff)])];
    }
    case 1: {
      const n = (q % 60) + 1;
      const data = new Array(n * 2).fill(a & 0xff);
      return [adu(tid, unit, [16, ...addr, ...be16(n), n * 2, ...data]), adu(tid, unit, [16, ...addr, ...be16(n)])];
    }
    case 2:
      return [adu(tid, unit, [6, ...addr, ...be16(q)]), adu(tid, unit, [6, ...addr, ...be16(q)])];
    case 3:
      return [adu(tid, unit, [8, ...be16(q % 21), 0, 0]), adu(tid, unit, [8, ...be16(q % 21), 0, 0])];
    case 4: {
      const text = ascii(`dev${q}`);
      return [adu(tid, unit, [43, 14, 1, 0]), adu(tid, unit, [43, 14, 1, 1, 0, 0, 2, 0, text.length, ...text, 2, 3, ...ascii('1.0')])];
    }
    case 5:
      return [adu(tid, unit, [17]), adu(tid, unit, [17, 6, 1, 0xff, ...ascii(`S${q % 1000}`.padEnd(4, 'x'))])];
    case 6:
      return [adu(tid, unit, [90, 0, 0x40 + (q & 1), 0xff, 0]), adu(tid, unit, [90, 0, 0xfe])];
    case 7:
      return [adu(tid, unit, [1, ...addr, ...be16((q % 2000) + 1)]), adu(tid, unit, [0x81, (q % 11) + 1])];
    case 8: {
      // UMAS READ_ID: the name length byte at PDU offset 25 sometimes overstates what follows.
      const name = ascii(`BMX P34 ${q % 10000}`);
      const head = [90, 0, 0xfe, ...new Array(8).fill(0), a & 0xff, a >> 8, ...new Array(12).fill(q & 0xff)];
      return [adu(tid, unit, [90, 0, 0x02]), adu(tid, unit, [...head, name.length + (q % 3), ...name])];
    }
    default:
      return [adu(tid, unit, [15, ...addr, ...be16(8), 1, q & 0xff]), adu(tid, unit, [15, ...addr, ...be16(8)])];
  }
}

const transactionsArb = fc.array(
  fc.record({ unit: fc.integer({ min: 0, max: 255 }), shape: fc.nat(9), a: fc.integer({ min: 0, max: 0xffff }), q: fc.integer({ min: 0, max: 0xffff }) }),
  { minLength: 1, maxLength: 12 },
);

function streams(txs: Array<{ unit: number; shape: number; a: number; q: number }>): [Buffer, Buffer] {
  const requests: Buffer[] = [];
  const responses: Buffer[] = [];
  txs.forEach((t, i) => {
    const [req, resp] = transaction(i + 1, t.unit, t.shape, t.a, t.q);
    requests.push(req);
    responses.push(resp);
  });
  return [Buffer.concat(requests), Buffer.concat(responses)];
}

/** Feed `data` in the pieces given by `cuts`, each as a view inside a buffer padded with junk on both sides. */
function feedSegmented(
  analyzer: ReturnType<typeof modbusSpec.create>,
  dir: Dir,
  data: Buffer,
  cuts: number[],
  junk: number,
  frame: number,
): void {
  const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((x, y) => x - y);
  let start = 0;
  for (const point of [...points, data.length]) {
    if (point <= start) continue;
    const piece = data.subarray(start, point);
    const padded = Buffer.alloc(piece.length + 16, junk);
    piece.copy(padded, 8);
    analyzer.onData(dir, padded, 8, piece.length, { frame, ts: frame });
    start = point;
  }
}

function run(client: Buffer, server: Buffer, clientCuts: number[], serverCuts: number[], junk: number): OtEvent[] {
  const { ctx, out } = fakeContext(defaultFlow());
  const analyzer = modbusSpec.create(ctx);
  feedSegmented(analyzer, Dir.ToServer, client, clientCuts, junk, 1);
  feedSegmented(analyzer, Dir.ToClient, server, serverCuts, junk, 2);
  analyzer.onClose({ frame: 3, ts: 3 });
  return out.events;
}

function assertWellFormed(events: OtEvent[]): void {
  for (const e of events) {
    if (e.type !== 'operation') continue;
    assert.ok(KINDS.has(e.kind), `kind ${e.kind}`);
    assert.ok(Number.isInteger(e.code) && e.code >= 0 && e.code <= 255, `code ${e.code}`);
    assert.ok(e.codeName.length > 0);
    if (e.address !== undefined) assert.ok(e.address >= 0 && e.address <= 0xffff);
    if (e.unit !== undefined) assert.ok(e.unit >= 0 && e.unit <= 255);
  }
}

test('property: random segmentation (and junk around each view) yields the same events as whole streams', () => {
  fc.assert(
    fc.property(
      transactionsArb,
      fc.array(fc.nat(), { maxLength: 20 }),
      fc.array(fc.nat(), { maxLength: 20 }),
      fc.integer({ min: 0, max: 255 }),
      (txs, clientCuts, serverCuts, junk) => {
        const [client, server] = streams(txs);
        const whole = run(client, server, [], [], 0);
        const ops = whole.filter((e) => e.type === 'operation');
        assert.equal(ops.length, txs.length);
        assert.ok(ops.every((e) => e.type === 'operation' && e.result !== 'no-response'));
        const segmented = run(client, server, clientCuts, serverCuts, junk);
        assert.deepEqual(segmented, whole);
      },
    ),
    { numRuns: fuzzRuns(150) },
  );
});

test('property: random bytes, random segmentation and gaps never throw and emit well-formed events', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.record({ toServer: fc.boolean(), bytes: fc.uint8Array({ maxLength: 300 }), gap: fc.nat(3) }),
        { maxLength: 12 },
      ),
      fc.integer({ min: 1, max: 8 }),
      fc.integer({ min: 8, max: 600 }),
      (chunks, maxPending, maxBuffer) => {
        const { ctx, out } = fakeContext(defaultFlow({ sidesGuessed: maxPending % 2 === 0 }), {
          maxPendingTransactions: maxPending,
          maxBufferBytes: maxBuffer,
        });
        const analyzer = modbusSpec.create(ctx);
        chunks.forEach((c, i) => {
          const dir = c.toServer ? Dir.ToServer : Dir.ToClient;
          if (c.gap === 0) analyzer.onGap(dir, 10, { frame: i, ts: i });
          const buf = Buffer.from(c.bytes);
          analyzer.onData(dir, buf, 0, buf.length, { frame: i, ts: i });
        });
        analyzer.onClose({ frame: 99, ts: 99 });
        assertWellFormed(out.events);
      },
    ),
    { numRuns: fuzzRuns(200) },
  );
});

test('property: mutated valid streams never throw and still emit well-formed events', () => {
  fc.assert(
    fc.property(
      transactionsArb,
      fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 8 }),
      fc.array(fc.nat(), { maxLength: 10 }),
      (txs, mutations, cuts) => {
        const [client, server] = streams(txs);
        const mutated = Buffer.from(client);
        for (const m of mutations) mutated[m.at % mutated.length] = m.value;
        const events = run(mutated, server, cuts, [], 0xaa);
        assertWellFormed(events);
        // The untouched response stream alone guarantees operations (paired or orphan) still come out.
        assert.ok(events.filter((e) => e.type === 'operation').length >= 1);
      },
    ),
    { numRuns: fuzzRuns(150) },
  );
});

test('property: probe is total on arbitrary input and says Yes to every valid first ADU', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat(), fc.nat(), (bytes, a, b) => {
      const buf = Buffer.from(bytes);
      const off = buf.length === 0 ? 0 : a % buf.length;
      const len = buf.length - off === 0 ? 0 : b % (buf.length - off + 1);
      const verdict = modbusSpec.probe(buf, off, len, Dir.ToServer);
      assert.ok(PROBE_VALUES.has(verdict));
    }),
    { numRuns: fuzzRuns(300) },
  );
  fc.assert(
    fc.property(transactionsArb, (txs) => {
      const [client, server] = streams(txs);
      const [req, resp] = transaction(1, txs[0]!.unit, txs[0]!.shape, txs[0]!.a, txs[0]!.q);
      assert.equal(modbusSpec.probe(req, 0, req.length, Dir.ToServer), Probe.Yes);
      assert.equal(modbusSpec.probe(resp, 0, resp.length, Dir.ToClient), Probe.Yes);
      assert.notEqual(modbusSpec.probe(client, 0, client.length, Dir.ToServer), Probe.No);
      assert.notEqual(modbusSpec.probe(server, 0, server.length, Dir.ToClient), Probe.No);
    }),
    { numRuns: fuzzRuns(100) },
  );
});
