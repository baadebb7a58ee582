import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Dir, Probe } from '../analyzer.js';
import { C, S, assertWellFormed, checkRobustness, fact, ops, replay, type Message } from '../common/test-support.js';
import { probeRdp, rdpSpec } from './index.js';
import { parseConnectionPdu, protocolNames } from './parser.js';

/** TPKT + X.224 CR/CC with `variable` after the 7-byte fixed part. */
function x224(code: number, variable: Buffer): Buffer {
  const len = 11 + variable.length;
  return Buffer.concat([Buffer.from([3, 0, len >> 8, len & 255, len - 5, code, 0, 0, 0, 0, 0]), variable]);
}
const neg = (type: number, value: number) => Buffer.from([type, 0, 8, 0, value & 255, (value >> 8) & 255, 0, 0]);
const cr = x224(0xe0, Buffer.concat([Buffer.from('Cookie: mstshash=eng01\r\n'), neg(1, 0x0b)]));
const cc = x224(0xd0, neg(2, 0x02));
const session: Message[] = [
  [C, cr],
  [S, cc],
  [C, Buffer.from([0x16, 3, 1, 0, 4, 1, 2, 3, 4])],
  [S, Buffer.from([0x16, 3, 3, 0, 2, 9, 9])],
];

test('Connection Request/Confirm: cookie user, requested and selected security protocols; the rest is opaque', () => {
  const ctx = replay(rdpSpec, session);
  assertWellFormed(ctx.events);
  const [e, ...rest] = ops(ctx);
  assert.equal(rest.length, 0);
  assert.deepEqual([e!.kind, e!.code, e!.codeName, e!.result, e!.frame, e!.responseFrame, e!.responseCode], ['connect', 0xe0, 'connection_request', 'ok', 1, 2, 0xd0]);
  assert.deepEqual(e!.attributes, { user: 'eng01', requested: 'tls,credssp,credssp_early_user_auth', selected: 'credssp', security_protocol: 'credssp' });
  assert.deepEqual(fact(ctx, 'user', '10.0.0.1'), ['eng01']);
  assert.deepEqual(fact(ctx, 'role-hint', '10.0.0.2'), ['remote-access']);
  assert.equal(ctx.opaque, true);
  assert.equal(ctx.counters['rdp.opaque-bytes'], 16);
  assert.deepEqual(replay(rdpSpec, session, { chunk: 3 }).events, ctx.events);
});

test('negotiation failure is an exception named after the failure code', () => {
  const ctx = replay(rdpSpec, [[C, cr], [S, x224(0xd0, neg(3, 5))]]);
  const [e] = ops(ctx);
  assert.deepEqual([e!.result, e!.exceptionCode, e!.exceptionName], ['exception', 5, 'hybrid_required_by_server']);
  assert.equal(ctx.opaque, false);
});

test('parser: standard RDP security, routing token, malformed lengths', () => {
  assert.equal(protocolNames(0), 'rdp');
  const legacy = x224(0xe0, Buffer.from('Cookie: msts=3640205228.15629.0000\r\n'));
  assert.deepEqual(parseConnectionPdu(legacy, 0, legacy.length), { type: 0xe0, user: '', routingToken: '3640205228.15629.0000', requested: -1, selected: -1, failure: -1 });
  const badLi = Buffer.from(cr);
  badLi[4] = 3;
  assert.equal(parseConnectionPdu(badLi, 0, badLi.length), null);
  const noCrlf = x224(0xe0, Buffer.from('Cookie: mstshash=x'));
  assert.equal(parseConnectionPdu(noCrlf, 0, noCrlf.length), null);
});

test('probe: RDP CR Yes, bare CR Maybe, S7comm CR with TSAPs No', () => {
  assert.equal(probeRdp(cr, 0, cr.length, Dir.ToServer), Probe.Yes);
  assert.equal(probeRdp(cr, 0, 6, Dir.ToServer), Probe.NeedMore);
  const bare = x224(0xe0, Buffer.alloc(0));
  assert.equal(probeRdp(bare, 0, bare.length, Dir.ToServer), Probe.Maybe);
  const s7 = x224(0xe0, Buffer.from([0xc1, 2, 1, 0, 0xc2, 2, 1, 2, 0xc0, 1, 0x0a]));
  assert.equal(probeRdp(s7, 0, s7.length, Dir.ToServer), Probe.No);
});

test('property: mutated, truncated, re-segmented sessions and noise never throw', () => {
  checkRobustness(rdpSpec, session);
});
