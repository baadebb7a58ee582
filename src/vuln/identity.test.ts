/**
 * modelTokens skips most words before rewriting them; it must give what the plain definition gives (split,
 * drop a revision suffix, trim punctuation, then the token filters) on any text.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { fuzzRuns } from '../util/fuzz-budget.js';
import { modelTokens } from './identity.js';

function plainModelTokens(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.toUpperCase().split(/[\s,();:]+/)) {
    const token = raw.replace(/\/[A-Z]$/, '').replace(/^[-/.]+|[-/.]+$/g, '');
    if (token.length >= 4 && /\d/.test(token) && /^[A-Z0-9][A-Z0-9\-/.+]*$/.test(token) && !/^(?:CVE|CWE)-/.test(token)
      && !/^\d{4}$/.test(token) && !/^V?\d+(?:\.\d+)+$/.test(token)) out.push(token);
  }
  return out;
}

test('model tokens of product names and asset models', () => {
  assert.deepEqual(modelTokens('SIMATIC S7-1500 CPU 1515-2 PN (6ES7515-2AM02-0AB0), CVE-2020-1234'), ['S7-1500', '1515-2', '6ES7515-2AM02-0AB0']);
  assert.deepEqual(modelTokens('1756-L83E/B controller v32.011'), ['1756-L83E']);
  assert.deepEqual(modelTokens('Modicon M340 BMX P34 2020 -SEL-3530-. 2019 V2.1.3'), ['M340', 'SEL-3530']);
});

test('model tokens agree with the plain definition', () => {
  const piece = fc.constantFrom('1756', '-L8', 'E', '/B', '/b', '.', '-', '/', '+', ' ', ',', '(', ')', ';', ':', 'V', 'v2', '.1', 'CVE', 'CWE',
    '2020', 'S7', 'cpu', 'ß', 'ı', '\t', 'x', '0');
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 12 }).map((p) => p.join('')), (text) => {
      assert.deepEqual(modelTokens(text), plainModelTokens(text));
    }),
    { numRuns: fuzzRuns(2000) },
  );
});
