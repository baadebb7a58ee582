/**
 * Imports the real sources in ../shared/vulndata (CISA CSAF ICS feed, KEV, SSVC) once, prints the
 * unparsed-range share and checks the shipped database was built from the same data. Skipped when the
 * folder is absent (users and CI without shared/).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readVulnDb, SHIPPED_VULNDB_PATH } from './db.js';
import { importVulnData } from './importer.js';

const root = new URL('../../', import.meta.url).pathname;
const dataDir = join(root, '..', 'shared', 'vulndata');
const tarball = join(dataDir, 'csaf-ot-white-2025-02-27.tar.gz');

test('full import of ../shared/vulndata', { skip: existsSync(tarball) ? false : `${dataDir} not present` }, () => {
  const started = Date.now();
  const { db } = importVulnData([tarball, join(dataDir, 'kev.json'), join(dataDir, 'ssvc-vulnrichment.json.gz')]);
  const s = db.stats;
  const share = s.unparsedRanges / s.ranges;
  console.log(`# imported ${s.advisories} advisories, ${s.products} products, ${s.cves} CVEs in ${Date.now() - started} ms; ` +
    `unparsed ranges ${s.unparsedRanges}/${s.ranges} = ${(100 * share).toFixed(1)}%`);
  assert.equal(s.advisoryFiles, 2538);
  assert.equal(s.advisories, 2538);
  assert.equal(s.filesRejected, 0);
  assert.ok(share < 0.1, `unparsed share ${share}`);
  assert.equal(db.kev.size, 1404);
  assert.equal(db.ssvc.size, 44026);
  assert.ok(db.advisories.every((a) => a.cves.length > 0 || a.id.startsWith('ICSA')));
  const shipped = readVulnDb(SHIPPED_VULNDB_PATH);
  assert.deepEqual(shipped.stats, s, 'data/vuln/vulndb.pack is stale: run node scripts/build-vulndb.mjs ../shared/vulndata');
});
