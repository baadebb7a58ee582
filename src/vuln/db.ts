/**
 * The offline vulnerability database: CSAF advisories (flattened to product records), the CISA KEV catalog
 * and CISA SSVC decision points, stored as one gzip'd JSON file (`otwatch.vulndb/v1`). The package ships
 * data/vuln/vulndb.json.gz; a user refresh (`otwatch vulndb import`) writes to the user data directory,
 * which takes precedence. See docs/vulndb.md for the format and why it is JSON rather than SQLite.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { AdvisoryCve, AdvisoryProduct, AdvisoryRecord } from './csaf.js';
import { upgradeCvss, type CvssStats } from './cvss.js';

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

/** In-memory database. */
export class VulnDatabase {
  constructor(
    readonly builtAt: string,
    readonly sources: VulnDbSource[],
    readonly stats: VulnDbStats,
    readonly advisories: VulnDbAdvisory[],
    readonly products: VulnDbProduct[],
    readonly kev: Map<string, KevEntry>,
    readonly ssvc: Map<string, SsvcEntry>,
  ) {}

  static fromFile(file: VulnDbFile): VulnDatabase {
    if (file.schema !== VULNDB_SCHEMA) throw new VulnDbError(`unsupported vulnerability database schema '${String(file.schema)}'`);
    const products = file.products.map(([advisory, vendor, name, models, version, affected, fixed, remediation]) => ({
      advisory, vendor, name, models, version, affected, fixed, remediation,
    }));
    for (const a of file.advisories) for (const c of a.cves) upgradeRatings(c);
    return new VulnDatabase(
      file.builtAt, file.sources, file.stats, file.advisories, products,
      new Map(Object.entries(file.kev)), new Map(Object.entries(file.ssvc)),
    );
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
      products: this.products.map((p) => [p.advisory, p.vendor, p.name, p.models, p.version, p.affected, p.fixed, p.remediation]),
      kev,
      ssvc,
    };
  }

  /** Newest advisory release date in the database (ISO string, "" when empty). */
  newestAdvisory(): string {
    let newest = '';
    for (const a of this.advisories) if (a.currentRelease > newest) newest = a.currentRelease;
    return newest;
  }
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
export const SHIPPED_VULNDB_PATH = join(ROOT, 'data', 'vuln', 'vulndb.json.gz');

/** Where a user's refreshed database lives: $OTWATCH_VULNDB, else $XDG_DATA_HOME/otwatch, else ~/.local/share/otwatch. */
export function userVulnDbPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env['OTWATCH_VULNDB']) return env['OTWATCH_VULNDB'];
  const base = env['XDG_DATA_HOME'] || join(homedir(), '.local', 'share');
  return join(base, 'otwatch', 'vulndb.json.gz');
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
  if (existsSync(SHIPPED_VULNDB_PATH)) return { db: readVulnDb(SHIPPED_VULNDB_PATH), path: SHIPPED_VULNDB_PATH, origin: 'shipped' };
  throw new VulnDbError(`no vulnerability database: neither ${user} nor ${SHIPPED_VULNDB_PATH} exists`);
}

export function readVulnDb(path: string): VulnDatabase {
  let file: VulnDbFile;
  try {
    const raw = readFileSync(path);
    const text = (raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw).toString('utf8');
    file = JSON.parse(text) as VulnDbFile;
  } catch (err) {
    throw new VulnDbError(`cannot read vulnerability database ${path}: ${(err as Error).message}`);
  }
  return VulnDatabase.fromFile(file);
}

/** Writes atomically (temp file + rename) so a crash never leaves a half-written database in use. */
export function writeVulnDb(path: string, db: VulnDatabase, generator: string): number {
  mkdirSync(dirname(path), { recursive: true });
  const body = gzipSync(Buffer.from(JSON.stringify(db.toFile(generator))), { level: 9 });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, body);
  renameSync(tmp, path);
  return statSync(path).size;
}
