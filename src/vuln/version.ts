/**
 * Firmware versions and the version ranges ICS advisories write.
 *
 * Vendors write versions as "V2.9.4" (Siemens), "32.011" (Rockwell), "SV3.40" (Schneider), "V15 SP1 Update 2"
 * (Siemens software), "1.150G"; advisories write ranges as `vers:all/<V4.7`, `<= 33`, `20-33`,
 * `>=V2.0_and_<V2.5`, `>= 1.0 | <= 2.0`, `<V33.017_V34.014_V35.013` (one fix per release line). Anything we do
 * not understand is reported as unparsed so the matcher can say "needs review" instead of guessing.
 *
 * Comparison: numeric segments compare as numbers ("32.011" = "32.11"), missing segments count as 0, then
 * service pack, update/hotfix number and a trailing letter. A bound written with fewer segments than the
 * version compared against is a prefix for `<=` and `=` ("<= 33" includes 33.011, "V28" means any 28.x).
 */

export interface Version {
  /** numeric release segments, e.g. [2, 9, 4] */
  main: number[];
  /** service pack number (0 when none) */
  sp: number;
  /** update / hotfix number (0 when none) */
  update: number;
  /** trailing letter(s), lower case ("" when none) */
  suffix: string;
  /** true when the text ended in a wildcard segment ("4.0.x"): it matches any continuation */
  wildcard: boolean;
}

/** One interval of affected versions. Missing bounds are open. */
export interface VersionInterval {
  lo?: Version;
  loInclusive: boolean;
  hi?: Version;
  hiInclusive: boolean;
}

/** A parsed range: every version, or a union of intervals (a single version is lo = hi, both inclusive). */
export type VersionRange = { all: true } | { all: false; intervals: VersionInterval[] };

/** Component labels written before the version: "BIOS_V1.0.2", "CPC80_V16.30", "firmware_05", "MX-V4.1.1.21". */
const LABEL = /^(?:bios|firmware|fw|sw|mx|[A-Z]{2,6}\d{0,3}|v)[_\s-]+(?=v?\d)/i;
const PREFIX = /^(?:version|firmware|fw|rev\.?|release|ver\.?|sv|v|r)\s*[.:]?\s*(?=\d)/i;
const MAX_SEGMENTS = 8;

/** Parses one version string; null if it is not a version we can compare. */
export function parseVersion(raw: string): Version | null {
  let text = raw.trim().replace(/^["']|["']$/g, '').trim();
  // "(build 2149)", "(v9.90.196)", "(JACE-8000 Edge 10)": parenthesised notes do not change the ordering.
  text = text.replace(/\s*\([^)]*\)\s*$/, '').trim();
  text = text.replace(LABEL, '').replace(PREFIX, '');
  if (!/^\d/.test(text)) return null;
  const lower = text.toLowerCase().replace(/_/g, ' ');
  const m = /^(\d+(?:\.\d+)*)(?:\.(x|\*))?([a-z]{0,2})(?=$|[\s\-.])(.*)$/.exec(lower);
  if (m === null) return null;
  const main = m[1]!.split('.').map(Number);
  if (main.length > MAX_SEGMENTS || main.some((n) => !Number.isSafeInteger(n))) return null;
  const wildcard = m[2] !== undefined;
  let suffix = m[3] ?? '';
  let rest = (m[4] ?? '').trim();
  let sp = 0;
  let update = 0;
  // Siemens: "SP1", "Update 2", "Upd1", "HF5"; others: "build 123", "-12", "patch 3".
  const spMatch = /^(?:\.|-)?\s*sp\s*(\d+)\s*/.exec(rest);
  if (spMatch) {
    sp = Number(spMatch[1]);
    rest = rest.slice(spMatch[0].length);
  }
  const updMatch = /^(?:\.|-)?\s*(?:update|upd|u|hf|hotfix|patch|p|cu|uc|fp|build(?:\s*nr\.?)?|b)\s*\.?\s*(\d+)(?:\.\d+)*\s*$/.exec(rest);
  if (updMatch) {
    update = Number(updMatch[1]);
    rest = '';
  } else if (/^-\d+$/.test(rest)) {
    update = Number(rest.slice(1));
    rest = '';
  }
  if (rest !== '') return null;
  if (suffix === 'x') { suffix = ''; } // "12.4x"-style wildcard written without a dot is rare; treat as plain
  return { main, sp, update, suffix, wildcard };
}

/** Compares a with b; when `prefixOf` is given, only b's written segment count is compared (b is a prefix). */
export function compareVersions(a: Version, b: Version, prefixOfB = false): number {
  const n = prefixOfB ? b.main.length : Math.max(a.main.length, b.main.length);
  for (let i = 0; i < n; i++) {
    const x = a.main[i] ?? 0;
    const y = b.main[i] ?? 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  if (prefixOfB && b.sp === 0 && b.update === 0 && b.suffix === '') return 0;
  if (a.sp !== b.sp) return a.sp < b.sp ? -1 : 1;
  if (a.update !== b.update) return a.update < b.update ? -1 : 1;
  if (a.suffix !== b.suffix) return a.suffix < b.suffix ? -1 : 1;
  return 0;
}

/** Bounds written with fewer segments, or ending in a wildcard, act as prefixes for "<=" and "=". */
function isPrefixBound(bound: Version, v: Version): boolean {
  return bound.wildcard || (bound.main.length < v.main.length && bound.sp === 0 && bound.update === 0 && bound.suffix === '');
}

export function inInterval(v: Version, iv: VersionInterval): boolean {
  if (iv.lo) {
    const c = compareVersions(v, iv.lo, iv.lo.wildcard);
    if (c < 0 || (c === 0 && !iv.loInclusive && !iv.lo.wildcard)) return false;
  }
  if (iv.hi) {
    const prefix = iv.hiInclusive && isPrefixBound(iv.hi, v);
    const c = compareVersions(v, iv.hi, prefix);
    if (c > 0 || (c === 0 && !iv.hiInclusive)) return false;
  }
  return true;
}

export function inRange(v: Version, range: VersionRange): boolean {
  if (range.all) return true;
  for (const iv of range.intervals) if (inInterval(v, iv)) return true;
  return false;
}

export function formatVersion(v: Version): string {
  let s = v.main.join('.') + (v.wildcard ? '.x' : '') + v.suffix;
  if (v.sp) s += ` SP${v.sp}`;
  if (v.update) s += ` Update ${v.update}`;
  return s;
}

type Op = '<' | '<=' | '>' | '>=' | '=';

const ALL_VERSIONS = /^(?:\*|all|all versions?|all_versions|any|all released versions|all firmware versions)$/i;

/**
 * Parses an advisory's version range or version name. Returns null when the text is not understood
 * (serial-number ranges, dates, "Function State", prose).
 */
export function parseVersionRange(raw: string): VersionRange | null {
  let text = raw.trim();
  // vers-like schemes: "vers:all/<V4.7", "vers:generic/>=1.0|<2.0", "vers:intdot/..."
  text = text.replace(/^vers:[a-z0-9.+-]*\//i, '').trim();
  // notes tied to CVEs or editions: "(only affected by CVE-2019-10943)"
  text = text.replace(/\s*\((?:only|not|incl|including|affected|see|for)\b[^)]*\)\s*/gi, ' ').trim();
  text = text.replace(/\s*\([^)]*\bCVE-\d+-\d+[^)]*\)\s*/gi, ' ').trim();
  text = text.replace(/^["']|["']$/g, '').replace(/\.$/, '').trim();
  if (text === '') return null;
  // prose comparators: "2.3.6 and below", "prior to 4.0", "4.2 and later", "up to and including 3.1"
  text = text
    .replace(/^(.+?)[\s_]+(?:and|or)[\s_]+(?:below|prior|earlier|older|lower|previous(?: versions)?)$/i, '<= $1')
    .replace(/^(.+?)[\s_]+(?:and|or)[\s_]+(?:later|above|newer|higher|greater)$/i, '>= $1')
    .replace(/^(?:prior to|before|earlier than|older than)[\s_]+/i, '< ')
    .replace(/^(?:up[\s_]+to[\s_]+and[\s_]+including|up[\s_]+to|through|until)[\s_]+/i, '<= ')
    .replace(/[\s_-]+but[\s_]+not[\s_]+including[\s_]+/i, ' < ');
  if (ALL_VERSIONS.test(text) || /^\*\s*\(.*\)$/.test(text) || /^all versions\b/i.test(text)) return { all: true };

  // "20-33", "28  - 32", "1.0 to 2.3", "01.14.000 -01.47.000": an inclusive span (not "-" inside a version)
  const span = /^(?:v\s*)?([\dv][\w.]*?)\s*(?:\s-\s*|\s*-\s+|\s+to\s+|\s*—\s*|\s*–\s*)(?:v\s*)?(\d[\w.]*)$/i.exec(text)
    ?? /^(\d+(?:\.\d+)*)-(\d+(?:\.\d+)*)$/.exec(text);
  if (span) {
    const lo = parseVersion(span[1]!);
    const hi = parseVersion(span[2]!);
    if (lo && hi && compareVersions(lo, hi) <= 0) return { all: false, intervals: [{ lo, loInclusive: true, hi, hiInclusive: true }] };
  }

  // "<V33.017_V34.014_V35.013_V36.011", "<v36.011_v35.013_v34.014": one fixed release per line.
  const perLine = /^<\s*((?:v?\d+(?:\.\d+)+)(?:[_,;\s]+(?:v?\d+(?:\.\d+)+))+)$/i.exec(text);
  if (perLine) {
    const fixes = perLine[1]!.split(/[_,;\s]+/).map(parseVersion);
    if (fixes.every((f): f is Version => f !== null)) return fixedPerReleaseLine(fixes);
  }

  // A sequence of comparator constraints and exact versions, separated by "|", "_and_", ",", "and", "or", or
  // nothing at all (">=V3.1.9<V3.3.1").
  const constraints = splitConstraints(text);
  if (constraints === null || constraints.length === 0) return null;
  return constraintsToRange(constraints);
}

function fixedPerReleaseLine(fixes: Version[]): VersionRange {
  fixes.sort((a, b) => compareVersions(a, b));
  const intervals: VersionInterval[] = [];
  for (let i = 0; i < fixes.length; i++) {
    const fix = fixes[i]!;
    if (i === 0) {
      intervals.push({ hi: fix, hiInclusive: false, loInclusive: true });
    } else {
      // the release line of this fix starts at its major version ("34.014" → 34.0)
      const lineStart: Version = { main: [fix.main[0]!], sp: 0, update: 0, suffix: '', wildcard: false };
      intervals.push({ lo: lineStart, loInclusive: true, hi: fix, hiInclusive: false });
    }
  }
  return { all: false, intervals };
}

interface Constraint {
  op: Op;
  version: Version;
}

const OP_SPLIT = /(>=|=>|<=|=<|==|>|<|=|≤|≥)/;
const SEPARATOR = /^(?:\||,|;|\/|_and_|_|and|or|&|\s)*$/i;

function normaliseOp(op: string): Op {
  switch (op) {
    case '>=': case '=>': case '≥': return '>=';
    case '<=': case '=<': case '≤': return '<=';
    case '==': case '=': return '=';
    default: return op as Op;
  }
}

function splitConstraints(text: string): Constraint[] | null {
  const parts = text.split(OP_SPLIT);
  const out: Constraint[] = [];
  // parts: [lead, op, operand, op, operand, ...]; lead may hold exact versions ("5.5.10.30 | 5.5.10.32")
  const lead = parts[0]!.trim();
  if (lead !== '') {
    const exact = exactList(lead);
    if (exact === null) return null;
    out.push(...exact);
  }
  for (let i = 1; i < parts.length; i += 2) {
    const op = normaliseOp(parts[i]!);
    const operand = (parts[i + 1] ?? '').trim();
    // the operand is a version followed by separators and possibly more exact versions
    const pieces = operand.split(/\s*\|\s*|\s*,\s*|\s*;\s*|\s+or\s+|_and_|\s+and\s+/i).filter((p) => p.trim() !== '');
    if (pieces.length === 0) return null;
    let head = pieces[0]!.trim().replace(/[_\s]+$/, '');
    // "V7.90_" or "V2.0_" before the next operator: drop the dangling connector
    head = head.replace(/_(?:and)?$/i, '');
    const v = parseVersion(head);
    if (v === null) return null;
    out.push({ op, version: v });
    for (const extra of pieces.slice(1)) {
      if (SEPARATOR.test(extra)) continue;
      const e = parseVersion(extra);
      if (e === null) return null;
      out.push({ op: '=', version: e });
    }
  }
  return out;
}

function exactList(text: string): Constraint[] | null {
  const out: Constraint[] = [];
  for (const piece of text.split(/\s*\|\s*|\s*,\s*|\s*;\s*|\s+or\s+|\s+and\s+/i)) {
    if (piece.trim() === '') continue;
    const v = parseVersion(piece);
    if (v === null) return null;
    out.push({ op: '=', version: v });
  }
  return out;
}

/** Lower bounds open an interval that the next upper bound closes; lone bounds are half-open; "=" is a point. */
function constraintsToRange(constraints: Constraint[]): VersionRange {
  const intervals: VersionInterval[] = [];
  let open: VersionInterval | null = null;
  for (const c of constraints) {
    switch (c.op) {
      case '>':
      case '>=':
        if (open) intervals.push(open);
        open = { lo: c.version, loInclusive: c.op === '>=', hiInclusive: false };
        break;
      case '<':
      case '<=':
        if (open) {
          open.hi = c.version;
          open.hiInclusive = c.op === '<=';
          intervals.push(open);
          open = null;
        } else {
          intervals.push({ hi: c.version, hiInclusive: c.op === '<=', loInclusive: true });
        }
        break;
      case '=':
        if (open) { intervals.push(open); open = null; }
        intervals.push({ lo: c.version, loInclusive: true, hi: c.version, hiInclusive: true });
        break;
    }
  }
  if (open) intervals.push(open);
  return { all: false, intervals };
}

/**
 * The version that fixes `v`: the exclusive upper bound of the interval holding it (per release line for
 * "<V33.017_V34.014"). Without `v`, the bound of the last interval.
 */
export function fixedVersionOf(range: VersionRange, v?: Version): Version | undefined {
  if (range.all || range.intervals.length === 0) return undefined;
  const iv = v ? range.intervals.find((x) => inInterval(v, x)) : range.intervals[range.intervals.length - 1];
  return iv?.hi && !iv.hiInclusive ? iv.hi : undefined;
}

/** Compact text form stored in the database and shown as evidence ("<2.9.7", ">=3.1.0 <3.1.2", "*"). */
export function formatRange(range: VersionRange): string {
  if (range.all) return '*';
  return range.intervals
    .map((iv) => {
      if (iv.lo && iv.hi && iv.loInclusive && iv.hiInclusive && compareVersions(iv.lo, iv.hi) === 0) return `=${formatVersion(iv.lo)}`;
      const parts: string[] = [];
      if (iv.lo) parts.push(`${iv.loInclusive ? '>=' : '>'}${formatVersion(iv.lo)}`);
      if (iv.hi) parts.push(`${iv.hiInclusive ? '<=' : '<'}${formatVersion(iv.hi)}`);
      return parts.join(' ');
    })
    .join(' | ');
}
