import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IpProto, TcpFlag } from './packet.js';
import { fakeSpec, harness, packet } from './flow-test-support.js';
import type { FlowSummary } from './flow-types.js';

const { SYN, ACK, FIN, RST, PSH } = TcpFlag;

function only(ended: FlowSummary[]): FlowSummary {
  assert.equal(ended.length, 1, `expected one flow summary, got ${ended.length}`);
  return ended[0]!;
}

test('both directions of a connection map to one flow with per-direction counters', () => {
  const h = harness();
  const c = { src: '10.0.0.1', dst: '10.0.0.2', sport: 40000, dport: 502, srcMac: 0x0000aa000001, dstMac: 0x0000bb000002 };
  const s = { src: '10.0.0.2', dst: '10.0.0.1', sport: 502, dport: 40000, srcMac: 0x0000bb000002, dstMac: 0x0000aa000001 };
  h.table.process(packet({ ...c, flags: SYN, seq: 1, ts: 10, ttl: 128, wireLen: 60 }));
  h.table.process(packet({ ...s, flags: SYN | ACK, seq: 7, ack: 2, ts: 10.1, ttl: 30, wireLen: 60 }));
  h.table.process(packet({ ...c, flags: ACK | PSH, seq: 2, ack: 8, payload: 'abcd', ts: 10.2, wireLen: 70 }));
  h.table.process(packet({ ...s, flags: ACK | PSH, seq: 8, ack: 6, payload: 'xy', ts: 10.3, wireLen: 80 }));
  assert.equal(h.table.size, 1);
  assert.equal(h.table.counters.flows, 1);
  h.table.flushAll();
  const f = only(h.ended);
  assert.deepEqual(
    {
      clientIp: f.clientIp, serverIp: f.serverIp, clientPort: f.clientPort, serverPort: f.serverPort,
      clientMac: f.clientMac, serverMac: f.serverMac, transport: f.transport, ipVersion: f.ipVersion,
      packetsToServer: f.packetsToServer, packetsToClient: f.packetsToClient,
      bytesToServer: f.bytesToServer, bytesToClient: f.bytesToClient,
      payloadToServer: f.payloadToServer, payloadToClient: f.payloadToClient,
      clientTtl: f.clientTtl, serverTtl: f.serverTtl, tcpState: f.tcpState, sidesGuessed: f.sidesGuessed,
      firstSeen: f.firstSeen, lastSeen: f.lastSeen, endReason: f.endReason, protocol: f.protocol, visibility: f.visibility,
    },
    {
      clientIp: '10.0.0.1', serverIp: '10.0.0.2', clientPort: 40000, serverPort: 502,
      clientMac: '00:00:aa:00:00:01', serverMac: '00:00:bb:00:00:02', transport: 'tcp', ipVersion: 4,
      packetsToServer: 2, packetsToClient: 2, bytesToServer: 130, bytesToClient: 140,
      payloadToServer: 4, payloadToClient: 2, clientTtl: 128, serverTtl: 30, tcpState: 'established',
      sidesGuessed: false, firstSeen: 10, lastSeen: 10.3, endReason: 'end-of-capture', protocol: 'tcp', visibility: 'none',
    },
  );
  assert.equal(h.table.size, 0);
});

test('VLAN, protocol and ports separate flows', () => {
  const h = harness();
  h.table.process(packet({ vlan: 10 }));
  h.table.process(packet({ vlan: 20 }));
  h.table.process(packet({ vlan: 10, proto: IpProto.UDP }));
  h.table.process(packet({ vlan: 10, sport: 40001 }));
  h.table.process(packet({ vlan: 10, src: '10.0.0.2', dst: '10.0.0.1', sport: 502, dport: 40000 })); // reverse of #1
  assert.equal(h.table.size, 4);
  h.table.flushAll();
  const vlan10tcp = h.ended.find((f) => f.vlan === 10 && f.transport === 'tcp' && f.clientPort === 40000)!;
  assert.equal(vlan10tcp.packetsToServer + vlan10tcp.packetsToClient, 2);
  assert.deepEqual(h.ended.map((f) => f.vlan).sort(), [10, 10, 10, 20]);
});

test('IPv6 flows: both directions one flow, addresses as RFC 5952 text', () => {
  const h = harness();
  const a = '2001:0db8:0000:0000:0000:0000:0000:0001';
  const b = '2001:0db8:0000:0000:0000:0000:0000:0002';
  h.table.process(packet({ src: a, dst: b, sport: 50000, dport: 4840, flags: SYN }));
  h.table.process(packet({ src: b, dst: a, sport: 4840, dport: 50000, flags: SYN | ACK }));
  h.table.process(packet({ src: a, dst: '2001:0db8:0000:0000:0000:0000:0000:0003', sport: 50000, dport: 4840, flags: SYN }));
  assert.equal(h.table.size, 2);
  h.table.flushAll();
  const f = h.ended.find((x) => x.serverIp === '2001:db8::2')!;
  assert.equal(f.clientIp, '2001:db8::1');
  assert.equal(f.ipVersion, 6);
  assert.equal(f.packetsToClient, 1);
  assert.equal(f.tcpState, 'established');
});

test('IPv6 packets whose address offsets lie outside the buffer are ignored and counted', () => {
  const h = harness();
  const p = packet({ src: '2001:0db8:0000:0000:0000:0000:0000:0001', dst: '2001:0db8:0000:0000:0000:0000:0000:0002' });
  p.dst6Off = 30;
  h.table.process(p);
  assert.equal(h.table.size, 0);
  assert.equal(h.table.counters.packetsIgnored, 1);
});

test('packets without IP or pending fragments are not flows', () => {
  const h = harness();
  const p = packet({});
  p.fragmentPending = true;
  h.table.process(p);
  const q = packet({});
  q.ipVersion = 0;
  h.table.process(q);
  assert.equal(h.table.size, 0);
});

test('handshake decides sides even when the SYN was not captured (SYN-ACK sender is the server)', () => {
  const h = harness();
  h.table.process(packet({ src: '10.0.0.9', dst: '10.0.0.5', sport: 80, dport: 50000, flags: SYN | ACK }));
  h.table.flushAll();
  const f = only(h.ended);
  assert.equal(f.clientIp, '10.0.0.5');
  assert.equal(f.serverPort, 80);
  assert.equal(f.sidesGuessed, false);
});

test('mid-stream: the well-known / analyzer-listed / lower port is the server, sides marked guessed', () => {
  const dnp3 = fakeSpec({ name: 'dnp3', ports: [20000] });
  const h = harness([dnp3]);
  h.table.process(packet({ src: '10.0.0.2', dst: '10.0.0.1', sport: 502, dport: 40000, flags: ACK })); // response first
  h.table.process(packet({ src: '10.0.0.3', dst: '10.0.0.4', sport: 1999, dport: 20000, flags: ACK })); // listed port
  h.table.process(packet({ src: '10.0.0.5', dst: '10.0.0.6', sport: 20000, dport: 3000, flags: ACK })); // listed beats lower
  h.table.process(packet({ src: '10.0.0.7', dst: '10.0.0.8', sport: 50000, dport: 44818 + 1, flags: ACK })); // lower port
  h.table.flushAll();
  const byClientIp = new Map(h.ended.map((f) => [f.clientIp, f]));
  assert.equal(byClientIp.get('10.0.0.1')!.serverPort, 502);
  assert.equal(byClientIp.get('10.0.0.3')!.serverPort, 20000);
  assert.equal(byClientIp.get('10.0.0.6')!.serverPort, 20000);
  assert.equal(byClientIp.get('10.0.0.7')!.serverPort, 44819);
  for (const f of h.ended) {
    assert.equal(f.sidesGuessed, true);
    assert.equal(f.tcpState, 'midstream');
  }
});

test('UDP: first sender is the client unless only its source port looks like a server port', () => {
  const bacnet = fakeSpec({ name: 'bacnet', ports: [47808], transports: ['udp'] });
  const h = harness([bacnet]);
  h.table.process(packet({ proto: IpProto.UDP, src: '10.0.0.1', dst: '10.0.0.2', sport: 50123, dport: 47808 }));
  h.table.process(packet({ proto: IpProto.UDP, src: '10.0.0.3', dst: '10.0.0.4', sport: 47808, dport: 50123 }));
  h.table.process(packet({ proto: IpProto.UDP, src: '10.0.0.5', dst: '10.0.0.6', sport: 47808, dport: 47808 }));
  h.table.flushAll();
  const byServer = new Map(h.ended.map((f) => [f.serverIp, f]));
  assert.equal(byServer.get('10.0.0.2')!.sidesGuessed, false);
  assert.equal(byServer.get('10.0.0.3')!.clientIp, '10.0.0.4'); // the response was seen first
  assert.equal(byServer.get('10.0.0.3')!.sidesGuessed, true);
  assert.equal(byServer.get('10.0.0.6')!.clientIp, '10.0.0.5');
});

test('ICMP echo: the replier is the server', () => {
  const h = harness();
  h.table.process(packet({ proto: IpProto.ICMP, src: '10.0.0.9', dst: '10.0.0.1', icmpType: 0 }));
  h.table.flushAll();
  const f = only(h.ended);
  assert.equal(f.serverIp, '10.0.0.9');
  assert.equal(f.protocol, 'icmp');
  assert.equal(f.transport, 'icmp');
  assert.equal(f.tcpState, 'none');
});

test('LRU eviction at the cap: the least recently active flow goes, counted and summarised as evicted', () => {
  const h = harness([], { maxFlows: 3 });
  for (let i = 1; i <= 3; i++) h.table.process(packet({ sport: 40000 + i, ts: 100 + i }));
  h.table.process(packet({ sport: 40001, ts: 104 })); // touch flow 1: flow 2 is now the oldest
  h.table.process(packet({ sport: 40004, ts: 105 }));
  assert.equal(h.table.size, 3);
  assert.equal(h.table.counters.flowsEvicted, 1);
  assert.equal(h.table.counters.capsHit['flow-table.max-flows'], 1);
  const evicted = only(h.ended);
  assert.equal(evicted.clientPort, 40002);
  assert.equal(evicted.endReason, 'evicted');
  h.table.process(packet({ proto: IpProto.UDP, sport: 40005, ts: 106 })); // evicts flow 3 (older than UDP/TCP heads)
  assert.equal(h.ended[1]!.clientPort, 40003);
  assert.equal(h.table.size, 3);
});

test('eviction prefers finished TCP flows and ends them as closed', () => {
  const h = harness([], { maxFlows: 2 });
  h.table.process(packet({ sport: 1111, flags: SYN, ts: 1 }));
  h.table.process(packet({ sport: 2222, flags: SYN, ts: 2 }));
  h.table.process(packet({ sport: 2222, flags: RST | ACK, ts: 3 }));
  h.table.process(packet({ sport: 3333, flags: SYN, ts: 4 }));
  const f = only(h.ended);
  assert.equal(f.clientPort, 2222);
  assert.equal(f.endReason, 'closed');
  assert.equal(h.table.counters.flowsEvicted, 0);
});

test('idle timeouts run on packet time, per transport', () => {
  const h = harness([], { udpIdleTimeoutSec: 180, tcpIdleTimeoutSec: 3600 });
  h.table.process(packet({ proto: IpProto.UDP, sport: 5000, dport: 161, ts: 0 }));
  h.table.process(packet({ sport: 6000, ts: 0 }));
  h.table.process(packet({ sport: 7000, ts: 179 }));
  assert.equal(h.ended.length, 0);
  h.table.process(packet({ sport: 7000, ts: 181 }));
  const udp = only(h.ended);
  assert.equal(udp.transport, 'udp');
  assert.equal(udp.endReason, 'timeout');
  assert.equal(h.table.counters.flowsTimedOut, 1);
  h.table.process(packet({ sport: 7000, ts: 3601 }));
  assert.equal(h.ended.length, 2);
  assert.equal(h.ended[1]!.clientPort, 6000);
  assert.equal(h.table.size, 1);
});

test('FIN both ways closes after the short closed timeout; state closed', () => {
  const h = harness([], { tcpClosedTimeoutSec: 10 });
  const c = { sport: 40000, dport: 502 };
  const s = { src: '10.0.0.2', dst: '10.0.0.1', sport: 502, dport: 40000 };
  h.table.process(packet({ ...c, flags: SYN, seq: 0, ts: 0 }));
  h.table.process(packet({ ...s, flags: SYN | ACK, seq: 0, ack: 1, ts: 0 }));
  h.table.process(packet({ ...c, flags: FIN | ACK, seq: 1, ack: 1, ts: 1 }));
  h.table.process(packet({ ...s, flags: FIN | ACK, seq: 1, ack: 2, ts: 1 }));
  h.table.process(packet({ sport: 1, ts: 5 }));
  assert.equal(h.ended.length, 0);
  h.table.process(packet({ sport: 1, ts: 12 }));
  const f = only(h.ended);
  assert.equal(f.tcpState, 'closed');
  assert.equal(f.endReason, 'closed');
  assert.equal(h.table.counters.flowsClosed, 1);
});

test('RST, rejected and SYN-only states', () => {
  const h = harness();
  h.table.process(packet({ sport: 1000, flags: SYN }));
  h.table.process(packet({ src: '10.0.0.2', dst: '10.0.0.1', sport: 502, dport: 1000, flags: RST | ACK }));
  h.table.process(packet({ sport: 2000, flags: SYN }));
  h.table.process(packet({ src: '10.0.0.2', dst: '10.0.0.1', sport: 502, dport: 2000, flags: SYN | ACK }));
  h.table.process(packet({ sport: 2000, flags: RST }));
  h.table.process(packet({ sport: 3000, flags: SYN }));
  h.table.flushAll();
  const byPort = new Map(h.ended.map((f) => [f.clientPort, f.tcpState]));
  assert.deepEqual([byPort.get(1000), byPort.get(2000), byPort.get(3000)], ['rejected', 'reset', 'syn-only']);
});

test('a new SYN on the 5-tuple of a closed flow starts a new flow', () => {
  const h = harness();
  h.table.process(packet({ flags: SYN, ts: 1 }));
  h.table.process(packet({ src: '10.0.0.2', dst: '10.0.0.1', sport: 502, dport: 40000, flags: RST | ACK, ts: 1 }));
  h.table.process(packet({ flags: SYN, ts: 2 }));
  assert.equal(h.table.size, 1);
  assert.equal(h.table.counters.flows, 2);
  assert.equal(only(h.ended).tcpState, 'rejected');
});

test('hash collisions: every flow in one bucket still keeps its own state; removal from mid-chain works', () => {
  const h = harness([], { hashMask: 0, udpIdleTimeoutSec: 50 });
  const n = 40;
  const order = [...Array(n).keys()].sort((x, y) => (x % 2) - (y % 2)); // even flows first (time only advances)
  for (const i of order) {
    const ts = i % 2 === 0 ? 0 : 40; // odd flows stay active longer
    h.table.process(packet({ proto: IpProto.UDP, sport: 30000 + i, dport: 161, ts }));
    for (let k = 0; k < i % 3; k++) {
      h.table.process(packet({ proto: IpProto.UDP, src: '10.0.0.2', dst: '10.0.0.1', sport: 161, dport: 30000 + i, ts }));
    }
  }
  assert.equal(h.table.size, n);
  h.table.process(packet({ proto: IpProto.UDP, sport: 9, dport: 9, ts: 60 })); // even flows (idle 60 s) expire
  assert.equal(h.ended.length, n / 2);
  assert.ok(h.ended.every((f) => (f.clientPort - 30000) % 2 === 0));
  // The odd flows are still found (not duplicated) after chain surgery.
  for (let i = 1; i < n; i += 2) h.table.process(packet({ proto: IpProto.UDP, sport: 30000 + i, dport: 161, ts: 61 }));
  assert.equal(h.table.size, n / 2 + 1);
  h.table.flushAll();
  for (const f of h.ended) {
    const i = f.clientPort - 30000;
    if (i < 0) continue;
    assert.equal(f.packetsToServer, i % 2 === 0 ? 1 : 2);
    assert.equal(f.packetsToClient, i % 3);
  }
});

test('flow ids are unique and summaries carry the capture index', () => {
  const h = harness([], { captureIndex: 2 });
  h.table.process(packet({ sport: 1 }));
  h.table.setCaptureIndex(3);
  h.table.process(packet({ sport: 2 }));
  h.table.flushAll();
  assert.deepEqual(h.ended.map((f) => f.captureIndex).sort(), [2, 3]);
  assert.notEqual(h.ended[0]!.id, h.ended[1]!.id);
});

test('at end of capture, finished TCP flows end as closed and open ones as end-of-capture', () => {
  const h = harness();
  h.table.process(packet({ sport: 1000, flags: SYN }));
  h.table.process(packet({ sport: 1000, flags: RST }));
  h.table.process(packet({ sport: 2000, flags: SYN }));
  h.table.flushAll();
  const byPort = new Map(h.ended.map((f) => [f.clientPort, f.endReason]));
  assert.deepEqual([byPort.get(1000), byPort.get(2000)], ['closed', 'end-of-capture']);
});

test('a SYN after a stray packet replaces the guessed sides', () => {
  // The stray ACK makes the port heuristic guess 40000 (the lower port) as the server; the SYN says otherwise.
  const h2 = harness();
  h2.table.process(packet({ src: '10.0.0.2', dst: '10.0.0.1', sport: 50000, dport: 40000, flags: ACK }));
  h2.table.process(packet({ src: '10.0.0.1', dst: '10.0.0.2', sport: 40000, dport: 50000, flags: SYN }));
  h2.table.flushAll();
  const g = only(h2.ended);
  assert.deepEqual([g.clientIp, g.clientPort, g.sidesGuessed], ['10.0.0.1', 40000, false]);
});

test('asymmetric VLAN tagging (rx-only SPAN of routed traffic) keeps one flow; a third VLAN does not join it', () => {
  const h = harness();
  h.table.process(packet({ vlan: 40, flags: SYN }));
  h.table.process(packet({ vlan: 10, src: '10.0.0.2', dst: '10.0.0.1', sport: 502, dport: 40000, flags: SYN | ACK }));
  h.table.process(packet({ vlan: 40, flags: ACK }));
  h.table.process(packet({ vlan: 30, src: '10.0.0.2', dst: '10.0.0.1', sport: 502, dport: 40000, flags: ACK }));
  assert.equal(h.table.size, 2);
  h.table.flushAll();
  const main = h.ended.find((f) => f.vlan === 40)!;
  assert.equal(main.packetsToServer, 2);
  assert.equal(main.packetsToClient, 1);
  assert.equal(main.tcpState, 'established');
});

test('DHCP discovers from 0.0.0.0 of different hosts are different flows (told apart by MAC)', () => {
  const h = harness();
  h.table.process(packet({ proto: IpProto.UDP, src: '0.0.0.0', dst: '255.255.255.255', sport: 68, dport: 67, srcMac: 0x020000000001 }));
  h.table.process(packet({ proto: IpProto.UDP, src: '0.0.0.0', dst: '255.255.255.255', sport: 68, dport: 67, srcMac: 0x020000000002 }));
  h.table.process(packet({ proto: IpProto.UDP, src: '0.0.0.0', dst: '255.255.255.255', sport: 68, dport: 67, srcMac: 0x020000000001 }));
  assert.equal(h.table.size, 2);
});

test('interleaved and back-to-back packets of several flows are counted on the right flow and direction', () => {
  const h = harness();
  const fwd = (sport: number) => ({ src: '10.0.0.1', dst: '10.0.0.2', sport, dport: 502, proto: IpProto.UDP });
  const rev = (sport: number) => ({ src: '10.0.0.2', dst: '10.0.0.1', sport: 502, dport: sport, proto: IpProto.UDP });
  // The previous packet's flow is tried first: mix repeats, switches and reversals of it.
  const order: Array<[number, boolean]> = [[1, true], [1, true], [1, false], [2, true], [1, false], [3, true], [3, false], [2, false], [2, false], [1, true]];
  let ts = 1;
  for (const [n, toServer] of order) h.table.process(packet({ ...(toServer ? fwd(40000 + n) : rev(40000 + n)), ts: ts++ }));
  assert.equal(h.table.size, 3);
  h.table.flushAll();
  const counts = h.ended.map((f) => [f.clientPort - 40000, f.packetsToServer, f.packetsToClient]).sort((a, b) => a[0]! - b[0]!);
  assert.deepEqual(counts, [[1, 3, 2], [2, 1, 2], [3, 1, 1]]);
});

test('the bucket array grows with the flow count: flows stay findable across resizes and removals', () => {
  const h = harness([], { udpIdleTimeoutSec: 50 });
  const n = 5000; // several doublings past the initial bucket count
  const client = (i: number) => `10.${(i >> 8) & 255}.${i & 255}.7`;
  for (let i = 0; i < n; i++) {
    h.table.process(packet({ proto: IpProto.UDP, src: client(i), dst: '10.9.9.9', sport: 1024 + i, dport: 161, ts: i % 2 === 0 ? 0 : 40 }));
  }
  assert.equal(h.table.size, n);
  // Answers in reverse order, after every resize: each joins its own flow.
  for (let i = n - 1; i >= 0; i--) {
    h.table.process(packet({ proto: IpProto.UDP, src: '10.9.9.9', dst: client(i), sport: 161, dport: 1024 + i, ts: 40 }));
  }
  assert.equal(h.table.size, n);
  assert.equal(h.ended.length, 0);
  // Every flow was answered at 40 s: none is idle long enough to expire at 60 s.
  h.table.process(packet({ proto: IpProto.UDP, src: '10.8.8.8', dst: '10.9.9.9', sport: 9, dport: 9, ts: 60 }));
  assert.equal(h.ended.length, 0);
  // Odd flows talk again at 80 s; at 95 s the even ones (idle since 40 s) expire and leave the chains.
  for (let i = 1; i < n; i += 2) {
    h.table.process(packet({ proto: IpProto.UDP, src: client(i), dst: '10.9.9.9', sport: 1024 + i, dport: 161, ts: 80 }));
  }
  h.table.process(packet({ proto: IpProto.UDP, src: '10.8.8.8', dst: '10.9.9.9', sport: 9, dport: 9, ts: 95 }));
  assert.equal(h.ended.length, n / 2);
  assert.ok(h.ended.every((f) => (f.clientPort - 1024) % 2 === 0));
  for (let i = 1; i < n; i += 2) {
    h.table.process(packet({ proto: IpProto.UDP, src: '10.9.9.9', dst: client(i), sport: 161, dport: 1024 + i, ts: 96 }));
  }
  assert.equal(h.table.size, n / 2 + 1, 'odd flows found again, not duplicated');
  h.table.flushAll();
  const byPort = new Map(h.ended.map((f) => [f.clientPort, f]));
  for (let i = 0; i < n; i++) {
    const f = byPort.get(1024 + i)!;
    assert.equal(f.clientIp, client(i));
    assert.equal(f.packetsToServer, i % 2 === 0 ? 1 : 2);
    assert.equal(f.packetsToClient, i % 2 === 0 ? 1 : 2);
  }
});
