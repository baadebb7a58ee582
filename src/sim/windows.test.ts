/**
 * The SMB side of the virtual plant: file-server baseline traffic and the Windows incident scenarios
 * (conficker, wannacry, ransomware-smb), checked through tshark and end to end through the otwatch analyzers and
 * detection rules (the same path as src/detect/plant.test.ts, which covers every scenario's main alert).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listScenarios, simulate, type SimulateResult } from './simulate.js';
import { analyzeCaptures } from '../engine/analyze.js';
import { Detector } from '../detect/engine.js';
import type { AlertReport } from '../report/types.js';
import type { OperationEvent, OtEvent } from '../events/types.js';

const WINDOWS = ['conficker', 'wannacry', 'ransomware-smb'];
const dir = mkdtempSync(join(tmpdir(), 'otwatch-sim-smb-'));
const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
const hasTshark = existsSync('/usr/bin/tshark');

interface Analysed { capture: string; sim: SimulateResult; alerts: AlertReport[]; ops: OperationEvent[] }

let analysed: Promise<Analysed> | null = null;
/** One 22 s capture with the three scenarios, analysed once and shared by the tests below. */
function analyse(): Promise<Analysed> {
  analysed ??= (async () => {
    const capture = join(dir, 'windows.pcap');
    const sim = await simulate({ out: capture, scenarios: WINDOWS, durationSec: 22, seed: 21 });
    const detector = new Detector({});
    const ops: OperationEvent[] = [];
    const { report } = await analyzeCaptures([capture], {
      onEvent: (e: OtEvent, file) => {
        detector.onEvent(e, file);
        if (e.type === 'operation' && (e.protocol === 'smb' || e.protocol === 'dcerpc')) ops.push(structuredClone(e));
      },
      onFlowEnd: (f, file) => detector.onFlowEnd(f, file),
    });
    return { capture, sim, alerts: detector.finish(report), ops };
  })();
  return analysed;
}

test('the Windows scenarios are listed as available and produce their incidents', async () => {
  const listed = new Map(listScenarios().map((s) => [s.name, s]));
  for (const name of WINDOWS) assert.equal(listed.get(name)?.available, true, name);
  const { sim } = await analyse();
  assert.deepEqual(sim.incidents.map((i) => i.scenario).sort(), [...WINDOWS].sort());
  const expected: Record<string, [string, string, string, string]> = {
    conficker: ['bms-ws-01', 'hmi-01', 'malware.ms08-067', 'exploitation'],
    wannacry: ['hmi-03', 'hmi-02', 'malware.eternalblue', 'exploitation'],
    'ransomware-smb': ['ews-01', 'fs-01', 'malware.ransomware-smb', 'impact'],
  };
  for (const inc of sim.incidents) {
    const [source, target, ruleId, category] = expected[inc.scenario]!;
    assert.deepEqual([inc.source, inc.target, inc.expectedAlert.ruleId, inc.expectedAlert.category], [source, target, ruleId, category]);
    assert.equal(inc.expectedAlert.severity, 'critical');
    assert.ok(inc.start < inc.end && inc.start >= sim.start && inc.end <= sim.end, `${inc.scenario} window`);
  }
});

test('same seed, same bytes', async () => {
  const a = join(dir, 'a.pcap');
  const b = join(dir, 'b.pcap');
  await simulate({ out: a, scenarios: WINDOWS, durationSec: 8, seed: 5 });
  await simulate({ out: b, scenarios: WINDOWS, durationSec: 8, seed: 5 });
  assert.equal(sha(a), sha(b));
});

test('each scenario raises its expected alert between the truth hosts, plus the worms\' side alerts', async () => {
  const { sim, alerts } = await analyse();
  const ip = (name: string) => sim.truth.assets.find((a) => a.name === name)!.ips[0]!;
  for (const inc of sim.incidents) {
    const hit = alerts.find((a) => a.ruleId === inc.expectedAlert.ruleId && a.source?.ip === inc.sourceIp && a.target?.ip === inc.targetIp);
    assert.ok(hit, `${inc.scenario}: ${inc.expectedAlert.ruleId} ${inc.sourceIp} → ${inc.targetIp}`);
    assert.equal(hit.severity, inc.expectedAlert.severity, inc.scenario);
    assert.equal(hit.category, inc.expectedAlert.category, inc.scenario);
  }
  const from = (ruleId: string, src: string) => alerts.filter((a) => a.ruleId === ruleId && a.source?.ip === ip(src));
  assert.equal(from('malware.dga', 'bms-ws-01').length, 1, 'conficker DGA burst');
  assert.equal(from('malware.smb-propagation', 'bms-ws-01').length, 1, 'conficker 445 fan-out');
  assert.equal(from('malware.smb-propagation', 'hmi-03').length, 1, 'wannacry 445 fan-out');
  assert.ok(from('net.smbv1', 'bms-ws-01').length > 0 && from('net.smbv1', 'hmi-03').length > 0, 'SMBv1 use');
  const eb = from('malware.eternalblue', 'hmi-03').map((a) => a.details.pattern).sort();
  assert.deepEqual(eb, ['doublepulsar-implant', 'eternalblue']);
  // The file-server baseline itself raises nothing above low.
  const quiet = new Set([...sim.incidents.map((i) => i.sourceIp)]);
  const loud = alerts.filter((a) => a.severity !== 'info' && a.severity !== 'low' && !quiet.has(a.source?.ip ?? ''));
  assert.deepEqual(loud.map((a) => `${a.ruleId} ${a.source?.ip} → ${a.target?.ip}`), []);
});

test('the analyzers decode what the rules need: NTLM identities, srvsvc path, NT Trans size, renames', async () => {
  const { ops } = await analyse();
  const setups = ops.filter((e) => e.codeName === 'smb2_session_setup' && e.attributes?.ntlmssp_type === 3);
  const who = new Set(setups.map((e) => `${e.attributes!.domain}\\${e.attributes!.user}@${e.attributes!.workstation}`));
  for (const w of ['PLANT\\engineer1@EWS-01', 'PLANT\\operator@HMI-01', 'CORP\\j.meyer@OFFICE-01']) assert.ok(who.has(w), w);
  assert.ok(setups.every((e) => e.attributes!.success === true));
  const trees = new Set(ops.filter((e) => e.codeName === 'smb2_tree_connect').map((e) => e.object));
  for (const t of ['\\\\fs-01\\projects', '\\\\fs-01\\operations', '\\\\it-fs-01\\share']) assert.ok(trees.has(t), t);
  for (const k of ['smb2_create', 'smb2_read', 'smb2_write', 'smb2_close']) {
    assert.ok(ops.some((e) => e.codeName === k && e.result === 'ok' && e.object?.startsWith('\\\\fs-01\\')), k);
  }
  const canon = ops.find((e) => e.codeName === 'srvsvc_netpathcanonicalize');
  assert.ok(canon, 'NetprPathCanonicalize decoded');
  assert.equal(canon.attributes!.pipe, 'srvsvc');
  assert.equal(canon.attributes!.path_traversal, true);
  assert.ok((canon.attributes!.path_len as number) >= 100);
  assert.equal(canon.attributes!.return_code, 0x7b);
  const ntTrans = ops.find((e) => e.codeName === 'smb1_nt_trans');
  assert.ok(ntTrans && (ntTrans.attributes!.total_data_count as number) >= 0x10000);
  const pings = ops.filter((e) => e.codeName === 'smb1_trans2' && e.subCode === 0x0e);
  assert.deepEqual(pings.map((e) => e.attributes!.response_multiplex_id ?? null), [null, 81]);
  const renames = ops.filter((e) => e.detail === 'rename' && typeof e.attributes?.new_name === 'string');
  assert.ok(renames.length >= 20 && renames.every((e) => (e.attributes!.new_name as string).endsWith('.locked')));
  assert.ok(ops.filter((e) => /README_TO_DECRYPT\.txt$/.test(String(e.attributes?.file ?? ''))).length >= 3);
});

test('tshark: every frame decodes cleanly (no malformed, expert errors or TCP analysis flags)',
  { skip: !hasTshark && 'tshark not installed' }, async () => {
    const { capture } = await analyse();
    // One tshark pass: the bad frames (none expected) and the WSUS requests, told apart by the flag columns.
    const rows = execFileSync('tshark', ['-r', capture, '-Y',
      '_ws.malformed || _ws.expert.severity >= error || tcp.analysis.flags || (http.request && tcp.dstport == 8530)',
      '-T', 'fields', '-E', 'separator=|', '-e', 'frame.number', '-e', '_ws.malformed', '-e', '_ws.expert.severity',
      '-e', 'tcp.analysis.flags', '-e', 'http.request.uri'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .trim().split('\n').map((l) => l.split('|'));
    const bad = rows.filter((r) => r[1] !== '' || r[3] !== '' || (r[2] ?? '').split(',').some((v) => Number(v) >= 0x800000));
    assert.deepEqual(bad.map((r) => r[0]), []);
    const wsus = rows.map((r) => r[4] ?? '').join('\n');
    assert.match(wsus, /\/selfupdate\/wuident\.cab/);
  });
