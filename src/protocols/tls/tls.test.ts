import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createHash } from 'node:crypto';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Dir, Probe } from '../analyzer.js';
import { recordingContext } from '../common/test-support.js';
import type { AssetFactEvent } from '../../events/types.js';
import { fuzzRuns } from '../../util/fuzz-budget.js';
import { parseCertificate } from './der.js';
import { HashMemo, ja4, ja4Alpn, ja4s } from './ja4.js';
import { ClientHello, ServerHello, isGrease, parseClientHello, parseServerHello, probeTls } from './parser.js';
import { TlsSession } from './session.js';
import { SPEC_CIPHERS, SPEC_EXTENSION_ORDER, certificate, clientHello, ext, record, serverHello, specExtensions } from './test-support.js';

function decodeClientHello(msg: Buffer): ClientHello {
  const h = new ClientHello();
  assert.ok(parseClientHello(msg, 4, msg.length - 4, h));
  return h;
}

test('JA4: the specification example (GREASE in ciphers, extensions and versions is ignored)', () => {
  const h = decodeClientHello(clientHello([0x0a0a, ...SPEC_CIPHERS], [ext.empty(0x1a1a), ...specExtensions(SPEC_EXTENSION_ORDER)]));
  const fp = ja4(h);
  assert.equal(fp.ja4, 't13d1516h2_8daaf6152771_e5627efa2ab1');
  assert.equal(
    fp.raw,
    't13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,0503,0805,0501,0806,0601',
  );
  // "If there are no signature algorithms in the hello packet, then the string ends without an underscore"
  const noSigs = decodeClientHello(clientHello(SPEC_CIPHERS, specExtensions(SPEC_EXTENSION_ORDER, [])));
  assert.equal(ja4(noSigs).ja4.split('_')[2], '6d807ffa2a79');
});

test('JA4: two further published fingerprints (Chrome with ECH and ALPS extensions)', () => {
  const chromeEch = [0x0000, 0x0010, 0x0005, 0x000a, 0x000b, 0x000d, 0x0012, 0x0017, 0x001b, 0x0023, 0x002b, 0x002d, 0x0033, 0x4469, 0xfe0d, 0xff01];
  assert.equal(ja4(decodeClientHello(clientHello(SPEC_CIPHERS, specExtensions(chromeEch)))).ja4, 't13d1516h2_8daaf6152771_02713d6af862');
  const chromeAlps = chromeEch.map((e) => (e === 0x4469 ? 0x44cd : e));
  assert.equal(ja4(decodeClientHello(clientHello(SPEC_CIPHERS, specExtensions(chromeAlps)))).ja4, 't13d1516h2_8daaf6152771_d8a2da3f94cd');
});

test('JA4: version, SNI, empty sections and ALPN character rules', () => {
  const h = decodeClientHello(clientHello([], [], 0x0301));
  assert.equal(ja4(h).ja4, 't10i000000_000000000000_000000000000');
  assert.equal(ja4Alpn(Buffer.from('http/1.1')), 'h1');
  assert.equal(ja4Alpn(Buffer.from('h')), 'hh');
  assert.equal(ja4Alpn(Buffer.alloc(0)), '00');
  assert.equal(ja4Alpn(null), '00');
  assert.equal(ja4Alpn(Buffer.from([0xab])), 'ab');
  assert.equal(ja4Alpn(Buffer.from([0xab, 0xcd])), 'ad');
  assert.equal(ja4Alpn(Buffer.from([0x30, 0xab])), '3b');
  assert.equal(ja4Alpn(Buffer.from([0x30, 0x31, 0xab, 0xcd])), '3d');
  assert.equal(ja4Alpn(Buffer.from([0x30, 0xab, 0xcd, 0x31])), '01');
});

test('JA4S: the published example (extensions in wire order)', () => {
  const msg = serverHello(0xc030, [ext.empty(0x0005), ext.empty(0x0017), ext.empty(0xff01), ext.empty(0x0000)]);
  const h = new ServerHello();
  assert.ok(parseServerHello(msg, 4, msg.length - 4, h));
  assert.deepEqual(ja4s(h), { ja4: 't120400_c030_4e8089b08790', raw: 't120400_c030_0005,0017,ff01,0000' });
});

test('DER reader agrees with node:crypto on a real certificate, and rejects truncated ones', () => {
  const pem = readFileSync(join(import.meta.dirname, 'fixtures', 'plc.example.cert.pem'), 'utf8');
  const x = new X509Certificate(pem);
  const der = x.raw;
  const info = parseCertificate(der, 0, der.length)!;
  assert.equal(info.subjectCn, /CN=(.*)/.exec(x.subject)![1]);
  assert.equal(info.subjectO, /O=(.*)/.exec(x.subject)![1]);
  assert.equal(info.issuerCn, /CN=(.*)/.exec(x.issuer)![1]);
  assert.equal(new Date(info.notAfter).getTime(), new Date(x.validTo).getTime());
  assert.equal(new Date(info.notBefore).getTime(), new Date(x.validFrom).getTime());
  assert.equal(info.selfSigned, x.checkIssued(x));
  for (let cut = 0; cut < der.length; cut += 97) assert.equal(parseCertificate(der.subarray(0, cut), 0, cut), null);
});

test('probe: hellos are Yes on any port, other records Maybe, non-TLS No', () => {
  const ch = record(22, clientHello(SPEC_CIPHERS, specExtensions(SPEC_EXTENSION_ORDER)), 0x0301);
  assert.equal(probeTls(ch, 0, ch.length, Dir.ToServer), Probe.Yes);
  assert.equal(probeTls(ch, 0, 4, Dir.ToServer), Probe.NeedMore);
  const app = record(23, Buffer.alloc(40));
  assert.equal(probeTls(app, 0, app.length, Dir.ToServer), Probe.Maybe);
  for (const s of ['GET / HTTP/1.1\r\n', 'SSH-2.0-x\r\n', '\x16\x03\x07\x00\x10\x01']) {
    assert.equal(probeTls(Buffer.from(s, 'latin1'), 0, s.length, Dir.ToServer), Probe.No, JSON.stringify(s));
  }
});

function conversation(): [Buffer, Buffer] {
  const der = new X509Certificate(readFileSync(join(import.meta.dirname, 'fixtures', 'plc.example.cert.pem'), 'utf8')).raw;
  const up = Buffer.concat([
    record(22, clientHello(SPEC_CIPHERS, specExtensions(SPEC_EXTENSION_ORDER)), 0x0301),
    record(22, Buffer.from('1000000401020304', 'hex')), // ClientKeyExchange
    record(20, Buffer.from([1])),
    record(22, Buffer.alloc(40, 0xee)), // encrypted Finished
    record(23, Buffer.alloc(300, 0xaa)),
  ]);
  // ServerHello, Certificate and ServerHelloDone in one record, as servers usually send them
  const down = Buffer.concat([
    record(22, Buffer.concat([serverHello(0xc02f, [ext.empty(0xff01), ext.alpn(['http/1.1'])]), certificate(der), Buffer.from('0e000000', 'hex')])),
    record(20, Buffer.from([1])),
    record(22, Buffer.alloc(40, 0xee)),
    record(23, Buffer.alloc(500, 0xbb)),
  ]);
  return [up, down];
}

export function feedTls(up: Buffer, down: Buffer, cut: (i: number) => number) {
  const ctx = recordingContext({ serverPort: 443 });
  const s = new TlsSession(ctx);
  let frame = 1;
  let i = 0;
  for (const [dir, b] of [[Dir.ToServer, up], [Dir.ToClient, down]] as Array<[Dir, Buffer]>) {
    for (let p = 0; p < b.length; ) {
      const n = Math.min(b.length - p, Math.max(1, cut(i++)));
      s.onData(dir, b, p, n, { frame: frame++, ts: 0 });
      p += n;
    }
  }
  s.onClose({ frame, ts: 0 });
  return ctx;
}

test('TLS 1.2 handshake split at every byte: one connect operation with JA4, certificate and negotiated cipher', () => {
  const [up, down] = conversation();
  for (const cut of [() => 1 << 20, () => 1, (i: number) => (i * 7) % 23]) {
    const ctx = feedTls(up, down, cut);
    const ops = ctx.operations();
    assert.equal(ops.length, 1);
    const a = ops[0]!.attributes!;
    assert.deepEqual(
      [ops[0]!.kind, ops[0]!.code, ops[0]!.codeName, ops[0]!.object, ops[0]!.result],
      ['connect', 0x0303, 'tls_handshake', 'example.com', 'ok'],
    );
    assert.equal(a.ja4, 't13d1516h2_8daaf6152771_e5627efa2ab1');
    assert.equal(a.cipher, 'c02f');
    assert.equal(a.alpn, 'http/1.1');
    assert.equal(a.cert_subject, 'CN=plc.example, O=otwatch test');
    assert.equal(a.self_signed, true);
    assert.equal(ctx.counters['application-bytes'], 800);
    const facts = ctx.events.filter((e): e is AssetFactEvent => e.type === 'asset-fact');
    assert.deepEqual(facts.map((f) => [f.subject.ip, f.field, f.value, f.confidence]), [['10.0.0.2', 'hostname', 'plc.example', 0.5]]);
  }
});

test('a fatal alert after the ClientHello is an exception named after the alert', () => {
  const up = record(22, clientHello([0x002f], [ext.sni('old-plc.local')]), 0x0301);
  const down = record(21, Buffer.from([2, 40]));
  const ctx = feedTls(up, down, () => 1 << 20);
  const [op] = ctx.operations();
  assert.deepEqual([op!.result, op!.exceptionCode, op!.exceptionName, op!.code], ['exception', 40, 'handshake_failure', 0]);
});

test('a non-TLS stream is counted, not parsed', () => {
  const ctx = feedTls(Buffer.from('GET / HTTP/1.1\r\n\r\n'), Buffer.alloc(0), () => 100);
  assert.equal(ctx.operations().length, 0);
  assert.equal(ctx.counters.malformed, 1);
});

test('a handshake message over the cap is skipped and counted alike when parsed in place or reassembled; the next one is read', () => {
  const [up, down] = conversation();
  // the certificate (~800 bytes) exceeds a 300-byte cap; ServerHello before it and ServerHelloDone after it fit
  const summary = (cut: (i: number) => number) => {
    const ctx = recordingContext({ serverPort: 443 });
    const s = new TlsSession(ctx, { maxHandshakeBytes: 300 });
    let frame = 1;
    let i = 0;
    for (const [dir, b] of [[Dir.ToServer, up], [Dir.ToClient, down]] as Array<[Dir, Buffer]>) {
      for (let p = 0; p < b.length; ) {
        const n = Math.min(b.length - p, Math.max(1, cut(i++)));
        s.onData(dir, b, p, n, { frame: frame++, ts: 0 });
        p += n;
      }
    }
    s.onClose({ frame, ts: 0 });
    const op = ctx.operations()[0]!;
    const anomalies = ctx.events.filter((e) => e.type === 'anomaly').map((e) => e.type === 'anomaly' && e.detail);
    return [op.attributes!.cipher, op.attributes!.cert_subject, ctx.counters['handshake-cap'], ctx.counters['handshake-messages'], anomalies];
  };
  const whole = summary(() => 1 << 20);
  assert.deepEqual(whole.slice(0, 4), ['c02f', undefined, 1, 2]);
  assert.match(String((whole[4] as string[])[0]), /^handshake message type 11 of \d+ bytes exceeds the cap$/);
  assert.deepEqual(summary(() => 1), whole);
  assert.deepEqual(summary((i) => (i * 37) % 301), whole);
});

test('JA4 hash memo: bounded, resets counted, fingerprints unchanged by it', () => {
  const memo = new HashMemo(2);
  const texts = ['a', 'b', 'c', 'a'];
  const direct = (t: string) => createHash('sha256').update(t).digest('hex').slice(0, 12);
  assert.deepEqual(texts.map((t) => memo.hash12(t)), texts.map(direct));
  assert.equal(memo.resets, 1);
  const h = decodeClientHello(clientHello(SPEC_CIPHERS, specExtensions(SPEC_EXTENSION_ORDER)));
  assert.deepEqual(ja4(h, 't', new HashMemo(1)), ja4(h));
  // a session counts the resets of its memo
  const ctx = recordingContext({ serverPort: 443 });
  const s = new TlsSession(ctx, { ja4Memo: new HashMemo(1) });
  const up = record(22, clientHello(SPEC_CIPHERS, specExtensions(SPEC_EXTENSION_ORDER)));
  s.onData(Dir.ToServer, up, 0, up.length, { frame: 1, ts: 0 });
  s.onClose({ frame: 2, ts: 0 });
  assert.equal(ctx.counters['ja4-memo-resets'], 1);
  assert.equal(ctx.operations()[0]!.attributes!.ja4, 't13d1516h2_8daaf6152771_e5627efa2ab1');
});

test('property: JA4 sorted lists equal a plain string sort of the hex values (GREASE, SNI and ALPN rules included)', () => {
  const hex = (v: number) => v.toString(16).padStart(4, '0');
  fc.assert(
    fc.property(
      fc.array(fc.oneof(fc.integer({ min: 0, max: 0xffff }), fc.constantFrom(0x0a0a, 0xfafa, 0x1301, 0x0000)), { maxLength: 40 }),
      fc.array(fc.oneof(fc.integer({ min: 0, max: 0xffff }), fc.constantFrom(0x0000, 0x0010, 0x2a2a)), { maxLength: 40 }),
      (ciphers, extensions) => {
        const h = new ClientHello();
        h.ciphers = ciphers;
        h.extensions = extensions;
        const raw = ja4(h).raw.split('_');
        const nonGrease = (l: number[]) => l.filter((v) => !isGrease(v));
        assert.equal(raw[1], nonGrease(ciphers).map(hex).sort().join(','));
        assert.equal(raw[2], nonGrease(extensions).filter((e) => e !== 0 && e !== 0x10).map(hex).sort().join(','));
      },
    ),
    { numRuns: fuzzRuns(200) },
  );
});

test('property: the JA4 fingerprint memo returns what a fresh computation does and keeps the hash memo resets exact', () => {
  const hexList = (l: number[]) => l.map((v) => v.toString(16).padStart(4, '0'));
  // a small pool so hellos repeat, memos small so resets happen between repeats
  const pool = [
    clientHello(SPEC_CIPHERS, specExtensions(SPEC_EXTENSION_ORDER)),
    clientHello([0x1301, 0x1302], [ext.sni('a.example'), ext.alpn(['h2']), ext.sigalgs([0x0403])]),
    clientHello([0x1301, 0x1302], [ext.sni('b.example'), ext.alpn(['http/1.1']), ext.sigalgs([0x0403])]),
    clientHello([0xc02f], [ext.groups([0x1d])], 0x0301),
    clientHello([0x1303, 0x1301], [ext.versions([0x0304, 0x0303]), ext.sigalgs([0x0804, 0x0403])]),
  ].map(decodeClientHello);
  const servers = [
    serverHello(0xc030, [ext.empty(5), ext.empty(0x17)]),
    serverHello(0x1301, [ext.versions([0x0304])]),
  ].map((m) => {
    const h = new ServerHello();
    assert.ok(parseServerHello(m, 4, m.length - 4, h));
    return h;
  });
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: pool.length + servers.length - 1 }), { maxLength: 30 }), fc.integer({ min: 1, max: 6 }), (picks, cap) => {
      const memo = new HashMemo(cap);
      // reference: the texts hashed in the same order through a memo without fingerprints
      const reference = new HashMemo(cap);
      for (const i of picks) {
        if (i < pool.length) {
          const fp = ja4(pool[i]!, 't', memo);
          const fresh = ja4(pool[i]!, 't', new HashMemo(1024));
          assert.deepEqual(fp, fresh);
          const [, ciphers, exts, sigs] = fresh.raw.split('_');
          if (ciphers !== '') reference.hash12(ciphers!);
          if (exts !== '') reference.hash12(sigs === undefined ? exts! : exts + '_' + sigs);
        } else {
          const h = servers[i - pool.length]!;
          const fp = ja4s(h, 't', memo);
          assert.deepEqual(fp, ja4s(h, 't', new HashMemo(1024)));
          if (h.extensions.length > 0) reference.hash12(hexList(h.extensions).join(','));
        }
        assert.equal(memo.resets, reference.resets);
      }
    }),
    { numRuns: fuzzRuns(200) },
  );
});
