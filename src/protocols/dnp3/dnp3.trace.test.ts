import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { traceOf, tsharkFields, hasTshark } from '../../../test/support/trace.js';
import { assertGolden } from '../../../test/support/golden.js';
import { addCode, compareCodes, parseNumber, tcpRepeatedFrames } from '../../../test/support/differential.js';
import { corpusDir, hasCorpus } from '../../../test/support/cli.js';

/** The protocols this folder analyzes: traces leave out the rest of each capture. */
const TRACED = ['dnp3'];

const fixtures = join(import.meta.dirname, 'fixtures');
const FILES = readdirSync(fixtures).filter((f) => f.endsWith('.pcap')).sort();

for (const name of FILES) {
  test(`golden trace: ${name}`, async () => {
    const { trace } = await traceOf(join(fixtures, name), TRACED);
    assertGolden(join(fixtures, name.replace(/\.pcap$/, '.golden.json')), trace);
  });
}

test('the write, control and restart paths are classified', async () => {
  const kinds = new Set<string>();
  for (const name of FILES) for (const op of (await traceOf(join(fixtures, name), TRACED)).trace.operations) kinds.add(`${op[2]}:${op[4]}`);
  for (const k of ['time-sync:write', 'file-transfer:open_file', 'control:select', 'control:operate', 'restart:warm_restart', 'read:read', 'control:immediate_freeze']) assert.ok(kinds.has(k), `${k} in ${[...kinds].join(' ')}`);
});

test('differential with tshark: application function codes per frame', { skip: !hasTshark || !hasCorpus ? 'needs tshark and ../shared/corpus' : false }, async () => {
  let frames = 0;
  let agreeing = 0;
  const problems: string[] = [];
  const explained: string[] = [];
  for (const dir of ['dnp3', 'malformed']) {
    for (const name of readdirSync(join(corpusDir, dir)).filter((f) => dir === 'dnp3' || f.startsWith('DNP3'))) {
      const file = join(corpusDir, dir, name);
      const { events } = await traceOf(file, TRACED);
      const ours = new Map<number, Set<number>>();
      const unanswerable = new Set<number>();
      for (const e of events) {
        if (e.type === 'anomaly' && e.anomaly === 'unexpected-response') unanswerable.add(e.frame);
        if (e.type !== 'operation' || e.protocol !== 'dnp3') continue;
        addCode(ours, e.frame, e.code);
        // Authentication requests are answered with "authenticate response" (131), everything else with 129.
        addCode(ours, e.responseFrame, e.responseCode ?? 129);
      }
      // Confirmations and unsolicited responses are counted, not operations; leave them out of tshark's side.
      const theirs = new Map<number, Set<number>>();
      const repeats = await tcpRepeatedFrames(file);
      for (const [frame, [funcs = []]] of tsharkFields(file, 'dnp3.al.func', ['dnp3.al.func'])) {
        if (repeats.has(frame)) {
          explained.push(`${name} frame ${frame}: TCP retransmission of an earlier segment`);
          continue;
        }
        const codes = funcs.map(parseNumber).filter((f) => f !== 0 && f !== 130);
        // A repeated response with no request waiting is an anomaly for us (see session.ts), not an operation.
        if (unanswerable.has(frame) && codes.every((c) => c === 129)) {
          explained.push(`${name} frame ${frame}: response with no request waiting (repeat)`);
          continue;
        }
        theirs.set(frame, new Set(codes));
      }
      const r = compareCodes(name, ours, theirs);
      frames += r.frames;
      agreeing += r.agreeing;
      problems.push(...r.disagreements);
    }
  }
  console.log(`# dnp3 differential: ${agreeing}/${frames} frames agree`);
  for (const p of problems.slice(0, 40)) console.log(`#   ${p}`);
  for (const p of explained) console.log(`#   explained: ${p}`);
  assert.ok(frames > 0);
  assert.ok(agreeing / frames >= 0.99, problems.slice(0, 40).join('\n'));
});
