import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ip6ToString } from '../util/addr.js';
import { fuzzRuns } from '../util/fuzz-budget.js';
import { addressSortKey, classifyIp, endpointSortKey, expandIp6, isGroupMacText, isLinkLocalIp, isMacText, parseIp4, subnetKey } from './address-class.js';

test('classifies IPv4 and IPv6 addresses', () => {
  assert.equal(classifyIp('10.0.0.1'), 'unicast');
  assert.equal(classifyIp('0.0.0.0'), 'unspecified');
  assert.equal(classifyIp('255.255.255.255'), 'broadcast');
  assert.equal(classifyIp('224.0.0.1'), 'multicast');
  assert.equal(classifyIp('239.255.255.250'), 'multicast');
  assert.equal(classifyIp('::'), 'unspecified');
  assert.equal(classifyIp('ff02::fb'), 'multicast');
  assert.equal(classifyIp('2001:db8::1'), 'unicast');
  assert.equal(classifyIp('10.0.0.256'), 'invalid');
  assert.equal(classifyIp('1::2::3'), 'invalid');
  assert.equal(isLinkLocalIp('fe80::1'), true);
  assert.equal(isLinkLocalIp('169.254.3.4'), true);
  assert.equal(isLinkLocalIp('10.0.0.1'), false);
  assert.equal(subnetKey('10.1.2.3'), subnetKey('10.1.2.200'));
  assert.notEqual(subnetKey('10.1.2.3'), subnetKey('10.1.3.3'));
  assert.equal(subnetKey('2001:db8:0:1::5'), subnetKey('2001:db8:0:1:ffff::9'));
});

test('IPv6 expansion inverts the RFC 5952 formatter', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
      const text = ip6ToString(bytes, 0);
      assert.equal(expandIp6(text), Buffer.from(bytes).toString('hex'));
    }),
    { numRuns: fuzzRuns(300) },
  );
});

test('sort keys order addresses numerically', () => {
  const sorted = ['10.0.0.10', '::1', '10.0.0.9', '00:1b:1b:00:00:01', '9.255.0.1', '2001:db8::1']
    .sort((a, b) => (addressSortKey(a) < addressSortKey(b) ? -1 : 1));
  assert.deepEqual(sorted, ['00:1b:1b:00:00:01', '9.255.0.1', '10.0.0.9', '10.0.0.10', '::1', '2001:db8::1']);
  const ids = ['multicast:224.0.0.1', 'ip:10.0.0.2', 'broadcast:255.255.255.255', 'mac:00:00:00:00:00:01', 'ip:9.0.0.1']
    .sort((a, b) => (endpointSortKey(a) < endpointSortKey(b) ? -1 : 1));
  assert.deepEqual(ids, ['mac:00:00:00:00:00:01', 'ip:9.0.0.1', 'ip:10.0.0.2', 'broadcast:255.255.255.255', 'multicast:224.0.0.1']);
});

/** The regular-expression definitions the char-code scanners must agree with. */
function referenceParseIp4(text: string): number {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return -1;
  let value = 0;
  for (let i = 1; i <= 4; i++) {
    const octet = Number(m[i]);
    if (octet > 255) return -1;
    value = value * 256 + octet;
  }
  return value;
}

test('parseIp4, isMacText and isGroupMacText agree with their regular-expression definitions', () => {
  const ipLike = fc.oneof(
    fc.tuple(fc.nat(300), fc.nat(300), fc.nat(300), fc.nat(1000)).map((p) => p.join('.')),
    fc.stringMatching(/^[0-9.]{0,17}$/),
    fc.string({ maxLength: 16 }),
  );
  fc.assert(fc.property(ipLike, (text) => assert.equal(parseIp4(text), referenceParseIp4(text), text)), { numRuns: fuzzRuns(2000) });
  for (const t of ['1.2.3.4', '001.002.003.004', '255.255.255.255', '256.1.1.1', '1.2.3.4.', '.1.2.3', '1..2.3', '1.2.3.4 ', '١.2.3.4', '1.2.3.0004']) {
    assert.equal(parseIp4(t), referenceParseIp4(t), t);
  }
  const macLike = fc.oneof(
    fc.uint8Array({ minLength: 6, maxLength: 6 }).map((b) => [...b].map((x) => x.toString(16).padStart(2, '0')).join(':')),
    fc.stringMatching(/^[0-9a-gA-G:]{15,18}$/),
    fc.string({ maxLength: 18 }),
  );
  fc.assert(
    fc.property(macLike, (text) => {
      assert.equal(isMacText(text), /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(text), text);
      assert.equal(isGroupMacText(text), (parseInt(text.slice(0, 2), 16) & 1) === 1, text);
    }),
    { numRuns: fuzzRuns(2000) },
  );
  assert.equal(isGroupMacText('01:00:5e:00:00:01'), true);
  assert.equal(isGroupMacText('00:1b:1b:00:00:01'), false);
  assert.equal(isGroupMacText('FF:FF:FF:FF:FF:FF'), true);
});
