import { test } from 'node:test';
import assert from 'node:assert/strict';
import { asset, comm, detected, fact, flow, op, plcModel, run, T0 } from '../test-support.js';
import type { DetectionModel } from '../types.js';

const PLC = '10.0.0.10';

test('net.scan: 12 refused ports on one PLC is a vertical scan naming it; 9 ports is not', () => {
  const ports = [21, 22, 23, 80, 102, 443, 502, 2404, 3389, 4840, 20000, 44818];
  const flows = ports.map((p, i) => flow({ clientIp: '10.0.0.5', serverIp: PLC, serverPort: p, firstSeen: T0 + i }));
  const alerts = run('net.scan', flows);
  assert.equal(alerts.length, 1);
  assert.equal(alerts[0]!.target?.ip, PLC);
  assert.equal(alerts[0]!.details.kind, 'vertical');
  assert.equal(alerts[0]!.severity, 'high'); // industrial ports
  assert.equal(run('net.scan', flows.slice(0, 9)).length, 0);
});

test('net.scan: ICMP sweep of 40 hosts is horizontal; 40 established data flows are not probes', () => {
  const sweep = Array.from({ length: 40 }, (_, i) => flow({ clientIp: '10.0.0.5', serverIp: `10.0.1.${i + 1}`, serverPort: 0, transport: 'icmp', protocol: 'icmp', firstSeen: T0 + i / 10 }));
  const [a] = run('net.scan', sweep);
  assert.equal(a!.details.kind, 'horizontal');
  assert.equal(a!.details.hosts, 40);
  const polls = sweep.map((f) => ({ ...f, transport: 'tcp', protocol: 'modbus', serverPort: 502, tcpState: 'closed', payloadToServer: 12, payloadToClient: 20 }));
  assert.equal(run('net.scan', polls).length, 0);
});

test('malware.smb-propagation: TCP 445 to 25 hosts raises; to 5 hosts does not', () => {
  const f = (n: number) => Array.from({ length: n }, (_, i) => flow({ clientIp: '10.0.5.9', serverIp: `10.0.5.${20 + i}`, serverPort: 445, firstSeen: T0 + i }));
  assert.equal(run('malware.smb-propagation', f(25))[0]!.details.hosts, 25);
  assert.equal(run('malware.smb-propagation', f(5)).length, 0);
});

test('net.arp-spoof: ip_conflict names the attacker MAC and the victim; a gratuitous ARP is not spoofing', () => {
  const model: DetectionModel = { assets: [asset('mac:f4:8e:38:ff:ee:a0', ['10.0.0.1', '10.0.0.77']), { ...plcModel().assets[0]!, id: 'mac:00:80:f4:b9:02:37', mac: '00:80:f4:b9:02:37' }], communications: [] };
  const e = op({ protocol: 'arp', kind: 'other', codeName: 'ip_conflict', code: 2, attributes: { ip: '10.0.0.1', new_mac: 'f4:8e:38:ff:ee:a0', previous_mac: '00:1e:bd:4a:10:01' } });
  e.src = { ip: '', port: 0, mac: 'f4:8e:38:ff:ee:a0' };
  e.dst = { ip: '', port: 0, mac: '00:80:f4:b9:02:37' };
  const [a] = run('net.arp-spoof', [e], model);
  assert.equal(a!.source?.mac, 'f4:8e:38:ff:ee:a0');
  assert.equal(a!.source?.ip, '10.0.0.77');
  assert.equal(a!.target?.asset, 'mac:00:80:f4:b9:02:37');
  assert.equal(a!.details.claimed_ip, '10.0.0.1');
  assert.equal(run('net.arp-spoof', [{ ...e, codeName: 'gratuitous_arp' }], model).length, 0);
});

test('net.new-device: a device announcing itself on a PLC segment raises; one seen long before does not; not on an IT segment', () => {
  const ann = op({ protocol: 'arp', kind: 'other', codeName: 'gratuitous_arp', attributes: { ip: '10.0.0.99', new_mac: 'b8:27:eb:00:00:01' } });
  const rogue = asset('mac:b8:27:eb:00:00:01', ['10.0.0.99'], ['unknown'], { firstSeen: new Date(ann.ts * 1000 - 3000).toISOString() });
  const base = plcModel();
  const model = { assets: [...base.assets, rogue], communications: [comm(rogue.id, 'ip:10.0.0.10', 'modbus', { read: 1 })] };
  const [a] = run('net.new-device', [ann], model);
  assert.equal(a!.source?.ip, '10.0.0.99');
  assert.equal(a!.target?.ip, PLC);
  const old = { ...rogue, firstSeen: new Date(ann.ts * 1000 - 3_600_000).toISOString() };
  assert.equal(run('net.new-device', [ann], { ...model, assets: [...base.assets, old] }).length, 0);
  const itAnn = op({ protocol: 'arp', kind: 'other', codeName: 'gratuitous_arp', attributes: { ip: '192.168.9.9', new_mac: 'b8:27:eb:00:00:02' } });
  assert.equal(run('net.new-device', [itAnn], model).length, 0);
});

test('net.internet-exposure: a public host reading a PLC is critical; an office PC browsing is not reported', () => {
  const inbound = flow({ clientIp: '198.51.100.77', serverIp: PLC, serverPort: 102, protocol: 's7comm', tcpState: 'closed', payloadToServer: 100, packetsToClient: 5 });
  const [a] = run('net.internet-exposure', [inbound]);
  assert.equal(a!.severity, 'critical');
  assert.equal(a!.source?.ip, '198.51.100.77');
  assert.equal(a!.target?.ip, PLC);
  const office = flow({ clientIp: '192.168.1.20', serverIp: '198.51.100.44', serverPort: 443, protocol: 'tls', tcpState: 'closed' });
  assert.equal(run('net.internet-exposure', [office]).length, 0);
  const refused = { ...inbound, tcpState: 'rejected', packetsToClient: 1 };
  assert.equal(run('net.internet-exposure', [refused])[0]!.severity, 'low');
});

test('net.it-ot-bypass: Level 4 Modbus to a Level 1 PLC raises with zones; Level 2 HMI to it does not', () => {
  const zones = [{ name: 'cell', cidrs: ['10.0.0.0/28'], purdueLevel: 1 }, { name: 'sup', cidrs: ['10.0.0.0/24'], purdueLevel: 2 }, { name: 'office', cidrs: ['192.168.1.0/24'], purdueLevel: 4 }];
  const f = flow({ clientIp: '192.168.1.20', serverIp: PLC, serverPort: 502, protocol: 'modbus', tcpState: 'closed', payloadToServer: 60 });
  const [a] = run('net.it-ot-bypass', [f], undefined, { zones });
  assert.equal(a!.details.reason, 'purdue-skip');
  assert.equal(a!.source?.ip, '192.168.1.20');
  assert.equal(run('net.it-ot-bypass', [{ ...f, clientIp: '10.0.0.20' }], undefined, { zones }).length, 0);
  // Conduits: sup → cell modbus allowed, sup → cell s7comm not.
  const conduits = [{ from: 'sup', to: 'cell', protocol: 'modbus' }];
  assert.equal(run('net.it-ot-bypass', [{ ...f, clientIp: '10.0.0.20' }], undefined, { zones, conduits }).length, 0);
  assert.equal(run('net.it-ot-bypass', [{ ...f, clientIp: '10.0.0.20', protocol: 's7comm', serverPort: 102 }], undefined, { zones, conduits })[0]!.details.reason, 'no-conduit');
});

test('net.remote-access: VNC without authentication into an HMI is high; RDP between office PCs is not reported', () => {
  const vnc = op({ protocol: 'vnc', kind: 'authentication', codeName: 'none', attributes: { no_auth: true } }, '10.0.9.9', '10.0.0.5');
  const [a] = run('net.remote-access', [detected('vnc', '10.0.9.9', '10.0.0.5', 5900), vnc]);
  assert.equal(a!.severity, 'high');
  assert.equal(a!.count, 2);
  assert.equal(run('net.remote-access', [detected('rdp', '192.168.1.20', '192.168.1.21', 3389)]).length, 0);
});

test('net.smbv1: SMB1 session raises; an SMB1 negotiate answered in SMB2 does not', () => {
  const s1 = op({ protocol: 'smb', kind: 'other', codeName: 'smb1_negotiate', attributes: { smb_version: 1 } }, '10.0.0.5', '10.0.0.30');
  assert.equal(run('net.smbv1', [s1]).length, 1);
  assert.equal(run('net.smbv1', [{ ...s1, attributes: { smb_version: 1, response_smb_version: 2 } }]).length, 0);
});

test('cred.cleartext: a credential fact is linked to the login that caused it; a user fact is not a credential', () => {
  const login = op({ protocol: 'ftp', kind: 'authentication', codeName: 'pass', attributes: { user: 'loader' } }, '10.0.0.20', PLC);
  const cred = { ...fact({ protocol: 'ftp', field: 'credential', value: 'ftp login user=loader (password sent in cleartext)' }, PLC), frame: login.frame };
  const [a] = run('cred.cleartext', [cred, login]);
  assert.equal(a!.source?.ip, '10.0.0.20');
  assert.equal(a!.target?.ip, PLC);
  assert.equal(a!.details.protocol, 'ftp');
  assert.equal(run('cred.cleartext', [fact({ protocol: 'ftp', field: 'user', value: 'loader' }, '10.0.0.20'), login]).length, 0);
  const snmp = fact({ protocol: 'snmp', field: 'credential', value: "snmp community (cleartext, 6 chars, default 'public': yes)" }, PLC);
  assert.equal(run('cred.cleartext', [snmp])[0]!.severity, 'high');
});

test('web.directory-listing: served by a PLC is high, with the requester as source; other pages are not', () => {
  const get = op({ protocol: 'http', kind: 'read', codeName: 'get', object: '10.0.0.10/logs/' }, '10.0.0.20', PLC);
  get.responseFrame = get.frame + 1;
  const listing = { ...fact({ protocol: 'http', field: 'directory-listing', value: 'http://10.0.0.10/logs/' }, PLC), frame: get.frame + 1 };
  const [a] = run('web.directory-listing', [get, listing]);
  assert.equal(a!.severity, 'high');
  assert.equal(a!.source?.ip, '10.0.0.20');
  assert.equal(a!.details.url, 'http://10.0.0.10/logs/');
  assert.equal(run('web.directory-listing', [get, fact({ protocol: 'http', field: 'url', value: 'http://10.0.0.10/' }, PLC)]).length, 0);
});

test('malware.cryptominer: Stratum session (pool notifications oriented to the miner) and pool domains; a normal lookup is not', () => {
  const sub = op({ protocol: 'stratum', kind: 'other', codeName: 'mining.subscribe', attributes: { agent: 'xmrig/6.21.0' } }, '10.0.0.5', '203.0.113.99');
  const notify = op({ protocol: 'stratum', kind: 'other', codeName: 'mining.notify' }, '203.0.113.99', '10.0.0.5');
  const alerts = run('malware.cryptominer', [sub, notify]);
  assert.equal(alerts.length, 1);
  assert.equal(alerts[0]!.count, 2);
  assert.equal(alerts[0]!.source?.ip, '10.0.0.5');
  const dns = (name: string) => op({ protocol: 'dns', kind: 'read', codeName: 'query_a', object: name }, '10.0.0.5', '10.0.0.2');
  assert.equal(run('malware.cryptominer', [dns('pool.supportxmr.com')]).length, 1);
  assert.equal(run('malware.cryptominer', [dns('pool.example-mining.org')]).length, 1);
  assert.equal(run('malware.cryptominer', [dns('carpool.example.com'), dns('mining-news.example.com')]).length, 0);
});
