import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  DEFAULT_OUI_DATA_PATH,
  describeMac,
  encodeOuiData,
  isGroupMac,
  isLocallyAdministeredMac,
  lookupVendor,
  ouiStats,
  parseOuiData,
  setOuiDataPath,
} from './oui.js';
import { normalizeVendorName } from './vendor-names.js';
import { fuzzRuns } from '../util/fuzz-budget.js';

test('MA-L: well-known industrial OUIs', () => {
  assert.match(lookupVendor('00:1b:1b:01:02:03')!, /^Siemens AG/);
  assert.match(lookupVendor('00:0e:8c:aa:bb:cc')!, /^Siemens AG/);
  assert.match(lookupVendor('00:00:bc:11:22:33')!, /Rockwell Automation|Allen-Bradley/i);
  assert.match(lookupVendor('00:80:f4:00:00:01')!, /^Telem[e]?c[h]?anique/i);
  assert.equal(describeMac('00:1b:1b:01:02:03').blockBits, 24);
});

test('accepts the usual MAC spellings and 48-bit numbers', () => {
  const expected = lookupVendor('00:1b:1b:01:02:03');
  assert.equal(lookupVendor('00-1B-1B-01-02-03'), expected);
  assert.equal(lookupVendor('001b.1b01.0203'), expected);
  assert.equal(lookupVendor(0x001b1b010203), expected);
  assert.equal(lookupVendor('not a mac'), null);
  assert.equal(lookupVendor(-1), null);
  assert.equal(lookupVendor(2 ** 48), null);
});

test('MA-M (28-bit) and MA-S (36-bit) blocks', () => {
  // 20:85:93:B = IOG Products (MA-M); 70:B3:D5:71:9 = 2M Technology (MA-S); both under IEEE RA MA-L blocks.
  const mam = describeMac('20:85:93:b1:23:45');
  assert.equal(mam.blockBits, 28);
  assert.match(mam.vendor!, /IOG Products/);
  const mas = describeMac('70:b3:d5:71:9a:bc');
  assert.equal(mas.blockBits, 36);
  assert.match(mas.vendor!, /2M Technology/);
  // A neighbouring MA-S block of the same MA-L has another owner.
  assert.notEqual(lookupVendor('70:b3:d5:72:0a:bc'), mas.vendor);
  // The IEEE RA parent block itself carries no vendor information.
  assert.equal(lookupVendor('70:b3:d5:00:00:01'), null);
});

test('longest prefix wins over a containing block', () => {
  const file = encodeOuiData([
    { bits: 24, prefix: 0x001122, vendor: 'Big Corp' },
    { bits: 28, prefix: 0x0011223, vendor: 'Mid Corp' },
    { bits: 36, prefix: 0x001122345, vendor: 'Small Corp' },
  ]);
  const dir = mkdtempSync(join(tmpdir(), 'otwatch-oui-'));
  const path = join(dir, 'oui.bin');
  writeFileSync(path, file);
  setOuiDataPath(path);
  try {
    assert.deepEqual(describeMac('00:11:22:34:5f:ff'), { vendor: 'Small Corp', blockBits: 36, locallyAdministered: false, group: false });
    assert.equal(lookupVendor('00:11:22:34:60:00'), 'Mid Corp');
    assert.equal(lookupVendor('00:11:22:3f:ff:ff'), 'Mid Corp');
    assert.equal(lookupVendor('00:11:22:40:00:00'), 'Big Corp');
    assert.equal(lookupVendor('00:11:23:00:00:00'), null);
  } finally {
    setOuiDataPath(DEFAULT_OUI_DATA_PATH);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a corrupt table is a clear packaging error', () => {
  const good = encodeOuiData([{ bits: 24, prefix: 0x001122, vendor: 'Big Corp' }, { bits: 36, prefix: 0x001122345, vendor: 'Small Corp' }]);
  assert.equal(parseOuiData(good).byMas.get(0x001122345), 1);
  assert.throws(() => parseOuiData(Buffer.from('V\t1\nX\n')), /OUI data: .*bad magic/);
  assert.throws(() => parseOuiData(good.subarray(0, good.length - 1)), /OUI data: truncated/);
  assert.throws(() => parseOuiData(Buffer.concat([good, Buffer.alloc(4)])), /OUI data: truncated or oversized/);
  const version = Buffer.from(good);
  version[6] = 9;
  assert.throws(() => parseOuiData(version), /OUI data: format version 9/);
  // a count in the header that disagrees with the file size
  const counts = Buffer.from(good);
  counts[24]! ^= 0x01;
  assert.throws(() => parseOuiData(counts), /OUI data: truncated or oversized/);
  // any flipped byte past the 48-byte header, in the search part or the names part, fails a checksum
  for (const at of [48, 60, good.length - 1]) {
    const flipped = Buffer.from(good);
    flipped[at]! ^= 0x01;
    assert.throws(() => parseOuiData(flipped), /OUI data: (names )?checksum mismatch/, `byte ${at}`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'otwatch-oui-'));
  const path = join(dir, 'oui.bin');
  writeFileSync(path, good.subarray(0, 40));
  setOuiDataPath(path);
  try {
    assert.throws(() => lookupVendor('00:11:22:00:00:01'), /OUI data: truncated/);
  } finally {
    setOuiDataPath(DEFAULT_OUI_DATA_PATH);
    rmSync(dir, { recursive: true, force: true });
  }
  assert.throws(() => encodeOuiData([{ bits: 24, prefix: 1, vendor: 'A' }, { bits: 24, prefix: 1, vendor: 'B' }]), /listed twice/);
  assert.throws(() => encodeOuiData([{ bits: 28, prefix: 2 ** 28, vendor: 'A' }]), /bad prefix/);
});

test('encoded tables read back: sorted prefixes, shared and non-ASCII vendor names, all block sizes', () => {
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.record({ bits: fc.constantFrom<24 | 28 | 36>(24, 28, 36), prefix: fc.double({ min: 0, max: 1, noNaN: true }), vendor: fc.constantFrom('Siemens AG', 'Röhm GmbH', '北京 Co', 'A') }),
        { selector: (e) => `${e.bits}/${Math.floor(e.prefix * (2 ** e.bits - 1))}`, maxLength: 60 }),
      (raw) => {
        const entries = raw.map((e) => ({ bits: e.bits, prefix: Math.floor(e.prefix * (2 ** e.bits - 1)), vendor: e.vendor }));
        const table = parseOuiData(encodeOuiData(entries));
        const maps = { 24: table.byMal, 28: table.byMam, 36: table.byMas };
        assert.equal(table.byMal.size + table.byMam.size + table.byMas.size, entries.length);
        for (const e of entries) assert.equal(table.vendors[maps[e.bits].get(e.prefix)!], e.vendor);
        for (const map of Object.values(maps)) {
          const keys = [...map.keys()];
          assert.deepEqual(keys, [...keys].sort((a, b) => a - b));
        }
      },
    ),
    { numRuns: fuzzRuns(100) },
  );
});

test('locally administered and group addresses have no vendor', () => {
  assert.equal(isLocallyAdministeredMac('02:00:00:00:00:01'), true);
  assert.equal(isLocallyAdministeredMac('00:1b:1b:00:00:01'), false);
  // Same OUI bits as Siemens but with the U/L bit set: not Siemens.
  assert.equal(lookupVendor('02:1b:1b:01:02:03'), null);
  assert.equal(describeMac('02:1b:1b:01:02:03').locallyAdministered, true);
  assert.equal(isGroupMac('01:0e:cf:00:00:00'), true);
  assert.equal(lookupVendor('01:1b:1b:01:02:03'), null);
  assert.equal(lookupVendor('ff:ff:ff:ff:ff:ff'), null);
});

test('bundled registry covers all three block sizes', () => {
  const stats = ouiStats();
  assert.ok(stats.mal > 30_000, `MA-L ${stats.mal}`);
  assert.ok(stats.mam > 4_000, `MA-M ${stats.mam}`);
  assert.ok(stats.mas > 5_000, `MA-S ${stats.mas}`);
});

test('vendor display names', () => {
  assert.equal(normalizeVendorName('Siemens AG'), 'Siemens');
  assert.equal(normalizeVendorName('SIEMENS AG'), 'Siemens');
  assert.equal(normalizeVendorName('Siemens AG,'), 'Siemens');
  assert.equal(normalizeVendorName('Rockwell Automation'), 'Rockwell Automation');
  assert.equal(normalizeVendorName('Allen-Bradley Company, Inc.'), 'Rockwell Automation');
  assert.equal(normalizeVendorName('TELEMECANIQUE ELECTRIQUE'), 'Schneider Electric');
  assert.equal(normalizeVendorName('Phoenix Contact GmbH & Co. KG'), 'Phoenix Contact');
  assert.equal(normalizeVendorName('Acme Widgets Co., Ltd.'), 'Acme Widgets');
  assert.equal(normalizeVendorName('KYLAND TECHNOLOGY CO.,LTD'), 'Kyland Technology');
  assert.equal(normalizeVendorName('IBM'), 'IBM');
  assert.equal(normalizeVendorName('  '), '');
});
