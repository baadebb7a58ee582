import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Mitigation } from '../report/types.js';
import { buildContext } from './context.js';
import { deriveMitigations } from './mitigations.js';
import { alert, asset, comm, external, fact, report, vuln } from './test-support.js';

function mitigationsOf(r: ReturnType<typeof report>): Mitigation[] {
  return deriveMitigations(buildContext(r, r.vulnerabilities, null));
}
const byId = (ms: Mitigation[], id: string) => ms.find((m) => m.id === id);

test('restrict-access: programming only from the unflagged engineering workstation; the HMI that stopped the PLC is denied', () => {
  const plc = asset('10.0.1.10', ['plc']);
  const hmi = asset('10.0.2.12', ['engineering-workstation', 'hmi']);
  const ews = asset('10.0.3.11', ['engineering-workstation'], { purdueLevel: 3 });
  const hist = asset('10.0.3.21', ['historian'], { purdueLevel: 3 });
  const r = report([plc, hmi, ews, hist], [
    comm(hmi, plc, 's7comm', 102, { ops: { connect: 1, 'mode-change': 1 } }),
    comm(ews, plc, 's7comm', 102, { ops: { 'program-download': 1 } }),
    comm(hist, plc, 's7comm', 102, { ops: { read: 8 } }),
  ], [alert('ot.mode-change', 'critical', 'ot-operation', hmi, plc, { trusted_source: false })]);
  const m = byId(mitigationsOf(r), 'restrict-access@10.0.1.10');
  assert.ok(m);
  assert.equal(m.priority, 'critical');
  assert.match(m.action, /only from 10\.0\.3\.11 \(engineering-workstation\)/);
  assert.match(m.action, /read-only access for [^;]*10\.0\.3\.21 \(historian\)/);
  assert.match(m.action, /deny 10\.0\.2\.12 \(engineering-workstation\) mode-change \(flagged by ot\.mode-change/);
  assert.ok(m.evidence.some((e) => /10\.0\.2\.12.*mode-change ×1/.test(e)));
});

test('restrict-access: a host flagged for an untrusted stop on one PLC gets no programming access to another', () => {
  const plcA = asset('10.0.1.10', ['plc']);
  const plcB = asset('10.0.1.11', ['plc']);
  const hmi = asset('10.0.2.12', ['engineering-workstation', 'hmi']);
  const ews = asset('10.0.3.11', ['engineering-workstation'], { purdueLevel: 3 });
  const r = report([plcA, plcB, hmi, ews], [
    comm(hmi, plcA, 's7comm', 102, { ops: { 'mode-change': 1 } }),
    comm(hmi, plcB, 's7comm', 102, { ops: { read: 50, 'program-download': 1 } }),
    comm(ews, plcB, 's7comm', 102, { ops: { 'program-download': 1 } }),
  ], [alert('ot.mode-change', 'critical', 'ot-operation', hmi, plcA, { trusted_source: false })]);
  const m = byId(mitigationsOf(r), 'restrict-access@10.0.1.11');
  assert.ok(m);
  assert.match(m.action, /only from 10\.0\.3\.11 \(engineering-workstation\)/);
  assert.doesNotMatch(m.action, /only from [^;]*10\.0\.2\.12/);
});

test('restrict-access: not proposed for a controller only read by the historian', () => {
  const plc = asset('10.0.1.10', ['plc']);
  const hist = asset('10.0.3.21', ['historian'], { purdueLevel: 3 });
  assert.equal(byId(mitigationsOf(report([plc, hist], [comm(hist, plc, 'modbus', 502, { ops: { read: 5 } })])), 'restrict-access@10.0.1.10'), undefined);
});

test('disable-directory-listing names the host and the URL; none without a listing', () => {
  const web = asset('10.0.2.21', ['hmi'], { facts: [fact('software', 'Siemens HMI Web Server'), fact('directory-listing', 'http://10.0.2.21/logs/', 'http', 5113)] });
  const office = asset('192.168.1.5', ['it-workstation'], { purdueLevel: 4 });
  const ms = mitigationsOf(report([web, office], [], [alert('web.directory-listing', 'high', 'misconfiguration', office, web, { url: 'http://10.0.2.21/logs/' })]));
  const m = byId(ms, 'disable-directory-listing@10.0.2.21');
  assert.ok(m);
  assert.match(m.title, /10\.0\.2\.21.*http:\/\/10\.0\.2\.21\/logs\//);
  assert.match(m.action, /Siemens HMI Web Server/);
  assert.ok(m.evidence.some((e) => /frame 5113/.test(e)));
  assert.equal(byId(mitigationsOf(report([asset('10.0.2.22', ['hmi'])])), 'disable-directory-listing@10.0.2.22'), undefined);
});

test('disable-smbv1 / telnet / ftp / anonymous access: each from its evidence, none without it', () => {
  const ws = asset('10.0.3.50', ['engineering-workstation'], { purdueLevel: 3, facts: [fact('software', 'smb1 server', 'smb', 12)] });
  const rtu = asset('10.0.1.30', ['rtu'], { protocols: [{ name: 'telnet', role: 'server', ports: [23] }], facts: [fact('credential', 'telnet login user=admin (password sent in cleartext)', 'telnet', 300)] });
  const plc = asset('10.0.1.10', ['plc'], { protocols: [{ name: 'ftp', role: 'server', ports: [21] }], facts: [fact('role-hint', 'anonymous-ftp-server', 'ftp', 40)] });
  const clean = asset('10.0.1.11', ['plc'], { protocols: [{ name: 'modbus', role: 'server', ports: [502] }] });
  const ms = mitigationsOf(report([ws, rtu, plc, clean], [], [], [vuln(ws, { advisoryId: 'MS17-010', title: 'MS17-010 (EternalBlue, SMBv1)', kev: true })]));
  const smb = byId(ms, 'disable-smbv1@10.0.3.50');
  assert.ok(smb);
  assert.equal(smb.priority, 'critical', 'SMBv1 with a KEV match');
  assert.ok(smb.evidence.some((e) => /smb1 server.*frame 12/.test(e)) && smb.evidence.some((e) => /MS17-010 \(KEV\)/.test(e)));
  const telnet = byId(ms, 'disable-telnet@10.0.1.30');
  assert.ok(telnet && telnet.priority === 'high' && telnet.evidence.some((e) => /user=admin.*frame 300/.test(e)));
  assert.ok(byId(ms, 'disable-ftp@10.0.1.10'));
  assert.match(byId(ms, 'disable-anonymous-access@10.0.1.10')!.action, /disable anonymous FTP/);
  assert.equal(ms.filter((m) => m.assets.includes(clean.id)).length, 0);
});

test('remove-internet-path / remove-it-ot-path from the flows; IT-to-IT and Internet browsing from IT give none', () => {
  const plc = asset('10.0.1.10', ['plc']);
  const hmi = asset('10.0.2.21', ['hmi']);
  const inet = external('198.51.100.77');
  const office = asset('192.168.1.5', ['it-workstation'], { purdueLevel: 4, zone: 'enterprise' });
  const fileServer = asset('192.168.1.9', ['file-server'], { purdueLevel: 4, zone: 'enterprise' });
  const ms = mitigationsOf(report([plc, hmi, inet, office, fileServer], [
    comm(inet, plc, 's7comm', 102, { ops: { identify: 2 } }), comm(office, hmi, 'http', 80), comm(office, fileServer, 'smb', 445), comm(office, inet, 'tls', 443),
  ]));
  const internet = byId(ms, 'remove-internet-path@10.0.1.10');
  assert.ok(internet && internet.priority === 'critical' && /s7comm 102\/tcp/.test(internet.action));
  assert.ok(internet.evidence[0]!.startsWith('198.51.100.77 (Internet) → 10.0.1.10 (plc) s7comm 102/tcp'));
  const itot = byId(ms, 'remove-it-ot-path@10.0.2.21');
  assert.ok(itot && /Block 192\.168\.1\.5 \(it-workstation\) from reaching 10\.0\.2\.21/.test(itot.action));
  assert.equal(ms.filter((m) => m.kind.startsWith('remove-') && (m.assets.includes(fileServer.id) || m.id.includes('192.168.1.5'))).length, 0);
});

test('apply-remediation: the highest fixed version and the advisories it fixes; KEV makes it critical; low-confidence matches alone give none', () => {
  const plc = asset('10.0.1.10', ['plc'], { vendor: 'Siemens', model: 'CPU 1515-2 PN', firmware: 'V2.9.4' });
  const ms = mitigationsOf(report([plc], [], [], [
    vuln(plc, { advisoryId: 'ICSA-A', fixedIn: '2.9.7' }), vuln(plc, { advisoryId: 'ICSA-B', fixedIn: '3.0.1' }),
    vuln(plc, { advisoryId: 'ICSA-C', remediation: 'Limit access to port 102/tcp.' }),
  ]));
  const m = byId(ms, 'apply-remediation@10.0.1.10');
  assert.ok(m);
  assert.match(m.action, /to 3\.0\.1 or later: fixes ICSA-A, ICSA-B/);
  assert.match(m.action, /ICSA-C: Limit access to port 102\/tcp\./);
  assert.equal(m.priority, 'medium');
  const kev = byId(mitigationsOf(report([plc], [], [], [vuln(plc, { kev: true })])), 'apply-remediation@10.0.1.10');
  assert.equal(kev?.priority, 'critical');
  assert.equal(byId(mitigationsOf(report([plc], [], [], [vuln(plc, { confidence: 'low' })])), 'apply-remediation@10.0.1.10'), undefined);
});

test('isolate-host: the source of malware alerts, not its victim or a host with only OT alerts', () => {
  const hmi = asset('10.0.2.12', ['hmi']);
  const plc = asset('10.0.1.10', ['plc']);
  const victim = asset('10.0.3.50', ['it-server'], { purdueLevel: 3 });
  const ms = mitigationsOf(report([hmi, plc, victim], [], [
    alert('malware.eternalblue', 'critical', 'malware', hmi, victim), alert('ot.mode-change', 'critical', 'ot-operation', hmi, plc),
  ]));
  const iso = ms.filter((m) => m.kind === 'isolate-host');
  assert.deepEqual(iso.map((m) => m.id), ['isolate-host@10.0.2.12']);
  assert.equal(iso[0]!.priority, 'critical');
  assert.match(iso[0]!.evidence[0]!, /malware\.eternalblue.*10\.0\.3\.50/);
  assert.equal(mitigationsOf(report([hmi, plc], [], [alert('ot.mode-change', 'critical', 'ot-operation', hmi, plc)])).filter((m) => m.kind === 'isolate-host').length, 0);
});

test('mitigations are ordered most urgent first and ids are unique', () => {
  const plc = asset('10.0.1.10', ['plc'], { protocols: [{ name: 'ftp', role: 'server', ports: [21] }] });
  const inet = external('198.51.100.77');
  const ms = mitigationsOf(report([plc, inet], [comm(inet, plc, 'ftp', 21)], [], [vuln(plc, { fixedIn: '2.0' })]));
  const rank = { critical: 4, high: 3, medium: 2, low: 1 };
  for (let i = 1; i < ms.length; i++) assert.ok(rank[ms[i - 1]!.priority] >= rank[ms[i]!.priority]);
  assert.equal(new Set(ms.map((m) => m.id)).size, ms.length);
});
