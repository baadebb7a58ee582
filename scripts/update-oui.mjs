#!/usr/bin/env node
// Regenerates data/oui/oui.bin, the bundled IEEE MAC address block registry (MA-L, MA-M, MA-S and the
// legacy IAB), from files already on this machine (no network):
//   - Wireshark's manuf (libwireshark-data): /usr/share/wireshark/manuf
//   - Debian's ieee-data: /usr/share/ieee-data/{oui,mam,oui36,iab}.csv
// Sources listed first win when both assign a name to the same prefix (default: Wireshark's, usually newer).
//
// Usage: node --import tsx scripts/update-oui.mjs [--manuf PATH] [--ieee DIR] [--prefer ieee] [--out FILE]
//
// Output: data/oui/oui.bin, a binary table read in place (layout: encodeOuiData in src/model/oui.ts, which this
// script uses, hence the tsx loader); the table is read back and compared before it is written. "Private" and
// "IEEE Registration Authority" (the MA-L parent of MA-M/MA-S blocks) carry no vendor information and are left
// out, so a lookup in such a block finds nothing.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { encodeOuiData, parseOuiData } from '../src/model/oui.ts';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
function option(name, fallback) {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
}
const manufPath = option('--manuf', '/usr/share/wireshark/manuf');
const ieeeDir = option('--ieee', '/usr/share/ieee-data');
const prefer = option('--prefer', 'manuf');
const outPath = option('--out', join(root, 'data/oui/oui.bin'));

const UNINFORMATIVE = new Set(['private', 'ieee registration authority']);

function cleanName(raw) {
  let name = raw.replace(/\s+/g, ' ').trim();
  // IEEE rows often end in a stray comma or are quoted twice ("Siemens AG,").
  name = name.replace(/^"+|"+$/g, '').replace(/[\s,;]+$/, '').trim();
  return name;
}

/** Minimal RFC 4180 line splitter (the IEEE CSVs quote fields containing commas). */
function splitCsvLine(line) {
  const fields = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      fields.push(field);
      field = '';
    } else field += c;
  }
  fields.push(field);
  return fields;
}

function readIeee(dir) {
  const entries = [];
  const files = { 'oui.csv': 6, 'mam.csv': 7, 'oui36.csv': 9, 'iab.csv': 9 };
  for (const [file, hexLen] of Object.entries(files)) {
    const path = join(dir, file);
    if (!existsSync(path)) continue;
    const lines = readFileSync(path, 'utf8').split(/\r?\n/);
    for (const line of lines.slice(1)) {
      if (!line) continue;
      const [, assignment, org] = splitCsvLine(line);
      if (!assignment || !org || !/^[0-9A-Fa-f]+$/.test(assignment) || assignment.length !== hexLen) continue;
      entries.push({ prefix: assignment.toLowerCase(), vendor: cleanName(org) });
    }
  }
  return entries;
}

function readManuf(path) {
  if (!existsSync(path)) return [];
  const entries = [];
  for (const line of readFileSync(path, 'utf8').split(/\r?\n/)) {
    if (!line || line.startsWith('#')) continue;
    const cols = line.split('\t');
    // Two-column rows are legacy non-IEEE names (short name only); keep IEEE-derived rows with a full name.
    if (cols.length < 3) continue;
    const [addr, bitsText = '24'] = cols[0].split('/');
    const bits = Number(bitsText);
    const hex = addr.replace(/[:.-]/g, '').toLowerCase();
    const hexLen = bits === 24 ? 6 : bits === 28 ? 7 : bits === 36 ? 9 : 0;
    if (!hexLen || !/^[0-9a-f]+$/.test(hex) || hex.length < hexLen) continue;
    entries.push({ prefix: hex.slice(0, hexLen), vendor: cleanName(cols[2]) });
  }
  return entries;
}

const sources = [
  { name: `wireshark manuf (${manufPath})`, entries: readManuf(manufPath) },
  { name: `ieee-data (${ieeeDir})`, entries: readIeee(ieeeDir) },
];
if (prefer === 'ieee') sources.reverse();

const byPrefix = new Map();
for (const source of sources) {
  console.error(`${source.name}: ${source.entries.length} rows`);
  for (const { prefix, vendor } of source.entries) {
    if (!vendor || byPrefix.has(prefix)) continue;
    byPrefix.set(prefix, vendor);
  }
}
for (const [prefix, vendor] of byPrefix) if (UNINFORMATIVE.has(vendor.toLowerCase())) byPrefix.delete(prefix);
if (byPrefix.size === 0) {
  console.error('no OUI source found: install ieee-data or libwireshark-data');
  process.exit(1);
}

const bitsOfHexLength = { 6: 24, 7: 28, 9: 36 };
const entries = [...byPrefix].map(([prefix, vendor]) => ({ bits: bitsOfHexLength[prefix.length], prefix: parseInt(prefix, 16), vendor }));
const out = encodeOuiData(entries);
const check = parseOuiData(out);
const maps = { 24: check.byMal, 28: check.byMam, 36: check.byMas };
for (const e of entries) {
  if (check.vendors[maps[e.bits].get(e.prefix)] !== e.vendor) throw new Error(`OUI table does not read back at ${e.prefix.toString(16)}/${e.bits}`);
}
if (check.byMal.size + check.byMam.size + check.byMas.size !== entries.length) throw new Error('OUI table does not read back');
mkdirSync(dirname(outPath), { recursive: true });
writeFileSync(outPath, out);
console.error(
  `wrote ${outPath}: ${check.byMal.size} MA-L, ${check.byMam.size} MA-M, ${check.byMas.size} MA-S/IAB prefixes, ` +
    `${check.vendors.length} vendors, ${out.length} bytes`,
);
