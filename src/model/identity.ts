/**
 * Identity merging: every fact any protocol stated about an asset becomes a claim with its confidence and the
 * frames that carried it; one winner per field fills the asset's flat fields (vendor, model, ...), and fields
 * whose claims disagree are listed in `identityConflicts` instead of being silently resolved.
 *
 * Winner per field: highest confidence; among equals the most specific value (one that contains the others,
 * "CPU 315-2 PN/DP" over "CPU 315-2"), then the most recently stated. For the vendor, any protocol-declared
 * claim beats the MAC's IEEE registration (OUI). Runs once per asset at report time.
 */
import type { IdentityClaim, IdentitySource, OsSummary } from '../report/types.js';
import { describeMac } from './oui.js';
import { osFamily, osFromTtl } from './os.js';
import { normalizeVendorName } from './vendor-names.js';

/** One stored fact with the strongest confidence and latest time it was stated with. */
export interface FactEvidence {
  field: string;
  value: string;
  protocol: string;
  frame: number;
  captureIndex: number;
  confidence: number;
  /** epoch seconds of the latest statement */
  ts: number;
}

/** Fields merged into `identity` (others stay raw facts only). */
export const IDENTITY_FIELDS = ['vendor', 'model', 'firmware', 'serial', 'os', 'hostname', 'domain', 'user'] as const;
export type IdentityField = (typeof IDENTITY_FIELDS)[number];

/** Fields where several values are normal (a host has many users) and never a conflict. */
const MULTI_VALUED: ReadonlySet<IdentityField> = new Set(['user']);

/** Pseudo-protocol of claims from the IEEE MAC registry; frame 0 means "not from a frame". */
export const OUI_SOURCE = 'oui';
/** Pseudo-protocol of the TTL-based OS guess. */
export const TTL_SOURCE = 'ttl';
/** Confidence of a vendor known only from the MAC registration (NICs are often third-party). */
export const OUI_VENDOR_CONFIDENCE = 0.5;

export interface IdentityOptions {
  maxClaimsPerField: number;
  maxSourcesPerClaim: number;
  maxHostnames: number;
  maxUsers: number;
}

export const DEFAULT_IDENTITY_OPTIONS: Readonly<IdentityOptions> = {
  maxClaimsPerField: 8,
  maxSourcesPerClaim: 4,
  maxHostnames: 16,
  maxUsers: 32,
};

export interface MergedIdentity {
  identity: Partial<Record<IdentityField, IdentityClaim[]>>;
  identityConflicts: IdentityField[];
  vendor: string | null;
  vendorSource: string | null;
  model: string | null;
  firmware: string | null;
  serial: string | null;
  os: OsSummary | null;
  hostnames: string[];
  domain: string | null;
  users: string[];
}

interface WorkingClaim {
  value: string;
  confidence: number;
  ts: number;
  sources: Array<IdentitySource & { confidence: number }>;
}

function key(field: IdentityField, value: string): string {
  if (field === 'vendor') return normalizeVendorName(value).toLowerCase();
  if (field === 'hostname' || field === 'domain' || field === 'user') return value.toLowerCase();
  return value;
}

function canonical(field: IdentityField, value: string): string {
  return field === 'vendor' ? normalizeVendorName(value) : value;
}

function compact(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]/g, '');
}

function initials(text: string): string {
  return text
    .split(/[^A-Za-z]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toLowerCase())
    .join('');
}

/** Whether two values of a field can both be true of one device (corroboration), or contradict each other. */
export function compatibleValues(field: string, a: string, b: string): boolean {
  if (field === 'os') {
    const fa = osFamily(a);
    const fb = osFamily(b);
    if (fa !== 'other' && fb !== 'other') return fa === fb;
  }
  if (field === 'hostname') {
    const label = (s: string) => s.toLowerCase().split('.')[0]!;
    return label(a) === label(b);
  }
  const ca = compact(a);
  const cb = compact(b);
  if (ca === '' || cb === '') return true;
  if (ca.includes(cb) || cb.includes(ca)) return true;
  if (field === 'vendor') return ca === initials(b) || cb === initials(a);
  return false;
}

/** Claims of one field, best first, from facts plus extra (derived) claims. */
function claimsOf(field: IdentityField, facts: readonly FactEvidence[], extra: readonly FactEvidence[], options: IdentityOptions): WorkingClaim[] {
  const byKey = new Map<string, WorkingClaim>();
  for (const f of [...facts, ...extra]) {
    const value = canonical(field, f.value.trim());
    if (value === '') continue;
    const k = key(field, value);
    let claim = byKey.get(k);
    if (!claim) {
      claim = { value, confidence: f.confidence, ts: f.ts, sources: [] };
      byKey.set(k, claim);
    }
    if (f.confidence > claim.confidence) claim.confidence = f.confidence;
    if (f.ts > claim.ts) claim.ts = f.ts;
    claim.sources.push({ protocol: f.protocol, frame: f.frame, captureIndex: f.captureIndex, confidence: f.confidence });
  }
  const claims = [...byKey.values()];
  for (const c of claims) {
    c.sources.sort((x, y) => y.confidence - x.confidence || x.captureIndex - y.captureIndex || x.frame - y.frame || cmp(x.protocol, y.protocol));
    c.sources = c.sources.slice(0, options.maxSourcesPerClaim);
  }
  return claims.sort((a, b) => compareClaims(field, a, b, claims));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareClaims(field: IdentityField, a: WorkingClaim, b: WorkingClaim, all: readonly WorkingClaim[]): number {
  // Protocol-declared vendors beat the MAC registration whatever their confidence.
  if (field === 'vendor') {
    const aOui = a.sources.every((s) => s.protocol === OUI_SOURCE);
    const bOui = b.sources.every((s) => s.protocol === OUI_SOURCE);
    if (aOui !== bOui) return aOui ? 1 : -1;
  }
  if (a.confidence !== b.confidence) return b.confidence - a.confidence;
  const specific = (c: WorkingClaim) => all.filter((o) => o !== c && o.confidence === c.confidence && compact(c.value).includes(compact(o.value))).length;
  return specific(b) - specific(a) || b.ts - a.ts || cmp(a.value, b.value);
}

function publicClaim(c: WorkingClaim): IdentityClaim {
  return {
    value: c.value,
    confidence: round(c.confidence),
    sources: c.sources.map((s) => ({ protocol: s.protocol, frame: s.frame, captureIndex: s.captureIndex })),
  };
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

/**
 * Merges an asset's facts. `mac` adds the OUI vendor claim; `ttlCounts` (initial TTL → flows) adds the OS guess
 * of last resort when no protocol stated an OS.
 */
export function mergeIdentity(
  facts: readonly FactEvidence[],
  mac: string | null,
  ttlCounts: ReadonlyMap<number, number> | null,
  options: IdentityOptions = DEFAULT_IDENTITY_OPTIONS,
): MergedIdentity {
  const byField = new Map<IdentityField, FactEvidence[]>();
  for (const f of facts) {
    const field = (f.field === 'product' ? 'model' : f.field) as IdentityField;
    if (!(IDENTITY_FIELDS as readonly string[]).includes(field)) continue;
    // A product name only stands in for the model when no protocol stated a model.
    if (f.field === 'product' && facts.some((g) => g.field === 'model')) continue;
    let list = byField.get(field);
    if (!list) byField.set(field, (list = []));
    list.push(f);
  }
  const extra = new Map<IdentityField, FactEvidence[]>();
  if (mac !== null) {
    const registered = describeMac(mac).vendor;
    if (registered !== null && normalizeVendorName(registered) !== '') {
      extra.set('vendor', [{ field: 'vendor', value: registered, protocol: OUI_SOURCE, frame: 0, captureIndex: 0, confidence: OUI_VENDOR_CONFIDENCE, ts: 0 }]);
    }
  }
  if (!byField.has('os') && ttlCounts !== null) {
    const guess = osFromTtl(ttlCounts);
    if (guess) extra.set('os', [{ field: 'os', value: guess.value, protocol: TTL_SOURCE, frame: 0, captureIndex: 0, confidence: guess.confidence, ts: 0 }]);
  }

  const identity: Partial<Record<IdentityField, IdentityClaim[]>> = {};
  const conflicts: IdentityField[] = [];
  const winners = new Map<IdentityField, WorkingClaim>();
  const all = new Map<IdentityField, WorkingClaim[]>();
  for (const field of IDENTITY_FIELDS) {
    const claims = claimsOf(field, byField.get(field) ?? [], extra.get(field) ?? [], options);
    if (claims.length === 0) continue;
    all.set(field, claims);
    winners.set(field, claims[0]!);
    identity[field] = claims.slice(0, field === 'user' ? options.maxUsers : options.maxClaimsPerField).map(publicClaim);
    if (!MULTI_VALUED.has(field) && claims.some((c) => !compatibleValues(field, claims[0]!.value, c.value))) conflicts.push(field);
  }

  const vendor = winners.get('vendor');
  const os = winners.get('os');
  const value = (field: IdentityField) => winners.get(field)?.value ?? null;
  return {
    identity,
    identityConflicts: conflicts,
    vendor: vendor?.value ?? null,
    vendorSource: vendor?.sources[0]?.protocol ?? null,
    model: value('model'),
    firmware: value('firmware'),
    serial: value('serial'),
    os: os ? { value: os.value, confidence: round(os.confidence), source: os.sources[0]!.protocol, family: osFamily(os.value) } : null,
    hostnames: [...new Set((byField.get('hostname') ?? []).map((f) => f.value))].sort(cmp).slice(0, options.maxHostnames),
    domain: value('domain'),
    users: (all.get('user') ?? []).map((c) => c.value).sort(cmp).slice(0, options.maxUsers),
  };
}
