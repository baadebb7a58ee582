/**
 * Display names for vendors. IEEE registry names and protocol-declared names spell one company many ways
 * ("Siemens AG", "SIEMENS AG", "Siemens Industry, Inc."); the report shows one short name and keeps the raw
 * spelling in the asset's facts. Not a per-packet path.
 */

/**
 * An ordered list of start-anchored patterns (`/^word/`, `/^(a|b)/`), first match wins, where a text is tested
 * only against the patterns that can match its first character. Vendor names are normalised for every distinct
 * spelling in the vulnerability database (~500) and every asset: testing each against ~60 patterns, in code
 * that runs once and cold, costs more than the rest of the normalisation. A pattern whose first character
 * cannot be read off its source is tested against every text, so the answer is always the plain loop's.
 */
export class PrefixPatterns<T> {
  private readonly byFirst = new Map<string, Array<readonly [RegExp, T]>>();
  /** patterns for a text whose first character starts no known pattern (only the unreadable ones) */
  private readonly anyFirst: Array<readonly [RegExp, T]> = [];

  constructor(patterns: ReadonlyArray<readonly [RegExp, T]>) {
    for (const entry of patterns) {
      const firsts = leadingChars(entry[0]);
      if (firsts === null) {
        for (const list of this.byFirst.values()) list.push(entry);
        this.anyFirst.push(entry);
        continue;
      }
      for (const c of firsts) {
        let list = this.byFirst.get(c);
        if (list === undefined) {
          list = [...this.anyFirst];
          this.byFirst.set(c, list);
        }
        list.push(entry);
      }
    }
  }

  /** The value of the first pattern (in list order) that matches `text`, or undefined. */
  firstMatch(text: string): T | undefined {
    const list = (text.length > 0 ? this.byFirst.get(text[0]!) : undefined) ?? this.anyFirst;
    for (const [pattern, value] of list) if (pattern.test(text)) return value;
    return undefined;
  }
}

/**
 * The characters a match of `re` must start with, or null when that cannot be told from its source. Read
 * are: `^literal...` and `^(alt|alt|...)...`, each alternative starting with a letter or digit that is not
 * optional. Under the i flag a letter stands for both cases (non-unicode case folding never maps a non-ASCII
 * character to an ASCII one, so ASCII letters are all there is to add).
 */
function leadingChars(re: RegExp): Set<string> | null {
  if (re.global || re.sticky || re.multiline) return null;
  const src = re.source;
  if (src[0] !== '^') return null;
  let alternatives: string[];
  if (src[1] === '(') {
    if (src[2] === '?') return null;
    let depth = 0;
    let close = -1;
    const cuts: number[] = [];
    for (let i = 1; i < src.length && close < 0; i++) {
      const c = src[i];
      if (c === '\\') { i++; continue; }
      if (c === '[') { // a class may hold ( ) | literally
        while (i < src.length && src[i] !== ']') i += src[i] === '\\' ? 2 : 1;
        continue;
      }
      if (c === '(') depth++;
      else if (c === ')' && --depth === 0) close = i;
      else if (c === '|' && depth === 1) cuts.push(i);
    }
    if (close < 0) return null;
    // the group itself must not be optional, and nothing after it may open a top-level alternative
    if (/^[?*]|^\{0/.test(src.slice(close + 1)) || hasTopLevelBar(src.slice(close + 1))) return null;
    alternatives = [];
    let from = 2;
    for (const cut of cuts) { alternatives.push(src.slice(from, cut)); from = cut + 1; }
    alternatives.push(src.slice(from, close));
  } else {
    if (hasTopLevelBar(src)) return null;
    alternatives = [src.slice(1)];
  }
  const out = new Set<string>();
  for (const alt of alternatives) {
    const c = alt[0];
    if (c === undefined || !/^[A-Za-z0-9]$/.test(c) || /^[?*]|^\{0/.test(alt.slice(1))) return null;
    if (re.ignoreCase) {
      out.add(c.toLowerCase());
      out.add(c.toUpperCase());
    } else {
      out.add(c);
    }
  }
  return out;
}

/** Whether `src` has a `|` outside every group and class (an alternative the leading ^ does not anchor). */
function hasTopLevelBar(src: string): boolean {
  let depth = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '\\') { i++; continue; }
    if (c === '[') {
      while (i < src.length && src[i] !== ']') i += src[i] === '\\' ? 2 : 1;
      continue;
    }
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) return true;
  }
  return false;
}

/** Well-known brands (OT first), matched against the cleaned name: first match wins. */
export const BRANDS: ReadonlyArray<readonly [RegExp, string]> = [
  [/^siemens\b/, 'Siemens'],
  [/^(rockwell|allen[- ]?bradley)\b/, 'Rockwell Automation'],
  [/^(schneider|telemecanique|telemechanique|modicon|square d)\b/, 'Schneider Electric'],
  [/^phoenix contact\b/, 'Phoenix Contact'],
  [/^wago\b/, 'WAGO'],
  [/^beckhoff\b/, 'Beckhoff'],
  [/^mitsubishi electric\b/, 'Mitsubishi Electric'],
  [/^omron\b/, 'Omron'],
  [/^abb\b/, 'ABB'],
  [/^(ge|general electric)\b/, 'GE'],
  [/^honeywell\b/, 'Honeywell'],
  [/^emerson\b/, 'Emerson'],
  [/^yokogawa\b/, 'Yokogawa'],
  [/^hirschmann\b/, 'Hirschmann'],
  [/^moxa\b/, 'Moxa'],
  [/^hilscher\b/, 'Hilscher'],
  [/^(b&r|bernecker)\b/, 'B&R'],
  [/^pilz\b/, 'Pilz'],
  [/^eaton\b/, 'Eaton'],
  [/^belden\b/, 'Belden'],
  [/^advantech\b/, 'Advantech'],
  [/^red lion\b/, 'Red Lion'],
  [/^westermo\b/, 'Westermo'],
  [/^(hms industrial|hms technology|ewon)\b/, 'HMS Networks'],
  [/^turck\b/, 'Turck'],
  [/^festo\b/, 'Festo'],
  [/^schweitzer engineering\b/, 'SEL'],
  [/^(cisco|cisco systems)\b/, 'Cisco'],
  [/^(hewlett[- ]packard|hp inc|hpe)\b/, 'HP'],
  [/^dell\b/, 'Dell'],
  [/^vmware\b/, 'VMware'],
  [/^intel\b/, 'Intel'],
  [/^microsoft\b/, 'Microsoft'],
  [/^apple\b/, 'Apple'],
  [/^raspberry pi\b/, 'Raspberry Pi'],
  [/^juniper\b/, 'Juniper'],
  [/^fortinet\b/, 'Fortinet'],
  [/^palo alto networks\b/, 'Palo Alto Networks'],
];

/** Legal-form suffixes dropped from the end of a name (repeatedly: "Foo Co., Ltd." → "Foo"). */
const LEGAL_SUFFIX =
  /[\s,]+(ag|gmbh|gmbh & co\.? kg|co\.? kg|kg|inc|incorporated|corp|corporation|co|company|ltd|limited|llc|l\.l\.c|plc|s\.?a|s\.?a\.?s|s\.?r\.?l|s\.?p\.?a|b\.?v|n\.?v|a\/s|as|ab|oy|k\.?k|pty|pte|sdn bhd|co\.?,? ?ltd)\.?$/i;

const BRAND_TABLE = new PrefixPatterns(BRANDS);

/** Short display name for a vendor string (registry or protocol-declared). Empty input gives "". */
export function normalizeVendorName(raw: string): string {
  let name = raw.replace(/\s+/g, ' ').trim().replace(/[\s,;.]+$/, '');
  if (name === '') return '';
  const lower = name.toLowerCase();
  const brand = BRAND_TABLE.firstMatch(lower);
  if (brand !== undefined) return brand;
  for (let guard = 0; guard < 4; guard++) {
    const stripped = name.replace(LEGAL_SUFFIX, '').replace(/[\s,;]+$/, '');
    if (stripped === name || stripped === '') break;
    name = stripped;
  }
  // Registry names in capitals ("TELEMECANIQUE ELECTRIQUE") read better in title case; short acronyms stay.
  if (name === name.toUpperCase() && /[A-Z]{4}/.test(name)) {
    name = name.toLowerCase().replace(/(^|[\s\-/(&])([a-z])/g, (_m, sep: string, ch: string) => sep + ch.toUpperCase());
  }
  return name;
}
