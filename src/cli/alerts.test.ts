import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { corpusDir, hasCorpus } from '../../test/support/cli.js';
import type { AlertReport, Report } from '../report/types.js';
import { main } from './main.js';

/**
 * Runs the CLI in this process (spawning tsx per command would take seconds each), capturing console output.
 * process.stdout itself is left alone: the test runner reports through it. Reports go through --json FILE.
 */
async function runCli(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const log = console.log;
  const error = console.error;
  console.log = (...xs: unknown[]) => void (stdout += xs.join(' ') + '\n');
  console.error = (...xs: unknown[]) => void (stderr += xs.join(' ') + '\n');
  try {
    const status = await main(args);
    return { status, stdout, stderr };
  } finally {
    console.log = log;
    console.error = error;
  }
}

const modbusDiag = join(corpusDir, 'modbus', 'modbus_test_data_part1.pcap');
const modbusSame = join(corpusDir, 'modbus', 'modbus.pcap');
const s7Download = join(corpusDir, 's7comm', 's7comm_downloading_block_db1.pcap');

test('learn into the store, check later captures, triage status survives re-analysis, export', { skip: hasCorpus ? false : `corpus not found at ${corpusDir}` }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'otwatch-alerts-'));
  try {
    const db = join(dir, 'store.db');
    const ok = async (args: string[]) => {
      const r = await runCli(args);
      assert.equal(r.status, 0, r.stderr);
      return r;
    };
    assert.match((await ok(['analyze', modbusDiag, '--db', db, '--learn'])).stderr, /baseline stored in .*: 4 talkers/);

    // the same Modbus traffic plus an S7 download: only the S7 hosts deviate
    const json = join(dir, 'report.json');
    const analyze = async (): Promise<Report> => {
      await ok(['analyze', modbusSame, s7Download, '--db', db, '--json', json, '-q']);
      return JSON.parse(readFileSync(json, 'utf8')) as Report;
    };
    const report = await analyze();
    const learn = report.alerts.filter((a) => a.ruleId.startsWith('learn.')).map((a) => `${a.ruleId} ${a.source?.ip}`).sort();
    assert.deepEqual(learn, ['learn.new-edge 192.168.1.10', 'learn.new-talker 192.168.1.10', 'learn.new-talker 192.168.1.40']);
    // the Modbus diagnostics were learned from the same source: trusted severity, below the untrusted critical
    const diag = report.alerts.filter((a) => a.ruleId === 'ot.diagnostics-abuse');
    assert.ok(diag.length > 0 && diag.every((a) => a.details.in_baseline === true && a.severity !== 'critical'));

    const listed = JSON.parse((await ok(['alerts', '--db', db, '--json'])).stdout) as AlertReport[];
    assert.equal(listed.length, report.alerts.length);
    const download = listed.find((a) => a.ruleId === 'ot.program-download')!;
    assert.match((await ok(['alerts', 'ack', download.id.slice(0, 8), '--db', db])).stderr, /1 alert acknowledged/);
    const talker = listed.find((a) => a.ruleId === 'learn.new-talker')!;
    await ok(['alerts', 'close', talker.id, '--db', db]);
    assert.equal((await runCli(['alerts', 'ack', 'ffffffffffff', '--db', db])).status, 2, 'unknown id: usage error');

    // re-analysing the same captures keeps the status, in the store and in the report JSON
    const again = await analyze();
    assert.equal(again.alerts.find((a) => a.id === download.id)!.status, 'acknowledged');
    assert.equal(again.alerts.find((a) => a.id === talker.id)!.status, 'closed');
    const table = (await ok(['alerts', '--db', db, '--status', 'acknowledged'])).stdout.trim().split('\n');
    assert.equal(table.length, 1);
    assert.match(table[0]!, new RegExp(`^${download.id} +critical +acknowledged +ot\\.program-download`));
    const high = JSON.parse((await ok(['alerts', '--db', db, '--severity', 'high', '--json'])).stdout) as AlertReport[];
    assert.ok(high.length > 0 && high.every((a) => a.severity === 'high' || a.severity === 'critical'));

    const out = join(dir, 'alerts.jsonl');
    await ok(['alerts', '--db', db, '--rule', 'learn.', '--export', 'jsonl', out]);
    const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as AlertReport);
    assert.deepEqual(lines.map((a) => a.ruleId).sort(), ['learn.new-edge', 'learn.new-talker', 'learn.new-talker']);
    assert.equal(lines.find((a) => a.id === talker.id)!.status, 'closed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('learning needs somewhere to keep the baseline; a baseline file is written and reused', { skip: hasCorpus ? false : 'corpus not found' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'otwatch-baseline-'));
  try {
    assert.equal((await runCli(['analyze', modbusDiag, '--learn', '-q'])).status, 2);
    const file = join(dir, 'b.json');
    assert.equal((await runCli(['analyze', modbusDiag, '--learn', '--baseline', file, '-q'])).status, 0);
    const b = JSON.parse(readFileSync(file, 'utf8')) as { schema: string; edges: unknown[] };
    assert.equal(b.schema, 'otwatch.baseline/v1');
    const json = join(dir, 'report.json');
    const r = await runCli(['analyze', s7Download, '--baseline', file, '--json', json, '-q']);
    assert.equal(r.status, 0, r.stderr);
    assert.ok((JSON.parse(readFileSync(json, 'utf8')) as Report).alerts.some((a) => a.ruleId === 'learn.new-edge'));
    assert.equal((await runCli(['analyze', s7Download, '--baseline', join(dir, 'missing.json'), '-q'])).status, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
