import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { traceOf, tsharkFields, hasTshark } from '../../../test/support/trace.js';
import { assertGolden } from '../../../test/support/golden.js';
import { addCode, compareCodes, parseNumber } from '../../../test/support/differential.js';
import { corpusDir, hasCorpus } from '../../../test/support/cli.js';

/** The protocols this folder analyzes: traces leave out the rest of each capture. */
const TRACED = ['enip', 'cip', 'cip-io'];

const fixtures = join(import.meta.dirname, 'fixtures');
const FILES = ['enip_test.pcap', 'cip-eth-set-2.pcap', 'multiple_service_packet_cip.pcapng', 'cip_unlock_cpu.pcap', 'EIP-ChangeDateAttempt.pcap'];

for (const name of FILES) {
  test(`golden trace: ${name}`, async () => {
    const { trace } = await traceOf(join(fixtures, name), TRACED);
    assertGolden(join(fixtures, name.replace(/\.pcap(ng)?$/, '.golden.json')), trace);
  });
}

test('ListIdentity reply becomes identity facts (tshark: Rockwell 1756-ENBT/A, revision 4.03, which Rockwell writes 4.003, serial 0x00524d8e)', async () => {
  const { trace } = await traceOf(join(fixtures, 'enip_test.pcap'), TRACED);
  const facts = Object.fromEntries(trace.facts.filter((f) => f[0] === '10.1.1.164').map((f) => [f[1], f[2]]));
  assert.equal(facts.vendor, 'Rockwell Automation/Allen-Bradley');
  assert.equal(facts.product, '1756-ENBT/A');
  assert.equal(facts.firmware, '4.003');
  assert.equal(facts.serial, '0x00524d8e');
  assert.equal(facts['device-type'], 'Communications Adapter');
});

test('a Multiple Service Packet yields one operation per inner service', async () => {
  const { trace } = await traceOf(join(fixtures, 'multiple_service_packet_cip.pcapng'), TRACED);
  const frame1 = trace.operations.filter((o) => o[0] === 1);
  assert.ok(frame1.length > 1, 'several inner services');
  assert.ok(frame1.every((o) => o[1] === 'cip'));
});

test('differential with tshark: CIP service codes and encapsulation commands per frame', { skip: !hasTshark || !hasCorpus ? 'needs tshark and ../shared/corpus' : false }, async () => {
  let frames = 0;
  let agreeing = 0;
  const problems: string[] = [];
  // Multiple Service Packet (0x0a) and Unconnected Send / Read Tag Fragmented (0x52) are containers: we report
  // the services inside them, tshark reports the container too; both are left out of the comparison.
  const containers = new Set([0x0a, 0x52]);
  const carriers = new Set([0x6f, 0x70]);
  for (const name of readdirSync(join(corpusDir, 'enip'))) {
    const file = join(corpusDir, 'enip', name);
    const { events } = await traceOf(file, TRACED);
    const ours = new Map<number, Set<number>>();
    for (const e of events) {
      if (e.type !== 'operation' || containers.has(e.code)) continue;
      const code = e.protocol === 'enip' ? 0x10000 + e.code : e.code;
      addCode(ours, e.frame, code);
      addCode(ours, e.responseFrame, code);
    }
    const theirs = new Map<number, Set<number>>();
    for (const [frame, [commands = [], services = []]] of tsharkFields(file, 'enip && tcp', ['enip.command', 'cip.sc'])) {
      const set = new Set<number>();
      for (const c of commands) if (!carriers.has(parseNumber(c))) set.add(0x10000 + parseNumber(c));
      for (const s of services) if (!containers.has(parseNumber(s) & 0x7f)) set.add(parseNumber(s) & 0x7f);
      theirs.set(frame, set);
    }
    const r = compareCodes(name, ours, theirs);
    frames += r.frames;
    agreeing += r.agreeing;
    problems.push(...r.disagreements);
  }
  console.log(`# enip/cip differential: ${agreeing}/${frames} frames agree`);
  for (const p of problems.slice(0, 30)) console.log(`#   ${p}`);
  assert.ok(frames > 0);
  assert.ok(agreeing / frames >= 0.99, problems.slice(0, 30).join('\n'));
});
