import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assessRisk, combineScore } from './assess.js';
import { buildContext } from './context.js';
import { criticalityFactor, exposureFactor, threatFactor, vulnerabilityFactor } from './factors.js';
import { alert, asset, comm, external, fact, report, vuln } from './test-support.js';
import { matchSeverity } from './vulnerabilities.js';

const ctxOf = (r: ReturnType<typeof report>) => buildContext(r, r.vulnerabilities, null);

test('criticality: a level-1 PLC other controllers depend on outranks an office PC, with the reasons', () => {
  const plc = asset('10.0.1.10', ['plc']);
  const io = asset('10.0.1.20', ['ied']);
  const hmi = asset('10.0.2.10', ['hmi']);
  const office = asset('192.168.1.5', ['it-workstation'], { purdueLevel: 4, criticality: 'low' });
  const r = report([plc, io, hmi, office], [comm(io, plc, 'modbus', 502), comm(hmi, plc, 's7comm', 102)]);
  const c = criticalityFactor(plc, ctxOf(r));
  const o = criticalityFactor(office, ctxOf(r));
  assert.ok(c.score > o.score + 30, `${c.score} vs ${o.score}`);
  assert.match(c.evidence.join('\n'), /role plc/);
  assert.match(c.evidence.join('\n'), /Purdue level 1 \(inferred\)/);
  assert.match(c.evidence.join('\n'), /1 controller linked to it.*10\.0\.1\.20/);
  assert.doesNotMatch(o.evidence.join('\n'), /controller linked/);
  // the zones file's criticality is named as such and moves the score
  const declared = { ...plc, criticality: 'critical' as const, zoneInferred: false, zone: 'cell-a' };
  const d = criticalityFactor(declared, ctxOf(report([declared])));
  assert.match(d.evidence.join('\n'), /criticality critical \(zones file, zone cell-a\)/);
  const low = criticalityFactor({ ...declared, criticality: 'low' }, ctxOf(report([declared])));
  assert.ok(d.score > low.score);
});

test('exposure: Internet and IT reachability, cleartext services, credentials, directory listings; nothing for an isolated PLC', () => {
  const plc = asset('10.0.1.10', ['plc'], { protocols: [{ name: 'ftp', role: 'server', ports: [21] }], facts: [fact('credential', 'ftp login user=loader (password sent in cleartext)', 'ftp', 99)] });
  const web = asset('10.0.2.21', ['hmi'], { protocols: [{ name: 'http', role: 'server', ports: [80] }], facts: [fact('directory-listing', 'http://10.0.2.21/logs/', 'http', 512)] });
  const inet = external('198.51.100.7');
  const office = asset('192.168.1.5', ['it-workstation'], { purdueLevel: 4, zone: 'enterprise' });
  const quiet = asset('10.0.1.11', ['plc']);
  const r = report([plc, web, inet, office, quiet], [comm(inet, plc, 's7comm', 102, { ops: { identify: 2 } }), comm(office, web, 'http', 80, { ops: { read: 1 } })]);
  const ctx = ctxOf(r);
  const e = exposureFactor(plc, ctx);
  const text = e.evidence.join('\n');
  assert.match(text, /reached from the Internet: 198\.51\.100\.7 \(Internet\) → 10\.0\.1\.10 \(plc\) s7comm 102\/tcp/);
  assert.match(text, /serves FTP/);
  assert.match(text, /cleartext credential: ftp login user=loader .*frame 99/);
  assert.ok(e.score >= 75, String(e.score));
  const w = exposureFactor(web, ctx);
  assert.match(w.evidence.join('\n'), /reachable from IT \(level 4 → 2/);
  assert.match(w.evidence.join('\n'), /directory listing at http:\/\/10\.0\.2\.21\/logs\/ \(frame 512\)/);
  assert.deepEqual(exposureFactor(quiet, ctx), { score: 0, evidence: [] });
  // the office PC browsing the Internet is not OT exposure
  const browse = report([office, inet], [comm(office, inet, 'tls', 443)]);
  assert.equal(exposureFactor(office, ctxOf(browse)).score, 0);
});

test('exposure: a flow the zones file does not allow and remote access count', () => {
  const plc = asset('10.0.1.10', ['plc']);
  const ews = asset('10.0.3.10', ['engineering-workstation'], { purdueLevel: 3 });
  const r = report([plc, ews], [comm(ews, plc, 'rdp', 3389, { conduitAllowed: false })]);
  const e = exposureFactor(plc, ctxOf(r));
  assert.match(e.evidence.join('\n'), /no conduit of the zones file allows/);
  assert.match(e.evidence.join('\n'), /remote access into it/);
});

test('vulnerability: KEV first, then SSVC, then CVSS, weighted by confidence; none without matches', () => {
  const a = asset('10.0.1.10', ['plc']);
  assert.ok(matchSeverity(vuln(a, { kev: true, cvss: { version: '3.1', score: 5, vector: '' } })) > matchSeverity(vuln(a, { ssvc: { cve: 'x', exploitation: 'active', automatable: 'no', technicalImpact: 'partial' } })));
  assert.ok(matchSeverity(vuln(a, { ssvc: { cve: 'x', exploitation: 'poc', automatable: 'no', technicalImpact: 'partial' }, cvss: { version: '3.1', score: 4, vector: '' } })) > matchSeverity(vuln(a, { cvss: { version: '3.1', score: 10, vector: '' } })));
  const high = vulnerabilityFactor([vuln(a, { cvss: { version: '3.1', score: 9.8, vector: '' } })]);
  const low = vulnerabilityFactor([vuln(a, { cvss: { version: '3.1', score: 9.8, vector: '' }, confidence: 'low' })]);
  assert.ok(high.score > 2 * low.score, `${high.score} vs ${low.score}`);
  const kev = vulnerabilityFactor([vuln(a, { advisoryId: 'ICSA-1', cvss: { version: '3.1', score: 9.8, vector: '' } }), vuln(a, { advisoryId: 'MS17-010', kev: true })]);
  assert.equal(kev.score, 100);
  assert.match(kev.evidence[0]!, /2 advisories match \(1 with a KEV-listed CVE, 2 with high confidence\)/);
  assert.match(kev.evidence[1]!, /^MS17-010 .*KEV: known exploited/, 'the KEV match is listed first');
  assert.deepEqual(vulnerabilityFactor([]), { score: 0, evidence: [] });
});

test('threat: open alerts on the asset (target, or source of malware), not closed ones, not other assets\'', () => {
  const plc = asset('10.0.1.10', ['plc']);
  const hmi = asset('10.0.2.10', ['hmi']);
  const other = asset('10.0.1.11', ['plc']);
  const stop = alert('ot.mode-change', 'critical', 'ot-operation', hmi, plc, { operation: 'plc_stop' });
  const closed = { ...alert('ot.restart', 'high', 'ot-operation', hmi, other), status: 'closed' as const };
  const miner = alert('malware.cryptominer', 'high', 'malware', hmi, null);
  const ctx = ctxOf(report([plc, hmi, other], [], [stop, closed, miner]));
  const t = threatFactor(plc, ctx);
  assert.equal(t.score, 85);
  assert.match(t.evidence[0]!, /^critical ot\.mode-change plc_stop from 10\.0\.2\.10 \(hmi\) \(new, ×1, frame 42\)/);
  assert.deepEqual(threatFactor(other, ctx), { score: 0, evidence: [] });
  const h = threatFactor(hmi, ctx);
  assert.equal(h.evidence.length, 1, 'the mode change it sent does not count against the HMI; the miner it runs does');
  assert.match(h.evidence[0]!, /malware\.cryptominer/);
});

test('ranking: the exposed, vulnerable, attacked controller first; every non-zero factor has evidence', () => {
  const exposed = asset('10.0.1.10', ['plc']);
  const quiet = asset('10.0.1.11', ['plc']);
  const office = asset('192.168.1.5', ['it-workstation'], { purdueLevel: 4, criticality: 'low', zone: 'enterprise' });
  const inet = external('198.51.100.7');
  const r = report([office, quiet, exposed, inet], [comm(inet, exposed, 's7comm', 102)], [alert('net.internet-exposure', 'critical', 'exposure', inet, exposed)], [vuln(exposed, { cvss: { version: '3.1', score: 9.8, vector: '' } })]);
  const { risk } = assessRisk(r, { matcher: null });
  assert.deepEqual(risk.map((x) => x.asset), [exposed.id, quiet.id, office.id], 'Internet hosts are not ranked');
  assert.deepEqual(risk.map((x) => x.rank), [1, 2, 3]);
  for (const x of risk) {
    for (const [name, f] of Object.entries(x.factors)) assert.ok(f.score === 0 || f.evidence.length > 0, `${x.asset} ${name}`);
    assert.equal(x.score, combineScore(x.factors.criticality.score, x.factors.exposure.score, x.factors.vulnerability.score, x.factors.threat.score));
  }
  assert.ok(risk[0]!.mitigations.includes('remove-internet-path@10.0.1.10'));
});

test('combineScore: 100 only when everything is maximal; criticality scales, no single factor zeroes', () => {
  assert.equal(combineScore(100, 100, 100, 100), 100);
  assert.equal(combineScore(0, 100, 100, 100), 0);
  assert.ok(combineScore(100, 0, 0, 0) > 0);
  assert.ok(combineScore(100, 50, 0, 0) > combineScore(100, 0, 0, 0));
});
