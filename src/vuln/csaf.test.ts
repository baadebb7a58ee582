/**
 * A dozen real CISA CSAF advisories (src/vuln/fixtures/csaf, minified, unchanged otherwise) against values
 * checked by hand in the advisories' product trees and vulnerability sections.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseCsafAdvisory, type AdvisoryRecord } from './csaf.js';
import { importVulnData } from './importer.js';
import { formatRange, parseVersionRange } from './version.js';

const FIXTURES = new URL('./fixtures/csaf/', import.meta.url);
const load = (id: string): AdvisoryRecord => {
  const record = parseCsafAdvisory(JSON.parse(readFileSync(new URL(`${id}.json`, FIXTURES), 'utf8')));
  assert.ok(record, id);
  return record;
};
const product = (r: AdvisoryRecord, name: string, version?: string) => {
  const p = r.products.find((x) => x.name === name && (version === undefined || x.version === version));
  assert.ok(p, `${r.id}: no product "${name}" ${version ?? ''}`);
  return p;
};
const cvesOf = (r: AdvisoryRecord, p: { affected: number[] }) => p.affected.map((i) => r.cves[i]!.id).sort();
const range = (text: string) => {
  const r = parseVersionRange(text);
  return r ? formatRange(r) : null;
};

test('ICSA-23-012-08 Siemens S7-1500: order numbers, all versions, one CVE', () => {
  const r = load('icsa-23-012-08');
  assert.equal(r.id, 'ICSA-23-012-08');
  assert.equal(r.revision, '6');
  assert.equal(r.products.length, 123);
  assert.deepEqual(r.cves.map((c) => c.id), ['CVE-2022-38773']);
  assert.equal(r.cves[0]!.cvss3?.score, 4.6);
  // computed from CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:N/E:P/RL:T/RC:C (3.5952 + 0.9146 → 4.6), as stated
  assert.equal(r.cves[0]!.cvss3?.source, 'computed');
  assert.equal(r.cves[0]!.cvss3?.stated, 4.6);
  assert.equal(r.cves[0]!.cvss3?.severity, 'medium');
  assert.equal(r.cves[0]!.cwe, 'CWE-1326');
  const p = product(r, 'SIMATIC S7-1500 CPU 1515-2 PN (6ES7515-2AM02-0AB0)');
  assert.equal(p.vendor, 'Siemens');
  assert.deepEqual(p.models, ['6ES7515-2AM02-0AB0']);
  assert.equal(range(p.version), '*');
  assert.deepEqual(cvesOf(r, p), ['CVE-2022-38773']);
  assert.ok(r.vendorConverted, 'converted Siemens ProductCERT advisory');
});

test('ICSA-22-314-02 and ICSA-25-044-01 Siemens: vers:all/<V… ranges per order number', () => {
  const a = load('icsa-22-314-02');
  assert.equal(a.products.length, 154);
  assert.deepEqual(a.cves.map((c) => c.id), ['CVE-2022-30694']);
  assert.equal(range(product(a, 'SIMATIC S7-1500 CPU 1515-2 PN (6ES7515-2AM02-0AB0)').version), '<2.9.7');
  assert.equal(range(product(a, 'SIMATIC S7-300 CPU 315-2 PN/DP (6ES7315-2EH14-0AB0)').version), '<3.2.19');
  const b = load('icsa-25-044-01');
  assert.equal(b.products.length, 48);
  assert.deepEqual(b.cves.map((c) => c.id), ['CVE-2025-24811', 'CVE-2025-24812']);
  assert.deepEqual(b.cves.map((c) => c.cvss3?.score), [7.5, 6.5]);
  const p = product(b, 'SIMATIC S7-1200 CPU 1214C DC/DC/DC (6ES7214-1AG40-0XB0)');
  assert.equal(range(p.version), '<4.7');
});

test('ICSA-19-318-02 Siemens S7-1200: family names, Function State ranges stay unparsed', () => {
  const r = load('icsa-19-318-02');
  assert.equal(r.products.length, 16);
  assert.deepEqual(r.cves.map((c) => c.id), ['CVE-2019-13945']);
  assert.equal(range(product(r, "SIMATIC S7-1200 CPU family < V4.x (incl.'SIPLUS variants)").version), '*');
  assert.equal(range(product(r, "SIMATIC S7-1200 CPU family V4.x (incl.'SIPLUS variants)").version), null);
  assert.equal(range(product(r, 'SIMATIC S7-200 SMART CPU ST20 (6ES7 288-1ST20-0AA0)').version), null);
});

test('ICSA-22-041-01 Siemens: two ranges of one product family', () => {
  const r = load('icsa-22-041-01');
  assert.equal(r.products.length, 16);
  assert.deepEqual(r.cves.map((c) => c.id), ['CVE-2021-37185', 'CVE-2021-37204', 'CVE-2021-37205']);
  assert.equal(range(product(r, 'SIMATIC Drive Controller family', 'vers:all/<V2.9.2').version), '<2.9.2');
  assert.equal(range(product(r, 'SIMATIC Drive Controller family', 'vers:all/>=V2.9.2<V2.9.4').version), '>=2.9.2 <2.9.4');
});

test('ICSA-24-326-04 Schneider M340: wildcard part number, fixed version entry', () => {
  const r = load('icsa-24-326-04');
  assert.equal(r.products.length, 4);
  assert.deepEqual(r.cves.map((c) => c.id), ['CVE-2024-8936', 'CVE-2024-8937', 'CVE-2024-8938']);
  assert.deepEqual(r.cves.map((c) => c.cvss3?.score), [6.5, 8.1, 8.1]);
  const p = product(r, 'Modicon M340 CPU (part numbers BMXP34*)');
  assert.equal(p.vendor, 'Schneider Electric');
  assert.deepEqual(p.models, ['BMXP34*']);
  assert.equal(range(p.version), '<3.65');
  assert.deepEqual(cvesOf(r, p), ['CVE-2024-8936', 'CVE-2024-8937', 'CVE-2024-8938']);
  const fixed = product(r, 'Modicon M340', 'SV3.65');
  assert.deepEqual(fixed.affected, []);
  assert.equal(fixed.fixed.length, 3);
  assert.ok(p.remediation >= 0 && /SV3\.65/.test(r.remediations[p.remediation]!), 'vendor fix names the fixed firmware');
});

test('ICSA-24-331-03, ICSA-21-005-01, ICSA-21-194-02 Schneider: part numbers written in names', () => {
  const a = load('icsa-24-331-03');
  assert.equal(a.products.length, 12);
  assert.deepEqual(a.cves.map((c) => c.id), ['CVE-2023-6408', 'CVE-2023-6409', 'CVE-2023-27975']);
  assert.equal(range(product(a, 'Modicon M340 CPU (part numbers BMXP34*)').version), '<3.60');
  assert.equal(range(product(a, 'Modicon M580 CPU Safety').version), '<4.21');
  const b = load('icsa-21-005-01');
  assert.equal(b.products.length, 12);
  assert.equal(product(b, 'M340 CPUs BMX P34x').vendor, 'Schneider Electric Software, LLC');
  assert.deepEqual(b.cves.map((c) => c.id), ['CVE-2020-7562', 'CVE-2020-7563', 'CVE-2020-7564']);
  const c = load('icsa-21-194-02');
  assert.equal(c.cves.length, 6);
  assert.equal(range(product(c, 'EcoStruxure Control Expert').version), '=15.0 SP1');
  assert.equal(range(product(c, 'Modicon M580 CPU (part numbers BMEP* and BMEH*)').version), '*');
});

test('Rockwell: release-line fixes, spans, "<=" and exact lists (ICSA-24-284-20, -23-026-06, -22-144-01, -24-256-18, -17-094-05)', () => {
  const a = load('icsa-24-284-20');
  assert.equal(a.products.length, 8);
  assert.deepEqual(a.cves.map((c) => c.id), ['CVE-2024-6207']);
  assert.equal(range(product(a, 'ControlLogix 5580').version), '<33.17 | >=34 <34.14 | >=35 <35.13 | >=36 <36.11');
  const b = load('icsa-23-026-06');
  assert.equal(b.products.length, 28);
  assert.deepEqual(b.cves.map((c) => c.id), ['CVE-2019-5097', 'CVE-2019-5096']);
  assert.equal(range(product(b, 'ControlLogix 5580 controllers').version), '>=28 <=32');
  assert.equal(range(product(b, '1732E-8CFGM8R/A').version), '=1.12');
  const c = load('icsa-22-144-01');
  assert.equal(range(product(c, 'CompactLogix 5380 controllers').version), '<=32.13');
  assert.equal(range(product(c, 'CompactLogix 5370 controllers').version), '<=33.13');
  const d = load('icsa-24-256-18');
  assert.equal(range(product(d, 'CompactLogix 5380 Process').version), '=33.11');
  const e = load('icsa-17-094-05');
  assert.equal(range(product(e, 'ControlLogix 5580 controllers', '28.011 | 28.012 | 28.013').version), '=28.11 | =28.12 | =28.13');
  assert.equal(e.cves[0]!.cvss3?.score, 6.8);
});

test('importer: folders, revisions keep the newest, KEV and SSVC recognised by content', () => {
  const { db } = importVulnData([
    new URL('./fixtures/csaf/', import.meta.url).pathname,
    new URL('./fixtures/kev-subset.json', import.meta.url).pathname,
    new URL('./fixtures/ssvc-subset.json', import.meta.url).pathname,
  ]);
  assert.equal(db.stats.advisories, 14);
  assert.equal(db.stats.advisoryFiles, 14);
  assert.ok(db.kev.has('CVE-2017-0144'));
  assert.equal(db.sources.find((s) => s.kind === 'kev')?.date, '2025.08.25');
  assert.ok(db.stats.unparsedRanges > 0 && db.stats.unparsedRanges < db.stats.ranges);
  const { db: merged } = importVulnData([], { base: db });
  assert.equal(merged.stats.advisories, 14, 'refresh from a database keeps its advisories');
});

test('importer: of several revisions of one advisory the newest wins, whatever the order', () => {
  const newer = JSON.parse(readFileSync(new URL('icsa-17-094-05.json', FIXTURES), 'utf8'));
  const older = structuredClone(newer);
  older.document.tracking.current_release_date = '2017-04-04T00:00:00Z';
  older.document.tracking.version = '1';
  older.document.title = 'older revision';
  const dir = mkdtempSync(join(tmpdir(), 'otwatch-vuln-'));
  try {
    writeFileSync(join(dir, 'a-newer.json'), JSON.stringify(newer));
    writeFileSync(join(dir, 'b-older.json'), JSON.stringify(older));
    writeFileSync(join(dir, 'notes.json'), '{"hello": 1}');
    const { db, issues } = importVulnData([dir]);
    assert.equal(db.stats.advisories, 1);
    assert.equal(db.stats.revisionsReplaced, 1);
    assert.equal(db.stats.filesRejected, 1);
    assert.ok(issues.some((i) => i.includes('notes.json')));
    assert.equal(db.advisories[0]!.title, newer.document.title);
    assert.equal(db.advisories[0]!.revision, '2');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
