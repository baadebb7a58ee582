/**
 * The matcher's product index, a pure function of the product list: which affected products list an order
 * number, hold a model token in their name, name a product series, or carry a part-number wildcard. A pack
 * stores it (section `matchIndex`, see docs/vulndb.md) so a run does not tokenise 17,000 product names to match
 * a few dozen assets; an in-memory database, or a pack whose index was built by other rules (another
 * MATCH_INDEX_VERSION), gets it computed here.
 *
 * Lists hold product indexes ascending, each product once per key. Vendors are not part of the index: the
 * vendor key depends on the report's vendor-name normaliser (src/model/), so the matcher filters by vendor.
 */
import type { VulnDbProduct } from './db.js';
import { modelTokens, normaliseOrderNumber, SERIES_RULES, wildcardsOf } from './identity.js';

/** Bump whenever what goes into a key list changes (tokeniser, order-number shape, series rules, wildcards). */
export const MATCH_INDEX_VERSION = 2;

export interface MatchIndexData {
  version: number;
  /** normalised order number → affected products listing it (model numbers without '*', order-number tokens of the name) */
  orderNumbers: Record<string, number[]>;
  /** model token → affected products whose name holds it */
  tokens: Record<string, number[]>;
  /** series name → affected products (any vendor) whose name matches the series rule's `names` */
  series: Record<string, number[]>;
  /** affected products with at least one part-number wildcard */
  wildcards: number[];
  /**
   * Per `wildcards` entry, its patterns as [text, regex source] (wildcardsOf(name, models), no flags): matching
   * an asset against a vendor's wildcards then decodes no product. Since version 2.
   */
  wildcardPatterns: Array<Array<[string, string]>>;
}

/**
 * What the matcher reads of the index: one key's list at a time (a pack answers these by a binary search over
 * stored lines, without parsing the index), and the wildcard products whole.
 */
export interface MatchIndex {
  version: number;
  orderNumbers(key: string): readonly number[] | undefined;
  tokens(key: string): readonly number[] | undefined;
  series(key: string): readonly number[] | undefined;
  wildcards: readonly number[];
  wildcardPatterns: ReadonlyArray<ReadonlyArray<readonly [string, string]>>;
}

/** An index held in memory (built here, or parsed whole from a pack) behind the lookup interface. */
export function matchIndexOver(data: MatchIndexData): MatchIndex {
  return {
    version: data.version,
    orderNumbers: (key) => listOf(data.orderNumbers, key),
    tokens: (key) => listOf(data.tokens, key),
    series: (key) => listOf(data.series, key),
    wildcards: data.wildcards,
    wildcardPatterns: data.wildcardPatterns,
  };
}

export const ORDER_NUMBER_SHAPE = /^(?:[0-9][A-Z]{2}[0-9]{4}-[0-9A-Z]{5}-[0-9A-Z]{4}|[0-9][A-Z]{2}[0-9]{4}-[0-9A-Z]{5}|BM[EX][A-Z]{3}[0-9]{4,6}[A-Z]?)$/;

/** The key's list, or undefined (own keys only: a record parsed from a file has a prototype). */
export function listOf(record: Record<string, number[]>, key: string): number[] | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** Adds `value` under `key` unless it is already the last one there (products are visited in order). */
function push(record: Record<string, number[]>, key: string, value: number): void {
  const list = listOf(record, key);
  if (list === undefined) record[key] = [value];
  else if (list[list.length - 1] !== value) list.push(value);
}

export function buildMatchIndex(products: readonly VulnDbProduct[]): MatchIndexData {
  const orderNumbers: Record<string, number[]> = Object.create(null) as Record<string, number[]>;
  const tokens: Record<string, number[]> = Object.create(null) as Record<string, number[]>;
  const series: Record<string, number[]> = Object.create(null) as Record<string, number[]>;
  const wildcards: number[] = [];
  const wildcardPatterns: Array<Array<[string, string]>> = [];
  const tokensOfName = new Map<string, string[]>();
  for (let i = 0; i < products.length; i++) {
    const p = products[i]!;
    if (p.affected.length === 0) continue;
    for (const m of p.models) if (!m.includes('*')) push(orderNumbers, normaliseOrderNumber(m), i);
    let nameTokens = tokensOfName.get(p.name);
    if (nameTokens === undefined) {
      nameTokens = [...new Set(modelTokens(p.name))];
      tokensOfName.set(p.name, nameTokens);
    }
    for (const t of nameTokens) if (ORDER_NUMBER_SHAPE.test(t)) push(orderNumbers, t, i);
    for (const t of nameTokens) push(tokens, t, i);
    for (const rule of SERIES_RULES) if (rule.names.test(p.name)) push(series, rule.series, i);
    const patterns = wildcardsOf(p.name, p.models);
    if (patterns.length > 0) {
      wildcards.push(i);
      wildcardPatterns.push(patterns.map((w): [string, string] => [w.text, w.regex.source]));
    }
  }
  return { version: MATCH_INDEX_VERSION, orderNumbers, tokens, series, wildcards, wildcardPatterns };
}
