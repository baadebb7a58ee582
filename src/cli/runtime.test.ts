/**
 * The single-CPU relaunch: when it happens (analyze of files on one CPU, once, unless the user chose V8
 * threading flags), and, where taskset and a built dist/ exist, that the relaunched CLI behaves like the
 * direct one (output, exit codes) under a one-CPU affinity.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RUNTIME_TUNED_ENV, SINGLE_CPU_NODE_FLAGS, singleCpuRelaunchArgs } from './runtime.js';
import { fixture, hasTool, repoRoot } from '../../test/support/cli.js';

test('relaunches analyze of files on one CPU with the single-CPU flags, before the user’s own node flags', () => {
  assert.deepEqual(
    singleCpuRelaunchArgs(1, {}, ['--max-old-space-size=512'], '/x/otwatch.js', ['analyze', 'a.pcap', '--json', 'r.json']),
    [...SINGLE_CPU_NODE_FLAGS, '--max-old-space-size=512', '/x/otwatch.js', 'analyze', 'a.pcap', '--json', 'r.json'],
  );
});

test('no relaunch on several CPUs, twice, for other commands, for live capture, or with the user’s V8 threading flags', () => {
  const files = ['analyze', 'a.pcap'];
  assert.equal(singleCpuRelaunchArgs(2, {}, [], 's', files), null);
  assert.equal(singleCpuRelaunchArgs(1, { [RUNTIME_TUNED_ENV]: '1' }, [], 's', files), null);
  for (const other of [['simulate', '--out', 'x.pcap'], ['serve'], ['--version'], []]) {
    assert.equal(singleCpuRelaunchArgs(1, {}, [], 's', other), null, other.join(' '));
  }
  for (const live of [['analyze', '-i', 'eth0'], ['analyze', '--interface', 'eth0'], ['analyze', '--interface=eth0'], ['analyze', '-ieth0']]) {
    assert.equal(singleCpuRelaunchArgs(1, {}, [], 's', live), null, live.join(' '));
  }
  for (const flag of ['--concurrent-recompilation', '--no-concurrent-recompilation', '--v8-pool-size=4', '--single-threaded']) {
    assert.equal(singleCpuRelaunchArgs(1, {}, [flag], 's', files), null, flag);
  }
});

const bin = join(repoRoot, 'bin', 'otwatch.js');
const built = existsSync(join(repoRoot, 'dist', 'cli', 'runtime.js')) && existsSync(join(repoRoot, 'dist', 'cli', 'main.js'));

test('under a one-CPU affinity the relaunched CLI gives the same report and exit codes', { skip: !hasTool('taskset') ? 'taskset not installed' : !built ? 'dist/ not built (npm run build)' : false }, () => {
  // Every node process started reports its node flags on stderr: the relaunch shows as a second process.
  const spy = join(mkdtempSync(join(tmpdir(), 'otwatch-runtime-')), 'execargv.mjs');
  writeFileSync(spy, 'process.stderr.write("EXECARGV " + JSON.stringify(process.execArgv) + "\\n");\n');
  const run = (pin: boolean, args: string[]) => {
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: `--import=${spy}` };
    delete env[RUNTIME_TUNED_ENV];
    const r = pin
      ? spawnSync('taskset', ['-c', '0', process.execPath, bin, ...args], { encoding: 'utf8', cwd: repoRoot, env })
      : spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: repoRoot, env: { ...env, [RUNTIME_TUNED_ENV]: '1' } });
    const flags = r.stderr.split('\n').filter((l) => l.startsWith('EXECARGV ')).map((l) => JSON.parse(l.slice(9)) as string[]);
    const stderr = r.stderr.split('\n').filter((l) => !l.startsWith('EXECARGV ')).join('\n');
    return { status: r.status, stdout: r.stdout, stderr, flags };
  };
  const args = ['analyze', fixture('modbusSmall.pcap'), '--json', '-', '--quiet'];
  const pinned = run(true, args);
  const direct = run(false, args);
  assert.equal(pinned.status, 0, pinned.stderr);
  assert.deepEqual(pinned.flags, [[], [...SINGLE_CPU_NODE_FLAGS]], 'relaunched once with the single-CPU flags');
  assert.deepEqual(direct.flags, [[]], 'no relaunch');
  const strip = (text: string) => {
    const r = JSON.parse(text);
    delete r.generatedAt;
    delete r.stats.durationMs;
    return r;
  };
  assert.deepEqual(strip(pinned.stdout), strip(direct.stdout));
  const missing = run(true, ['analyze', join(repoRoot, 'no-such-file.pcap')]);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr.trim(), /no such file/);
  assert.equal(missing.stderr.trim().split('\n').length, 1);
});
