import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { traceOf, tsharkFields, hasTshark } from '../../../test/support/trace.js';
import { assertGolden } from '../../../test/support/golden.js';
import { addCode, compareCodes, parseNumber } from '../../../test/support/differential.js';
import { corpusDir } from '../../../test/support/cli.js';
import { runL2 } from './test-support.js';

/** The protocols this folder analyzes: traces leave out the rest of each capture. */
const TRACED = ['profinet-dcp', 'profinet-rt', 'profinet-cm'];

const fixtures = join(import.meta.dirname, 'fixtures');
const CM_FILES = ['profinet.pcap', 'profinet_io_cm_connect_minimal.pcapng', 'profinet_io_cm_read.pcapng'];
const profinetCorpus = join(corpusDir, 'profinet');
const hasProfinetCorpus = existsSync(profinetCorpus);

for (const name of CM_FILES) {
  test(`golden trace: ${name}`, async () => {
    const { trace } = await traceOf(join(fixtures, name), TRACED);
    assertGolden(join(fixtures, name.replace(/\.pcap(ng)?$/, '.golden.json')), trace);
  });
}

test('golden trace: PROFINET-RT.pcap (L2 analyzer, including end-of-capture flush)', async () => {
  const ctx = await runL2(join(fixtures, 'PROFINET-RT.pcap'));
  const operations = ctx.operations().map((o) => [o.frame, o.protocol, o.kind, o.code, o.codeName, o.result, o.src.mac, o.object ?? '']);
  operations.sort((a, b) => (a[0] as number) - (b[0] as number));
  assertGolden(join(fixtures, 'PROFINET-RT.golden.json'), { operations, counters: ctx.counters });
});

test('PN-IO CM: the connect request names the controller station (tshark: pc-worx-rt-basic-6d-d3-43) and pairs across flows', async () => {
  const { trace, events } = await traceOf(join(fixtures, 'profinet_io_cm_connect_minimal.pcapng'), TRACED);
  assert.ok(trace.facts.some((f) => f[0] === '192.168.1.3' && f[1] === 'station-name' && f[2] === 'pc-worx-rt-basic-6d-d3-43'));
  const connect = events.find((e) => e.type === 'operation' && e.code === 0);
  assert.ok(connect && connect.type === 'operation');
  assert.equal(connect.kind, 'connect');
  assert.equal(connect.detail, 'IOCARSingle');
  assert.equal(connect.result, 'ok');
  // The device answers from another port (a different UDP flow) than the one the call went to.
  assert.equal(connect.responseFrame, 2);
});

test('differential with tshark: DCP service id and DCE/RPC opnum per frame', { skip: !hasTshark || !hasProfinetCorpus ? 'needs tshark and ../shared/corpus/pcaps/profinet' : false }, async () => {
  const totals = { dcp: { frames: 0, agreeing: 0 }, cm: { frames: 0, agreeing: 0 } };
  const problems: string[] = [];
  for (const name of readdirSync(profinetCorpus)) {
    const file = join(profinetCorpus, name);
    // One tshark pass per file (its start-up dominates): DCP frames carry a service id, PNIO frames an opnum.
    const rows = tsharkFields(file, 'pn_dcp || pn_io_device || pn_io_controller || pn_io_supervisor || pn_io_parameterserver', ['pn_dcp.service_id', 'dcerpc.opnum']);
    const theirs = { dcp: new Map<number, Set<number>>(), cm: new Map<number, Set<number>>() };
    for (const [frame, [ids = [], opnums = []]] of rows) {
      if (ids.length) theirs.dcp.set(frame, new Set(ids.map(parseNumber)));
      if (opnums.length) theirs.cm.set(frame, new Set(opnums.map(parseNumber)));
    }
    const ours = { dcp: new Map<number, Set<number>>(), cm: new Map<number, Set<number>>() };
    const { events } = await traceOf(file, TRACED);
    const l2 = await runL2(file);
    for (const e of [...events, ...l2.events]) {
      if (e.type !== 'operation') continue;
      const map = e.protocol === 'profinet-dcp' ? ours.dcp : e.protocol === 'profinet-cm' ? ours.cm : null;
      if (map === null) continue;
      addCode(map, e.frame, e.code);
      addCode(map, e.responseFrame, e.code);
    }
    for (const kind of ['dcp', 'cm'] as const) {
      const r = compareCodes(name, ours[kind], theirs[kind]);
      totals[kind].frames += r.frames;
      totals[kind].agreeing += r.agreeing;
      problems.push(...r.disagreements);
    }
  }
  console.log(`# profinet differential: DCP ${totals.dcp.agreeing}/${totals.dcp.frames}, CM ${totals.cm.agreeing}/${totals.cm.frames} frames agree`);
  for (const kind of ['dcp', 'cm'] as const) {
    assert.ok(totals[kind].frames > 0, `${kind}: tshark reported frames`);
    assert.ok(totals[kind].agreeing / totals[kind].frames >= 0.99, problems.slice(0, 30).join('\n'));
  }
});
