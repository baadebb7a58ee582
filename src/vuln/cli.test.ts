import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { cmdVulndb } from '../cli/vulndb.js';
import { loadVulnDb } from './db.js';

const fixture = (p: string) => new URL(`./fixtures/${p}`, import.meta.url).pathname;

test('vulndb import writes the user database, which then takes precedence; bad usage exits 2', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'otwatch-vulndb-'));
  const saved = process.env['OTWATCH_VULNDB'];
  const userDb = join(dir, 'vulndb.json.gz');
  process.env['OTWATCH_VULNDB'] = userDb;
  const log = console.log;
  const out: string[] = [];
  console.log = (...a: unknown[]) => { out.push(a.join(' ')); };
  try {
    assert.equal(await cmdVulndb(['import', '--fresh', '--quiet', fixture('csaf/'), fixture('kev-subset.json'), fixture('ssvc-subset.json')]), 0);
    assert.ok(existsSync(userDb));
    assert.ok(out.some((l) => /advisories 14 /.test(l)), out.join('\n'));
    const loaded = loadVulnDb();
    assert.equal(loaded.origin, 'user');
    assert.equal(loaded.db.stats.advisories, 14);
    assert.equal(loaded.db.ssvc.size, 4);
    // a refresh with only a KEV file keeps the advisories already there
    assert.equal(await cmdVulndb(['import', '--quiet', fixture('kev-subset.json')]), 0);
    assert.equal(loadVulnDb().db.stats.advisories, 14);
    const report = join(dir, 'report.json');
    writeFileSync(report, JSON.stringify({ assets: [{ id: 'a1', vendor: 'Schneider Electric', model: 'BMX P34 2020', firmware: 'V3.40', facts: [] }] }));
    out.length = 0;
    assert.equal(await cmdVulndb(['match', report, '--min', 'high']), 0);
    assert.ok(out.some((l) => l.includes('ICSA-24-326-04') && l.includes('fixed in 3.65')), out.join('\n'));
    const errors: string[] = [];
    const err = console.error;
    console.error = (...a: unknown[]) => { errors.push(a.join(' ')); };
    try {
      assert.equal(await cmdVulndb(['import']), 2);
      assert.equal(await cmdVulndb(['import', join(dir, 'missing.json')]), 2);
      assert.equal(await cmdVulndb(['frobnicate']), 2);
      assert.equal(await cmdVulndb(['match', report, '--min', 'urgent']), 2);
    } finally {
      console.error = err;
    }
    assert.equal(errors.length, 4);
  } finally {
    console.log = log;
    if (saved === undefined) delete process.env['OTWATCH_VULNDB'];
    else process.env['OTWATCH_VULNDB'] = saved;
    rmSync(dir, { recursive: true, force: true });
  }
});
