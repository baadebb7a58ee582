#!/usr/bin/env node
// Regenerates data/oui/oui.txt.gz, the bundled IEEE MAC address block registry (MA-L, MA-M, MA-S and the
// legacy IAB), from files already on this machine (no network):
//   - Wireshark's manuf (libwireshark-data): /usr/share/wireshark/manuf
//   - Debian's ieee-data: /usr/share/ieee-data/{oui,mam,oui36,iab}.csv
// Sources listed first win when both assign a name to the same prefix (default: Wireshark's, usually newer).
//
// Usage: node scripts/update-oui.mjs [--manuf PATH] [--ieee DIR] [--prefer ieee] [--out FILE]
//
// Output format (UTF-8 text, gzip): '#' comment lines, then
//   V<TAB>n             followed by n vendor names, one per line (deduplicated, sorted)
//   P<TAB>bits<TAB>m    followed by m lines "<delta base36><TAB><vendor-index base36>" for the blocks of that
//                       size (bits = 24 MA-L, 28 MA-M, 36 MA-S/IAB), sorted by prefix value; each line's prefix
//                       is the previous line's plus delta (the first one's is delta), which keeps the file small. "Private" and "IEEE Registration Authority" (the MA-L parent
// of MA-M/MA-S blocks) carry no vendor information and are left out, so a lookup in such a block finds nothing.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
function option(name, fallback) {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
}
const manufPath = option('--manuf', '/usr/share/wireshark/manuf');
const ieeeDir = option('--ieee', '/usr/share/ieee-data');
const prefer = option('--prefer', 'manuf');
const outPath = option('--out', join(root, 'data/oui/oui.txt.gz'));

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

const vendors = [...new Set(byPrefix.values())].sort();
const vendorIndex = new Map(vendors.map((v, i) => [v, i]));
const prefixes = [...byPrefix.keys()].sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));

const counts = { 6: 0, 7: 0, 9: 0 };
for (const p of prefixes) counts[p.length]++;
const blockLines = [];
for (const [hexLen, bits] of [[6, 24], [7, 28], [9, 36]]) {
  blockLines.push(`P\t${bits}\t${counts[hexLen]}`);
  let previous = 0;
  for (const p of prefixes) {
    if (p.length !== hexLen) continue;
    const value = parseInt(p, 16);
    blockLines.push(`${(value - previous).toString(36)}\t${vendorIndex.get(byPrefix.get(p)).toString(36)}`);
    previous = value;
  }
}
const lines = [
  '# otwatch bundled IEEE MAC address block registry (MA-L 24-bit, MA-M 28-bit, MA-S/IAB 36-bit).',
  '# Regenerate with: node scripts/update-oui.mjs  (see the script for the format).',
  `# Sources, in precedence order: ${sources.map((s) => s.name).join('; ')}`,
  `# Blocks: ${counts[6]} MA-L, ${counts[7]} MA-M, ${counts[9]} MA-S/IAB; ${vendors.length} distinct vendors.`,
  `V\t${vendors.length}`,
  ...vendors,
  ...blockLines,
];
const text = lines.join('\n') + '\n';
const gz = gzipSync(Buffer.from(text, 'utf8'), { level: 9 });
mkdirSync(dirname(outPath), { recursive: true });
writeFileSync(outPath, gz);
console.error(
  `wrote ${outPath}: ${prefixes.length} prefixes, ${vendors.length} vendors, ${text.length} bytes raw, ${gz.length} bytes gzipped`,
);
