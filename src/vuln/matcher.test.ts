/**
 * The virtual plant's real identities (src/sim/plant.ts) against real advisories (fixtures): in-range
 * firmware gets the advisory with high confidence, a fixed firmware gets none from it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BASELINE_ASSETS } from '../sim/plant.js';
import { importVulnData } from './importer.js';
import { VulnMatcher, type MatchableAsset, type VulnMatch } from './matcher.js';
import { vendorKey } from './vendor.js';

const fixture = (p: string) => new URL(`./fixtures/${p}`, import.meta.url).pathname;
const { db } = importVulnData([fixture('csaf/'), fixture('kev-subset.json'), fixture('ssvc-subset.json')]);
const matcher = new VulnMatcher(db);

function plantAsset(name: string, firmware?: string): MatchableAsset {
  const a = BASELINE_ASSETS.find((x) => x.name === name);
  assert.ok(a, name);
  return {
    vendor: a.vendor, model: a.model, firmware: firmware ?? a.firmware, roles: a.roles, protocols: [],
    facts: a.orderNumber ? [{ field: 'order-number', value: a.orderNumber }] : [],
  };
}
const ids = (ms: VulnMatch[], confidence?: string) =>
  ms.filter((m) => confidence === undefined || m.confidence === confidence).map((m) => m.advisoryId).sort();

test('vendor spellings normalise to one key', () => {
  assert.equal(vendorKey('Schneider Electric Software, LLC'), vendorKey('Schneider Electric'));
  assert.equal(vendorKey('Rockwell Automation/Allen-Bradley'), vendorKey('Rockwell Automation'));
  assert.equal(vendorKey('SIEMENS AG'), vendorKey('Siemens'));
  assert.notEqual(vendorKey('Delta Controls'), vendorKey('Delta Electronics'));
});

test('S7-1500 CPU 1515-2 PN V2.9.4: order-number advisories, fixed at V2.9.7 except all-version ones', () => {
  const hit = matcher.matchAsset(plantAsset('plc-s71500-01'));
  assert.deepEqual(ids(hit), ['ICSA-22-314-02', 'ICSA-23-012-08']);
  assert.deepEqual(ids(hit, 'high'), ['ICSA-22-314-02', 'ICSA-23-012-08']);
  const m = hit.find((x) => x.advisoryId === 'ICSA-22-314-02')!;
  assert.deepEqual(m.cves, ['CVE-2022-30694']);
  assert.equal(m.cvss?.score, 6.5);
  assert.equal(m.fixedIn, '2.9.7');
  assert.ok(m.evidence.some((e) => e.includes('6ES7515-2AM02-0AB0') && e.includes('<V2.9.7')), m.evidence.join('\n'));
  const fixed = matcher.matchAsset(plantAsset('plc-s71500-01', 'V2.9.7'));
  assert.deepEqual(ids(fixed), ['ICSA-23-012-08'], 'only the all-versions advisory (no fix exists) remains');
  // ICSA-22-041-01 names the S7-1500 CPU family with ">=V2.9.2<V2.9.4": V2.9.3 is in, V2.9.4 is not
  const older = matcher.matchAsset(plantAsset('plc-s71500-01', 'V2.9.3'));
  const family = older.find((x) => x.advisoryId === 'ICSA-22-041-01');
  assert.ok(family, ids(older).join());
  assert.equal(family.confidence, 'high');
  assert.ok(family.evidence[0]!.includes('S7-1500 CPU family'), family.evidence.join('\n'));
});

test('S7-1200 CPU 1214C V4.5.2: ICSA-25-044-01 by order number, none at V4.7', () => {
  const hit = matcher.matchAsset(plantAsset('plc-s71200-01'));
  assert.deepEqual(ids(hit, 'high'), ['ICSA-22-314-02', 'ICSA-25-044-01'], '22-314-02 names the S7-1200 CPU family <V4.6.0');
  assert.deepEqual(hit.find((x) => x.advisoryId === 'ICSA-25-044-01')!.cves, ['CVE-2025-24811', 'CVE-2025-24812']);
  // ICSA-19-318-02: "family < V4.x" does not cover V4.5.2; "family V4.x" range is Function-State text
  const review = hit.find((x) => x.advisoryId === 'ICSA-19-318-02');
  assert.ok(review && review.confidence === 'medium' && review.needsReview, JSON.stringify(review));
  const fixed = matcher.matchAsset(plantAsset('plc-s71200-01', 'V4.7'));
  assert.deepEqual(ids(fixed, 'high'), []);
});

test('S7-300 CPU 315-2 PN/DP V3.2.17: ICSA-22-314-02 (<V3.2.19), none at V3.2.19', () => {
  assert.deepEqual(ids(matcher.matchAsset(plantAsset('plc-s7300-01')), 'high'), ['ICSA-22-314-02']);
  assert.deepEqual(ids(matcher.matchAsset(plantAsset('plc-s7300-01', 'V3.2.19')), 'high'), []);
});

test('Modicon M340 BMX P34 2020 V3.40: wildcards BMXP34* and BMX P34x; SV3.65 fixes ICSA-24-326-04', () => {
  const hit = matcher.matchAsset(plantAsset('plc-m340-01'));
  assert.deepEqual(ids(hit, 'high'), ['ICSA-21-005-01', 'ICSA-21-194-02', 'ICSA-24-326-04', 'ICSA-24-331-03']);
  const m = hit.find((x) => x.advisoryId === 'ICSA-24-326-04')!;
  assert.deepEqual(m.cves, ['CVE-2024-8936', 'CVE-2024-8937', 'CVE-2024-8938']);
  assert.equal(m.fixedIn, '3.65');
  assert.equal(m.cvss?.score, 8.1);
  assert.ok(m.evidence[0]!.includes('BMXP34*'));
  // not the Ethernet modules named "M340 Communication Ethernet modules BMX NOE 0100"
  assert.ok(!hit.find((x) => x.advisoryId === 'ICSA-21-005-01')!.evidence.some((e) => e.includes('NOE')));
  const fixed = ids(matcher.matchAsset(plantAsset('plc-m340-01', 'SV3.65')));
  assert.ok(!fixed.includes('ICSA-24-326-04') && !fixed.includes('ICSA-24-331-03'), fixed.join());
  assert.ok(fixed.includes('ICSA-21-194-02'), 'all versions');
});

test('Modicon M580 BME P58 2040 V4.10: family with part-number wildcards; not the Safety CPU entries', () => {
  const hit = matcher.matchAsset(plantAsset('plc-m580-01'));
  assert.ok(ids(hit, 'high').includes('ICSA-21-194-02'));
  assert.ok(ids(hit, 'high').includes('ICSA-24-331-03'), '"M580 CPU (part numbers BMEP* ...)" <SV4.20');
  assert.ok(!ids(matcher.matchAsset(plantAsset('plc-m580-01', 'SV4.20'))).includes('ICSA-24-331-03'));
});

test('ControlLogix 1756-L83E/B 32.011: series and 1756-L8z wildcard; each fix version removes its advisory', () => {
  const hit = matcher.matchAsset(plantAsset('plc-clx-01'));
  assert.deepEqual(ids(hit, 'high'), ['ICSA-22-144-01', 'ICSA-23-026-06', 'ICSA-24-256-18', 'ICSA-24-284-20']);
  assert.equal(hit.find((x) => x.advisoryId === 'ICSA-24-284-20')!.fixedIn, '33.17');
  assert.deepEqual(ids(matcher.matchAsset(plantAsset('plc-clx-01', '28.012')), 'high'),
    ['ICSA-17-094-05', 'ICSA-22-144-01', 'ICSA-23-026-06', 'ICSA-24-284-20']);
  assert.deepEqual(ids(matcher.matchAsset(plantAsset('plc-clx-01', '33.017'))), []);
});

test('CompactLogix 5069-L320ER/A 33.011: ICSA-24-284-20 and ICSA-24-256-18 (Process only), not "<= 32.013"', () => {
  const hit = ids(matcher.matchAsset(plantAsset('plc-cmpx-01')), 'high');
  assert.ok(hit.includes('ICSA-24-284-20'));
  // CVE-2024-6207: v3.1 3.5952 + 3.887 → 7.5 (as the advisory states); the v4 vector its reference quotes → 8.7
  const m = matcher.matchAsset(plantAsset('plc-cmpx-01')).find((x) => x.advisoryId === 'ICSA-24-284-20')!;
  assert.deepEqual(m.cvssV3, { version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H', score: 7.5, severity: 'high', source: 'computed' });
  assert.deepEqual(m.cvssV4, { version: '4.0', vector: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N', score: 8.7, severity: 'high', source: 'computed' });
  assert.deepEqual(m.cvss, { version: '3.1', score: 7.5, vector: m.cvssV3!.vector }, 'the headline is the v3 rating');
  assert.ok(!hit.includes('ICSA-22-144-01'), 'CompactLogix 5380 <= 32.013');
  assert.ok(!hit.includes('ICSA-24-256-18'), 'v.33.011 is the 5380 Process entry');
  assert.deepEqual(ids(matcher.matchAsset(plantAsset('plc-cmpx-01', '33.017'))), []);
});

test('no firmware: model matches are medium; unknown vendor without order number matches nothing', () => {
  const hit = matcher.matchAsset({ ...plantAsset('plc-clx-01'), firmware: null });
  assert.ok(hit.length > 0 && hit.every((m) => m.confidence === 'medium'));
  assert.ok(hit.every((m) => m.evidence.some((e) => e.includes('firmware unknown'))));
  assert.deepEqual(matcher.matchAsset({ vendor: null, model: 'CPU 1515-2 PN', firmware: 'V2.9.4' }), []);
});

test('Windows XP workstation with an SMBv1 server gets its KEV entries', () => {
  const xp: MatchableAsset = {
    vendor: 'Dell', model: 'OptiPlex 755', firmware: null, os: 'Windows 5.1', roles: ['engineering-workstation'],
    protocols: [{ name: 'smb', role: 'server' }], facts: [{ field: 'software', value: 'smb1 server' }],
  };
  const hit = matcher.matchAsset(xp);
  const ms17 = hit.find((m) => m.advisoryId === 'MS17-010');
  assert.ok(ms17);
  assert.equal(ms17.confidence, 'high');
  assert.ok(ms17.kev);
  assert.ok(ms17.cves.includes('CVE-2017-0144'));
  assert.ok(ms17.evidence.includes('SMBv1 server seen'));
  assert.ok(hit.some((m) => m.advisoryId === 'MS08-067'));
  assert.ok(hit.some((m) => m.advisoryId === 'BlueKeep' && m.confidence === 'medium'), 'no RDP seen: medium');
  // a Windows 10 host without SMBv1 gets none of these; with SMBv1 only MS17-010, medium
  const win10 = { ...xp, os: 'Windows 10.0 build 19045', facts: [] };
  assert.deepEqual(matcher.matchAsset(win10), []);
  const win10smb1 = matcher.matchAsset({ ...xp, os: 'Windows 10.0 build 19045' });
  assert.deepEqual(win10smb1.map((m) => [m.advisoryId, m.confidence]), [['MS17-010', 'medium']]);
});
