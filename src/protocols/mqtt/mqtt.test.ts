import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Dir, Probe } from '../analyzer.js';
import { traceOf, tsharkFields, hasTshark } from '../../../test/support/trace.js';
import { assertGolden } from '../../../test/support/golden.js';
import { C, S, assertWellFormed, checkRobustness, fact, ops, replay, type Message } from '../common/test-support.js';
import { mqttSpec, probeMqtt } from './index.js';

const fixtures = join(import.meta.dirname, 'fixtures');
const str = (s: string) => {
  const b = Buffer.from(s);
  return Buffer.concat([Buffer.from([b.length >> 8, b.length & 255]), b]);
};
const packet = (first: number, body: Buffer) => Buffer.concat([Buffer.from([first, body.length]), body]);
const SECRET = 'pl4nt-pass';
const connect311 = packet(0x10, Buffer.concat([str('MQTT'), Buffer.from([4, 0xc2, 0, 60]), str('plc-gw-7'), str('scada'), str(SECRET)]));

const session: Message[] = [
  [C, connect311],
  [S, Buffer.from([0x20, 2, 0, 0])],
  [C, packet(0x82, Buffer.concat([Buffer.from([0, 1]), str('cmd/#'), Buffer.from([1]), str('cfg/+'), Buffer.from([0])]))],
  [S, Buffer.from([0x90, 4, 0, 1, 1, 0x80])],
  [C, packet(0x33, Buffer.concat([str('plant/valve7/set'), Buffer.from([0, 9]), Buffer.from('open')]))],
  [S, Buffer.from([0x40, 2, 0, 9])],
  [C, packet(0x30, Buffer.concat([str('plant/temp'), Buffer.from('21.5')]))],
  [S, packet(0x30, Buffer.concat([str('cmd/x'), Buffer.from('go')]))],
];

test('MQTT 3.1.1: CONNECT with credentials, SUBSCRIBE partly refused, QoS 1 publish acked, QoS 0 publish', () => {
  const ctx = replay(mqttSpec, session);
  assertWellFormed(ctx.events, SECRET);
  const o = ops(ctx);
  assert.deepEqual(
    o.map((e) => [e.frame, e.kind, e.codeName, e.result, e.object ?? '', e.responseFrame ?? 0]),
    [
      [1, 'authentication', 'connect', 'ok', '', 2],
      [3, 'subscription', 'subscribe', 'exception', 'cmd/#,cfg/+', 4],
      [5, 'write', 'publish', 'ok', 'plant/valve7/set', 6],
      [7, 'write', 'publish', 'unknown', 'plant/temp', 0],
    ],
  );
  assert.deepEqual(o[0]!.attributes, { protocol_name: 'MQTT', protocol_version: 4, client_id: 'plc-gw-7', keep_alive: 60, clean_session: true, password_sent: true, user: 'scada', success: true });
  assert.deepEqual([o[2]!.attributes?.qos, o[2]!.attributes?.retain, o[2]!.dataBytes], [1, true, 4]);
  assert.deepEqual(fact(ctx, 'user', '10.0.0.1'), ['scada']);
  assert.deepEqual(fact(ctx, 'credential', '10.0.0.2'), ['mqtt login user=scada (password sent in cleartext)']);
  assert.equal(ctx.counters['mqtt.deliveries'], 1);
  assert.deepEqual(replay(mqttSpec, session, { chunk: 1 }).events, ctx.events);
});

test('a broker accepting an anonymous CONNECT is a credential finding', () => {
  const anon = packet(0x10, Buffer.concat([str('MQTT'), Buffer.from([4, 0x02, 0, 30]), str('x')]));
  const ctx = replay(mqttSpec, [[C, anon], [S, Buffer.from([0x20, 2, 0, 0])]]);
  assert.equal(ops(ctx)[0]!.kind, 'connect');
  assert.deepEqual(fact(ctx, 'credential'), ['mqtt broker accepts connections without user name or password']);
});

test('probe: CONNECT with MQTT/MQIsdp Yes, CONNACK Maybe, HTTP No', () => {
  assert.equal(probeMqtt(connect311, 0, connect311.length, Dir.ToServer), Probe.Yes);
  assert.equal(probeMqtt(connect311, 0, 5, Dir.ToServer), Probe.NeedMore);
  assert.equal(probeMqtt(Buffer.from([0x20, 2, 0, 0]), 0, 4, Dir.ToClient), Probe.Maybe);
  assert.equal(probeMqtt(Buffer.from('GET / HTTP/1.1\r\n'), 0, 16, Dir.ToServer), Probe.No);
});

for (const name of ['mqtt5-pub-mosquittoprops.pcap', 'mqtt5-sub-userpass.pcap']) {
  test(`golden trace: ${name} (suricata-verify, MIT); tshark agrees on message types and user name`, async () => {
    const file = join(fixtures, name);
    const { trace, events } = await traceOf(file);
    assertGolden(join(fixtures, name.replace('.pcap', '.golden.json')), trace);
    if (!hasTshark) return;
    const theirs = tsharkFields(file, 'mqtt', ['mqtt.msgtype', 'mqtt.username']);
    for (const e of events) {
      if (e.type !== 'operation') continue;
      assert.equal(theirs.get(e.frame)?.[0]?.[0], String(e.code), `frame ${e.frame}`);
      if (e.code === 1) assert.equal(theirs.get(e.frame)?.[1]?.[0], e.attributes?.user);
      if (e.responseFrame) assert.ok(theirs.has(e.responseFrame));
    }
  });
}

test('property: mutated, truncated, re-segmented sessions and noise never throw', () => {
  checkRobustness(mqttSpec, session);
});
