import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import fc from 'fast-check';
import { fuzzRuns } from '../../util/fuzz-budget.js';
import { traceOf, tsharkFields, hasTshark } from '../../../test/support/trace.js';
import { assertGolden } from '../../../test/support/golden.js';
import { cdpFixture, cdpFrame, cdpTlv, factsOf, fixturePath, l2Trace, operationsOf, runFrames } from '../lldp/test-support.js';
import { StpAnalyzer } from '../stp/index.js';
import { CdpAnalyzer, CdpParse, CdpPdu, parseCdp } from './index.js';

const T = 1700000000;

test('fixture: switch and phone advertisements, repeats suppressed, PVST+ handed to STP, other SNAP counted', () => {
  const stp = new StpAnalyzer();
  const ctx = runFrames(cdpFixture(), [stp, new CdpAnalyzer({}, stp)]);
  assert.deepEqual(operationsOf(ctx.events).map((o) => [o.frame, o.protocol, o.kind, o.code, o.codeName, o.object]), [
    [1, 'cdp', 'identify', 2, 'cdp_advertisement', 'sw-core-1.plant.local'],
    [3, 'cdp', 'identify', 2, 'cdp_advertisement', 'SEP001122334455'],
  ]);
  assert.deepEqual(ctx.counters, {
    'cdp.frames': 4, 'cdp.advertisements': 2, 'cdp.repeats': 1, 'stp.pvst-bpdus': 1, 'cdp.snap-other': 1, 'cdp.tlv-overrun': 1,
  });
  const sw = operationsOf(ctx.events)[0]!;
  assert.deepEqual(sw.attributes, {
    ttl: 180, cdp_version: 2, device_id: 'sw-core-1.plant.local', port_id: 'GigabitEthernet1/0/24', platform: 'cisco WS-C3750X-48P',
    software_version: 'Cisco IOS Software, C3750E Software (C3750E-UNIVERSALK9-M), Version 15.0(2)SE11, RELEASE SOFTWARE (fc3)',
    capabilities: 'router,switch,igmp_capable', addresses: '10.0.0.2', management_addresses: '10.0.0.2', native_vlan: 10, duplex: 'full', vtp_domain: 'PLANT',
  });
  const facts = (frame: number) => Object.fromEntries(factsOf(ctx.events).filter((f) => f.frame === frame).map((f) => [f.field, f.value]));
  assert.deepEqual(facts(1), {
    hostname: 'sw-core-1.plant.local', software: sw.attributes!.software_version, vendor: 'Cisco', model: 'WS-C3750X-48P', firmware: '15.0(2)SE11', 'role-hint': 'network-device',
  });
  assert.deepEqual(factsOf(ctx.events).find((f) => f.frame === 1)!.subject, { mac: '00:1a:a1:0b:0c:18', ip: '10.0.0.2' });
  assert.equal(facts(3)['role-hint'], undefined); // a phone's two-port relay is not a network device
  assert.equal(facts(3).model, 'IP Phone 7975');
  assert.deepEqual(facts(4), { 'role-hint': 'network-device' }); // from STP: the PVST+ sender is a bridge
});

test('without an STP delegate, PVST+ is counted as another SNAP protocol', () => {
  const ctx = runFrames(cdpFixture().slice(3, 4), [new CdpAnalyzer()]);
  assert.deepEqual(ctx.counters, { 'cdp.snap-other': 1 });
});

test('differential with tshark: device id, platform, port id, native VLAN, addresses, checksum good', { skip: hasTshark ? false : 'needs tshark' }, () => {
  const rows = tsharkFields(fixturePath('cdp.pcap'), 'cdp && !_ws.malformed', ['cdp.deviceid', 'cdp.platform', 'cdp.portid', 'cdp.native_vlan', 'cdp.nrgyz.ip_address', 'cdp.checksum.status']);
  const ctx = runFrames(cdpFixture(), [new CdpAnalyzer()]);
  for (const o of operationsOf(ctx.events)) {
    const [id = [], platform = [], port = [], vlan = [], addrs = [], checksum = []] = rows.get(o.frame)!;
    assert.equal(o.attributes?.device_id, id[0]);
    assert.equal(o.attributes?.platform, platform[0]);
    assert.equal(o.attributes?.port_id, port[0]);
    assert.equal(o.attributes?.native_vlan === undefined ? undefined : String(o.attributes.native_vlan), vlan[0]);
    assert.deepEqual([o.attributes?.addresses, o.attributes?.management_addresses].filter(Boolean).join(',').split(','), addrs);
    assert.equal(checksum[0], '1');
  }
  assert.equal(rows.size, 3); // frames 1-3; the repeat is counted, not reported
});

test('caps: senders, TLVs and addresses are bounded and counted', () => {
  const frames = [];
  for (let i = 0; i < 5; i++) frames.push({ ts: T + i, data: cdpFrame(`00:00:0c:00:00:0${i}`, [cdpTlv(1, Buffer.from(`d${i}`))]) });
  const ctx = runFrames(frames, [new CdpAnalyzer({ maxSenders: 3 })]);
  assert.equal(ctx.counters['cdp.senders-cap'], 2);
  const many = Buffer.concat([Buffer.from([0, 0, 0, 20]), ...Array.from({ length: 20 }, (_, i) => Buffer.from([1, 1, 0xcc, 0, 4, 10, 0, 0, i]))]);
  const a = runFrames([{ ts: T, data: cdpFrame('00:00:0c:00:00:09', [cdpTlv(2, many)]) }], [new CdpAnalyzer({ maxAddresses: 4 })]);
  assert.equal(a.counters['cdp.addresses-cap'], 1);
  assert.equal(operationsOf(a.events)[0]!.attributes?.addresses, '10.0.0.0,10.0.0.1,10.0.0.2,10.0.0.3');
  const t = runFrames([{ ts: T, data: cdpFrame('00:00:0c:00:00:0a', [cdpTlv(1, Buffer.from('a')), cdpTlv(1, Buffer.from('b')), cdpTlv(1, Buffer.from('c'))]) }], [new CdpAnalyzer({ maxTlvs: 2 })]);
  assert.equal(t.counters['cdp.tlvs-cap'], 1);
});

test('property: random and mutated CDP PDUs never throw and never read outside the given range', () => {
  const base = cdpFixture().map((f) => f.data.subarray(22));
  const pdu = new CdpPdu();
  fc.assert(
    fc.property(fc.nat(base.length - 1), fc.array(fc.tuple(fc.nat(400), fc.nat(255)), { maxLength: 12 }), fc.nat(400), (i, flips, cut) => {
      const src = Buffer.from(base[i]!);
      for (const [at, v] of flips) if (at < src.length) src[at] = v;
      const len = Math.min(cut, src.length);
      const a = Buffer.concat([Buffer.alloc(4, 0), src.subarray(0, len), Buffer.alloc(8, 0)]);
      const b = Buffer.concat([Buffer.alloc(4, 0xff), src.subarray(0, len), Buffer.alloc(8, 0xff)]);
      const ra = parseCdp(a, 4, len, pdu);
      const snapshot = JSON.stringify(pdu);
      assert.equal(parseCdp(b, 4, len, pdu), ra);
      assert.equal(JSON.stringify(pdu), snapshot);
      assert.ok(Object.values(CdpParse).includes(ra));
      const stp = new StpAnalyzer();
      runFrames([{ ts: T, data: cdpFrame('00:00:0c:00:00:01', [src.subarray(4, len)]) }], [stp, new CdpAnalyzer({}, stp)]);
    }),
    { numRuns: fuzzRuns(300) },
  );
});

test('golden trace (whole engine): cdp.pcap', async () => {
  const { events } = await traceOf(fixturePath('cdp.pcap'));
  assertGolden(join(import.meta.dirname, 'fixtures', 'cdp.golden.json'), l2Trace(events, new Set(['cdp', 'stp'])));
});
