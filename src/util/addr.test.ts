import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ip4FromString, ip4ToString, ip6ToString, isPublicIp, macFromString, macToString } from './addr.js';

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
