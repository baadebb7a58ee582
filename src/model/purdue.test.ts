import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ZoneModel, subnetZoneName, type PurdueAssetInput, type PurdueEdgeInput } from './purdue.js';
import { parseZones } from './zones.js';
import type { AssetRole } from '../report/types.js';

function a(id: string, ip: string, role: AssetRole | null, extra: Partial<PurdueAssetInput> = {}): PurdueAssetInput {
  return { id, ips: [ip], vlan: null, roles: role === null ? [{ role: 'unknown', confidence: 0, reasons: [] }] : [{ role, confidence: 0.8, reasons: ['test'] }], isRouter: false, routedIps: [], ...extra };
}
const e = (src: string, dst: string, protocol: PurdueEdgeInput['protocol'] = 'modbus', port = 502): PurdueEdgeInput => ({ src, dst, protocol, port, transport: 'tcp' });

test('inferred zones: VLAN or /24, level by dominant vote, assets clamped to their role range', () => {
  const assets = [
    a('plc1', '10.0.1.10', 'plc'), a('plc2', '10.0.1.11', 'plc'), a('panel', '10.0.1.50', 'hmi'), a('x', '10.0.1.99', null),
    a('hmi', '10.0.2.10', 'hmi', { vlan: 20 }), a('hmi2', '10.0.2.11', 'hmi'),
    a('scada', '10.0.3.10', 'scada-server'), a('hist', '10.0.3.11', 'historian'), a('ews', '10.0.3.12', 'engineering-workstation'),
    a('office', '192.168.1.10', 'it-workstation'), a('web', '203.0.113.5', 'web-server'),
  ];
  const placed = new ZoneModel(assets, null).assign(assets, []);
  const level = (id: string) => placed.get(id)!.purdueLevel;
  assert.deepEqual(['plc1', 'plc2', 'panel', 'x'].map(level), [1, 1, 1, 1]);
  assert.equal(placed.get('plc1')!.zone, '10.0.1.0/24');
  // hmi2 is untagged but its subnet was seen tagged with VLAN 20: one zone.
  assert.equal(placed.get('hmi')!.zone, 'vlan-20');
  assert.equal(placed.get('hmi2')!.zone, 'vlan-20');
  assert.equal(level('hmi2'), 2);
  // Supervisory roles split their vote between 2 and 3; the historian's decides.
  assert.deepEqual(['scada', 'hist', 'ews'].map(level), [3, 3, 3]);
  assert.equal(level('office'), 4);
  assert.equal(placed.get('web')!.zone, 'internet');
  assert.equal(level('web'), 5);
  assert.equal(placed.get('plc1')!.criticality, 'high');
  assert.ok(placed.get('plc1')!.purdueInferred && placed.get('plc1')!.zoneInferred);
  // Near miss: without the historian, a zone of SCADA + EWS ties and takes the lower level.
  const sup = [a('scada', '10.0.3.10', 'scada-server'), a('ews', '10.0.3.12', 'engineering-workstation')];
  assert.equal(new ZoneModel(sup, null).assign(sup, []).get('scada')!.purdueLevel, 2);
  assert.equal(subnetZoneName('2001:db8:0:7::1'), '2001:db8:0:7::/64');
});

test('a zone of IT services only is a DMZ when it talks to both IT and OT; crossing and skipping flags', () => {
  const assets = [
    a('patch', '10.0.100.10', 'it-server'), a('hist', '10.0.3.11', 'historian'), a('office', '192.168.1.10', 'it-workstation'),
    a('plc', '10.0.1.10', 'plc'), a('dns', '10.0.50.5', 'dns-server'),
  ];
  const edges = [e('hist', 'patch', 'http', 80), e('office', 'patch', 'http', 80), e('office', 'plc'), e('hist', 'dns', 'dns', 53)];
  const model = new ZoneModel(assets, null);
  const placed = model.assign(assets, edges);
  assert.equal(placed.get('patch')!.purdueLevel, 3.5);
  assert.equal(placed.get('dns')!.purdueLevel, 3);
  const direct = model.zoneCommunication(edges[2]!, placed);
  assert.deepEqual([direct.srcLevel, direct.dstLevel, direct.crossesItOt, direct.skipsLevels, direct.internet, direct.conduitAllowed], [4, 1, true, true, false, null]);
  const viaDmz = model.zoneCommunication(edges[1]!, placed);
  assert.deepEqual([viaDmz.crossesItOt, viaDmz.skipsLevels], [false, false]);
  const l2 = model.zoneCommunication({ ...edges[2]!, transport: 'ethernet' }, placed);
  assert.equal(l2.crossesItOt, false);
});

test('a zones file sets zones, levels and criticality, and conduits decide conduitAllowed', () => {
  const zones = parseZones(`zones:
  - name: cell
    cidrs: [10.0.1.0/24]
    purdueLevel: 1
    criticality: critical
  - name: office
    cidrs: [192.168.0.0/16]
    purdueLevel: 4
conduits:
  - from: office
    to: cell
    protocols: [http]
`);
  const assets = [a('plc', '10.0.1.10', 'plc'), a('pc', '192.168.1.10', 'it-workstation'), a('stray', '10.0.9.9', 'hmi')];
  const model = new ZoneModel(assets, zones);
  const placed = model.assign(assets, []);
  assert.deepEqual(placed.get('plc'), { purdueLevel: 1, purdueInferred: false, zone: 'cell', zoneInferred: false, criticality: 'critical' });
  assert.deepEqual(placed.get('stray'), { purdueLevel: 2, purdueInferred: true, zone: '10.0.9.0/24', zoneInferred: true, criticality: 'medium' });
  assert.equal(model.zoneCommunication(e('pc', 'plc', 'http', 80), placed).conduitAllowed, true);
  assert.equal(model.zoneCommunication(e('pc', 'plc'), placed).conduitAllowed, false);
  assert.equal(model.zoneCommunication(e('stray', 'plc'), placed).conduitAllowed, false);
});

test('a router takes the highest OT level it routes for', () => {
  const assets = [
    a('gw', '192.168.1.1', null, { isRouter: true, routedIps: ['10.0.3.11', '8.8.8.8'] }), a('hist', '10.0.3.11', 'historian'),
    a('office', '192.168.1.10', 'it-workstation'),
  ];
  assert.equal(new ZoneModel(assets, null).assign(assets, []).get('gw')!.purdueLevel, 3);
  const itOnly = [{ ...assets[0]!, routedIps: ['8.8.8.8'] }, assets[2]!];
  assert.equal(new ZoneModel(itOnly, null).assign(itOnly, []).get('gw')!.purdueLevel, 4);
});
