/**
 * The database shipped in data/vuln (built by scripts/build-vulndb.mjs from ../shared/vulndata) against the
 * virtual plant. Expected advisories were read in the advisories themselves (product tree + ranges).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BASELINE_ASSETS } from '../sim/plant.js';
import { readVulnDb, SHIPPED_VULNDB_PATH } from './db.js';
import { VulnMatcher, type MatchableAsset } from './matcher.js';

const db = readVulnDb(SHIPPED_VULNDB_PATH);
const matcher = new VulnMatcher(db);

function plant(name: string, firmware?: string): MatchableAsset {
  const a = BASELINE_ASSETS.find((x) => x.name === name)!;
  return { vendor: a.vendor, model: a.model, firmware: firmware ?? a.firmware, facts: a.orderNumber ? [{ field: 'order-number', value: a.orderNumber }] : [] };
}
const byOrderNumber = (name: string, firmware?: string) => matcher.matchAsset(plant(name, firmware))
  .filter((m) => m.evidence.some((e) => e.startsWith('order number'))).map((m) => m.advisoryId).sort();

test('shipped database holds every advisory, KEV and SSVC', () => {
  assert.equal(db.stats.advisories, 2538);
  assert.equal(db.kev.size, 1404);
  assert.equal(db.ssvc.size, 44026);
  assert.ok(db.stats.unparsedRanges / db.stats.ranges < 0.1);
});

test('S7-1500 6ES7515-2AM02-0AB0: the ten advisories listing it at V2.9.4, the four "all versions" ones at V2.9.7', () => {
  const allVersions = ['ICSA-23-012-08', 'ICSA-23-348-09', 'ICSA-24-284-01', 'ICSA-24-284-10'];
  const belowV297 = ['ICSA-22-167-14', 'ICSA-22-314-02', 'ICSA-22-349-03', 'ICSA-23-222-07', 'ICSA-23-222-09', 'ICSA-23-257-01'];
  assert.deepEqual(byOrderNumber('plc-s71500-01'), [...allVersions, ...belowV297].sort());
  assert.deepEqual(byOrderNumber('plc-s71500-01', 'V2.9.7'), allVersions);
  for (const m of matcher.matchAsset(plant('plc-s71500-01'))) {
    if (belowV297.includes(m.advisoryId)) assert.equal(m.confidence, 'high');
  }
});

test('every plant controller covered by advisories gets high-confidence matches; a newer firmware drops the ranged ones', () => {
  const cases: Array<[string, string, string]> = [
    // [asset, advisory in range at the plant's firmware, firmware that fixes it]
    ['plc-s71200-01', 'ICSA-25-044-01', 'V4.7.0'],
    ['plc-s7300-01', 'ICSA-22-314-02', 'V3.2.19'],
    ['plc-m340-01', 'ICSA-24-326-04', 'SV3.65'],
    ['plc-m580-01', 'ICSA-25-035-04', 'SV4.30'],
    ['plc-clx-01', 'ICSA-24-284-20', '33.017'],
    ['plc-cmpx-01', 'ICSA-24-226-10', '36.011'],
  ];
  for (const [asset, advisory, fixedFirmware] of cases) {
    const hit = matcher.matchAsset(plant(asset)).find((m) => m.advisoryId === advisory);
    assert.ok(hit, `${asset} should match ${advisory}`);
    assert.equal(hit.confidence, 'high', `${asset} ${advisory}`);
    assert.ok(!matcher.matchAsset(plant(asset, fixedFirmware)).some((m) => m.advisoryId === advisory), `${asset} at ${fixedFirmware}`);
  }
});

test('Windows workstation with SMBv1 gets MS17-010 from KEV with SSVC', () => {
  const hit = matcher.matchAsset({
    vendor: 'Dell', model: 'OptiPlex 760', os: 'Windows 7 Professional 7601 Service Pack 1',
    protocols: [{ name: 'smb', role: 'server' }], facts: [{ field: 'software', value: 'smb NT LM 0.12 server' }],
  });
  const ms17 = hit.find((m) => m.advisoryId === 'MS17-010');
  assert.ok(ms17 && ms17.kev && ms17.confidence === 'high');
  assert.ok(hit.some((m) => m.advisoryId === 'BlueKeep'));
});
