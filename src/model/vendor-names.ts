/**
 * Display names for vendors. IEEE registry names and protocol-declared names spell one company many ways
 * ("Siemens AG", "SIEMENS AG", "Siemens Industry, Inc."); the report shows one short name and keeps the raw
 * spelling in the asset's facts. Not a per-packet path.
 */

/** Well-known brands (OT first), matched against the cleaned name: first match wins. */
const BRANDS: ReadonlyArray<readonly [RegExp, string]> = [
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

/** Short display name for a vendor string (registry or protocol-declared). Empty input gives "". */
export function normalizeVendorName(raw: string): string {
  let name = raw.replace(/\s+/g, ' ').trim().replace(/[\s,;.]+$/, '');
  if (name === '') return '';
  const lower = name.toLowerCase();
  for (const [pattern, brand] of BRANDS) if (pattern.test(lower)) return brand;
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
