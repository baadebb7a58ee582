#!/usr/bin/env node
// Regenerates data/registries/*.tsv — vendor/device-type number assignments (ODVA CIP vendor ids, CIP device
// types, BACnet vendor ids) — from the value tables that an installed tshark reports with `tshark -G values`.
// These are registry facts (number → assigned name); run this when a newer Wireshark knows more of them.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';

const TABLES = {
  'cip-vendors.tsv': 'enip.lir.vendor',
  'cip-device-types.tsv': 'enip.lir.devtype',
  'bacnet-vendors.tsv': 'bacapp.vendor_identifier',
};
const r = spawnSync('tshark', ['-G', 'values'], { encoding: 'utf8', maxBuffer: 1 << 28 });
if (r.status !== 0) throw new Error('tshark -G values failed: is tshark installed?');
const lines = r.stdout.split('\n');
const dir = new URL('../data/registries/', import.meta.url).pathname;
mkdirSync(dir, { recursive: true });
for (const [file, field] of Object.entries(TABLES)) {
  const rows = lines
    .map((l) => l.split('\t'))
    .filter((c) => c[0] === 'V' && c[1] === field)
    .map((c) => `${c[2]}\t${c[3].trim()}`);
  if (rows.length === 0) throw new Error(`no values for ${field}`);
  writeFileSync(dir + file, `# number\tname (from tshark -G values, field ${field})\n${rows.join('\n')}\n`);
  console.log(`${file}: ${rows.length} entries`);
}
