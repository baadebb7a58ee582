import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Dir, Probe } from '../analyzer.js';
import { traceOf, tsharkFields, hasTshark } from '../../../test/support/trace.js';
import { assertGolden } from '../../../test/support/golden.js';
import { C, S, assertWellFormed, checkRobustness, fact, ops, replay, type Message } from '../common/test-support.js';
import { probeVnc, vncSpec } from './index.js';

const fixtures = join(import.meta.dirname, 'fixtures');
const u32 = (n: number) => Buffer.from([n >>> 24, (n >> 16) & 255, (n >> 8) & 255, n & 255]);
const serverInit = (name: string) => Buffer.concat([Buffer.from([0x04, 0x00, 0x03, 0x00]), Buffer.alloc(16, 1), u32(name.length), Buffer.from(name)]);

const noAuth38: Message[] = [
  [S, 'RFB 003.008\n'],
  [C, 'RFB 003.008\n'],
  [S, Buffer.from([2, 1, 2])],
  [C, Buffer.from([1])],
  [S, u32(0)],
  [C, Buffer.from([1])],
  [S, serverInit('hmi-line3:0')],
];

test('RFB 3.8 with security type None: authentication op with no_auth, credential finding, desktop name', () => {
  const ctx = replay(vncSpec, noAuth38);
  assertWellFormed(ctx.events);
  const [auth, ...rest] = ops(ctx);
  assert.equal(rest.length, 0);
  assert.deepEqual([auth!.kind, auth!.code, auth!.codeName, auth!.result, auth!.frame, auth!.responseFrame], ['authentication', 1, 'none', 'ok', 4, 5]);
  assert.deepEqual(auth!.attributes, { version: '003.008', client_version: '003.008', security_types: '1,2', chosen: 'none', no_auth: true, success: true });
  assert.deepEqual(fact(ctx, 'credential', '10.0.0.2'), ['vnc security type None: no authentication required']);
  assert.deepEqual(fact(ctx, 'role-hint', '10.0.0.2'), ['remote-access']);
  assert.deepEqual(fact(ctx, 'device-name', '10.0.0.2'), ['hmi-line3:0']);
  assert.deepEqual(replay(vncSpec, noAuth38, { chunk: 1 }).events, ctx.events);
});

test('RFB 3.3 VNC authentication failure with 3.8-less result; RFB 3.8 failure reason is the exception name', () => {
  const v33 = replay(vncSpec, [
    [S, 'RFB 003.003\n'],
    [C, 'RFB 003.003\n'],
    [S, u32(2)],
    [S, Buffer.alloc(16, 7)],
    [C, Buffer.alloc(16, 9)],
    [S, u32(1)],
  ]);
  const [a] = ops(v33);
  assert.deepEqual([a!.codeName, a!.result, a!.exceptionCode, a!.attributes?.no_auth], ['vnc_auth', 'exception', 1, false]);
  const v38 = replay(vncSpec, [
    [S, 'RFB 003.008\n'],
    [C, 'RFB 003.008\n'],
    [S, Buffer.from([1, 2])],
    [C, Buffer.from([2])],
    [S, Buffer.alloc(16, 7)],
    [C, Buffer.alloc(16, 9)],
    [S, Buffer.concat([u32(1), u32(14), Buffer.from('Bad password!!')])],
  ]);
  const [b] = ops(v38);
  assert.deepEqual([b!.result, b!.exceptionName, b!.responseFrame], ['exception', 'Bad password!!', 7]);
});

test('probe: ProtocolVersion Yes, prefix NeedMore, other No', () => {
  assert.equal(probeVnc(Buffer.from('RFB 003.889\n'), 0, 12, Dir.ToClient), Probe.Yes);
  assert.equal(probeVnc(Buffer.from('RFB 00'), 0, 6, Dir.ToClient), Probe.NeedMore);
  assert.equal(probeVnc(Buffer.from('RFB 0x3.008\n'), 0, 12, Dir.ToClient), Probe.No);
  assert.equal(probeVnc(Buffer.from('SSH-2.0-x\r\n'), 0, 11, Dir.ToClient), Probe.No);
});

test('golden trace: vncmac.pcap (Zeek, BSD): Apple Remote Desktop, one failed and one accepted Diffie-Hellman login', async () => {
  const file = join(fixtures, 'vncmac.pcap');
  const { trace, events } = await traceOf(file);
  assertGolden(join(fixtures, 'vncmac.golden.json'), trace);
  if (!hasTshark) return;
  // tshark: vnc.server_proto_ver / vnc.auth_result per frame
  const versions = tsharkFields(file, 'vnc.server_proto_ver', ['vnc.server_proto_ver']);
  assert.deepEqual([...versions.values()].map((v) => v[0]![0]), ['003.889', '003.889', '003.889']);
  const results = tsharkFields(file, 'vnc.auth_result', ['vnc.auth_result']);
  const ours = new Map<number, string>();
  for (const e of events) if (e.type === 'operation' && e.responseFrame) ours.set(e.responseFrame, e.result);
  for (const [frame, [r = []]] of results) {
    assert.equal(ours.get(frame), r[0] === '0' ? 'ok' : 'exception', `frame ${frame}`);
  }
  assert.equal(results.size, 2);
});

test('property: mutated, truncated, re-segmented handshakes and noise never throw', () => {
  checkRobustness(vncSpec, noAuth38);
});
