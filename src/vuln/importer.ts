/**
 * Builds a VulnDatabase from what a user downloaded: CSAF 2.0 advisories (files, folders, .tar/.tar.gz
 * feeds), the CISA KEV catalog (known_exploited_vulnerabilities.json) and CISA SSVC data (the compact
 * `ssvc-compact/1` file, gzip'd or not). Inputs are recognised by content, not by name. Several revisions of
 * one advisory keep the newest. An existing database can be the starting point (refresh).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { isCsafDocument, isNewerRevision, parseCsafAdvisory, type AdvisoryRecord, type CsafParseIssue } from './csaf.js';
import { countCvss, emptyCvssStats } from './cvss.js';
import { VulnDatabase, type KevEntry, type SsvcEntry, type VulnDbSource, type VulnDbStats } from './db.js';
import { readTar as readTarSync } from './tar.js';
import { parseVersionRange } from './version.js';

export interface ImportOptions {
  /** start from this database (refresh); its advisories are replaced by newer revisions */
  base?: VulnDatabase;
  /** per-file progress */
  onFile?: (path: string) => void;
  /** cap on one JSON file's size (bytes); bigger files are rejected and counted */
  maxFileBytes?: number;
}

export interface ImportResult {
  db: VulnDatabase;
  /** problems worth telling the user (rejected files, advisories without product status), capped */
  issues: string[];
  issuesDropped: number;
}

const DEFAULT_MAX_FILE_BYTES = 64 * 1024 * 1024;
const MAX_ISSUES = 200;

class Collector {
  readonly advisories = new Map<string, AdvisoryRecord>();
  kev: Map<string, KevEntry> | null = null;
  ssvc: Map<string, SsvcEntry> | null = null;
  readonly sources: VulnDbSource[] = [];
  advisoryFiles = 0;
  revisionsReplaced = 0;
  filesRejected = 0;
  readonly issues: string[] = [];
  issuesDropped = 0;

  issue(text: string): void {
    if (this.issues.length < MAX_ISSUES) this.issues.push(text);
    else this.issuesDropped++;
  }

  addAdvisory(r: AdvisoryRecord): void {
    const existing = this.advisories.get(r.id);
    if (existing === undefined) this.advisories.set(r.id, r);
    else {
      this.revisionsReplaced++;
      if (isNewerRevision(r, existing)) this.advisories.set(r.id, r);
    }
  }
}

/** Imports the given paths. Throws only for unusable arguments (missing path); bad files are counted. */
export function importVulnData(paths: string[], options: ImportOptions = {}): ImportResult {
  const c = new Collector();
  const maxBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  if (options.base) seedFromDatabase(c, options.base);
  for (const path of paths) {
    const st = statSync(path); // throws ENOENT for a missing path: the CLI reports it as bad usage
    const before = c.advisories.size + c.revisionsReplaced;
    let newest = '';
    const visit = (name: string, data: Buffer): void => {
      options.onFile?.(name);
      const found = ingestBuffer(c, name, data, maxBytes);
      if (found > newest) newest = found;
    };
    if (st.isDirectory()) walkDir(path, visit);
    else visit(path, readFileSync(path));
    const added = c.advisories.size + c.revisionsReplaced - before;
    if (added > 0) c.sources.push({ kind: 'csaf', name: basename(path), date: newest, count: added });
  }
  return { db: finish(c), issues: c.issues, issuesDropped: c.issuesDropped };
}

function walkDir(dir: string, visit: (name: string, data: Buffer) => void): void {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    const st = statSync(path);
    if (st.isDirectory()) walkDir(path, visit);
    else if (/\.(json|json\.gz|tar|tar\.gz|tgz)$/i.test(name)) visit(path, readFileSync(path));
  }
}

/** Returns the newest CSAF release date seen in the buffer ("" when none). */
function ingestBuffer(c: Collector, name: string, data: Buffer, maxBytes: number): string {
  if (isTar(data)) return ingestTar(c, name, data, maxBytes);
  let raw = data;
  if (raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      raw = gunzipSync(raw, { maxOutputLength: maxBytes });
    } catch (err) {
      c.filesRejected++;
      c.issue(`${name}: cannot decompress (${(err as Error).message})`);
      return '';
    }
    if (isTar(raw)) return ingestTar(c, name, raw, maxBytes);
  }
  if (raw.length > maxBytes) {
    c.filesRejected++;
    c.issue(`${name}: larger than ${maxBytes} bytes, skipped`);
    return '';
  }
  let doc: unknown;
  try {
    doc = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    c.filesRejected++;
    c.issue(`${name}: not JSON (${(err as Error).message})`);
    return '';
  }
  return ingestJson(c, name, doc);
}

function isTar(buf: Buffer): boolean {
  return buf.length >= 512 && buf.toString('latin1', 257, 262) === 'ustar';
}

function ingestTar(c: Collector, name: string, data: Buffer, maxBytes: number): string {
  let newest = '';
  try {
    for (const entry of readTarSync(data)) {
      if (!/\.json$/i.test(entry.path)) continue;
      const found = ingestBuffer(c, `${name}:${entry.path}`, entry.data, maxBytes);
      if (found > newest) newest = found;
    }
  } catch (err) {
    c.filesRejected++;
    c.issue(`${name}: ${(err as Error).message}`);
  }
  return newest;
}

function ingestJson(c: Collector, name: string, doc: unknown): string {
  if (isCsafDocument(doc)) {
    const issues: CsafParseIssue[] = [];
    const record = parseCsafAdvisory(doc, issues);
    for (const i of issues) c.issue(`${basename(name)}: ${i.problem}`);
    if (record === null) {
      c.filesRejected++;
      return '';
    }
    c.advisoryFiles++;
    c.addAdvisory(record);
    return record.currentRelease;
  }
  const obj = doc as Record<string, unknown> | null;
  if (obj && Array.isArray(obj['vulnerabilities']) && typeof obj['catalogVersion'] === 'string') {
    c.kev = parseKev(obj);
    c.sources.push({ kind: 'kev', name: basename(name), date: String(obj['catalogVersion']), count: c.kev.size });
    return '';
  }
  if (obj && typeof obj['ssvc'] === 'object' && obj['ssvc'] !== null) {
    c.ssvc = parseSsvc(obj['ssvc'] as Record<string, unknown>);
    let newest = '';
    for (const e of c.ssvc.values()) if (e[3] > newest) newest = e[3];
    c.sources.push({ kind: 'ssvc', name: basename(name), date: newest, count: c.ssvc.size });
    return '';
  }
  // the CISA feed index (cisa-csaf-ot-feed-tlp-white.json) and other side files are not advisories
  if (!/feed|index|changes|provider-metadata/i.test(basename(name))) {
    c.filesRejected++;
    c.issue(`${basename(name)}: neither a CSAF advisory, a KEV catalog nor SSVC data`);
  }
  return '';
}

export function parseKev(obj: Record<string, unknown>): Map<string, KevEntry> {
  const out = new Map<string, KevEntry>();
  for (const v of obj['vulnerabilities'] as unknown[]) {
    if (typeof v !== 'object' || v === null) continue;
    const e = v as Record<string, unknown>;
    const id = typeof e['cveID'] === 'string' ? e['cveID'] : '';
    if (!/^CVE-\d{4}-\d+$/.test(id)) continue;
    const s = (k: string): string => (typeof e[k] === 'string' ? (e[k] as string) : '');
    out.set(id, {
      vendor: s('vendorProject'), product: s('product'), name: s('vulnerabilityName'), dateAdded: s('dateAdded'),
      ...(s('dueDate') ? { dueDate: s('dueDate') } : {}),
      ransomware: s('knownRansomwareCampaignUse') === 'Known',
      ...(s('requiredAction') ? { action: s('requiredAction').slice(0, 300) } : {}),
    });
  }
  return out;
}

export function parseSsvc(obj: Record<string, unknown>): Map<string, SsvcEntry> {
  const out = new Map<string, SsvcEntry>();
  for (const [cve, value] of Object.entries(obj)) {
    if (!Array.isArray(value) || value.length < 3) continue;
    out.set(cve, [String(value[0]), String(value[1]), String(value[2]), String(value[3] ?? '')]);
  }
  return out;
}

function seedFromDatabase(c: Collector, base: VulnDatabase): void {
  const records: AdvisoryRecord[] = base.advisories.map((a) => ({
    id: a.id, title: a.title, initialRelease: a.initialRelease, currentRelease: a.currentRelease, revision: a.revision,
    ...(a.url ? { url: a.url } : {}), vendorConverted: a.vendorConverted === true,
    cves: a.cves, remediations: a.remediations, products: [],
  }));
  for (const p of base.products) {
    const { advisory, ...rest } = p;
    records[advisory]!.products.push(rest);
  }
  for (const r of records) c.advisories.set(r.id, r);
  c.kev = base.kev;
  c.ssvc = base.ssvc;
  c.sources.push(...base.sources);
  c.advisoryFiles = base.stats.advisoryFiles;
}

function finish(c: Collector): VulnDatabase {
  let products = 0;
  let ranges = 0;
  let unparsed = 0;
  const cves = new Set<string>();
  const cvss = emptyCvssStats();
  for (const r of c.advisories.values()) {
    for (const cve of r.cves) {
      cves.add(cve.id);
      countCvss(cvss, cve.cvss3);
      countCvss(cvss, cve.cvss4);
    }
    for (const p of r.products) {
      products++;
      if (p.version === '') continue;
      ranges++;
      if (parseVersionRange(p.version) === null) unparsed++;
    }
  }
  // a refreshed source replaces the previous entry of the same kind and name
  const sources = new Map<string, VulnDbSource>();
  for (const s of c.sources) sources.set(`${s.kind}:${s.name}`, s);
  const stats: VulnDbStats = {
    advisoryFiles: c.advisoryFiles,
    advisories: c.advisories.size,
    revisionsReplaced: c.revisionsReplaced,
    products,
    ranges,
    unparsedRanges: unparsed,
    cves: cves.size,
    filesRejected: c.filesRejected,
    cvss,
  };
  return VulnDatabase.fromRecords([...c.advisories.values()], c.kev ?? new Map(), c.ssvc ?? new Map(), [...sources.values()], stats);
}
