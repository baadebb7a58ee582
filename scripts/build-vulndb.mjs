#!/usr/bin/env node
// Regenerates data/vuln/vulndb.pack, the vulnerability database shipped with otwatch, from the real
// sources (no network): a folder holding the CISA CSAF ICS advisories (.tar.gz feed or unpacked), the CISA KEV
// catalog (kev.json) and CISA SSVC data (ssvc-vulnrichment.json.gz). See docs/vulndb.md.
//
// Usage: node scripts/build-vulndb.mjs ../shared/vulndata [--out data/vuln/vulndb.pack]
//
// The output is deterministic for given inputs except its builtAt time (pass --built-at to pin it).
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const root = new URL('..', import.meta.url).pathname;
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { out: { type: 'string', default: join(root, 'data/vuln/vulndb.pack') }, 'built-at': { type: 'string' } },
});
if (positionals.length === 0) {
  console.error('usage: node scripts/build-vulndb.mjs VULNDATA_DIR|FILE... [--out FILE]');
  process.exit(2);
}

// Prefer the compiled package (dist/), else run the TypeScript sources through tsx (a dev dependency).
async function load(rel) {
  const compiled = join(root, 'dist', rel.replace(/\.ts$/, '.js'));
  if (existsSync(compiled) && statSync(compiled).mtimeMs >= statSync(join(root, 'src', rel)).mtimeMs) return import(compiled);
  const { tsImport } = await import('tsx/esm/api');
  return tsImport(join(root, 'src', rel), import.meta.url);
}
const { importVulnData } = await load('vuln/importer.ts');
const { writeVulnDb, VulnDatabase } = await load('vuln/db.ts');
const { VERSION } = await load('version.ts');

// A folder argument: take the files it holds at its top level (the feed tarball, kev.json, ssvc...).
const inputs = [];
for (const p of positionals) {
  if (statSync(p).isDirectory()) {
    for (const name of readdirSync(p).sort()) if (/\.(json|json\.gz|tar\.gz|tgz|tar)$/i.test(name)) inputs.push(join(p, name));
    const csaf = join(p, 'csaf_files');
    if (existsSync(csaf)) inputs.push(csaf);
  } else inputs.push(p);
}
const started = Date.now();
let { db, issues } = importVulnData(inputs);
if (values['built-at']) {
  db = new VulnDatabase(values['built-at'], db.sources, db.stats, db.advisories, db.products, db.kev, db.ssvc);
}
for (const i of issues) console.error(`build-vulndb: ${i}`);
const bytes = writeVulnDb(values.out, db, `otwatch ${VERSION} scripts/build-vulndb.mjs`);
const s = db.stats;
console.log(`wrote ${values.out}: ${(bytes / 1e6).toFixed(2)} MB in ${((Date.now() - started) / 1000).toFixed(1)} s`);
console.log(`advisories ${s.advisories} from ${s.advisoryFiles} files; products ${s.products}; CVEs ${s.cves}; KEV ${db.kev.size}; SSVC ${db.ssvc.size}`);
console.log(`unparsed version ranges: ${s.unparsedRanges} of ${s.ranges} (${((100 * s.unparsedRanges) / Math.max(1, s.ranges)).toFixed(1)}%), kept as "needs review"`);
// CVSS base scores are computed from the vectors (ae-cvss-calculator); a score the advisory states differently is
// a data finding, listed here for whoever regenerates the database to look at, not an error.
const c = s.cvss;
console.log(`CVSS ratings: v3 ${c.v3}, v4 ${c.v4}; computed ${c.computed}; advisory score differs ${c.mismatches}; invalid vectors ${c.invalid} (kept, "needs review")`);
const { isCvssMismatch } = await load('vuln/cvss.ts');
for (const a of db.advisories) {
  for (const cve of a.cves) {
    for (const r of [cve.cvss3, cve.cvss4]) {
      if (r === undefined) continue;
      if (isCvssMismatch(r)) console.log(`  differs: ${a.id} ${cve.id} ${r.vector} computed ${r.score}, advisory ${r.stated}`);
      else if (r.invalid) console.log(`  invalid: ${a.id} ${cve.id} "${r.vector}"${r.stated !== undefined ? ` (advisory score ${r.stated} kept)` : ''}`);
    }
  }
}
