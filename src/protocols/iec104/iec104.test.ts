import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Dir, Probe } from '../analyzer.js';
import { recordingContext } from '../common/test-support.js';
import { fuzzRuns } from '../../util/fuzz-budget.js';
import { iec104Spec } from './index.js';
import { frameApdu } from './parser.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const STARTDT_ACT = hex('68 04 07 00 00 00');
const STARTDT_CON = hex('68 04 0b 00 00 00');
const TESTFR_ACT = hex('68 04 43 00 00 00');
const S_FRAME = hex('68 04 01 00 0a 00');
// C_IC_NA_1 general interrogation, act, CA 1, IOA 0, QOI 20
const GI_ACT = hex('68 0e 00 00 00 00 64 01 06 00 01 00 00 00 00 14');
const GI_ACTCON = hex('68 0e 00 00 02 00 64 01 07 00 01 00 00 00 00 14');
// C_SC_NA_1 single command, act, CA 7, IOA 0x001001, SCO select (0x81)
const SC_SELECT = hex('68 0e 02 00 02 00 2d 01 06 00 07 00 01 10 00 81');
// ...its negative actcon (P/N bit 0x40 set in the cause)
const SC_NEG_CON = hex('68 0e 04 00 04 00 2d 01 47 00 07 00 01 10 00 81');
// C_SC_NA_1 execute (0x01)
const SC_EXEC = hex('68 0e 04 00 04 00 2d 01 06 00 07 00 01 10 00 01');
const SC_EXEC_CON = hex('68 0e 06 00 06 00 2d 01 07 00 07 00 01 10 00 01');
// M_ME_NC_1 spontaneous float measurement, CA 7, IOA 0x4001
const MEAS = hex('68 12 08 00 06 00 0d 01 03 00 07 00 01 40 00 00 00 20 41 00');

function feed(session: ReturnType<typeof iec104Spec.create>, dir: 0 | 1, bytes: Buffer, frame: number) {
  session.onData(dir, bytes, 0, bytes.length, { frame, ts: 1700000000 + frame });
}

test('framing: U, S and I formats; incomplete vs malformed', () => {
  assert.equal(frameApdu(STARTDT_ACT, 0, 6), 6);
  assert.equal(frameApdu(S_FRAME, 0, 6), 6);
  assert.equal(frameApdu(GI_ACT, 0, GI_ACT.length), 16);
  assert.equal(frameApdu(GI_ACT, 0, 10), 0, 'truncated I frame needs more');
  assert.equal(frameApdu(hex('68'), 0, 1), 0);
  assert.equal(frameApdu(hex('47 45 54 20'), 0, 4), -1, 'HTTP is not 104');
  assert.equal(frameApdu(hex('68 04 05 00 00 00'), 0, 6), -1, 'undefined U function');
  assert.equal(frameApdu(hex('68 02 00 00'), 0, 4), -1, 'length below 4');
});

test('probe: content, not port', () => {
  assert.equal(iec104Spec.probe(STARTDT_ACT, 0, 6, Dir.ToServer), Probe.Yes);
  assert.equal(iec104Spec.probe(GI_ACT, 0, GI_ACT.length, Dir.ToServer), Probe.Yes);
  assert.equal(iec104Spec.probe(Buffer.from('GET / HTTP/1.1\r\n'), 0, 16, Dir.ToServer), Probe.No);
  assert.equal(iec104Spec.probe(hex('68 04'), 0, 2, Dir.ToServer), Probe.NeedMore);
});

test('STARTDT and TESTFR act/con pairs become connect and diagnostics operations', () => {
  const ctx = recordingContext();
  const s = iec104Spec.create(ctx);
  feed(s, Dir.ToServer, STARTDT_ACT, 1);
  feed(s, Dir.ToClient, STARTDT_CON, 2);
  feed(s, Dir.ToServer, TESTFR_ACT, 3);
  s.onClose({ frame: 4, ts: 0 });
  const ops = ctx.operations();
  assert.deepEqual(ops.map((o) => [o.frame, o.kind, o.code, o.codeName, o.result, o.responseFrame]), [
    [1, 'connect', 1, 'STARTDT_act', 'ok', 2],
    [3, 'diagnostics', 0x10, 'TESTFR_act', 'no-response', undefined],
  ]);
  assert.equal(ops[0]!.src.ip, '10.0.0.1');
  assert.equal(ops[0]!.dst.ip, '10.0.0.2');
});

test('commands pair with their confirmations; select/execute and negative confirmation are kept', () => {
  const ctx = recordingContext();
  const s = iec104Spec.create(ctx);
  feed(s, Dir.ToServer, GI_ACT, 10);
  feed(s, Dir.ToClient, GI_ACTCON, 11);
  feed(s, Dir.ToServer, SC_SELECT, 12);
  feed(s, Dir.ToClient, SC_NEG_CON, 13);
  feed(s, Dir.ToServer, SC_EXEC, 14);
  feed(s, Dir.ToClient, SC_EXEC_CON, 15);
  feed(s, Dir.ToClient, MEAS, 16);
  s.onClose({ frame: 17, ts: 0 });
  const ops = ctx.operations();
  assert.deepEqual(
    ops.map((o) => ({ frame: o.frame, kind: o.kind, code: o.code, name: o.codeName, unit: o.unit, address: o.address, detail: o.detail, result: o.result, exc: o.exceptionName })),
    [
      { frame: 10, kind: 'read', code: 100, name: 'C_IC_NA_1', unit: 1, address: 0, detail: undefined, result: 'ok', exc: undefined },
      { frame: 12, kind: 'control', code: 45, name: 'C_SC_NA_1', unit: 7, address: 0x1001, detail: 'select', result: 'exception', exc: 'negative_confirmation' },
      { frame: 14, kind: 'control', code: 45, name: 'C_SC_NA_1', unit: 7, address: 0x1001, detail: 'execute', result: 'ok', exc: undefined },
    ],
  );
  assert.equal(ctx.counters['iec104.monitor-asdus'], 1, 'the measurement is counted, not an operation');
});

test('several APDUs per segment, one APDU split across segments', () => {
  const stream = Buffer.concat([STARTDT_ACT, GI_ACT, SC_EXEC]);
  const whole = recordingContext();
  const a = iec104Spec.create(whole);
  feed(a, Dir.ToServer, stream, 1);
  a.onClose({ frame: 2, ts: 0 });
  for (let cut = 1; cut < stream.length; cut++) {
    const ctx = recordingContext();
    const s = iec104Spec.create(ctx);
    s.onData(Dir.ToServer, stream, 0, cut, { frame: 1, ts: 1700000001 });
    s.onData(Dir.ToServer, stream, cut, stream.length - cut, { frame: 1, ts: 1700000001 });
    s.onClose({ frame: 2, ts: 0 });
    assert.deepEqual(ctx.operations().map((o) => o.codeName), whole.operations().map((o) => o.codeName), `cut at ${cut}`);
  }
  assert.deepEqual(whole.operations().map((o) => o.codeName), ['STARTDT_act', 'C_IC_NA_1', 'C_SC_NA_1']);
});

test('garbage and gaps: counted, then the parser resyncs on the next APDU', () => {
  const ctx = recordingContext();
  const s = iec104Spec.create(ctx);
  feed(s, Dir.ToServer, Buffer.concat([hex('de ad be ef 68 ff 00'), GI_ACT]), 1);
  s.onGap(Dir.ToServer, 100, { frame: 2, ts: 0 });
  feed(s, Dir.ToServer, Buffer.concat([GI_ACT.subarray(5), SC_EXEC]), 3);
  s.onClose({ frame: 4, ts: 0 });
  assert.deepEqual(ctx.operations().map((o) => [o.frame, o.codeName]), [[1, 'C_IC_NA_1'], [3, 'C_SC_NA_1']]);
  assert.ok((ctx.counters['iec104.malformed'] ?? 0) >= 1);
  assert.equal(ctx.counters['iec104.gap'], 1);
});

test('the pending-command cap completes the oldest as no-response and counts it', () => {
  const ctx = recordingContext({}, { maxPendingTransactions: 4 });
  const s = iec104Spec.create(ctx);
  for (let ioa = 0; ioa < 10; ioa++) {
    const f = Buffer.from(SC_EXEC);
    f[12] = ioa;
    feed(s, Dir.ToServer, f, ioa + 1);
  }
  assert.equal(ctx.counters['iec104.transaction-cap'], 6);
  assert.equal(ctx.operations().length, 6);
  s.onClose({ frame: 99, ts: 0 });
  assert.equal(ctx.operations().length, 10);
  assert.ok(ctx.operations().every((o) => o.result === 'no-response'));
});

test('property: arbitrary bytes and mutated streams never throw and every event is well-formed', () => {
  const valid = Buffer.concat([STARTDT_ACT, STARTDT_CON, GI_ACT, GI_ACTCON, SC_SELECT, SC_NEG_CON, MEAS, S_FRAME]);
  const mutated = fc
    .array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 })
    .map((edits) => {
      const b = Buffer.from(valid);
      for (const [i, v] of edits) b[i] = v;
      return b;
    });
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 600 }).map((u) => Buffer.from(u)), mutated), fc.array(fc.nat(600), { maxLength: 6 }), (bytes, cuts) => {
      const ctx = recordingContext({}, { maxBufferBytes: 300 });
      const s = iec104Spec.create(ctx);
      iec104Spec.probe(bytes, 0, bytes.length, Dir.ToServer);
      const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
      let prev = 0;
      for (const p of [...points, bytes.length]) {
        s.onData(p % 2 === 0 ? Dir.ToServer : Dir.ToClient, bytes, prev, p - prev, { frame: 1, ts: 0 });
        prev = p;
      }
      s.onClose({ frame: 2, ts: 0 });
      for (const e of ctx.operations()) {
        assert.equal(typeof e.codeName, 'string');
        assert.ok(Number.isInteger(e.code));
      }
    }),
    { numRuns: fuzzRuns(400) },
  );
});
