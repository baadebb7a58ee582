/**
 * The offline vulnerability database: CSAF advisories (flattened to product records), the CISA KEV catalog
 * and CISA SSVC decision points, stored as a pack of sections (`otwatch.vulndb/v4`: stored, deflated, or deflated
 * in record blocks) with the matcher's product index precomputed, decoded piece by piece when used, so a run pays
 * only for what it matches. v3 and v2 packs are still read. The package ships
 * data/vuln/vulndb.pack; a user refresh (`otwatch vulndb import`) writes to the user data directory, which
 * takes precedence. The older one-document form (`otwatch.vulndb/v1`, gzip'd JSON) is still read. See
 * docs/vulndb.md for the format and why it is not SQLite.
 */
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateRawSync, gunzipSync, inflateRawSync } from 'node:zlib';
import type { AdvisoryCve, AdvisoryProduct, AdvisoryRecord } from './csaf.js';
import { upgradeCvss, type CvssStats } from './cvss.js';
import { buildMatchIndex, listOf, MATCH_INDEX_VERSION, matchIndexOver, type MatchIndex, type MatchIndexData } from './match-index.js';

export const VULNDB_SCHEMA = 'otwatch.vulndb/v1';

export interface KevEntry {
  vendor: string;
  product: string;
  name: string;
  dateAdded: string;
  dueDate?: string;
  ransomware: boolean;
  action?: string;
}

/** [exploitation none|poc|active, automatable yes|no, technical impact partial|total, date assessed] */
export type SsvcEntry = [string, string, string, string];

export interface VulnDbSource {
  kind: 'csaf' | 'kev' | 'ssvc';
  /** file or folder name as given (no user paths beyond the base name) */
  name: string;
  /** newest date found in the source (advisory release, catalog version, assessment date) */
  date: string;
  count: number;
}

export interface VulnDbStats {
  advisoryFiles: number;
  advisories: number;
  /** older revisions of an advisory dropped for a newer one */
  revisionsReplaced: number;
  products: number;
  /** product records carrying a version or version range text */
  ranges: number;
  /** ranges the parser could not read: kept, matched as "needs review" */
  unparsedRanges: number;
  cves: number;
  filesRejected: number;
  /** CVSS ratings per advisory CVE: computed, disagreeing with the advisory, invalid (absent in old databases) */
  cvss?: CvssStats;
}

export interface VulnDbAdvisory {
  id: string;
  title: string;
  initialRelease: string;
  currentRelease: string;
  revision: string;
  url?: string;
  vendorConverted?: boolean;
  cves: AdvisoryCve[];
  remediations: string[];
}

/** [advisory index, vendor, name, models, version text, affected cve idx, fixed cve idx, remediation idx] */
export type VulnDbProductTuple = [number, string, string, string[], string, number[], number[], number];

export interface VulnDbFile {
  schema: typeof VULNDB_SCHEMA;
  builtAt: string;
  generator: string;
  sources: VulnDbSource[];
  stats: VulnDbStats;
  advisories: VulnDbAdvisory[];
  products: VulnDbProductTuple[];
  kev: Record<string, KevEntry>;
  ssvc: Record<string, SsvcEntry>;
}

export interface VulnDbProduct extends AdvisoryProduct {
  advisory: number;
}

/** ProductColumns.flags: the product lists affected CVEs */
export const PRODUCT_AFFECTED = 1;
/** ProductColumns.flags: no affected CVE, fixed CVEs and a version text (a "fixed in" record) */
export const PRODUCT_FIXED_RECORD = 2;

/**
 * What the matcher needs of every product, without decoding any: per product its advisory, a name id (equal
 * ids = equal names), a vendor spelling id (into `vendors`) and flags.
 */
export interface ProductColumns {
  count: number;
  advisory: Uint32Array;
  nameId: Uint32Array;
  vendorId: Uint32Array;
  vendors: string[];
  flags: Uint8Array;
}

function columnsOf(products: readonly VulnDbProduct[]): ProductColumns {
  const n = products.length;
  const cols: ProductColumns = {
    count: n, advisory: new Uint32Array(n), nameId: new Uint32Array(n), vendorId: new Uint32Array(n), vendors: [], flags: new Uint8Array(n),
  };
  const names = new Map<string, number>();
  const vendors = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const p = products[i]!;
    cols.advisory[i] = p.advisory;
    let nameId = names.get(p.name);
    if (nameId === undefined) names.set(p.name, (nameId = names.size));
    cols.nameId[i] = nameId;
    let vendorId = vendors.get(p.vendor);
    if (vendorId === undefined) {
      vendors.set(p.vendor, (vendorId = vendors.size));
      cols.vendors.push(p.vendor);
    }
    cols.vendorId[i] = vendorId;
    cols.flags[i] = p.affected.length > 0 ? PRODUCT_AFFECTED : p.fixed.length > 0 && p.version !== '' ? PRODUCT_FIXED_RECORD : 0;
  }
  return cols;
}

/**
 * Where a database's bulky parts come from when they are decoded on first use (a pack read from disk). The
 * matcher of one `analyze` run touches the product list, a handful of advisories and a few KEV/SSVC entries:
 * everything else stays compressed.
 */
interface LazyParts {
  advisoryCount: number;
  advisory(index: number): VulnDbAdvisory;
  products(): VulnDbProduct[];
  /** v3 packs on: one product decoded alone, the columns and the stored match index */
  productCount?: number;
  product?(index: number): VulnDbProduct;
  columns?(): ProductColumns;
  matchIndex?(): MatchIndex | null;
  kev(): Map<string, KevEntry>;
  /** v4 packs: one KEV entry found through the block keys */
  kevEntry?(cve: string): KevEntry | undefined;
  ssvcEntry(cve: string): SsvcEntry | undefined;
  ssvc(): Map<string, SsvcEntry>;
}

/** In-memory database. Built whole (import, fromFile), or over a pack whose parts are decoded when first used. */
export class VulnDatabase {
  private advisoryList: VulnDbAdvisory[] | null;
  /** advisories decoded one by one from a pack (sparse until `advisories` asks for all) */
  private readonly advisoryCache: Array<VulnDbAdvisory | undefined> = [];
  private productList: VulnDbProduct[] | null;
  /** products decoded one by one from a pack (sparse until `products` asks for all) */
  private readonly productCache: Array<VulnDbProduct | undefined> = [];
  private productColumns: ProductColumns | null = null;
  private matchIndexData: MatchIndex | null = null;
  private kevMap: Map<string, KevEntry> | null;
  private ssvcMap: Map<string, SsvcEntry> | null;
  private lazy: LazyParts | null = null;

  constructor(
    readonly builtAt: string,
    readonly sources: VulnDbSource[],
    readonly stats: VulnDbStats,
    advisories: VulnDbAdvisory[],
    products: VulnDbProduct[],
    kev: Map<string, KevEntry>,
    ssvc: Map<string, SsvcEntry>,
  ) {
    this.advisoryList = advisories;
    this.productList = products;
    this.kevMap = kev;
    this.ssvcMap = ssvc;
  }

  private static overPack(builtAt: string, sources: VulnDbSource[], stats: VulnDbStats, parts: LazyParts): VulnDatabase {
    const db = new VulnDatabase(builtAt, sources, stats, [], [], new Map(), new Map());
    db.advisoryList = null;
    db.productList = null;
    db.kevMap = null;
    db.ssvcMap = null;
    db.lazy = parts;
    return db;
  }

  /** Every advisory (decodes the whole advisory section of a pack: for import and tools, not for matching). */
  get advisories(): VulnDbAdvisory[] {
    if (this.advisoryList === null) {
      const list: VulnDbAdvisory[] = [];
      for (let i = 0; i < this.lazy!.advisoryCount; i++) list.push(this.advisory(i)!);
      this.advisoryList = list;
    }
    return this.advisoryList;
  }

  get advisoryCount(): number {
    return this.advisoryList !== null ? this.advisoryList.length : this.lazy!.advisoryCount;
  }

  /** One advisory by index; undefined when out of range. */
  advisory(index: number): VulnDbAdvisory | undefined {
    if (this.advisoryList !== null) return this.advisoryList[index];
    if (!(index >= 0 && index < this.lazy!.advisoryCount)) return undefined;
    let a = this.advisoryCache[index];
    if (a === undefined) {
      a = this.lazy!.advisory(index);
      for (const c of a.cves) upgradeRatings(c);
      this.advisoryCache[index] = a;
    }
    return a;
  }

  /** Every product (decodes the whole product section of a pack: for import and tools; matching uses product()). */
  get products(): VulnDbProduct[] {
    if (this.productList === null) this.productList = this.lazy!.products();
    return this.productList;
  }

  get productCount(): number {
    if (this.productList === null && this.lazy!.productCount !== undefined) return this.lazy!.productCount;
    return this.products.length;
  }

  /** One product by index (0 <= index < productCount); decoded alone from a v3 pack, then kept. */
  product(index: number): VulnDbProduct {
    if (this.productList !== null || this.lazy!.product === undefined) return this.products[index]!;
    let p = this.productCache[index];
    if (p === undefined) {
      p = this.lazy!.product(index);
      this.productCache[index] = p;
    }
    return p;
  }

  /** Per-product advisory, name id, vendor spelling and flags (read from a v3 pack, else computed once). */
  columns(): ProductColumns {
    if (this.productColumns === null) {
      this.productColumns = this.productList === null && this.lazy!.columns !== undefined ? this.lazy!.columns() : columnsOf(this.products);
    }
    return this.productColumns;
  }

  /** The matcher's product index (src/vuln/match-index.ts): the pack's when current, else computed once. */
  matchIndex(): MatchIndex {
    if (this.matchIndexData === null) {
      const stored = this.productList === null && this.lazy!.matchIndex !== undefined ? this.lazy!.matchIndex() : null;
      this.matchIndexData = stored ?? matchIndexOver(buildMatchIndex(this.products));
    }
    return this.matchIndexData;
  }

  /** The whole KEV catalog as a map (decodes it: for import and tools; matching uses kevEntry). */
  get kev(): Map<string, KevEntry> {
    if (this.kevMap === null) this.kevMap = this.lazy!.kev();
    return this.kevMap;
  }

  /** One KEV entry: a v4 pack decodes the one block that can hold it; older packs decode the whole catalog. */
  kevEntry(cve: string): KevEntry | undefined {
    if (this.kevMap === null && this.lazy!.kevEntry !== undefined) return this.lazy!.kevEntry(cve);
    return this.kev.get(cve);
  }

  /** The whole SSVC set as a map (decodes it: for import and tools; matching uses ssvcEntry). */
  get ssvc(): Map<string, SsvcEntry> {
    if (this.ssvcMap === null) this.ssvcMap = this.lazy!.ssvc();
    return this.ssvcMap;
  }

  ssvcEntry(cve: string): SsvcEntry | undefined {
    return this.ssvcMap !== null ? this.ssvcMap.get(cve) : this.lazy!.ssvcEntry(cve);
  }

  static fromFile(file: VulnDbFile): VulnDatabase {
    if (file.schema !== VULNDB_SCHEMA) throw new VulnDbError(`unsupported vulnerability database schema '${String(file.schema)}'`);
    const products = file.products.map(productFromTuple);
    for (const a of file.advisories) for (const c of a.cves) upgradeRatings(c);
    return new VulnDatabase(
      file.builtAt, file.sources, file.stats, file.advisories, products,
      new Map(Object.entries(file.kev)), new Map(Object.entries(file.ssvc)),
    );
  }

  /**
   * A database over a pack (`otwatch.vulndb/v4`, v3 or v2, see toPack): only the header is read here; sections are
   * inflated and parsed when first used. Throws VulnDbError on a malformed container.
   */
  static fromPack(pack: Buffer): VulnDatabase {
    return VulnDatabase.fromPackSource(bufferSource(pack));
  }

  /** Over a pack file (see readVulnDb): sections are read from it when first used, so a run reads only what it uses. */
  static fromPackFile(path: string): VulnDatabase {
    const source = fileSource(path);
    try {
      const db = VulnDatabase.fromPackSource(source);
      if (source.fd !== null) packFiles.register(db, source.fd);
      return db;
    } catch (err) {
      if (source.fd !== null) closeSync(source.fd);
      throw err;
    }
  }

  private static fromPackSource(pack: PackSource): VulnDatabase {
    const header = readPackHeader(pack);
    const sections = lazySections(pack, header);
    const section = sections.whole;
    let ends: Uint32Array | null = null;
    let productEnds: Uint32Array | null = null;
    // v3 on: products in blocks, columns, match index; v4 on: KEV and SSVC as keyed blocks
    const v3 = header.schema !== VULNDB_PACK_SCHEMA_V2;
    const keyed = header.schema === VULNDB_PACK_SCHEMA;
    const productCount = v3 ? header.sections.productIndex![2] >>> 2 : undefined;
    const productAt = (index: number): VulnDbProduct => {
      productEnds ??= u32View(section('productIndex'));
      const start = index === 0 ? 0 : productEnds[index - 1]!;
      return productFromTuple(JSON.parse(sections.range('products', start, productEnds[index]!).toString('utf8')) as VulnDbProductTuple);
    };
    const parts: LazyParts = {
      advisoryCount: header.advisoryCount,
      advisory(index) {
        ends ??= u32View(section('advisoryIndex'));
        const start = index === 0 ? 0 : ends[index - 1]!;
        return JSON.parse(sections.range('advisories', start, ends[index]!).toString('utf8')) as VulnDbAdvisory;
      },
      products: v3
        ? () => {
          const list: VulnDbProduct[] = new Array<VulnDbProduct>(productCount!);
          for (let i = 0; i < productCount!; i++) list[i] = productAt(i);
          return list;
        }
        : () => (JSON.parse(section('products').toString('utf8')) as VulnDbProductTuple[]).map(productFromTuple),
      ...(v3 ? {
        productCount,
        product: (index: number) => {
          if (!(index >= 0 && index < productCount!)) throw new RangeError(`product ${index} out of range`);
          return productAt(index);
        },
        columns: () => readColumns(section('productColumns'), productCount!, section('vendors')),
        matchIndex: (): MatchIndex | null => {
          let index: MatchIndexData;
          try {
            index = JSON.parse(section('matchIndex').toString('utf8')) as MatchIndexData;
          } catch (err) {
            throw new VulnDbError(`corrupt vulnerability database pack: section matchIndex: ${(err as Error).message}`);
          }
          // built by other rules: the matcher recomputes it rather than trust keys this code would not make
          if (index.version !== MATCH_INDEX_VERSION) return null;
          if (!Array.isArray(index.wildcards) || !Array.isArray(index.wildcardPatterns) || index.wildcardPatterns.length !== index.wildcards.length) {
            throw new VulnDbError('corrupt vulnerability database pack: section matchIndex: wildcards');
          }
          if (!keyed) return matchIndexOver(index);
          // v4: order numbers and tokens are sorted lines `[key, ...products]` searched in place
          const lines = (name: PackSectionName) => (key: string): number[] | undefined => findLine(section(name), name, key)?.slice(1) as number[] | undefined;
          return {
            version: index.version, orderNumbers: lines('matchOrderNumbers'), tokens: lines('matchTokens'),
            series: (key) => listOf(index.series, key), wildcards: index.wildcards, wildcardPatterns: index.wildcardPatterns,
          };
        },
      } : {}),
      ...(keyed ? {
        kev: () => {
          const map = new Map<string, KevEntry>();
          forEachLine(section('kev'), 'kev', (line) => map.set(line[0] as string, line[1] as KevEntry));
          return map;
        },
        kevEntry: (cve: string) => sections.lookup('kev', 'kevHashes', 'kevKeys', cve)?.[1] as KevEntry | undefined,
      } : {
        kev: () => new Map(Object.entries(JSON.parse(section('kev').toString('utf8')) as Record<string, KevEntry>)),
      }),
      ssvcEntry(cve) {
        const line = keyed ? sections.lookup('ssvc', 'ssvcHashes', 'ssvcKeys', cve) : findLine(section('ssvc'), 'ssvc', cve);
        return line === undefined ? undefined : line.slice(1) as SsvcEntry;
      },
      ssvc() {
        const map = new Map<string, SsvcEntry>();
        forEachLine(section('ssvc'), 'ssvc', (line) => map.set(line[0] as string, line.slice(1) as SsvcEntry));
        return map;
      },
    };
    return VulnDatabase.overPack(header.builtAt, header.sources, header.stats, parts);
  }

  static fromRecords(
    records: AdvisoryRecord[],
    kev: Map<string, KevEntry>,
    ssvc: Map<string, SsvcEntry>,
    sources: VulnDbSource[],
    stats: VulnDbStats,
    builtAt = new Date().toISOString(),
  ): VulnDatabase {
    const advisories: VulnDbAdvisory[] = [];
    const products: VulnDbProduct[] = [];
    for (const r of [...records].sort((a, b) => a.id.localeCompare(b.id))) {
      const index = advisories.length;
      advisories.push({
        id: r.id, title: r.title, initialRelease: r.initialRelease, currentRelease: r.currentRelease,
        revision: r.revision, ...(r.url ? { url: r.url } : {}), ...(r.vendorConverted ? { vendorConverted: true } : {}),
        cves: r.cves, remediations: r.remediations,
      });
      for (const p of r.products) products.push({ ...p, advisory: index });
    }
    return new VulnDatabase(builtAt, sources, stats, advisories, products, kev, ssvc);
  }

  /** The `otwatch.vulndb/v1` document (one JSON object). */
  toFile(generator: string): VulnDbFile {
    const kev: Record<string, KevEntry> = {};
    for (const [k, v] of [...this.kev].sort((a, b) => a[0].localeCompare(b[0]))) kev[k] = v;
    const ssvc: Record<string, SsvcEntry> = {};
    for (const [k, v] of [...this.ssvc].sort((a, b) => a[0].localeCompare(b[0]))) ssvc[k] = v;
    return {
      schema: VULNDB_SCHEMA,
      builtAt: this.builtAt,
      generator,
      sources: this.sources,
      stats: this.stats,
      advisories: this.advisories,
      products: this.products.map(productToTuple),
      kev,
      ssvc,
    };
  }

  /**
   * The `otwatch.vulndb/v4` pack: magic, header length (u32 LE), JSON header (metadata and the section table),
   * then sections (layout and storage methods: docs/vulndb.md, SECTION_METHOD), so a reader decodes only what it
   * uses: products and advisories (JSON records in deflated blocks, u32 LE end offsets beside), product columns,
   * vendor spellings and the match index (stored; its order-number and token lists as sorted lines), kev and
   * ssvc (one JSON line `[cve, ...]` per CVE, sorted by cve, in deflated blocks, with the sorted key hashes and
   * each block's first key stored beside).
   */
  toPack(generator: string): Buffer {
    const advisories = this.advisories;
    const chunks: Buffer[] = [];
    const ends = new Uint32Array(advisories.length);
    let at = 0;
    for (let i = 0; i < advisories.length; i++) {
      const b = Buffer.from(JSON.stringify(advisories[i]));
      chunks.push(b);
      at += b.length;
      ends[i] = at;
    }
    const kev = keyedLines([...this.kev].sort((a, b) => compareKeys(a[0], b[0])).map(([k, v]) => [k, v]));
    const ssvc = keyedLines([...this.ssvc].sort((a, b) => compareKeys(a[0], b[0])).map(([k, v]) => [k, ...v]));
    const products = this.products;
    const productChunks: Buffer[] = [];
    const productEnds = new Uint32Array(products.length);
    at = 0;
    for (let i = 0; i < products.length; i++) {
      const b = Buffer.from(JSON.stringify(productToTuple(products[i]!)));
      productChunks.push(b);
      at += b.length;
      productEnds[i] = at;
    }
    const columns = columnsOf(products);
    const { orderNumbers, tokens, ...matchIndexRest } = buildMatchIndex(products);
    const sortedLists = (record: Record<string, number[]>): Buffer =>
      keyedLines(Object.keys(record).sort(compareKeys).map((k) => [k, ...record[k]!])).bytes;
    const raw: Record<PackSectionName, Buffer> = {
      products: Buffer.concat(productChunks),
      productIndex: Buffer.from(productEnds.buffer, productEnds.byteOffset, productEnds.byteLength),
      productColumns: Buffer.concat([columns.advisory, columns.nameId, columns.vendorId, columns.flags].map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength))),
      vendors: Buffer.from(JSON.stringify(columns.vendors)),
      matchIndex: Buffer.alloc(0),
      matchOrderNumbers: Buffer.alloc(0),
      matchTokens: Buffer.alloc(0),
      advisories: Buffer.concat(chunks),
      advisoryIndex: Buffer.from(ends.buffer, ends.byteOffset, ends.byteLength),
      kev: kev.bytes,
      kevHashes: sortedHashes(kev.keys),
      kevKeys: Buffer.alloc(0),
      ssvcHashes: sortedHashes(ssvc.keys),
      ssvcKeys: Buffer.alloc(0),
      ssvc: ssvc.bytes,
    };
    raw.matchIndex = Buffer.from(JSON.stringify(matchIndexRest));
    raw.matchOrderNumbers = sortedLists(orderNumbers);
    raw.matchTokens = sortedLists(tokens);
    const recordEnds: Partial<Record<PackSectionName, Uint32Array>> = { products: productEnds, advisories: ends, kev: kev.ends, ssvc: ssvc.ends };
    const cuts: Partial<Record<PackSectionName, number[]>> = {};
    for (const name of PACK_SECTIONS) {
      if (SECTION_METHOD[name] === SECTION_BLOCKS) cuts[name] = blockCuts(recordEnds[name]!, name === 'kev' || name === 'ssvc' ? KEYED_BLOCK_BYTES : PACK_BLOCK_BYTES);
    }
    // the key of each block's first line: a lookup inflates only the block that can hold its key
    raw.kevKeys = Buffer.from(JSON.stringify(cuts.kev!.map((_, b) => kev.keys[b === 0 ? 0 : cuts.kev![b - 1]! + 1]!)));
    raw.ssvcKeys = Buffer.from(JSON.stringify(cuts.ssvc!.map((_, b) => ssvc.keys[b === 0 ? 0 : cuts.ssvc![b - 1]! + 1]!)));
    const sections = {} as Record<PackSectionName, number[]>;
    const bodies: Buffer[] = [];
    let offset = 0;
    for (const name of PACK_SECTIONS) {
      const method = SECTION_METHOD[name];
      let body: Buffer;
      const blockEnds: number[] = [];
      if (method === SECTION_STORED) body = raw[name];
      else if (method === SECTION_DEFLATED) body = deflateRawSync(raw[name], { level: 9 });
      else {
        // blocks cut at record ends, so a record is inflated with its block alone
        const blocks: Buffer[] = [];
        let blockStart = 0;
        let compressed = 0;
        for (const last of cuts[name]!) {
          const end = recordEnds[name]![last]!;
          const block = deflateRawSync(raw[name].subarray(blockStart, end), { level: 9 });
          blocks.push(block);
          compressed += block.length;
          blockEnds.push(end, compressed);
          blockStart = end;
        }
        body = Buffer.concat(blocks);
      }
      sections[name] = [offset, body.length, raw[name].length, method, ...blockEnds];
      bodies.push(body);
      offset += body.length;
    }
    const header: PackHeader = {
      schema: VULNDB_PACK_SCHEMA, builtAt: this.builtAt, generator, sources: this.sources, stats: this.stats,
      advisoryCount: advisories.length, sections,
    };
    const headerBytes = Buffer.from(JSON.stringify(header));
    const prefix = Buffer.alloc(PACK_MAGIC.length + 4);
    PACK_MAGIC.copy(prefix, 0);
    prefix.writeUInt32LE(headerBytes.length, PACK_MAGIC.length);
    return Buffer.concat([prefix, headerBytes, ...bodies]);
  }

  /** Newest advisory release date in the database (ISO string, "" when empty). */
  newestAdvisory(): string {
    let newest = '';
    for (const a of this.advisories) if (a.currentRelease > newest) newest = a.currentRelease;
    return newest;
  }
}

export const VULNDB_PACK_SCHEMA = 'otwatch.vulndb/v4';
/** v4 less the keyed KEV/SSVC blocks (KEV one JSON object, SSVC lines deflated whole): still read. */
const VULNDB_PACK_SCHEMA_V3 = 'otwatch.vulndb/v3';
/** The layout before v3 (products as one JSON array, no columns or match index): still read. */
const VULNDB_PACK_SCHEMA_V2 = 'otwatch.vulndb/v2';
type PackSchema = typeof VULNDB_PACK_SCHEMA | typeof VULNDB_PACK_SCHEMA_V3 | typeof VULNDB_PACK_SCHEMA_V2;
/** Shared by v2 to v4 (the schema in the header tells them apart). */
const PACK_MAGIC = Buffer.from('OTWVDB2\n', 'latin1');
/** ssvc last, as in v3 */
const PACK_SECTIONS = [
  'products', 'productIndex', 'productColumns', 'vendors', 'matchIndex', 'matchOrderNumbers', 'matchTokens', 'advisories', 'advisoryIndex',
  'kev', 'kevHashes', 'kevKeys', 'ssvcHashes', 'ssvcKeys', 'ssvc',
] as const;
const PACK_SECTIONS_V3 = ['products', 'productIndex', 'productColumns', 'vendors', 'matchIndex', 'advisories', 'advisoryIndex', 'kev', 'ssvc'] as const;
const PACK_SECTIONS_V2 = ['products', 'advisories', 'advisoryIndex', 'kev', 'ssvc'] as const;
type PackSectionName = (typeof PACK_SECTIONS)[number];

function sectionsOf(schema: PackSchema): readonly PackSectionName[] {
  return schema === VULNDB_PACK_SCHEMA ? PACK_SECTIONS : schema === VULNDB_PACK_SCHEMA_V3 ? PACK_SECTIONS_V3 : PACK_SECTIONS_V2;
}

/** v3 section storage (4th element of a section entry; v2 sections are all deflated whole) */
const SECTION_STORED = 0;
const SECTION_DEFLATED = 1;
/** independently deflated blocks cut at record ends; entry elements 4.. are [raw end, compressed end] per block */
const SECTION_BLOCKS = 2;
/** Raw bytes per block, at least: small enough that one record costs little to reach, large enough to compress. */
const PACK_BLOCK_BYTES = 8 * 1024;
/**
 * KEV and SSVC lines per block, at least: a run looks up a few hundred CVEs scattered over the catalog, so a
 * lookup should inflate little; the lines are repetitive enough that small blocks still compress ~6x.
 */
const KEYED_BLOCK_BYTES = 8 * 1024;
/**
 * What a run reads on every match is stored as is (index, columns: ~0.5 MB), record sections are blocked, the
 * rest (KEV, SSVC: read whole or binary-searched) deflated whole.
 */
const SECTION_METHOD: Record<PackSectionName, number> = {
  products: SECTION_BLOCKS, productIndex: SECTION_STORED, productColumns: SECTION_STORED, vendors: SECTION_STORED,
  matchIndex: SECTION_STORED, matchOrderNumbers: SECTION_STORED, matchTokens: SECTION_STORED, advisories: SECTION_BLOCKS, advisoryIndex: SECTION_STORED, kev: SECTION_BLOCKS, kevHashes: SECTION_STORED,
  kevKeys: SECTION_STORED, ssvcHashes: SECTION_STORED, ssvcKeys: SECTION_STORED, ssvc: SECTION_BLOCKS,
};

/**
 * FNV-1a over the key's UTF-16 code units. A keyed section stores the sorted hashes of its keys uncompressed:
 * most lookups (CVEs not in KEV, not assessed by SSVC) end in a binary search there without inflating a block;
 * a colliding miss costs one block and still answers undefined.
 */
function keyHash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function hasHash(sorted: Uint32Array, hash: number): boolean {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < hash) lo = mid + 1;
    else hi = mid;
  }
  return lo < sorted.length && sorted[lo] === hash;
}

function sortedHashes(keys: readonly string[]): Buffer {
  const hashes = new Uint32Array(keys.length);
  for (let i = 0; i < keys.length; i++) hashes[i] = keyHash(keys[i]!);
  hashes.sort();
  return Buffer.from(hashes.buffer, hashes.byteOffset, hashes.byteLength);
}

/** JSON lines `[key, ...]` (already sorted by key), with each line's end offset and key. */
function keyedLines(rows: unknown[][]): { bytes: Buffer; ends: Uint32Array; keys: string[] } {
  const parts: Buffer[] = [];
  const ends = new Uint32Array(rows.length);
  const keys: string[] = [];
  let at = 0;
  for (let i = 0; i < rows.length; i++) {
    const b = Buffer.from(JSON.stringify(rows[i]) + '\n');
    parts.push(b);
    at += b.length;
    ends[i] = at;
    keys.push(rows[i]![0] as string);
  }
  return { bytes: Buffer.concat(parts), ends, keys };
}

/** Index of the last record of each block: blocks hold whole records and at least `blockBytes` (but the last). */
function blockCuts(recordEnds: Uint32Array, blockBytes: number): number[] {
  const cuts: number[] = [];
  let blockStart = 0;
  for (let k = 0; k < recordEnds.length; k++) {
    if (recordEnds[k]! - blockStart < blockBytes && k < recordEnds.length - 1) continue;
    cuts.push(k);
    blockStart = recordEnds[k]!;
  }
  return cuts;
}

function parseLine(body: Buffer, start: number, end: number, name: PackSectionName): unknown[] {
  let line: unknown;
  try {
    line = JSON.parse(body.toString('utf8', start, end));
  } catch (err) {
    throw new VulnDbError(`corrupt vulnerability database pack: section ${name}: ${(err as Error).message}`);
  }
  if (!Array.isArray(line) || typeof line[0] !== 'string') throw new VulnDbError(`corrupt vulnerability database pack: section ${name}: line`);
  return line;
}

/**
 * The line `[key, ...]` of lines sorted by key: a binary search over byte offsets, decoding only the probed
 * lines, so a lookup does not split the section first. [lo, hi) always starts at a line start; text after the
 * last '\n' is not a line.
 */
function findLine(body: Buffer, name: PackSectionName, key: string): unknown[] | undefined {
  let lo = 0;
  let hi = body.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const start = mid === 0 ? 0 : Math.max(lo, body.lastIndexOf(0x0a, mid - 1) + 1);
    const end = body.indexOf(0x0a, start);
    if (end < 0) {
      hi = start;
      continue;
    }
    const line = parseLine(body, start, end, name);
    const lineKey = line[0] as string;
    if (lineKey === key) return line;
    if (lineKey < key) lo = end + 1;
    else hi = start;
  }
  return undefined;
}

function forEachLine(body: Buffer, name: PackSectionName, fn: (line: unknown[]) => void): void {
  let start = 0;
  for (let end = body.indexOf(0x0a); end >= 0; start = end + 1, end = body.indexOf(0x0a, start)) fn(parseLine(body, start, end, name));
}

interface PackHeader {
  schema: PackSchema;
  builtAt: string;
  generator: string;
  sources: VulnDbSource[];
  stats: VulnDbStats;
  advisoryCount: number;
  /** name → [offset after the header, stored length, raw length] (v2), then v3 on: method, block ends (SECTION_BLOCKS) */
  sections: Partial<Record<PackSectionName, number[]>>;
}

/** A u32 LE array over section bytes: a view when 4-byte aligned (a section inflates into a buffer of its own), else a copy. */
function u32View(raw: Buffer): Uint32Array {
  return raw.byteOffset % 4 === 0
    ? new Uint32Array(raw.buffer, raw.byteOffset, raw.byteLength >>> 2)
    : new Uint32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
}

/** productColumns: advisory, nameId, vendorId (u32 LE each, `count` of them), then flags (u8). */
function readColumns(raw: Buffer, count: number, vendorsRaw: Buffer): ProductColumns {
  const words = u32View(raw.subarray(0, 12 * count));
  let vendors: string[];
  try {
    vendors = JSON.parse(vendorsRaw.toString('utf8')) as string[];
  } catch (err) {
    throw new VulnDbError(`corrupt vulnerability database pack: section vendors: ${(err as Error).message}`);
  }
  const cols: ProductColumns = {
    count,
    advisory: words.subarray(0, count),
    nameId: words.subarray(count, 2 * count),
    vendorId: words.subarray(2 * count, 3 * count),
    vendors,
    flags: new Uint8Array(raw.buffer, raw.byteOffset + 12 * count, count),
  };
  for (let i = 0; i < count; i++) {
    if (cols.vendorId[i]! >= vendors.length) throw new VulnDbError('corrupt vulnerability database pack: product vendor id');
  }
  return cols;
}

/** Sorting by code unit order (what `<` compares), the order the SSVC binary search relies on. */
function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** By index, not by destructuring: ~18,000 calls once per run, mostly before the optimiser has seen them. */
function productFromTuple(t: VulnDbProductTuple): VulnDbProduct {
  return { advisory: t[0], vendor: t[1], name: t[2], models: t[3], version: t[4], affected: t[5], fixed: t[6], remediation: t[7] };
}

function productToTuple(p: VulnDbProduct): VulnDbProductTuple {
  return [p.advisory, p.vendor, p.name, p.models, p.version, p.affected, p.fixed, p.remediation];
}

/** Sniffs the magic without reading the file whole. */
function startsWithPackMagic(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(PACK_MAGIC.length);
    return readSync(fd, head, 0, head.length, 0) === head.length && isPack(head);
  } finally {
    closeSync(fd);
  }
}

function isPack(raw: Buffer): boolean {
  return raw.length >= PACK_MAGIC.length && raw.subarray(0, PACK_MAGIC.length).equals(PACK_MAGIC);
}

/**
 * Where pack bytes come from: a buffer, or a file read piecewise (each section or block once, then kept by
 * the section reader). Touching memory is what costs most here (a fresh process faults in every page it
 * fills), so a run that matches a few dozen assets should read a few hundred KB, not the whole pack.
 */
interface PackSource {
  length: number;
  /** an open file descriptor, closed when the database is collected (null for a buffer) */
  fd: number | null;
  /** bytes [offset, offset + length), which the caller checked lie within `length` */
  read(offset: number, length: number): Buffer;
}

function bufferSource(pack: Buffer): PackSource {
  return { length: pack.length, fd: null, read: (offset, length) => pack.subarray(offset, offset + length) };
}

/** The file stays open, so a database replaced on disk (written to a temp file, renamed) reads consistently. */
function fileSource(path: string): PackSource {
  const fd = openSync(path, 'r');
  let length: number;
  try {
    length = fstatSync(fd).size;
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  return {
    length,
    fd,
    read(offset, want) {
      // a buffer of its own (not a pool slice): u32 sections then view it in place, aligned
      const out = Buffer.allocUnsafeSlow(want);
      let got = 0;
      while (got < want) {
        const n = readSync(fd, out, got, want - got, offset + got);
        if (n === 0) throw new VulnDbError('truncated vulnerability database pack');
        got += n;
      }
      return out;
    },
  };
}

/** Closes a pack file when the database reading it is garbage collected. */
const packFiles = new FinalizationRegistry<number>((fd) => {
  try {
    closeSync(fd);
  } catch {
    // already closed: nothing to release
  }
});

function readPackHeader(pack: PackSource): PackHeader & { dataStart: number } {
  const prefixLength = PACK_MAGIC.length + 4;
  const prefix = pack.read(0, Math.min(prefixLength, pack.length));
  if (!isPack(prefix) || pack.length < prefixLength) throw new VulnDbError('not an otwatch vulnerability database pack');
  const headerLength = prefix.readUInt32LE(PACK_MAGIC.length);
  const dataStart = prefixLength + headerLength;
  if (dataStart > pack.length) throw new VulnDbError('truncated vulnerability database pack header');
  let header: PackHeader;
  try {
    header = JSON.parse(pack.read(prefixLength, headerLength).toString('utf8')) as PackHeader;
  } catch (err) {
    throw new VulnDbError(`corrupt vulnerability database pack header: ${(err as Error).message}`);
  }
  if (header.schema !== VULNDB_PACK_SCHEMA && header.schema !== VULNDB_PACK_SCHEMA_V3 && header.schema !== VULNDB_PACK_SCHEMA_V2) {
    throw new VulnDbError(`unsupported vulnerability database schema '${String(header.schema)}'`);
  }
  if (!(Number.isInteger(header.advisoryCount) && header.advisoryCount >= 0)) throw new VulnDbError('corrupt vulnerability database pack header: advisory count');
  for (const name of sectionsOf(header.schema)) {
    const s = header.sections?.[name];
    if (!Array.isArray(s) || !s.every((n) => Number.isInteger(n) && n >= 0) || dataStart + s[0]! + s[1]! > pack.length || !validLayout(header.schema, s)) {
      throw new VulnDbError(`corrupt vulnerability database pack: section ${name}`);
    }
  }
  if (header.sections.advisoryIndex![2] !== 4 * header.advisoryCount) throw new VulnDbError('corrupt vulnerability database pack: advisory index size');
  if (header.schema !== VULNDB_PACK_SCHEMA_V2) {
    const productIndexBytes = header.sections.productIndex![2];
    if (productIndexBytes % 4 !== 0 || header.sections.productColumns![2] !== 13 * (productIndexBytes >>> 2)) {
      throw new VulnDbError('corrupt vulnerability database pack: product index or columns size');
    }
  }
  return { ...header, dataStart };
}

/** Largest section inflated into a buffer allocated up front from the size the header claims. */
const MAX_PRESIZED_SECTION = 64 * 1024 * 1024;

/** A section entry's storage is one this reader knows, and its blocks tile the section in order. */
function validLayout(schema: PackSchema, s: number[]): boolean {
  if (schema === VULNDB_PACK_SCHEMA_V2) return s.length === 3;
  const method = s[3];
  if (method === SECTION_STORED) return s.length === 4 && s[1] === s[2];
  if (method === SECTION_DEFLATED) return s.length === 4;
  if (method !== SECTION_BLOCKS || s.length % 2 !== 0) return false;
  let raw = 0;
  let compressed = 0;
  for (let k = 4; k < s.length; k += 2) {
    if (!(s[k]! > raw && s[k + 1]! > compressed)) return false;
    raw = s[k]!;
    compressed = s[k + 1]!;
  }
  return raw === s[2] && compressed === s[1];
}

interface SectionReader {
  /** the whole raw section (inflated on first use and kept) */
  whole(name: PackSectionName): Buffer;
  /** raw bytes [start, end): for a blocked section, only the block holding them is inflated (and kept) */
  range(name: PackSectionName, start: number, end: number): Buffer;
  /** the line `[key, ...]` of a blocked section of sorted lines, found through its key hashes and blocks' first keys */
  lookup(name: PackSectionName, hashesName: PackSectionName, keysName: PackSectionName, key: string): unknown[] | undefined;
}

function inflateBytes(name: PackSectionName, bytes: Buffer, rawLength: number): Buffer {
  let body: Buffer;
  try {
    // One output buffer of the section's size (plus the byte zlib needs to see the end without allocating
    // another chunk) instead of 16 KiB chunks joined by a copy; the size is the header's claim, so bounded.
    const chunkSize = rawLength < MAX_PRESIZED_SECTION ? Math.max(64, rawLength + 1) : undefined;
    body = inflateRawSync(bytes, { maxOutputLength: Math.max(1, rawLength), chunkSize });
  } catch (err) {
    throw new VulnDbError(`corrupt vulnerability database pack: section ${name}: ${(err as Error).message}`);
  }
  if (body.length !== rawLength) throw new VulnDbError(`corrupt vulnerability database pack: section ${name} size`);
  return body;
}

/** Each section (or block) read on first use and kept; one that fails to inflate is a VulnDbError. */
function lazySections(pack: PackSource, header: PackHeader & { dataStart: number }): SectionReader {
  const wholes = new Map<PackSectionName, Buffer>();
  const blocks = new Map<PackSectionName, Array<Buffer | undefined>>();
  const entry = (name: PackSectionName): number[] => header.sections[name]!;
  const method = (e: number[]): number => (e.length === 3 ? SECTION_DEFLATED : e[3]!);
  const block = (name: PackSectionName, e: number[], b: number): Buffer => {
    let list = blocks.get(name);
    if (list === undefined) blocks.set(name, (list = []));
    let body = list[b];
    if (body === undefined) {
      const rawStart = b === 0 ? 0 : e[4 + 2 * (b - 1)]!;
      const compressedStart = b === 0 ? 0 : e[5 + 2 * (b - 1)]!;
      const at = header.dataStart + e[0]!;
      body = inflateBytes(name, pack.read(at + compressedStart, e[5 + 2 * b]! - compressedStart), e[4 + 2 * b]! - rawStart);
      list[b] = body;
    }
    return body;
  };
  const whole = (name: PackSectionName): Buffer => {
    let body = wholes.get(name);
    if (body === undefined) {
      const e = entry(name);
      const at = header.dataStart + e[0]!;
      const m = method(e);
      if (m === SECTION_STORED) body = pack.read(at, e[1]!);
      else if (m === SECTION_DEFLATED) body = inflateBytes(name, pack.read(at, e[1]!), e[2]!);
      else {
        const parts: Buffer[] = [];
        for (let b = 0; 4 + 2 * b < e.length; b++) parts.push(block(name, e, b));
        body = Buffer.concat(parts);
      }
      wholes.set(name, body);
    }
    return body;
  };
  const range = (name: PackSectionName, start: number, end: number): Buffer => {
    const e = entry(name);
    if (method(e) !== SECTION_BLOCKS || wholes.has(name)) return whole(name).subarray(start, end);
    // the block whose raw end is the first past `start`
    let lo = 0;
    let hi = (e.length - 4) >>> 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (e[4 + 2 * mid]! <= start) lo = mid + 1;
      else hi = mid;
    }
    if (lo >= (e.length - 4) >>> 1) return Buffer.alloc(0);
    const rawStart = lo === 0 ? 0 : e[4 + 2 * (lo - 1)]!;
    // records never cross a block the writer cut; a range that does (damaged index) reads through the whole
    if (end > e[4 + 2 * lo]!) return whole(name).subarray(start, end);
    return block(name, e, lo).subarray(start - rawStart, end - rawStart);
  };
  const firstKeyLists = new Map<PackSectionName, string[]>();
  const hashLists = new Map<PackSectionName, Uint32Array>();
  const lookup = (name: PackSectionName, hashesName: PackSectionName, keysName: PackSectionName, key: string): unknown[] | undefined => {
    const e = entry(name);
    if (method(e) !== SECTION_BLOCKS || wholes.has(name)) return findLine(whole(name), name, key);
    let hashes = hashLists.get(hashesName);
    if (hashes === undefined) {
      const raw = whole(hashesName);
      if (raw.length % 4 !== 0) throw new VulnDbError(`corrupt vulnerability database pack: section ${hashesName}`);
      hashLists.set(hashesName, (hashes = u32View(raw)));
    }
    if (!hasHash(hashes, keyHash(key))) return undefined;
    const blockCount = (e.length - 4) >>> 1;
    let firstKeys = firstKeyLists.get(keysName);
    if (firstKeys === undefined) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(whole(keysName).toString('utf8'));
      } catch (err) {
        throw new VulnDbError(`corrupt vulnerability database pack: section ${keysName}: ${(err as Error).message}`);
      }
      if (!Array.isArray(parsed) || parsed.length !== blockCount || !parsed.every((k) => typeof k === 'string')) {
        throw new VulnDbError(`corrupt vulnerability database pack: section ${keysName}`);
      }
      firstKeys = parsed as string[];
      firstKeyLists.set(keysName, firstKeys);
    }
    // the last block whose first key is <= key (code unit order, as written)
    let lo = 0;
    let hi = blockCount;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (firstKeys[mid]! <= key) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? undefined : findLine(block(name, e, lo - 1), name, key);
  };
  return { whole, range, lookup };
}

function upgradeRatings(c: AdvisoryCve): void {
  const v3 = upgradeCvss(c.cvss3);
  if (v3) c.cvss3 = v3;
  else delete c.cvss3;
  const v4 = upgradeCvss(c.cvss4);
  if (v4) c.cvss4 = v4;
  else delete c.cvss4;
}

export class VulnDbError extends Error {
  override readonly name = 'VulnDbError';
}

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The database shipped in the package. */
export const SHIPPED_VULNDB_PATH = join(ROOT, 'data', 'vuln', 'vulndb.pack');

/** Name of a user database written before the pack format (v1, gzip'd JSON): still read when no pack exists. */
const LEGACY_USER_NAME = 'vulndb.json.gz';

/** Where a user's refreshed database lives: $OTWATCH_VULNDB, else $XDG_DATA_HOME/otwatch, else ~/.local/share/otwatch. */
export function userVulnDbPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env['OTWATCH_VULNDB']) return env['OTWATCH_VULNDB'];
  return join(userDataDir(env), 'vulndb.pack');
}

function userDataDir(env: NodeJS.ProcessEnv): string {
  return join(env['XDG_DATA_HOME'] || join(homedir(), '.local', 'share'), 'otwatch');
}

export interface LoadedVulnDb {
  db: VulnDatabase;
  path: string;
  origin: 'user' | 'shipped';
}

/** Loads the user's database when present, else the shipped one. Throws VulnDbError when neither loads. */
export function loadVulnDb(env: NodeJS.ProcessEnv = process.env): LoadedVulnDb {
  const user = userVulnDbPath(env);
  if (existsSync(user)) return { db: readVulnDb(user), path: user, origin: 'user' };
  const legacy = join(userDataDir(env), LEGACY_USER_NAME);
  if (!env['OTWATCH_VULNDB'] && existsSync(legacy)) return { db: readVulnDb(legacy), path: legacy, origin: 'user' };
  if (existsSync(SHIPPED_VULNDB_PATH)) return { db: readVulnDb(SHIPPED_VULNDB_PATH), path: SHIPPED_VULNDB_PATH, origin: 'shipped' };
  throw new VulnDbError(`no vulnerability database: neither ${user} nor ${SHIPPED_VULNDB_PATH} exists`);
}

/**
 * Reads a pack (only its header now, each section from the open file when first used) or a v1 document (gzip'd or plain
 * JSON, parsed whole). The format is told by content, not by name.
 */
export function readVulnDb(path: string): VulnDatabase {
  let raw: Buffer;
  try {
    if (startsWithPackMagic(path)) return VulnDatabase.fromPackFile(path);
    raw = readFileSync(path);
  } catch (err) {
    if (err instanceof VulnDbError) throw new VulnDbError(`cannot read vulnerability database ${path}: ${err.message}`);
    if (err instanceof Error && 'code' in err) throw new VulnDbError(`cannot read vulnerability database ${path}: ${err.message}`);
    throw err;
  }
  let file: VulnDbFile;
  try {
    const text = (raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw).toString('utf8');
    file = JSON.parse(text) as VulnDbFile;
  } catch (err) {
    throw new VulnDbError(`cannot read vulnerability database ${path}: ${(err as Error).message}`);
  }
  return VulnDatabase.fromFile(file);
}

/** Writes a pack atomically (temp file + rename) so a crash never leaves a half-written database in use. */
export function writeVulnDb(path: string, db: VulnDatabase, generator: string): number {
  mkdirSync(dirname(path), { recursive: true });
  const body = db.toPack(generator);
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, body);
  renameSync(tmp, path);
  return statSync(path).size;
}
