import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { traceOf, tsharkFields, hasTshark } from '../../../test/support/trace.js';
import { assertGolden } from '../../../test/support/golden.js';
import { addCode, compareCodes, parseNumber } from '../../../test/support/differential.js';
import { corpusDir, hasCorpus } from '../../../test/support/cli.js';

/** The protocols this folder analyzes: traces leave out the rest of each capture. */
const TRACED = ['bacnet'];

const fixtures = join(import.meta.dirname, 'fixtures');
const corpus = join(corpusDir, 'bacnet');
const FILES = ['bacnet_segmented_data.pcap', 'bacnet_services_excerpt.pcap'];

for (const name of FILES) {
  test(`golden trace: ${name}`, async () => {
    const { trace } = await traceOf(join(fixtures, name), TRACED);
    assertGolden(join(fixtures, name.replace(/\.pcap$/, '.golden.json')), trace);
  });
}

test('reinitializeDevice / deviceCommunicationControl carry their state and error names (tshark: password-failure)', async () => {
  const { trace } = await traceOf(join(fixtures, 'bacnet_services_excerpt.pcap'), TRACED);
  const restarts = trace.operations.filter((o) => o[4] === 'reinitialize_device');
  assert.deepEqual(restarts.map((o) => [o[2], o[5], o[6]?.split(';')[0]]), [
    ['restart', 'exception', 'coldstart'],
    ['restart', 'exception', 'warmstart'],
    ['restart', 'ok', 'warmstart'],
    ['restart', 'ok', 'coldstart'],
  ]);
  const dcc = trace.operations.filter((o) => o[4] === 'device_communication_control');
  assert.deepEqual(dcc.map((o) => [o[2], o[5], o[6]?.split(';')[0]]), [
    ['mode-change', 'exception', 'disable'],
    ['mode-change', 'ok', 'disable'],
    ['mode-change', 'exception', 'enable'],
    ['mode-change', 'ok', 'enable'],
  ]);
});

const bbmd = join(corpus, 'BACnet-BBMD-on-same-subnet.cap');
test('Forwarded-NPDU: I-Am facts go to the originating device, not to the BBMD (GPL capture, corpus only)', { skip: !existsSync(bbmd) ? 'needs ../shared/corpus' : false }, async () => {
  const { trace, events } = await traceOf(bbmd, TRACED);
  // tshark frame 6: BBMD 192.168.0.24 forwards 192.168.0.105's I-Am (device 123, vendor 260).
  assert.ok(trace.facts.some((f) => f[0] === '192.168.0.105' && f[1] === 'station-name' && f[2] === 'device 123'));
  assert.ok(!trace.facts.some((f) => f[0] === '192.168.0.24' && f[2] === 'device 123'));
  // Frames 11-14 come from remote networks (SNET present): no facts pinned on the router's address.
  assert.ok(!trace.facts.some((f) => f[2] === 'device 86114' || f[2] === 'device 884456'));
  const register = events.find((e) => e.type === 'operation' && e.codeName === 'register_foreign_device');
  assert.ok(register && register.type === 'operation');
  assert.equal(register.result, 'ok');
  assert.equal(register.responseFrame, 3);
});

/**
 * Per frame: the service choice tshark decodes (bacapp.confirmed_service / unconfirmed_service, unconfirmed
 * offset by 0x100) against the services of our operations (request and response frames). BACnet/Ethernet
 * (LLC) frames are out of scope for a UDP analyzer and filtered out (`bvlc`).
 */
test('differential with tshark: BACnet service choice per frame', { skip: !hasTshark || !hasCorpus ? 'needs tshark and ../shared/corpus' : false }, async () => {
  let frames = 0;
  let agreeing = 0;
  const problems: string[] = [];
  for (const name of readdirSync(corpus)) {
    const file = join(corpus, name);
    const { events } = await traceOf(file, TRACED);
    const ours = new Map<number, Set<number>>();
    for (const e of events) {
      if (e.type !== 'operation' || e.protocol !== 'bacnet' || e.subCode === undefined) continue;
      const code = e.subCode === 1 ? 0x100 + e.code : e.code;
      addCode(ours, e.frame, code);
      addCode(ours, e.responseFrame, code);
    }
    const theirs = new Map<number, Set<number>>();
    for (const [frame, [confirmed = [], unconfirmed = []]] of tsharkFields(file, 'bvlc && bacapp', ['bacapp.confirmed_service', 'bacapp.unconfirmed_service'])) {
      const set = new Set<number>();
      for (const c of confirmed) set.add(parseNumber(c));
      for (const u of unconfirmed) set.add(0x100 + parseNumber(u));
      theirs.set(frame, set);
    }
    const r = compareCodes(name, ours, theirs);
    frames += r.frames;
    agreeing += r.agreeing;
    problems.push(...r.disagreements);
  }
  console.log(`# bacnet differential: ${agreeing}/${frames} frames agree`);
  for (const p of problems.slice(0, 30)) console.log(`#   ${p}`);
  assert.ok(frames > 7000);
  assert.ok(agreeing / frames >= 0.99, problems.slice(0, 30).join('\n'));
});
