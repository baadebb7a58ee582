import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { traceOf, tsharkFields, hasTshark } from '../../../test/support/trace.js';
import { assertGolden } from '../../../test/support/golden.js';
import { addCode, compareCodes, parseNumber } from '../../../test/support/differential.js';
import { corpusDir } from '../../../test/support/cli.js';
import { SERVICE_BY_REQUEST } from './names.js';

/** The protocols this folder analyzes: traces leave out the rest of each capture. */
const TRACED = ['opcua'];

const fixtures = join(import.meta.dirname, 'fixtures');
const FILES = ['python_opcua-client-server_minimal.pcap', 'open62541_client-server_mainloop.pcap', 'python_opcua-client-server_encrypted.pcap'];
const opcuaCorpus = join(corpusDir, 'opcua');
const hasOpcuaCorpus = existsSync(opcuaCorpus);

for (const name of FILES) {
  test(`golden trace: ${name}`, async () => {
    const { trace } = await traceOf(join(fixtures, name), TRACED);
    assertGolden(join(fixtures, name.replace(/\.pcap$/, '.golden.json')), trace);
  });
}

test('Basic256Sha256 connection: OPN bodies are opaque, MSG bodies are signed-only and decoded (as tshark does)', async () => {
  const { trace, events } = await traceOf(join(fixtures, 'python_opcua-client-server_encrypted.pcap'), TRACED);
  const open = trace.operations.find((o) => o[0] === 31)!;
  assert.deepEqual(open.slice(3, 6), [446, 'open_secure_channel', 'unknown']);
  assert.match(open[6]!, /^Basic256Sha256 \| asymmetric-encrypted body/);
  assert.deepEqual(trace.operations.filter((o) => o[0] > 31).map((o) => o[4]), ['create_session', 'activate_session', 'browse']);
  assert.equal(events.filter((e) => e.type === 'protocol' && e.visibility === 'opaque').length, 0);
});

test('nDPI capture (corpus): username ActivateSession and 87 paired reads', { skip: hasOpcuaCorpus ? false : 'needs ../shared/corpus' }, async () => {
  const { trace } = await traceOf(join(opcuaCorpus, 'ndpi_opc-ua.pcap'), TRACED);
  assert.ok(trace.facts.some((f) => f[1] === 'user' && f[2] === 'user1'));
  assert.equal(trace.operations.filter((o) => o[4] === 'read' && o[5] === 'ok').length, 87);
});

test('differential with tshark: service NodeId per frame (opcua.servicenodeid.numeric)', { skip: !hasTshark || !hasOpcuaCorpus ? 'needs tshark and ../shared/corpus' : false }, async () => {
  let frames = 0;
  let agreeing = 0;
  const problems: string[] = [];
  for (const name of readdirSync(opcuaCorpus).filter((n) => /\.pcap(ng)?$/.test(n))) {
    const file = join(opcuaCorpus, name);
    const { events } = await traceOf(file, TRACED);
    const ours = new Map<number, Set<number>>();
    for (const e of events) {
      if (e.type !== 'operation' || e.protocol !== 'opcua' || e.code === 0) continue;
      addCode(ours, e.frame, e.code);
      // tshark shows the response's own encoding id on the response frame (a ServiceFault, 397, would differ:
      // the corpus has none).
      const service = SERVICE_BY_REQUEST.get(e.code);
      if (service && e.responseFrame !== undefined) addCode(ours, e.responseFrame, service.response);
    }
    const theirs = new Map<number, Set<number>>();
    for (const [frame, [ids = []]] of tsharkFields(file, 'opcua', ['opcua.servicenodeid.numeric'])) {
      theirs.set(frame, new Set(ids.map(parseNumber)));
    }
    const r = compareCodes(name, ours, theirs);
    frames += r.frames;
    agreeing += r.agreeing;
    problems.push(...r.disagreements);
  }
  console.log(`# opcua differential: ${agreeing}/${frames} frames agree`);
  for (const p of problems.slice(0, 30)) console.log(`#   ${p}`);
  assert.ok(frames > 300);
  assert.ok(agreeing / frames >= 0.99, problems.slice(0, 30).join('\n'));
});
