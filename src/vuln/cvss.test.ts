/**
 * CVSS scoring through ae-cvss-calculator: known vectors (worked by hand from the FIRST specifications), every
 * v3.0 and v3.1 base vector against the specification's formulas, strict rejection of malformed vectors, and
 * how an advisory's stated score is kept and compared.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { fuzzRuns } from '../util/fuzz-budget.js';
import { computeCvssBaseScore, countCvss, cvssSeverity, emptyCvssStats, rateCvss, toCvssRating, upgradeCvss, type CvssScore } from './cvss.js';

test('v3.x known vectors (worked by hand from the v3.1 specification §7)', () => {
  // ISS = 1-(0.44)^3 = 0.914816, impact 6.42*ISS = 5.873, exploitability 8.22*.85*.77*.85*.85 = 3.887 → 9.8
  assert.deepEqual(computeCvssBaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'), { version: '3.1', score: 9.8 });
  assert.equal(cvssSeverity(9.8), 'critical');
  // scope changed: 1.08*(6.048+3.887) > 10 → 10.0
  assert.deepEqual(computeCvssBaseScore('CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H'), { version: '3.0', score: 10 });
  // ICSA-22-314-02: 3.5952 + 8.22*.85*.77*.85*.62 = 6.430 → 6.5; temporal metrics do not change the base score
  assert.equal(computeCvssBaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:N/A:N/E:P/RL:O/RC:C')?.score, 6.5);
  // ICSA-23-012-08: 3.5952 + 8.22*.2*.77*.85*.85 = 4.510 → 4.6
  assert.equal(computeCvssBaseScore('CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:N/E:P/RL:T/RC:C')?.score, 4.6);
  // 3.5952 + 8.22*.55*.44*.27*.62 = 3.928 → 4.0, the lowest "medium"
  const medium = computeCvssBaseScore('CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:N/I:N/A:H');
  assert.equal(medium?.score, 4);
  assert.equal(cvssSeverity(medium!.score), 'medium');
  assert.equal(computeCvssBaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N')?.score, 0);
  assert.equal(cvssSeverity(0), 'none');
  assert.equal(cvssSeverity(3.9), 'low');
  assert.equal(cvssSeverity(7), 'high');
  assert.equal(cvssSeverity(8.9), 'high');
});

test('v4.0 known vectors (FIRST v4.0 macrovector table; the scores NVD and CISA publish for them)', () => {
  // macrovector 000200 (EQ4 2 has no lower level; every other EQ at its highest vector): 9.3 critical
  const v4 = computeCvssBaseScore('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N');
  assert.deepEqual(v4, { version: '4.0', score: 9.3 });
  assert.equal(cvssSeverity(v4!.score), 'critical');
  // macrovector 000100 at its highest vector: 10
  assert.equal(computeCvssBaseScore('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H')?.score, 10);
  // CVE-2024-6207 (ICSA-24-284-20, in the fixtures): network denial of service, v4 base 8.7 high
  assert.equal(computeCvssBaseScore('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N')?.score, 8.7);
  // the base score is CVSS-B: a threat metric (E:U lowers CVSS-BT) leaves it alone
  assert.equal(computeCvssBaseScore('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U')?.score, 9.3);
  // no impact at all: 0 by definition (v4.0 §8.2)
  assert.equal(computeCvssBaseScore('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N')?.score, 0);
});

/** CVSS v3.0 / v3.1 base score, straight from the specifications (§7.1, Appendix A of v3.1 for Roundup). */
function specBaseScore(version: '3.0' | '3.1', m: Record<string, string>): number {
  const AV: Record<string, number> = { N: 0.85, A: 0.62, L: 0.55, P: 0.2 };
  const AC: Record<string, number> = { L: 0.77, H: 0.44 };
  const PR: Record<string, number> = m['S'] === 'C' ? { N: 0.85, L: 0.68, H: 0.5 } : { N: 0.85, L: 0.62, H: 0.27 };
  const UI: Record<string, number> = { N: 0.85, R: 0.62 };
  const CIA: Record<string, number> = { H: 0.56, L: 0.22, N: 0 };
  const iss = 1 - (1 - CIA[m['C']!]!) * (1 - CIA[m['I']!]!) * (1 - CIA[m['A']!]!);
  const changed = m['S'] === 'C';
  const impact = changed ? 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15 : 6.42 * iss;
  const exploitability = 8.22 * AV[m['AV']!]! * AC[m['AC']!]! * PR[m['PR']!]! * UI[m['UI']!]!;
  if (impact <= 0) return 0;
  const roundUp = version === '3.0'
    ? (x: number) => Math.ceil(x * 10) / 10
    : (x: number) => {
      const i = Math.round(x * 100000);
      return i % 10000 === 0 ? i / 100000 : (Math.floor(i / 10000) + 1) / 10;
    };
  return roundUp(Math.min((changed ? 1.08 : 1) * (impact + exploitability), 10));
}

test('every v3.0 and v3.1 base vector (2 × 2,592) scores as the specification formulas do', () => {
  for (const version of ['3.0', '3.1'] as const) {
    for (const AV of 'NALP') for (const AC of 'LH') for (const PR of 'NLH') for (const UI of 'NR') for (const S of 'UC') {
      for (const C of 'HLN') for (const I of 'HLN') for (const A of 'HLN') {
        const vector = `CVSS:${version}/AV:${AV}/AC:${AC}/PR:${PR}/UI:${UI}/S:${S}/C:${C}/I:${I}/A:${A}`;
        assert.equal(computeCvssBaseScore(vector)?.score, specBaseScore(version, { AV, AC, PR, UI, S, C, I, A }), vector);
      }
    }
  }
});

test('malformed or incomplete vectors are rejected without the library warning or throwing', (t) => {
  const warn = t.mock.method(console, 'warn', () => undefined);
  for (const bad of [
    'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H', // A missing
    'CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', // "not defined" is no base value
    'CVSS:3.1/AV:Q/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', // unknown value
    'CVSS:3.1/AV:N/AV:L/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', // metric twice
    'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/', // empty part
    'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/VC:H', // a v4 metric
    'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H junk',
    'AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', // no version prefix
    'CVSS:2.0/AV:N/AC:L/Au:N/C:C/I:C/A:C',
    'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H', // subsequent-system metrics missing
    'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/S:', '', 'garbage',
  ]) {
    assert.equal(computeCvssBaseScore(bad), null, bad);
  }
  assert.equal(warn.mock.callCount(), 0);
});

test('property: any string is scored or rejected, never thrown on; scores stay in 0..10', () => {
  const part = fc.tuple(fc.constantFrom('AV', 'AC', 'PR', 'UI', 'S', 'C', 'I', 'A', 'AT', 'VC', 'SC', 'E', 'X'), fc.constantFrom('N', 'L', 'H', 'P', 'A', 'R', 'U', 'C', 'X', ''));
  const vector = fc.tuple(fc.constantFrom('CVSS:3.0/', 'CVSS:3.1/', 'CVSS:4.0/', ''), fc.array(part, { maxLength: 14 }))
    .map(([p, parts]) => p + parts.map(([k, v]) => `${k}:${v}`).join('/'));
  fc.assert(fc.property(fc.oneof(vector, fc.string()), (v) => {
    const r = computeCvssBaseScore(v);
    return r === null || (r.score >= 0 && r.score <= 10);
  }), { numRuns: fuzzRuns(300) });
});

test('the advisory score is kept: agreement, mismatch (a finding), invalid vector (needs review)', () => {
  const agree = rateCvss('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8, '3.1')!;
  assert.deepEqual(agree, { version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', score: 9.8, severity: 'critical', source: 'computed', stated: 9.8 });
  const differs = rateCvss('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.1, '3.1')!;
  assert.equal(differs.score, 9.8);
  assert.equal(differs.stated, 9.1);
  assert.deepEqual(toCvssRating(differs), { version: '3.1', vector: differs.vector, score: 9.8, severity: 'critical', source: 'computed', statedScore: 9.1 });
  const invalid = rateCvss('AV:L/AC:H/PR:H/UI:R/S:U/C:N/I:N/A:H', 4.0, '3.0')!;
  assert.deepEqual(invalid, { version: '3.0', vector: 'AV:L/AC:H/PR:H/UI:R/S:U/C:N/I:N/A:H', score: 4, severity: 'medium', source: 'advisory', invalid: true, stated: 4 });
  assert.equal(toCvssRating(invalid).needsReview, true);
  const unscored = rateCvss('CVSS:4.0/AV:N', null, '4.0')!;
  assert.equal(unscored.score, null);
  assert.equal(unscored.invalid, true);
  assert.equal(rateCvss('', null), undefined);

  const stats = emptyCvssStats();
  for (const s of [agree, differs, invalid, unscored]) countCvss(stats, s);
  assert.deepEqual(stats, { v3: 3, v4: 1, computed: 2, mismatches: 1, invalid: 2 });
});

test('a database written before scores were computed is rated again on load', () => {
  const old = { version: '3.1', score: 9.0, vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', severity: 'CRITICAL' } as unknown as CvssScore;
  const up = upgradeCvss(old)!;
  assert.equal(up.source, 'computed');
  assert.equal(up.score, 9.8);
  assert.equal(up.stated, 9.0);
  const oldV4 = { version: '4.0', score: null, vector: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N' } as unknown as CvssScore;
  assert.equal(upgradeCvss(oldV4)?.score, 8.7);
  assert.equal(upgradeCvss(up), up, 'a current rating is left as it is');
});
