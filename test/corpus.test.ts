/**
 * Every capture of the shared corpus (../shared/corpus, absent on a user's machine: then skipped with a
 * message) is analysed without a crash; malformed ones give warnings, not failures; the report validates.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { analyzeCaptures } from '../src/engine/analyze.js';
import { validateReport } from '../src/report/validate.js';
import { corpusDir, hasCorpus, runCli } from './support/cli.js';

function captures(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...captures(path));
    else if (/\.(pcap|pcapng|cap)$/.test(name)) out.push(path);
  }
  return out;
}

test('every corpus capture is analysed, and the report validates', { skip: hasCorpus ? false : `no corpus at ${corpusDir}` }, async () => {
  const files = captures(corpusDir);
  assert.ok(files.length >= 50, `expected the corpus, found ${files.length} files`);
  for (const file of files) {
    const { report } = await analyzeCaptures([file]);
    assert.ok(report.stats.packets > 0, `${relative(corpusDir, file)} has packets`);
    assert.deepEqual(validateReport(report), [], relative(corpusDir, file));
  }
});

test('the malformed captures exit 0 through the CLI', { skip: hasCorpus ? false : `no corpus at ${corpusDir}` }, () => {
  for (const file of captures(join(corpusDir, 'malformed'))) {
    const r = runCli(['analyze', file, '--quiet']);
    assert.equal(r.status, 0, `${file}: ${r.stderr}`);
  }
});
