#!/usr/bin/env node
// Runs every *.test.ts under src/ and test/ with node:test through tsx.
// `--fuzz` raises the property-test budget to the full run (OTWATCH_FUZZ=full); see src/util/fuzz-budget.ts.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const env = { ...process.env, OTWATCH_STRICT_BOUNDS: '1' };
if (args.includes('--fuzz')) env.OTWATCH_FUZZ = 'full';
const filters = args.filter((a) => !a.startsWith('--'));

function walk(dir, out) {
  let entries;
  try { entries = readdirSync(dir); } catch { return out; }
  for (const name of entries) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (name.endsWith('.test.ts')) out.push(relative(root, path));
  }
  return out;
}

let files = [...walk(join(root, 'src'), []), ...walk(join(root, 'test'), [])].sort();
if (env.OTWATCH_FUZZ === 'full') files = files.filter((f) => f.includes('fuzz') || f.includes('property'));
if (filters.length) files = files.filter((f) => filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', ...files],
  { cwd: root, env, stdio: 'inherit' },
);
process.exit(result.status ?? 1);
