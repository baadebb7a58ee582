/**
 * `otwatch analyze --interface` end to end: through a fake capture tool (no privileges needed), and once for
 * real with dumpcap on the loopback interface when it is installed and allowed to capture there.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { chmodSync, copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../cli/main.js';
import { persistReport } from '../cli/persist.js';
import { analyzeCaptures } from '../engine/analyze.js';
import type { Report } from '../report/types.js';
import { Store } from '../store/store.js';
import { CAPTURE_TOOL_ENV, LiveCapture } from './live.js';
import { scratchPath } from './test-support/builders.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const FAKE_TOOL = join(here, 'test-support', 'fake-capture-tool.mjs');
const MODBUS = join(here, 'fixtures', 'modbus.pcap');

/** An executable named like dumpcap that runs the fake tool (OTWATCH_CAPTURE_TOOL takes a program path). */
function fakeDumpcap(): string {
  const path = scratchPath('dumpcap-fake');
  writeFileSync(path, `#!/bin/sh\nexec "${process.execPath}" "${FAKE_TOOL}" "$@"\n`);
  chmodSync(path, 0o755);
  return path;
}

/** Runs `main` in this process (a CLI process costs seconds here) and collects its one-line errors. */
async function mainInProcess(args: string[], env: Record<string, string | undefined>): Promise<{ status: number; stderr: string }> {
  const saved = new Map(Object.keys(env).map((k) => [k, process.env[k]]));
  const errorLines: string[] = [];
  const consoleError = console.error;
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  console.error = (...parts: unknown[]) => errorLines.push(parts.join(' '));
  try {
    const status = await main(args);
    return { status, stderr: errorLines.join('\n') };
  } finally {
    console.error = consoleError;
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

describe('analyze --interface (fake capture tool)', () => {
  const tool = fakeDumpcap();
  const fake = { [CAPTURE_TOOL_ENV]: tool };

  test('the report names the interface; --db stores it under that name', async () => {
    const json = scratchPath('live-cli.json');
    const db = scratchPath('live-cli.db');
    const result = await mainInProcess(['analyze', '-i', 'eth9', '--json', json, '--db', db, '--quiet'], { ...fake, FAKE_CAPTURE_OUTPUT: MODBUS });
    assert.deepEqual(result, { status: 0, stderr: '' });
    const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
    assert.deepEqual(report.captures.map((c) => [c.file, c.format, c.packets]), [['live:eth9', 'pcap', 99]]);
    const store = Store.open(db);
    try {
      assert.deepEqual(store.captures().map((c) => [c.file, c.packets]), [['live:eth9', 99]]);
    } finally {
      store.close();
    }
  });

  test('tool and usage errors are one line with exit code 2', async () => {
    const noDevice = await mainInProcess(['analyze', '--interface', 'eth9', '--quiet'], {
      ...fake,
      FAKE_CAPTURE_STDERR: "Capturing on 'eth9'\ndumpcap: There is no device named \"eth9\".\n(No such device exists)\n",
      FAKE_CAPTURE_EXIT: '1',
    });
    assert.deepEqual(noDevice, { status: 2, stderr: 'otwatch: live:eth9: dumpcap: There is no device named "eth9". (No such device exists)' });
    assert.deepEqual(await mainInProcess(['analyze', '--filter', 'udp', MODBUS], fake), {
      status: 2,
      stderr: 'otwatch: --filter needs --interface (live capture)',
    });
    assert.deepEqual(await mainInProcess(['analyze', '-i', 'eth9', MODBUS], fake), {
      status: 2,
      stderr: 'otwatch: give capture files or --interface, not both (analyse them in separate runs)',
    });
    assert.deepEqual(await mainInProcess(['analyze', '-i', 'eth9'], { [CAPTURE_TOOL_ENV]: '/nonexistent/dumpcap' }), {
      status: 2,
      stderr: `otwatch: ${CAPTURE_TOOL_ENV}=/nonexistent/dumpcap: not an executable file`,
    });
  });

  test('--db: each live capture is its own capture; files keep their content identity (re-analysis replaces)', async () => {
    const db = scratchPath('live-persist.db');
    const outcomes: string[] = [];
    for (let i = 0; i < 2; i++) {
      const live = new LiveCapture({
        interfaces: ['eth9'],
        tool: { kind: 'dumpcap', command: process.execPath, prefixArgs: [FAKE_TOOL] },
        env: { ...process.env, FAKE_CAPTURE_OUTPUT: MODBUS },
        signals: null,
      });
      const { report } = await analyzeCaptures([live], { risk: false });
      outcomes.push(await persistReport(db, report, [live.identity()]));
      await new Promise((r) => setTimeout(r, 5)); // a later start time
    }
    const copy = scratchPath('copy.pcap');
    copyFileSync(MODBUS, copy);
    for (let i = 0; i < 2; i++) {
      const { report } = await analyzeCaptures([copy], { risk: false });
      outcomes.push(await persistReport(db, report, [copy]));
    }
    assert.deepEqual(outcomes, ['added', 'added', 'added', 'replaced']);
    const store = Store.open(db);
    try {
      assert.deepEqual(store.captures().map((c) => c.file).sort(), [copy, 'live:eth9', 'live:eth9']);
    } finally {
      store.close();
    }
  });
});

describe('analyze --interface lo (real dumpcap)', () => {
  const probe = spawnSync('dumpcap', ['-L', '-i', 'lo'], { encoding: 'utf8' });
  const skip =
    probe.error !== undefined ? 'dumpcap is not installed' : probe.status !== 0 ? `cannot capture on lo: ${probe.stderr.trim().split('\n').pop()}` : false;

  test('UDP datagrams sent to 127.0.0.1 appear in the report', { skip, timeout: 8000 }, async () => {
    // A bound receiver, so the datagrams are delivered (no ICMP errors); only 127.0.0.1 is ever addressed.
    const receiver = createSocket('udp4');
    await new Promise<void>((resolve) => receiver.bind(0, '127.0.0.1', resolve));
    const port = receiver.address().port;
    const sender = createSocket('udp4');
    const payload = Buffer.from('otwatch live capture test');
    // dumpcap starts listening a moment after the capture starts: keep sending until the capture is complete.
    const sending = setInterval(() => sender.send(payload, port, '127.0.0.1'), 100);
    try {
      const json = scratchPath('live-lo.json');
      const filter = `udp and dst host 127.0.0.1 and dst port ${port}`;
      const result = await mainInProcess(['analyze', '-i', 'lo', '--filter', filter, '--packets', '3', '--json', json, '--quiet'], {
        [CAPTURE_TOOL_ENV]: undefined,
      });
      assert.deepEqual(result, { status: 0, stderr: '' });
      const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
      assert.equal(report.captures.length, 1);
      assert.equal(report.captures[0]!.file, 'live:lo');
      assert.equal(report.captures[0]!.format, 'pcapng');
      assert.equal(report.captures[0]!.packets, 3);
      const flow = report.communications.find((c) => c.transport === 'udp' && c.port === port);
      assert.ok(flow, `no UDP communication to port ${port} in ${JSON.stringify(report.communications)}`);
      assert.equal(flow.packets, 3);
      assert.equal(flow.bytes, 3 * (14 + 20 + 8 + payload.length));
    } finally {
      clearInterval(sending);
      sender.close();
      receiver.close();
    }
  });
});
