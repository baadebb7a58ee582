import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compatibleValues, mergeIdentity, type FactEvidence } from './identity.js';
import { initialTtl, osFamily, osFromTtl } from './os.js';

const T0 = 1_700_000_000;
let frame = 0;
const f = (field: string, value: string, protocol: string, confidence: number, ts = T0): FactEvidence => ({ field, value, protocol, frame: ++frame, captureIndex: 0, confidence, ts });
const SIEMENS_MAC = '00:1b:1b:11:22:33';

test('claims per field with confidence and sources; the winner fills the flat fields', () => {
  const m = mergeIdentity([
    f('vendor', 'Siemens AG', 'profinet-dcp', 0.95), f('vendor', 'Siemens', 's7comm', 0.9),
    f('model', 'CPU 315-2', 'profinet-dcp', 0.9), f('model', 'CPU 315-2 PN/DP', 's7comm', 0.9),
    f('firmware', 'V3.2.17', 's7comm', 0.9), f('hostname', 'PLC-1', 'nbns', 0.9), f('hostname', 'plc-1.plant.lan', 'dns', 0.7),
    f('user', 'operator', 'smb', 0.9), f('user', 'admin', 'telnet', 0.9), f('domain', 'PLANT', 'smb', 0.9),
  ], SIEMENS_MAC, null);
  assert.equal(m.vendor, 'Siemens');
  assert.equal(m.vendorSource, 'profinet-dcp');
  // The OUI corroborates: one claim, three sources (registry last).
  assert.deepEqual(m.identity.vendor!.map((c) => [c.value, c.confidence, c.sources.map((s) => s.protocol)]), [['Siemens', 0.95, ['profinet-dcp', 's7comm', 'oui']]]);
  assert.equal(m.model, 'CPU 315-2 PN/DP', 'among equally confident claims the most specific wins');
  assert.equal(m.firmware, 'V3.2.17');
  assert.deepEqual(m.hostnames, ['PLC-1', 'plc-1.plant.lan']);
  assert.deepEqual(m.users, ['admin', 'operator']);
  assert.equal(m.domain, 'PLANT');
  assert.deepEqual(m.identityConflicts, []);
  assert.equal(m.os, null);
});

test('conflicts are shown, not hidden; a declared vendor beats the MAC registry even when weaker', () => {
  const m = mergeIdentity([
    f('os', 'Windows 10 or later', 'http', 0.4), f('os', 'Ubuntu Linux', 'ssh', 0.8), f('os', 'Windows', 'dhcp', 0.6),
    f('vendor', 'Rockwell Automation/Allen-Bradley', 'enip', 0.4), f('firmware', 'v1', 'modbus', 0.9, T0), f('firmware', 'v2', 'modbus', 0.9, T0 + 5),
  ], SIEMENS_MAC, new Map([[128, 10]]));
  assert.deepEqual(m.os, { value: 'Ubuntu Linux', confidence: 0.8, source: 'ssh', family: 'linux' });
  assert.deepEqual(m.identity.os!.map((c) => c.value), ['Ubuntu Linux', 'Windows', 'Windows 10 or later']);
  assert.equal(m.vendor, 'Rockwell Automation');
  assert.equal(m.vendorSource, 'enip');
  assert.equal(m.firmware, 'v2', 'equal confidence: the latest statement');
  assert.deepEqual(m.identityConflicts, ['vendor', 'firmware', 'os']);
  // Near miss: agreeing values of one family are corroboration.
  assert.deepEqual(mergeIdentity([f('os', 'Windows', 'dhcp', 0.6), f('os', 'Windows 6.1', 'nbdgm', 0.6)], null, null).identityConflicts, []);
});

test('TTL is the OS guess of last resort, only with a clear majority', () => {
  assert.deepEqual(mergeIdentity([], null, new Map([[128, 9], [64, 1]])).os, { value: 'Windows (initial TTL 128)', confidence: 0.2, source: 'ttl', family: 'windows' });
  assert.equal(mergeIdentity([], null, new Map([[128, 5], [64, 5]])).os, null);
  assert.equal(mergeIdentity([f('os', 'VxWorks', 'snmp', 0.7)], null, new Map([[128, 9]])).os?.source, 'snmp');
  assert.deepEqual([initialTtl(0), initialTtl(30), initialTtl(57), initialTtl(127), initialTtl(250)], [0, 32, 64, 128, 255]);
  assert.equal(osFromTtl(new Map()), null);
  assert.equal(osFamily('Cisco IOS-XE 17.9'), 'network-os');
  assert.equal(osFamily('Windows 6.1'), 'windows');
  assert.ok(compatibleValues('vendor', 'Schweitzer Engineering Laboratories', 'SEL'));
  assert.ok(!compatibleValues('hostname', 'hmi-01', 'hmi-02.plant.lan'));
});
