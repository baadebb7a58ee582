/**
 * Older packs and the v4 layout's edges: a v2 pack (written here the way the v2 writer did) and a v3 pack (the
 * checked-in fixtures/vulndb-v3.pack, written by the v3 writer of commit a1c3529 from the same fixtures) read
 * back the same database and match the same; records of blocked sections read right on both sides of every
 * block boundary, through the buffer and the file reader; a stored match index of another MATCH_INDEX_VERSION
 * is recomputed rather than used.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { deflateRawSync } from 'node:zlib';
import { BASELINE_ASSETS } from '../sim/plant.js';
import { readVulnDb, VulnDatabase, type KevEntry, type SsvcEntry, type VulnDbAdvisory, type VulnDbProduct } from './db.js';
import { importVulnData } from './importer.js';
import { MATCH_INDEX_VERSION } from './match-index.js';
import { VulnMatcher, type MatchableAsset } from './matcher.js';

const fixture = (p: string) => new URL(`./fixtures/${p}`, import.meta.url).pathname;
const imported = importVulnData([fixture('csaf/'), fixture('kev-subset.json'), fixture('ssvc-subset.json')]).db;
const BUILT_AT = '2025-01-01T00:00:00.000Z';
const db = new VulnDatabase(BUILT_AT, imported.sources, imported.stats, imported.advisories, imported.products, imported.kev, imported.ssvc);
const MAGIC = Buffer.from('OTWVDB2\n', 'latin1');
const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const ASSETS: MatchableAsset[] = [
  ...BASELINE_ASSETS.map((a) => ({
    vendor: a.vendor, model: a.model, firmware: a.firmware, facts: a.orderNumber ? [{ field: 'order-number', value: a.orderNumber }] : [],
  })),
  { model: 'BMX P34 2020', firmware: 'V3.40', facts: [{ field: 'order-number', value: 'BMXP342020' }] },
  { vendor: 'Dell', model: 'OptiPlex', os: 'Windows 5.1', protocols: [{ name: 'smb', role: 'server' }], facts: [{ field: 'software', value: 'smb1 server' }] },
];
const expectedMatches = ASSETS.map((a) => new VulnMatcher(db).matchAsset(a));

function withTempDir<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'otwatch-compat-'));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Header {
  schema: string;
  sections: Record<string, number[]>;
}

function headerOf(pack: Buffer): { header: Header; dataStart: number } {
  const length = pack.readUInt32LE(MAGIC.length);
  const dataStart = MAGIC.length + 4 + length;
  return { header: JSON.parse(pack.toString('utf8', MAGIC.length + 4, dataStart)) as Header, dataStart };
}

/** The `otwatch.vulndb/v2` layout: five sections, each deflated whole; products one JSON array of tuples. */
function v2Pack(d: VulnDatabase): Buffer {
  const advisoryBytes = d.advisories.map((a) => Buffer.from(JSON.stringify(a)));
  const ends = new Uint32Array(advisoryBytes.length);
  let at = 0;
  advisoryBytes.forEach((b, i) => (ends[i] = at += b.length));
  const kev: Record<string, KevEntry> = {};
  for (const [k, v] of [...d.kev].sort((a, b) => byCodeUnit(a[0], b[0]))) kev[k] = v;
  const raw: Record<string, Buffer> = {
    products: Buffer.from(JSON.stringify(d.products.map((p) => [p.advisory, p.vendor, p.name, p.models, p.version, p.affected, p.fixed, p.remediation]))),
    advisories: Buffer.concat(advisoryBytes),
    advisoryIndex: Buffer.from(ends.buffer),
    kev: Buffer.from(JSON.stringify(kev)),
    ssvc: Buffer.from([...d.ssvc].sort((a, b) => byCodeUnit(a[0], b[0])).map(([k, v]) => JSON.stringify([k, ...v]) + '\n').join('')),
  };
  const sections: Record<string, number[]> = {};
  const bodies: Buffer[] = [];
  let offset = 0;
  for (const name of ['products', 'advisories', 'advisoryIndex', 'kev', 'ssvc']) {
    const body = deflateRawSync(raw[name]!);
    sections[name] = [offset, body.length, raw[name]!.length];
    bodies.push(body);
    offset += body.length;
  }
  const header = Buffer.from(JSON.stringify({
    schema: 'otwatch.vulndb/v2', builtAt: d.builtAt, generator: 'v2 layout (test)', sources: d.sources, stats: d.stats,
    advisoryCount: d.advisories.length, sections,
  }));
  const length = Buffer.alloc(4);
  length.writeUInt32LE(header.length);
  return Buffer.concat([MAGIC, length, header, ...bodies]);
}

function assertSameDatabase(read: VulnDatabase, label: string): void {
  // lookups first, while the pack is still undecoded, then the whole
  for (const [cve, entry] of db.kev) assert.deepEqual(read.kevEntry(cve), entry, `${label} kev ${cve}`);
  for (const [cve, entry] of db.ssvc) assert.deepEqual(read.ssvcEntry(cve), entry, `${label} ssvc ${cve}`);
  assert.equal(read.kevEntry('CVE-0000-0000'), undefined);
  assert.equal(read.ssvcEntry('CVE-0000-0000'), undefined);
  assert.deepEqual(ASSETS.map((a) => new VulnMatcher(read).matchAsset(a)), expectedMatches, `${label} matches`);
  assert.deepEqual(read.toFile('x'), db.toFile('x'), `${label} content`);
}

test('a v2 pack still reads: lookups, matching and content', () => {
  assert.ok(expectedMatches.some((m) => m.length > 0), 'the fixtures match some asset');
  const pack = v2Pack(db);
  assert.equal(headerOf(pack).header.schema, 'otwatch.vulndb/v2');
  assertSameDatabase(VulnDatabase.fromPack(pack), 'v2 buffer');
  withTempDir((dir) => {
    writeFileSync(join(dir, 'v2.pack'), pack);
    assertSameDatabase(readVulnDb(join(dir, 'v2.pack')), 'v2 file');
  });
});

test('a v3 pack written by the v3 writer still reads (its version-1 match index is recomputed)', () => {
  const path = fixture('vulndb-v3.pack');
  const { header, dataStart } = headerOf(readFileSync(path));
  assert.equal(header.schema, 'otwatch.vulndb/v3');
  const s = header.sections['matchIndex']!;
  const storedVersion = (JSON.parse(readFileSync(path).toString('utf8', dataStart + s[0]!, dataStart + s[0]! + s[1]!)) as { version: number }).version;
  assert.notEqual(storedVersion, MATCH_INDEX_VERSION);
  const read = readVulnDb(path);
  assertSameDatabase(read, 'v3 file');
  assert.equal(read.matchIndex().version, MATCH_INDEX_VERSION);
});

test('a stored match index of another MATCH_INDEX_VERSION is recomputed, with the same matches', () => {
  const pack = Buffer.from(db.toPack('test'));
  const { header, dataStart } = headerOf(pack);
  assert.equal(header.schema, 'otwatch.vulndb/v4');
  const [at, length] = header.sections['matchIndex']!;
  const text = pack.toString('utf8', dataStart + at!, dataStart + at! + length!);
  const current = `"version":${MATCH_INDEX_VERSION}`;
  assert.ok(text.startsWith(`{${current}`), text.slice(0, 40));
  // same length, so no offset moves: an older version, and stored lists that would find nothing if used
  pack.write(`"version":${MATCH_INDEX_VERSION - 1}`, dataStart + at! + 1, 'latin1');
  for (const name of ['matchOrderNumbers', 'matchTokens']) {
    const [o, n] = header.sections[name]!;
    pack.fill(0x20, dataStart + o!, dataStart + o! + n!);
  }
  const stale = VulnDatabase.fromPack(pack);
  assert.deepEqual(ASSETS.map((a) => new VulnMatcher(stale).matchAsset(a)), expectedMatches);
  assert.equal(stale.matchIndex().version, MATCH_INDEX_VERSION);
  // the control: the same damage under the current version is used as stored, and matches go missing
  const used = Buffer.from(pack);
  used.write(current, dataStart + at! + 1, 'latin1');
  const trusting = VulnDatabase.fromPack(used);
  assert.notDeepEqual(ASSETS.map((a) => new VulnMatcher(trusting).matchAsset(a)), expectedMatches);
});

test('blocked sections read right on both sides of every block boundary, from a buffer and from a file', () => {
  // enough records of uneven size (some multi-byte UTF-8) for several blocks in every blocked section
  const advisories: VulnDbAdvisory[] = [];
  const products: VulnDbProduct[] = [];
  for (let a = 0; a < 400; a++) {
    advisories.push({
      id: `ICSA-${String(a).padStart(4, '0')}`, title: `Advisory ${a} ${'ü'.repeat(a % 7)}${'x'.repeat((a * 37) % 300)}`,
      initialRelease: '2024-01-01', currentRelease: '2024-02-01', revision: String(1 + (a % 3)),
      cves: [{ id: `CVE-2024-${10000 + a}` }], remediations: [`update ${a}`],
    });
    for (let k = 0; k < 1 + (a % 4); k++) {
      products.push({
        advisory: a, vendor: `Vendor ${a % 9}`, name: `Product ${a}-${k} X${a}${k}00 ${'é'.repeat(k)}`, models: k % 2 ? [`M-${a}${k}00`] : [],
        version: `<V${1 + (a % 5)}.${k}`, affected: [0], fixed: [], remediation: 0,
      });
    }
  }
  const kev = new Map<string, KevEntry>();
  const ssvc = new Map<string, SsvcEntry>();
  for (let i = 0; i < 1200; i++) {
    const cve = `CVE-${2010 + (i % 15)}-${(i * 7919) % 100000}`;
    kev.set(cve, { vendor: `V${i % 11}`, product: `P${i}`, name: `Name ${i} ${'ß'.repeat(i % 4)}`, dateAdded: '2024-01-01', ransomware: i % 5 === 0 });
    ssvc.set(cve, [i % 2 ? 'poc' : 'none', 'no', 'partial', `2024-03-${10 + (i % 20)}`]);
  }
  const big = new VulnDatabase(BUILT_AT, [], { ...db.stats }, advisories, products, kev, ssvc);
  const pack = big.toPack('test');
  const { header } = headerOf(pack);
  for (const name of ['products', 'advisories', 'kev', 'ssvc']) {
    assert.ok((header.sections[name]!.length - 4) / 2 >= 3, `${name} spans several blocks`);
  }
  const keysSorted = [...kev.keys()].sort(byCodeUnit);
  withTempDir((dir) => {
    writeFileSync(join(dir, 'big.pack'), pack);
    for (const [label, read] of [['buffer', VulnDatabase.fromPack(pack)], ['file', readVulnDb(join(dir, 'big.pack'))]] as const) {
      // one record at a time (each decodes its block alone), backwards so no block is already decoded in order
      for (let i = products.length - 1; i >= 0; i--) assert.deepEqual(read.product(i), products[i], `${label} product ${i}`);
      for (let i = advisories.length - 1; i >= 0; i--) assert.deepEqual(read.advisory(i), advisories[i], `${label} advisory ${i}`);
      for (const k of keysSorted) {
        assert.deepEqual(read.kevEntry(k), kev.get(k), `${label} kev ${k}`);
        assert.deepEqual(read.ssvcEntry(k), ssvc.get(k), `${label} ssvc ${k}`);
        assert.equal(read.kevEntry(`${k}0`), kev.get(`${k}0`));
        assert.equal(read.ssvcEntry(k.slice(0, -1)), ssvc.get(k.slice(0, -1)));
      }
      for (const missing of ['', 'A', 'CVE-', 'CVE-0000-0', 'CVE-9999-99999', '\uffff']) {
        assert.equal(read.kevEntry(missing), undefined);
        assert.equal(read.ssvcEntry(missing), undefined);
      }
      assert.deepEqual(read.toFile('x'), big.toFile('x'), `${label} whole`);
    }
  });
});
