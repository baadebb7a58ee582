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
import { PRODUCT_FIXED_RECORD, type KevEntry, type ProductColumns, type VulnDatabase, type VulnDbAdvisory } from './db.js';
import { modelTokens, normaliseOrderNumber, seriesOf, type SeriesRule, type WildcardPattern } from './identity.js';
import { ORDER_NUMBER_SHAPE, type MatchIndex } from './match-index.js';
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
  tokens: ReadonlySet<string>;
  /** catalogue-looking tokens in the name that are order numbers ("6ES7515-2AM02-0AB0") */
  hasOrderNumbers: boolean;
}

const CONFIDENCE_RANK: Record<MatchConfidence, number> = { high: 3, medium: 2, low: 1 };
const MAX_EVIDENCE = 8;

/** Derived from a product name alone (shared by the products carrying that name; read-only). */
interface NameFacts {
  tokens: ReadonlySet<string>;
  /** one of the tokens is order-number shaped */
  hasOrderNumber: boolean;
}

type WildcardEntry = { pattern: WildcardPattern; product: number };

const NO_PRODUCTS: readonly number[] = [];

/**
 * The product index (src/vuln/match-index.ts) comes with the database (a pack stores it) and is vendor-blind;
 * the matcher narrows its lists to a vendor and decodes, tokenises and parses the version range of only the
 * products an asset reaches. Results do not depend on what was looked at before: every list keeps the
 * database's product order.
 */
export class VulnMatcher {
  private cols: ProductColumns | null = null;
  private index: MatchIndex | null = null;
  /** vendor spelling id → vendor key (computed when a product of that spelling is first met) */
  private readonly spellingKeys: Array<string | undefined> = [];
  private readonly prepared: Array<PreparedProduct | undefined> = [];
  /** `${vendor key}\0${token}` → the vendor's products holding the token */
  private readonly tokenLists = new Map<string, readonly number[]>();
  private readonly seriesLists = new Map<string, readonly number[]>();
  private readonly wildcardLists = new Map<string, WildcardEntry[]>();
  private everyWildcard: WildcardEntry[] | null = null;
  /** `${advisory}\0${name id}\0${vendor key}` → fixed versions of that product in the advisory ("Modicon M340 / SV3.65" fixed) */
  private readonly fixedVersions = new Map<string, string[] | null>();
  /** product indexes grouped by advisory (ascending within a group); group a is byAdvisory[starts[a], starts[a + 1]) */
  private advisoryGroups: { starts: Uint32Array; byAdvisory: Uint32Array } | null = null;
  /**
   * What a product name says, per distinct name: advisories repeat names and model numbers across revisions
   * and products (~17,000 products carry ~8,000 names and ~1,000 model numbers), and these are pure functions
   * of the text. The values are shared between products and never modified.
   */
  private readonly nameFacts = new Map<string, NameFacts>();
  private readonly normalisedModels = new Map<string, string>();
  private readonly wildcardRegexes = new Map<string, RegExp>();
  private readonly versionRanges = new Map<string, VersionRange | null>();
  /** product name → the version constraint written in it, or null */
  private readonly nameRanges = new Map<string, VersionRange | null>();

  constructor(private readonly db: VulnDatabase) {}

  private columns(): ProductColumns {
    return (this.cols ??= this.db.columns());
  }

  private matchIndex(): MatchIndex {
    return (this.index ??= this.db.matchIndex());
  }

  private vendorKeyOf(product: number): string {
    const cols = this.columns();
    const id = cols.vendorId[product]!;
    let key = this.spellingKeys[id];
    if (key === undefined) {
      key = vendorKey(cols.vendors[id]!);
      this.spellingKeys[id] = key;
    }
    return key;
  }

  private ofVendor(list: readonly number[] | undefined, vKey: string): readonly number[] {
    if (list === undefined) return NO_PRODUCTS;
    const out: number[] = [];
    for (let k = 0; k < list.length; k++) if (this.vendorKeyOf(list[k]!) === vKey) out.push(list[k]!);
    return out;
  }

  private preparedOf(index: number): PreparedProduct {
    let prepared = this.prepared[index];
    if (prepared === undefined) {
      const p = this.db.product(index);
      const models: string[] = [];
      for (const m of p.models) if (!m.includes('*')) models.push(this.normalisedModel(m));
      const facts = this.factsOfName(p.name);
      prepared = {
        index, vendorKey: this.vendorKeyOf(index), range: undefined, models,
        nameRange: undefined,
        tokens: facts.tokens,
        hasOrderNumbers: models.length > 0 || facts.hasOrderNumber,
      };
      this.prepared[index] = prepared;
    }
    return prepared;
  }

  /** Patterns repeat across products and revisions; the regexes have no flags, so no state to share. */
  private wildcardRegex(source: string): RegExp {
    let regex = this.wildcardRegexes.get(source);
    if (regex === undefined) {
      regex = new RegExp(source);
      this.wildcardRegexes.set(source, regex);
    }
    return regex;
  }

  /** Version texts repeat across products (~17,000 products, far fewer texts); ranges are never modified. */
  private versionRange(text: string): VersionRange | null {
    let range = this.versionRanges.get(text);
    if (range === undefined) {
      range = parseVersionRange(text);
      this.versionRanges.set(text, range);
    }
    return range;
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
      facts = { tokens, hasOrderNumber };
      this.nameFacts.set(name, facts);
    }
    return facts;
  }

  /** The vendor's affected products whose name holds model token `token`, ascending. */
  private tokenProducts(vKey: string, token: string): readonly number[] {
    const key = `${vKey}\u0000${token}`;
    let list = this.tokenLists.get(key);
    if (list === undefined) {
      list = this.ofVendor(this.matchIndex().tokens(token), vKey);
      this.tokenLists.set(key, list);
    }
    return list;
  }

  /** The rule vendor's affected products that name the series as a product, ascending. */
  private seriesProducts(rule: SeriesRule): readonly number[] {
    let list = this.seriesLists.get(rule.series);
    if (list === undefined) {
      list = this.ofVendor(this.matchIndex().series(rule.series), rule.vendor);
      this.seriesLists.set(rule.series, list);
    }
    return list;
  }

  private vendorWildcards(vKey: string): WildcardEntry[] {
    let list = this.wildcardLists.get(vKey);
    if (list === undefined) {
      list = [];
      const { wildcards, wildcardPatterns } = this.matchIndex();
      for (let k = 0; k < wildcards.length; k++) {
        const index = wildcards[k]!;
        if (this.vendorKeyOf(index) !== vKey) continue;
        for (const [text, source] of wildcardPatterns[k]!) list.push({ pattern: { text, regex: this.wildcardRegex(source) }, product: index });
      }
      this.wildcardLists.set(vKey, list);
    }
    return list;
  }

  /** Wildcards of every vendor, vendors in the order their first wildcard product appears (asset without vendor). */
  private allWildcards(): WildcardEntry[] {
    if (this.everyWildcard === null) {
      const vendors = new Set<string>();
      for (const index of this.matchIndex().wildcards) vendors.add(this.vendorKeyOf(index));
      this.everyWildcard = [...vendors].flatMap((vKey) => this.vendorWildcards(vKey));
    }
    return this.everyWildcard;
  }

  /** Versions "fixed in" records of the product's advisory give for the same name and vendor, or null. */
  private fixedVersionsOf(index: number, vKey: string): string[] | null {
    const cols = this.columns();
    const advisory = cols.advisory[index]!;
    const nameId = cols.nameId[index]!;
    const key = `${advisory}\u0000${nameId}\u0000${vKey}`;
    let list = this.fixedVersions.get(key);
    if (list === undefined) {
      list = null;
      const { starts, byAdvisory } = this.advisoryGroupsOf();
      for (let k = starts[advisory]!; k < starts[advisory + 1]!; k++) {
        const j = byAdvisory[k]!;
        if ((cols.flags[j]! & PRODUCT_FIXED_RECORD) === 0 || cols.nameId[j] !== nameId || this.vendorKeyOf(j) !== vKey) continue;
        (list ??= []).push(this.db.product(j).version.replace(/^vers:[a-z]*\//i, ''));
      }
      this.fixedVersions.set(key, list);
    }
    return list;
  }

  private advisoryGroupsOf(): { starts: Uint32Array; byAdvisory: Uint32Array } {
    if (this.advisoryGroups === null) {
      const { advisory, count } = this.columns();
      let max = 0;
      for (let i = 0; i < count; i++) if (advisory[i]! > max) max = advisory[i]!;
      const starts = new Uint32Array(max + 2);
      for (let i = 0; i < count; i++) starts[advisory[i]! + 1]!++;
      for (let a = 1; a < starts.length; a++) starts[a]! += starts[a - 1]!;
      const next = starts.slice(0, max + 1);
      const byAdvisory = new Uint32Array(count);
      for (let i = 0; i < count; i++) byAdvisory[next[advisory[i]!]!++] = i;
      this.advisoryGroups = { starts, byAdvisory };
    }
    return this.advisoryGroups;
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
      const index = this.matchIndex();
      for (const o of identity.orderNumbers) {
        for (const i of index.orderNumbers(o) ?? NO_PRODUCTS) note(i, 'order-number', `order number ${o} listed`);
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
        const name = this.db.product(i).name;
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
    const product = this.db.product(i);
    const prepared = this.preparedOf(i);
    if (prepared.range === undefined) {
      prepared.range = product.version === '' ? null : this.versionRange(product.version);
      let nameRange = this.nameRanges.get(product.name);
      if (nameRange === undefined) this.nameRanges.set(product.name, (nameRange = nameConstraint(product.name)));
      prepared.nameRange = nameRange;
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
      const fixed = this.fixedVersionsOf(i, prepared.vendorKey);
      if (fixed !== null) fixedIn = fixed.join(', ');
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
      kev: ids.some((id) => this.db.kevEntry(id) !== undefined),
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
      const kevIds = rule.cves.filter((c) => this.db.kevEntry(c) !== undefined);
      const kev: KevEntry | undefined = kevIds.length > 0 ? this.db.kevEntry(kevIds[0]!) : undefined;
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

/** Convenience for one-off use; build a VulnMatcher once when matching many assets. */
export function matchAsset(db: VulnDatabase, asset: MatchableAsset): VulnMatch[] {
  return new VulnMatcher(db).matchAsset(asset);
}
