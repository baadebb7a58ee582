import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { OperationEvent } from '../../events/types.js';
import { traceOf as traceFile, tsharkFields, hasTshark, type Trace } from '../../../test/support/trace.js';
import { assertGolden } from '../../../test/support/golden.js';
import { addCode, compareCodes, parseNumber } from '../../../test/support/differential.js';
import { corpusDir, hasCorpus } from '../../../test/support/cli.js';

const fixtures = join(import.meta.dirname, 'fixtures');
const threats = join(corpusDir, 'threats');
const PSEXEC = join(fixtures, '20171220_smb_psexec_add_user.pcap');
const NO_CORPUS = !hasCorpus || !existsSync(threats) ? 'needs ../shared/corpus' : false;
/** Corpus files whose licence does not allow a copy in the repository: read in place, goldens kept here. */
const CORPUS_ONLY = ['MS17_010_win64_smb.pcap', 'metasploit-ms017-010-win7x64.pcap', 'smbv1.pcap'];

/** Each capture is analysed once per test file. */
const traces = new Map<string, ReturnType<typeof traceFile>>();
function traceOf(file: string): ReturnType<typeof traceFile> {
  let t = traces.get(file);
  if (!t) traces.set(file, (t = traceFile(file)));
  return t;
}

/** The golden keeps what SMB and DCE/RPC extracted (other analyzers' facts in the same capture are theirs). */
function ownTrace(trace: Trace): Trace {
  const mine = (p: string) => p === 'smb' || p === 'dcerpc';
  return {
    operations: trace.operations.filter((o) => mine(o[1])),
    facts: trace.facts.filter((f) => mine(f[3])),
    anomalies: Object.fromEntries(Object.entries(trace.anomalies).filter(([k]) => mine(k.split('.')[0]!))),
    servers: trace.servers.filter((s) => mine(s.split(' ')[0]!)),
  };
}

const ops = (events: Awaited<ReturnType<typeof traceOf>>['events']): OperationEvent[] =>
  events.filter((e): e is OperationEvent => e.type === 'operation' && (e.protocol === 'smb' || e.protocol === 'dcerpc'));

test('golden trace: PsExec over SMB2 (tshark: smb2.cmd/smb2.filename/smb2.tree, dcerpc.opnum)', async () => {
  const { trace } = await traceOf(PSEXEC);
  assertGolden(join(fixtures, '20171220_smb_psexec_add_user.golden.json'), ownTrace(trace));
});

test('golden trace: eternalblue-failed-patched-win7 holds no TCP, so no SMB session (negative sample)', async () => {
  const { trace, events } = await traceOf(join(fixtures, 'eternalblue-failed-patched-win7.pcap'));
  assert.equal(ops(events).length, 0);
  assert.ok(!trace.servers.some((s) => s.startsWith('smb ') || s.startsWith('dcerpc ')));
  assertGolden(join(fixtures, 'eternalblue-failed-patched-win7.golden.json'), ownTrace(trace));
});

for (const name of CORPUS_ONLY) {
  test(`golden trace (corpus): ${name}`, { skip: NO_CORPUS }, async () => {
    const { trace } = await traceOf(join(threats, name));
    assertGolden(join(fixtures, name.replace(/\.pcap$/, '.golden.json')), ownTrace(trace));
  });
}

test('PsExec: service binary written to ADMIN$, service created and started through svcctl on \\PIPE\\svcctl', async () => {
  const { events } = await traceOf(PSEXEC);
  const all = ops(events);
  const writes = all.filter((o) => o.codeName === 'smb2_write' && o.object === '\\\\dc1\\ADMIN$\\PSEXESVC.exe');
  assert.equal(writes.length, 4); // tshark: frames 31, 36, 42, 45
  assert.equal(writes.reduce((n, o) => n + (o.dataBytes ?? 0), 0), 65536 + 65536 + 12288 + 2208);
  const create = all.find((o) => o.codeName === 'svcctl_createservicewow64w');
  assert.ok(create, 'CreateServiceWOW64W (opnum 45, tshark frame 160)');
  assert.equal(create.frame, 160);
  assert.equal(create.kind, 'configuration');
  assert.equal(create.attributes?.service_name, 'PSEXESVC');
  assert.equal(create.attributes?.binary_path, '%SystemRoot%\\PSEXESVC.exe');
  assert.equal(create.attributes?.pipe, 'svcctl');
  const start = all.find((o) => o.codeName === 'svcctl_startservicew');
  assert.equal(start?.kind, 'control');
  assert.equal(start?.frame, 166);
  const bind = all.find((o) => o.protocol === 'dcerpc' && o.codeName === 'bind' && o.object === 'svcctl');
  assert.equal(bind?.attributes?.uuid, '367abb81-9844-35f1-ad32-98f038001003');
  const del = all.find((o) => o.codeName === 'smb2_set_info' && o.detail === 'delete');
  assert.equal(del?.object, '\\\\dc1\\ADMIN$\\PSEXESVC.exe'); // tshark frame 300: FileDispositionInformation
  // PsExec's own pipes are not DCE/RPC: nothing is reported as malformed RPC
  assert.ok(!events.some((e) => e.type === 'anomaly' && e.protocol === 'dcerpc'));
});

test('DoublePulsar ping: Trans2 SESSION_SETUP whose response multiplex id is the request\'s + 16', { skip: NO_CORPUS }, async () => {
  const { events } = await traceOf(join(threats, 'MS17_010_win64_smb.pcap'));
  const pings = ops(events).filter((o) => o.codeName === 'smb1_trans2' && o.subCode === 0x0e);
  assert.equal(pings.length, 6); // tshark: frames 7, 19, 23, 27, 31, 33
  const first = pings[0]!;
  assert.equal(first.attributes?.multiplex_id, 65);
  assert.equal(first.attributes?.response_multiplex_id, 81);
  assert.equal(first.exceptionName, 'STATUS_NOT_IMPLEMENTED');
  assert.equal(first.responseFrame, 8);
  assert.equal(first.attributes?.timeout, 8824567); // tshark smb.timeout
  assert.equal(first.attributes?.total_parameter_count, 12); // tshark smb.tpc
});

test('EternalBlue: NT Trans with an oversized total data count followed by Trans2 secondaries', { skip: NO_CORPUS }, async () => {
  const { events } = await traceOf(join(threats, 'metasploit-ms017-010-win7x64.pcap'));
  const all = ops(events);
  const nt = all.find((o) => o.codeName === 'smb1_nt_trans');
  assert.equal(nt?.frame, 34);
  assert.equal(nt?.attributes?.total_data_count, 66512); // tshark smb.tdc
  assert.equal(nt?.attributes?.data_count, 976);
  assert.ok(all.filter((o) => o.codeName === 'smb1_trans2_secondary').length >= 15);
  const facts = events.filter((e) => e.type === 'asset-fact' && e.protocol === 'smb');
  assert.ok(facts.some((f) => f.type === 'asset-fact' && f.field === 'os' && f.value === 'Windows 7 Professional 7601 Service Pack 1' && f.subject.ip === '192.168.198.225'));
  // the exploit's junk native-OS strings are not identities
  assert.ok(!facts.some((f) => f.type === 'asset-fact' && f.field === 'os' && f.subject.ip === '192.168.198.224' && !/^Windows/.test(f.value)));
});

test('SMBv1 anonymous session: smb1 server fact, null session, IPC$ tree', { skip: NO_CORPUS }, async () => {
  const { events } = await traceOf(join(threats, 'smbv1.pcap'));
  const all = ops(events);
  assert.ok(events.some((e) => e.type === 'asset-fact' && e.field === 'software' && e.value === 'smb1 server' && e.subject.ip === '10.128.0.243'));
  const negotiate = all.find((o) => o.codeName === 'smb1_negotiate');
  assert.equal(negotiate?.attributes?.dialect, 'NT LM 0.12');
  assert.equal(negotiate?.attributes?.smb1, true);
  const auth = all.find((o) => o.kind === 'authentication');
  assert.equal(auth?.attributes?.anonymous, true);
  assert.equal(auth?.attributes?.success, true);
  assert.equal(all.find((o) => o.codeName === 'smb1_tree_connect_andx')?.object, '\\\\10.128.0.243\\IPC$');
});

test('differential with tshark: SMB1/SMB2 command codes per frame', { skip: !hasTshark ? 'needs tshark' : NO_CORPUS }, async () => {
  let frames = 0;
  let agreeing = 0;
  const problems: string[] = [];
  const files = [PSEXEC, ...CORPUS_ONLY.map((n) => join(threats, n))];
  for (const file of files) {
    const { events } = await traceOf(file);
    const ours = new Map<number, Set<number>>();
    for (const e of ops(events)) {
      if (e.protocol !== 'smb') continue;
      const v = e.attributes?.smb_version === 1 ? 0x100 : 0x200;
      addCode(ours, e.frame, v + e.code);
      addCode(ours, e.responseFrame, e.responseCode !== undefined ? 0x200 + e.responseCode : v + e.code);
      addCode(ours, e.attributes?.interim_response_frame as number | undefined, v + e.code);
    }
    const theirs = new Map<number, Set<number>>();
    for (const [frame, [smb1 = [], smb2 = []]] of tsharkFields(file, '(smb || smb2) && tcp', ['smb.cmd', 'smb2.cmd'])) {
      const set = new Set<number>();
      for (const c of smb1) if (parseNumber(c) !== 0xff) set.add(0x100 + parseNumber(c));
      for (const c of smb2) set.add(0x200 + parseNumber(c));
      theirs.set(frame, set);
    }
    const r = compareCodes(file.split('/').pop()!, ours, theirs);
    frames += r.frames;
    agreeing += r.agreeing;
    problems.push(...r.disagreements);
  }
  console.log(`# smb differential: ${agreeing}/${frames} frames agree`);
  for (const p of problems.slice(0, 20)) console.log(`#   ${p}`);
  assert.ok(frames > 200);
  assert.ok(agreeing / frames >= 0.99, problems.slice(0, 20).join('\n'));
});

test('differential with tshark: DCE/RPC bound interfaces and opnums per frame (PsExec)', { skip: !hasTshark ? 'needs tshark' : false }, async () => {
  const { events } = await traceOf(PSEXEC);
  const ours = new Map<number, Set<number>>();
  for (const e of ops(events)) {
    if (e.protocol !== 'dcerpc') continue;
    if (e.codeName === 'bind') addCode(ours, e.frame, 0x10000);
    else {
      addCode(ours, e.frame, e.code);
      addCode(ours, e.responseFrame, e.code);
    }
  }
  const theirs = new Map<number, Set<number>>();
  for (const [frame, [uuids = [], opnums = []]] of tsharkFields(PSEXEC, 'dcerpc', ['dcerpc.cn_bind_to_uuid', 'dcerpc.opnum'])) {
    const set = new Set<number>();
    if (uuids.length) set.add(0x10000);
    for (const o of opnums) set.add(Number(o));
    theirs.set(frame, set);
  }
  const r = compareCodes('psexec', ours, theirs);
  assert.ok(r.frames >= 30);
  assert.equal(r.agreeing, r.frames, r.disagreements.join('\n'));
});
