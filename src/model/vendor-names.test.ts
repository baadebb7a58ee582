/**
 * PrefixPatterns must answer exactly what the plain first-match loop over its list answers: for the real brand
 * and alias lists, for the spellings the shipped vulnerability database holds, and for patterns whose first
 * character cannot be read off the source (those are tested against every text).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { fuzzRuns } from '../util/fuzz-budget.js';
import { loadVulnDb } from '../vuln/db.js';
import { ALIASES } from '../vuln/vendor.js';
import { BRANDS, normalizeVendorName, PrefixPatterns } from './vendor-names.js';

function plainFirstMatch<T>(list: ReadonlyArray<readonly [RegExp, T]>, text: string): T | undefined {
  for (const [pattern, value] of list) if (pattern.test(text)) return value;
  return undefined;
}

/** Texts near every pattern: its alternatives' words in several cases, cut short, with suffixes and odd first characters. */
function textsNear(list: ReadonlyArray<readonly [RegExp, unknown]>): string[] {
  const words = new Set<string>();
  for (const [re] of list) for (const w of re.source.replace(/\\b|[()^?]|\[[^\]]*\]/g, ' ').split(/[|\s]+/)) if (w) words.add(w);
  const out: string[] = ['', ' ', 'x', '&', '\u0130nc', '\u017Fiemens', '\u212Aontron'];
  for (const w of words) {
    for (const v of [w, w.toUpperCase(), w[0]!.toUpperCase() + w.slice(1), w.slice(0, -1)]) {
      out.push(v, `${v} ag`, `${v}-x`, `${v}x`, ` ${v}`, `${v}/schneider`);
    }
  }
  return out;
}

test('brand and alias tables answer as the plain loop does', () => {
  for (const list of [BRANDS, ALIASES]) {
    const table = new PrefixPatterns(list);
    for (const text of textsNear(list)) {
      assert.equal(table.firstMatch(text), plainFirstMatch(list, text), JSON.stringify(text));
      assert.equal(table.firstMatch(text.toLowerCase()), plainFirstMatch(list, text.toLowerCase()), JSON.stringify(text));
    }
  }
});

test('every vendor spelling in the shipped database normalises as the plain loop does', (t) => {
  let db;
  try {
    db = loadVulnDb({}).db;
  } catch (err) {
    t.skip(`no vulnerability database: ${(err as Error).message}`);
    return;
  }
  const brands = new PrefixPatterns(BRANDS);
  const aliases = new PrefixPatterns(ALIASES);
  const spellings = new Set(db.products.map((p) => p.vendor));
  assert.ok(spellings.size > 100);
  for (const s of spellings) {
    const lower = s.toLowerCase();
    assert.equal(brands.firstMatch(lower), plainFirstMatch(BRANDS, lower), s);
    assert.equal(aliases.firstMatch(s), plainFirstMatch(ALIASES, s), s);
  }
});

test('patterns with an unreadable first character are tried on every text, in list order', () => {
  const list: Array<readonly [RegExp, number]> = [
    [/^b?ab/, 0], [/^(a|b)c/i, 1], [/x|^y/, 2], [/^(?:ca|d)/, 3], [/^[ab]d/, 4], [/^(a|b)?e/, 5], [/^a*f/, 6],
    [/^(q|r)|s/, 7], [/^a{0,2}g/, 8], [/^\d/, 9], [/^(a[|)]|ab)h/, 10], [/^ca/, 11], [/^Ab/, 12], [/^ab/i, 13], [/^x|y/, 14],
  ];
  const table = new PrefixPatterns(list);
  const alphabet = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'q', 'r', 's', 'x', 'y', 'A', 'B', 'C', '1', '|', ')', ' ');
  fc.assert(
    fc.property(fc.array(alphabet, { maxLength: 6 }).map((cs) => cs.join('')), (text) => {
      assert.equal(table.firstMatch(text), plainFirstMatch(list, text));
    }),
    { numRuns: fuzzRuns(3000) },
  );
});

test('normalised names: brands, legal suffixes, title case', () => {
  assert.equal(normalizeVendorName('SIEMENS AG'), 'Siemens');
  assert.equal(normalizeVendorName('Allen-Bradley Co.'), 'Rockwell Automation');
  assert.equal(normalizeVendorName('Foo Widgets Co., Ltd.'), 'Foo Widgets');
  assert.equal(normalizeVendorName('TELEMECANIQUE ELECTRIQUE'), 'Schneider Electric');
  assert.equal(normalizeVendorName('ACME WIDGETS GMBH'), 'Acme Widgets');
  assert.equal(normalizeVendorName('  '), '');
});
