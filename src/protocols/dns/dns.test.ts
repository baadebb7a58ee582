import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Dir, Probe } from '../analyzer.js';
import { recordingContext } from '../common/test-support.js';
import type { AssetFactEvent } from '../../events/types.js';
import { DnsSession } from './session.js';
import { probeDnsTcp, probeDnsUdp } from './probe.js';
import { DnsName, NameError, readName, nameText } from './parser.js';
import { dnsMessage, encodeName, tcpFramed } from './test-frames.js';
import { nbnsSpec } from '../netbios/index.js';

const meta = (frame: number) => ({ frame, ts: 1000 + frame });
const udpFlow = { transport: 'udp' as const, serverPort: 53, clientPort: 40000, clientIp: '10.0.0.5', serverIp: '10.0.0.53' };
const facts = (events: unknown[]) => events.filter((e): e is AssetFactEvent => (e as AssetFactEvent).type === 'asset-fact');

test('UDP query and response pair by id into one read operation with rcode, answer count, first answer and TTL', () => {
  const ctx = recordingContext(udpFlow);
  const s = new DnsSession(ctx, 'dns', false);
  const q = dnsMessage({ id: 0x1234, question: { name: 'plc1.plant.local', type: 1 } });
  const r = dnsMessage({ id: 0x1234, response: true, question: { name: 'plc1.plant.local', type: 1 }, answers: [{ name: 'plc1.plant.local', type: 1, ttl: 60, data: '10.1.2.3' }] });
  assert.equal(probeDnsUdp(q, 0, q.length), Probe.Yes);
  s.onData(Dir.ToServer, q, 0, q.length, meta(1));
  assert.equal(ctx.operations().length, 0, 'pending until the response');
  s.onData(Dir.ToClient, r, 0, r.length, meta(2));
  const [op] = ctx.operations();
  assert.ok(op);
  assert.equal(op.kind, 'read');
  assert.equal(op.code, 1);
  assert.equal(op.codeName, 'query_a');
  assert.equal(op.object, 'plc1.plant.local');
  assert.equal(op.result, 'ok');
  assert.equal(op.frame, 1);
  assert.equal(op.responseFrame, 2);
  assert.deepEqual(op.attributes, { rcode: 'noerror', answers: 1, first_answer: '10.1.2.3', ttl: 60 });
  assert.equal(op.src.ip, '10.0.0.5');
  const f = facts(ctx.events);
  assert.ok(f.some((e) => e.subject.ip === '10.0.0.53' && e.field === 'role-hint' && e.value === 'dns-server'));
  assert.ok(f.some((e) => e.subject.ip === '10.1.2.3' && e.field === 'hostname' && e.value === 'plc1.plant.local' && e.confidence < 0.9));
  assert.ok(!f.some((e) => e.subject.ip === '10.0.0.5'), 'the resolving client is the subject of nothing');
  assert.deepEqual([...s.resolvedNames], ['plc1.plant.local']);
});

test('public addresses in answers are not turned into hostname facts', () => {
  const ctx = recordingContext(udpFlow);
  const s = new DnsSession(ctx, 'dns', false);
  const r = dnsMessage({ id: 7, response: true, question: { name: 'example.com', type: 1 }, answers: [{ name: 'example.com', type: 1, data: '93.184.216.34' }] });
  s.onData(Dir.ToServer, dnsMessage({ id: 7, question: { name: 'example.com', type: 1 } }), 0, 29, meta(1));
  s.onData(Dir.ToClient, r, 0, r.length, meta(2));
  assert.ok(!facts(ctx.events).some((e) => e.field === 'hostname'));
});

test('NXDOMAIN burst: every query is an exception named nxdomain, counted', () => {
  const ctx = recordingContext(udpFlow);
  const s = new DnsSession(ctx, 'dns', false);
  for (let i = 0; i < 20; i++) {
    const name = `x${i}.corp.example`;
    const q = dnsMessage({ id: 100 + i, question: { name, type: 28 } });
    const r = dnsMessage({ id: 100 + i, response: true, rcode: 3, question: { name, type: 28 } });
    s.onData(Dir.ToServer, q, 0, q.length, meta(2 * i + 1));
    s.onData(Dir.ToClient, r, 0, r.length, meta(2 * i + 2));
  }
  const ops = ctx.operations();
  assert.equal(ops.length, 20);
  assert.ok(ops.every((o) => o.result === 'exception' && o.exceptionCode === 3 && o.exceptionName === 'nxdomain' && o.codeName === 'query_aaaa'));
  assert.equal(ctx.counters['nxdomain'], 20);
});

test('PTR answer names a private address; retransmitted query leaves the first as no-response; close flushes', () => {
  const ctx = recordingContext(udpFlow);
  const s = new DnsSession(ctx, 'dns', false);
  const q = dnsMessage({ id: 9, question: { name: '3.2.1.10.in-addr.arpa', type: 12 } });
  s.onData(Dir.ToServer, q, 0, q.length, meta(1));
  s.onData(Dir.ToServer, q, 0, q.length, meta(2));
  const r = dnsMessage({ id: 9, response: true, question: { name: '3.2.1.10.in-addr.arpa', type: 12 }, answers: [{ name: '3.2.1.10.in-addr.arpa', type: 12, data: 'hmi-2.plant.local' }] });
  s.onData(Dir.ToClient, r, 0, r.length, meta(3));
  const q2 = dnsMessage({ id: 10, question: { name: 'never.answered', type: 16 } });
  s.onData(Dir.ToServer, q2, 0, q2.length, meta(4));
  s.onClose(meta(5));
  const ops = ctx.operations();
  assert.deepEqual(ops.map((o) => [o.frame, o.codeName, o.result]), [[1, 'query_ptr', 'no-response'], [2, 'query_ptr', 'ok'], [4, 'query_txt', 'no-response']]);
  assert.equal(ops[1]!.attributes?.first_answer, 'hmi-2.plant.local');
  assert.ok(facts(ctx.events).some((e) => e.subject.ip === '10.1.2.3' && e.field === 'hostname' && e.value === 'hmi-2.plant.local'));
});

test('DNS over TCP: length-prefixed messages split across segments and two in one segment', () => {
  const ctx = recordingContext({ ...udpFlow, transport: 'tcp' });
  const s = new DnsSession(ctx, 'dns', true);
  const q1 = tcpFramed(dnsMessage({ id: 1, question: { name: 'a.example', type: 1 } }));
  const q2 = tcpFramed(dnsMessage({ id: 2, question: { name: 'b.example', type: 15 } }));
  assert.equal(probeDnsTcp(q1, 0, 1), Probe.NeedMore);
  assert.equal(probeDnsTcp(q1, 0, q1.length), Probe.Yes);
  assert.equal(probeDnsUdp(q1, 0, q1.length), Probe.No, 'a TCP-framed message is not a UDP one');
  const both = Buffer.concat([q1, q2]);
  s.onData(Dir.ToServer, both, 0, 5, meta(1));
  s.onData(Dir.ToServer, both, 5, both.length - 5, meta(2));
  const r1 = tcpFramed(dnsMessage({ id: 1, response: true, question: { name: 'a.example', type: 1 }, answers: [{ name: 'a.example', type: 1, data: '192.168.0.9' }] }));
  const r2 = tcpFramed(dnsMessage({ id: 2, response: true, rcode: 2, question: { name: 'b.example', type: 15 } }));
  const rr = Buffer.concat([r1, r2]);
  s.onData(Dir.ToClient, rr, 0, rr.length, meta(3));
  const ops = ctx.operations();
  assert.deepEqual(ops.map((o) => [o.frame, o.codeName, o.result, o.exceptionName ?? '']), [[2, 'query_a', 'ok', ''], [2, 'query_mx', 'exception', 'servfail']]);
  // After a gap the stream resyncs on the next segment that starts a message.
  s.onGap(Dir.ToServer, 100, meta(4));
  s.onData(Dir.ToServer, Buffer.from([0xde, 0xad, 0xbe, 0xef, 1, 2, 3]), 0, 7, meta(5));
  const q3 = tcpFramed(dnsMessage({ id: 3, question: { name: 'c.example', type: 1 } }));
  s.onData(Dir.ToServer, q3, 0, q3.length, meta(6));
  s.onClose(meta(7));
  assert.deepEqual(ctx.operations().slice(2).map((o) => [o.frame, o.object]), [[6, 'c.example']]);
});

test('compression: pointers are followed, loops and forward pointers are malformed, labels > 63 and names > 255 refused', () => {
  const name = new DnsName();
  // "www" + pointer to "example.com" at offset 0
  const ok = Buffer.from([...encodeName('example.com'), 3, 0x77, 0x77, 0x77, 0xc0, 0x00]);
  assert.equal(readName(ok, 13, 0, ok.length, name), ok.length);
  assert.equal(nameText(name), 'www.example.com');
  const self = Buffer.from([0xc0, 0x00]);
  assert.equal(readName(self, 0, 0, 2, name), NameError.PointerLoop);
  const loop = Buffer.from([1, 0x61, 0xc0, 0x04, 1, 0x62, 0xc0, 0x00]);
  assert.equal(readName(loop, 4, 0, loop.length, name), NameError.PointerLoop);
  const forward = Buffer.from([0xc0, 0x02, 1, 0x61, 0]);
  assert.equal(readName(forward, 0, 0, forward.length, name), NameError.PointerLoop);
  assert.equal(readName(Buffer.from([0x40, 0x61, 0]), 0, 0, 3, name), NameError.BadLabelType);
  const long = Buffer.from([...Array.from({ length: 5 }, () => [60, ...new Array(60).fill(0x61)]).flat(), 0]);
  assert.equal(readName(long, 0, 0, long.length, name), NameError.TooLong);
  assert.equal(readName(Buffer.from([5, 0x61]), 0, 0, 2, name), NameError.Truncated);

  const ctx = recordingContext(udpFlow);
  const s = new DnsSession(ctx, 'dns', false);
  const header = [0, 1, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0];
  const bad = Buffer.from([...header, 0xc0, 0x0c, 0, 1, 0, 1]);
  s.onData(Dir.ToServer, bad, 0, bad.length, meta(1));
  assert.equal(ctx.counters['malformed'], 1);
  assert.ok(ctx.events.some((e) => e.type === 'anomaly' && e.anomaly === 'malformed' && /loop/.test(e.detail ?? '')));
  assert.equal(probeDnsUdp(bad, 0, bad.length), Probe.No);
});

test('mDNS: an unsolicited announcement names the responder (0.8) and its services; no operation', () => {
  const ctx = recordingContext({ transport: 'udp', clientIp: '192.168.1.20', serverIp: '224.0.0.251', clientPort: 5353, serverPort: 5353, serverMac: '01:00:5e:00:00:fb', sidesGuessed: true });
  const s = new DnsSession(ctx, 'mdns', false);
  const msg = dnsMessage({
    id: 0,
    response: true,
    question: null,
    answers: [
      { name: '_http._tcp.local', type: 12, data: 'Panel._http._tcp.local' },
      { name: 'panel-7.local', type: 1, klass: 0x8001, data: '192.168.1.20' },
    ],
  });
  assert.equal(probeDnsUdp(msg, 0, msg.length), Probe.Yes);
  s.onData(Dir.ToServer, msg, 0, msg.length, meta(1));
  assert.equal(ctx.operations().length, 0);
  const f = facts(ctx.events);
  assert.ok(f.some((e) => e.field === 'hostname' && e.value === 'panel-7' && e.subject.ip === '192.168.1.20' && e.subject.mac === '00:00:00:00:00:01' && e.confidence === 0.8));
  assert.ok(f.some((e) => e.field === 'software' && e.value === 'mdns service _http._tcp' && e.subject.ip === '192.168.1.20'));
  assert.equal(ctx.swaps, 0, 'a multicast group never becomes the client');
});

test('LLMNR: a multicast query is emitted at once; the unicast answer on its own flow names the responder', () => {
  const qctx = recordingContext({ transport: 'udp', clientIp: '192.168.1.30', serverIp: '224.0.0.252', clientPort: 50000, serverPort: 5355 });
  const qs = new DnsSession(qctx, 'llmnr', false);
  const q = dnsMessage({ id: 0x55, question: { name: 'fileserver', type: 1 } });
  qs.onData(Dir.ToServer, q, 0, q.length, meta(1));
  assert.deepEqual(qctx.operations().map((o) => [o.codeName, o.result, o.object]), [['query_a', 'unknown', 'fileserver']]);
  const rctx = recordingContext({ transport: 'udp', clientIp: '192.168.1.30', serverIp: '192.168.1.40', clientPort: 50000, serverPort: 5355 });
  const rs = new DnsSession(rctx, 'llmnr', false);
  const r = dnsMessage({ id: 0x55, response: true, question: { name: 'fileserver', type: 1 }, answers: [{ name: 'fileserver', type: 1, data: '192.168.1.40' }] });
  rs.onData(Dir.ToClient, r, 0, r.length, meta(2));
  assert.deepEqual(rctx.operations().map((o) => [o.frame, o.responseFrame, o.result, o.src.ip]), [[2, 2, 'ok', '192.168.1.30']]);
  assert.ok(facts(rctx.events).some((e) => e.field === 'hostname' && e.value === 'fileserver' && e.subject.ip === '192.168.1.40' && e.confidence === 0.8));
});

test('NetBIOS name service messages are not DNS (and the NBNS probe claims them)', () => {
  const nbName = [0x20, ...Buffer.from('FHEPFCELEHFCEPFFFACACACACACACAAA', 'latin1'), 0];
  const nbns = Buffer.from([0x12, 0x34, 0x01, 0x10, 0, 1, 0, 0, 0, 0, 0, 0, ...nbName, 0, 0x20, 0, 1]);
  assert.equal(probeDnsUdp(nbns, 0, nbns.length), Probe.No);
  assert.equal(nbnsSpec.probe(nbns, 0, nbns.length, Dir.ToServer), Probe.Yes);
});
