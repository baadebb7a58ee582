/**
 * What an asset's identity says about the products advisories name: normalised order/part numbers, model
 * tokens and the product series a catalogue number belongs to. Advisories name Siemens CPUs by order
 * number ("6ES7515-2AM02-0AB0") or by family ("SIMATIC S7-1500 CPU family (incl. related ET200 CPUs and
 * SIPLUS variants)"), Rockwell controllers by series ("ControlLogix 5580 controllers", "(1756-L8z)") and
 * Schneider CPUs by range and part-number wildcard ("Modicon M340 CPU (part numbers BMXP34*)").
 */

/** Order / part number as compared: upper case, no spaces ("6ES7 515-2AM02-0AB0" → "6ES7515-2AM02-0AB0"). */
export function normaliseOrderNumber(raw: string): string {
  return raw.toUpperCase().replace(/\s+/g, '').replace(/^MLFB[:-]?/, '');
}

/**
 * A product series a catalogue number identifies. `names` are the ways advisories write the series as a
 * product; a product name that matches one names the whole series (every CPU of it).
 */
export interface SeriesRule {
  series: string;
  vendor: string;
  /** matched against the normalised order number or model */
  catalogue: RegExp;
  /** matched against an advisory product name */
  names: RegExp;
}

export const SERIES_RULES: readonly SeriesRule[] = [
  // Siemens: 6ES7 51x / 6AG1 51x / 6AG2 51x are S7-1500 CPUs (6ES7 510/512 SP CPUs are "related ET200 CPUs")
  { series: 'SIMATIC S7-1500 CPU', vendor: 'siemens', catalogue: /^6(ES7|AG1|AG2)51[0-8]-/,
    names: /\bS7-1500\b(?![^()]*software controller)[^()]*\bCPUs?\b(?!\s*\d)/i },
  { series: 'SIMATIC S7-1200 CPU', vendor: 'siemens', catalogue: /^6(ES7|AG1|AG2)21[1-7]-1/,
    names: /\bS7-1200\b[^()]*\bCPUs?\b(?!\s*\d)/i },
  { series: 'SIMATIC S7-300 CPU', vendor: 'siemens', catalogue: /^6(ES7|AG1)31[2-9]-/,
    names: /\bS7-300\b[^()]*\bCPUs?\b(?!\s*\d)/i },
  { series: 'SIMATIC S7-400 CPU', vendor: 'siemens', catalogue: /^6(ES7|AG1)41[2-7]-/,
    names: /\bS7-400\b[^()]*\bCPUs?\b(?!\s*\d)/i },
  // Rockwell: catalogue 1756-L8x is ControlLogix 5580, 5069-L3xx CompactLogix 5380, 1756-L7x ControlLogix 5570
  { series: 'ControlLogix 5580', vendor: 'rockwellautomation', catalogue: /^1756-L8\d/,
    names: /\bControlLogix\s*5580\b(?!\s*Process)|\bControlLogix\b[^()]*\b1756\s*-\s*L8[xz]\b/i },
  { series: 'ControlLogix 5570', vendor: 'rockwellautomation', catalogue: /^1756-L7\d/,
    names: /\bControlLogix\s*5570\b|\bControlLogix\b[^()]*\b1756\s*-\s*L7[xz]\b/i },
  { series: 'CompactLogix 5380', vendor: 'rockwellautomation', catalogue: /^5069-L3\d/,
    names: /\bCompactLogix\s*5380\b(?!\s*Process)|\bCompactLogix\b[^()]*\b5069\s*-\s*L3[xz]/i },
  { series: 'CompactLogix 5370', vendor: 'rockwellautomation', catalogue: /^1769-L3\d/,
    names: /\bCompactLogix\s*5370\b/i },
  // Schneider: BMX P34 xxxx are Modicon M340 CPUs, BME P58 / BME H58 Modicon M580 CPUs
  { series: 'Modicon M340 CPU', vendor: 'schneiderelectric', catalogue: /^BMXP34/,
    names: /^(?:Modicon\s+)?M340(?:\s+(?:CPUs?|PLCs?|processors?|controllers?)(?:\s+with\s+firmware)?)?(?:\s*\(part numbers? BMXP34\*?\))?$|\bM340\b[^()]*\b(?:CPUs?|processors?)\b/i },
  { series: 'Modicon M580 CPU', vendor: 'schneiderelectric', catalogue: /^BME[PH]58/,
    names: /^(?:Modicon\s+)?M580(?:\s+(?:CPUs?|PLCs?|processors?|controllers?|ePAC))?(?:\s*\(part numbers? BME[PH]58\*?\))?$|\bM580\b[^()]*\b(?:CPUs?|processors?)\b(?![^()]*safety)/i },
];

/** Series a catalogue number belongs to (null when no rule knows it). */
export function seriesOf(vendorKey: string, catalogueNumbers: string[]): SeriesRule | null {
  for (const rule of SERIES_RULES) {
    if (vendorKey !== '' && vendorKey !== rule.vendor) continue;
    for (const c of catalogueNumbers) if (rule.catalogue.test(c)) return rule;
  }
  return null;
}

/**
 * Catalogue-like tokens of a name: words with a digit and at least 4 characters ("1515-2", "1756-L83E",
 * "BMXP342020", "SEL-3530", "1214C"), upper case. Revision suffixes ("/B") are dropped.
 */
export function modelTokens(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.toUpperCase().split(/[\s,();:]+/)) {
    // the token is a substring of raw: most words (short, or without a digit) are out before any rewriting
    if (raw.length < 4 || !/\d/.test(raw)) continue;
    const token = raw.replace(/\/[A-Z]$/, '').replace(/^[-/.]+|[-/.]+$/g, '');
    if (token.length >= 4 && /\d/.test(token) && /^[A-Z0-9][A-Z0-9\-/.+]*$/.test(token) && !/^(?:CVE|CWE)-/.test(token)
      && !/^\d{4}$/.test(token) && !/^V?\d+(?:\.\d+)+$/.test(token)) out.push(token);
  }
  return out;
}

/** A part-number wildcard written in a product name or model number list: "BMXP34*", "1756-L8z", "BMX P34x". */
export interface WildcardPattern {
  text: string;
  regex: RegExp;
}

const WILDCARD_IN_NAME = /\b([0-9A-Z]{2,}(?:\s?-\s?[0-9A-Z]+|\s[0-9A-Z]{2,})*?)(\*(?![0-9A-Za-z])|[xz]{1,3}\b)/g;

/** Wildcards of a product: model numbers with `*`, and catalogue prefixes followed by x/z/`*` in its name. */
export function wildcardsOf(name: string, models: string[]): WildcardPattern[] {
  const out: WildcardPattern[] = [];
  const add = (prefix: string, text: string): void => {
    const p = normaliseOrderNumber(prefix).replace(/-+$/, '');
    // a bare vendor word or a too-short prefix would match half a catalogue
    if (p.length < 4 || !/\d/.test(p) || !/[A-Z]/.test(p) && p.length < 5) return;
    if (out.some((w) => w.text === text)) return;
    const escaped = p.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    out.push({ text, regex: new RegExp(`^${escaped}[0-9A-Z]`) });
  };
  for (const m of models) {
    const star = m.indexOf('*');
    if (star <= 0) continue;
    // "BMEP58*S": what follows the star is a required suffix, so the pattern is anchored at both ends
    const parts = normaliseOrderNumber(m).split('*').map((x) => x.replace(/[.+?^${}()|[\]\\/]/g, '\\$&'));
    if (parts[0]!.length < 4) continue;
    out.push({ text: m, regex: new RegExp(`^${parts.join('[0-9A-Z]*')}${parts[parts.length - 1] === '' ? '' : '$'}`) });
  }
  for (const m of name.matchAll(WILDCARD_IN_NAME)) add(m[1]!, m[0]);
  return out;
}
