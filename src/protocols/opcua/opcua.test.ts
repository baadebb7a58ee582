import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Dir, Probe } from '../analyzer.js';
import { recordingContext, type RecordingContext } from '../common/test-support.js';
import type { AssetFactEvent, ProtocolAnomalyEvent, ProtocolDetectedEvent } from '../../events/types.js';
import { opcuaSpec } from './index.js';
import { OpcuaSession } from './session.js';
import { Reader } from './parser.js';
import { SERVICE_BY_REQUEST, statusName } from './names.js';
import {
  POLICY_NONE,
  ack,
  byteStringNodeId,
  err,
  guidNodeId,
  hello,
  i32,
  message,
  msg,
  numericNodeId,
  openRequest,
  openResponse,
  readNodes,
  serviceRequest,
  serviceResponse,
  str,
  stringNodeId,
  u32,
} from './test-support.js';

const frames = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'frames.json'), 'utf8')) as Record<string, string>;
const meta = (frame: number) => ({ frame, ts: frame });

function run(steps: Array<[Dir, Buffer]>, ctx: RecordingContext = recordingContext({ serverPort: 4840 })): RecordingContext {
  const session = opcuaSpec.create(ctx);
  steps.forEach(([dir, buf], i) => session.onData(dir, buf, 0, buf.length, meta(i + 1)));
  session.onClose(meta(steps.length + 1));
  return ctx;
}

const facts = (ctx: RecordingContext) => ctx.events.filter((e): e is AssetFactEvent => e.type === 'asset-fact');
const anomalies = (ctx: RecordingContext) => ctx.events.filter((e): e is ProtocolAnomalyEvent => e.type === 'anomaly');
const handshake = (): Array<[Dir, Buffer]> => [
  [Dir.ToServer, hello('opc.tcp://plc1:4840')],
  [Dir.ToClient, ack()],
  [Dir.ToServer, openRequest(POLICY_NONE, 1)],
  [Dir.ToClient, openResponse(POLICY_NONE, 1)],
];

test('probe: HEL/ACK/MSG headers are OPC UA, HTTP and short prefixes are not or need more', () => {
  const h = hello('opc.tcp://x:4840');
  assert.equal(opcuaSpec.probe(h, 0, h.length, Dir.ToServer), Probe.Yes);
  assert.equal(opcuaSpec.probe(h, 0, 5, Dir.ToServer), Probe.NeedMore);
  const m = msg(2, serviceRequest(numericNodeId(631), 1));
  assert.equal(opcuaSpec.probe(m, 0, m.length, Dir.ToServer), Probe.Yes);
  const http = Buffer.from('HELO mail.example.com\r\n');
  assert.equal(opcuaSpec.probe(http, 0, http.length, Dir.ToServer), Probe.No);
  const bad = Buffer.from(h);
  bad.writeUInt32LE(3, 4); // smaller than a HEL can be
  assert.equal(opcuaSpec.probe(bad, 0, bad.length, Dir.ToServer), Probe.No);
  assert.equal(opcuaSpec.probe(Buffer.from('GET / HTTP/1.1'), 0, 14, Dir.ToServer), Probe.No);
});

test('HEL/ACK, OPN (None) and a Read are paired; HEL url becomes a server fact', () => {
  const ctx = run([
    ...handshake(),
    [Dir.ToServer, msg(2, serviceRequest(numericNodeId(631), 5, readNodes([stringNodeId(2, 'Motor.Speed'), numericNodeId(85)])))],
    [Dir.ToClient, msg(2, serviceResponse(numericNodeId(634), 5))],
  ]);
  const ops = ctx.operations();
  assert.deepEqual(
    ops.map((o) => [o.frame, o.code, o.codeName, o.kind, o.result, o.responseFrame]),
    [
      [1, 0, 'hello', 'connect', 'ok', 2],
      [3, 446, 'open_secure_channel', 'connect', 'ok', 4],
      [5, 631, 'read', 'read', 'ok', 6],
    ],
  );
  assert.equal(ops[1]!.object, 'None');
  assert.match(ops[1]!.detail!, /issue, mode None, lifetime 600000 ms; channel 7/);
  assert.equal(ops[2]!.object, 'ns=2;s=Motor.Speed');
  assert.equal(ops[2]!.quantity, 2);
  assert.equal(ops[2]!.src.ip, '10.0.0.1');
  assert.deepEqual(facts(ctx).map((f) => [f.subject.ip, f.field, f.value]), [['10.0.0.2', 'url', 'opc.tcp://plc1:4840']]);
});

test('every NodeId encoding of the service type id is understood', () => {
  // Four-byte (631 > 255), full numeric (forced), and two-byte (ActivateSession 467 needs four-byte) encodings.
  const full = Buffer.concat([Buffer.from([0x02, 0, 0]), u32(673)]);
  const ctx = run([
    ...handshake(),
    [Dir.ToServer, msg(2, serviceRequest(numericNodeId(631), 1, readNodes([numericNodeId(5)])))],
    [Dir.ToServer, msg(3, serviceRequest(full, 2, Buffer.concat([i32(1), guidNodeId(3, Buffer.from('00112233445566778899aabbccddeeff', 'hex'))])))],
    [Dir.ToServer, msg(4, serviceRequest(numericNodeId(631), 3, readNodes([byteStringNodeId(4, Buffer.from([1, 2, 3]))])))],
    [Dir.ToServer, msg(5, serviceRequest(numericNodeId(631), 4, readNodes([numericNodeId(70000, 300)])))],
  ]);
  const ops = ctx.operations().slice(2);
  assert.deepEqual(ops.map((o) => [o.code, o.object]), [
    [631, 'i=5'],
    [673, 'ns=3;g=33221100-5544-7766-8899-aabbccddeeff'],
    [631, 'ns=4;b=AQID'],
    [631, 'ns=300;i=70000'],
  ]);
  // A string-encoded type id is not a standard service: counted as malformed, never guessed.
  const odd = run([...handshake(), [Dir.ToServer, msg(6, serviceRequest(stringNodeId(0, 'ReadRequest'), 1))]]);
  assert.equal(odd.operations().length, 2);
  assert.equal(odd.counters['opcua.malformed'], 1);
});

test('reader: ExpandedNodeId flags and out-of-bounds reads fail cleanly', () => {
  const r = new Reader();
  const expanded = Buffer.concat([Buffer.from([0xc1, 0, 0x77, 0x02]), str('urn:x'), u32(3)]);
  r.reset(expanded, 0, expanded.length).nodeId();
  assert.ok(r.ok);
  assert.equal(r.nodeNumeric, 0x277);
  assert.equal(r.pos, expanded.length);
  r.reset(expanded, 0, 6).nodeId();
  assert.equal(r.ok, false);
  const hugeString = i32(0x7fffffff);
  r.reset(hugeString, 0, 4);
  assert.equal(r.string(), null);
  assert.equal(r.ok, false);
});

test('a non-Good ServiceResult (and a ServiceFault) is an exception with the status name', () => {
  const ctx = run([
    ...handshake(),
    [Dir.ToServer, msg(2, serviceRequest(numericNodeId(467), 1))],
    [Dir.ToClient, msg(2, serviceResponse(numericNodeId(397), 1, 0x80250000))],
    [Dir.ToServer, msg(3, serviceRequest(numericNodeId(631), 2, readNodes([numericNodeId(5)])))],
    [Dir.ToClient, msg(3, serviceResponse(numericNodeId(634), 2, 0x80340000))],
  ]);
  const [activate, read] = ctx.operations().slice(2);
  assert.deepEqual([activate!.result, activate!.exceptionCode, activate!.exceptionName], ['exception', 0x80250000, 'BadSessionIdInvalid']);
  assert.deepEqual([read!.result, read!.exceptionName], ['exception', 'BadNodeIdUnknown']);
  assert.equal(statusName(0x801f0000), 'BadUserAccessDenied');
  assert.equal(statusName(0x80200000), 'BadIdentityTokenInvalid');
  assert.equal(statusName(0x80130000), 'BadSecurityChecksFailed');
});

test('ERR answering HEL is an exception with code, name and reason', () => {
  const ctx = run([
    [Dir.ToServer, hello('opc.tcp://plc1:4840/bad')],
    [Dir.ToClient, err(0x80830000, 'endpoint unknown')],
  ]);
  const [op] = ctx.operations();
  assert.deepEqual([op!.codeName, op!.result, op!.exceptionName, op!.detail], ['hello', 'exception', 'BadTcpEndpointUrlInvalid', 'endpoint unknown']);
});

test('RHE (reverse hello): the server opened the connection; its url is a fact about it', () => {
  const rhe = message('RHE', 'F', Buffer.concat([str('urn:plc1:server'), str('opc.tcp://plc1:4840')]));
  const ctx = run([[Dir.ToServer, rhe]]);
  const [op] = ctx.operations();
  assert.deepEqual([op!.codeName, op!.object, op!.detail], ['reverse_hello', 'opc.tcp://plc1:4840', 'urn:plc1:server']);
  assert.deepEqual(facts(ctx).map((f) => [f.subject.ip, f.field]), [['10.0.0.1', 'url']]);
});

test('real frames: ActivateSession with a UserNameIdentityToken → user fact and policy id, never the password', () => {
  const ctx = run([
    ...handshake(),
    [Dir.ToServer, Buffer.from(frames.mainloop_44_activate_session_username!, 'hex')],
    [Dir.ToClient, Buffer.from(frames.mainloop_46_activate_session_response!, 'hex')],
  ]);
  const op = ctx.operations().find((o) => o.code === 467)!;
  assert.deepEqual([op.kind, op.detail, op.object, op.result], ['authentication', 'username', 'user user1, policy open62541-username-policy', 'ok']);
  assert.deepEqual(facts(ctx).filter((f) => f.field === 'user').map((f) => [f.subject.ip, f.value]), [['10.0.0.1', 'user1']]);
  assert.ok(!JSON.stringify(ctx.events).includes('password'), 'the password never leaves the analyzer');
});

test('real frames: CreateSession request/response → client and server application facts', () => {
  const ctx = run([
    ...handshake(),
    [Dir.ToServer, Buffer.from(frames.minimal_15_create_session_request!, 'hex')],
    [Dir.ToClient, Buffer.from(frames.minimal_17_create_session_response!, 'hex')],
  ]);
  const op = ctx.operations().find((o) => o.code === 461)!;
  assert.deepEqual([op.codeName, op.kind, op.object, op.result], ['create_session', 'connect', 'Pure Python Client Session1', 'ok']);
  const byHost = facts(ctx).map((f) => `${f.subject.ip} ${f.field}=${f.value}`);
  assert.ok(byHost.includes('10.0.0.1 product=Pure Python Client'));
  assert.ok(byHost.includes('10.0.0.1 software=urn:freeopcua.github.io:client'));
  assert.ok(byHost.includes('10.0.0.2 product=FreeOpcUa Python Server'));
  assert.ok(byHost.includes('10.0.0.2 software=urn:freeopcua.github.io:python:server'));
  assert.ok(byHost.includes('10.0.0.2 url=opc.tcp://127.0.0.1:4840/freeopcua/server/'));
});

test('SignAndEncrypt: MSG bodies after an encrypted OPN are opaque — one marker, counted, nothing decoded', () => {
  const policy = 'http://opcfoundation.org/UA/SecurityPolicy#Aes128_Sha256_RsaOaep';
  const cipher = (seed: number) => Buffer.from(Array.from({ length: 64 }, (_, i) => (seed * 31 + i * 97 + 0x5b) & 0xff));
  const ctx = run([
    [Dir.ToServer, hello('opc.tcp://plc1:4840')],
    [Dir.ToClient, ack()],
    [Dir.ToServer, openRequest(policy, 1)],
    [Dir.ToClient, openResponse(policy, 1)],
    // symmetric header in clear, everything after it encrypted
    [Dir.ToServer, message('MSG', 'F', Buffer.concat([u32(7), u32(1), cipher(1)]))],
    [Dir.ToClient, message('MSG', 'F', Buffer.concat([u32(7), u32(1), cipher(2)]))],
    [Dir.ToServer, message('MSG', 'F', Buffer.concat([u32(7), u32(1), cipher(3)]))],
  ]);
  const ops = ctx.operations();
  assert.deepEqual(ops.map((o) => [o.codeName, o.object, o.result]), [
    ['hello', 'opc.tcp://plc1:4840', 'ok'],
    ['open_secure_channel', 'Aes128_Sha256_RsaOaep', 'unknown'],
  ]);
  const markers = ctx.events.filter((e): e is ProtocolDetectedEvent => e.type === 'protocol');
  assert.equal(markers.length, 1);
  assert.equal(markers[0]!.visibility, 'opaque');
  assert.equal(markers[0]!.detail, 'encrypted: SignAndEncrypt with Aes128_Sha256_RsaOaep');
  assert.equal(ctx.counters['opcua.encrypted-messages'], 3);
  assert.equal(anomalies(ctx).length, 0);
});

test('Sign-only channel (policy not None, cleartext body + signature) is decoded', () => {
  const policy = 'http://opcfoundation.org/UA/SecurityPolicy#Basic256Sha256';
  const signature = Buffer.alloc(32, 0xee);
  const ctx = run([
    [Dir.ToServer, openRequest(policy, 1)],
    [Dir.ToClient, openResponse(policy, 1)],
    [Dir.ToServer, msg(2, Buffer.concat([serviceRequest(numericNodeId(712), 1, Buffer.concat([i32(1), numericNodeId(85), numericNodeId(62541, 1), i32(0)])), signature]))],
    [Dir.ToClient, msg(2, Buffer.concat([serviceResponse(numericNodeId(715), 1), signature]))],
  ]);
  const call = ctx.operations().find((o) => o.code === 712)!;
  assert.deepEqual([call.kind, call.object, call.detail, call.result], ['control', 'ns=1;i=62541', 'on i=85', 'ok']);
  assert.equal(ctx.events.filter((e) => e.type === 'protocol').length, 0);
});

test('chunks: C parts are reassembled per request id, A aborts, the reassembly cap is counted', () => {
  const body = serviceRequest(numericNodeId(673), 9, Buffer.concat([i32(1), stringNodeId(1, 'Valve.Open'), Buffer.alloc(40)]));
  const ctx = run([
    ...handshake(),
    [Dir.ToServer, msg(3, body.subarray(0, 10), 'C')],
    [Dir.ToServer, msg(4, serviceRequest(numericNodeId(631), 3, readNodes([numericNodeId(1)])), 'C')],
    [Dir.ToServer, msg(3, body.subarray(10, 30), 'C')],
    [Dir.ToServer, msg(3, body.subarray(30), 'F')],
    [Dir.ToServer, msg(4, Buffer.concat([u32(0x80ac0000), str('too large')]), 'A')],
    [Dir.ToClient, msg(3, serviceResponse(numericNodeId(676), 9))],
  ]);
  const ops = ctx.operations().slice(2);
  assert.deepEqual(ops.map((o) => [o.frame, o.codeName, o.object, o.result, o.responseFrame]), [[8, 'write', 'ns=1;s=Valve.Open', 'ok', 10]]);
  assert.equal(ctx.counters['opcua.reassembled'], 1);
  assert.equal(ctx.counters['opcua.aborted-chunks'], 1);

  const capped = recordingContext({ serverPort: 4840 });
  const session = new OpcuaSession(capped, { maxChunkedMessages: 2, maxReassemblyBytes: 64 });
  const steps = [...handshake(), [Dir.ToServer, msg(10, Buffer.alloc(10), 'C')], [Dir.ToServer, msg(11, Buffer.alloc(10), 'C')], [Dir.ToServer, msg(12, Buffer.alloc(10), 'C')], [Dir.ToServer, msg(12, Buffer.alloc(60), 'C')]] as Array<[Dir, Buffer]>;
  steps.forEach(([dir, buf], i) => session.onData(dir, buf, 0, buf.length, meta(i + 1)));
  assert.equal(capped.counters['opcua.reassembly-cap'], 2);
});

test('resync: garbage before and between messages is skipped, counted once per run, and decoding resumes', () => {
  const garbage = Buffer.from('00ff4d53477a7a7a0102030405', 'hex'); // includes a false "MSG" start
  const read = msg(2, serviceRequest(numericNodeId(631), 1, readNodes([numericNodeId(5)])));
  const stream = Buffer.concat([garbage, hello('opc.tcp://a:4840'), garbage, read]);
  const ctx = recordingContext({ serverPort: 4840 });
  const session = opcuaSpec.create(ctx);
  // byte-by-byte segmentation on top
  for (let i = 0; i < stream.length; i++) session.onData(Dir.ToServer, stream, i, 1, meta(i + 1));
  session.onClose(meta(stream.length + 1));
  assert.deepEqual(ctx.operations().map((o) => o.codeName).sort(), ['hello', 'read']);
  assert.equal(ctx.counters['opcua.malformed'], 2);
});

test('pending requests are capped (oldest completed as no-response and counted); ids verified against NodeIds.csv', () => {
  const ctx = recordingContext({ serverPort: 4840 }, { maxPendingTransactions: 3 });
  run([...handshake(), ...[10, 11, 12, 13, 14].map((id): [Dir, Buffer] => [Dir.ToServer, msg(id, serviceRequest(numericNodeId(826), id))])], ctx);
  assert.equal(ctx.counters['opcua.transaction-cap'], 2);
  assert.equal(ctx.operations().filter((o) => o.codeName === 'publish' && o.result === 'no-response').length, 5);
  const ids = Object.fromEntries([...SERVICE_BY_REQUEST.values()].map((s) => [s.name, [s.request, s.response]]));
  assert.deepEqual(ids.get_endpoints, [428, 431]);
  assert.deepEqual(ids.find_servers_on_network, [12208, 12209]);
  assert.deepEqual(ids.register_server2, [12211, 12212]);
  assert.deepEqual(ids.translate_browse_paths_to_node_ids, [554, 557]);
});
