import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Dir, Probe } from '../analyzer.js';
import { recordingContext, type RecordingContext } from '../common/test-support.js';
import { probeS7commPlus } from './probe.js';
import { S7commPlusFlow } from './session.js';
import { decodeFrame, FrameStatus, PlusFrame, readVlq32, readVlqSigned32, Vlq } from './parser.js';
import { connection, dt, hex, plus, request, response } from './test-frames.js';

const meta = (frame: number) => ({ frame, ts: 1000 + frame });

function flow(ctx: RecordingContext): S7commPlusFlow {
  return new S7commPlusFlow(ctx);
}

function feed(f: S7commPlusFlow, dir: Dir, bytes: Buffer, frame: number): void {
  f.onData(dir, bytes, 0, bytes.length, meta(frame));
}

// Real frames from S7-1511_db2_var1_HMI.pcap (ITI, CC-BY), COTP payloads as tshark -x shows them.
const REAL_READ_REQ = hex(
  '7202005b310000054c0000000400000388340000000001058acdf1cd6688d0b880020293760a000004e88969001200000000896a001300896b0004000002208d4e7c6363b11c45f6f0baf60d3b2fa3a5afca5d4e85c98d52b1f827f467be4572020000',
);
const REAL_READ_RES = hex(
  '72020033320000054c00000004340001800a1a000006207bf6daf81df6dfc2a1e002497a2e4ff73e6ff81140e027f6093872840766eb7372020000',
);
const REAL_DELETE_REQ = hex(
  '7202004c31000004d40000000900000388340000038800000004e88969001200000000896a001300896b000400000320d3380600f12b78f7779d74d6e9378f46ecec23e4bed36648dffa83448ab5827f72020000',
);
const REAL_DELETE_RES = hex('7202003032000004d4000000093400000003882058a62600649a22eeb5be53920fe687176f698afa1e9be8547abd42bc83afd1e472020000');

test('VLQ decoding: 7-bit groups, DB access area 0x8a0e0002, signed values', () => {
  const v = new Vlq();
  assert.ok(readVlq32(hex('88d0b88002'), 0, 5, v));
  assert.equal(v.value, 0x8a0e0002);
  assert.equal(v.size, 5);
  assert.ok(readVlq32(hex('9077'), 0, 2, v));
  assert.equal(v.value, 2167);
  assert.ok(!readVlq32(hex('8080'), 0, 2, v), 'runs past the end');
  assert.ok(readVlqSigned32(hex('7f'), 0, 1, v));
  assert.equal(v.value, -1);
  assert.ok(readVlqSigned32(hex('03'), 0, 1, v));
  assert.equal(v.value, 3);
});

test('frame header: version, trailer, V3 integrity part skipped, keep-alive, bad version', () => {
  const f = new PlusFrame();
  assert.equal(decodeFrame(REAL_READ_REQ, 0, REAL_READ_REQ.length, f), FrameStatus.Ok);
  assert.equal(f.version, 2);
  assert.ok(f.hasTrailer);
  assert.equal(f.dataOff, 4);
  assert.equal(f.dataLen, 0x5b);
  const v3 = plus(3, Buffer.concat([Buffer.from([32]), Buffer.alloc(32, 0xaa), request(0x054c, 1, 0x388, '00000000')]));
  assert.equal(decodeFrame(v3, 0, v3.length, f), FrameStatus.Ok);
  assert.equal(v3[f.dataOff], 0x31, 'data starts at the opcode after the digest');
  assert.equal(decodeFrame(hex('72ff0100'), 0, 4, f), FrameStatus.Ok);
  assert.ok(f.keepAlive);
  assert.equal(decodeFrame(hex('7220000100'), 0, 5, f), FrameStatus.Malformed);
  assert.equal(decodeFrame(hex('32010000'), 0, 4, f), FrameStatus.NotS7Plus);
  assert.equal(decodeFrame(hex('7202ffff00'), 0, 5, f), FrameStatus.Malformed, 'length past the payload');
});

test('probe: SIMATIC TSAP in a CR is Yes, 0x72 DT is Yes, classic S7comm DT is No, partial is NeedMore', () => {
  const cr = connection(0xe0, 'SIMATIC-ROOT-HMI');
  assert.equal(probeS7commPlus(cr, 0, cr.length, Dir.ToServer), Probe.Yes);
  assert.equal(probeS7commPlus(cr, 0, 5, Dir.ToServer), Probe.NeedMore);
  const classicCr = Buffer.from('0300001611e00000000100c1020100c2020102c0010a', 'hex');
  const s7 = dt(hex('320100000000000e00000401120a10020001000084000000'));
  const classic = Buffer.concat([classicCr, s7]);
  assert.equal(probeS7commPlus(classic, 0, classic.length, Dir.ToServer), Probe.No);
  const d = dt(REAL_READ_REQ);
  assert.equal(probeS7commPlus(d, 0, d.length, Dir.ToServer), Probe.Yes);
  assert.equal(probeS7commPlus(hex('474554202f'), 0, 5, Dir.ToServer), Probe.No);
});

test('real frames: GetMultiVariables read of DB2 and DeleteObject closing the session, paired by sequence', () => {
  const ctx = recordingContext({ serverPort: 102 });
  const f = flow(ctx);
  feed(f, Dir.ToServer, dt(REAL_READ_REQ), 16);
  feed(f, Dir.ToClient, dt(REAL_READ_RES), 17);
  feed(f, Dir.ToServer, dt(REAL_DELETE_REQ), 36);
  feed(f, Dir.ToClient, dt(REAL_DELETE_RES), 37);
  const ops = ctx.operations();
  assert.equal(ops.length, 2);
  assert.deepEqual(
    [ops[0]!.kind, ops[0]!.code, ops[0]!.codeName, ops[0]!.subCode, ops[0]!.object, ops[0]!.quantity, ops[0]!.result, ops[0]!.responseFrame],
    ['read', 0x054c, 'get_multi_variables', 0x31, 'DB2', 1, 'ok', 17],
  );
  // The session id was never established in this flow (no CreateObject seen): a plain object delete.
  assert.deepEqual([ops[1]!.kind, ops[1]!.codeName, ops[1]!.object, ops[1]!.detail], ['other', 'delete_object', '0x00000388', 'delete object']);
  assert.equal(ctx.counters['s7comm-plus.version.V2'], 4);
});

test('hand-built: SetVariable of CPUexecUnit.OperatingStateREQ is a mode change to STOP / RUN', () => {
  const ctx = recordingContext({ serverPort: 102 });
  const f = flow(ctx);
  // object 52 (theCPUexecUnit_Rid), 1 address: 2167 = VLQ 90 77, value DInt (0x08) 1 = STOP, fill byte
  feed(f, Dir.ToServer, dt(plus(2, request(0x04f2, 7, 0x388, '00000034 01 9077 000801 00'))), 1);
  feed(f, Dir.ToClient, dt(plus(2, response(0x04f2, 7, '00'))), 2);
  // RUN as UDInt (0x04) 3, answered with error -12 (object not found): VLQ64 of 0xfff4 = 83 ff 74
  feed(f, Dir.ToServer, dt(plus(2, request(0x04f2, 8, 0x388, '00000034 01 9077 000403 00'))), 3);
  feed(f, Dir.ToClient, dt(plus(2, response(0x04f2, 8, '83ff74'))), 4);
  const ops = ctx.operations();
  assert.equal(ops.length, 2);
  assert.deepEqual([ops[0]!.kind, ops[0]!.detail, ops[0]!.result, ops[0]!.object], ['mode-change', 'stop', 'ok', 'CPUexecUnit.OperatingStateREQ']);
  assert.deepEqual([ops[1]!.kind, ops[1]!.detail, ops[1]!.result, ops[1]!.exceptionCode, ops[1]!.exceptionName], ['mode-change', 'run', 'exception', -12, 'object_not_found']);
});

test('hand-built: session CreateObject yields connect + session id, DeleteObject of it is the close', () => {
  const ctx = recordingContext({ serverPort: 102 });
  const f = flow(ctx);
  feed(f, Dir.ToServer, connection(0xe0, 'SIMATIC-ROOT-ES'), 1);
  feed(f, Dir.ToClient, connection(0xd0, 'SIMATIC-ROOT-ES'), 2);
  // CreateObject in ObjectServerSessionContainer (285) of class ClassServerSession (287 = VLQ 82 1f)
  feed(f, Dir.ToServer, dt(plus(1, request(0x04ca, 1, 0x120, '0000011d 000400 00000000 a1 000000d3 821f 00 a2'))), 3);
  // return value 0, 1 object id 0x388 (VLQ 87 08), then the object with the version string
  const version = Buffer.from('1;6ES7 516-3AN01-0AB0 ;V2.1', 'latin1');
  const body = `00 01 8708 a1 00000120 821f 00 a3 823f 0015 ${version.length.toString(16)} ${version.toString('hex')} a2`;
  feed(f, Dir.ToClient, dt(plus(1, response(0x04ca, 1, body))), 4);
  feed(f, Dir.ToServer, dt(plus(2, request(0x04d4, 2, 0x388, '00000388 00'))), 5);
  feed(f, Dir.ToClient, dt(plus(2, response(0x04d4, 2, '00 00000388'))), 6);
  const ops = ctx.operations();
  assert.deepEqual(ops.map((o) => [o.kind, o.codeName, o.object, o.detail]), [
    ['connect', 'create_object', 'ServerSession', 'V1 session=0x00000388'],
    ['connect', 'delete_object', 'ServerSession', 'close session=0x00000388'],
  ]);
  const facts = Object.fromEntries(ctx.events.filter((e) => e.type === 'asset-fact' && e.subject.ip === '10.0.0.2').map((e) => [e.type === 'asset-fact' ? e.field : '', e.type === 'asset-fact' ? e.value : '']));
  assert.equal(facts['order-number'], '6ES7 516-3AN01-0AB0');
  assert.equal(facts.firmware, 'V2.1');
  assert.equal(facts.model, 'CPU 1516');
  const clientRole = ctx.events.find((e) => e.type === 'asset-fact' && e.subject.ip === '10.0.0.1');
  assert.ok(clientRole && clientRole.type === 'asset-fact' && clientRole.value === 'engineering-station');
});

test('hand-built: CreateObject of an FB class is a program download; deleting it a program modification', () => {
  const ctx = recordingContext({ serverPort: 102 });
  const f = flow(ctx);
  // class 2578 = FB.Class_Rid = VLQ 94 12
  feed(f, Dir.ToServer, dt(plus(2, request(0x04ca, 3, 0x388, '00000003 000400 00000000 00 a1 00000000 9412 00 a2'))), 1);
  feed(f, Dir.ToClient, dt(plus(2, response(0x04ca, 3, '00 01 9000'))), 2);
  feed(f, Dir.ToServer, dt(plus(2, request(0x04d4, 4, 0x388, '00000800 00'))), 3);
  feed(f, Dir.ToClient, dt(plus(2, response(0x04d4, 4, '00 00000800'))), 4);
  const ops = ctx.operations();
  assert.deepEqual(ops.map((o) => [o.kind, o.object, o.detail]), [
    ['program-download', 'FB', 'create block'],
    ['program-modify', 'FB', 'delete block'],
  ]);
});

test('TLS after InitSsl: one opaque marker event, TLS bytes counted, no operations decoded from records', () => {
  const ctx = recordingContext({ serverPort: 102 });
  const f = flow(ctx);
  feed(f, Dir.ToServer, connection(0xe0, 'SIMATIC-ROOT-ES'), 1);
  feed(f, Dir.ToClient, connection(0xd0, 'SIMATIC-ROOT-ES'), 2);
  feed(f, Dir.ToServer, dt(plus(1, request(0x05b3, 1, 0x120, '00000000'))), 3);
  feed(f, Dir.ToClient, dt(plus(1, response(0x05b3, 1, '00'))), 4);
  const hello = hex('160301002a 0100002603030000000000000000000000000000000000000000000000000000000000000000000000');
  feed(f, Dir.ToServer, dt(hello), 5);
  // an application-data record that happens to contain an S7comm-plus request: must stay opaque
  feed(f, Dir.ToServer, dt(Buffer.concat([hex('1703030020'), plus(2, request(0x04f2, 9, 1, '00000034 01 9077 000801 00'))])), 6);
  feed(f, Dir.ToServer, dt(plus(2, request(0x04f2, 9, 1, '00000034 01 9077 000801 00'))), 7);
  f.onClose(meta(8));
  const markers = ctx.events.filter((e) => e.type === 'protocol');
  assert.equal(markers.length, 1);
  assert.ok(markers[0]!.type === 'protocol' && markers[0]!.visibility === 'opaque' && markers[0]!.detail === 'encrypted S7comm-plus V3/TLS');
  assert.deepEqual(ctx.operations().map((o) => [o.codeName, o.kind, o.detail]), [['init_ssl', 'authentication', 'tls']]);
  assert.equal(ctx.counters['s7comm-plus.tls'], 1);
  assert.ok((ctx.counters['s7comm-plus.tls-bytes'] ?? 0) > hello.length);
});

test('S7comm-plus fragmentation: a message without trailer continues until a frame with trailer', () => {
  const ctx = recordingContext({ serverPort: 102 });
  const f = flow(ctx);
  const first = plus(2, request(0x0542, 5, 0x388, '00000000 01 07 00 88d0b88003'), false);
  feed(f, Dir.ToServer, dt(first), 1);
  // inner fragment whose data happens to look like a request: must not become an operation
  feed(f, Dir.ToServer, dt(plus(2, request(0x04f2, 6, 0x388, '00000034 01 9077 000801'), false)), 2);
  feed(f, Dir.ToServer, dt(plus(2, hex('aabbcc'))), 3);
  feed(f, Dir.ToClient, dt(plus(2, response(0x0542, 5, '00 00'))), 4);
  const ops = ctx.operations();
  assert.deepEqual(ops.map((o) => [o.kind, o.codeName, o.object, o.result, o.responseFrame]), [['write', 'set_multi_variables', 'DB3', 'ok', 4]]);
  assert.equal(ctx.counters['s7comm-plus.fragments'], 3);
});

test('COTP DT reassembly: one S7comm-plus frame split over two DT TPDUs', () => {
  const ctx = recordingContext({ serverPort: 102 });
  const f = flow(ctx);
  feed(f, Dir.ToServer, dt(REAL_READ_REQ.subarray(0, 30), false), 1);
  feed(f, Dir.ToServer, dt(REAL_READ_REQ.subarray(30)), 2);
  feed(f, Dir.ToClient, dt(REAL_READ_RES), 3);
  assert.deepEqual(ctx.operations().map((o) => [o.frame, o.object, o.responseFrame]), [[2, 'DB2', 3]]);
});

test('resync: garbage before a frame, and a gap in the middle of one', () => {
  const ctx = recordingContext({ serverPort: 102 });
  const f = flow(ctx);
  const req = dt(REAL_READ_REQ);
  feed(f, Dir.ToServer, Buffer.concat([hex('deadbeef00112233'), req]), 1);
  feed(f, Dir.ToClient, dt(REAL_READ_RES), 2);
  // half a TPKT, a gap, then a whole TPKT
  f.onData(Dir.ToServer, req, 0, 20, meta(3));
  f.onGap(Dir.ToServer, 500, meta(4));
  const del = dt(REAL_DELETE_REQ);
  feed(f, Dir.ToServer, Buffer.concat([req.subarray(40), del]), 5);
  feed(f, Dir.ToClient, dt(REAL_DELETE_RES), 6);
  const ops = ctx.operations();
  assert.deepEqual(ops.map((o) => [o.codeName, o.result]), [['get_multi_variables', 'ok'], ['delete_object', 'ok']]);
  assert.ok((ctx.counters['s7comm-plus.resync'] ?? 0) >= 2);
  assert.equal(ctx.counters['s7comm-plus.gap'], 1);
  const kinds = new Set(ctx.events.filter((e) => e.type === 'anomaly').map((e) => (e.type === 'anomaly' ? e.anomaly : '')));
  assert.ok(kinds.has('gap') && kinds.has('resync') && kinds.has('malformed'));
});

test('byte-by-byte delivery gives the same operations as whole segments', () => {
  const stream = Buffer.concat([dt(REAL_READ_REQ), dt(REAL_DELETE_REQ)]);
  const answers = Buffer.concat([dt(REAL_READ_RES), dt(REAL_DELETE_RES)]);
  const whole = recordingContext({ serverPort: 102 });
  const a = flow(whole);
  feed(a, Dir.ToServer, stream, 1);
  feed(a, Dir.ToClient, answers, 2);
  const split = recordingContext({ serverPort: 102 });
  const b = flow(split);
  for (let i = 0; i < stream.length; i++) b.onData(Dir.ToServer, stream, i, 1, meta(1));
  for (let i = 0; i < answers.length; i++) b.onData(Dir.ToClient, answers, i, 1, meta(2));
  assert.equal(whole.operations().length, 2);
  assert.deepEqual(split.operations(), whole.operations());
});

test('unanswered requests complete as no-response at close; pending cap evicts the oldest', () => {
  const ctx = recordingContext({ serverPort: 102 }, { maxPendingTransactions: 2 });
  const f = flow(ctx);
  for (let seq = 1; seq <= 3; seq++) feed(f, Dir.ToServer, dt(plus(2, request(0x054c, seq, 0x388, '00000000 01 02 00 52'))), seq);
  assert.equal(ctx.counters['s7comm-plus.pending-cap'], 1);
  f.onClose(meta(9));
  const ops = ctx.operations();
  assert.equal(ops.length, 3);
  assert.ok(ops.every((o) => o.result === 'no-response'));
});

test('guessed sides: a request from the guessed server swaps them, one from the client confirms them', () => {
  const swapped = recordingContext({ serverPort: 102, sidesGuessed: true });
  const a = flow(swapped);
  feed(a, Dir.ToClient, dt(REAL_READ_REQ), 1);
  // after the swap the flow layer hands the CPU's bytes over as ToClient
  feed(a, Dir.ToClient, dt(REAL_READ_RES), 2);
  assert.equal(swapped.swaps, 1);
  assert.deepEqual(swapped.operations().map((o) => [o.codeName, o.result, o.responseFrame]), [['get_multi_variables', 'ok', 2]]);
  const confirmed = recordingContext({ serverPort: 102, sidesGuessed: true });
  const b = flow(confirmed);
  feed(b, Dir.ToServer, dt(REAL_READ_REQ), 1);
  assert.equal(confirmed.swaps, 0);
  assert.ok(confirmed.confirmations >= 1);
});
