import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import type { OperationKind, ProtocolName } from '../events/types.js';
import { isoTime } from '../report/time.js';
import {
  REPORT_SCHEMA,
  type AlertReport, type AssetReport, type CaptureReport, type CommunicationReport, type Report, type ReportStats,
  type RoleDetail,
} from '../report/types.js';
import { validateReport } from '../report/validate.js';
import { fuzzRuns } from '../util/fuzz-budget.js';
import {
  APPLICATION_ID, MERGE_CAP_NAMES, Store, StoreConflictError, StoreError, StoreVersionError, hashFile, identifyFile,
  migrations, type CaptureIdentity,
} from './store.js';

// ---------------------------------------------------------------------------------------------- builders

function sha(label: string): string {
  return createHash('sha256').update(label).digest('hex');
}

function ident(label: string): CaptureIdentity {
  return { file: `${label}.pcap`, sha256: sha(label), size: label.length * 1000 };
}

function stats(over: Partial<ReportStats> = {}): ReportStats {
  return {
    packets: 0, bytes: 0, decodeErrors: 0, unsupportedLink: 0, flows: 0, flowsEvicted: 0, flowsTimedOut: 0,
    ipFragmentsReassembled: 0, ipFragmentsDropped: 0, tcpGaps: 0, tcpOutOfOrderDropped: 0, tcpRetransmissions: 0,
    events: 0, analyzers: {}, capsHit: {}, durationMs: 0, ...over,
  };
}

function capture(file: string, over: Partial<CaptureReport> = {}): CaptureReport {
  return {
    file, format: 'pcap', compressed: false, linkTypes: ['ethernet'], packets: 10, bytes: 1000,
    firstSeen: '2024-01-01T00:00:00.000000Z', lastSeen: '2024-01-01T01:00:00.000000Z', warnings: [], ...over,
  };
}

/** Role details for `roles` as a test states them: one reason naming the role. */
function details(roles: AssetReport['roles'], confidence = 0.8): RoleDetail[] {
  return roles.map((role) => (role === 'unknown'
    ? { role, confidence: 0, reasons: ['no role evidence'] }
    : { role, confidence, reasons: [`test evidence for ${role}`] }));
}

/** An asset as the analysis reports it, every field defaulted; roleDetails follow `over.roles` unless given. */
function asset(id: string, over: Partial<AssetReport> = {}): AssetReport {
  const roles = over.roles ?? ['unknown'];
  return {
    id, mac: null, ips: [], hostnames: [], vendor: null, vendorSource: null, model: null, firmware: null,
    serial: null, identity: {}, identityConflicts: [], os: null, domain: null, users: [],
    roles, roleDetails: over.roleDetails ?? details(roles),
    purdueLevel: null, purdueInferred: true, zone: null, zoneInferred: true, criticality: null, protocols: [],
    firstSeen: '2024-01-01T00:00:00.000000Z', lastSeen: '2024-01-01T01:00:00.000000Z', packets: 1, bytes: 100, facts: [],
    ...over,
  };
}

function comm(src: string, dst: string, over: Partial<CommunicationReport> = {}): CommunicationReport {
  return {
    src, dst, protocol: 'modbus', transport: 'tcp', port: 502, packets: 4, bytes: 400, flows: 1,
    firstSeen: '2024-01-01T00:00:00.000000Z', lastSeen: '2024-01-01T01:00:00.000000Z', operations: {},
    srcLevel: null, dstLevel: null, srcZone: null, dstZone: null, crossesItOt: false, skipsLevels: false,
    internet: false, conduitAllowed: null, ...over,
  };
}

/** A schema-valid alert; the store treats it as an opaque document keyed by `id`. */
function alertOf(id: string, over: Partial<AlertReport> = {}): AlertReport {
  return {
    id, ruleId: 'ot.plc-write', title: 'write to PLC', severity: 'medium', category: 'ot-operation', status: 'new',
    mitre: { ics: ['T0855'], enterprise: [] },
    source: { asset: HMI, ip: '10.0.0.20', mac: null, name: null },
    target: { asset: PLC, ip: '10.0.0.10', mac: '00:0e:8c:00:00:01', name: 'plc1' },
    firstSeen: '2024-01-01T00:10:00.000000Z', lastSeen: '2024-01-01T00:20:00.000000Z', count: 2,
    evidence: [{ file: 'a.pcap', frame: 12, ts: '2024-01-01T00:10:00.000000Z', protocol: 's7comm', summary: 's7comm write 10.0.0.20 → 10.0.0.10' }],
    evidenceOmitted: 1, explanation: 'An HMI wrote to a PLC.', recommendation: 'Check the write was planned.', details: { writes: 2 },
    ...over,
  };
}

function report(captureIds: CaptureIdentity[], over: Partial<Report> = {}): Report {
  return {
    schema: REPORT_SCHEMA, generator: { name: 'otwatch', version: '0.1.0' }, generatedAt: '2024-02-01T00:00:00.000000Z',
    captures: captureIds.map((c) => capture(c.file)), stats: stats(), assets: [], communications: [], protocols: [],
    alerts: [], vulnerabilities: [], risk: [], mitigations: [], ...over,
  };
}

const PLC = 'mac:00:0e:8c:00:00:01';
const HMI = 'ip:10.0.0.20';
const ALERT_1 = '0123456789abcdef';

/** Two reports over different captures that share the PLC and one communication. */
function twoReports(): { a: Report; aIds: CaptureIdentity[]; b: Report; bIds: CaptureIdentity[] } {
  const aIds = [ident('a')];
  const bIds = [ident('b')];
  const a = report(aIds, {
    stats: stats({ packets: 100, bytes: 10_000, flows: 3, analyzers: { 'modbus.malformed': 2 }, capsHit: { 'flow-table': 1 } }),
    assets: [
      asset(PLC, {
        mac: '00:0e:8c:00:00:01', ips: ['10.0.0.10'], hostnames: ['plc1'], vendor: 'Siemens', vendorSource: 'oui',
        model: 'S7-1200', firmware: 'V4.1', roles: ['plc'], purdueLevel: 1,
        protocols: [{ name: 's7comm', role: 'server', ports: [102] }],
        firstSeen: '2024-01-01T00:00:00.000000Z', lastSeen: '2024-01-01T01:00:00.000000Z', packets: 60, bytes: 6000,
        facts: [{ field: 'firmware', value: 'V4.1', protocol: 's7comm', frame: 7, captureIndex: 0 }],
      }),
      asset(HMI, { ips: ['10.0.0.20'], roles: ['hmi'], packets: 40, bytes: 4000 }),
    ],
    communications: [comm(HMI, PLC, { protocol: 's7comm', port: 102, packets: 50, bytes: 5000, operations: { read: 5, write: 1 } })],
    protocols: [{ name: 's7comm', packets: 50, bytes: 5000, flows: 1 }],
    alerts: [alertOf(ALERT_1)],
  });
  const b = report(bIds, {
    captures: [capture('b.pcap', { firstSeen: '2024-03-01T00:00:00.000000Z', lastSeen: '2024-03-01T02:00:00.000000Z' })],
    stats: stats({ packets: 30, bytes: 3000, flows: 2, analyzers: { 'modbus.malformed': 1, 'enip.malformed': 4 } }),
    assets: [
      asset(PLC, {
        mac: '00:0e:8c:00:00:01', ips: ['10.0.0.10', '10.0.0.9'], hostnames: ['plc1.plant'], vendor: null,
        firmware: 'V4.5', roles: ['plc'], protocols: [{ name: 's7comm', role: 'server', ports: [102] }, { name: 'snmp', role: 'server', ports: [161] }],
        firstSeen: '2024-03-01T00:00:00.000000Z', lastSeen: '2024-03-01T02:00:00.000000Z', packets: 20, bytes: 2000,
        facts: [{ field: 'firmware', value: 'V4.5', protocol: 's7comm', frame: 3, captureIndex: 0 }],
      }),
    ],
    communications: [
      comm(HMI, PLC, { protocol: 's7comm', port: 102, packets: 10, bytes: 1000, firstSeen: '2024-03-01T00:00:00.000000Z', lastSeen: '2024-03-01T02:00:00.000000Z', operations: { read: 2, 'program-upload': 1 } }),
      comm(HMI, PLC, { protocol: 'snmp', transport: 'udp', port: 161, packets: 2, bytes: 200 }),
    ],
    protocols: [{ name: 's7comm', packets: 10, bytes: 1000, flows: 1 }, { name: 'snmp', packets: 2, bytes: 200, flows: 1 }],
  });
  return { a, aIds, b, bIds };
}

// ---------------------------------------------------------------------------------------------- helpers

let dir: string;
let dbCounter = 0;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'otwatch-store-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function newDbPath(): string {
  return join(dir, `db${++dbCounter}.sqlite`);
}

/**
 * Every row of every table, through a separate connection, minus the two columns that legitimately change when a
 * run is replaced (when it was analysed and ingested): a multiset per table.
 */
function snapshotTables(path: string): Record<string, string[]> {
  const db = new Database(path, { readonly: true });
  try {
    const out: Record<string, string[]> = {};
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations'").all() as Array<{ name: string }>;
    for (const { name } of tables) {
      const columns = (db.prepare(`PRAGMA table_info(${name})`).all() as Array<{ name: string }>)
        .map((c) => c.name).filter((c) => c !== 'analyzed_at' && c !== 'ingested_at');
      const rows = db.prepare(`SELECT ${columns.join(', ')} FROM ${name}`).raw().all();
      out[name] = rows.map((r) => JSON.stringify(r)).sort();
    }
    return out;
  } finally {
    db.close();
  }
}

function derived(store: Store): unknown {
  return { totals: store.totals(), assets: store.assets(), communications: store.communications(), protocols: store.protocols(), captures: store.captures() };
}

// ---------------------------------------------------------------------------------------------- tests

describe('schema and migrations', () => {
  test('a new file is migrated to the latest version, in WAL mode, marked as an otwatch store', () => {
    const path = newDbPath();
    const store = Store.open(path);
    assert.equal(store.schemaVersion(), migrations.length);
    store.close();
    const db = new Database(path, { readonly: true });
    try {
      const applied = db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all() as Array<{ version: number; name: string }>;
      assert.deepEqual(applied.map((m) => m.version), migrations.map((m) => m.version));
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
      assert.equal(db.pragma('application_id', { simple: true }), APPLICATION_ID);
      assert.equal(db.pragma('user_version', { simple: true }), migrations.length);
      const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')").all() as Array<{ name: string }>).map((t) => t.name);
      for (const t of ['runs', 'captures', 'run_assets', 'run_communications', 'run_alerts', 'alert_states', 'run_vulnerabilities', 'run_risk', 'asset_totals', 'communication_totals']) {
        assert.ok(tables.includes(t), `missing ${t}`);
      }
    } finally {
      db.close();
    }
  });

  test('reopening keeps the data and applies nothing twice', () => {
    const path = newDbPath();
    const { a, aIds } = twoReports();
    const first = Store.open(path);
    first.ingest(a, aIds);
    const before = derived(first);
    first.close();
    const again = Store.open(path);
    assert.equal(again.schemaVersion(), migrations.length);
    assert.deepEqual(derived(again), before);
    again.close();
    const db = new Database(path, { readonly: true });
    assert.equal((db.prepare('SELECT COUNT(*) AS n FROM schema_migrations').get() as { n: number }).n, migrations.length);
    db.close();
  });

  test('an older database is upgraded in place; a newer one is refused with a clear error', () => {
    const path = newDbPath();
    const { a, aIds } = twoReports();
    const old = Store.open(path);
    old.ingest(a, aIds);
    const before = derived(old);
    old.close();

    const next = [...migrations, { version: migrations.length + 1, name: 'test step', sql: 'CREATE TABLE test_extra (x INTEGER) STRICT;' }];
    const upgraded = Store.open(path, { migrations: next });
    assert.equal(upgraded.schemaVersion(), next.length);
    assert.deepEqual(derived(upgraded), before);
    upgraded.close();

    // this build only knows `migrations`: the file is now from the future
    assert.throws(() => Store.open(path), (err: unknown) => {
      assert.ok(err instanceof StoreVersionError);
      assert.equal(err.databaseVersion, next.length);
      assert.equal(err.supportedVersion, migrations.length);
      assert.match(err.message, /newer otwatch/);
      assert.match(err.message, new RegExp(`version ${next.length}`));
      return true;
    });
  });

  test('a version recorded by a newer otwatch is refused before anything is touched', () => {
    const path = newDbPath();
    Store.open(path).close();
    const db = new Database(path);
    db.prepare("INSERT INTO schema_migrations (version, name, applied_at, otwatch_version) VALUES (99, 'future', '2030-01-01T00:00:00Z', '9.0.0')").run();
    db.close();
    assert.throws(() => Store.open(path), /schema version 99, written by a newer otwatch/);
  });

  test('files that are not otwatch stores are refused', () => {
    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'this is not a database, just some text that is long enough to have a header '.repeat(20));
    assert.throws(() => Store.open(text), (err: unknown) => err instanceof StoreError && /not a database/.test(err.message));

    const foreign = newDbPath();
    const db = new Database(foreign);
    db.exec('CREATE TABLE customers (id INTEGER)');
    db.close();
    assert.throws(() => Store.open(foreign), /not an otwatch store/);

    assert.throws(() => Store.open(join(dir, 'no-such-dir', 'x.sqlite')), /cannot open database/);
    assert.throws(() => Store.open(newDbPath(), { migrations: [{ version: 2, name: 'gap', sql: '' }] }), /numbered/);
  });
});

describe('ingest', () => {
  test('different captures accumulate', () => {
    const { a, aIds, b, bIds } = twoReports();
    const store = Store.open(newDbPath());
    assert.deepEqual(store.ingest(a, aIds), { outcome: 'added', runKeys: [aIds[0]!.sha256], removedRuns: [], newCaptures: 1 });
    assert.equal(store.ingest(b, bIds).outcome, 'added');

    const totals = store.totals();
    assert.equal(totals.runs, 2);
    assert.equal(totals.captures, 2);
    assert.equal(totals.captureBytes, aIds[0]!.size + bIds[0]!.size);
    assert.equal(totals.assets, 2);
    assert.equal(totals.communications, 2);
    assert.equal(totals.alerts, 1);
    assert.equal(totals.stats.packets, 130);
    assert.equal(totals.stats.bytes, 13_000);
    assert.equal(totals.stats.flows, 5);
    assert.deepEqual(totals.stats.analyzers, { 'enip.malformed': 4, 'modbus.malformed': 3 });
    assert.deepEqual(totals.stats.capsHit, { 'flow-table': 1 });

    const s7 = store.communications().find((c) => c.protocol === 's7comm')!;
    assert.equal(s7.packets, 60);
    assert.equal(s7.bytes, 6000);
    assert.equal(s7.flows, 2);
    assert.equal(s7.firstSeen, '2024-01-01T00:00:00.000000Z');
    assert.equal(s7.lastSeen, '2024-03-01T02:00:00.000000Z');
    assert.deepEqual(s7.operations, { read: 7, write: 1, 'program-upload': 1 });
    assert.deepEqual(store.protocols(), [
      { name: 's7comm', packets: 60, bytes: 6000, flows: 2 },
      { name: 'snmp', packets: 2, bytes: 200, flows: 1 },
    ]);
    store.close();
  });

  test('ingesting the same capture twice changes no table and no derived figure', () => {
    const path = newDbPath();
    const { a, aIds, b, bIds } = twoReports();
    const store = Store.open(path);
    store.ingest(a, aIds);
    store.ingest(b, bIds);
    const tables = snapshotTables(path);
    const before = derived(store);
    assert.ok(Object.values(tables).some((rows) => rows.length > 0));

    // a later analysis of the same capture: other run time, other generation time
    const again = store.ingest({ ...a, generatedAt: '2025-01-01T00:00:00.000000Z', stats: { ...a.stats, durationMs: 12_345 } }, aIds);
    assert.equal(again.outcome, 'replaced');
    assert.deepEqual(again.removedRuns, [aIds[0]!.sha256]);
    assert.equal(again.newCaptures, 0);
    assert.deepEqual(snapshotTables(path), tables);
    assert.deepEqual(derived(store), before);

    // identity is the content: the same bytes under another name are the same capture
    const renamed = store.ingest(b, [{ ...bIds[0]!, file: 'copy-of-b.pcap' }]);
    assert.equal(renamed.outcome, 'replaced');
    assert.deepEqual(store.totals(), (before as { totals: unknown }).totals);
    assert.equal(store.captures().find((c) => c.sha256 === bIds[0]!.sha256)!.file, 'copy-of-b.pcap');
    store.close();
  });

  test('assets merge by id: unions, min/max times, sums, identity from the most recent sighting', () => {
    const { a, aIds, b, bIds } = twoReports();
    const forward = Store.open(newDbPath());
    forward.ingest(a, aIds);
    forward.ingest(b, bIds);
    const backward = Store.open(newDbPath());
    backward.ingest(b, bIds);
    backward.ingest(a, aIds);
    assert.deepEqual(backward.assets(), forward.assets(), 'merge must not depend on ingest order');

    const plc = forward.assets().find((x) => x.id === PLC)!;
    assert.deepEqual(plc.ips, ['10.0.0.9', '10.0.0.10']);
    assert.deepEqual(plc.hostnames, ['plc1', 'plc1.plant']);
    assert.deepEqual(plc.roles, ['plc']);
    assert.equal(plc.firstSeen, '2024-01-01T00:00:00.000000Z');
    assert.equal(plc.lastSeen, '2024-03-01T02:00:00.000000Z');
    assert.equal(plc.packets, 80);
    assert.equal(plc.bytes, 8000);
    assert.equal(plc.firmware, 'V4.5', 'newest sighting wins');
    assert.equal(plc.vendor, 'Siemens', 'older value kept where the newer run had none');
    assert.equal(plc.vendorSource, 'oui');
    assert.equal(plc.model, 'S7-1200');
    assert.equal(plc.purdueLevel, 1);
    assert.deepEqual(plc.protocols, [
      { name: 's7comm', role: 'server', ports: [102] },
      { name: 'snmp', role: 'server', ports: [161] },
    ]);
    // facts point into the store's capture list, which is in time order: a (January) then b (March)
    const captures = forward.captures();
    assert.deepEqual(captures.map((c) => c.sha256), [aIds[0]!.sha256, bIds[0]!.sha256]);
    assert.deepEqual(plc.facts, [
      { field: 'firmware', value: 'V4.1', protocol: 's7comm', frame: 7, captureIndex: 0 },
      { field: 'firmware', value: 'V4.5', protocol: 's7comm', frame: 3, captureIndex: 1 },
    ]);

    const hmi = forward.assets().find((x) => x.id === HMI)!;
    assert.equal(hmi.packets, 40, 'an asset seen in one run only keeps its own figures');
    forward.close();
    backward.close();
  });

  test('a run containing stored runs supersedes them; a run adding no capture changes nothing', () => {
    const c1 = ident('c1');
    const c2 = ident('c2');
    const c3 = ident('c3');
    const single = report([c1], { stats: stats({ packets: 10 }), assets: [asset(PLC, { packets: 10 })] });
    const pair = report([c1, c2], { stats: stats({ packets: 25 }), assets: [asset(PLC, { packets: 25 })] });
    const pairKey = [c1.sha256, c2.sha256].sort().join(',');

    const store = Store.open(newDbPath());
    store.ingest(single, [c1]);
    const sup = store.ingest(pair, [c2, c1]);
    assert.deepEqual(sup, { outcome: 'superseded', runKeys: [pairKey], removedRuns: [c1.sha256], newCaptures: 1 });
    assert.equal(store.totals().stats.packets, 25);
    assert.equal(store.totals().runs, 1);

    const covered = store.ingest(single, [c1]);
    assert.deepEqual(covered, { outcome: 'already-covered', runKeys: [pairKey], removedRuns: [], newCaptures: 0 });
    assert.equal(store.totals().stats.packets, 25);
    assert.equal(store.assets()[0]!.packets, 25);

    // the other order ends in the same state
    const other = Store.open(newDbPath());
    other.ingest(pair, [c1, c2]);
    assert.equal(other.ingest(single, [c1]).outcome, 'already-covered');
    assert.deepEqual(other.totals(), store.totals());

    // partial overlap cannot be stored without counting c2 twice: refused, nothing changed
    const before = derived(store);
    assert.throws(() => store.ingest(report([c2, c3], { stats: stats({ packets: 7 }) }), [c2, c3]), StoreConflictError);
    assert.deepEqual(derived(store), before);
    store.close();
    other.close();
  });

  test('captures stored in separate runs: analysing them together adds nothing, adding a new one supersedes', () => {
    const [c1, c2, c3] = [ident('s1'), ident('s2'), ident('s3')];
    const store = Store.open(newDbPath());
    store.ingest(report([c1], { stats: stats({ packets: 1 }) }), [c1]);
    store.ingest(report([c2], { stats: stats({ packets: 2 }) }), [c2]);
    const before = derived(store);
    const together = store.ingest(report([c1, c2], { stats: stats({ packets: 3 }) }), [c1, c2]);
    assert.deepEqual(together, { outcome: 'already-covered', runKeys: [c1.sha256, c2.sha256].sort(), removedRuns: [], newCaptures: 0 });
    assert.deepEqual(derived(store), before);

    const all = store.ingest(report([c1, c2, c3], { stats: stats({ packets: 9 }) }), [c1, c2, c3]);
    assert.equal(all.outcome, 'superseded');
    assert.deepEqual([...all.removedRuns].sort(), [c1.sha256, c2.sha256].sort());
    assert.equal(all.newCaptures, 1);
    assert.equal(store.totals().runs, 1);
    assert.equal(store.totals().stats.packets, 9);
    store.close();
  });

  test('invalid input is refused and leaves the store untouched', () => {
    const { a, aIds } = twoReports();
    const store = Store.open(newDbPath());
    assert.throws(() => store.ingest(a, []), /at least one capture/);
    assert.throws(() => store.ingest(a, [...aIds, ident('x')]), /2 capture identities for a report of 1/);
    assert.throws(() => store.ingest(report([aIds[0]!, aIds[0]!]), [aIds[0]!, aIds[0]!]), /listed twice/);
    assert.throws(() => store.ingest(a, [{ ...aIds[0]!, sha256: 'abc' }]), /64 hex digits/);
    assert.throws(() => store.ingest({ ...a, schema: 'other' } as unknown as Report, aIds), /not an otwatch report/);
    // fails mid-transaction (after the run, captures and first asset rows were written): all rolled back
    const badFact = { ...a, assets: [a.assets[1]!, { ...a.assets[0]!, facts: [{ field: 'vendor', value: 'x', protocol: 'lldp', frame: 1, captureIndex: 3 }] }] };
    assert.throws(() => store.ingest(badFact, aIds), /capture index 3/);
    assert.equal(store.totals().runs, 0);
    assert.equal(store.totals().assets, 0);
    assert.equal(store.captures().length, 0);
    store.close();
  });

  test('alert status set by the analyst survives re-ingesting the run that raised it', () => {
    const path = newDbPath();
    const { a, aIds } = twoReports();
    const store = Store.open(path);
    store.ingest(a, aIds);
    const db = new Database(path);
    db.prepare("UPDATE alert_states SET status = 'acknowledged' WHERE alert_key = ?").run(ALERT_1);
    store.ingest(a, aIds);
    const row = db.prepare('SELECT status FROM alert_states WHERE alert_key = ?').get(ALERT_1) as { status: string };
    assert.equal(row.status, 'acknowledged');
    assert.equal((db.prepare('SELECT COUNT(*) AS n FROM run_alerts').get() as { n: number }).n, 1);
    db.close();
    assert.deepEqual(store.toReport().alerts, a.alerts);
    store.close();
  });

  test('toReport carries the accumulated database as a report', () => {
    const { a, aIds, b, bIds } = twoReports();
    const store = Store.open(newDbPath());
    store.ingest(a, aIds);
    store.ingest(b, bIds);
    const r = store.toReport();
    assert.equal(r.schema, REPORT_SCHEMA);
    assert.deepEqual(r.captures, [a.captures[0], b.captures[0]]);
    assert.deepEqual(r.assets, store.assets());
    assert.deepEqual(r.communications, store.communications());
    assert.deepEqual(r.alerts, a.alerts);
    assert.equal(r.stats.packets, a.stats.packets + b.stats.packets);
    assert.deepEqual(validateReport(r), []);
    store.close();
  });
});

// ---------------------------------------------------------------------------------------------- derived intelligence

/** What otwatch at schema version 1 made of a new file (migrate() with only step 1), before any store code ran. */
function createV1Database(path: string): Database.Database {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.exec(`CREATE TABLE schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL, otwatch_version TEXT NOT NULL
  ) STRICT`);
  db.pragma(`application_id = ${APPLICATION_ID}`);
  db.exec(migrations[0]!.sql);
  db.prepare("INSERT INTO schema_migrations VALUES (1, ?, '2024-01-15T00:00:00.000Z', '0.1.0')").run(migrations[0]!.name);
  db.pragma('user_version = 1');
  return db;
}

/** The rows otwatch at schema version 1 wrote for one run over capture `id` (its ingest, column for column). */
function ingestV1(db: Database.Database, id: CaptureIdentity): void {
  const run = Number(db.prepare("INSERT INTO runs (run_key, generator, analyzed_at, ingested_at) VALUES (?, 'otwatch 0.1.0', '2024-01-15T00:00:00.000Z', '2024-01-15T00:00:00.000Z')")
    .run(id.sha256).lastInsertRowid);
  db.prepare(`INSERT INTO captures VALUES (?, ?, ?, ?, 'pcap', 0, '["ethernet"]', 100, 10000,
    '2024-01-01T00:00:00.000000Z', '2024-01-01T01:00:00.000000Z', '[]')`).run(id.sha256, run, id.file, id.size);
  for (const [name, value] of [['packets', 100], ['bytes', 10_000], ['flows', 2], ['analyzers.s7comm.malformed', 1]] as const) {
    db.prepare('INSERT INTO run_counters VALUES (?, ?, ?)').run(run, name, value);
  }
  db.prepare(`INSERT INTO run_assets VALUES (?, ?, '00:0e:8c:00:00:01', 'Siemens', 'oui', 'S7-1200', 'V4.1', NULL, 1, '10.0.0.0/24',
    '2024-01-01T00:00:00.000000Z', '2024-01-01T01:00:00.000000Z', 60, 6000)`).run(run, PLC);
  db.prepare(`INSERT INTO run_assets VALUES (?, ?, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
    '2024-01-01T00:00:00.000000Z', '2024-01-01T00:30:00.000000Z', 40, 4000)`).run(run, HMI);
  for (const [asset, kind, value] of [[PLC, 'ip', '10.0.0.10'], [PLC, 'hostname', 'plc1'], [PLC, 'role', 'plc'], [PLC, 'role', 'ied'], [HMI, 'ip', '10.0.0.20']]) {
    db.prepare('INSERT INTO run_asset_attributes VALUES (?, ?, ?, ?)').run(run, asset, kind, value);
  }
  db.prepare("INSERT INTO run_asset_protocols VALUES (?, ?, 's7comm', 'server')").run(run, PLC);
  db.prepare("INSERT INTO run_asset_protocol_ports VALUES (?, ?, 's7comm', 'server', 102)").run(run, PLC);
  db.prepare("INSERT INTO run_asset_facts VALUES (?, ?, 'firmware', 'V4.1', 's7comm', 7, ?)").run(run, PLC, id.sha256);
  db.prepare(`INSERT INTO run_communications VALUES (?, ?, ?, 's7comm', 'tcp', 102, 50, 5000, 1,
    '2024-01-01T00:00:00.000000Z', '2024-01-01T00:30:00.000000Z')`).run(run, HMI, PLC);
  db.prepare("INSERT INTO run_communication_operations VALUES (?, ?, ?, 's7comm', 'tcp', 102, 'write', 3)").run(run, HMI, PLC);
  db.prepare("INSERT INTO run_protocols VALUES (?, 's7comm', 50, 5000, 1)").run(run);
  db.prepare('INSERT INTO run_alerts VALUES (?, 0, ?, ?)').run(run, ALERT_1, JSON.stringify(alertOf(ALERT_1)));
  db.prepare("INSERT INTO alert_states VALUES (?, 'acknowledged', '2024-01-16T00:00:00.000Z', 'planned')").run(ALERT_1);
}

describe('derived intelligence (schema step 2)', () => {
  test('a version 1 database is upgraded in place: data intact, new fields read as unknown, schema-valid', () => {
    const path = newDbPath();
    const legacy = ident('legacy');
    const v1 = createV1Database(path);
    ingestV1(v1, legacy);
    v1.close();

    const store = Store.open(path);
    assert.equal(store.schemaVersion(), migrations.length, 'upgraded to the latest step');
    const plc = store.assets().find((x) => x.id === PLC)!;
    assert.deepEqual(plc, asset(PLC, {
      mac: '00:0e:8c:00:00:01', ips: ['10.0.0.10'], hostnames: ['plc1'], vendor: 'Siemens', vendorSource: 'oui',
      model: 'S7-1200', firmware: 'V4.1', purdueLevel: 1, zone: '10.0.0.0/24',
      // roles in ASSET_ROLES order; their evidence was not kept, and the store says so instead of inventing it
      roles: ['plc', 'ied'],
      roleDetails: [
        { role: 'plc', confidence: 0, reasons: ['stored by an otwatch that did not keep role evidence'] },
        { role: 'ied', confidence: 0, reasons: ['stored by an otwatch that did not keep role evidence'] },
      ],
      protocols: [{ name: 's7comm', role: 'server', ports: [102] }], packets: 60, bytes: 6000,
      facts: [{ field: 'firmware', value: 'V4.1', protocol: 's7comm', frame: 7, captureIndex: 0 }],
    }));
    const hmi = store.assets().find((x) => x.id === HMI)!;
    assert.deepEqual(hmi.roles, ['unknown']);
    assert.deepEqual(hmi.roleDetails, [{ role: 'unknown', confidence: 0, reasons: ['no role evidence'] }]);
    assert.deepEqual(store.communications(), [comm(HMI, PLC, {
      protocol: 's7comm', port: 102, packets: 50, bytes: 5000, lastSeen: '2024-01-01T00:30:00.000000Z', operations: { write: 3 },
    })]);
    const before = store.toReport();
    assert.deepEqual(validateReport(before), []);
    assert.deepEqual(before.alerts, [alertOf(ALERT_1)]);
    assert.equal(before.stats.packets, 100);
    assert.deepEqual(before.stats.analyzers, { 's7comm.malformed': 1 });

    // a newer capture, analysed by this otwatch, merges with the legacy run
    const later = ident('later');
    store.ingest(report([later], {
      captures: [capture(later.file, { firstSeen: '2024-02-01T00:00:00.000000Z', lastSeen: '2024-02-01T01:00:00.000000Z' })],
      assets: [asset(PLC, {
        roles: ['unknown'], purdueLevel: 2, purdueInferred: false, zone: 'cell-2', zoneInferred: false,
        os: { value: 'VxWorks', confidence: 0.6, source: 'snmp', family: 'rtos' }, criticality: 'critical',
        firstSeen: '2024-02-01T00:00:00.000000Z', lastSeen: '2024-02-01T01:00:00.000000Z', packets: 5, bytes: 500,
      })],
    }), [later]);
    const merged = store.assets().find((x) => x.id === PLC)!;
    assert.deepEqual(merged.roles, ['plc', 'ied'], 'a later "unknown" does not erase the roles an earlier run found');
    assert.equal(merged.purdueLevel, 2);
    assert.equal(merged.purdueInferred, false);
    assert.equal(merged.zone, 'cell-2');
    assert.equal(merged.zoneInferred, false);
    assert.equal(merged.os?.value, 'VxWorks');
    assert.equal(merged.criticality, 'critical');
    assert.equal(merged.firmware, 'V4.1', 'the legacy run still gives what the newer run did not state');
    assert.equal(merged.packets, 65);
    assert.deepEqual(validateReport(store.toReport()), []);
    store.close();

    // the analyst's triage state and the applied steps survived the upgrade
    const db = new Database(path, { readonly: true });
    assert.deepEqual(db.prepare('SELECT status, note FROM alert_states').all(), [{ status: 'acknowledged', note: 'planned' }]);
    assert.deepEqual((db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as Array<{ version: number }>).map((r) => r.version), migrations.map((m) => m.version));
    assert.equal(db.pragma('user_version', { simple: true }), migrations.length);
    db.close();
  });

  test('the new asset and communication fields round-trip, identity sources re-indexed to the store captures', () => {
    // the report lists the March capture first; the store lists captures in time order
    const march = ident('rt-march');
    const january = ident('rt-january');
    const plc = asset(PLC, {
      mac: '00:0e:8c:00:00:01', ips: ['10.0.0.10'], hostnames: ['plc1'], vendor: 'Siemens', vendorSource: 'profinet-dcp',
      model: 'CPU 1215C', firmware: 'V4.5', serial: 'S C-X4U421302009',
      identity: {
        vendor: [
          { value: 'Siemens', confidence: 0.9, sources: [{ protocol: 'profinet-dcp', frame: 3, captureIndex: 0 }, { protocol: 's7comm', frame: 9, captureIndex: 1 }] },
          { value: 'Rockwell Automation', confidence: 0.5, sources: [{ protocol: 'oui', frame: 0, captureIndex: 0 }] },
        ],
        firmware: [{ value: 'V4.5', confidence: 0.9, sources: [{ protocol: 's7comm', frame: 9, captureIndex: 1 }] }],
        user: [{ value: 'operator', confidence: 0.7, sources: [{ protocol: 'smb', frame: 20, captureIndex: 0 }] }],
      },
      identityConflicts: ['vendor'],
      os: { value: 'Siemens S7 firmware', confidence: 0.8, source: 's7comm', family: 'rtos' },
      domain: 'plant.local', users: ['operator'],
      roles: ['plc', 'network-device'],
      roleDetails: [
        { role: 'plc', confidence: 0.95, reasons: ['serves s7comm', 'PROFINET DCP says IO-Controller'] },
        { role: 'network-device', confidence: 0.4, reasons: ['answers SNMP'] },
      ],
      purdueLevel: 1, purdueInferred: false, zone: 'cell-1', zoneInferred: false, criticality: 'high',
      protocols: [{ name: 's7comm', role: 'server', ports: [102] }],
      facts: [{ field: 'firmware', value: 'V4.5', protocol: 's7comm', frame: 9, captureIndex: 1 }],
    });
    const link = comm(HMI, PLC, {
      protocol: 's7comm', port: 102, operations: { write: 2 }, srcLevel: 3.5, dstLevel: 1, srcZone: 'dmz', dstZone: 'cell-1',
      crossesItOt: false, skipsLevels: true, internet: false, conduitAllowed: false,
    });
    // 3.5, the DMZ: schema step 1 kept levels in an INTEGER column that refused it
    const hmi = asset(HMI, { ips: ['10.0.0.20'], roles: ['hmi'], purdueLevel: 3.5, zone: 'dmz' });
    const store = Store.open(newDbPath());
    store.ingest(report([march, january], {
      captures: [
        capture(march.file, { firstSeen: '2024-03-01T00:00:00.000000Z', lastSeen: '2024-03-01T01:00:00.000000Z' }),
        capture(january.file, { firstSeen: '2024-01-01T00:00:00.000000Z', lastSeen: '2024-01-01T01:00:00.000000Z' }),
      ],
      assets: [plc, hmi], communications: [link],
    }), [march, january]);

    assert.deepEqual(store.captures().map((c) => c.sha256), [january.sha256, march.sha256]);
    const swap = (i: number): number => 1 - i;
    const expectedPlc: AssetReport = {
      ...plc,
      identity: Object.fromEntries(Object.entries(plc.identity).map(([field, claims]) => [field, claims!.map((c) => ({
        ...c, sources: c.sources.map((src) => ({ ...src, captureIndex: swap(src.captureIndex) })),
      }))])),
      facts: plc.facts.map((f) => ({ ...f, captureIndex: swap(f.captureIndex) })),
    };
    assert.deepEqual(store.assets(), [hmi, expectedPlc]);
    assert.deepEqual(store.communications(), [link]);
    assert.deepEqual(validateReport(store.toReport()), []);
    store.close();
  });

  test('os, domain, Purdue level, zone, criticality, roles and communication levels: the newest sighting wins', () => {
    const jan = ident('nw-jan');
    const feb = ident('nw-feb');
    const mar = ident('nw-mar');
    const span = (month: string) => ({ firstSeen: `2024-${month}-01T00:00:00.000000Z`, lastSeen: `2024-${month}-01T01:00:00.000000Z` });
    const claim = (value: string, confidence: number, protocol: string, frame: number) => ({ value, confidence, sources: [{ protocol, frame, captureIndex: 0 }] });
    const EWS = 'ip:10.0.0.30';
    const runs: Array<[Report, CaptureIdentity[]]> = [
      [report([jan], {
        captures: [capture(jan.file, span('01'))],
        assets: [asset(EWS, {
          ...span('01'), roles: ['hmi'], purdueLevel: 2, purdueInferred: false, zone: 'cell-1', zoneInferred: false, criticality: 'high',
          os: { value: 'Windows 7', confidence: 0.9, source: 'smb', family: 'windows' }, domain: 'plant.local', users: ['Operator', 'alice'],
          identity: { os: [claim('Windows 7', 0.9, 'smb', 4)], user: [claim('Operator', 0.7, 'smb', 4), claim('alice', 0.7, 'smb', 5)] },
        })],
        communications: [comm(EWS, PLC, { ...span('01'), srcLevel: 2, dstLevel: 1, srcZone: 'cell-1', dstZone: 'cell-1', conduitAllowed: true })],
      }), [jan]],
      [report([feb], {
        captures: [capture(feb.file, span('02'))],
        assets: [asset(EWS, {
          ...span('02'), roles: ['engineering-workstation', 'hmi'], roleDetails: details(['engineering-workstation', 'hmi'], 0.9),
          purdueLevel: 3, zone: '10.0.0.0/24', os: { value: 'Ubuntu 22.04', confidence: 0.6, source: 'http', family: 'linux' },
          users: ['operator', 'bob'],
          identity: { os: [claim('Ubuntu 22.04', 0.6, 'http', 8)], user: [claim('bob', 0.7, 'ssh', 2), claim('operator', 0.8, 'smb', 9)] },
        })],
        communications: [comm(EWS, PLC, { ...span('02'), srcLevel: 3, dstLevel: 1, srcZone: '10.0.0.0/24', dstZone: 'cell-1', skipsLevels: true })],
      }), [feb]],
      // the newest capture only saw the host's ARP: it says nothing about roles, OS or placement
      [report([mar], {
        captures: [capture(mar.file, span('03'))],
        assets: [asset(EWS, { ...span('03') })],
      }), [mar]],
    ];
    const orders = [[0, 1, 2], [2, 1, 0], [1, 2, 0]];
    const results = orders.map((order) => {
      const store = Store.open(':memory:');
      for (const i of order) store.ingest(...runs[i]!);
      const out = { assets: store.assets(), communications: store.communications(), report: store.toReport() };
      store.close();
      return out;
    });
    for (const r of results.slice(1)) {
      assert.deepEqual(r.assets, results[0]!.assets, 'the merge does not depend on ingest order');
      assert.deepEqual(r.communications, results[0]!.communications);
    }
    const [{ assets, communications, report: merged }] = results as [typeof results[0]];
    assert.deepEqual(validateReport(merged), []);
    const ews = assets.find((x) => x.id === EWS)!;
    assert.equal(ews.os?.value, 'Ubuntu 22.04', 'February is newer than January; March stated no OS');
    assert.deepEqual(ews.roles, ['engineering-workstation', 'hmi']);
    assert.deepEqual(ews.roleDetails, details(['engineering-workstation', 'hmi'], 0.9));
    assert.equal(ews.purdueLevel, 3);
    assert.equal(ews.purdueInferred, true, 'the provenance comes with the level');
    assert.equal(ews.zone, '10.0.0.0/24');
    assert.equal(ews.zoneInferred, true);
    assert.equal(ews.criticality, 'high', 'only January stated a criticality');
    assert.equal(ews.domain, 'plant.local');
    assert.deepEqual(ews.users, ['alice', 'bob', 'operator'], 'users are a union (case-insensitive, newest spelling)');
    // claims: union, newest run's order first, confidence the highest any run gave
    assert.deepEqual(ews.identity.os, [
      { value: 'Ubuntu 22.04', confidence: 0.6, sources: [{ protocol: 'http', frame: 8, captureIndex: 1 }] },
      { value: 'Windows 7', confidence: 0.9, sources: [{ protocol: 'smb', frame: 4, captureIndex: 0 }] },
    ]);
    assert.deepEqual(ews.identity.user, [
      { value: 'bob', confidence: 0.7, sources: [{ protocol: 'ssh', frame: 2, captureIndex: 1 }] },
      { value: 'operator', confidence: 0.8, sources: [{ protocol: 'smb', frame: 9, captureIndex: 1 }, { protocol: 'smb', frame: 4, captureIndex: 0 }] },
      { value: 'alice', confidence: 0.7, sources: [{ protocol: 'smb', frame: 5, captureIndex: 0 }] },
    ]);
    assert.deepEqual(ews.identityConflicts, ['os'], 'Windows and Linux claims contradict once merged; users never conflict');
    assert.deepEqual(communications.map((c) => [c.srcLevel, c.srcZone, c.skipsLevels, c.conduitAllowed, c.packets]), [[3, '10.0.0.0/24', true, null, 8]]);
  });

  test('merge caps trim claims, sources and users and are counted in the report', () => {
    const [x, y] = [ident('cap-x'), ident('cap-y')];
    const many = (capture: number) => asset(HMI, {
      users: [`u${capture}a`, `u${capture}b`],
      identity: {
        hostname: [{ value: `host-${capture}`, confidence: 0.5, sources: [{ protocol: 'nbns', frame: 1, captureIndex: 0 }, { protocol: 'dns', frame: 2, captureIndex: 0 }] }],
      },
    });
    const store = Store.open(':memory:', { maxClaimsPerField: 1, maxSourcesPerClaim: 1, maxUsers: 3 });
    store.ingest(report([x], { assets: [many(1)] }), [x]);
    store.ingest(report([y], { assets: [many(2)] }), [y]);
    const hmi = store.assets()[0]!;
    assert.equal(hmi.identity.hostname!.length, 1);
    assert.equal(hmi.identity.hostname![0]!.sources.length, 1);
    assert.deepEqual(hmi.identityConflicts, ['hostname'], 'conflicts are judged before capping');
    assert.equal(hmi.users.length, 3);
    const r = store.toReport();
    assert.equal(r.stats.capsHit[MERGE_CAP_NAMES.claims], 1);
    assert.equal(r.stats.capsHit[MERGE_CAP_NAMES.sources], 1);
    assert.equal(r.stats.capsHit[MERGE_CAP_NAMES.users], 1);
    assert.deepEqual(store.totals().stats.capsHit, {}, 'stored counters are the runs\' own');
    store.close();
    assert.throws(() => Store.open(':memory:', { maxUsers: 0 }), /maxUsers must be a positive integer/);
  });
});

describe('hashing', () => {
  test('hashFile and identifyFile stream the file content', async () => {
    const path = join(dir, 'blob.bin');
    const content = Buffer.alloc(300_000, 7);
    content.write('otwatch', 1234);
    writeFileSync(path, content);
    const expected = createHash('sha256').update(content).digest('hex');
    assert.equal(await hashFile(path), expected);
    assert.deepEqual(await identifyFile(path), { file: path, sha256: expected, size: content.length });
    await assert.rejects(hashFile(join(dir, 'missing.bin')), /ENOENT/);
  });
});

// ---------------------------------------------------------------------------------------------- property

const ASSET_IDS = ['mac:00:0e:8c:00:00:01', 'mac:00:80:f4:00:00:09', 'ip:10.0.0.1', 'ip:10.0.0.2'];
const PROTOCOL_NAMES: ProtocolName[] = ['modbus', 's7comm', 'enip'];
const OPS: OperationKind[] = ['read', 'write', 'restart'];

const isoArb = fc.integer({ min: 1_700_000_000_000, max: 1_700_000_900_000 }).map((ms) => isoTime(ms / 1000));
const spanArb = fc.tuple(isoArb, isoArb).map(([x, y]) => (x <= y ? [x, y] : [y, x]) as [string, string]);
const maybe = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | null> => fc.option(arb, { nil: null });

function assetArb(captures: number): fc.Arbitrary<AssetReport> {
  return fc.record({
    id: fc.constantFrom(...ASSET_IDS),
    ips: fc.uniqueArray(fc.constantFrom('10.0.0.1', '10.0.0.2', '10.0.0.10', 'fe80::1'), { maxLength: 3 }),
    hostnames: fc.uniqueArray(fc.constantFrom('plc', 'hmi', 'eng'), { maxLength: 2 }),
    vendor: maybe(fc.constantFrom('Siemens', 'Rockwell')),
    firmware: maybe(fc.constantFrom('1.0', '2.0')),
    span: spanArb,
    packets: fc.nat(1000),
    bytes: fc.nat(100_000),
    protocol: fc.constantFrom(...PROTOCOL_NAMES),
    port: fc.constantFrom(102, 502, 44818),
    frame: fc.nat(50),
    captureIndex: fc.nat(captures - 1),
  }).map((g) => asset(g.id, {
    ips: g.ips, hostnames: g.hostnames, vendor: g.vendor, vendorSource: g.vendor === null ? null : 'oui',
    firmware: g.firmware, firstSeen: g.span[0], lastSeen: g.span[1], packets: g.packets, bytes: g.bytes,
    protocols: [{ name: g.protocol, role: 'server', ports: [g.port] }],
    facts: [{ field: 'hostname', value: g.hostnames[0] ?? 'none', protocol: g.protocol, frame: g.frame, captureIndex: g.captureIndex }],
  }));
}

const commArb: fc.Arbitrary<CommunicationReport> = fc.record({
  src: fc.constantFrom(...ASSET_IDS),
  dst: fc.constantFrom(...ASSET_IDS),
  protocol: fc.constantFrom(...PROTOCOL_NAMES),
  port: fc.constantFrom(102, 502),
  packets: fc.nat(500),
  flows: fc.integer({ min: 1, max: 5 }),
  span: spanArb,
  ops: fc.dictionary(fc.constantFrom(...OPS), fc.nat(20), { maxKeys: 2 }),
}).map((g) => comm(g.src, g.dst, {
  protocol: g.protocol, port: g.port, packets: g.packets, bytes: g.packets * 60, flows: g.flows,
  firstSeen: g.span[0], lastSeen: g.span[1], operations: g.ops,
}));

/** A report over `captures` captures with figures drawn at random; distinct reports get disjoint captures. */
function reportArb(captures: number): fc.Arbitrary<Omit<Report, 'captures'>> {
  return fc.record({
    packets: fc.nat(10_000),
    malformed: fc.nat(5),
    assets: fc.uniqueArray(assetArb(captures), { selector: (x) => x.id, maxLength: 3 }),
    communications: fc.uniqueArray(commArb, { selector: (c) => `${c.src} ${c.dst} ${c.protocol} ${c.port}`, maxLength: 3 }),
    alerts: fc.array(fc.constantFrom('00000000000000a1', '00000000000000a2', '00000000000000a3').map((id) => alertOf(id)), { maxLength: 2 }),
  }).map((g) => {
    const r = report([], {
      stats: stats({ packets: g.packets, bytes: g.packets * 64, analyzers: { 'modbus.malformed': g.malformed } }),
      assets: g.assets, communications: g.communications, alerts: g.alerts,
    });
    const { captures: _unused, ...rest } = r;
    return rest;
  });
}

const scenarioArb = fc.array(fc.integer({ min: 1, max: 2 }), { minLength: 1, maxLength: 4 })
  .chain((sizes) => fc.tuple(fc.tuple(...sizes.map((n) => reportArb(n).map((r) => ({ r, n })))), fc.constant(sizes.length)))
  .chain(([reports, count]) => fc.tuple(
    fc.constant(reports),
    // every report at least once, some repeated, in any order
    fc.tuple(fc.shuffledSubarray([...Array(count).keys()], { minLength: count }), fc.array(fc.nat(count - 1), { maxLength: 4 }))
      .chain(([all, extra]) => fc.shuffledSubarray([...all, ...extra], { minLength: all.length + extra.length })),
  ));

test('property: any order and repetition of distinct reports ends as each ingested once', () => {
  fc.assert(fc.property(scenarioArb, ([generated, order]) => {
    const built = generated.map(({ r, n }, i) => {
      const ids = Array.from({ length: n }, (_, j) => ident(`r${i}c${j}`));
      return { report: { ...r, captures: ids.map((id) => capture(id.file)) } as Report, ids };
    });
    const once = Store.open(':memory:');
    const shuffled = Store.open(':memory:');
    try {
      for (const { report: r, ids } of built) once.ingest(r, ids);
      for (const i of order) shuffled.ingest(built[i]!.report, built[i]!.ids);
      assert.deepEqual(derived(shuffled), derived(once));
      // and the totals really are the sum over distinct reports, not an artefact of both stores agreeing
      const totals = shuffled.totals();
      assert.equal(totals.stats.packets, built.reduce((sum, b) => sum + b.report.stats.packets, 0));
      assert.equal(totals.captures, built.reduce((sum, b) => sum + b.ids.length, 0));
      assert.equal(totals.alerts, built.reduce((sum, b) => sum + b.report.alerts.length, 0));
      const assetPackets = shuffled.assets().reduce((sum, x) => sum + x.packets, 0);
      assert.equal(assetPackets, built.reduce((sum, b) => sum + b.report.assets.reduce((s, x) => s + x.packets, 0), 0));
      const commPackets = shuffled.communications().reduce((sum, c) => sum + c.packets, 0);
      assert.equal(commPackets, built.reduce((sum, b) => sum + b.report.communications.reduce((s, c) => s + c.packets, 0), 0));
      assert.deepEqual(validateReport(shuffled.toReport()), []);
    } finally {
      once.close();
      shuffled.close();
    }
  }), { numRuns: fuzzRuns(40) });
});
