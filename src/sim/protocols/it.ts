/**
 * IT-side protocols: ARP, DNS, DHCP (DORA with hostname and vendor class), NTP, HTTP, TLS handshakes.
 */
import type { PlantAsset } from '../plant.js';
import { writeArp, type FrameSlot, type SimHost, type TcpConversation } from '../packets.js';
import { ByteWriter } from '../bytes.js';
import { connect, MS, SEC, udpFrame, type SimContext } from '../context.js';
import type { SimProcessFactory } from '../scheduler.js';
import type { Rng } from '../rng.js';
import { ipToNum } from '../packets.js';

/** ARP who-has from `asker` for `target`, answered by `target` (or by `answerMac` when spoofing). */
export function* arpExchange(slot: FrameSlot, t: number, asker: SimHost, target: SimHost): Generator<void> {
  slot.ts = t;
  writeArp(slot, 1, asker.vlan, asker.mac, asker.ip, null, target.ip);
  yield;
  slot.ts = t + 300;
  writeArp(slot, 2, asker.vlan, target.mac, target.ip, asker.mac, asker.ip);
  yield;
}

export class DnsCodec {
  readonly q = new ByteWriter(Buffer.alloc(512));
  readonly r = new ByteWriter(Buffer.alloc(512));

  private name(w: ByteWriter, name: string): void {
    for (const label of name.split('.')) w.u8(label.length).ascii(label);
    w.u8(0);
  }

  /** A query and its answer (A records, or NXDOMAIN when `answers` is empty). */
  query(id: number, name: string, answers: readonly number[], ttl = 300): void {
    this.q.reset().u16(id).u16(0x0100).u16(1).u16(0).u16(0).u16(0);
    this.name(this.q, name);
    this.q.u16(1).u16(1);
    this.r.reset().u16(id).u16(answers.length > 0 ? 0x8180 : 0x8183).u16(1).u16(answers.length).u16(0).u16(0);
    this.name(this.r, name);
    this.r.u16(1).u16(1);
    for (const ip of answers) this.r.u16(0xc00c).u16(1).u16(1).u32(ttl).u16(4).u32(ip);
  }
}

/** One DNS lookup over UDP 53. */
export function* dnsLookup(
  ctx: SimContext, slot: FrameSlot, t: number, client: SimHost, server: SimHost, name: string, answers: readonly number[],
  rng: Rng,
): Generator<void, number> {
  const d = new DnsCodec();
  d.query(rng.u32() & 0xffff, name, answers);
  const sport = 50000 + (rng.u32() % 15000);
  ctx.plant.noteFlow(client, server, 'dns', 53);
  udpFrame(ctx, slot, client, server, server.ip, sport, 53, d.q.buf, d.q.o, t);
  yield;
  t += 400 + (rng.u32() % 2000);
  udpFrame(ctx, slot, server, client, client.ip, 53, sport, d.r.buf, d.r.o, t);
  yield;
  return t;
}

/** DHCP discover/offer/request/ack with option 12 (hostname) and 60 (vendor class). */
export function* dhcpDora(
  ctx: SimContext, slot: FrameSlot, t: number, client: PlantAsset, server: PlantAsset, router: number, dns: number,
  rng: Rng,
): Generator<void, number> {
  const w = new ByteWriter(Buffer.alloc(600));
  const xid = rng.u32();
  const c = client.host;
  const s = server.host;
  const msg = (op: number, type: number, yiaddr: number) => {
    w.reset().u8(op).u8(1).u8(6).u8(0).u32(xid).u16(0).u16(op === 1 ? 0x8000 : 0).u32(0).u32(yiaddr)
      .u32(0).u32(0).bytes(c.mac).zeros(10).zeros(64).zeros(128).u32(0x63825363);
    w.u8(53).u8(1).u8(type);
    if (op === 1) {
      w.u8(61).u8(7).u8(1).bytes(c.mac);
      if (type === 3) w.u8(50).u8(4).u32(c.ip).u8(54).u8(4).u32(s.ip);
      const hn = client.hostname ?? client.name;
      w.u8(12).u8(hn.length).ascii(hn);
      w.u8(60).u8(8).ascii('MSFT 5.0');
      w.u8(55).u8(6).bytes([1, 3, 6, 15, 31, 33]);
    } else {
      w.u8(54).u8(4).u32(s.ip).u8(51).u8(4).u32(86400).u8(1).u8(4).u32(0xffffff00).u8(3).u8(4).u32(router)
        .u8(6).u8(4).u32(dns).u8(15).u8(9).ascii('plant.lan');
    }
    w.u8(255);
    while (w.o < 300) w.u8(0);
  };
  ctx.plant.noteFlow(c, s, 'dhcp', 67);
  const bcast = 0xffffffff;
  const cfgIp = c.ip;
  // The client has no address yet: its frames come from 0.0.0.0 (a copy, so other processes keep the real one).
  const unconfigured = { ...c, ip: 0 };
  msg(1, 1, 0);
  udpFrame(ctx, slot, unconfigured, null, bcast, 68, 67, w.buf, w.o, t);
  yield;
  t += 2 * MS;
  msg(2, 2, cfgIp);
  udpFrame(ctx, slot, s, null, bcast, 67, 68, w.buf, w.o, t);
  yield;
  t += 3 * MS;
  msg(1, 3, 0);
  udpFrame(ctx, slot, unconfigured, null, bcast, 68, 67, w.buf, w.o, t);
  yield;
  t += 2 * MS;
  msg(2, 5, cfgIp);
  udpFrame(ctx, slot, s, null, bcast, 67, 68, w.buf, w.o, t);
  yield;
  return t;
}

/** NTP v4 client request and server reply. */
export function* ntpExchange(ctx: SimContext, slot: FrameSlot, t: number, client: SimHost, server: SimHost): Generator<void> {
  const w = new ByteWriter(Buffer.alloc(48));
  const ntpTime = (us: number): [number, number] => {
    const secs = Math.floor(us / 1e6) + 2208988800;
    return [secs >>> 0, Math.floor(((us % 1e6) / 1e6) * 4294967296) >>> 0];
  };
  const [ts, tf] = ntpTime(t);
  ctx.plant.noteFlow(client, server, 'ntp', 123);
  w.reset().u8(0x23).u8(0).u8(6).u8(0xe9).u32(0).u32(0).u32(0).zeros(8).zeros(8).zeros(8).u32(ts).u32(tf);
  udpFrame(ctx, slot, client, server, server.ip, 123, 123, w.buf, 48, t);
  yield;
  const t2 = t + 350;
  const [rs, rf] = ntpTime(t2);
  w.reset().u8(0x24).u8(1).u8(6).u8(0xec).u32(0).u32(0x10).ascii('PPS\0').u32(rs - 16).u32(0).u32(ts).u32(tf)
    .u32(rs).u32(rf).u32(rs).u32((rf + 2000) >>> 0);
  udpFrame(ctx, slot, server, client, client.ip, 123, 123, w.buf, 48, t2 + 20);
  yield;
}

export interface HttpResponseSpec {
  status: string;
  server: string;
  contentType: string;
  body: string;
  extraHeaders?: string;
}

/** One HTTP/1.1 request/response on an open conversation. */
export function* httpGet(c: TcpConversation, host: string, path: string, resp: HttpResponseSpec, extraReq = ''): Generator<void> {
  const req = Buffer.from(
    `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64)\r\n` +
    `Accept: text/html,*/*\r\n${extraReq}Connection: keep-alive\r\n\r\n`, 'latin1');
  const body = Buffer.from(resp.body, 'latin1');
  const head = Buffer.from(
    `HTTP/1.1 ${resp.status}\r\nServer: ${resp.server}\r\nContent-Type: ${resp.contentType}\r\n` +
    `Content-Length: ${body.length}\r\n${resp.extraHeaders ?? ''}\r\n`, 'latin1');
  const all = Buffer.concat([head, body]);
  yield* c.exchange(req, req.length, all, all.length, 3 * MS);
}

/** TLS 1.2 handshake records (ClientHello with SNI, ServerHello, ChangeCipherSpec) then `appBytes` each way. */
export function* tlsSession(c: TcpConversation, sni: string, rng: Rng, reqBytes: number, respBytes: number): Generator<void> {
  const w = new ByteWriter(Buffer.alloc(600));
  w.u8(0x16).u16(0x0301);
  const recLen = w.mark16();
  w.u8(1).u8(0);
  const hsLen = w.mark16();
  const hsStart = w.o;
  w.u16(0x0303);
  const rnd = Buffer.alloc(32);
  rng.fill(rnd, 0, 32);
  w.bytes(rnd).u8(32).bytes(rnd);
  const suites = [0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035];
  w.u16(suites.length * 2);
  for (const s of suites) w.u16(s);
  w.u8(1).u8(0);
  const extLen = w.mark16();
  const extStart = w.o;
  w.u16(0x0000).u16(sni.length + 5).u16(sni.length + 3).u8(0).u16(sni.length).ascii(sni);
  w.u16(0x000a).u16(8).u16(6).u16(0x001d).u16(0x0017).u16(0x0018);
  w.u16(0x000b).u16(2).u8(1).u8(0);
  w.u16(0x000d).u16(10).u16(8).u16(0x0403).u16(0x0804).u16(0x0401).u16(0x0501);
  w.u16(0xff01).u16(1).u8(0);
  w.patch16(extLen, w.o - extStart);
  w.patch16(hsLen, w.o - hsStart);
  w.patch16(recLen, w.o - 5);
  const hello = Buffer.from(w.buf.subarray(0, w.o));
  // ServerHello + ServerHelloDone (certificate omitted: only the handshake shape matters here)
  w.reset().u8(0x16).u16(0x0303);
  const sRec = w.mark16();
  const sStart = w.o;
  w.u8(2).u8(0).u16(70).u16(0x0303);
  rng.fill(rnd, 0, 32);
  w.bytes(rnd).u8(32).bytes(rnd).u16(0xc02f).u8(0);
  w.u8(14).u8(0).u16(0);
  w.patch16(sRec, w.o - sStart);
  const serverHello = Buffer.from(w.buf.subarray(0, w.o));
  // ChangeCipherSpec + encrypted Finished, then application data split into records of at most 16 KiB.
  const finished = (extra: number) => {
    const records = Math.ceil(extra / 16384);
    const b = Buffer.alloc(51 + records * 5 + extra);
    b.set([0x14, 0x03, 0x03, 0x00, 0x01, 0x01, 0x16, 0x03, 0x03, 0x00, 40], 0);
    rng.fill(b, 11, 40);
    let o = 51;
    for (let left = extra; left > 0; ) {
      const n = Math.min(16384, left);
      b.set([0x17, 0x03, 0x03, n >>> 8, n & 0xff], o);
      rng.fill(b, o + 5, n);
      o += 5 + n;
      left -= n;
    }
    return b;
  };
  yield* c.exchange(hello, hello.length, serverHello, serverHello.length, 8 * MS);
  c.t += 2 * MS;
  const cf = finished(reqBytes);
  const sf = finished(respBytes);
  yield* c.exchange(cf, cf.length, sf, sf.length, 20 * MS);
}

/** Office web browsing: DNS lookup then a TLS session to an Internet site, every few seconds. */
export function webBrowsing(ctx: SimContext, ws: PlantAsset, dns: PlantAsset, offsetUs: number): SimProcessFactory {
  const sites: Array<[string, string]> = [
    ['www.example-news.com', '203.0.113.10'], ['login.example-office.com', '203.0.113.20'],
    ['cdn.example-static.net', '198.51.100.30'], ['portal.example-supplier.com', '198.51.100.44'],
  ];
  return function* (slot) {
    const rng = ctx.rng.fork(0x77);
    let t = ctx.startUs + offsetUs;
    while (ctx.sched.running(t)) {
      const [name, ip] = rng.pick(sites);
      t = yield* dnsLookup(ctx, slot, t, ws.host, dns.host, name, [ipToNum(ip)], rng);
      const c = connect(ctx, slot, ws.host, ctx.plant.external(ip), 443, t + 500, 'tls');
      yield* c.open();
      c.t += 1 * MS;
      yield* tlsSession(c, name, rng, 400 + rng.int(0, 400), 1400 + rng.int(0, 8000));
      c.t += 50 * MS;
      yield* c.close();
      t = c.t + 2 * SEC + rng.int(0, 8 * SEC);
    }
  };
}

/** Periodic DNS lookups and NTP sync from OT servers to their infrastructure. */
export function infraChatter(ctx: SimContext, client: PlantAsset, dns: PlantAsset, ntp: PlantAsset, names: string[], offsetUs: number): SimProcessFactory {
  return function* (slot) {
    const rng = ctx.rng.fork(0x1f);
    let t = ctx.startUs + offsetUs;
    let n = 0;
    while (ctx.sched.running(t)) {
      const name = names[n % names.length]!;
      const target = ctx.plant.assets.find((a) => (a.hostname ?? '').toLowerCase() === name.split('.')[0]);
      t = yield* dnsLookup(ctx, slot, t, client.host, dns.host, name, target ? [target.host.ip] : [], rng);
      if (n % 4 === 0) {
        t += 5 * MS;
        yield* ntpExchange(ctx, slot, t, client.host, ntp.host);
        t += 1 * MS;
      }
      n++;
      t += 5 * SEC + rng.int(0, 10 * SEC);
    }
  };
}
