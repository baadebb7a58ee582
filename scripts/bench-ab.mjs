#!/usr/bin/env node
// `node scripts/bench-ab.mjs DIST_A DIST_B CAPTURE [--rounds 8] [--core 0] [--node-flags "..."]`
// Compares two builds of otwatch (two dist/ directories, e.g. HEAD's in a copy of the repo and the working tree's)
// on one capture: each round runs A and B in turn (the order alternating), each in its own process pinned to one
// core with the V8 settings `otwatch analyze` uses there, and records CPU time of analyzeCaptures(). It prints
// every round and the median of the per-round B/A ratios. On a virtual machine whose speed drifts by up to 2x over
// minutes, two runs a few seconds apart see the same machine, so the median ratio is stable where separate
// best-of-N timings of A and B are not. Both builds run on the same core (--core; the host may slow one vCPU
// and not the other: npm run bench's speed probe shows which).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const root = new URL('..', import.meta.url).pathname;
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    rounds: { type: 'string', default: '8' },
    core: { type: 'string', default: '0' },
    'node-flags': { type: 'string', default: '' },
  },
});
if (positionals.length !== 3) {
  console.error('usage: node scripts/bench-ab.mjs DIST_A DIST_B CAPTURE [--rounds N] [--core N] [--node-flags "..."]');
  process.exit(2);
}
const [distA, distB, capture] = positionals.map((p) => resolve(p));
for (const d of [distA, distB]) {
  if (!existsSync(join(d, 'engine/analyze.js'))) {
    console.error(`${d}: not a built otwatch dist/ directory (no engine/analyze.js)`);
    process.exit(2);
  }
}
const rounds = Math.max(1, Number(values.rounds) || 8);
const { SINGLE_CPU_NODE_FLAGS } = await import(join(root, 'dist/cli/runtime.js'));
const hasTaskset = spawnSync('sh', ['-c', 'command -v taskset'], { encoding: 'utf8' }).status === 0;
const extraFlags = values['node-flags'].split(' ').filter(Boolean);

function run(dist) {
  const script =
    `const { analyzeCaptures } = await import(${JSON.stringify(join(dist, 'engine/analyze.js'))});\n` +
    `const c0 = process.cpuUsage();\nconst { report } = await analyzeCaptures([${JSON.stringify(capture)}]);\n` +
    `const c = process.cpuUsage(c0);\nconsole.log(JSON.stringify({ cpuMs: (c.user + c.system) / 1000, events: report.stats.events }));`;
  const args = [...SINGLE_CPU_NODE_FLAGS, ...extraFlags, '--input-type=module', '-e', script];
  const r = hasTaskset
    ? spawnSync('taskset', ['-c', String(Math.max(0, Number(values.core) || 0)), process.execPath, ...args], { encoding: 'utf8', maxBuffer: 1 << 24 })
    : spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`${dist}: analyze failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

const ratios = [];
for (let i = 0; i < rounds; i++) {
  let a;
  let b;
  if (i % 2 === 0) {
    a = run(distA);
    b = run(distB);
  } else {
    b = run(distB);
    a = run(distA);
  }
  if (a.events !== b.events) console.log(`  note: the builds report different event counts (${a.events} vs ${b.events})`);
  ratios.push(b.cpuMs / a.cpuMs);
  console.log(`round ${i + 1}: A ${a.cpuMs.toFixed(0)} ms, B ${b.cpuMs.toFixed(0)} ms, B/A ${(b.cpuMs / a.cpuMs).toFixed(3)}`);
}
const sorted = [...ratios].sort((x, y) => x - y);
const mid = sorted.length >> 1;
const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
console.log(`median B/A ${median.toFixed(3)} over ${rounds} rounds (below 1: B is faster)${hasTaskset ? '' : ' (taskset missing: not pinned)'}`);
