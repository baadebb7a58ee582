/**
 * CVSS base scores computed from vector strings with ae-cvss-calculator (FIRST CVSS v3.0, v3.1 and v4.0), at
 * import time. The advisory's own score is kept beside the computed one: a vector the library scores
 * differently is a data finding (counted, reported), not an error. Vectors that are not valid, complete base
 * vectors are kept as written and flagged for review; they fall back to the advisory's score when it gives one.
 *
 * The library is lenient (it strips stray text, warns on the console for malformed pairs and throws on unknown
 * metrics), so every vector is checked here first, strictly, against the library's own metric tables.
 */
import { createRequire } from 'node:module';
import type CvssLibrary from 'ae-cvss-calculator';

type Library = typeof CvssLibrary;
let library: Library | null = null;

/** Loaded on the first vector scored: matching a current database scores none, so `analyze` never pays for it. */
function cvssLibrary(): Library {
  library ??= createRequire(import.meta.url)('ae-cvss-calculator') as Library;
  return library;
}

export type CvssSeverity = 'none' | 'low' | 'medium' | 'high' | 'critical';
export type CvssSource = 'computed' | 'advisory';

/** One CVSS rating of a CVE as stored in the database. */
export interface CvssScore {
  /** "3.0" | "3.1" | "4.0": from the vector's prefix; the advisory's version field when the vector has none */
  version: string;
  /** as the advisory writes it */
  vector: string;
  /** base score: computed from the vector; the advisory's when the vector cannot be scored; null when neither */
  score: number | null;
  /** qualitative rating of `score` (CVSS v3.1 §5 / v4.0 §6 bands) */
  severity?: CvssSeverity;
  source: CvssSource;
  /** the base score the advisory states, when it states one */
  stated?: number;
  /** the vector is not a valid, complete base vector of its version: kept as written, needs review */
  invalid?: true;
}

/** Two scores that round to the same tenth agree; anything else is a mismatch. */
const MISMATCH_TOLERANCE = 0.05;

/** Counts kept in the database's stats. */
export interface CvssStats {
  v3: number;
  v4: number;
  /** scores computed from the vector */
  computed: number;
  /** computed score differs from the advisory's stated score */
  mismatches: number;
  /** vectors that are not valid, complete base vectors (kept, "needs review") */
  invalid: number;
}

export function emptyCvssStats(): CvssStats {
  return { v3: 0, v4: 0, computed: 0, mismatches: 0, invalid: 0 };
}

export function countCvss(stats: CvssStats, s: CvssScore | undefined): void {
  if (s === undefined) return;
  if (s.version.startsWith('4')) stats.v4++;
  else stats.v3++;
  if (s.source === 'computed') stats.computed++;
  if (s.invalid) stats.invalid++;
  if (isCvssMismatch(s)) stats.mismatches++;
}

export function isCvssMismatch(s: CvssScore): boolean {
  return s.source === 'computed' && s.score !== null && s.stated !== undefined && Math.abs(s.score - s.stated) > MISMATCH_TOLERANCE;
}

/** CVSS v3.1 specification §5 and v4.0 §6 use the same bands. */
export function cvssSeverity(score: number): CvssSeverity {
  if (score === 0) return 'none';
  if (score < 4) return 'low';
  if (score < 7) return 'medium';
  if (score < 9) return 'high';
  return 'critical';
}

type Calculator = InstanceType<Library['Cvss3P0']> | InstanceType<Library['Cvss3P1']> | InstanceType<Library['Cvss4P0']>;

const PREFIX = /^CVSS:(3\.0|3\.1|4\.0)\//;
const METRIC = /^([A-Za-z]+):([A-Za-z]+)$/;

/** One empty instance per version, only used to look metric names and values up. */
let metricTables: Record<string, Calculator> | null = null;

function metricTable(version: string): Calculator {
  if (metricTables === null) {
    const { Cvss3P0, Cvss3P1, Cvss4P0 } = cvssLibrary();
    metricTables = { '3.0': new Cvss3P0(), '3.1': new Cvss3P1(), '4.0': new Cvss4P0() };
  }
  return metricTables[version]!;
}

/** True when every part is a known metric of the version with a known value, each metric written once. */
function wellFormed(version: string, body: string): boolean {
  const table = metricTable(version);
  const seen = new Set<string>();
  for (const part of body.split('/')) {
    const m = METRIC.exec(part);
    if (m === null || seen.has(m[1]!)) return false;
    seen.add(m[1]!);
    const component = table.findComponent(m[1]!);
    if (component === undefined || component.shortName !== m[1]) return false;
    if (!component.values.some((v) => v.shortName === m[2])) return false;
  }
  return true;
}

/**
 * Base score of a CVSS v3.0, v3.1 or v4.0 vector; null when the vector is not a valid, complete base vector.
 * Temporal, threat and environmental metrics are allowed and ignored (the base score is CVSS-B for v4.0).
 */
export function computeCvssBaseScore(vector: string): { version: string; score: number } | null {
  const prefix = PREFIX.exec(vector);
  if (prefix === null) return null;
  const version = prefix[1]!;
  if (!wellFormed(version, vector.slice(prefix[0].length))) return null;
  try {
    const { Cvss3P0, Cvss3P1, Cvss4P0 } = cvssLibrary();
    const calc: Calculator = version === '3.0' ? new Cvss3P0(vector) : version === '3.1' ? new Cvss3P1(vector) : new Cvss4P0(vector);
    if (!calc.isBaseFullyDefined()) return null;
    const scores = calc.calculateScores();
    const score = 'baseMetricsOnly' in scores ? scores.baseMetricsOnly : scores.base;
    if (typeof score !== 'number' || !Number.isFinite(score) || score < 0 || score > 10) return null;
    return { version, score };
  } catch {
    // checked above: a throw here is a library defect on an odd vector; the vector is then kept for review
    return null;
  }
}

/**
 * Rates one advisory score entry: computes the base score from the vector and keeps the stated one. Returns
 * undefined when there is neither a vector nor a score.
 */
export function rateCvss(vector: string, stated: number | null, statedVersion = ''): CvssScore | undefined {
  const trimmed = vector.trim();
  const validStated = stated !== null && Number.isFinite(stated) && stated >= 0 && stated <= 10 ? stated : null;
  if (trimmed === '' && validStated === null) return undefined;
  const computed = trimmed === '' ? null : computeCvssBaseScore(trimmed);
  const rating: CvssScore = computed !== null
    ? { version: computed.version, vector: trimmed, score: computed.score, severity: cvssSeverity(computed.score), source: 'computed' }
    : {
      version: trimmed.match(/^CVSS:(\d\.\d)/)?.[1] ?? statedVersion,
      vector: trimmed,
      score: validStated,
      ...(validStated !== null ? { severity: cvssSeverity(validStated) } : {}),
      source: 'advisory',
      invalid: true,
    };
  if (validStated !== null) rating.stated = validStated;
  return rating;
}

/**
 * A rating from a database written before scores were computed (`source` missing: the score there is the
 * advisory's) is rated again, so old user databases get computed scores without a re-import.
 */
export function upgradeCvss(s: CvssScore | undefined): CvssScore | undefined {
  if (s === undefined || (s as Partial<CvssScore>).source !== undefined) return s;
  return rateCvss(s.vector ?? '', typeof s.score === 'number' ? s.score : null, s.version ?? '');
}

/** A match's CVSS rating of one version (the highest among the matched CVEs). */
export interface CvssRating {
  version: string;
  vector: string;
  score: number | null;
  severity: CvssSeverity | null;
  source: CvssSource;
  /** the advisory states a different base score for this vector */
  statedScore?: number;
  /** the vector is not a valid, complete base vector: an analyst should check it */
  needsReview?: true;
}

export function toCvssRating(s: CvssScore): CvssRating {
  const rating: CvssRating = { version: s.version, vector: s.vector, score: s.score, severity: s.severity ?? null, source: s.source };
  if (isCvssMismatch(s)) rating.statedScore = s.stated!;
  if (s.invalid) rating.needsReview = true;
  return rating;
}

/** The higher-scored of two ratings; a rating with a score beats one without. */
export function higherCvss(a: CvssScore | undefined, b: CvssScore | undefined): CvssScore | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return (b.score ?? -1) > (a.score ?? -1) ? b : a;
}
