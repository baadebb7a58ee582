import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { fuzzRuns } from '../../util/fuzz-budget.js';
import { traceOf, tsharkFields, hasTshark } from '../../../test/support/trace.js';
import { assertGolden } from '../../../test/support/golden.js';
import { corpusDir } from '../../../test/support/cli.js';
import { factsOf, fixturePath, l2Trace, lldp, lldpFixture, lldpFrame, operationsOf, runFrames } from './test-support.js';
import { LldpAnalyzer, LldpParse, LldpPdu, parseLldp, parseSystemIdentification } from './index.js';

const LLDP = new Set(['lldp']);
const T = 1700000000;

test('system identification: SIMATIC-style descriptions split into vendor/model/order number/revisions; others do not', () => {
  assert.deepEqual(parseSystemIdentification('Siemens, SIMATIC NET, SCALANCE X208, 6GK5 208-0BA10-2AA3, HW: 7, FW: V4.1.0'), {
    vendor: 'Siemens', model: 'SCALANCE X208', orderNumber: '6GK5 208-0BA10-2AA3', hardwareRevision: '7', firmware: 'V4.1.0',
  });
  assert.deepEqual(parseSystemIdentification('Siemens, SIMATIC S7, CPU 1516-3 PN/DP, 6ES7 516-3AN01-0AB0, HW: Version 3, FW: Version V2.8.3, SVPJ3083421'), {
    vendor: 'Siemens', model: 'CPU 1516-3 PN/DP', orderNumber: '6ES7 516-3AN01-0AB0', hardwareRevision: '3', firmware: 'V2.8.3',
  });
  assert.equal(parseSystemIdentification('Ubuntu 22.04.3 LTS Linux 5.15.0-91-generic #101-Ubuntu SMP x86_64'), null);
  assert.equal(parseSystemIdentification('Cisco IOS Software, C2960 Software (C2960-LANBASEK9-M), Version 12.2(50)SE5'), null);
  assert.equal(parseSystemIdentification('HW: 1, FW: 2'), null);
});

test('fixture: one advertisement per new or changed sender, facts about the sender (hand-checked against tshark)', () => {
  const ctx = runFrames(lldpFixture(), [new LldpAnalyzer()]);
  assert.deepEqual(operationsOf(ctx.events).map((o) => [o.frame, o.codeName, o.object ?? '']), [
    [1, 'lldp_advertisement', 'scalance-x208'],
    [3, 'lldp_advertisement', ''],
    [5, 'lldp_advertisement', ''],
    [6, 'lldp_advertisement', 'eng-ws-01'],
    [9, 'lldp_shutdown', ''],
  ]);
  assert.deepEqual(ctx.counters, {
    'lldp.frames': 9, 'lldp.advertisements': 3, 'lldp.changed-advertisements': 2, 'lldp.repeats': 2,
    'lldp.missing-mandatory': 1, 'lldp.tlv-overrun': 1,
  });
  const sw = operationsOf(ctx.events)[0]!;
  assert.equal(sw.kind, 'identify');
  assert.deepEqual(sw.src, { ip: '', port: 0, mac: '00:1b:1b:10:20:33' });
  assert.equal(sw.attributes?.port_vlan, 1);
  assert.equal(sw.attributes?.profinet_chassis_mac, '00:1b:1b:10:20:30');
  const facts = (frame: number) => Object.fromEntries(factsOf(ctx.events).filter((f) => f.frame === frame).map((f) => [f.field, [f.value, f.confidence]]));
  assert.deepEqual(facts(1), {
    hostname: ['scalance-x208', 0.9],
    software: ['Siemens, SIMATIC NET, SCALANCE X208, 6GK5 208-0BA10-2AA3, HW: 7, FW: V4.1.0', 0.9],
    vendor: ['Siemens', 0.6], model: ['SCALANCE X208', 0.6], 'order-number': ['6GK5 208-0BA10-2AA3', 0.6],
    'hardware-revision': ['7', 0.6], firmware: ['V4.1.0', 0.6], 'role-hint': ['network-device', 0.8],
  });
  assert.deepEqual(factsOf(ctx.events).find((f) => f.frame === 1)!.subject, { mac: '00:1b:1b:10:20:33', ip: '192.168.0.250' });
  // PROFINET device: the station name is the locally assigned chassis id; renaming it is a changed advertisement.
  assert.deepEqual(facts(3)['station-name'], ['plc-line-1', 0.9]);
  assert.deepEqual(facts(5)['station-name'], ['plc-line-2', 0.9]);
  assert.equal(facts(3)['role-hint'], undefined); // station only
  assert.deepEqual(factsOf(ctx.events).find((f) => f.frame === 6)!.subject, { mac: '52:54:00:12:34:56', ip: 'fe80::5054:ff:fe12:3456' });
  assert.equal(facts(9).hostname, undefined); // a shutdown declares nothing
});

test('differential with tshark: chassis id, port id, system name, management address, port VLAN, PROFINET chassis MAC', { skip: hasTshark ? false : 'needs tshark' }, () => {
  const file = fixturePath('lldp-profinet.pcap');
  const rows = tsharkFields(file, 'lldp && !_ws.malformed', ['lldp.chassis.id.mac', 'lldp.port.id', 'lldp.port.id.mac', 'lldp.tlv.system.name', 'lldp.mgn.addr.ip4', 'lldp.mgn.addr.ip6', 'lldp.ieee.802_1.port_vlan.id', 'lldp.profinet.cm_mac_add', 'lldp.time_to_live']);
  const ctx = runFrames(lldpFixture(), [new LldpAnalyzer()]);
  const ours = operationsOf(ctx.events);
  assert.equal(ours.length, 5);
  for (const o of ours) {
    const [chassisMac = [], port = [], portMac = [], name = [], ip4 = [], ip6 = [], vlan = [], pnMac = [], ttl = []] = rows.get(o.frame) ?? [];
    const a = o.attributes!;
    if (chassisMac.length) assert.equal(a.chassis_id, chassisMac[0]);
    assert.equal(a.port_id, port[0] ?? portMac[0]);
    assert.equal(a.system_name, name[0]);
    assert.equal(a.management_address, ip4[0]);
    assert.equal(a.management_address_v6, ip6[0]);
    assert.equal(a.port_vlan === undefined ? undefined : String(a.port_vlan), vlan[0]);
    assert.equal(a.profinet_chassis_mac, pnMac[0]);
    assert.equal(String(a.ttl), ttl[0]);
  }
  // Frames tshark calls malformed are the ones we count as malformed.
  assert.deepEqual([...tsharkFields(file, 'lldp && _ws.malformed', []).keys()], [7, 8]);
});

test('cap: senders are bounded; a full table evicts the oldest and counts it', () => {
  const frames = [];
  for (let i = 0; i < 6; i++) frames.push({ ts: T + i, data: lldpFrame(`02:00:00:00:01:0${i}`, [lldp.chassisMac(`02:00:00:00:01:0${i}`), lldp.portLocal('p'), lldp.ttl(120), lldp.end()]) });
  frames.push({ ts: T + 10, data: frames[5]!.data }); // still remembered: a repeat
  const ctx = runFrames(frames, [new LldpAnalyzer({ maxSenders: 4 })]);
  assert.equal(ctx.counters['lldp.senders-cap'], 2);
  assert.equal(ctx.counters['lldp.repeats'], 1);
  const tlvs = runFrames([{ ts: T, data: lldpFrame('02:00:00:00:01:01', [lldp.chassisMac('02:00:00:00:01:01'), lldp.portLocal('p'), lldp.ttl(1), lldp.systemName('a'), lldp.systemName('b'), lldp.end()]) }], [new LldpAnalyzer({ maxTlvs: 4 })]);
  assert.equal(tlvs.counters['lldp.tlvs-cap'], 1);
});

test('parser: mandatory TLVs must come first and in order', () => {
  const pdu = new LldpPdu();
  const body = Buffer.concat([lldp.portLocal('p'), lldp.chassisMac('02:00:00:00:00:01'), lldp.ttl(1), lldp.end()]);
  assert.equal(parseLldp(body, 0, body.length, pdu), LldpParse.MISSING_MANDATORY);
  const good = Buffer.concat([lldp.chassisMac('02:00:00:00:00:01'), lldp.portLocal('p'), lldp.ttl(7)]);
  assert.equal(parseLldp(good, 0, good.length, pdu), LldpParse.OK); // no End TLV: the frame ends it
  assert.equal(pdu.ttl, 7);
  assert.equal(pdu.ended, false);
});

test('property: random and mutated LLDPDUs never throw and never read outside the given range', () => {
  const base = lldpFixture().map((f) => f.data.subarray(14));
  const pdu = new LldpPdu();
  fc.assert(
    fc.property(fc.nat(base.length - 1), fc.array(fc.tuple(fc.nat(300), fc.nat(255)), { maxLength: 12 }), fc.nat(300), fc.uint8Array({ maxLength: 80 }), (i, flips, cut, junk) => {
      const src = Buffer.concat([base[i]!, Buffer.from(junk)]);
      for (const [at, v] of flips) if (at < src.length) src[at] = v;
      const len = Math.min(cut, src.length);
      // Guard bytes around the window: a read past it would change results between the two runs.
      const a = Buffer.concat([Buffer.alloc(8, 0x00), src.subarray(0, len), Buffer.alloc(8, 0x00)]);
      const b = Buffer.concat([Buffer.alloc(8, 0xff), src.subarray(0, len), Buffer.alloc(8, 0xff)]);
      const ra = parseLldp(a, 8, len, pdu);
      const snapshot = JSON.stringify(pdu);
      const rb = parseLldp(b, 8, len, pdu);
      assert.equal(ra, rb);
      assert.equal(JSON.stringify(pdu), snapshot);
      const ctx = runFrames([{ ts: T, data: Buffer.concat([Buffer.from('0180c200000e020000000001' + '88cc', 'hex'), src]) }], [new LldpAnalyzer()]);
      for (const e of ctx.events) assert.ok(e.protocol === 'lldp');
    }),
    { numRuns: fuzzRuns(300) },
  );
});

const fixtures = join(import.meta.dirname, 'fixtures');
test('golden trace (whole engine): lldp-profinet.pcap', async () => {
  const { events } = await traceOf(fixturePath('lldp-profinet.pcap'));
  assertGolden(join(fixtures, 'lldp-profinet.golden.json'), l2Trace(events, LLDP));
});

for (const rel of ['enip/EIP-ChangeDateAttempt.pcap', 'enip/enip_cip_example.pcap']) {
  const file = join(corpusDir, rel);
  test(`golden trace (LLDP view, whole engine): ${rel}`, { skip: existsSync(file) ? false : `needs ${file}` }, async () => {
    const { events } = await traceOf(file);
    const trace = l2Trace(events, LLDP);
    assertGolden(join(fixtures, rel.replace(/^.*\//, '').replace(/\.pcap$/, '.golden.json')), trace);
    if (hasTshark) {
      // Each advertising sender's chassis id and management address as tshark reads them.
      const rows = tsharkFields(file, 'lldp', ['lldp.chassis.id.mac', 'lldp.mgn.addr.ip4']);
      for (const o of operationsOf(events).filter((e) => e.protocol === 'lldp')) {
        const [chassis = [], mgmt = []] = rows.get(o.frame)!;
        assert.equal(o.attributes?.chassis_id, chassis[0]);
        assert.equal(o.attributes?.management_address, mgmt[0]);
      }
      assert.equal(operationsOf(events).filter((e) => e.protocol === 'lldp').length, rows.size);
    }
  });
}
