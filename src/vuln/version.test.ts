import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { fuzzRuns } from '../util/fuzz-budget.js';
import { compareVersions, fixedVersionOf, formatRange, formatVersion, inRange, parseVersion, parseVersionRange } from './version.js';

const v = (s: string) => {
  const parsed = parseVersion(s);
  assert.ok(parsed, `version ${s} should parse`);
  return parsed;
};
const affected = (range: string, version: string): boolean => {
  const r = parseVersionRange(range);
  assert.ok(r, `range ${range} should parse`);
  return inRange(v(version), r);
};

test('vendor version spellings compare numerically', () => {
  assert.equal(compareVersions(v('V2.9.4'), v('2.9.4')), 0);
  assert.equal(compareVersions(v('32.011'), v('32.11')), 0, 'Rockwell minor revisions are numbers');
  assert.equal(compareVersions(v('SV3.40'), v('V3.40')), 0, 'Schneider SV prefix');
  assert.equal(compareVersions(v('V2.9.4'), v('V2.9.10')), -1);
  assert.equal(compareVersions(v('V15 SP1 Update 2'), v('V15_SP1_Update_2')), 0);
  assert.equal(compareVersions(v('V15 SP1 Update 2'), v('V15 SP1 Update 10')), -1);
  assert.equal(compareVersions(v('V15 SP1'), v('V15')), 1);
  assert.equal(compareVersions(v('V7.4 SP1 Update 21'), v('V7.5')), -1);
  assert.equal(compareVersions(v('1.150G'), v('1.150F')), 1);
  assert.equal(formatVersion(v('V15_SP1_Update_2')), '15 SP1 Update 2');
});

test('non-versions are rejected, not guessed', () => {
  for (const s of ['', 'the_first_5_digits_of_serial_number_22081', 'May/12/2023', 'TCP', 'DataHub_RaspberryPi', 'R150-V2']) {
    assert.equal(parseVersion(s), null, s);
  }
});

test('advisory range forms', () => {
  // vers-like, as CISA writes it (not valid vers, but the intent is clear)
  assert.ok(affected('vers:all/<V4.7', 'V4.5.2'));
  assert.ok(!affected('vers:all/<V4.7', 'V4.7'));
  assert.ok(affected('vers:all/*', '0.1'));
  assert.ok(affected('vers:all/>=V3.1.0|<V3.1.2', '3.1.1'));
  assert.ok(!affected('vers:all/>=V3.1.0|<V3.1.2', '3.1.2'));
  assert.ok(affected('vers:all/>=V3.1.9<V3.3.1', '3.2'), 'constraints without separator');
  // free text
  assert.ok(affected('<= 33', '33.011'), '"<= 33" includes every 33.x');
  assert.ok(!affected('<= 33', '34.011'));
  assert.ok(affected('< 33', '32.999'));
  assert.ok(!affected('< 33', '33.011'));
  assert.ok(affected('20-33', '33.011') && affected('20-33', '20') && !affected('20-33', '19.5'));
  assert.ok(affected('28  - 32', '32.011'));
  assert.ok(affected('>=V2.0_and_<V2.5', '2.4.9') && !affected('>=V2.0_and_<V2.5', '2.5'));
  assert.ok(affected('>=V7.90_<V9.30', '8.0'));
  assert.ok(affected('>= 1.0 | <= 2.0', '2.0.0'));
  assert.ok(affected('5.5.10.30 | 5.5.10.32', '5.5.10.32') && !affected('5.5.10.30 | 5.5.10.32', '5.5.10.31'));
  assert.ok(affected('V15_SP1_Update_2', 'V15 SP1 Update 2'));
  assert.ok(affected('>= 2.8.1 (only affected by CVE-2019-10943)', '2.9'));
  assert.ok(affected('2.3.6 and  below', '2.3.6') && !affected('2.3.6 and  below', '2.3.7'));
  assert.ok(affected('V28', '28.011'), 'a bare major names the release line');
  assert.ok(affected('>= 4.0.x | <= 4.6.4', '4.0.2'));
  assert.equal(parseVersionRange('<=the_first_5_digits_of_serial_number_22081'), null);
  assert.equal(parseVersionRange('<May/12/2023'), null);
  assert.equal(parseVersionRange('<=V2.3.0_and_Function_State_FS'), null);
});

test('one fixed release per line (Rockwell)', () => {
  const r = '<V33.017_V34.014_V35.013_V36.011';
  assert.ok(affected(r, '32.011'));
  assert.ok(affected(r, '33.011'));
  assert.ok(!affected(r, '33.017'));
  assert.ok(affected(r, '34.011'));
  assert.ok(!affected(r, '34.014'));
  assert.ok(!affected(r, '36.011'));
  assert.equal(formatRange(parseVersionRange(r)!), '<33.17 | >=34 <34.14 | >=35 <35.13 | >=36 <36.11');
  assert.equal(formatVersion(fixedVersionOf(parseVersionRange('vers:all/<V2.9.7')!)!), '2.9.7');
});

test('property: parsing never throws and comparison is a total preorder', () => {
  fc.assert(fc.property(fc.string({ maxLength: 40 }), (s) => {
    parseVersionRange(s);
    parseVersion(s);
  }), { numRuns: fuzzRuns(300) });
  const version = fc.tuple(fc.array(fc.nat(40), { minLength: 1, maxLength: 4 }), fc.nat(3), fc.nat(3))
    .map(([main, sp, upd]) => v(`${main.join('.')}${sp ? ` SP${sp}` : ''}${upd ? ` Update ${upd}` : ''}`));
  fc.assert(fc.property(version, version, version, (a, b, c) => {
    assert.equal(compareVersions(a, a), 0);
    // `|| 0`: two equal versions give 0 one way and -0 the other, which strictEqual tells apart
    assert.equal(Math.sign(compareVersions(a, b)) || 0, -Math.sign(compareVersions(b, a)) || 0);
    if (compareVersions(a, b) <= 0 && compareVersions(b, c) <= 0) assert.ok(compareVersions(a, c) <= 0);
    // "<b" and ">=b" split every version
    const below = inRange(a, parseVersionRange(`<${formatVersion(b)}`)!);
    const above = inRange(a, parseVersionRange(`>=${formatVersion(b)}`)!);
    assert.notEqual(below, above);
  }), { numRuns: fuzzRuns(300) });
});
