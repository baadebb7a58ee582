/**
 * Asset → advisories. The database is indexed once (order numbers, part-number wildcards, product series,
 * model tokens); each asset is then a handful of map lookups, so a 10,000-asset inventory matches in well
 * under a second.
 *
 * Product match, strongest first: exact order/part number; part-number wildcard; product series its
 * catalogue number belongs to; model name; partial name. Firmware: in range, fixed (no match), all
 * versions, unknown, range not parsed ("needs review"). Confidence: high = model-level product match and the
 * firmware is in range (or every version is affected); medium = model-level match but the firmware is
 * unknown or the range is unparsed; low = name-only product match.
 */
import { higherCvss, toCvssRating, type CvssRating, type CvssScore } from './cvss.js';
import type { KevEntry, VulnDatabase, VulnDbAdvisory, VulnDbProduct } from './db.js';
import { modelTokens, normaliseOrderNumber, seriesOf, wildcardsOf, type SeriesRule, type WildcardPattern } from './identity.js';
import { OS_KEV_RULES, windowsReleaseOf, type OsKevRule } from './os-kev.js';
import { vendorKey } from './vendor.js';
import { fixedVersionOf, formatVersion, inRange, parseVersion, parseVersionRange, type Version, type VersionRange } from './version.js';

/** The subset of an AssetReport the matcher reads (src/report/types.ts). */
export interface MatchableAsset {
  vendor?: string | null;
  model?: string | null;
  firmware?: string | null;
  orderNumber?: string | null;
  os?: string | null;
  roles?: readonly string[];
  protocols?: ReadonlyArray<{ name: string; role: string }>;
  facts?: ReadonlyArray<{ field: string; value: string }>;
}

export type MatchConfidence = 'high' | 'medium' | 'low';

export interface VulnMatch {
  /** advisory id ("ICSA-23-012-08"), or the KEV rule for OS matches ("MS17-010") */
  advisoryId: string;
  title: string;
  cves: string[];
  /** headline: the v3.x rating when there is one, else the v4.0 one (the report's `cvss`) */
  cvss: { version: string; score: number | null; vector: string } | null;
  /** highest CVSS v3.x base score among the matched CVEs, computed from the vector (src/vuln/cvss.ts) */
  cvssV3: CvssRating | null;
  /** highest CVSS v4.0 base score among the matched CVEs (vectors quoted in the advisory's notes) */
  cvssV4: CvssRating | null;
  kev: boolean;
  ssvc?: { cve: string; exploitation: string; automatable: string; technicalImpact: string; assessed: string };
  confidence: MatchConfidence;
  evidence: string[];
  fixedIn?: string;
  remediation?: string;
  url?: string;
  /** the version range could not be read: an analyst should check it */
  needsReview?: boolean;
}

type ProductMatchKind = 'order-number' | 'wildcard' | 'series' | 'model' | 'name';

interface PreparedProduct {
  index: number;
  vendorKey: string;
  /** undefined until the product is first evaluated: indexing needs names, not ranges */
  range: VersionRange | null | undefined;
  /** a constraint written in the product name itself ("S7-1200 CPU family < V4.x") */
  nameRange: VersionRange | null | undefined;
  models: string[];
  wildcards: WildcardPattern[];
  tokens: ReadonlySet<string>;
  /** catalogue-looking tokens in the name that are order numbers ("6ES7515-2AM02-0AB0") */
  hasOrderNumbers: boolean;
}

const CONFIDENCE_RANK: Record<MatchConfidence, number> = { high: 3, medium: 2, low: 1 };
const MAX_EVIDENCE = 8;
const ORDER_NUMBER_SHAPE = /^(?:[0-9][A-Z]{2}[0-9]{4}-[0-9A-Z]{5}-[0-9A-Z]{4}|[0-9][A-Z]{2}[0-9]{4}-[0-9A-Z]{5}|BM[EX][A-Z]{3}[0-9]{4,6}[A-Z]?)$/;

/**
 * What the matcher indexes of one vendor's products, each part built when first asked for: a token's products
 * when an asset names that token, a series' products when an asset belongs to it, the wildcards when an asset of
 * the vendor is first matched. One vendor can hold 10,000 products (Siemens): tokenising them all would cost more
 * than the rest of the run.
 */
interface VendorIndex {
  /** the vendor's products with affected CVEs, ascending (the only ones the token, series and wildcard paths use) */
  affected: number[];
  /** upper-case names beside `affected`: a token of a name is a substring of it (cheap pre-filter) */
  upperNames: UpperNames | null;
  byToken: Map<string, number[]>;
  bySeries: Map<string, number[]>;
  wildcards: Array<{ pattern: WildcardPattern; product: number }> | null;
  /** product name → fixed versions of that product in the advisory ("Modicon M340 / SV3.65" fixed), per advisory */
  fixedVersions: Map<string, string[]>;
}

/** Upper-case names, each followed by '\n', in one text; name k is text[starts[k], starts[k + 1] - 1). */
interface UpperNames {
  text: string;
  /** one entry per name plus the text's length */
  starts: number[];
}

function upperNamesOf(names: string[]): UpperNames {
  const starts: number[] = new Array<number>(names.length + 1);
  const upper: string[] = new Array<string>(names.length);
  let at = 0;
  for (let k = 0; k < names.length; k++) {
    starts[k] = at;
    upper[k] = names[k]!.toUpperCase();
    at += upper[k]!.length + 1;
  }
  starts[names.length] = at;
  return { text: upper.join('\n') + '\n', starts };
}

/** Derived from a product name alone (shared by the products carrying that name; read-only). */
interface NameFacts {
  tokens: ReadonlySet<string>;
  /** one of the tokens is order-number shaped */
  hasOrderNumber: boolean;
  /** wildcardsOf(name, []): built when a product without starred model numbers first needs it */
  wildcards: WildcardPattern[] | null;
}

const NO_KEYS: readonly string[] = [];

/** A name can hold an order-number-shaped token only if its upper-case form holds this (ORDER_NUMBER_SHAPE's stems). */
const ORDER_NUMBER_STEM = /[0-9][A-Z]{2}[0-9]{4}-[0-9A-Z]{5}|BM[EX][A-Z]{3}[0-9]{4}/;
const ORDER_NUMBER_STEM_ANY_CASE = new RegExp(ORDER_NUMBER_STEM.source, 'i');

/**
 * Whether modelTokens(name) can hold an order number, without upper-casing every name: an ASCII match is one
 * in the upper-case form; only non-ASCII letters ("ß" → "SS") can make the upper-case form match when the
 * name does not.
 */
function mayHoldOrderNumber(name: string): boolean {
  return ORDER_NUMBER_STEM_ANY_CASE.test(name) || (/[^\x00-\x7f]/.test(name) && ORDER_NUMBER_STEM.test(name.toUpperCase()));
}

/**
 * The index is built on demand, per vendor: an inventory names a handful of vendors, the database ~500, so a
 * run indexes (tokenises, parses version ranges of, compiles wildcards for) only the products it can match.
 * Results do not depend on what was indexed before: every list keeps the database's product order.
 */
export class VulnMatcher {
  private products: VulnDbProduct[] | null = null;
  /** per product: its vendor key (computed once per distinct advisory vendor spelling) */
  private productVendorKey: string[] = [];
  /** vendor key → its products, ascending */
  private readonly productsByVendor = new Map<string, number[]>();
  private readonly prepared: Array<PreparedProduct | undefined> = [];
  private readonly vendorIndexes = new Map<string, VendorIndex>();
  /** order number → affected products naming it, across vendors (built on the first asset with an order number) */
  private byOrderNumber: Map<string, number[]> | null = null;
  /**
   * What a product name says, per distinct name: advisories repeat names and model numbers across revisions
   * and products (~17,000 products carry ~8,000 names and ~1,000 model numbers), and these are pure functions
   * of the text. The values are shared between products and never modified.
   */
  private readonly nameFacts = new Map<string, NameFacts>();
  /** name → its order-number-shaped model tokens (only names that can hold one are tokenised) */
  private readonly orderTokensOfName = new Map<string, readonly string[]>();
  private readonly normalisedModels = new Map<string, string>();

  constructor(private readonly db: VulnDatabase) {}

  private productList(): VulnDbProduct[] {
    if (this.products === null) {
      const products = this.db.products;
      const keyOfSpelling = new Map<string, string>();
      const keys: string[] = new Array<string>(products.length);
      for (let i = 0; i < products.length; i++) {
        const spelling = products[i]!.vendor;
        let key = keyOfSpelling.get(spelling);
        if (key === undefined) {
          key = vendorKey(spelling);
          keyOfSpelling.set(spelling, key);
        }
        keys[i] = key;
        const list = this.productsByVendor.get(key);
        if (list === undefined) this.productsByVendor.set(key, [i]);
        else list.push(i);
      }
      this.productVendorKey = keys;
      this.products = products;
    }
    return this.products;
  }

  private preparedOf(index: number): PreparedProduct {
    let prepared = this.prepared[index];
    if (prepared === undefined) {
      const p = this.productList()[index]!;
      const models: string[] = [];
      let starred = false;
      for (const m of p.models) {
        if (!m.includes('*')) models.push(this.normalisedModel(m));
        else if (m.indexOf('*') > 0) starred = true;
      }
      const facts = this.factsOfName(p.name);
      // without a starred model number, a product's wildcards are its name's
      const wildcards = starred ? wildcardsOf(p.name, p.models) : (facts.wildcards ??= wildcardsOf(p.name, []));
      prepared = {
        index, vendorKey: this.productVendorKey[index]!, range: undefined, models,
        nameRange: undefined,
        wildcards, tokens: facts.tokens,
        hasOrderNumbers: models.length > 0 || facts.hasOrderNumber,
      };
      this.prepared[index] = prepared;
    }
    return prepared;
  }

  private normalisedModel(model: string): string {
    let n = this.normalisedModels.get(model);
    if (n === undefined) {
      n = normaliseOrderNumber(model);
      this.normalisedModels.set(model, n);
    }
    return n;
  }

  private factsOfName(name: string): NameFacts {
    let facts = this.nameFacts.get(name);
    if (facts === undefined) {
      const tokens = new Set(modelTokens(name));
      let hasOrderNumber = false;
      for (const t of tokens) if (ORDER_NUMBER_SHAPE.test(t)) { hasOrderNumber = true; break; }
      facts = { tokens, hasOrderNumber, wildcards: null };
      this.nameFacts.set(name, facts);
    }
    return facts;
  }

  private vendorIndex(vKey: string): VendorIndex {
    let vi = this.vendorIndexes.get(vKey);
    if (vi !== undefined) return vi;
    const products = this.productList();
    vi = { affected: [], upperNames: null, byToken: new Map(), bySeries: new Map(), wildcards: null, fixedVersions: new Map() };
    for (const index of this.productsByVendor.get(vKey) ?? []) {
      const p = products[index]!;
      if (p.affected.length > 0) {
        vi.affected.push(index);
      } else if (p.fixed.length > 0 && p.version) {
        const key = `${p.advisory}\u0000${p.name}`;
        const list = vi.fixedVersions.get(key) ?? [];
        list.push(p.version.replace(/^vers:[a-z]*\//i, ''));
        vi.fixedVersions.set(key, list);
      }
    }
    this.vendorIndexes.set(vKey, vi);
    return vi;
  }

  /** The vendor's affected products whose name holds model token `token`, ascending. */
  private tokenProducts(vKey: string, token: string): number[] {
    const vi = this.vendorIndex(vKey);
    let list = vi.byToken.get(token);
    if (list === undefined) {
      const products = this.productList();
      vi.upperNames ??= upperNamesOf(vi.affected.map((i) => products[i]!.name));
      list = [];
      // one native search through all the vendor's names (10,000 for Siemens) instead of a test per name
      const { text, starts } = vi.upperNames;
      let k = 0;
      for (let at = vi.affected.length > 0 ? text.indexOf(token) : -1; at >= 0; at = text.indexOf(token, starts[k + 1]!)) {
        while (starts[k + 1]! <= at) k++;
        const index = vi.affected[k]!;
        if (this.preparedOf(index).tokens.has(token)) list.push(index);
        // the next search starts at the next name: each product is looked at once
        if (k + 1 >= vi.affected.length) break;
      }
      vi.byToken.set(token, list);
    }
    return list;
  }

  /** The rule vendor's affected products that name the series as a product, ascending. */
  private seriesProducts(rule: SeriesRule): number[] {
    const vi = this.vendorIndex(rule.vendor);
    let list = vi.bySeries.get(rule.series);
    if (list === undefined) {
      const products = this.productList();
      list = vi.affected.filter((i) => rule.names.test(products[i]!.name));
      vi.bySeries.set(rule.series, list);
    }
    return list;
  }

  private vendorWildcards(vKey: string): Array<{ pattern: WildcardPattern; product: number }> {
    const vi = this.vendorIndex(vKey);
    if (vi.wildcards === null) {
      const products = this.productList();
      vi.wildcards = [];
      for (const index of vi.affected) {
        const p = products[index]!;
        // wildcardsOf finds nothing without a model written with a star or a "*", "x" or "z" in the name
        if (!p.models.some((m) => m.indexOf('*') > 0) && !/[*xz]/.test(p.name)) continue;
        for (const w of this.preparedOf(index).wildcards) vi.wildcards.push({ pattern: w, product: index });
      }
    }
    return vi.wildcards;
  }

  private orderNumberIndex(): Map<string, number[]> {
    if (this.byOrderNumber === null) {
      const products = this.productList();
      const index = new Map<string, number[]>();
      for (let i = 0; i < products.length; i++) {
        const p = products[i]!;
        if (p.affected.length === 0) continue;
        // the keys preparedOf would give (models without wildcards, order-number-shaped name tokens), without
        // tokenising and compiling wildcards for every product that lists model numbers; a key met twice for
        // one product is pushed once (push skips a repeat of the last product)
        // (indexed loops: this runs once per product, mostly before it is optimised, where for-of costs more)
        const models = p.models;
        for (let k = 0; k < models.length; k++) if (!models[k]!.includes('*')) push(index, this.normalisedModel(models[k]!), i);
        let nameKeys = this.orderTokensOfName.get(p.name);
        if (nameKeys === undefined) {
          // most names hold no order number: tokenise only those that can
          nameKeys = mayHoldOrderNumber(p.name) ? modelTokens(p.name).filter((t) => ORDER_NUMBER_SHAPE.test(t)) : NO_KEYS;
          this.orderTokensOfName.set(p.name, nameKeys);
        }
        for (let k = 0; k < nameKeys.length; k++) push(index, nameKeys[k]!, i);
      }
      this.byOrderNumber = index;
    }
    return this.byOrderNumber;
  }

  /** Wildcards of every vendor, vendors in the order their first wildcard product appears (asset without vendor). */
  private allWildcards(): Array<{ pattern: WildcardPattern; product: number }> {
    this.productList();
    const lists: Array<Array<{ pattern: WildcardPattern; product: number }>> = [];
    for (const vKey of this.productsByVendor.keys()) {
      const w = this.vendorWildcards(vKey);
      if (w.length > 0) lists.push(w);
    }
    lists.sort((a, b) => a[0]!.product - b[0]!.product);
    return lists.flat();
  }

  /** Every advisory (and OS-level KEV entry) that concerns the asset, strongest first. */
  matchAsset(asset: MatchableAsset): VulnMatch[] {
    const identity = describeAsset(asset);
    const found = new Map<number, { kind: ProductMatchKind; detail: string }>();
    const note = (product: number, kind: ProductMatchKind, detail: string): void => {
      const prev = found.get(product);
      if (prev === undefined || KIND_RANK[kind] > KIND_RANK[prev.kind]) found.set(product, { kind, detail });
    };
    const vendorOk = (p: PreparedProduct): boolean => identity.vendorKey === '' || p.vendorKey === identity.vendorKey;

    if (identity.orderNumbers.length > 0) {
      const byOrderNumber = this.orderNumberIndex();
      for (const o of identity.orderNumbers) {
        for (const i of byOrderNumber.get(o) ?? []) note(i, 'order-number', `order number ${o} listed`);
      }
    }
    // an asset with no catalogue text (vendor only: most IT hosts) cannot hit a wildcard; not building the
    // vendor's wildcards then keeps such runs from decoding the product list at all
    if (identity.catalogue.length > 0 && (identity.vendorKey !== '' || identity.orderNumbers.length > 0)) {
      const wildcards = identity.vendorKey !== '' ? this.vendorWildcards(identity.vendorKey) : this.allWildcards();
      for (const { pattern, product } of wildcards) {
        const hit = identity.catalogue.find((c) => pattern.regex.test(c));
        if (hit !== undefined) note(product, 'wildcard', `${hit} matches part-number wildcard ${pattern.text}`);
      }
    }
    if (identity.series) {
      // series products are indexed under the rule's vendor (an asset without a vendor still finds them)
      for (const i of this.seriesProducts(identity.series)) {
        const p = this.preparedOf(i);
        if (vendorOk(p) && !p.hasOrderNumbers) note(i, 'series', `${identity.catalogueUsed} is a ${identity.series.series} (product names the series)`);
      }
    }
    if (identity.vendorKey !== '' && identity.tokens.length > 0) {
      // only this vendor's products: vendorOk() rejects every other one
      const counts = new Map<number, number>();
      for (const t of identity.tokens) for (const i of this.tokenProducts(identity.vendorKey, t)) counts.set(i, (counts.get(i) ?? 0) + 1);
      for (const [i, n] of counts) {
        const p = this.preparedOf(i);
        if (!vendorOk(p)) continue;
        // a product pinned to order numbers that are not ours is another variant of the same model
        if (p.hasOrderNumbers && identity.orderNumbers.length > 0) continue;
        const name = this.productList()[i]!.name;
        const model = identity.models.find((m) => containsWords(name, m));
        if (model !== undefined) note(i, 'model', `model "${model}" named in the product`);
        else if (identity.orderNumbers.length === 0) {
          note(i, 'name', `model token${n > 1 ? 's' : ''} ${identity.tokens.filter((t) => p.tokens.has(t)).join(' ')} named in the product (${n === identity.tokens.length ? 'all' : 'some'} of "${identity.models[0] ?? ''}")`);
        }
      }
    }

    const byAdvisory = new Map<number, Accumulator>();
    for (const [i, how] of found) this.evaluate(i, how.kind, how.detail, identity, byAdvisory);
    const out: VulnMatch[] = [];
    for (const [advisoryIndex, acc] of byAdvisory) out.push(this.toMatch(this.db.advisory(advisoryIndex)!, acc));
    out.push(...this.matchOs(asset));
    out.sort((a, b) => CONFIDENCE_RANK[b.confidence] - CONFIDENCE_RANK[a.confidence] || (b.cvss?.score ?? 0) - (a.cvss?.score ?? 0) || a.advisoryId.localeCompare(b.advisoryId));
    return out;
  }

  private evaluate(i: number, kind: ProductMatchKind, detail: string, identity: AssetIdentity, byAdvisory: Map<number, Accumulator>): void {
    const product = this.productList()[i]!;
    const prepared = this.preparedOf(i);
    if (prepared.range === undefined) {
      prepared.range = product.version === '' ? null : parseVersionRange(product.version);
      prepared.nameRange = nameConstraint(product.name);
    }
    const modelLevel = kind !== 'name';
    let confidence: MatchConfidence;
    let versionEvidence: () => string;
    let needsReview = false;
    let fixedIn: string | undefined;
    let fixedVersion: Version | undefined;
    if (prepared.nameRange && identity.firmware && !inRange(identity.firmware, prepared.nameRange)) return;
    if (product.version === '' || prepared.range === null) {
      needsReview = product.version !== '';
      confidence = modelLevel ? 'medium' : 'low';
      versionEvidence = () => (needsReview ? `version range "${product.version}" not parsed: needs review` : 'advisory gives no version');
    } else if (prepared.range.all) {
      confidence = modelLevel ? 'high' : 'low';
      versionEvidence = () => `all versions affected ("${product.version}")`;
    } else if (identity.firmware === null) {
      confidence = modelLevel ? 'medium' : 'low';
      versionEvidence = () => (identity.firmwareText
        ? `firmware "${identity.firmwareText}" not comparable with "${product.version}"`
        : `firmware unknown; affected range "${product.version}"`);
    } else if (inRange(identity.firmware, prepared.range)) {
      confidence = modelLevel ? 'high' : 'low';
      versionEvidence = () => `firmware ${identity.firmwareText} in affected range "${product.version}"`;
      fixedVersion = fixedVersionOf(prepared.range, identity.firmware);
    } else {
      return; // fixed or not affected at this version
    }
    if (fixedVersion !== undefined) fixedIn = formatVersion(fixedVersion);
    if (fixedIn === undefined) {
      const fixed = this.vendorIndex(prepared.vendorKey).fixedVersions.get(`${product.advisory}\u0000${product.name}`);
      if (fixed) fixedIn = fixed.join(', ');
    }
    let acc = byAdvisory.get(product.advisory);
    if (acc === undefined) {
      acc = { confidence, cves: new Set(), evidence: [], needsReview, remediation: -1 };
      byAdvisory.set(product.advisory, acc);
    } else if (CONFIDENCE_RANK[confidence] > CONFIDENCE_RANK[acc.confidence]) {
      acc.confidence = confidence;
      acc.needsReview = needsReview;
      acc.evidence.length = 0; // the stronger product match explains the verdict; weaker ones would confuse
      acc.fixedIn = undefined;
    } else if (CONFIDENCE_RANK[confidence] < CONFIDENCE_RANK[acc.confidence]) {
      for (const c of product.affected) acc.cves.add(c);
      return;
    }
    for (const c of product.affected) acc.cves.add(c);
    if (acc.evidence.length < MAX_EVIDENCE) acc.evidence.push(`${detail}: "${product.name}"; ${versionEvidence()}`);
    if (fixedIn !== undefined && acc.fixedIn === undefined) acc.fixedIn = fixedIn;
    if (acc.remediation === -1 && product.remediation >= 0) acc.remediation = product.remediation;
  }

  private toMatch(a: VulnDbAdvisory, acc: Accumulator): VulnMatch {
    const cves = [...acc.cves].sort((x, y) => x - y).map((i) => a.cves[i]!);
    const ids = cves.map((c) => c.id);
    let v3: CvssScore | undefined;
    let v4: CvssScore | undefined;
    for (const c of cves) {
      v3 = higherCvss(v3, c.cvss3);
      v4 = higherCvss(v4, c.cvss4);
    }
    const headline = v3 ?? v4;
    const match: VulnMatch = {
      advisoryId: a.id,
      title: a.title,
      cves: ids,
      cvss: headline ? { version: headline.version, score: headline.score, vector: headline.vector } : null,
      cvssV3: v3 ? toCvssRating(v3) : null,
      cvssV4: v4 ? toCvssRating(v4) : null,
      kev: ids.some((id) => this.db.kev.has(id)),
      confidence: acc.confidence,
      evidence: acc.evidence,
    };
    const ssvc = worstSsvc(ids, this.db);
    if (ssvc) match.ssvc = ssvc;
    if (acc.fixedIn !== undefined) match.fixedIn = acc.fixedIn;
    if (acc.remediation >= 0) match.remediation = a.remediations[acc.remediation]!;
    if (a.url) match.url = a.url;
    if (acc.needsReview) match.needsReview = true;
    return match;
  }

  private matchOs(asset: MatchableAsset): VulnMatch[] {
    const osTexts = [asset.os, ...factValues(asset, 'os')].filter((s): s is string => typeof s === 'string' && s !== '');
    // inventories sometimes carry the OS in the firmware field ("Windows Server 2003")
    if (asset.firmware && /windows/i.test(asset.firmware)) osTexts.push(asset.firmware);
    let release: ReturnType<typeof windowsReleaseOf> = null;
    let releaseFrom = '';
    for (const t of osTexts) {
      release = windowsReleaseOf(t);
      if (release) { releaseFrom = t; break; }
    }
    const software = factValues(asset, 'software').join('\n');
    const smb1 = /\bsmb ?(?:v?1|nt lm 0\.12)\b[^\n]*server|\bsmb1 server/i.test(software);
    const servesProtocol = (name: string): boolean => (asset.protocols ?? []).some((p) => p.name === name && p.role === 'server');
    const services: Record<OsKevRule['service'], boolean> = { smb1, smb: smb1 || servesProtocol('smb'), rdp: servesProtocol('rdp'), any: true };
    const out: VulnMatch[] = [];
    for (const rule of OS_KEV_RULES) {
      const releaseHit = release !== null && rule.releases.includes(release);
      const serviceSeen = services[rule.service];
      let confidence: MatchConfidence | null = null;
      const evidence: string[] = [];
      if (releaseHit) {
        evidence.push(`operating system "${releaseFrom}" is an affected release`);
        const legacy = release !== null && LEGACY_RELEASES.has(release);
        if (rule.service !== 'any' && serviceSeen) evidence.push(serviceEvidence(rule.service));
        if (legacy) confidence = rule.service === 'any' || serviceSeen ? 'high' : 'medium';
        else if (serviceSeen && rule.service !== 'any') {
          confidence = 'medium';
          evidence.push('release also shipped fixed builds: the patch level cannot be seen on the wire');
        }
      } else if (release === null && rule.service === 'smb1' && smb1) {
        confidence = 'low';
        evidence.push(serviceEvidence('smb1'), 'operating system not identified');
      }
      if (confidence === null) continue;
      const kevIds = rule.cves.filter((c) => this.db.kev.has(c));
      const kev: KevEntry | undefined = kevIds.length > 0 ? this.db.kev.get(kevIds[0]!) : undefined;
      const match: VulnMatch = {
        advisoryId: rule.label.split(' ')[0]!,
        title: kev ? `${rule.label}: ${kev.name}` : rule.label,
        cves: rule.cves,
        cvss: null,
        cvssV3: null,
        cvssV4: null,
        kev: kev !== undefined,
        confidence,
        evidence: [...evidence, kev
          ? `KEV: ${kevIds.join(', ')} added ${kev.dateAdded}${kev.ransomware ? ', used in ransomware campaigns' : ''}`
          : `${rule.cves.join(', ')} not in the loaded KEV catalog (exploited in the wild historically)`],
      };
      const ssvc = worstSsvc(rule.cves, this.db);
      if (ssvc) match.ssvc = ssvc;
      if (kev?.action) match.remediation = kev.action;
      out.push(match);
    }
    return out;
  }
}

const LEGACY_RELEASES = new Set(['2000', 'xp', '2003', 'vista', '2008', '7', '2008r2']);

function serviceEvidence(service: OsKevRule['service']): string {
  return service === 'smb1' ? 'SMBv1 server seen' : service === 'smb' ? 'SMB server seen' : service === 'rdp' ? 'RDP server seen' : '';
}

const KIND_RANK: Record<ProductMatchKind, number> = { 'order-number': 5, wildcard: 4, series: 3, model: 2, name: 1 };

interface Accumulator {
  confidence: MatchConfidence;
  cves: Set<number>;
  evidence: string[];
  needsReview: boolean;
  fixedIn?: string | undefined;
  remediation: number;
}

interface AssetIdentity {
  vendorKey: string;
  orderNumbers: string[];
  /** order numbers, normalised model and model tokens: what wildcards and series rules are tested on */
  catalogue: string[];
  catalogueUsed: string;
  tokens: string[];
  models: string[];
  series: SeriesRule | null;
  firmware: Version | null;
  firmwareText: string;
}

const NAME_CONSTRAINT = /(?:^|\s)((?:<=?|>=?)\s*V?\d+(?:\.(?:\d+|x))*)(?=\s|$|\))/i;

function nameConstraint(name: string): VersionRange | null {
  const m = NAME_CONSTRAINT.exec(name);
  return m ? parseVersionRange(m[1]!) : null;
}

/** Family words ("200SP", "S7-1500", "1500") name a whole product line, not a model. */
const FAMILY_WORD = /^(?:S7-)?\d{3,4}(?:SP|MP|PRO|ECO)?$/;

/** `needle` occurs in `haystack` as whole words, ignoring case and spacing. */
function containsWords(haystack: string, needle: string): boolean {
  const h = ` ${haystack.toUpperCase().replace(/[\s,;()]+/g, ' ')} `;
  const n = needle.toUpperCase().replace(/[\s,;()]+/g, ' ').trim();
  const at = h.indexOf(n);
  if (at < 0) return false;
  const before = h[at - 1] ?? ' ';
  const after = h[at + n.length] ?? ' ';
  return !/[A-Z0-9]/.test(before) && !/[A-Z0-9]/.test(after);
}

function factValues(asset: MatchableAsset, field: string): string[] {
  const out: string[] = [];
  for (const f of asset.facts ?? []) if (f.field === field && f.value) out.push(f.value);
  return out;
}

function describeAsset(asset: MatchableAsset): AssetIdentity {
  const vendorRaw = asset.vendor || factValues(asset, 'vendor')[0] || '';
  const vKey = vendorKey(vendorRaw);
  const orderNumbers = [...new Set([asset.orderNumber ?? '', ...factValues(asset, 'order-number')].filter((s) => s.trim() !== '').map(normaliseOrderNumber))];
  const models = [asset.model ?? '', ...factValues(asset, 'model')].filter((s) => s.trim() !== '');
  const tokens = [...new Set(models.flatMap((m) => modelTokens(m)).filter((t) => !orderNumbers.includes(t) && !FAMILY_WORD.test(t)))];
  const catalogue = [...new Set([...orderNumbers, ...models.map(normaliseOrderNumber), ...tokens])];
  const series = seriesOf(vKey, catalogue);
  const catalogueUsed = series ? catalogue.find((c) => series.catalogue.test(c)) ?? '' : '';
  const firmwareTexts = [asset.firmware ?? '', ...factValues(asset, 'firmware')].filter((s) => s.trim() !== '');
  let firmware: Version | null = null;
  let firmwareText = firmwareTexts[0] ?? '';
  for (const t of firmwareTexts) {
    const v = parseVersion(t);
    if (v) { firmware = v; firmwareText = t; break; }
  }
  // "OptiPlex 7090 (WinCC)": the parenthesised part says what runs on it, not what it is
  const modelNames = models.map((m) => m.replace(/\s*\([^)]*\)\s*/g, ' ').trim()).filter((m) => m.length >= 3);
  return { vendorKey: vKey, orderNumbers, catalogue, catalogueUsed, tokens, models: modelNames, series, firmware, firmwareText };
}

const EXPLOITATION_RANK: Record<string, number> = { active: 3, poc: 2, none: 1 };

function worstSsvc(cves: string[], db: VulnDatabase): VulnMatch['ssvc'] | undefined {
  let best: VulnMatch['ssvc'] | undefined;
  let bestRank = -1;
  for (const cve of cves) {
    const e = db.ssvcEntry(cve);
    if (!e) continue;
    const rank = (EXPLOITATION_RANK[e[0]] ?? 0) * 4 + (e[1] === 'yes' ? 2 : 0) + (e[2] === 'total' ? 1 : 0);
    if (rank > bestRank) {
      bestRank = rank;
      best = { cve, exploitation: e[0], automatable: e[1], technicalImpact: e[2], assessed: e[3] };
    }
  }
  return best;
}

function push(map: Map<string, number[]>, key: string, value: number): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else if (list[list.length - 1] !== value) list.push(value);
}

/** Convenience for one-off use; build a VulnMatcher once when matching many assets. */
export function matchAsset(db: VulnDatabase, asset: MatchableAsset): VulnMatch[] {
  return new VulnMatcher(db).matchAsset(asset);
}
