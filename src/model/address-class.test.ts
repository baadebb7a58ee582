import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ip6ToString } from '../util/addr.js';
import { fuzzRuns } from '../util/fuzz-budget.js';
import { addressSortKey, classifyIp, endpointSortKey, expandIp6, isLinkLocalIp, subnetKey } from './address-class.js';

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
