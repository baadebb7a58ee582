/**
 * The matcher's on-demand index: a model token finds exactly the vendor's products whose name holds it as a
 * token (not as part of a longer one, in any case, once per product however often it is written, whatever the
 * name's line breaks), and products sharing a name or model numbers share nothing that one of them changes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VulnDatabase, type VulnDbAdvisory, type VulnDbProduct } from './db.js';
import { VulnMatcher } from './matcher.js';

const STATS = { advisoryFiles: 0, advisories: 0, revisionsReplaced: 0, products: 0, ranges: 0, unparsedRanges: 0, cves: 0, filesRejected: 0 };

function database(products: Array<Pick<VulnDbProduct, 'vendor' | 'name'> & Partial<VulnDbProduct>>): VulnDatabase {
  const advisories: VulnDbAdvisory[] = products.map((_, i) => ({
    id: `ADV-${String(i).padStart(2, '0')}`, title: `advisory ${i}`, initialRelease: '2024-01-01', currentRelease: '2024-01-01',
    revision: '1', cves: [{ id: `CVE-2024-${1000 + i}` }], remediations: [],
  }));
  const full = products.map((p, i) => ({ advisory: i, models: [], version: '', affected: [0], fixed: [], remediation: -1, ...p }));
  return new VulnDatabase('2024-01-01T00:00:00Z', [], STATS, advisories, full, new Map(), new Map());
}

const matched = (m: VulnMatcher, model: string, vendor = 'Acme'): string[] =>
  m.matchAsset({ vendor, model }).map((x) => x.advisoryId).sort();

test('a model token finds the products naming it, and only those', () => {
  const db = database([
    { vendor: 'Acme', name: 'Acme X1000-B controller' }, // 00
    { vendor: 'Acme', name: 'Acme X1000-BE controller' }, // 01: a longer token
    { vendor: 'Acme', name: 'Acme X1000-B, X1000-B panel (X1000-B)' }, // 02: three times
    { vendor: 'Acme', name: 'Other thing' }, // 03
    { vendor: 'ACME Inc.', name: 'acme x1000-b lower case' }, // 04: another spelling, lower case
    { vendor: 'Other', name: 'X1000-B' }, // 05: another vendor
    { vendor: 'Acme', name: 'Acme\nX1000-B\nline broken' }, // 06
    { vendor: 'Acme', name: 'X1000-B' }, // 07: the whole name, last product
  ]);
  const m = new VulnMatcher(db);
  assert.deepEqual(matched(m, 'X1000-B'), ['ADV-00', 'ADV-02', 'ADV-04', 'ADV-06', 'ADV-07']);
  assert.deepEqual(matched(m, 'X1000-BE'), ['ADV-01']);
  assert.deepEqual(matched(m, 'X1000-B'), ['ADV-00', 'ADV-02', 'ADV-04', 'ADV-06', 'ADV-07'], 'the second lookup is the cached list');
  assert.deepEqual(matched(m, 'Z9999'), []);
  assert.deepEqual(matched(new VulnMatcher(db), 'X1000-B', 'Other'), ['ADV-05']);
  assert.deepEqual(matched(new VulnMatcher(database([{ vendor: 'Other', name: 'X1000-B' }])), 'X1000-B'), [], 'vendor without products');
});

test('products sharing a name keep their own order numbers and wildcards', () => {
  const db = database([
    { vendor: 'Acme', name: 'Acme PLC family', models: ['6ES7515-2AM02-0AB0'] },
    { vendor: 'Acme', name: 'Acme PLC family', models: [] },
    { vendor: 'Acme', name: 'Acme PLC family', models: ['6ES7515-2AM*'] },
    { vendor: 'Acme', name: 'Acme PLC family' },
  ]);
  const m = new VulnMatcher(db);
  const hits = m.matchAsset({ vendor: 'Acme', model: 'PLC', facts: [{ field: 'order-number', value: '6ES7 515-2AM02-0AB0' }] });
  const how = Object.fromEntries(hits.map((h) => [h.advisoryId, h.evidence[0]!.split(':')[0]]));
  assert.deepEqual(how, { 'ADV-00': 'order number 6ES7515-2AM02-0AB0 listed', 'ADV-02': '6ES7515-2AM02-0AB0 matches part-number wildcard 6ES7515-2AM*' });
});
