import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fuzzRuns } from './fuzz-budget.js';
import { ip4FromString, ip4ToString, ip6ToString, isPrivateIp4, isPublicIp, macFromString, macToString } from './addr.js';

test('MAC round trip keeps leading zeros', () => {
  assert.equal(macToString(macFromString('00:1b:1b:0a:0b:0c')), '00:1b:1b:0a:0b:0c');
  assert.equal(macToString(0xffffffffffff), 'ff:ff:ff:ff:ff:ff');
});

test('IPv4 round trip', () => {
  assert.equal(ip4ToString(ip4FromString('192.168.10.254')), '192.168.10.254');
  assert.throws(() => ip4FromString('1.2.3'));
});

test('IPv6 text form compresses the longest zero run (RFC 5952)', () => {
  const b = Buffer.alloc(16);
  b[0] = 0x20; b[1] = 0x01; b[2] = 0x0d; b[3] = 0xb8; b[15] = 1;
  assert.equal(ip6ToString(b, 0), '2001:db8::1');
  const ll = Buffer.from('fe800000000000000211223344556677', 'hex');
  assert.equal(ip6ToString(ll, 0), 'fe80::211:2233:4455:6677');
});

test('public vs private addresses', () => {
  assert.equal(isPublicIp('10.1.2.3'), false);
  assert.equal(isPublicIp('172.20.0.1'), false);
  assert.equal(isPublicIp('8.8.8.8'), true);
  assert.equal(isPublicIp('fe80::1'), false);
  assert.equal(isPublicIp('2a00:1450::1'), true);
});

/** The straightforward definitions the fast paths must agree with. */
function referenceMacToString(mac: number): string {
  let out = '';
  for (let shift = 40; shift >= 0; shift -= 8) {
    const byte = Math.floor(mac / 2 ** shift) & 0xff;
    out += byte.toString(16).padStart(2, '0') + (shift > 0 ? ':' : '');
  }
  return out;
}
function referenceIp4FromString(text: string): number | 'throws' {
  const parts = text.split('.');
  if (parts.length !== 4) return 'throws';
  let value = 0;
  for (const part of parts) {
    const n = Number(part);
    if (!Number.isInteger(n) || n < 0 || n > 255 || part === '') return 'throws';
    value = value * 256 + n;
  }
  return value >>> 0;
}

test('fast address conversions agree with their straightforward definitions', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 48 - 1 }), (mac) => assert.equal(macToString(mac), referenceMacToString(mac))),
    { numRuns: fuzzRuns(2000) },
  );
  const ipLike = fc.oneof(
    fc.tuple(fc.nat(300), fc.nat(300), fc.nat(300), fc.nat(1000)).map((p) => p.join('.')),
    fc.stringMatching(/^[0-9. +x-]{0,17}$/),
  );
  fc.assert(
    fc.property(ipLike, (text) => {
      const want = referenceIp4FromString(text);
      if (want === 'throws') assert.throws(() => ip4FromString(text), text);
      else assert.equal(ip4FromString(text), want, text);
      if (!text.includes(':')) assert.equal(isPublicIp(text), want === 'throws' ? false : !isPrivateIp4(want), text);
    }),
    { numRuns: fuzzRuns(2000) },
  );
  for (const t of ['0x1.2.3.4', ' 1.2.3.4', '1.2.3.4 ', '01.002.0003.4', '1e1.2.3.4', '-0.1.2.3', '1.2.3.256']) {
    const want = referenceIp4FromString(t);
    if (want === 'throws') assert.throws(() => ip4FromString(t), t);
    else assert.equal(ip4FromString(t), want, t);
  }
});

test('cached address texts are exact for every address, colliding or not', () => {
  const pairs: Array<[number, string]> = [];
  for (let i = 0; i < 20_000; i++) {
    const ip = (Math.imul(i, 2654435761) ^ (i << 7)) >>> 0;
    pairs.push([ip, `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`]);
  }
  for (const [ip, text] of pairs) assert.equal(ip4ToString(ip), text);
  for (const [ip, text] of pairs.reverse()) assert.equal(ip4ToString(ip), text);
  assert.equal(ip4ToString(0), '0.0.0.0');
  assert.equal(ip4ToString(-1), '255.255.255.255');
  assert.equal(ip4ToString(0xc0a80001), ip4ToString(0xc0a80001 | 0));
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 2 ** 48 - 1 }), { maxLength: 50 }), (macs) => {
      for (const mac of [...macs, ...macs]) assert.equal(macToString(mac), referenceMacToString(mac));
    }),
    { numRuns: fuzzRuns(200) },
  );
  assert.equal(macToString(0), '00:00:00:00:00:00');
});
