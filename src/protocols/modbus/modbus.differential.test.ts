/**
 * Differential test against tshark: per frame, the Modbus function codes tshark decodes vs the ones our
 * events attribute to that frame (request frame and response frame of each operation).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { modbusSpec } from './index.js';
import { replayPcap } from './test-support.js';

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const corpus = resolve(repoRoot, '../shared/corpus/pcaps');
const tsharkAvailable = spawnSync('tshark', ['-v'], { encoding: 'utf8' }).status === 0;

function corpusFiles(): string[] {
  const files: string[] = [];
  const modbusDir = join(corpus, 'modbus');
  if (existsSync(modbusDir)) {
    for (const name of readdirSync(modbusDir).sort()) if (name.endsWith('.pcap')) files.push(join(modbusDir, name));
  }
  const fuzz = join(corpus, 'malformed/fuzz-1011.pcap');
  if (existsSync(fuzz)) files.push(fuzz);
  return files;
}

const execFileAsync = promisify(execFile);

async function tsharkCodes(file: string): Promise<Map<number, string>> {
  const run = await execFileAsync(
    'tshark',
    ['-r', file, '-Y', 'mbtcp', '-T', 'fields', '-E', 'occurrence=a', '-e', 'frame.number', '-e', 'mbtcp.trans_id', '-e', 'modbus.func_code'],
    { encoding: 'utf8' },
  );
  const out = new Map<number, string>();
  for (const line of run.stdout.split('\n')) {
    if (line.trim() === '') continue;
    const [frame, , codes] = line.split('\t');
    out.set(Number(frame), (codes ?? '').split(',').filter((c) => c !== '').map(Number).sort((a, b) => a - b).join(','));
  }
  return out;
}

function ourCodes(file: string): Map<number, string> {
  const perFrame = new Map<number, number[]>();
  const add = (frame: number, code: number) => {
    let list = perFrame.get(frame);
    if (list === undefined) perFrame.set(frame, (list = []));
    list.push(code);
  };
  for (const flow of replayPcap(file, modbusSpec)) {
    for (const op of flow.out.ops()) {
      const fc = op.protocol === 'umas' ? 90 : op.code & 0x7f;
      add(op.frame, fc);
      if (op.responseFrame !== undefined && op.responseFrame !== op.frame) add(op.responseFrame, fc);
    }
  }
  const out = new Map<number, string>();
  for (const [frame, list] of perFrame) out.set(frame, list.sort((a, b) => a - b).join(','));
  return out;
}

test('differential vs tshark: per-frame Modbus function codes agree on >= 99% of frames', async (t) => {
  if (!tsharkAvailable) {
    t.skip('tshark not installed');
    return;
  }
  const files = corpusFiles();
  if (files.length === 0) {
    t.skip(`corpus not found at ${corpus}`);
    return;
  }
  let frames = 0;
  let agree = 0;
  const disagreements: string[] = [];
  const tsharkResults = await Promise.all(files.map((file) => tsharkCodes(file)));
  for (const [index, file] of files.entries()) {
    const theirs = tsharkResults[index]!;
    const ours = ourCodes(file);
    for (const frame of new Set([...theirs.keys(), ...ours.keys()])) {
      frames++;
      const a = theirs.get(frame) ?? '-';
      const b = ours.get(frame) ?? '-';
      if (a === b) agree++;
      else disagreements.push(`${file.slice(corpus.length + 1)} frame ${frame}: tshark ${a} ours ${b}`);
    }
  }
  const ratio = agree / frames;
  t.diagnostic(`${agree}/${frames} frames agree (${(ratio * 100).toFixed(2)}%) over ${files.length} files`);
  for (const line of disagreements) t.diagnostic(line);
  assert.ok(frames > 100, `too few frames compared: ${frames}`);
  assert.ok(ratio >= 0.99, `agreement ${ratio}; disagreements:\n${disagreements.join('\n')}`);
});
