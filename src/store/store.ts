/**
 * The embedded store behind `otwatch analyze --db FILE` (docs/store.md).
 *
 * One analysis run (one report, covering one or more captures identified by content hash) is stored as its own
 * contribution in the `run_*` tables; everything database-wide is aggregated over the runs present. Each
 * capture hash belongs to at most one run, so analysing more captures accumulates and analysing the same
 * capture again replaces (never adds to) what it contributed.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createRequire } from 'node:module';
import type Database from 'better-sqlite3';
import type { OperationKind, ProtocolName } from '../events/types.js';
import { IDENTITY_FIELDS, compatibleValues } from '../model/identity.js';
import { isoTime } from '../report/time.js';
import {
  ALERT_SEVERITIES, ALERT_STATUSES, ASSET_ROLES, REPORT_SCHEMA, type AlertReport, type AlertStatus,
  type AssetProtocol, type AssetReport, type AssetRole, type CaptureReport, type CommunicationReport, type Criticality,
  type IdentityClaim, type OsSummary, type Report, type ReportStats, type RoleDetail,
} from '../report/types.js';
import { VERSION } from '../version.js';
import { migrations as defaultMigrations, type Migration } from './migrations.js';

export { migrations, type Migration } from './migrations.js';

/** "otwa": marks the SQLite file as an otwatch store (PRAGMA application_id). */
export const APPLICATION_ID = 0x6f747761;

export interface CaptureIdentity {
  /** the name the capture was read from (informational: identity is the hash) */
  file: string;
  /** SHA-256 of the capture file's bytes as read (compressed bytes for a .gz), lower-case hex */
  sha256: string;
  size: number;
}

/**
 * - added: none of the captures was stored before.
 * - replaced: exactly these captures were stored as one run; that run's contribution was replaced (same run id).
 * - superseded: new captures plus all captures of one or more stored runs; those runs were removed.
 * - already-covered: every capture is already stored, in other groupings (inside a larger run, or split over
 *   several runs); nothing changed: storing it would count those captures twice.
 */
export type IngestOutcome = 'added' | 'replaced' | 'superseded' | 'already-covered';

export interface IngestResult {
  outcome: IngestOutcome;
  /** the runs that hold these captures after the call (one, except when already covered by several) */
  runKeys: string[];
  /** runs deleted by this call (their keys) */
  removedRuns: string[];
  /** how many of the report's captures the database did not hold before */
  newCaptures: number;
}

export interface StoredCapture extends CaptureReport {
  sha256: string;
  size: number;
  /** the run this capture was analysed in */
  runKey: string;
}

export interface StoreTotals {
  runs: number;
  captures: number;
  /** sum of the stored capture files' sizes */
  captureBytes: number;
  assets: number;
  communications: number;
  alerts: number;
  vulnerabilities: number;
  /** every ReportStats counter summed over runs; durationMs is not stored and is 0 */
  stats: ReportStats;
}

export interface StoreOptions {
  /** the migration list to bring the database to (tests use longer/shorter lists); default: `migrations` */
  migrations?: readonly Migration[];
  /** how long a writer waits for another process' lock before failing, ms (default 5000) */
  busyTimeoutMs?: number;
  /** merged identity claims kept per field and asset, best first (default 8; "user" claims use maxUsers) */
  maxClaimsPerField?: number;
  /** sources kept per merged identity claim (default 4) */
  maxSourcesPerClaim?: number;
  /** users (and "user" identity claims) kept per merged asset (default 32) */
  maxUsers?: number;
}

/** Caps of the merge over runs; hitting one is counted in toReport()'s stats.capsHit under these names. */
export const MERGE_CAP_NAMES = {
  claims: 'store.identity-claims',
  sources: 'store.identity-sources',
  users: 'store.users',
} as const;

/** The analyst's triage state of one alert (alert_states). */
export interface AlertState {
  status: AlertStatus;
  changedAt: string;
  note: string | null;
}

export class StoreError extends Error {
  override name = 'StoreError';
}

/** The database was written by a newer otwatch (or is older than this build can upgrade). */
export class StoreVersionError extends StoreError {
  override name = 'StoreVersionError';
  constructor(message: string, readonly databaseVersion: number, readonly supportedVersion: number) {
    super(message);
  }
}

/** The report's captures overlap a stored run only partly: storing it would count the shared captures twice. */
export class StoreConflictError extends StoreError {
  override name = 'StoreConflictError';
}

/** Streams a file through SHA-256; resolves to lower-case hex. */
export function hashFile(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    const stream = createReadStream(path);
    stream.on('error', reject);
    stream.on('data', (chunk) => hash.update(chunk));
    stream.on('end', () => resolve(hash.digest('hex')));
  });
}

/** CaptureIdentity of a file on disk, size taken from the bytes hashed (so both describe the same content). */
export function identifyFile(path: string): Promise<CaptureIdentity> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    let size = 0;
    const stream = createReadStream(path);
    stream.on('error', reject);
    stream.on('data', (chunk) => {
      size += chunk.length;
      hash.update(chunk);
    });
    stream.on('end', () => resolve({ file: path, sha256: hash.digest('hex'), size }));
  });
}

// durationMs describes the analysing process, not the traffic: storing it would make re-analysing a capture
// change the store.
type ScalarStat = Exclude<keyof ReportStats, 'analyzers' | 'capsHit' | 'durationMs'>;
// A Record (not an array) so that adding a ReportStats field without deciding about it fails to compile.
const SCALAR_STATS: Record<ScalarStat, true> = {
  packets: true, bytes: true, decodeErrors: true, unsupportedLink: true, flows: true, flowsEvicted: true,
  flowsTimedOut: true, ipFragmentsReassembled: true, ipFragmentsDropped: true, tcpGaps: true,
  tcpOutOfOrderDropped: true, tcpRetransmissions: true, events: true,
};
const SCALAR_STAT_NAMES = Object.keys(SCALAR_STATS) as ScalarStat[];
const ANALYZER_PREFIX = 'analyzers.';
const CAP_PREFIX = 'capsHit.';
const SHA256_HEX = /^[0-9a-f]{64}$/;

function emptyStats(): ReportStats {
  const stats = { analyzers: {}, capsHit: {}, durationMs: 0 } as unknown as ReportStats;
  for (const name of SCALAR_STAT_NAMES) stats[name] = 0;
  return stats;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const ROLE_ORDER = new Map<string, number>(ASSET_ROLES.map((role, i) => [role, i]));
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** IPv4 numerically, then everything else (IPv6) as text: a stable, human order for address lists. */
function compareIps(a: string, b: string): number {
  const ma = IPV4.exec(a);
  const mb = IPV4.exec(b);
  if (ma && mb) {
    for (let i = 1; i <= 4; i++) {
      const d = Number(ma[i]) - Number(mb[i]);
      if (d !== 0) return d;
    }
    return 0;
  }
  if (ma) return -1;
  if (mb) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** An alert's stable identity, if it declares one; alert_states keys the analyst's status by it. */
function alertKey(alert: unknown): string | null {
  if (alert !== null && typeof alert === 'object') {
    const id = (alert as { id?: unknown }).id;
    if (typeof id === 'string' && id.length > 0) return id;
  }
  return null;
}

// ---- derived intelligence (migration 2): one JSON document per run asset / run communication

/** An identity claim source as stored: its capture by hash, since a captureIndex only means something in one run. */
interface StoredSource {
  protocol: string;
  frame: number;
  capture: string;
}

interface StoredClaim {
  value: string;
  confidence: number;
  sources: StoredSource[];
}

/** run_assets.intel */
interface StoredAssetIntel {
  identity: Partial<Record<string, StoredClaim[]>>;
  identityConflicts: string[];
  os: OsSummary | null;
  domain: string | null;
  users: string[];
  roles: AssetRole[];
  roleDetails: RoleDetail[];
  purdueInferred: boolean;
  zoneInferred: boolean;
  criticality: Criticality | null;
}

type CommunicationIntel = Pick<CommunicationReport,
  'srcLevel' | 'dstLevel' | 'srcZone' | 'dstZone' | 'crossesItOt' | 'skipsLevels' | 'internet' | 'conduitAllowed'>;

/** What a communication reads as when no stored run described it (runs stored before migration 2). */
const UNKNOWN_COMMUNICATION_INTEL: Readonly<CommunicationIntel> = {
  srcLevel: null, dstLevel: null, srcZone: null, dstZone: null,
  crossesItOt: false, skipsLevels: false, internet: false, conduitAllowed: null,
};

/** Fields where several values are normal and never a conflict (as in model/identity.ts). */
const MULTI_VALUED_IDENTITY: ReadonlySet<string> = new Set(['user']);
/** Roles of a run stored before migration 2 carry no evidence: said so rather than invented. */
const LEGACY_ROLE_REASON = 'stored by an otwatch that did not keep role evidence';
const NO_ROLE_EVIDENCE = 'no role evidence';

function unknownRole(): RoleDetail {
  return { role: 'unknown', confidence: 0, reasons: [NO_ROLE_EVIDENCE] };
}

/** A run's roles say something unless they are empty or only "unknown". */
function informativeRoles(roles: readonly AssetRole[]): boolean {
  return roles.some((r) => r !== 'unknown');
}

/** Claims of one field are the same claim when their values match as model/identity.ts keys them. */
function claimKey(field: string, value: string): string {
  return field === 'vendor' || field === 'hostname' || field === 'domain' || field === 'user' ? value.toLowerCase() : value;
}

function captureHashAt(ids: readonly CaptureIdentity[], index: number, assetId: string, what: string): string {
  const capture = ids[index];
  if (capture === undefined) throw new StoreError(`asset ${assetId}: ${what} names capture index ${index}, the report has ${ids.length}`);
  return capture.sha256;
}

function assetIntelJson(a: AssetReport, ids: readonly CaptureIdentity[]): string {
  const identity: Partial<Record<string, StoredClaim[]>> = {};
  // Reports written before these fields existed (a saved --json file) are stored as saying nothing about them.
  for (const [field, claims] of Object.entries(a.identity ?? {})) {
    if (claims === undefined) continue;
    identity[field] = claims.map((c) => ({
      value: c.value,
      confidence: c.confidence,
      sources: c.sources.map((src) => ({
        protocol: src.protocol, frame: src.frame, capture: captureHashAt(ids, src.captureIndex, a.id, `identity ${field} source`),
      })),
    }));
  }
  const intel: StoredAssetIntel = {
    identity,
    identityConflicts: a.identityConflicts ?? [],
    os: a.os ?? null,
    domain: a.domain ?? null,
    users: a.users ?? [],
    roles: a.roles,
    roleDetails: a.roleDetails ?? [],
    purdueInferred: a.purdueInferred ?? true,
    zoneInferred: a.zoneInferred ?? true,
    criticality: a.criticality ?? null,
  };
  return JSON.stringify(intel);
}

function communicationIntelJson(c: CommunicationReport): string {
  const d = UNKNOWN_COMMUNICATION_INTEL;
  const intel: CommunicationIntel = {
    srcLevel: c.srcLevel ?? d.srcLevel, dstLevel: c.dstLevel ?? d.dstLevel, srcZone: c.srcZone ?? d.srcZone,
    dstZone: c.dstZone ?? d.dstZone, crossesItOt: c.crossesItOt ?? d.crossesItOt, skipsLevels: c.skipsLevels ?? d.skipsLevels,
    internet: c.internet ?? d.internet, conduitAllowed: c.conduitAllowed ?? d.conduitAllowed,
  };
  return JSON.stringify(intel);
}

interface MergeCaps {
  claims: number;
  sources: number;
  users: number;
}

/** One run's view of an asset, newest first in traffic time. */
interface Sighting {
  runId: number;
  intel: StoredAssetIntel | null;
}

/**
 * The derived fields of one asset from its sightings (newest first): identity claims and users are unions, the
 * rest comes from the newest run that has a value. `legacyRoles` gives the roles of runs without intel.
 */
function mergeIntel(
  a: AssetReport,
  sightings: readonly Sighting[],
  legacyRoles: (runId: number) => AssetRole[],
  captureIndex: ReadonlyMap<string, number>,
  caps: MergeCaps,
  capsHit: Record<string, number>,
): void {
  const hit = (name: string): void => {
    capsHit[name] = (capsHit[name] ?? 0) + 1;
  };

  // Identity: claims in the order of the newest run that states them (so the newest run's winner, which also
  // gave the flat field, stays first), then claims only older runs made; confidence is the highest any run gave.
  const byField = new Map<string, Map<string, IdentityClaim>>();
  const runConflicts = new Set<string>();
  for (const { intel } of sightings) {
    if (intel === null) continue;
    for (const field of intel.identityConflicts) runConflicts.add(field);
    for (const [field, claims] of Object.entries(intel.identity)) {
      if (claims === undefined) continue;
      let merged = byField.get(field);
      if (merged === undefined) byField.set(field, (merged = new Map()));
      for (const c of claims) {
        const k = claimKey(field, c.value);
        let claim = merged.get(k);
        if (claim === undefined) merged.set(k, (claim = { value: c.value, confidence: c.confidence, sources: [] }));
        else if (c.confidence > claim.confidence) claim.confidence = c.confidence;
        for (const src of c.sources) {
          const index = captureIndex.get(src.capture)!;
          if (!claim.sources.some((x) => x.captureIndex === index && x.frame === src.frame && x.protocol === src.protocol)) {
            claim.sources.push({ protocol: src.protocol, frame: src.frame, captureIndex: index });
          }
        }
      }
    }
  }
  const conflicts = new Set<string>();
  for (const field of IDENTITY_FIELDS) {
    const merged = byField.get(field);
    if (merged === undefined) continue;
    const claims = [...merged.values()];
    // recomputed over the union, as the analysis does per run; before capping, as the analysis does too
    if (!MULTI_VALUED_IDENTITY.has(field) && claims.some((c) => !compatibleValues(field, claims[0]!.value, c.value))) conflicts.add(field);
    const max = field === 'user' ? caps.users : caps.claims;
    if (claims.length > max) {
      claims.length = max;
      hit(MERGE_CAP_NAMES.claims);
    }
    for (const c of claims) {
      if (c.sources.length > caps.sources) {
        c.sources.length = caps.sources;
        hit(MERGE_CAP_NAMES.sources);
      }
    }
    a.identity[field] = claims;
  }
  // A run's own conflict stands even when the claims that showed it were capped away before storing.
  for (const field of runConflicts) conflicts.add(field);
  const fieldOrder = (f: string): number => {
    const i = (IDENTITY_FIELDS as readonly string[]).indexOf(f);
    return i < 0 ? IDENTITY_FIELDS.length : i;
  };
  a.identityConflicts = [...conflicts].sort((x, y) => fieldOrder(x) - fieldOrder(y) || cmp(x, y));

  const users = new Map<string, string>();
  for (const { intel } of sightings) {
    if (intel === null) continue;
    if (a.os === null) a.os = intel.os;
    if (a.domain === null) a.domain = intel.domain;
    if (a.criticality === null) a.criticality = intel.criticality;
    for (const user of intel.users) if (!users.has(user.toLowerCase())) users.set(user.toLowerCase(), user);
  }
  a.users = [...users.values()].sort(cmp);
  if (a.users.length > caps.users) {
    a.users.length = caps.users;
    hit(MERGE_CAP_NAMES.users);
  }

  // Roles: the newest run that placed the asset in a role; a later capture where it only, say, answered ARP
  // ("unknown") must not erase that. Failing that, the newest run's own "unknown" with its evidence.
  let chosen: { roles: AssetRole[]; details: RoleDetail[] } | null = null;
  let fallback: { roles: AssetRole[]; details: RoleDetail[] } | null = null;
  for (const { runId, intel } of sightings) {
    const roles = intel !== null ? intel.roles : legacyRoles(runId);
    const details = intel !== null && intel.roleDetails.length > 0
      ? intel.roleDetails
      : roles.map((role): RoleDetail => ({ role, confidence: 0, reasons: [role === 'unknown' ? NO_ROLE_EVIDENCE : LEGACY_ROLE_REASON] }));
    if (informativeRoles(roles)) {
      chosen = { roles, details };
      break;
    }
    if (fallback === null && roles.length > 0) fallback = { roles, details };
  }
  const picked = chosen ?? fallback;
  a.roles = picked !== null ? [...picked.roles] : ['unknown'];
  a.roleDetails = picked !== null && picked.details.length > 0 ? picked.details : [unknownRole()];
}

/**
 * better-sqlite3 (a native module, ~100 ms to load) only when a database is actually opened: most `analyze`
 * runs have no --db, and the CLI reaches this module through the alert commands either way.
 */
let sqlite: typeof Database | null = null;
function loadSqlite(): typeof Database {
  return (sqlite ??= createRequire(import.meta.url)('better-sqlite3') as typeof Database);
}

function readVersion(db: Database.Database): number {
  const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
  if (table === undefined) return 0;
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null };
  return row.v ?? 0;
}

function checkMigrationList(list: readonly Migration[]): void {
  list.forEach((m, i) => {
    if (m.version !== i + 1) throw new StoreError(`migration list is not numbered 1..n: step ${i} has version ${m.version}`);
  });
}

function newerError(path: string, dbVersion: number, supported: number): StoreVersionError {
  return new StoreVersionError(
    `database ${path} has schema version ${dbVersion}, written by a newer otwatch; this otwatch (${VERSION}) ` +
      `understands up to version ${supported}. Upgrade otwatch or use another --db file.`,
    dbVersion, supported,
  );
}

function migrate(db: Database.Database, path: string, list: readonly Migration[]): void {
  const latest = list.length;
  const appId = db.pragma('application_id', { simple: true }) as number;
  if (appId !== 0 && appId !== APPLICATION_ID) {
    throw new StoreError(`${path} is an SQLite database of another application (application_id ${appId}), not an otwatch store`);
  }
  const current = readVersion(db);
  if (current === 0) {
    const row = db.prepare("SELECT COUNT(*) AS n FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'").get() as { n: number };
    if (row.n > 0) throw new StoreError(`${path} is an SQLite database with other tables, not an otwatch store`);
  }
  if (current > latest) throw newerError(path, current, latest);

  // IMMEDIATE: two processes opening the same new file must not both apply a step; the loser re-reads and skips.
  const apply = db.transaction((step: Migration) => {
    const now = readVersion(db);
    if (now >= step.version) return;
    if (now !== step.version - 1) throw new StoreError(`database ${path} is at schema version ${now}, cannot apply step ${step.version}`);
    if (now === 0) {
      db.exec(`CREATE TABLE schema_migrations (
        version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL, otwatch_version TEXT NOT NULL
      ) STRICT`);
      db.pragma(`application_id = ${APPLICATION_ID}`);
    }
    db.exec(step.sql);
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at, otwatch_version) VALUES (?, ?, ?, ?)')
      .run(step.version, step.name, new Date().toISOString(), VERSION);
    // mirrored for tools that only look at the header
    db.pragma(`user_version = ${step.version}`);
  });
  for (const step of list) {
    if (step.version > current) apply.immediate(step);
  }
  const final = readVersion(db);
  if (final > latest) throw newerError(path, final, latest);
}

type Row = Record<string, unknown>;

interface AssetIdentityRow {
  asset_id: string; run_id: number; mac: string | null; vendor: string | null; vendor_source: string | null;
  model: string | null; firmware: string | null; serial: string | null; purdue: number | null; zone: string | null;
  intel: string | null;
}

export class Store {
  private readonly db: Database.Database;
  private readonly path: string;
  private readonly sql: ReturnType<typeof prepareStatements>;
  private readonly caps: MergeCaps;
  private readonly ingestTx: Database.Transaction<(report: Report, ids: CaptureIdentity[], runKey: string) => IngestResult>;

  private constructor(db: Database.Database, path: string, caps: MergeCaps) {
    this.db = db;
    this.path = path;
    this.caps = caps;
    this.sql = prepareStatements(db);
    this.ingestTx = db.transaction((report: Report, ids: CaptureIdentity[], runKey: string) => this.ingestInTransaction(report, ids, runKey));
  }

  /** Opens (creating if needed) and upgrades the store at `path`. Throws StoreError/StoreVersionError. */
  static open(path: string, options: StoreOptions = {}): Store {
    const list = options.migrations ?? defaultMigrations;
    checkMigrationList(list);
    const caps: MergeCaps = {
      claims: positiveCap('maxClaimsPerField', options.maxClaimsPerField ?? 8),
      sources: positiveCap('maxSourcesPerClaim', options.maxSourcesPerClaim ?? 4),
      users: positiveCap('maxUsers', options.maxUsers ?? 32),
    };
    let db: Database.Database;
    try {
      db = new (loadSqlite())(path, { timeout: options.busyTimeoutMs ?? 5000 });
    } catch (err) {
      throw new StoreError(`cannot open database ${path}: ${errorMessage(err)}`, { cause: err });
    }
    try {
      // WAL: readers (a dashboard) never block the analyser writing, and a crash cannot leave a torn file.
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      migrate(db, path, list);
      return new Store(db, path, caps);
    } catch (err) {
      db.close();
      if (err instanceof StoreError) throw err;
      throw new StoreError(`cannot use database ${path}: ${errorMessage(err)}`, { cause: err });
    }
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  schemaVersion(): number {
    return readVersion(this.db);
  }

  /**
   * Stores one report. `captureIds[i]` identifies `report.captures[i]` (and the facts' captureIndex i).
   * Atomic: on any error nothing changes.
   */
  ingest(report: Report, captureIds: CaptureIdentity[]): IngestResult {
    if (report === null || typeof report !== 'object' || report.schema !== REPORT_SCHEMA) {
      throw new StoreError(`not an otwatch report: schema is ${JSON.stringify((report as { schema?: unknown } | null)?.schema)}, expected ${REPORT_SCHEMA}`);
    }
    if (captureIds.length === 0) throw new StoreError('a report must cover at least one capture to be stored');
    if (captureIds.length !== report.captures.length) {
      throw new StoreError(`${captureIds.length} capture identities for a report of ${report.captures.length} captures`);
    }
    const ids: CaptureIdentity[] = [];
    const byHash = new Map<string, string>();
    for (const id of captureIds) {
      const sha256 = id.sha256.toLowerCase();
      if (!SHA256_HEX.test(sha256)) throw new StoreError(`capture ${id.file}: sha256 must be 64 hex digits, got ${JSON.stringify(id.sha256)}`);
      const seen = byHash.get(sha256);
      if (seen !== undefined) {
        throw new StoreError(`the same capture content is listed twice (${seen} and ${id.file}): analyse each capture once`);
      }
      byHash.set(sha256, id.file);
      ids.push({ file: id.file, sha256, size: id.size });
    }
    const runKey = [...byHash.keys()].sort().join(',');
    try {
      return this.ingestTx.immediate(report, ids, runKey);
    } catch (err) {
      if (err instanceof StoreError) throw err;
      throw new StoreError(`cannot store report in ${this.path}: ${errorMessage(err)}`, { cause: err });
    }
  }

  private ingestInTransaction(report: Report, ids: CaptureIdentity[], runKey: string): IngestResult {
    const s = this.sql;
    const mine = new Set(ids.map((id) => id.sha256));
    const overlapping = new Map<number, string>();
    let newCaptures = 0;
    for (const id of ids) {
      const row = s.captureRun.get(id.sha256) as { run_id: number; run_key: string } | undefined;
      if (row === undefined) newCaptures++;
      else overlapping.set(row.run_id, row.run_key);
    }
    let outcome: IngestOutcome = 'added';
    let keepRunId: number | null = null;
    const removed: Array<[number, string]> = [];
    if (overlapping.size > 0) {
      const [firstId, firstKey] = overlapping.entries().next().value!;
      if (firstKey === runKey) {
        // the same unit again: replace it in place, keeping its id so nothing but ingest metadata moves
        outcome = 'replaced';
        keepRunId = firstId;
        removed.push([firstId, firstKey]);
      } else if (newCaptures === 0) {
        return { outcome: 'already-covered', runKeys: [...new Set(overlapping.values())].sort(), removedRuns: [], newCaptures: 0 };
      } else {
        for (const [runId, key] of overlapping) {
          const theirs = key.split(',');
          if (!theirs.every((h) => mine.has(h))) {
            const theirSet = new Set(theirs);
            const shared = ids.filter((id) => theirSet.has(id.sha256)).map((id) => id.file);
            throw new StoreConflictError(
              `captures ${shared.join(', ')} are already stored as part of an analysis of ${theirs.length} captures ` +
                `that this one does not fully contain; storing it would count them twice. Analyse all of those ` +
                `captures together with the new ones, or only the captures the database does not hold yet.`,
            );
          }
          outcome = 'superseded';
          removed.push([runId, key]);
        }
      }
    }
    for (const [runId] of removed) s.deleteRun.run(runId);

    const now = new Date().toISOString();
    const runId = Number(s.insertRun.run(keepRunId, runKey, `${report.generator.name} ${report.generator.version}`, report.generatedAt, now).lastInsertRowid);

    report.captures.forEach((c, i) => {
      const id = ids[i]!;
      s.insertCapture.run(id.sha256, runId, id.file, id.size, c.format, c.compressed ? 1 : 0, JSON.stringify(c.linkTypes),
        c.packets, c.bytes, c.firstSeen, c.lastSeen, JSON.stringify(c.warnings));
    });

    for (const name of SCALAR_STAT_NAMES) s.insertCounter.run(runId, name, report.stats[name]);
    for (const [name, value] of Object.entries(report.stats.analyzers)) s.insertCounter.run(runId, ANALYZER_PREFIX + name, value);
    for (const [name, value] of Object.entries(report.stats.capsHit)) s.insertCounter.run(runId, CAP_PREFIX + name, value);

    for (const a of report.assets) {
      s.insertAsset.run(runId, a.id, a.mac, a.vendor, a.vendorSource, a.model, a.firmware, a.serial, a.purdueLevel, a.zone,
        a.firstSeen, a.lastSeen, a.packets, a.bytes, assetIntelJson(a, ids));
      for (const ip of a.ips) s.insertAttribute.run(runId, a.id, 'ip', ip);
      for (const hostname of a.hostnames) s.insertAttribute.run(runId, a.id, 'hostname', hostname);
      for (const role of a.roles) s.insertAttribute.run(runId, a.id, 'role', role);
      for (const p of a.protocols) {
        s.insertAssetProtocol.run(runId, a.id, p.name, p.role);
        for (const port of p.ports) s.insertAssetPort.run(runId, a.id, p.name, p.role, port);
      }
      for (const f of a.facts) {
        s.insertFact.run(runId, a.id, f.field, f.value, f.protocol, f.frame, captureHashAt(ids, f.captureIndex, a.id, `fact ${f.field}`));
      }
    }

    for (const c of report.communications) {
      s.insertCommunication.run(runId, c.src, c.dst, c.protocol, c.transport, c.port, c.packets, c.bytes, c.flows, c.firstSeen, c.lastSeen,
        communicationIntelJson(c));
      for (const [kind, count] of Object.entries(c.operations)) {
        if (count !== undefined) s.insertOperation.run(runId, c.src, c.dst, c.protocol, c.transport, c.port, kind, count);
      }
    }

    for (const p of report.protocols) s.insertProtocol.run(runId, p.name, p.packets, p.bytes, p.flows);

    report.alerts.forEach((alert, ordinal) => {
      const key = alertKey(alert);
      s.insertAlert.run(runId, ordinal, key, JSON.stringify(alert));
      if (key !== null) s.insertAlertState.run(key, now);
    });
    report.vulnerabilities.forEach((v, ordinal) => s.insertVulnerability.run(runId, ordinal, JSON.stringify(v)));
    report.risk.forEach((r, ordinal) => s.insertRisk.run(runId, ordinal, JSON.stringify(r)));

    return { outcome, runKeys: [runKey], removedRuns: removed.map(([, key]) => key), newCaptures };
  }

  /** Every stored capture, in time order (then hash); a fact's captureIndex in assets() indexes this list. */
  captures(): StoredCapture[] {
    const rows = this.sql.captures.all() as Row[];
    return rows.map((r) => ({
      file: r.file as string,
      format: r.format as CaptureReport['format'],
      compressed: r.compressed === 1,
      linkTypes: JSON.parse(r.link_types as string) as string[],
      packets: r.packets as number,
      bytes: r.bytes as number,
      firstSeen: r.first_seen as string | null,
      lastSeen: r.last_seen as string | null,
      warnings: JSON.parse(r.warnings as string) as string[],
      sha256: r.sha256 as string,
      size: r.size as number,
      runKey: r.run_key as string,
    }));
  }

  totals(): StoreTotals {
    const count = (stmt: Database.Statement): number => (stmt.get() as { n: number | null }).n ?? 0;
    const captureRow = this.sql.captureTotals.get() as { n: number; size: number | null };
    return {
      runs: count(this.sql.countRuns),
      captures: captureRow.n,
      captureBytes: captureRow.size ?? 0,
      assets: count(this.sql.countAssets),
      communications: count(this.sql.countCommunications),
      alerts: count(this.sql.countAlerts),
      vulnerabilities: count(this.sql.countVulnerabilities),
      stats: this.stats(),
    };
  }

  private stats(): ReportStats {
    const stats = emptyStats();
    for (const row of this.sql.counterTotals.all() as Array<{ name: string; value: number }>) {
      if (row.name.startsWith(ANALYZER_PREFIX)) stats.analyzers[row.name.slice(ANALYZER_PREFIX.length)] = row.value;
      else if (row.name.startsWith(CAP_PREFIX)) stats.capsHit[row.name.slice(CAP_PREFIX.length)] = row.value;
      else if (Object.hasOwn(SCALAR_STATS, row.name)) stats[row.name as ScalarStat] = row.value;
    }
    return stats;
  }

  /**
   * Assets merged over runs by id (docs/store.md): union of ips/hostnames/protocols/ports/facts, identity claims
   * and users; earliest firstSeen, latest lastSeen, summed packets/bytes; every single-valued field (mac,
   * vendor+vendorSource, model, firmware, serial, os, domain, purdueLevel+purdueInferred, zone+zoneInferred,
   * criticality, roles+roleDetails) from the run that saw the asset most recently (its lastSeen) among runs that
   * have a value; identityConflicts recomputed over the merged claims.
   */
  assets(): AssetReport[] {
    return this.mergedAssets().assets;
  }

  private mergedAssets(): { assets: AssetReport[]; capsHit: Record<string, number> } {
    const s = this.sql;
    const captureIndex = new Map(this.captures().map((c, i) => [c.sha256, i]));
    const byId = new Map<string, AssetReport>();
    for (const r of s.assetTotals.all() as Row[]) {
      byId.set(r.asset_id as string, {
        id: r.asset_id as string, mac: null, ips: [], hostnames: [], vendor: null, vendorSource: null, model: null,
        firmware: null, serial: null, identity: {}, identityConflicts: [], os: null, domain: null, users: [],
        roles: [], roleDetails: [], purdueLevel: null, purdueInferred: true, zone: null, zoneInferred: true,
        criticality: null, protocols: [],
        firstSeen: r.first_seen as string, lastSeen: r.last_seen as string,
        packets: r.packets as number, bytes: r.bytes as number, facts: [],
      });
    }
    // newest first: the first non-null value met per field wins
    const sightings = new Map<string, Sighting[]>();
    let legacyRuns = false;
    for (const r of s.assetIdentities.all() as AssetIdentityRow[]) {
      const a = byId.get(r.asset_id)!;
      const intel = r.intel === null ? null : (JSON.parse(r.intel) as StoredAssetIntel);
      if (intel === null) legacyRuns = true;
      if (a.mac === null) a.mac = r.mac;
      if (a.vendor === null && r.vendor !== null) {
        a.vendor = r.vendor;
        a.vendorSource = r.vendor_source;
      }
      if (a.model === null) a.model = r.model;
      if (a.firmware === null) a.firmware = r.firmware;
      if (a.serial === null) a.serial = r.serial;
      // a value and its provenance come from the same run
      if (a.purdueLevel === null && r.purdue !== null) {
        a.purdueLevel = r.purdue;
        a.purdueInferred = intel?.purdueInferred ?? true;
      }
      if (a.zone === null && r.zone !== null) {
        a.zone = r.zone;
        a.zoneInferred = intel?.zoneInferred ?? true;
      }
      let list = sightings.get(r.asset_id);
      if (list === undefined) sightings.set(r.asset_id, (list = []));
      list.push({ runId: r.run_id, intel });
    }
    // roles of runs stored before migration 2 live only in run_asset_attributes
    const legacyRoles = new Map<string, AssetRole[]>();
    if (legacyRuns) {
      for (const r of s.assetRoles.all() as Array<{ asset_id: string; run_id: number; value: string }>) {
        const k = `${r.asset_id}\n${r.run_id}`;
        let roles = legacyRoles.get(k);
        if (roles === undefined) legacyRoles.set(k, (roles = []));
        roles.push(r.value as AssetRole);
      }
      for (const roles of legacyRoles.values()) roles.sort((x, y) => (ROLE_ORDER.get(x) ?? ROLE_ORDER.size) - (ROLE_ORDER.get(y) ?? ROLE_ORDER.size) || cmp(x, y));
    }
    const capsHit: Record<string, number> = {};
    for (const [id, list] of sightings) {
      mergeIntel(byId.get(id)!, list, (runId) => legacyRoles.get(`${id}\n${runId}`) ?? [], captureIndex, this.caps, capsHit);
    }
    for (const r of s.assetAttributes.all() as Array<{ asset_id: string; kind: string; value: string }>) {
      const a = byId.get(r.asset_id)!;
      if (r.kind === 'ip') a.ips.push(r.value);
      else a.hostnames.push(r.value);
    }
    const protocolIndex = new Map<string, AssetProtocol>();
    for (const r of s.assetProtocols.all() as Array<{ asset_id: string; protocol: string; role: AssetProtocol['role'] }>) {
      const p: AssetProtocol = { name: r.protocol as ProtocolName, role: r.role, ports: [] };
      byId.get(r.asset_id)!.protocols.push(p);
      protocolIndex.set(`${r.asset_id}\n${r.protocol}\n${r.role}`, p);
    }
    for (const r of s.assetPorts.all() as Array<{ asset_id: string; protocol: string; role: string; port: number }>) {
      protocolIndex.get(`${r.asset_id}\n${r.protocol}\n${r.role}`)!.ports.push(r.port);
    }
    for (const r of s.assetFacts.all() as Row[]) {
      byId.get(r.asset_id as string)!.facts.push({
        field: r.field as string, value: r.value as string, protocol: r.protocol as string, frame: r.frame as number,
        captureIndex: captureIndex.get(r.capture_sha256 as string)!,
      });
    }
    for (const a of byId.values()) {
      a.ips.sort(compareIps);
      a.facts.sort((x, y) => x.captureIndex - y.captureIndex || x.frame - y.frame || cmp(x.field, y.field) || cmp(x.value, y.value) || cmp(x.protocol, y.protocol));
    }
    return { assets: [...byId.values()], capsHit };
  }

  /**
   * Communications merged over runs by (src, dst, protocol, transport, port); counters and operations summed;
   * levels, zones and segmentation flags from the run that saw the communication most recently (its lastSeen).
   */
  communications(): CommunicationReport[] {
    const comms = (this.sql.communicationTotals.all() as Row[]).map((r): CommunicationReport => ({
      src: r.src as string, dst: r.dst as string, protocol: r.protocol as ProtocolName,
      transport: r.transport as CommunicationReport['transport'], port: r.port as number,
      packets: r.packets as number, bytes: r.bytes as number, flows: r.flows as number,
      firstSeen: r.first_seen as string, lastSeen: r.last_seen as string, operations: {},
      ...UNKNOWN_COMMUNICATION_INTEL,
    }));
    // the queries are ordered by the communication key: walk each together with comms instead of building an index
    let i = 0;
    for (const r of this.sql.operationTotals.all() as Row[]) {
      while (i < comms.length && !sameCommunication(comms[i]!, r)) i++;
      if (i === comms.length) throw new StoreError(`operations of ${r.src} -> ${r.dst} ${r.protocol} have no communication row`);
      comms[i]!.operations[r.kind as OperationKind] = r.count as number;
    }
    // newest run first within each key: the first row met per key wins
    i = 0;
    let filled = -1;
    for (const r of this.sql.communicationIntel.all() as Row[]) {
      while (i < comms.length && !sameCommunication(comms[i]!, r)) i++;
      if (i === comms.length) throw new StoreError(`${r.src} -> ${r.dst} ${r.protocol} has no communication row`);
      if (filled === i) continue;
      Object.assign(comms[i]!, JSON.parse(r.intel as string) as CommunicationIntel);
      filled = i;
    }
    return comms;
  }

  protocols(): Report['protocols'] {
    return (this.sql.protocolTotals.all() as Row[]).map((r) => ({
      name: r.name as ProtocolName, packets: r.packets as number, bytes: r.bytes as number, flows: r.flows as number,
    }));
  }

  /** The whole database as one report (what `analyze --db` prints after storing). */
  toReport(): Report {
    const parse = (rows: unknown[]): unknown[] => (rows as Array<{ body: string }>).map((r) => JSON.parse(r.body) as unknown);
    const { assets, capsHit } = this.mergedAssets();
    const stats = this.stats();
    for (const [name, n] of Object.entries(capsHit)) stats.capsHit[name] = (stats.capsHit[name] ?? 0) + n;
    return {
      schema: REPORT_SCHEMA,
      generator: { name: 'otwatch', version: VERSION },
      generatedAt: isoTime(Date.now() / 1000),
      captures: this.captures().map(({ sha256: _h, size: _s, runKey: _k, ...capture }) => capture),
      stats,
      assets,
      communications: this.communications(),
      protocols: this.protocols(),
      // stored as the analysis wrote them (opaque JSON, docs/store.md); their shape is the report schema's
      alerts: parse(this.sql.alerts.all()) as Report['alerts'],
      vulnerabilities: parse(this.sql.vulnerabilities.all()) as Report['vulnerabilities'],
      risk: parse(this.sql.risk.all()) as Report['risk'],
      // Mitigations are derived from the rest of the report: `otwatch risk --report` rebuilds them.
      mitigations: [],
    };
  }

  // ---- alert triage and baselines (docs/detection.md)

  /** The analyst's status of each stored alert id. */
  alertStatuses(): Map<string, AlertState> {
    const out = new Map<string, AlertState>();
    for (const r of this.sql.alertStates.all() as Array<{ alert_key: string; status: AlertStatus; changed_at: string; note: string | null }>) {
      out.set(r.alert_key, { status: r.status, changedAt: r.changed_at, note: r.note });
    }
    return out;
  }

  /**
   * Sets the status of alerts by id (exact, or an unambiguous prefix of at least 6 characters). Atomic: an unknown
   * or ambiguous id changes nothing and throws StoreError. Returns the full ids changed.
   */
  setAlertStatus(ids: readonly string[], status: AlertStatus, note: string | null = null): string[] {
    if (!(ALERT_STATUSES as readonly string[]).includes(status)) throw new StoreError(`unknown alert status '${status}'`);
    const tx = this.db.transaction((): string[] => {
      const full: string[] = [];
      for (const id of ids) {
        const exact = this.sql.alertState.get(id) as { alert_key: string } | undefined;
        if (exact !== undefined) {
          full.push(exact.alert_key);
          continue;
        }
        const matches = id.length >= 6 ? (this.sql.alertStatePrefix.all(`${id.replace(/[%_\\]/g, (c) => `\\${c}`)}%`) as Array<{ alert_key: string }>) : [];
        if (matches.length !== 1) {
          throw new StoreError(matches.length === 0 ? `no stored alert has id ${id}` : `alert id ${id} is ambiguous (${matches.length} alerts)`);
        }
        full.push(matches[0]!.alert_key);
      }
      const now = new Date().toISOString();
      for (const key of full) this.sql.updateAlertState.run(status, now, note, key);
      return full;
    });
    return tx.immediate();
  }

  /**
   * Every stored alert once per id, with the analyst's status: an alert raised by several runs is merged (count
   * summed, earliest firstSeen, latest lastSeen, evidence and text of the run that saw it last). Severity
   * descending, then first seen.
   */
  alerts(): AlertReport[] {
    const states = this.alertStatuses();
    const byId = new Map<string, AlertReport>();
    const anonymous: AlertReport[] = [];
    for (const r of this.sql.alerts.all() as Array<{ body: string }>) {
      const a = JSON.parse(r.body) as AlertReport;
      if (typeof a.id !== 'string' || a.id.length === 0) {
        anonymous.push(a);
        continue;
      }
      const seen = byId.get(a.id);
      if (seen === undefined) {
        byId.set(a.id, a);
        continue;
      }
      const latest = a.lastSeen > seen.lastSeen ? a : seen;
      byId.set(a.id, {
        ...latest,
        count: seen.count + a.count,
        firstSeen: a.firstSeen < seen.firstSeen ? a.firstSeen : seen.firstSeen,
        lastSeen: latest.lastSeen,
      });
    }
    const out = [...byId.values(), ...anonymous];
    for (const a of out) {
      const st = states.get(a.id);
      if (st !== undefined) a.status = st.status;
    }
    const rank = (s: string): number => (ALERT_SEVERITIES as readonly string[]).indexOf(s);
    out.sort((x, y) => rank(y.severity) - rank(x.severity) || cmp(x.firstSeen, y.firstSeen) || cmp(x.id, y.id));
    return out;
  }

  /** The stored baseline document, or null. */
  loadBaseline(name = 'default'): unknown {
    const r = this.sql.baseline.get(name) as { body: string } | undefined;
    return r === undefined ? null : (JSON.parse(r.body) as unknown);
  }

  saveBaseline(body: unknown, name = 'default'): void {
    this.sql.saveBaseline.run(name, JSON.stringify(body), new Date().toISOString());
  }
}

function sameCommunication(c: CommunicationReport, r: Row): boolean {
  return c.src === r.src && c.dst === r.dst && c.protocol === r.protocol && c.transport === r.transport && c.port === r.port;
}

function positiveCap(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new StoreError(`${name} must be a positive integer, got ${value}`);
  return value;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function prepareStatements(db: Database.Database) {
  const p = (sql: string): Database.Statement => db.prepare(sql);
  return {
    captureRun: p('SELECT c.run_id, r.run_key FROM captures c JOIN runs r ON r.id = c.run_id WHERE c.sha256 = ?'),
    deleteRun: p('DELETE FROM runs WHERE id = ?'),
    // id NULL: a new rowid; otherwise the id of the run being replaced
    insertRun: p('INSERT INTO runs (id, run_key, generator, analyzed_at, ingested_at) VALUES (?, ?, ?, ?, ?)'),
    insertCapture: p(`INSERT INTO captures (sha256, run_id, file, size, format, compressed, link_types, packets, bytes,
      first_seen, last_seen, warnings) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    insertCounter: p('INSERT INTO run_counters (run_id, name, value) VALUES (?, ?, ?)'),
    insertAsset: p(`INSERT INTO run_assets (run_id, asset_id, mac, vendor, vendor_source, model, firmware, serial,
      purdue, zone, first_seen, last_seen, packets, bytes, intel) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    // set-valued children: a repeated element in the report is the same element
    insertAttribute: p('INSERT OR IGNORE INTO run_asset_attributes (run_id, asset_id, kind, value) VALUES (?, ?, ?, ?)'),
    insertAssetProtocol: p('INSERT OR IGNORE INTO run_asset_protocols (run_id, asset_id, protocol, role) VALUES (?, ?, ?, ?)'),
    insertAssetPort: p('INSERT OR IGNORE INTO run_asset_protocol_ports (run_id, asset_id, protocol, role, port) VALUES (?, ?, ?, ?, ?)'),
    insertFact: p(`INSERT OR IGNORE INTO run_asset_facts (run_id, asset_id, field, value, protocol, frame, capture_sha256)
      VALUES (?, ?, ?, ?, ?, ?, ?)`),
    insertCommunication: p(`INSERT INTO run_communications (run_id, src, dst, protocol, transport, port, packets, bytes,
      flows, first_seen, last_seen, intel) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    insertOperation: p(`INSERT INTO run_communication_operations (run_id, src, dst, protocol, transport, port, kind, count)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
    insertProtocol: p('INSERT INTO run_protocols (run_id, name, packets, bytes, flows) VALUES (?, ?, ?, ?, ?)'),
    insertAlert: p('INSERT INTO run_alerts (run_id, ordinal, alert_key, body) VALUES (?, ?, ?, ?)'),
    insertAlertState: p("INSERT OR IGNORE INTO alert_states (alert_key, status, changed_at) VALUES (?, 'new', ?)"),
    insertVulnerability: p('INSERT INTO run_vulnerabilities (run_id, ordinal, body) VALUES (?, ?, ?)'),
    insertRisk: p('INSERT INTO run_risk (run_id, ordinal, body) VALUES (?, ?, ?)'),

    captures: p(`SELECT c.*, r.run_key FROM captures c JOIN runs r ON r.id = c.run_id
      ORDER BY c.first_seen IS NULL, c.first_seen, c.sha256`),
    captureTotals: p('SELECT COUNT(*) AS n, SUM(size) AS size FROM captures'),
    countRuns: p('SELECT COUNT(*) AS n FROM runs'),
    countAssets: p('SELECT COUNT(*) AS n FROM asset_totals'),
    countCommunications: p('SELECT COUNT(*) AS n FROM communication_totals'),
    countAlerts: p('SELECT COUNT(*) AS n FROM run_alerts'),
    countVulnerabilities: p('SELECT COUNT(*) AS n FROM run_vulnerabilities'),
    counterTotals: p('SELECT name, value FROM counter_totals ORDER BY name'),
    assetTotals: p('SELECT * FROM asset_totals ORDER BY asset_id'),
    // "newest" is by when the traffic was seen, not when it was ingested: re-analysing an old capture must not
    // bring back firmware that a later capture showed was upgraded. run_key breaks ties deterministically.
    assetIdentities: p(`SELECT a.asset_id, a.run_id, a.mac, a.vendor, a.vendor_source, a.model, a.firmware, a.serial,
      a.purdue, a.zone, a.intel FROM run_assets a JOIN runs r ON r.id = a.run_id
      ORDER BY a.asset_id, a.last_seen DESC, r.run_key DESC`),
    assetAttributes: p(`SELECT DISTINCT asset_id, kind, value FROM run_asset_attributes WHERE kind IN ('ip', 'hostname')
      ORDER BY asset_id, kind, value`),
    assetRoles: p("SELECT asset_id, run_id, value FROM run_asset_attributes WHERE kind = 'role'"),
    assetProtocols: p('SELECT DISTINCT asset_id, protocol, role FROM run_asset_protocols ORDER BY asset_id, protocol, role'),
    assetPorts: p(`SELECT DISTINCT asset_id, protocol, role, port FROM run_asset_protocol_ports
      ORDER BY asset_id, protocol, role, port`),
    assetFacts: p(`SELECT DISTINCT asset_id, field, value, protocol, frame, capture_sha256 FROM run_asset_facts
      ORDER BY asset_id`),
    communicationTotals: p('SELECT * FROM communication_totals ORDER BY src, dst, protocol, transport, port'),
    operationTotals: p('SELECT * FROM communication_operation_totals ORDER BY src, dst, protocol, transport, port, kind'),
    // same key order as communication_totals; within a key, newest sighting first (as assetIdentities)
    communicationIntel: p(`SELECT c.src, c.dst, c.protocol, c.transport, c.port, c.intel FROM run_communications c
      JOIN runs r ON r.id = c.run_id WHERE c.intel IS NOT NULL
      ORDER BY c.src, c.dst, c.protocol, c.transport, c.port, c.last_seen DESC, r.run_key DESC`),
    protocolTotals: p('SELECT * FROM protocol_totals ORDER BY packets DESC, name'),
    alerts: p('SELECT a.body FROM run_alerts a JOIN runs r ON r.id = a.run_id ORDER BY r.run_key, a.ordinal'),
    vulnerabilities: p('SELECT v.body FROM run_vulnerabilities v JOIN runs r ON r.id = v.run_id ORDER BY r.run_key, v.ordinal'),
    risk: p('SELECT k.body FROM run_risk k JOIN runs r ON r.id = k.run_id ORDER BY r.run_key, k.ordinal'),
    alertStates: p('SELECT alert_key, status, changed_at, note FROM alert_states'),
    alertState: p('SELECT alert_key FROM alert_states WHERE alert_key = ?'),
    alertStatePrefix: p("SELECT alert_key FROM alert_states WHERE alert_key LIKE ? ESCAPE '\\' LIMIT 2"),
    updateAlertState: p('UPDATE alert_states SET status = ?, changed_at = ?, note = coalesce(?, note) WHERE alert_key = ?'),
    baseline: p('SELECT body FROM baselines WHERE name = ?'),
    saveBaseline: p(`INSERT INTO baselines (name, body, updated_at) VALUES (?, ?, ?)
      ON CONFLICT(name) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at`),
  };
}
