import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { createServer, type AddressInfo } from 'node:net';
import { cefHeaderEscape, cefValueEscape, parseSyslogTarget, sendSyslog, toCef, toSyslog5424 } from './export.js';
import { run, op } from './test-support.js';
import type { AlertReport } from '../report/types.js';

function sampleAlert(): AlertReport {
  const a = run('ot.control-command', [op({ protocol: 'modbus', kind: 'write', codeName: 'write_single_register' }, '10.0.0.66', '10.0.0.10')])[0]!;
  return { ...a, title: 'pipe | back\\slash', explanation: 'a=b\nnext line \\ end' };
}

/** Splits a CEF extension into key/value pairs, honouring the escapes (the receiving side of the format). */
function parseCef(text: string): { header: string[]; ext: Record<string, string> } {
  const header: string[] = [];
  let cur = '';
  let i = 0;
  for (; i < text.length && header.length < 7; i++) {
    const c = text[i]!;
    if (c === '\\' && (text[i + 1] === '|' || text[i + 1] === '\\')) cur += text[++i];
    else if (c === '|') {
      header.push(cur);
      cur = '';
    } else cur += c;
  }
  const ext: Record<string, string> = {};
  const rest = text.slice(i);
  const keyAt = /(?:^| )([A-Za-z0-9]+)=/g;
  const starts: Array<{ key: string; from: number; at: number }> = [];
  for (let m; (m = keyAt.exec(rest)) !== null;) {
    // an escaped '=' is never a key boundary: count the backslashes before the match
    starts.push({ key: m[1]!, from: m.index + m[0].length, at: m.index });
  }
  for (let k = 0; k < starts.length; k++) {
    const raw = rest.slice(starts[k]!.from, k + 1 < starts.length ? starts[k + 1]!.at : rest.length);
    ext[starts[k]!.key] = raw.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : c));
  }
  return { header, ext };
}

describe('CEF', () => {
  test('escapes header and extension characters', () => {
    assert.equal(cefHeaderEscape('a|b\\c\nd'), 'a\\|b\\\\c d');
    assert.equal(cefValueEscape('a=b\\c\nd\re|f'), 'a\\=b\\\\c\\nd\\re|f');
  });

  test('an alert round-trips through a CEF parser', () => {
    const a = sampleAlert();
    const { header, ext } = parseCef(toCef(a, '1.2.3'));
    assert.deepEqual(header, ['CEF:0', 'otwatch', 'otwatch', '1.2.3', 'ot.control-command', 'pipe | back\\slash', '8']);
    assert.equal(ext.src, '10.0.0.66');
    assert.equal(ext.dst, '10.0.0.10');
    assert.equal(ext.cnt, '1');
    assert.equal(ext.msg, a.explanation);
    assert.equal(ext.cs1, a.id);
    assert.equal(ext.cs2, 'new');
    assert.equal(ext.start, String(Date.parse(a.firstSeen)));
    assert.equal(ext.cs4Label, undefined, 'no label without its value');
  });

  test('RFC 5424 header: PRI from facility and severity, MSGID the rule id', () => {
    const line = toSyslog5424(sampleAlert(), { hostname: 'sensor 1', procId: '42' });
    const m = /^<(\d+)>1 (\S+) (\S+) (\S+) (\S+) (\S+) - (CEF:0\|.*)$/s.exec(line);
    assert.ok(m, line);
    assert.equal(Number(m[1]), 4 * 8 + 3);
    assert.equal(m[3], 'sensor1');
    assert.equal(m[5], '42');
    assert.equal(m[6], 'ot.control-command');
    assert.ok(!m[7]!.includes('\n'), 'one line');
  });

  test('syslog targets', () => {
    assert.deepEqual(parseSyslogTarget('udp://127.0.0.1:5514'), { transport: 'udp', host: '127.0.0.1', port: 5514 });
    assert.deepEqual(parseSyslogTarget('tcp://[::1]'), { transport: 'tcp', host: '::1', port: 514 });
    assert.throws(() => parseSyslogTarget('http://x:1'), /bad syslog target/);
    assert.throws(() => parseSyslogTarget('udp://x:70000'), /port/);
  });
});

describe('syslog transport (127.0.0.1 only)', () => {
  test('UDP: one datagram per alert', async () => {
    const server = createSocket('udp4');
    const got: string[] = [];
    await new Promise<void>((r) => server.bind(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const done = new Promise<void>((r) => server.on('message', (m) => {
      got.push(m.toString('utf8'));
      if (got.length === 2) r();
    }));
    const a = sampleAlert();
    await sendSyslog({ transport: 'udp', host: '127.0.0.1', port }, [toSyslog5424(a), toSyslog5424({ ...a, severity: 'critical' })]);
    await done;
    server.close();
    assert.match(got[0]!, /^<35>1 .* ot\.control-command - CEF:0\|otwatch\|/);
    assert.match(got[1]!, /^<34>1 .*\|10\|/);
  });

  test('TCP: octet-counted frames', async () => {
    const chunks: Buffer[] = [];
    const server = createServer((s) => s.on('data', (d) => chunks.push(d)));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const msgs = [toSyslog5424(sampleAlert()), 'é second'];
    await sendSyslog({ transport: 'tcp', host: '127.0.0.1', port }, msgs);
    await new Promise((r) => setTimeout(r, 50));
    await new Promise<void>((r) => server.close(() => r()));
    const all = Buffer.concat(chunks);
    const frames: string[] = [];
    for (let off = 0; off < all.length;) {
      const sp = all.indexOf(0x20, off);
      const len = Number(all.subarray(off, sp).toString());
      frames.push(all.subarray(sp + 1, sp + 1 + len).toString('utf8'));
      off = sp + 1 + len;
    }
    assert.deepEqual(frames, msgs);
  });
});
