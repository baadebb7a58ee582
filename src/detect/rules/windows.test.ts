import { test } from 'node:test';
import assert from 'node:assert/strict';
import { asset, flow, op, plcModel, run, T0 } from '../test-support.js';

const A = '10.0.5.9';
const B = '10.0.5.20';

test('malware.ms08-067: NetprPathCanonicalize with \\..\\ traversal is critical; a plain path is not', () => {
  const call = (attrs: Record<string, string | number | boolean>) =>
    op({ protocol: 'dcerpc', kind: 'other', codeName: 'srvsvc_netprpathcanonicalize', attributes: { interface: 'srvsvc', opnum: 31, ...attrs } }, A, B);
  const [a] = run('malware.ms08-067', [call({ path: '\\AAAA\\..\\..\\x', path_len: 600, path_traversal: true })]);
  assert.equal(a!.severity, 'critical');
  assert.equal(a!.details.path_len, 600);
  assert.equal(run('malware.ms08-067', [call({ path: '\\share\\dir', path_len: 10, path_traversal: false })]).length, 0);
});

test('malware.eternalblue: oversized NT Trans + Trans2 Secondary; DoublePulsar probe vs implant; a normal Trans2 is not', () => {
  const smb = (code: number, codeName: string, attrs: Record<string, string | number | boolean>, subCode?: number) =>
    op({ protocol: 'smb', kind: 'other', codeName, code, subCode, attributes: { smb_version: 1, ...attrs } }, A, B);
  const eb = run('malware.eternalblue', [smb(0xa0, 'smb1_nt_transact', { total_data_count: 66512 }), smb(0x33, 'smb1_transaction2_secondary', {}), smb(0x33, 'smb1_transaction2_secondary', {})]);
  assert.equal(eb.length, 1);
  assert.equal(eb[0]!.count, 3);
  assert.equal(eb[0]!.details.trans2_secondary, 2);
  const probe = run('malware.eternalblue', [smb(0x32, 'smb1_transaction2', {}, 0x0e)]);
  assert.equal(probe[0]!.severity, 'high');
  const implant = run('malware.eternalblue', [smb(0x32, 'smb1_transaction2', { response_multiplex_id: 81 }, 0x0e)]);
  assert.equal(implant[0]!.severity, 'critical');
  assert.equal(implant[0]!.details.pattern, 'doublepulsar-implant');
  assert.equal(run('malware.eternalblue', [smb(0x32, 'smb1_transaction2', {}, 0x01), smb(0xa0, 'smb1_nt_transact', { total_data_count: 100 })]).length, 0);
});

test('lateral.psexec: svcctl CreateService raises (critical into an HMI); OpenService alone does not', () => {
  const create = op({ protocol: 'dcerpc', kind: 'configuration', codeName: 'svcctl_createservicew', attributes: { interface: 'svcctl', opnum: 12, service_name: 'PSEXESVC', binary_path: '%SystemRoot%\\PSEXESVC.exe' } }, A, '10.0.0.5');
  const [a] = run('lateral.psexec', [create]);
  assert.equal(a!.details.service_name, 'PSEXESVC');
  assert.equal(a!.severity, 'critical'); // 10.0.0.5 is the model's HMI
  assert.equal(run('lateral.psexec', [create], { assets: [], communications: [] })[0]!.severity, 'high');
  assert.equal(run('lateral.psexec', [{ ...create, codeName: 'svcctl_openservicew', attributes: { interface: 'svcctl', opnum: 16 } }]).length, 0);
});

test('malware.ransomware-smb: 20 renames to a new extension raise; renames to .bak do not; ransom notes in 3 folders raise', () => {
  const rename = (i: number, ext: string) => op({ protocol: 'smb', kind: 'write', codeName: 'smb2_set_info', detail: 'rename', attributes: { smb_version: 2, old_name: `docs\\f${i}.xlsx`, new_name: `docs\\f${i}.xlsx.${ext}` } }, A, B);
  const [a] = run('malware.ransomware-smb', Array.from({ length: 25 }, (_, i) => rename(i, 'wncry')));
  assert.equal(a!.details.renamed_to_extension, 'wncry');
  assert.equal(a!.count, 6); // raised at the 20th, then every further rename
  assert.equal(run('malware.ransomware-smb', Array.from({ length: 25 }, (_, i) => rename(i, 'bak'))).length, 0);
  const note = (dir: string) => op({ protocol: 'smb', kind: 'write', codeName: 'smb2_create', attributes: { smb_version: 2, file: `${dir}\\@Please_Read_Me@.txt` } }, A, B);
  assert.equal(run('malware.ransomware-smb', [note('a'), note('b'), note('c')]).length, 1);
  assert.equal(run('malware.ransomware-smb', [note('a'), note('b')]).length, 0);
});

test('malware.dga: 40 NXDOMAIN names in a minute raise; a few failures among many answers do not', () => {
  const q = (i: number, rcode: string) => ({ ...op({ protocol: 'dns', kind: 'read', codeName: 'query_a', object: `x${i}qzk.com`, attributes: { rcode } }, A, '10.0.5.2'), ts: T0 + i });
  const [a] = run('malware.dga', Array.from({ length: 40 }, (_, i) => q(i, 'nxdomain')));
  assert.equal(a!.source?.ip, A);
  assert.equal(a!.count, 11);
  const mixed = Array.from({ length: 200 }, (_, i) => q(i % 50, i % 5 === 0 ? 'nxdomain' : 'noerror')).map((e, i) => ({ ...e, ts: T0 + i / 10 }));
  assert.equal(run('malware.dga', mixed).length, 0);
});

test('ioc.indicator: IP, domain suffix and JA4 matches; nothing without a list', () => {
  const indicators = { ips: ['203.0.113.66'], domains: ['evil.example'], ja4: ['t13d1516h2_8daaf6152771_02713d6af862'] };
  const alerts = run('ioc.indicator', [
    flow({ clientIp: A, serverIp: '203.0.113.66', serverPort: 443 }),
    op({ protocol: 'dns', kind: 'read', codeName: 'query_a', object: 'c2.evil.example' }, A, '10.0.5.2'),
    op({ protocol: 'tls', kind: 'connect', codeName: 'tls_handshake', attributes: { ja4: 't13d1516h2_8daaf6152771_02713d6af862', sni: 'ok.example' } }, A, '198.51.100.1'),
  ], undefined, { indicators });
  assert.deepEqual(alerts.map((a) => a.details.indicator_type).sort(), ['domain', 'ip', 'ja4']);
  assert.equal(run('ioc.indicator', [op({ protocol: 'dns', kind: 'read', codeName: 'query_a', object: 'notevil.example.org' }, A, '10.0.5.2')], undefined, { indicators }).length, 0);
});

test('exfil.ip-exfiltration: program upload then 2 MB to the Internet is one linked alert; small or earlier transfers are not', () => {
  const up = op({ protocol: 's7comm', kind: 'program-upload', codeName: 'upload', dataBytes: 2000 }, '10.0.0.5', '10.0.0.10');
  const out = flow({ clientIp: '10.0.0.5', serverIp: '198.51.100.200', serverPort: 443, protocol: 'tls', tcpState: 'closed', firstSeen: up.ts + 5, payloadToServer: 2_000_000, payloadToClient: 4000 });
  const [a] = run('exfil.ip-exfiltration', [up, out]);
  assert.equal(a!.source?.ip, '10.0.0.5');
  assert.equal(a!.target?.ip, '198.51.100.200');
  assert.equal(a!.evidence.length, 2);
  assert.equal(a!.evidence[1]!.frame, null);
  assert.equal(run('exfil.ip-exfiltration', [up, { ...out, payloadToServer: 5000 }]).length, 0);
  assert.equal(run('exfil.ip-exfiltration', [up, { ...out, firstSeen: up.ts - 60 }]).length, 0);
  assert.equal(run('exfil.ip-exfiltration', [up, { ...out, serverIp: '10.0.0.30' }], { ...plcModel(), assets: [...plcModel().assets, asset('ip:10.0.0.30', ['10.0.0.30'])] }).length, 0);
});
