import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fuzzRuns } from '../../util/fuzz-budget.js';
import { REMOTE_ACCESS_DOMAINS, matchesDomain } from './net-remote-access.js';
import { csvIncludes } from './net-internet-exposure.js';
import { memoByText } from '../../util/memo.js';

/** The definition: the name (lower case, one trailing dot dropped) is the suffix or ends with ".suffix". */
function referenceMatch(name: string, suffixes: readonly string[]): string | null {
  const n = name.toLowerCase().replace(/\.$/, '');
  for (const s of suffixes) if (n === s || n.endsWith(`.${s}`)) return s;
  return null;
}

test('matchesDomain: exact names and parent domains only, first listed suffix wins', () => {
  assert.equal(matchesDomain('TeamViewer.com.', REMOTE_ACCESS_DOMAINS), 'teamviewer.com');
  assert.equal(matchesDomain('router1.teamviewer.com', REMOTE_ACCESS_DOMAINS), 'teamviewer.com');
  assert.equal(matchesDomain('x.net.anydesk.com', REMOTE_ACCESS_DOMAINS), 'anydesk.com');
  assert.equal(matchesDomain('notteamviewer.com', REMOTE_ACCESS_DOMAINS), null);
  assert.equal(matchesDomain('', REMOTE_ACCESS_DOMAINS), null);
});

test('matchesDomain agrees with its definition on generated names and lists', () => {
  const label = fc.constantFrom('a', 'B', 'com', 'net', 'anydesk', 'teamviewer', 'x-y', '');
  const name = fc.array(label, { maxLength: 5 }).map((parts) => parts.join('.'));
  const withDot = fc.tuple(name, fc.constantFrom('', '.', '..')).map(([n, dot]) => n + dot);
  const list = fc.array(name.map((n) => n.toLowerCase()), { maxLength: 4 });
  fc.assert(
    fc.property(withDot, list, (n, suffixes) => {
      assert.equal(matchesDomain(n, suffixes), referenceMatch(n, suffixes));
      assert.equal(matchesDomain(n, REMOTE_ACCESS_DOMAINS), referenceMatch(n, REMOTE_ACCESS_DOMAINS));
    }),
    { numRuns: fuzzRuns(1000) },
  );
});

test('csvIncludes is split(",").includes()', () => {
  const part = fc.constantFrom('', 'a', 'ab', '10.0.0.1', '10.0.0.10', ',');
  fc.assert(
    fc.property(fc.array(part, { maxLength: 6 }).map((p) => p.join('')), part, (list, item) => {
      assert.equal(csvIncludes(list, item), list.split(',').includes(item), `${list} / ${item}`);
    }),
    { numRuns: fuzzRuns(1000) },
  );
  assert.equal(csvIncludes('10.0.0.10,10.0.0.2', '10.0.0.1'), false);
  assert.equal(csvIncludes('10.0.0.10,10.0.0.1', '10.0.0.1'), true);
});

test('memoByText answers as the function does, calls it once per name, and starts over when full', () => {
  const calls: string[] = [];
  const lengthOf = memoByText((name) => { calls.push(name); return name.length; }, 2);
  assert.equal(lengthOf('a.example'), 9);
  assert.equal(lengthOf('a.example'), 9);
  assert.equal(lengthOf('bb.example'), 10);
  assert.deepEqual(calls, ['a.example', 'bb.example']);
  assert.equal(lengthOf('ccc.example'), 11); // full: forgets everything, keeps the new name
  assert.equal(lengthOf('a.example'), 9);
  assert.deepEqual(calls, ['a.example', 'bb.example', 'ccc.example', 'a.example']);
  const nothing = memoByText(() => null);
  assert.equal(nothing('x'), null); // a remembered null is still an answer
});
