import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const corpusDir = join(repoRoot, '..', 'shared', 'corpus', 'pcaps');
export const hasCorpus = existsSync(corpusDir);
export const fixture = (name: string) => join(repoRoot, 'test', 'fixtures', name);

export function hasTool(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
}

/** Runs the CLI from source (through tsx) and returns its exit code and output. */
export function runCli(args: string[], input?: Buffer): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/cli/run.ts'), ...args], {
    cwd: repoRoot,
    input,
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
