/**
 * Vendor keys for matching. Advisories spell one company ~500 ways ("Schneider Electric Software, LLC",
 * "Rockwell Automation/Allen-Bradley", "SIEMENS AG"); assets carry what their protocols declared. Both go
 * through the report's display-name normaliser, then a few advisory-specific aliases, then case folding.
 */
import { normalizeVendorName, PrefixPatterns } from '../model/vendor-names.js';

/** Advisory-only spellings the report's normaliser does not know (subsidiaries, brand names, typos). */
export const ALIASES: ReadonlyArray<readonly [RegExp, string]> = [
  [/^(allen[- ]?bradley|rockwell)/i, 'Rockwell Automation'],
  [/^(schneider|square d|invensys|wonderware|aveva\/schneider|telemecanique|modicon)/i, 'Schneider Electric'],
  [/^(siemens|siemes)/i, 'Siemens'],
  [/^(schweitzer|sel\b)/i, 'SEL'],
  [/^(ge\b|ge[- ](digital|vernova|grid|healthcare|gas power|intelligent)|general electric)/i, 'GE'],
  [/^(johnson controls|jci\b|tyco|sensormatic)/i, 'Johnson Controls'],
  [/^(mitsubishi electric|mitsubishi\b)/i, 'Mitsubishi Electric'],
  [/^(hitachi energy|abb)\b/i, 'ABB'],
  [/^(phoenix contact)/i, 'Phoenix Contact'],
  [/^(honeywell)/i, 'Honeywell'],
  [/^(emerson)/i, 'Emerson'],
  [/^(delta electronics)/i, 'Delta Electronics'],
  [/^(delta controls)/i, 'Delta Controls'],
  [/^(moxa)/i, 'Moxa'],
  [/^(omron)/i, 'Omron'],
  [/^(yokogawa)/i, 'Yokogawa'],
  [/^(microsoft)/i, 'Microsoft'],
];

const ALIAS_TABLE = new PrefixPatterns(ALIASES);

/** Display name for an advisory or asset vendor ("Schneider Electric Software, LLC" → "Schneider Electric"). */
export function vendorDisplayName(raw: string | null | undefined): string {
  if (!raw) return '';
  const trimmed = raw.replace(/\s+/g, ' ').trim();
  return ALIAS_TABLE.firstMatch(trimmed) ?? normalizeVendorName(trimmed);
}

/** Key used to compare vendors: the display name, lower case, without punctuation. */
export function vendorKey(raw: string | null | undefined): string {
  return vendorDisplayName(raw).toLowerCase().replace(/[^a-z0-9]+/g, '');
}
