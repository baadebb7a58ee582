/** Network and IT incident scenarios. */
import { connect, MS, SEC } from '../context.js';
import { ModbusCodec, MODBUS_PORT } from '../protocols/modbus.js';
import { S7Codec, s7Diagnostics, s7Open, s7UploadProgram, S7_PORT } from '../protocols/s7comm.js';
import { arpExchange, dnsLookup, httpGet, tlsSession } from '../protocols/it.js';
import { ipToNum, writeArp, writeIcmpEcho, type SimHost } from '../packets.js';
import type { Scenario } from './index.js';
import { addRogue, incident } from './common.js';

export const itOtBypass: Scenario = {
  name: 'it-ot-bypass',
  description: 'An office workstation (Level 4) reads a PLC directly over Modbus, bypassing the DMZ.',
  inject(ctx, at, rng) {
    const src = ctx.plant.get('office-02');
    const dst = ctx.plant.get('plc-m340-01');
    const inc = incident('it-ot-bypass', at, src, dst, 'Level 4 host talking Modbus straight to a Level 1 PLC',
      { ruleId: 'net.it-ot-bypass', severity: 'high', category: 'segmentation' });
    ctx.sched.spawn(function* (slot) {
      const c = connect(ctx, slot, src.host, dst.host, MODBUS_PORT, at, 'modbus');
      const mb = new ModbusCodec(rng.u32());
      yield* c.open();
      for (let i = 0; i < 5; i++) {
        c.t += 1 * SEC;
        mb.read(3, 0, 20, (k) => k * 3);
        yield* c.exchange(mb.req, mb.reqLen, mb.resp, mb.respLen, 900);
      }
      yield* c.close();
      inc.finish(c.t);
    });
    return [inc.truth];
  },
};

export const internetExposure: Scenario = {
  name: 'internet-exposure',
  description: 'An Internet host (public address) reaches an S7-300 on TCP 102 and reads its identity.',
  inject(ctx, at, rng) {
    const src = ctx.plant.external('198.51.100.77');
    const dst = ctx.plant.get('plc-s7300-01');
    const inc = incident('internet-exposure', at, src, dst, 'PLC reachable from a public address',
      { ruleId: 'net.internet-exposure', severity: 'critical', category: 'exposure' });
    ctx.sched.spawn(function* (slot) {
      const c = connect(ctx, slot, src, dst.host, S7_PORT, at, 's7comm');
      const s = new S7Codec(rng.u32());
      yield* s7Open(c, s, dst, 0x0100, rng);
      yield* s7Diagnostics(c, s, dst);
      yield* c.close();
      inc.finish(c.t);
    });
    return [inc.truth];
  },
};

export const ipExfiltration: Scenario = {
  name: 'ip-exfiltration',
  description: 'Program upload from an S7-1500 followed by a large TLS upload to an Internet host.',
  inject(ctx, at, rng) {
    const src = ctx.plant.get('ews-01');
    const plc = ctx.plant.get('plc-s71500-01');
    const drop = ctx.plant.external('198.51.100.200');
    const inc = incident('ip-exfiltration', at, src, drop, 'program upload then ~2 MB sent to the Internet',
      { ruleId: 'exfil.ip-exfiltration', severity: 'critical', category: 'exfiltration' });
    ctx.sched.spawn(function* (slot) {
      const c = connect(ctx, slot, src.host, plc.host, S7_PORT, at, 's7comm');
      const s = new S7Codec(rng.u32());
      yield* s7Open(c, s, plc, 0x0100, rng);
      yield* s7UploadProgram(c, s, rng, 3);
      yield* c.close();
      const x = connect(ctx, slot, src.host, drop, 443, c.t + 2 * SEC, 'tls');
      yield* x.open();
      yield* tlsSession(x, 'upload.example-share.net', rng, 2_000_000, 300);
      yield* x.close();
      inc.finish(x.t);
    });
    return [inc.truth];
  },
};

export const scan: Scenario = {
  name: 'scan',
  description: 'A compromised HMI sweeps the cell with ICMP echo and SYN-scans a PLC\'s ports.',
  inject(ctx, at) {
    const src = ctx.plant.get('hmi-02');
    const dst = ctx.plant.get('plc-m580-01');
    const inc = incident('scan', at, src, dst, 'ICMP sweep of 10.10.10.0/24 (1-40) and TCP SYN scan of 12 ports',
      { ruleId: 'net.scan', severity: 'high', category: 'reconnaissance' });
    ctx.sched.spawn(function* (slot) {
      let t = at;
      const byIp = new Map(ctx.plant.assets.map((a) => [a.host.ip, a.host] as const));
      for (let h = 1; h <= 40; h++) {
        const ip = (ipToNum('10.10.10.0') | h) >>> 0;
        const target: SimHost = byIp.get(ip) ?? { ...dst.host, ip, name: `10.10.10.${h}` };
        slot.ts = t;
        writeIcmpEcho(slot, ctx.plant.fabric, src.host, target, 8, 0x0001, h, 32);
        yield;
        if (byIp.has(ip)) {
          slot.ts = t + 400;
          writeIcmpEcho(slot, ctx.plant.fabric, target, src.host, 0, 0x0001, h, 32);
          yield;
        }
        t += 15 * MS;
      }
      const open = new Set([80, 502]);
      for (const port of [21, 22, 23, 80, 102, 443, 502, 2404, 3389, 4840, 20000, 44818]) {
        const c = connect(ctx, slot, src.host, dst.host, port, t, open.has(port) ? (port === 80 ? 'http' : 'modbus') : 'tcp');
        if (open.has(port)) yield* c.halfOpen();
        else yield* c.refused();
        t = c.t + 3 * MS;
      }
      inc.finish(t);
    });
    return [inc.truth];
  },
};

export const newDevice: Scenario = {
  name: 'new-device',
  description: 'A rogue Raspberry Pi joins cell A: ARP probes, DNS lookups and Modbus reads.',
  inject(ctx, at, rng) {
    const rogue = addRogue(ctx, { name: 'rogue-rpi-01', zone: 'cell-a', ip: '10.10.10.99' });
    const plc = ctx.plant.get('plc-m340-01');
    const inc = incident('new-device', at, rogue, plc, 'unknown device appears on the OT segment',
      { ruleId: 'net.new-device', severity: 'medium', category: 'asset-change' });
    ctx.sched.spawn(function* (slot) {
      let t = at;
      const h = rogue.host;
      for (let i = 0; i < 3; i++) {
        slot.ts = t;
        writeArp(slot, 1, h.vlan, h.mac, 0, null, h.ip);
        yield;
        t += 1 * SEC;
      }
      slot.ts = t;
      writeArp(slot, 1, h.vlan, h.mac, h.ip, null, h.ip);
      yield;
      t += 100 * MS;
      yield* arpExchange(slot, t, h, plc.host);
      t = yield* dnsLookup(ctx, slot, t + 10 * MS, h, ctx.plant.get('dc-01').host, 'dc-01.plant.lan',
        [ctx.plant.get('dc-01').host.ip], rng);
      const c = connect(ctx, slot, h, plc.host, MODBUS_PORT, t + 50 * MS, 'modbus');
      const mb = new ModbusCodec(rng.u32());
      yield* c.open();
      mb.read(3, 0, 10, (k) => k);
      yield* c.exchange(mb.req, mb.reqLen, mb.resp, mb.respLen, 900);
      yield* c.close();
      inc.finish(c.t);
    });
    return [inc.truth];
  },
};

export const arpSpoof: Scenario = {
  name: 'arp-spoof',
  description: 'A rogue host in cell A sends forged ARP replies claiming the default gateway\'s address.',
  inject(ctx, at) {
    const attacker = addRogue(ctx, { name: 'rogue-laptop-01', zone: 'cell-a', ip: '10.10.10.77', oui: 'f4:8e:38', vendor: 'Dell', model: 'Latitude', os: 'linux', firmware: 'Kali Linux' });
    const victim = ctx.plant.get('plc-m340-01');
    const gw = ipToNum('10.10.10.1');
    const inc = incident('arp-spoof', at, attacker, victim, 'forged ARP replies: 10.10.10.1 is-at the attacker MAC',
      { ruleId: 'net.arp-spoof', severity: 'high', category: 'mitm' });
    ctx.sched.spawn(function* (slot) {
      let t = at;
      const a = attacker.host;
      // the genuine binding first, then the forged one
      slot.ts = t;
      writeArp(slot, 2, a.vlan, ctx.plant.fabric.routerMac, gw, victim.host.mac, victim.host.ip);
      yield;
      for (let i = 0; i < 10; i++) {
        t += 2 * SEC;
        slot.ts = t;
        writeArp(slot, 2, a.vlan, a.mac, gw, victim.host.mac, victim.host.ip);
        yield;
      }
      inc.finish(t);
    });
    return [inc.truth];
  },
};

export const directoryListing: Scenario = {
  name: 'directory-listing',
  description: 'The web HMI returns an auto-generated directory index page.',
  inject(ctx, at) {
    const src = ctx.plant.get('office-03');
    const dst = ctx.plant.get('hmi-web-01');
    const inc = incident('directory-listing', at, src, dst, 'GET /logs/ answered with "Index of /logs"',
      { ruleId: 'web.directory-listing', severity: 'medium', category: 'misconfiguration' });
    ctx.sched.spawn(function* (slot) {
      const c = connect(ctx, slot, src.host, dst.host, 80, at, 'http');
      yield* c.open();
      const body = '<html><head><title>Index of /logs</title></head><body><h1>Index of /logs</h1><pre>' +
        '<a href="../">../</a>\n<a href="alarm.log">alarm.log</a>   02-Mar-2026 05:12  18K\n' +
        '<a href="recipe.csv">recipe.csv</a>  01-Mar-2026 22:40  4K\n</pre></body></html>';
      yield* httpGet(c, dst.ip, '/logs/', { status: '200 OK', server: dst.httpServer ?? 'HMI', contentType: 'text/html', body });
      yield* c.close();
      inc.finish(c.t);
    });
    return [inc.truth];
  },
};

export const cleartextCredentials: Scenario = {
  name: 'cleartext-credentials',
  description: 'FTP, Telnet and HTTP basic-auth logins in clear text to OT devices.',
  inject(ctx, at) {
    const ews = ctx.plant.get('ews-01');
    const plc = ctx.plant.get('plc-m340-01');
    const hmi = ctx.plant.get('hmi-web-01');
    const rtu = ctx.plant.get('rtu-dnp3-01');
    const inc = incident('cleartext-credentials', at, ews, plc, 'FTP USER/PASS, Telnet login and HTTP Basic credentials',
      { ruleId: 'cred.cleartext', severity: 'medium', category: 'credentials' });
    ctx.sched.spawn(function* (slot) {
      const lines = (s: string) => Buffer.from(s, 'latin1');
      const ftp = connect(ctx, slot, ews.host, plc.host, 21, at, 'ftp');
      yield* ftp.open();
      const banner = lines('220 FTP server ready.\r\n');
      yield* ftp.send(false, banner, banner.length);
      ftp.t += 1 * MS;
      for (const [q, r] of [['USER loader\r\n', '331 Password required for loader.\r\n'],
        ['PASS fwdownload\r\n', '230 User loader logged in.\r\n'], ['QUIT\r\n', '221 Goodbye.\r\n']] as const) {
        const qb = lines(q);
        const rb = lines(r);
        yield* ftp.exchange(qb, qb.length, rb, rb.length, 2 * MS);
        ftp.t += 200 * MS;
      }
      yield* ftp.close();
      const tn = connect(ctx, slot, ews.host, rtu.host, 23, ftp.t + 1 * SEC, 'telnet');
      yield* tn.open();
      for (const [q, r] of [['', 'login: '], ['admin\r\n', 'Password: '], ['otter\r\n', '\r\n=>']] as const) {
        const rb = lines(r);
        if (q.length > 0) {
          const qb = lines(q);
          yield* tn.exchange(qb, qb.length, rb, rb.length, 5 * MS);
        } else {
          yield* tn.send(false, rb, rb.length);
          tn.t += 300;
          yield* tn.ack(true);
        }
        tn.t += 500 * MS;
      }
      yield* tn.close();
      const web = connect(ctx, slot, ews.host, hmi.host, 80, tn.t + 1 * SEC, 'http');
      yield* web.open();
      yield* httpGet(web, hmi.ip, '/admin/', { status: '200 OK', server: hmi.httpServer ?? 'HMI', contentType: 'text/html', body: '<html><body>Administration</body></html>' },
        `Authorization: Basic ${Buffer.from('Administrator:100').toString('base64')}\r\n`);
      yield* web.close();
      inc.finish(web.t);
    });
    return [inc.truth];
  },
};

export const cryptominer: Scenario = {
  name: 'cryptominer',
  description: 'An HMI mines cryptocurrency: Stratum JSON-RPC to a mining pool on the Internet.',
  inject(ctx, at, rng) {
    const src = ctx.plant.get('hmi-02');
    const pool = ctx.plant.external('203.0.113.99');
    const inc = incident('cryptominer', at, src, pool, 'Stratum mining.subscribe/authorize/submit to pool.example-mining.org:3333',
      { ruleId: 'malware.cryptominer', severity: 'high', category: 'malware' });
    ctx.sched.spawn(function* (slot) {
      const t = yield* dnsLookup(ctx, slot, at, src.host, ctx.plant.get('dc-01').host, 'pool.example-mining.org', [pool.ip], rng);
      const c = connect(ctx, slot, src.host, pool, 3333, t + 5 * MS, 'stratum');
      yield* c.open();
      const j = (o: unknown) => Buffer.from(JSON.stringify(o) + '\n', 'latin1');
      const steps: Array<[unknown, unknown]> = [
        [{ id: 1, method: 'mining.subscribe', params: ['xmrig/6.21.0'] }, { id: 1, result: [[['mining.notify', 'ae6812eb4cd7735a']], '08000002', 4], error: null }],
        [{ id: 2, method: 'mining.authorize', params: ['4A1wallet.hmi02', 'x'] }, { id: 2, result: true, error: null }],
      ];
      for (const [q, r] of steps) {
        const qb = j(q);
        const rb = j(r);
        yield* c.exchange(qb, qb.length, rb, rb.length, 30 * MS);
        c.t += 10 * MS;
      }
      for (let i = 0; i < 5; i++) {
        c.t += 2 * SEC;
        const n = j({ id: null, method: 'mining.notify', params: [`job${i}`, rng.u32().toString(16), '01000000', [], '20000000', '1d00ffff', '6457a0c1', true] });
        yield* c.send(false, n, n.length);
        c.t += 200;
        yield* c.ack(true);
        c.t += 1 * SEC;
        const sb = j({ id: 10 + i, method: 'mining.submit', params: ['4A1wallet.hmi02', `job${i}`, '00000000', '6457a0c1', rng.u32().toString(16)] });
        const ok = j({ id: 10 + i, result: true, error: null });
        yield* c.exchange(sb, sb.length, ok, ok.length, 30 * MS);
      }
      yield* c.close();
      inc.finish(c.t);
    });
    return [inc.truth];
  },
};
