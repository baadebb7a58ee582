import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Dir, Probe } from '../protocols/analyzer.js';
import type { ProtocolDetectedEvent } from '../events/types.js';
import { IpProto, TcpFlag } from './packet.js';
import { AnalyzerRegistry } from './dispatch.js';
import { fakeSpec, harness, magicProbe, packet, streamText, type Harness, type PacketSpec } from './flow-test-support.js';

const { SYN, ACK, PSH, FIN } = TcpFlag;

/** A TCP conversation driver: tracks sequence numbers of both sides after a handshake. */
function conversation(h: Harness, base: PacketSpec = {}, handshake = true) {
  const client = { src: '10.0.0.1', dst: '10.0.0.2', sport: 40000, dport: 502, ...base };
  const server = { src: client.dst, dst: client.src, sport: client.dport, dport: client.sport };
  let cseq = 1000;
  let sseq = 5000;
  if (handshake) {
    h.table.process(packet({ ...client, flags: SYN, seq: cseq - 1 }));
    h.table.process(packet({ ...server, flags: SYN | ACK, seq: sseq - 1, ack: cseq }));
  }
  return {
    toServer(text: string, extra: PacketSpec = {}) {
      const p = packet({ ...client, flags: ACK | PSH, seq: cseq, ack: sseq, payload: text, ...extra });
      cseq += text.length;
      h.table.process(p);
      return p;
    },
    toClient(text: string, extra: PacketSpec = {}) {
      const p = packet({ ...server, flags: ACK | PSH, seq: sseq, ack: cseq, payload: text, ...extra });
      sseq += text.length;
      h.table.process(p);
      return p;
    },
    skipToServer(n: number) {
      cseq += n;
    },
  };
}

const modbusLike = () =>
  fakeSpec({ name: 'modbus', ports: [502], probe: magicProbe('MODB') });

test('registry: specs by transport, port hints, server-port lookup', () => {
  const r = new AnalyzerRegistry();
  const a = fakeSpec({ name: 'modbus', ports: [502] });
  const b = fakeSpec({ name: 'bacnet', ports: [47808], transports: ['udp'] });
  const c = fakeSpec({ name: 'enip', ports: [44818, 2222], transports: ['tcp', 'udp'] });
  r.register(a);
  r.register(b);
  r.register(c);
  r.register(a); // idempotent
  assert.deepEqual(r.specs.map((s) => s.name), ['modbus', 'bacnet', 'enip']);
  assert.deepEqual(r.specsFor('tcp').map((s) => s.name), ['modbus', 'enip']);
  assert.deepEqual(r.portHint('udp', 2222).map((s) => s.name), ['enip']);
  assert.deepEqual(r.portHint('tcp', 47808), []);
  assert.equal(r.isServerPort('udp', 47808), true);
  assert.equal(r.isServerPort('tcp', 47808), false);
  assert.throws(() => r.register(fakeSpec({ name: 'dnp3', ports: [70000] })), RangeError);
});

test('content beats port: a Modbus-like payload on port 5020 is claimed by the probe', () => {
  const modbus = modbusLike();
  const h = harness([modbus]);
  const conv = conversation(h, { dport: 5020 });
  conv.toServer('MODB-request');
  conv.toClient('MODB-response');
  h.table.flushAll();
  const ev = h.sink.events.filter((e): e is ProtocolDetectedEvent => e.type === 'protocol');
  assert.equal(ev.length, 1);
  assert.deepEqual(
    { protocol: ev[0]!.protocol, by: ev[0]!.by, visibility: ev[0]!.visibility, src: ev[0]!.src.ip, dst: ev[0]!.dst.port },
    { protocol: 'modbus', by: 'probe', visibility: 'clear', src: '10.0.0.1', dst: 5020 },
  );
  assert.equal(h.ended[0]!.protocol, 'modbus');
  assert.equal(h.ended[0]!.claimedBy, 'probe');
  assert.equal(ev[0]!.flowId, h.ended[0]!.id);
  assert.equal(streamText(modbus.calls, Dir.ToServer), 'MODB-request');
  assert.equal(streamText(modbus.calls, Dir.ToClient), 'MODB-response');
  assert.deepEqual(modbus.calls.at(-1), { kind: 'close' });
});

test('HTTP on port 502 is not Modbus: another spec claims it by content, or nobody does', () => {
  const http = fakeSpec({ name: 'http', ports: [80], probe: magicProbe('GET ') });
  const h1 = harness([modbusLike(), http]);
  const c1 = conversation(h1);
  c1.toServer('GET / HTTP/1.1\r\n\r\n');
  h1.table.flushAll();
  assert.equal(h1.ended[0]!.protocol, 'http');

  const modbus = modbusLike();
  const h2 = harness([modbus]);
  const c2 = conversation(h2);
  c2.toServer('GET / HTTP/1.1\r\n\r\n');
  c2.toClient('HTTP/1.1 200 OK\r\n\r\n');
  c2.toServer('GET /again HTTP/1.1\r\n\r\n');
  h2.table.flushAll();
  const f = h2.ended[0]!;
  assert.deepEqual([f.protocol, f.visibility, f.claimedBy], ['tcp', 'none', null]);
  assert.equal(h2.table.counters.analyzerCounters['dispatch.unclaimed'], 1);
  assert.equal(modbus.contexts.length, 0);
  assert.equal(modbus.probed.length, 2, 'probed once per direction, never after the decision');
  assert.equal(h2.sink.events.length, 0);
});

test('NeedMore accumulates the first bytes across segments; probed bytes are replayed once, then live data', () => {
  const modbus = modbusLike();
  const h = harness([modbus]);
  const conv = conversation(h, { dport: 5020 });
  conv.toServer('MO');
  conv.toServer('DB');
  conv.toServer('-rest');
  assert.deepEqual(modbus.probed, ['MO', 'MODB']);
  assert.deepEqual(
    modbus.calls.map((c) => (c.kind === 'data' ? c.bytes : c.kind)),
    ['MO', 'DB', '-rest'],
  );
});

test('replay keeps arrival order across both directions', () => {
  // Recognised only from the server's answer.
  const spec = fakeSpec({
    name: 'iec104',
    ports: [2404],
    probe: (bytes, dir) => (dir === Dir.ToClient && bytes.startsWith('RESP') ? Probe.Yes : dir === Dir.ToServer ? Probe.NeedMore : Probe.No),
  });
  const h = harness([spec]);
  const conv = conversation(h, { dport: 2404 });
  conv.toServer('req1');
  conv.toServer('req2');
  conv.toClient('RESP1');
  conv.toServer('req3');
  assert.deepEqual(
    spec.calls.map((c) => (c.kind === 'data' ? `${c.dir}:${c.bytes}` : c.kind)),
    ['0:req1', '0:req2', '1:RESP1', '0:req3'],
  );
});

test('in-order data after the decision reaches the analyzer as the packet buffer itself (zero-copy)', () => {
  const modbus = modbusLike();
  const h = harness([modbus]);
  const conv = conversation(h);
  const p1 = conv.toServer('MODB1'); // decided on its own bytes: delivered live, not copied
  const p2 = conv.toServer('MODB2');
  const calls = modbus.calls.filter((c) => c.kind === 'data');
  assert.equal(calls.length, 2);
  assert.equal(calls[0]!.kind === 'data' && calls[0]!.sameBuffer, p1.l4Buf);
  assert.equal(calls[1]!.kind === 'data' && calls[1]!.sameBuffer, p2.l4Buf);
});

test('Yes ties are broken by port; Maybe needs the port; portOnly claims by port as opaque', () => {
  const a = fakeSpec({ name: 'fins', ports: [9600], probe: () => Probe.Yes });
  const b = fakeSpec({ name: 'slmp', ports: [5007], probe: () => Probe.Yes });
  const h1 = harness([a, b]);
  conversation(h1, { dport: 5007 }).toServer('x');
  h1.table.flushAll();
  assert.equal(h1.ended[0]!.protocol, 'slmp');

  const m1 = fakeSpec({ name: 'fins', ports: [9600], probe: () => Probe.Maybe });
  const m2 = fakeSpec({ name: 'slmp', ports: [5007], probe: () => Probe.Maybe });
  const h2 = harness([m1, m2]);
  const c2 = conversation(h2, { dport: 5007 });
  c2.toServer('x');
  assert.equal(m2.contexts.length, 0, 'a Maybe waits for the other direction');
  c2.toClient('y');
  conversation(h2, { dport: 7777, sport: 40001 }).toServer('z'); // Maybe without port: unclaimed at the end
  h2.table.flushAll();
  const byPort = new Map(h2.ended.map((f) => [f.serverPort, f]));
  assert.equal(byPort.get(5007)!.protocol, 'slmp');
  assert.equal(byPort.get(5007)!.claimedBy, 'probe');
  assert.equal(byPort.get(7777)!.protocol, 'tcp');
  assert.deepEqual(m2.calls.map((c) => (c.kind === 'data' ? c.bytes : c.kind)), ['x', 'y', 'close']);

  const tls = fakeSpec({ name: 'tls', ports: [443], portOnly: true });
  const h3 = harness([tls]);
  const c3 = conversation(h3, { dport: 443 });
  c3.toServer('\x16\x03\x01garbage');
  c3.toClient('\x16\x03\x03more');
  h3.table.flushAll();
  const ev = h3.sink.events[0] as ProtocolDetectedEvent;
  assert.deepEqual([ev.by, ev.visibility], ['port', 'opaque']);
  assert.deepEqual([h3.ended[0]!.protocol, h3.ended[0]!.visibility, h3.ended[0]!.claimedBy], ['tls', 'opaque', 'port']);
  assert.equal(h3.table.counters.analyzerCounters['dispatch.claimed-port'], 1);
});

test('probe limits: a flow whose probes keep asking for more is decided after the segment/byte limit', () => {
  const greedy = fakeSpec({ name: 'mms', ports: [102], probe: () => Probe.NeedMore });
  const h = harness([greedy], { maxProbeBytes: 16, maxProbeSegments: 100 });
  const conv = conversation(h, { dport: 102 });
  for (let i = 0; i < 10; i++) conv.toServer('0123456');
  assert.equal(h.table.counters.analyzerCounters['dispatch.unclaimed'], 1);
  assert.ok(greedy.probed.length <= 3, `probed ${greedy.probed.length} times`);
  assert.ok(greedy.probed.every((p) => p.length <= 16));
});

test('analyzer exceptions are isolated: counted, analyzer detached, engine keeps going', () => {
  const buggy = fakeSpec({ name: 'dnp3', ports: [20000], probe: magicProbe('MODB'), throwOn: 'BOOM' });
  const errors: string[] = [];
  const h = harness([buggy], { onAnalyzerError: (proto) => errors.push(proto) });
  const conv = conversation(h, { dport: 20000 });
  conv.toServer('MODB ok');
  conv.toServer('BOOM');
  conv.toServer('after');
  const other = conversation(h, { dport: 20000, sport: 40001 });
  other.toServer('MODB second flow');
  h.table.flushAll();
  assert.equal(h.table.counters.analyzerCounters['dnp3.analyzer-error'], 1);
  assert.deepEqual(errors, ['dnp3']);
  const flow1Calls = buggy.calls.filter((c) => c.kind !== 'data' || !c.bytes.includes('second'));
  assert.deepEqual(
    flow1Calls.map((c) => (c.kind === 'data' ? c.bytes : c.kind)),
    ['MODB ok', 'close'], // 'after' never delivered; the close is the second flow's
  );
  assert.equal(h.ended.length, 2);
  assert.ok(h.ended.every((f) => f.protocol === 'dnp3'));
});

test('throwing create() and throwing probes are contained and counted', () => {
  const badCreate = fakeSpec({
    name: 'opcua',
    ports: [4840],
    probe: magicProbe('OPC'),
    onCreate: () => {
      throw new Error('create bug');
    },
  });
  const badProbe = fakeSpec({
    name: 's7comm',
    ports: [102],
    probe: () => {
      throw new Error('probe bug');
    },
  });
  const h = harness([badProbe, badCreate]);
  // Not on OPC UA's port: on its port the port-hinted probe alone decides and the others are never called.
  const conv = conversation(h, { dport: 4841 });
  conv.toServer('OPCHEL');
  conv.toServer('more');
  h.table.flushAll();
  assert.equal(h.table.counters.analyzerCounters['opcua.analyzer-error'], 1);
  assert.equal(h.table.counters.analyzerCounters['s7comm.probe-error'], 1);
  assert.equal(h.ended[0]!.protocol, 'opcua');
});

test('analyzer context: flow info, aggregated counters, caps, side swap while guessed', () => {
  const spec = fakeSpec({
    name: 'modbus',
    ports: [502],
    probe: magicProbe('MODB'),
    onCreate: (ctx) => {
      ctx.count('malformed');
      ctx.count('malformed', 2);
      ctx.swapSides();
    },
  });
  const h = harness([spec], { maxPendingTransactions: 7, maxAnalyzerBufferBytes: 99 });
  // Mid-stream; guessed sides say 10.0.0.1 is the client, the content says otherwise.
  conversation(h, { sport: 40000, dport: 502, srcMac: 0x010203040506 }, false).toServer('MODB');
  const ctx = spec.contexts[0]!;
  assert.equal(h.table.counters.analyzerCounters['modbus.malformed'], 3);
  assert.equal(ctx.maxPendingTransactions, 7);
  assert.equal(ctx.maxBufferBytes, 99);
  assert.deepEqual(
    [ctx.flow.clientIp, ctx.flow.serverIp, ctx.flow.serverPort, ctx.flow.serverMac, ctx.flow.transport, ctx.flow.sidesGuessed],
    ['10.0.0.2', '10.0.0.1', 40000, '01:02:03:04:05:06', 'tcp', false],
  );
  ctx.swapSides(); // no longer guessed: ignored
  assert.equal(ctx.flow.clientIp, '10.0.0.2');
  const data = spec.calls.find((c) => c.kind === 'data')!;
  assert.equal(data.kind === 'data' && data.dir, Dir.ToClient, 'delivered after the swap: the bytes came from the server');
  h.table.flushAll();
  assert.equal(h.ended[0]!.clientIp, '10.0.0.2');
  assert.equal(h.ended[0]!.sidesGuessed, false);
});

test('TCP gaps reach the analyzer: ACK of unseen data, and during probing in order with the data', () => {
  const modbus = modbusLike();
  const h = harness([modbus]);
  const conv = conversation(h);
  conv.toServer('MODB-1');
  conv.skipToServer(10); // 10 bytes the capture missed
  conv.toClient('answer'); // its ACK covers them
  conv.toServer('MODB-2');
  assert.equal(streamText(modbus.calls, Dir.ToServer), 'MODB-1<gap 10>MODB-2');
  assert.equal(h.table.counters.tcpGaps, 1);

  const late = fakeSpec({ name: 'mqtt', ports: [1883], probe: (b) => (b.includes('MQTT') ? Probe.Yes : Probe.NeedMore) });
  const h2 = harness([late]);
  const c2 = conversation(h2, { dport: 1883 });
  c2.toServer('ab');
  c2.skipToServer(3);
  c2.toServer('xMQTT', { flags: ACK | FIN }); // out of order then FIN: gap declared, decision forced
  h2.table.flushAll();
  assert.equal(streamText(late.calls, Dir.ToServer), 'ab<gap 3>xMQTT');
});

test('UDP: datagrams go whole to the analyzer; probing per datagram with replay', () => {
  const spec = fakeSpec({
    name: 'bacnet',
    ports: [47808],
    transports: ['udp'],
    probe: (b) => (b.startsWith('\x81') ? Probe.Yes : b.length < 2 ? Probe.NeedMore : Probe.No),
  });
  const h = harness([spec]);
  const u = { proto: IpProto.UDP, sport: 50000, dport: 47808 };
  h.table.process(packet({ ...u, payload: 'x' }));
  h.table.process(packet({ ...u, payload: 'junk' }));
  h.table.process(packet({ ...u, payload: '\x81\x0a' }));
  h.table.process(packet({ ...u, payload: 'live' }));
  assert.deepEqual(spec.probed, ['x', 'junk', '\x81\x0a']);
  assert.deepEqual(spec.calls.map((c) => (c.kind === 'data' ? c.bytes : c.kind)), ['x', 'junk', '\x81\x0a', 'live']);
  h.table.flushAll();
  assert.equal(h.ended[0]!.protocol, 'bacnet');

  // One-way UDP that nobody recognises is decided after maxProbeDatagrams.
  const h2 = harness([spec], { maxProbeDatagrams: 3 });
  for (let i = 0; i < 5; i++) h2.table.process(packet({ ...u, sport: 50001, payload: 'nope' }));
  assert.equal(h2.table.counters.analyzerCounters['dispatch.unclaimed'], 1);
});

test('a flow with probed-but-undecided data is decided and replayed when it ends', () => {
  const spec = fakeSpec({ name: 'dnp3', ports: [20000], probe: () => Probe.Maybe });
  const h = harness([spec]);
  const conv = conversation(h, { dport: 20000 });
  conv.toServer('one-way', { flags: ACK | PSH });
  assert.equal(spec.contexts.length, 0);
  h.table.process(packet({ sport: 40000, dport: 20000, flags: ACK | FIN, seq: 1007 }));
  h.table.flushAll();
  assert.deepEqual(spec.calls.map((c) => (c.kind === 'data' ? c.bytes : c.kind)), ['one-way', 'close']);
});

test('port-hinted fast path: on the first chunk the first port-matching Yes decides, other probes are not called', () => {
  const anywhere = fakeSpec({ name: 'http', ports: [80], probe: magicProbe('MODB') });
  const modbus = modbusLike();
  const h = harness([anywhere, modbus]);
  const conv = conversation(h, { dport: 502 });
  conv.toServer('MODB-request');
  h.table.flushAll();
  assert.equal(h.ended[0]!.protocol, 'modbus', 'the port-matching Yes beats an earlier Yes elsewhere');
  assert.equal(anywhere.probed.length, 0, 'the non-port-matching probe was never called');
  assert.equal(modbus.probed.length, 1);

  // Off both ports the full round runs and the first Yes in registration order wins, as before.
  const other = fakeSpec({ name: 'http', ports: [80], probe: magicProbe('MODB') });
  const modbus2 = modbusLike();
  const h2 = harness([other, modbus2]);
  conversation(h2, { dport: 5020 }).toServer('MODB-request');
  h2.table.flushAll();
  assert.equal(h2.ended[0]!.protocol, 'http');
  assert.equal(other.probed.length, 1);
  assert.equal(modbus2.probed.length, 1);
});

test('probing state reused by a later flow starts clean: results, probed directions, stored bytes and entries', () => {
  // 'B' first: NeedMore then Yes; 'M' (port 502) says Maybe on the client's bytes and No on the server's.
  const spec = fakeSpec({
    name: 'modbus',
    ports: [502],
    probe: (bytes, dir) => (bytes.startsWith('MODB') ? Probe.Yes : dir === Dir.ToServer && bytes.startsWith('MO') ? Probe.NeedMore : Probe.No),
  });
  const h = harness([spec]);
  const first = conversation(h, { dport: 5020, sport: 40001 });
  first.toServer('MO');
  first.toServer('DB');
  h.table.flushAll();
  // Second flow on another 5-tuple: its probe state may be the first flow's, recycled. It never says Yes and
  // must be decided on its own evidence (unclaimed), replaying nothing of the first flow's bytes.
  const second = conversation(h, { dport: 5020, sport: 40002 });
  second.toServer('MO');
  second.toClient('xx');
  second.toServer('zz');
  h.table.flushAll();
  // Third flow: the same pattern as the first is claimed again and sees only its own replayed bytes.
  const callsBefore = spec.calls.length;
  const third = conversation(h, { dport: 5020, sport: 40003 });
  third.toServer('MO');
  third.toServer('DB!');
  h.table.flushAll();
  assert.deepEqual(
    h.ended.map((s) => `${s.clientPort}:${s.protocol}`),
    ['40001:modbus', '40002:tcp', '40003:modbus'],
  );
  assert.deepEqual(
    spec.calls.slice(callsBefore).map((c) => (c.kind === 'data' ? c.bytes : c.kind)),
    ['MO', 'DB!', 'close'],
  );
  assert.equal(h.table.counters.analyzerCounters['dispatch.unclaimed'], 1);
});

test('many undecided flows at once each keep their own probing state', () => {
  const spec = fakeSpec({ name: 'modbus', ports: [502], probe: magicProbe('MODB') });
  const h = harness([spec]);
  const flows = [];
  for (let i = 0; i < 100; i++) flows.push(conversation(h, { dport: 5020, sport: 41000 + i }));
  for (let i = 0; i < 100; i++) flows[i]!.toServer('MO');
  for (let i = 0; i < 100; i++) flows[i]!.toServer(i % 2 === 0 ? `DB${i}` : `xx${i}`);
  h.table.flushAll();
  const claimed = h.ended.filter((s) => s.protocol === 'modbus').map((s) => s.clientPort - 41000);
  assert.equal(claimed.length, 50);
  assert.ok(claimed.every((i) => i % 2 === 0));
  assert.equal(spec.contexts.length, 50);
});
