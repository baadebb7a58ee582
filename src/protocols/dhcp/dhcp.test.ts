import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Dir, Probe } from '../analyzer.js';
import { recordingContext, type RecordingContext } from '../common/test-support.js';
import type { AssetFactEvent } from '../../events/types.js';
import { DhcpSession, ExchangeTable, dhcpSpec, osFromParameterList, osFromVendorClass } from './index.js';
import { Dhcpv6Session, dhcpv6Spec } from '../dhcpv6/index.js';

const MAC = [0x00, 0x1d, 0x9c, 0x11, 0x22, 0x33];
const MAC_TEXT = '00:1d:9c:11:22:33';
const meta = (frame: number) => ({ frame, ts: 5000 + frame });
const ip = (t: string) => t.split('.').map(Number);
const facts = (ctx: RecordingContext) => ctx.events.filter((e): e is AssetFactEvent => e.type === 'asset-fact');

function dhcp(op: 1 | 2, xid: number, type: number, opts: Array<[number, number[]]>, addr: { ciaddr?: string; yiaddr?: string } = {}): Buffer {
  const b = Buffer.alloc(240);
  b[0] = op;
  b[1] = 1;
  b[2] = 6;
  b.writeUInt32BE(xid, 4);
  Buffer.from(ip(addr.ciaddr ?? '0.0.0.0')).copy(b, 12);
  Buffer.from(ip(addr.yiaddr ?? '0.0.0.0')).copy(b, 16);
  Buffer.from(MAC).copy(b, 28);
  b.writeUInt32BE(0x63825363, 236);
  const o: number[] = [53, 1, type];
  for (const [code, v] of opts) o.push(code, v.length, ...v);
  o.push(255);
  return Buffer.concat([b, Buffer.from(o)]);
}
const text = (s: string) => [...Buffer.from(s, 'latin1')];

test('full DORA across the client flow and the server flow: one configuration operation, facts by MAC and leased IP', () => {
  // Client 0.0.0.0:68 → 255.255.255.255:67 and server 192.168.0.1:67 → 255.255.255.255:68 are two flows.
  const client = recordingContext({ transport: 'udp', clientIp: '0.0.0.0', serverIp: '255.255.255.255', clientPort: 68, serverPort: 67, clientMac: MAC_TEXT, serverMac: 'ff:ff:ff:ff:ff:ff' });
  const server = recordingContext({ transport: 'udp', clientIp: '255.255.255.255', serverIp: '192.168.0.1', clientPort: 68, serverPort: 67, clientMac: 'ff:ff:ff:ff:ff:ff', serverMac: '00:00:5e:00:01:01' });
  const table = new ExchangeTable(client.sink);
  const c = new DhcpSession(client, table);
  const s = new DhcpSession(server, table);
  const prl = [1, 3, 6, 15, 31, 33, 43, 44, 46, 47, 119, 121, 249, 252];
  const discover = dhcp(1, 0xabcdef01, 1, [[12, text('ENG-WS-01')], [60, text('MSFT 5.0')], [55, prl], [61, [1, ...MAC]]]);
  assert.equal(dhcpSpec.probe(discover, 0, discover.length, Dir.ToServer), Probe.Yes);
  assert.equal(dhcpSpec.probe(discover, 0, 239, Dir.ToServer), Probe.No);
  c.onData(Dir.ToServer, discover, 0, discover.length, meta(1));
  const offer = dhcp(2, 0xabcdef01, 2, [[54, ip('192.168.0.1')], [51, [0, 0, 0x0e, 0x10]], [3, ip('192.168.0.254')], [6, ip('192.168.0.53')]], { yiaddr: '192.168.0.77' });
  s.onData(Dir.ToClient, offer, 0, offer.length, meta(2));
  const request = dhcp(1, 0xabcdef01, 3, [[12, text('ENG-WS-01')], [50, ip('192.168.0.77')], [54, ip('192.168.0.1')], [81, [0, 0, 0, ...text('eng-ws-01.plant.example')]]]);
  c.onData(Dir.ToServer, request, 0, request.length, meta(3));
  assert.equal(client.operations().length, 0, 'pending until the ACK');
  const ack = dhcp(2, 0xabcdef01, 5, [[54, ip('192.168.0.1')], [51, [0, 0, 0x0e, 0x10]], [15, text('plant.example')]], { yiaddr: '192.168.0.77' });
  s.onData(Dir.ToClient, ack, 0, ack.length, meta(4));
  const ops = client.operations();
  assert.equal(ops.length, 1);
  const op = ops[0]!;
  assert.equal(op.kind, 'configuration');
  assert.equal(op.codeName, 'dhcp_discover');
  assert.equal(op.result, 'ok');
  assert.equal(op.frame, 1);
  assert.equal(op.responseFrame, 4);
  assert.deepEqual(op.attributes, {
    message_type: 'ack', messages: 'discover,offer,request,ack', client_mac: MAC_TEXT, hostname: 'ENG-WS-01', vendor_class: 'MSFT 5.0',
    fingerprint: prl.join(','), client_id: '01001d9c112233', requested_ip: '192.168.0.77', server_id: '192.168.0.1', offered_ip: '192.168.0.77',
    leased_ip: '192.168.0.77', lease_time: 3600,
  });
  const all = [...facts(client), ...facts(server)];
  const has = (ipText: string | undefined, field: string, value: string) =>
    all.some((f) => f.subject.ip === ipText && (ipText === '192.168.0.1' || f.subject.mac === MAC_TEXT || f.field === 'role-hint') && f.field === field && f.value === value);
  assert.ok(has(undefined, 'hostname', 'ENG-WS-01'), 'by MAC before the lease');
  assert.ok(has('192.168.0.77', 'hostname', 'ENG-WS-01'), 'by MAC and leased IP after the ACK');
  assert.ok(has(undefined, 'software', 'MSFT 5.0'));
  assert.ok(has(undefined, 'os', 'Windows'));
  assert.ok(all.some((f) => f.field === 'os' && f.value === 'Windows 10/11' && f.confidence < 0.5));
  assert.ok(has(undefined, 'hostname', 'eng-ws-01.plant.example'));
  assert.ok(has('192.168.0.77', 'domain', 'plant.example'));
  assert.ok(all.some((f) => f.subject.ip === '192.168.0.1' && f.subject.mac === '00:00:5e:00:01:01' && f.value === 'dhcp-server'));
  assert.ok(all.some((f) => f.subject.ip === '192.168.0.254' && f.value === 'router'));
  assert.ok(all.some((f) => f.subject.ip === '192.168.0.53' && f.value === 'dns-server'));
  assert.ok(!all.some((f) => f.subject.ip === '0.0.0.0' || f.subject.ip === '255.255.255.255'));
});

test('NAK is an exception; RELEASE is one message; an unanswered DISCOVER is flushed as no-response when its flow closes', () => {
  const ctx = recordingContext({ transport: 'udp', clientIp: '192.168.0.77', serverIp: '192.168.0.1', clientPort: 68, serverPort: 67 });
  const table = new ExchangeTable(ctx.sink);
  const sess = new DhcpSession(ctx, table);
  const req = dhcp(1, 7, 3, [[50, ip('192.168.0.99')]]);
  sess.onData(Dir.ToServer, req, 0, req.length, meta(1));
  const nak = dhcp(2, 7, 6, [[54, ip('192.168.0.1')]]);
  sess.onData(Dir.ToClient, nak, 0, nak.length, meta(2));
  const rel = dhcp(1, 8, 7, [[54, ip('192.168.0.1')]], { ciaddr: '192.168.0.77' });
  sess.onData(Dir.ToServer, rel, 0, rel.length, meta(3));
  const disc = dhcp(1, 9, 1, []);
  sess.onData(Dir.ToServer, disc, 0, disc.length, meta(4));
  assert.equal(table.size, 1);
  sess.onClose(meta(5));
  assert.equal(table.size, 0);
  assert.deepEqual(ctx.operations().map((o) => [o.codeName, o.result, o.exceptionName ?? '']), [
    ['dhcp_request', 'exception', 'nak'], ['dhcp_release', 'unknown', ''], ['dhcp_discover', 'no-response', ''],
  ]);
});

test('the exchange table cap pushes the oldest transaction out, emitted and counted', () => {
  const ctx = recordingContext({ transport: 'udp', clientIp: '0.0.0.0', serverIp: '255.255.255.255', clientPort: 68, serverPort: 67 });
  const table = new ExchangeTable(ctx.sink, { maxExchanges: 3, staleAfterSec: 120 });
  const sess = new DhcpSession(ctx, table);
  for (let i = 0; i < 5; i++) {
    const d = dhcp(1, 100 + i, 1, []);
    sess.onData(Dir.ToServer, d, 0, d.length, meta(i + 1));
  }
  assert.equal(table.size, 3);
  assert.equal(ctx.counters['transaction-cap'], 2);
  assert.equal(ctx.operations().length, 2);
});

test('OS hints from vendor class and parameter request list', () => {
  assert.equal(osFromVendorClass('MSFT 5.0'), 'Windows');
  assert.equal(osFromVendorClass('android-dhcp-13'), 'Android 13');
  assert.equal(osFromVendorClass('dhcpcd-9.4.1:Linux-6.1.0:x86_64:GenuineIntel'), 'Linux');
  assert.equal(osFromVendorClass('Siemens SIMATIC'), '');
  assert.equal(osFromParameterList('1,15,3,6,44,46,47,31,33,121,249,43'), 'Windows 7');
  assert.equal(osFromParameterList('1,121,3,6,15,119,252'), 'iOS');
  assert.equal(osFromParameterList('1,2,3'), '');
});

function v6(type: number, xid: number, opts: Array<[number, number[]]>): Buffer {
  const o: number[] = [type, (xid >> 16) & 255, (xid >> 8) & 255, xid & 255];
  for (const [code, v] of opts) o.push(code >> 8, code & 255, v.length >> 8, v.length & 255, ...v);
  return Buffer.from(o);
}

test('DHCPv6 Solicit/Advertise/Request/Reply: one operation, DUID MAC, FQDN hostname re-stated about the IA_NA address', () => {
  const client = recordingContext({ transport: 'udp', clientIp: 'fe80::21d:9cff:fe11:2233', serverIp: 'ff02::1:2', clientPort: 546, serverPort: 547, clientMac: MAC_TEXT, serverMac: '33:33:00:01:00:02' });
  const server = recordingContext({ transport: 'udp', clientIp: 'fe80::21d:9cff:fe11:2233', serverIp: 'fe80::1', clientPort: 546, serverPort: 547, clientMac: MAC_TEXT, serverMac: '00:00:5e:00:01:01' });
  const table = new ExchangeTable(client.sink);
  const c = new Dhcpv6Session(client, table);
  const s = new Dhcpv6Session(server, table);
  const duid = [0, 1, 0, 1, 0x1e, 0x71, 0x8f, 0x34, ...MAC];
  const fqdn = [0, 6, ...text('hmi-07'), 5, ...text('plant'), 0];
  const vendor = [0, 0, 1, 0x37, 0, 8, ...text('MSFT 5.0')];
  const addr = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x42];
  const iaNa = [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 24, ...addr, 0, 0, 0x0e, 0x10, 0, 0, 0x1c, 0x20];
  const solicit = v6(1, 0x123456, [[1, duid], [39, fqdn], [16, vendor], [6, [0, 17, 0, 23, 0, 24, 0, 39]]]);
  assert.equal(dhcpv6Spec.probe(solicit, 0, solicit.length, Dir.ToServer), Probe.Yes);
  assert.equal(dhcpv6Spec.probe(solicit, 0, solicit.length - 1, Dir.ToServer), Probe.No);
  c.onData(Dir.ToServer, solicit, 0, solicit.length, meta(1));
  const advertise = v6(2, 0x123456, [[1, duid], [2, [0, 3, 0, 1, 0, 0, 0x5e, 0, 1, 1]], [3, iaNa]]);
  s.onData(Dir.ToClient, advertise, 0, advertise.length, meta(2));
  const request = v6(3, 0x654321, [[1, duid], [39, fqdn], [3, iaNa]]);
  c.onData(Dir.ToServer, request, 0, request.length, meta(3));
  const reply = v6(7, 0x654321, [[1, duid], [2, [0, 3, 0, 1, 0, 0, 0x5e, 0, 1, 1]], [3, iaNa]]);
  s.onData(Dir.ToClient, reply, 0, reply.length, meta(4));
  c.onClose(meta(5));
  const ops = client.operations();
  // The Reply completes the Request at once; the Solicit (advertised, never answered by a Reply) waits for its flow's end.
  assert.deepEqual(ops.map((o) => [o.codeName, o.result, o.frame, o.responseFrame ?? 0]), [['dhcpv6_request', 'ok', 3, 4], ['dhcpv6_solicit', 'no-response', 1, 0]]);
  assert.equal(ops[0]!.attributes?.leased_ip, '2001:db8::42');
  assert.equal(ops[0]!.attributes?.duid_mac, MAC_TEXT);
  assert.equal(ops[1]!.attributes?.fingerprint, '17,23,24,39');
  const all = [...facts(client), ...facts(server)];
  assert.ok(all.some((f) => f.field === 'hostname' && f.value === 'hmi-07.plant' && f.subject.ip === 'fe80::21d:9cff:fe11:2233' && f.subject.mac === MAC_TEXT));
  assert.ok(all.some((f) => f.field === 'hostname' && f.value === 'hmi-07.plant' && f.subject.ip === '2001:db8::42'));
  assert.ok(all.some((f) => f.field === 'domain' && f.value === 'plant'));
  assert.ok(all.some((f) => f.field === 'os' && f.value === 'Windows'));
  assert.ok(all.some((f) => f.field === 'role-hint' && f.value === 'dhcp-server' && f.subject.ip === 'fe80::1'));
});

test('a short datagram after a valid message is malformed on its own, not a replay of the previous message', () => {
  const ctx = recordingContext({ transport: 'udp', clientIp: '192.168.0.77', serverIp: '192.168.0.1', clientPort: 68, serverPort: 67 });
  const table = new ExchangeTable(ctx.sink);
  const sess = new DhcpSession(ctx, table);
  const rel = dhcp(1, 8, 7, [[54, ip('192.168.0.1')]], { ciaddr: '192.168.0.77' });
  sess.onData(Dir.ToServer, rel, 0, rel.length, meta(1));
  const before = ctx.operations().length;
  const short = rel.subarray(0, 100);
  sess.onData(Dir.ToServer, short, 0, short.length, meta(2));
  assert.equal(ctx.operations().length, before, 'no second release from the stale message fields');
  assert.ok(ctx.events.some((e) => e.type === 'anomaly' && e.frame === 2), 'the short datagram is reported malformed');
});
