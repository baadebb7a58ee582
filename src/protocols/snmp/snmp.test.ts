import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Dir, Probe } from '../analyzer.js';
import { C, S, assertWellFormed, checkRobustness, fact, ops, replay, type Message } from '../common/test-support.js';
import { probeSnmp, snmpSpec } from './index.js';
import { SnmpMessage, oidText, parseSnmp, readInteger } from './parser.js';

/** Minimal BER encoder for test messages. */
function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  const len = body.length < 128 ? Buffer.from([body.length]) : Buffer.from([0x82, body.length >> 8, body.length & 255]);
  return Buffer.concat([Buffer.from([tag]), len, body]);
}
const int = (n: number) => tlv(0x02, Buffer.from(n < 128 ? [n] : [n >> 8, n & 255]));
const str = (s: string) => tlv(0x04, Buffer.from(s));
const oid = (dotted: string) => {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const out = [a! * 40 + b!];
  for (const n of rest) {
    const groups = [n & 0x7f];
    for (let v = n >> 7; v > 0; v >>= 7) groups.unshift((v & 0x7f) | 0x80);
    out.push(...groups);
  }
  return tlv(0x06, Buffer.from(out));
};
const NULL = Buffer.from([0x05, 0]);
const varbinds = (...vbs: Array<[string, Buffer]>) => tlv(0x30, ...vbs.map(([o, v]) => tlv(0x30, oid(o), v)));
const message = (version: number, community: string, pduTag: number, requestId: number, errorStatus: number, vbs: Buffer) =>
  tlv(0x30, int(version), str(community), tlv(pduTag, int(requestId), int(errorStatus), int(0), vbs));

const SYS_DESCR = '1.3.6.1.2.1.1.1.0';
const SYS_OID = '1.3.6.1.2.1.1.2.0';
const SYS_NAME = '1.3.6.1.2.1.1.5.0';
const COMMUNITY = 'Pl4ntRO';

const session: Message[] = [
  [C, message(0, COMMUNITY, 0xa0, 300, 0, varbinds([SYS_DESCR, NULL], [SYS_OID, NULL], [SYS_NAME, NULL]))],
  [S, message(0, COMMUNITY, 0xa2, 300, 0, varbinds([SYS_DESCR, str('Siemens, SIMATIC NET, SCALANCE X208, HW: 7, FW: V4.1.0')], [SYS_OID, oid('1.3.6.1.4.1.4329.6.1.2.1')], [SYS_NAME, str('sw-cell-3')]))],
  [C, message(1, 'private', 0xa3, 301, 0, varbinds([SYS_NAME, str('pwned')]))],
  [S, message(1, 'private', 0xa2, 301, 17, varbinds([SYS_NAME, str('pwned')]))],
];

test('v1 get/response with the system group, v2c set refused: operations, identity and community findings', () => {
  const ctx = replay(snmpSpec, session);
  assertWellFormed(ctx.events, COMMUNITY);
  assert.deepEqual(ops(ctx).map((e) => [e.kind, e.code, e.codeName, e.object, e.quantity, e.result, e.responseFrame, e.exceptionName ?? '', e.attributes?.version]), [
    ['read', 0, 'get_request', SYS_DESCR, 3, 'ok', 2, '', '1'],
    ['write', 3, 'set_request', SYS_NAME, 1, 'exception', 4, 'not_writable', '2c'],
  ]);
  const agent = '10.0.0.2';
  assert.deepEqual(fact(ctx, 'software', agent), ['Siemens, SIMATIC NET, SCALANCE X208, HW: 7, FW: V4.1.0']);
  assert.deepEqual(fact(ctx, 'vendor', agent), ['Siemens']);
  assert.deepEqual(fact(ctx, 'hostname', agent), ['sw-cell-3']);
  assert.deepEqual(fact(ctx, 'product-code', agent), ['1.3.6.1.4.1.4329.6.1.2.1']);
  assert.deepEqual(fact(ctx, 'role-hint', agent), ['snmp-agent']);
  assert.deepEqual(fact(ctx, 'credential', agent), [
    'snmp v1 community (cleartext, 7 chars, default: no)',
    "snmp v2c community (cleartext, 7 chars, default: yes ('private'))",
  ]);
});

test('a v2 trap is reported from the agent; a response seen first swaps guessed sides', () => {
  const trap = tlv(0x30, int(1), str('public'), tlv(0xa7, int(5), int(0), int(0), varbinds(['1.3.6.1.2.1.1.3.0', tlv(0x43, Buffer.from([1, 0]))], ['1.3.6.1.6.3.1.1.4.1.0', oid('1.3.6.1.6.3.1.1.5.3')])));
  const ctx = replay(snmpSpec, [[C, trap]], { flow: { serverPort: 162 } });
  const [e] = ops(ctx);
  assert.deepEqual([e!.kind, e!.codeName, e!.src.ip, e!.result], ['other', 'snmpv2_trap', '10.0.0.1', 'unknown']);
  assert.deepEqual(fact(ctx, 'role-hint', '10.0.0.1'), ['snmp-agent']);
  const swapped = replay(snmpSpec, [session[1]!], { flow: { sidesGuessed: true } });
  assert.equal(swapped.swaps, 1);
});

test('SNMPv3: user name kept, encrypted PDU opaque', () => {
  const usm = tlv(0x30, str('\x80\x00\x1f\x88'), int(1), int(2), str('opsadmin'), str('authparams12'), str('privparams'));
  const v3 = tlv(0x30, int(3), tlv(0x30, int(9), int(1400), str('\x07'), int(3)), tlv(0x04, usm), str('encrypted-blob'));
  const m = parseSnmp(v3, 0, v3.length, new SnmpMessage());
  assert.ok(m.ok && m.encrypted && m.version === 3 && m.v3Flags === 7);
  const ctx = replay(snmpSpec, [[C, v3], [C, v3]]);
  assert.deepEqual(ops(ctx).map((e) => [e.codeName, e.attributes?.user]), [['snmpv3_encrypted_pdu', 'opsadmin']]);
  assert.equal(ctx.counters['snmp.v3-encrypted'], 2);
});

test('BER strictness: a length past the end, a multi-byte tag and trailing truncation are refused', () => {
  const good = session[0]![1] as Buffer;
  assert.equal(probeSnmp(good, 0, good.length, Dir.ToServer), Probe.Yes);
  assert.equal(probeSnmp(good, 0, good.length - 1, Dir.ToServer), Probe.No);
  const bad = Buffer.from(good);
  bad[1] = 0x7f;
  assert.equal(probeSnmp(bad, 0, bad.length, Dir.ToServer), Probe.No);
  assert.equal(probeSnmp(Buffer.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), 0, 6, Dir.ToServer), Probe.No);
  assert.equal(oidText(Buffer.from([0x2b, 6, 1, 0x84]), 0, 4), '');
  assert.equal(readInteger(Buffer.from([0xff]), 0, 1), -1);
  assert.equal(readInteger(Buffer.from([0x00, 0x80]), 0, 2), 128);
});

test('property: mutated, truncated datagrams and noise never throw', () => {
  checkRobustness(snmpSpec, session, 150);
});
