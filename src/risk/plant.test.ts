/**
 * The virtual plant end to end: simulate the incidents, analyse, assess. The controllers that are exposed,
 * vulnerable and attacked rank first; every factor carries its evidence; the directory-listing mitigation names
 * the host and the URL; the report with vulnerabilities and risk validates against the schema.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { analyzeCaptures } from '../engine/analyze.js';
import type { Report } from '../report/types.js';
import { validateReport } from '../report/validate.js';
import { simulate } from '../sim/index.js';
import { assessRisk, type RiskAssessment } from './assess.js';
import { defaultVulnMatcher } from './vulnerabilities.js';

const dir = mkdtempSync(join(tmpdir(), 'otwatch-risk-'));
let report: Report;
let result: RiskAssessment;
const ip = (a: string) => report.assets.find((x) => x.ips.includes(a))!.id;

before(async () => {
  const out = join(dir, 'plant.pcap');
  await simulate({ out, scenarios: ['plc-stop', 'internet-exposure', 'cleartext-credentials', 'directory-listing'], durationSec: 60, seed: 11, truthPath: join(dir, 'truth.json') });
  report = (await analyzeCaptures([out])).report;
  result = assessRisk(report, { matcher: defaultVulnMatcher() });
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('exposed, vulnerable, attacked controllers rank first; every factor has evidence', () => {
  const top3 = result.risk.slice(0, 3).map((r) => r.asset);
  // S7-300 reached from the Internet; S7-1500 stopped by an HMI; M340 with FTP logins in clear — all with advisories
  assert.deepEqual(new Set(top3), new Set([ip('10.10.10.13'), ip('10.10.10.11'), ip('10.10.10.21')]));
  assert.equal(result.risk[0]!.asset, ip('10.10.10.13'), 'the Internet-exposed controller is first');
  for (const [name, f] of Object.entries(result.risk[0]!.factors)) assert.ok(f.score > 0 && f.evidence.length > 0, `first: ${name} has a score and evidence`);
  for (const r of result.risk.slice(0, 3)) {
    for (const name of ['criticality', 'vulnerability', 'threat'] as const) assert.ok(r.factors[name].score > 0 && r.factors[name].evidence.length > 0, `${r.asset} ${name}`);
  }
  for (const r of result.risk) for (const [name, f] of Object.entries(r.factors)) assert.ok(f.score === 0 || f.evidence.length > 0, `${r.asset} ${name}`);
  assert.ok(!result.risk.some((r) => r.asset.startsWith('ip:198.51.100.')), 'Internet hosts are not ranked');
});

test('controllers get their advisories with high confidence; the RTU without identity gets none', () => {
  const high = (addr: string) => result.vulnerabilities.filter((v) => v.asset === ip(addr) && v.confidence === 'high');
  assert.ok(high('10.10.10.11').some((v) => v.advisoryId === 'ICSA-22-167-14' && v.fixedIn === '2.9.7'), 'S7-1500 V2.9.4 < V2.9.7');
  assert.ok(high('10.10.10.13').some((v) => v.advisoryId === 'ICSA-22-314-02'), 'S7-300 V3.2.17 < V3.2.19');
  assert.ok(high('10.10.10.21').some((v) => v.advisoryId === 'ICSA-24-326-04' && v.fixedIn === '3.65'), 'M340 SV3.40 < SV3.65');
  assert.ok(!high('10.10.10.22').some((v) => v.advisoryId === 'ICSA-24-326-04'), 'ICSA-24-326-04 is M340-only');
  assert.ok(high('10.10.11.11').some((v) => v.advisoryId === 'ICSA-22-090-05'));
  assert.equal(result.vulnerabilities.filter((v) => v.asset === ip('10.10.20.12')).length, 0, 'ABB RTU with no model or firmware');
  // KEV first, then SSVC, then CVSS within an asset
  const s7 = result.vulnerabilities.filter((v) => v.asset === ip('10.10.10.11'));
  for (let i = 1; i < s7.length; i++) assert.ok(!(s7[i]!.kev && !s7[i - 1]!.kev));
});

test('mitigations: directory listing names host and URL; the HMI that stopped the PLC is denied; the Internet path is removed', () => {
  const listing = result.mitigations.find((m) => m.kind === 'disable-directory-listing');
  assert.ok(listing);
  assert.equal(listing.id, 'disable-directory-listing@10.10.40.21');
  assert.match(listing.title, /10\.10\.40\.21.*http:\/\/10\.10\.40\.21\/logs\//);
  const restrict = result.mitigations.find((m) => m.id === 'restrict-access@10.10.10.11');
  assert.ok(restrict && restrict.priority === 'critical');
  assert.match(restrict.action, /deny [^;]*10\.10\.40\.12 [^;]*mode-change/);
  assert.ok(result.mitigations.some((m) => m.id === 'remove-internet-path@10.10.10.13' && m.priority === 'critical'));
  assert.ok(result.mitigations.some((m) => m.id === 'disable-telnet@10.10.20.11'));
  assert.ok(result.mitigations.some((m) => m.id === 'disable-ftp@10.10.10.21'));
  const ranked = new Set(result.risk.flatMap((r) => r.mitigations));
  for (const m of result.mitigations) assert.ok(ranked.has(m.id), `${m.id} is referenced by a ranked asset`);
  // policy: the Internet flow is blocked
  assert.ok(result.policy.blocked.some((b) => b.srcIp === '198.51.100.77' && b.dstIp === '10.10.10.13'));
});

test('the report with vulnerabilities and risk validates against the schema', () => {
  const full = { ...report, vulnerabilities: result.vulnerabilities, risk: result.risk };
  assert.deepEqual(validateReport(JSON.parse(JSON.stringify(full))), []);
});

const CORPUS = join(fileURLToPath(new URL('../../../shared/corpus/pcaps/threats/', import.meta.url)));
const SMB1 = join(CORPUS, 'metasploit-ms017-010-win7x64.pcap');

test('a Windows 7 host serving SMBv1 gets its KEV matches, the SMBv1 mitigation and vulnerability evidence', { skip: existsSync(SMB1) ? false : `corpus capture ${SMB1} absent` }, async () => {
  const { report: r } = await analyzeCaptures([SMB1]);
  const a = assessRisk(r, { matcher: defaultVulnMatcher() });
  const victim = r.assets.find((x) => x.ips.includes('192.168.198.225'))!;
  const kev = a.vulnerabilities.filter((v) => v.asset === victim.id && v.kev);
  assert.ok(kev.some((v) => v.advisoryId.startsWith('MS17-010') && v.confidence === 'high'), JSON.stringify(kev.map((v) => [v.advisoryId, v.confidence])));
  assert.ok(a.mitigations.some((m) => m.id === 'disable-smbv1@192.168.198.225' && m.priority === 'critical'));
  const risk = a.risk.find((x) => x.asset === victim.id)!;
  assert.match(risk.factors.vulnerability.evidence.join('\n'), /KEV: known exploited/);
  assert.match(risk.factors.exposure.evidence.join('\n'), /serves SMBv1/);
});
