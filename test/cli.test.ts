import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixture, runCli } from './support/cli.js';
import { normalise } from './support/report.js';
import { validateReport } from '../src/report/validate.js';

const tmp = mkdtempSync(join(tmpdir(), 'otwatch-cli-'));

test('a missing file is a one-line error and exit code 2', () => {
  const r = runCli(['analyze', join(tmp, 'nope.pcap'), '--quiet']);
  assert.equal(r.status, 2);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /^otwatch: .*nope\.pcap/);
});

test('a file that is not a capture is a one-line error and exit code 2', () => {
  const file = join(tmp, 'page.html');
  writeFileSync(file, '<html><body>not a capture</body></html>\n');
  const r = runCli(['analyze', file]);
  assert.equal(r.status, 2);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /not a pcap or pcapng/);
});

test('bad usage exits 2', () => {
  assert.equal(runCli(['analyze']).status, 2);
  assert.equal(runCli(['frobnicate']).status, 2);
  assert.equal(runCli(['analyze', fixture('modbus_example.pcap'), '--no-such-flag']).status, 2);
});

test('analyze prints a summary, writes a schema-valid report and one JSON event per line', () => {
  const json = join(tmp, 'report.json');
  const events = join(tmp, 'events.jsonl');
  const r = runCli(['analyze', fixture('modbus_example.pcap'), '--json', json, '--events', events]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Assets: \d+/);
  assert.match(r.stdout, /modbus/);
  const report = JSON.parse(readFileSync(json, 'utf8'));
  assert.deepEqual(validateReport(report), []);
  assert.equal(report.schema, 'otwatch.report/v1');
  assert.equal(report.stats.packets, 100);
  const lines = readFileSync(events, 'utf8').trim().split('\n');
  const ops = lines.map((l) => JSON.parse(l)).filter((e) => e.type === 'operation');
  assert.ok(ops.length > 0, 'modbus operations are emitted');
  for (const op of ops) {
    assert.equal(op.protocol === 'modbus' || op.protocol === 'umas', true);
    assert.equal(typeof op.code, 'number');
    assert.equal(typeof op.codeName, 'string');
    assert.equal(typeof op.kind, 'string');
    assert.match(op.src, /:\d+$/);
    assert.match(op.ts, /^\d{4}-\d\d-\d\dT/);
    assert.ok(op.frame >= 1 && op.frame <= 100);
    assert.equal(op.file, fixture('modbus_example.pcap'));
  }
  // The report's per-communication operation counts add up to the operation events.
  const counted = report.communications.reduce((sum: number, c: { operations: Record<string, number> }) => sum + Object.values(c.operations).reduce((a, b) => a + b, 0), 0);
  assert.equal(counted, ops.length);
});

test('stdin (-) gives the same report as the file', () => {
  const a = runCli(['analyze', fixture('modbus_example.pcap'), '--json', '-', '--quiet']);
  const b = runCli(['analyze', '-', '--json', '-', '--quiet'], readFileSync(fixture('modbus_example.pcap')));
  assert.equal(a.status, 0, a.stderr);
  assert.equal(b.status, 0, b.stderr);
  assert.deepEqual(normalise(JSON.parse(b.stdout)), normalise(JSON.parse(a.stdout)));
});

test('--db: re-analysing the same capture leaves every count unchanged; another capture accumulates', async () => {
  const db = join(tmp, 'store.db');
  const first = runCli(['analyze', fixture('modbus_example.pcap'), '--db', db, '--quiet']);
  assert.equal(first.status, 0, first.stderr);
  const snapshot1 = await dbSnapshot(db);
  const again = runCli(['analyze', fixture('modbus_example.pcap'), '--db', db, '--quiet']);
  assert.equal(again.status, 0, again.stderr);
  assert.deepEqual(await dbSnapshot(db), snapshot1);
  const other = runCli(['analyze', fixture('modbusSmall.pcap'), '--db', db, '--quiet']);
  assert.equal(other.status, 0, other.stderr);
  const snapshot3 = await dbSnapshot(db);
  assert.notDeepEqual(snapshot3, snapshot1);
  const againOther = runCli(['analyze', fixture('modbusSmall.pcap'), fixture('modbus_example.pcap'), '--db', db, '--quiet']);
  assert.equal(againOther.status, 0, againOther.stderr);
  assert.deepEqual(await dbSnapshot(db), snapshot3);
});

test('--db refuses stdin before reading anything', () => {
  const r = runCli(['analyze', '-', '--db', join(tmp, 'x.db')], Buffer.alloc(0));
  assert.equal(r.status, 2);
});

/** Everything countable in the store: row counts of every table and the derived totals. */
async function dbSnapshot(path: string): Promise<unknown> {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(path, { readonly: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type IN ('table','view') AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as Array<{ name: string }>;
    const out: Record<string, unknown> = {};
    for (const { name } of tables) {
      if (name === 'schema_migrations') continue;
      const rows = db.prepare(`SELECT * FROM "${name}"`).all() as Array<Record<string, unknown>>;
      // Timestamps of when a row was written legitimately change; everything else must not.
      out[name] = rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !/(ingested|updated|created|analy[sz]ed)_?at/i.test(k)))).map((r) => JSON.stringify(r)).sort();
    }
    return out;
  } finally {
    db.close();
  }
}
