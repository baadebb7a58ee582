import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Dir, Probe } from '../analyzer.js';
import { C, S, assertWellFormed, checkRobustness, fact, ops, replay, type Message } from '../common/test-support.js';
import { ntpSpec, probeNtp } from './index.js';

function header(mode: number, stratum: number, refid: number[], origin: number, transmit: number): Buffer {
  const b = Buffer.alloc(48);
  b[0] = (0 << 6) | (4 << 3) | mode;
  b[1] = stratum;
  b.set(refid, 12);
  b.writeUInt32BE(origin, 24);
  if (origin !== 0) b.writeUInt32BE(0x12345678, 28); // echoes the request's transmit fraction
  b.writeUInt32BE(transmit, 40);
  b.writeUInt32BE(0x12345678, 44);
  return b;
}
/** mode 7 request/response: R bit, M bit, version 2, implementation 3 (XNTPD), request code */
function priv(response: boolean, more: boolean, request: number, items = 0): Buffer {
  const b = Buffer.alloc(8 + items * 72);
  b[0] = (response ? 0x80 : 0) | (more ? 0x40 : 0) | (2 << 3) | 7;
  b[2] = 3;
  b[3] = request;
  return b;
}

const session: Message[] = [
  [C, header(3, 0, [0, 0, 0, 0], 0, 0xe5000001)],
  [S, header(4, 2, [192, 168, 10, 1], 0xe5000001, 0xe5000002)],
  [C, header(3, 0, [0, 0, 0, 0], 0, 0xe5000010)],
  [C, priv(false, false, 42)],
  [S, priv(true, true, 42, 6)],
  [S, priv(true, false, 42, 2)],
];

test('client/server exchange paired by origin timestamp; monlist request with its amplified responses', () => {
  const ctx = replay(ntpSpec, session);
  assertWellFormed(ctx.events);
  const o = ops(ctx);
  assert.deepEqual(o.map((e) => [e.frame, e.kind, e.code, e.codeName, e.result, e.responseFrame ?? 0, e.dataBytes ?? 0]), [
    [1, 'time-sync', 3, 'client', 'ok', 2, 0],
    [4, 'diagnostics', 7, 'monlist', 'ok', 5, 8 + 6 * 72 + 8 + 2 * 72],
    [3, 'time-sync', 3, 'client', 'no-response', 0, 0],
  ]);
  assert.deepEqual(o[0]!.attributes, { version: 4, stratum: 2, refid: '192.168.10.1' });
  assert.deepEqual(o[1]!.attributes, { implementation: 3, responses: 2 });
  assert.deepEqual(fact(ctx, 'role-hint', '10.0.0.2'), ['ntp-server']);
  assert.equal(ctx.counters['ntp.monlist-requests'], 1);
});

test('stratum 1 refid is text; kiss-o-death is an exception; mode 6 readvar is diagnostics', () => {
  const ctx = replay(ntpSpec, [
    [C, header(3, 0, [0, 0, 0, 0], 0, 7)],
    [S, header(4, 1, [0x47, 0x50, 0x53, 0], 7, 8)],
    [C, header(3, 0, [0, 0, 0, 0], 0, 9)],
    [S, header(4, 0, [0x52, 0x41, 0x54, 0x45], 9, 10)],
    [C, Buffer.from([0x26, 0x02, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0])],
    [S, Buffer.from([0x26, 0x82, 0, 1, 0, 0, 0, 0, 0, 0, 0, 4, 0x61, 0x3d, 0x31, 0x0a])],
  ]);
  assert.deepEqual(ops(ctx).map((e) => [e.codeName, e.result, e.attributes?.refid ?? '', e.exceptionName ?? '']), [
    ['client', 'ok', 'GPS', ''],
    ['client', 'exception', 'RATE', 'kiss_rate'],
    ['control_readvar', 'ok', '', ''],
  ]);
});

test('probe: plausible NTP is only a Maybe; wrong version or short is No', () => {
  const h = header(3, 0, [0, 0, 0, 0], 0, 1);
  assert.equal(probeNtp(h, 0, 48, Dir.ToServer), Probe.Maybe);
  assert.equal(probeNtp(h, 0, 40, Dir.ToServer), Probe.No);
  const v7 = Buffer.from(h);
  v7[0] = (7 << 3) | 3;
  assert.equal(probeNtp(v7, 0, 48, Dir.ToServer), Probe.No);
});

test('property: mutated, truncated datagrams and noise never throw', () => {
  checkRobustness(ntpSpec, session, 150);
});

test('refid text follows each reply (a changed refid, or the same octets under another stratum); the server role is stated once', () => {
  const refids: Array<[number, number[]]> = [
    [2, [192, 168, 10, 1]],
    [2, [192, 168, 10, 1]],
    [2, [10, 0, 0, 9]],
    [1, [0x47, 0x50, 0x53, 0]], // "GPS"
    [2, [0x47, 0x50, 0x53, 0]], // the same octets as an address
    [1, [0x47, 0x50, 0x53, 0]],
  ];
  const messages: Message[] = [];
  refids.forEach(([stratum, refid], i) => {
    const t = 0xe5000100 + i;
    messages.push([C, header(3, 0, [0, 0, 0, 0], 0, t)], [S, header(4, stratum, refid, t, t + 1)]);
  });
  const ctx = replay(ntpSpec, messages);
  assert.deepEqual(
    ops(ctx).map((e) => [e.attributes?.stratum, e.attributes?.refid, e.attributes?.version]),
    [[2, '192.168.10.1', 4], [2, '192.168.10.1', 4], [2, '10.0.0.9', 4], [1, 'GPS', 4], [2, '71.80.83.0', 4], [1, 'GPS', 4]],
  );
  const roles = ctx.events.filter((e) => e.type === 'asset-fact' && e.field === 'role-hint');
  assert.equal(roles.length, 1);
});
