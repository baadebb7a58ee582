import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { traceOf, tsharkFields, hasTshark } from '../../../test/support/trace.js';
import { assertGolden } from '../../../test/support/golden.js';
import { addCode, compareCodes, parseNumber } from '../../../test/support/differential.js';
import { corpusDir, hasCorpus } from '../../../test/support/cli.js';

/** The protocols this folder analyzes: traces leave out the rest of each capture. */
const TRACED = ['iec104'];

const fixtures = join(import.meta.dirname, 'fixtures');

test('golden trace: TestDissectIec104.pcap', async () => {
  const { trace } = await traceOf(join(fixtures, 'TestDissectIec104.pcap'), TRACED);
  assert.ok(trace.operations.some((o) => o[4] === 'STARTDT_act' && o[5] === 'ok'));
  assert.ok(trace.operations.some((o) => o[4] === 'C_IC_NA_1'));
  assert.deepEqual(trace.servers, ['iec104 172.27.248.79:2404']);
  assertGolden(join(fixtures, 'TestDissectIec104.golden.json'), trace);
});

test('differential with tshark: U functions and command type ids per frame', { skip: !hasTshark || !hasCorpus ? 'needs tshark and ../shared/corpus' : false }, async () => {
  let frames = 0;
  let agreeing = 0;
  const problems: string[] = [];
  const explained: string[] = [];
  for (const name of readdirSync(join(corpusDir, 'iec104'))) {
    const file = join(corpusDir, 'iec104', name);
    const { events } = await traceOf(file, TRACED);
    const ours = new Map<number, Set<number>>();
    for (const e of events) {
      if (e.type !== 'operation') continue;
      const isU = e.codeName.endsWith('_act');
      addCode(ours, e.frame, isU ? -e.code : e.code);
      // The reply to a U act is its con (code << 1); a command's confirmation repeats its type id.
      addCode(ours, e.responseFrame, isU ? -(e.code << 1) : e.code);
    }
    const theirs = new Map<number, Set<number>>();
    for (const [frame, [utypes = [], typeids = [], causes = []]] of tsharkFields(file, 'iec60870_104', ['iec60870_104.utype', 'iec60870_asdu.typeid', 'iec60870_asdu.causetx'])) {
      const set = new Set<number>();
      for (const u of utypes) {
        const code = parseNumber(u);
        // tshark shows any bit pattern; a U control octet with several functions set is invalid, and we count
        // it as malformed instead of guessing which function was meant.
        if ([1, 2, 4, 8, 16, 32].includes(code)) set.add(-code);
        else explained.push(`${name} frame ${frame}: invalid U function bits 0x${code.toString(16)} (malformed for us)`);
      }
      // Only the command direction (types 45+) and their confirmations are operations; monitor data is counted.
      typeids.forEach((t, i) => {
        const type = parseNumber(t);
        const cause = parseNumber(causes[i] ?? '0');
        if (type >= 45 && [6, 7, 8, 9].includes(cause) || (type >= 45 && cause >= 44)) set.add(type);
      });
      theirs.set(frame, set);
    }
    const r = compareCodes(name, ours, theirs);
    frames += r.frames;
    agreeing += r.agreeing;
    problems.push(...r.disagreements);
  }
  console.log(`# iec104 differential: ${agreeing}/${frames} frames agree`);
  for (const p of problems) console.log(`#   ${p}`);
  for (const p of explained) console.log(`#   explained: ${p}`);
  assert.ok(frames > 0);
  assert.ok(agreeing / frames >= 0.99, problems.join('\n'));
});
