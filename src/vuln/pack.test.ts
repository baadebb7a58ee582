/**
 * The `otwatch.vulndb/v4` pack: what is written reads back the same, lazily or whole; v1 documents still read;
 * a damaged pack is a VulnDbError; and the on-demand matcher index gives the same answers whatever order the
 * assets come in (each vendor's index is built by whichever asset comes first).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { BASELINE_ASSETS } from '../sim/plant.js';
import { readVulnDb, VulnDatabase, VulnDbError, writeVulnDb } from './db.js';
import { importVulnData } from './importer.js';
import { VulnMatcher, type MatchableAsset } from './matcher.js';

const fixture = (p: string) => new URL(`./fixtures/${p}`, import.meta.url).pathname;
const { db } = importVulnData([fixture('csaf/'), fixture('kev-subset.json'), fixture('ssvc-subset.json')]);

function withTempDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'otwatch-pack-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a written pack reads back equal: per-entry lookups before anything is materialised, then whole', () => {
  withTempDir((dir) => {
    const path = join(dir, 'db.pack');
    writeVulnDb(path, db, 'test');
    const packed = readVulnDb(path);
    assert.equal(packed.builtAt, db.builtAt);
    assert.deepEqual(packed.stats, db.stats);
    assert.equal(packed.advisoryCount, db.advisories.length);
    for (const [cve, entry] of db.ssvc) assert.deepEqual(packed.ssvcEntry(cve), entry, cve);
    for (const missing of ['', 'CVE-0000-0000', 'CVE-9999-99999', 'zzz']) assert.equal(packed.ssvcEntry(missing), undefined);
    for (let i = 0; i < db.advisories.length; i++) assert.deepEqual(packed.advisory(i), db.advisories[i]);
    assert.equal(packed.advisory(db.advisories.length), undefined);
    assert.equal(packed.advisory(-1), undefined);
    assert.deepEqual(packed.toFile('x'), db.toFile('x'));
  });
});

test('a v1 document (gzip\'d JSON) still reads', () => {
  withTempDir((dir) => {
    const path = join(dir, 'vulndb.json.gz');
    writeFileSync(path, gzipSync(JSON.stringify(db.toFile('v1 writer'))));
    assert.deepEqual(readVulnDb(path).toFile('x'), db.toFile('x'));
  });
});

test('a damaged pack is a VulnDbError, when opened or when its section is first used', () => {
  withTempDir((dir) => {
    const path = join(dir, 'db.pack');
    writeVulnDb(path, db, 'test');
    const good = readFileSync(path);
    const truncated = join(dir, 'truncated.pack');
    writeFileSync(truncated, good.subarray(0, 40));
    assert.throws(() => readVulnDb(truncated), VulnDbError);
    // flip bytes inside the last section (ssvc, its last block): the header still reads, a lookup landing in
    // that block does not
    const corrupt = Buffer.from(good);
    for (let i = corrupt.length - 64; i < corrupt.length - 8; i++) corrupt[i] = corrupt[i]! ^ 0x5a;
    const corruptPath = join(dir, 'corrupt.pack');
    writeFileSync(corruptPath, corrupt);
    const opened = readVulnDb(corruptPath);
    const lastCve = [...db.ssvc.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).at(-1)!;
    assert.throws(() => opened.ssvcEntry(lastCve), VulnDbError);
  });
});

test('matching does not depend on which assets built the index first', () => {
  const assets: MatchableAsset[] = BASELINE_ASSETS.map((a) => ({
    vendor: a.vendor, model: a.model, firmware: a.firmware,
    facts: a.orderNumber ? [{ field: 'order-number', value: a.orderNumber }] : [],
  }));
  // no vendor: the order-number index and every vendor's wildcards
  assets.push({ model: 'BMX P34 2020', firmware: 'V3.40', facts: [{ field: 'order-number', value: 'BMXP342020' }] });
  const packed = (() => {
    let out: VulnDatabase | null = null;
    withTempDir((dir) => {
      writeVulnDb(join(dir, 'db.pack'), db, 'test');
      out = readVulnDb(join(dir, 'db.pack'));
    });
    return out! as VulnDatabase;
  })();
  const forward = new VulnMatcher(packed);
  const expected = assets.map((a) => forward.matchAsset(a));
  assert.ok(expected.some((m) => m.length > 0), 'the fixtures match some plant asset');
  const backward = new VulnMatcher(db);
  const reversed = [...assets].reverse().map((a) => backward.matchAsset(a)).reverse();
  assert.deepEqual(reversed, expected);
  assets.forEach((a, i) => assert.deepEqual(new VulnMatcher(db).matchAsset(a), expected[i]));
});

test('SSVC lookups over a pack find every entry and nothing between entries (byte-offset binary search)', () => {
  // lines of uneven length, some with multi-byte UTF-8, so probes land mid-line and mid-character
  const ssvc = new Map<string, [string, string, string, string]>();
  for (let i = 0; i < 1500; i++) {
    const id = `CVE-${2000 + (i % 25)}-${String(i * 7919 % 100000).padStart(4, '0')}`;
    ssvc.set(id, [i % 3 === 0 ? 'active' : 'none', i % 2 ? 'yes' : 'no', 'partial', `2024-01-0${1 + (i % 9)}${'é'.repeat(i % 5)}`]);
  }
  const big = new VulnDatabase(db.builtAt, db.sources, db.stats, db.advisories, db.products, db.kev, ssvc);
  const packed = VulnDatabase.fromPack(big.toPack('test'));
  const keys = [...ssvc.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const k of keys) assert.deepEqual(packed.ssvcEntry(k), ssvc.get(k), k);
  for (const k of keys) {
    assert.equal(packed.ssvcEntry(`${k}0`), undefined); // sorts right after k
    assert.equal(packed.ssvcEntry(k.slice(0, -1)), ssvc.get(k.slice(0, -1))); // sorts right before k
  }
  for (const missing of ['', 'A', 'CVE-', 'CVE-1999-9999', 'CVE-9999-99999', '\uffff']) assert.equal(packed.ssvcEntry(missing), undefined);
  const one = VulnDatabase.fromPack(new VulnDatabase(db.builtAt, db.sources, db.stats, [], [], new Map(), new Map([['CVE-1-1', ['none', 'no', 'partial', 'x'] as [string, string, string, string]]])).toPack('t'));
  assert.deepEqual(one.ssvcEntry('CVE-1-1'), ['none', 'no', 'partial', 'x']);
  assert.equal(one.ssvcEntry('CVE-1-0'), undefined);
  assert.equal(one.ssvcEntry('CVE-1-2'), undefined);
  const none = VulnDatabase.fromPack(new VulnDatabase(db.builtAt, db.sources, db.stats, [], [], new Map(), new Map()).toPack('t'));
  assert.equal(none.ssvcEntry('CVE-1-1'), undefined);
});
