import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyRoles, DEFAULT_ROLE_OPTIONS, type RoleAssetInput, type RoleEdgeInput } from './roles.js';
import type { AssetProtocol } from '../report/types.js';
import type { OperationKind, ProtocolName } from '../events/types.js';

const T0 = 1_700_000_000;

function asset(id: string, protocols: Array<[ProtocolName, AssetProtocol['role'], number]>, extra: Partial<RoleAssetInput> = {}): RoleAssetInput {
  return { id, protocols: protocols.map(([name, role, port]) => ({ name, role, ports: [port] })), roleHints: [], deviceTypes: [], isRouter: false, os: null, isPublic: false, ...extra };
}

function edge(src: string, dst: string, protocol: ProtocolName, operations: Partial<Record<OperationKind, number>>, durationSec = 120, port = 502): RoleEdgeInput {
  return { src, dst, protocol, port, operations, flows: 1, packets: 10, firstSeen: T0, lastSeen: T0 + durationSec };
}

function rolesOf(assets: RoleAssetInput[], edges: RoleEdgeInput[]): Map<string, string[]> {
  return new Map([...classifyRoles(assets, edges)].map(([id, d]) => [id, d.map((x) => x.role)]));
}

const plcs = (n: number, proto: ProtocolName = 'modbus') => Array.from({ length: n }, (_, i) => asset(`plc${i}`, [[proto, 'server', 502]]));

test('controllers: serving an industrial protocol; a refused/absent server role or an IT host is never one', () => {
  const r = classifyRoles([asset('p', [['modbus', 'server', 502]]), asset('r', [['dnp3', 'server', 20000]]), asset('i', [['mms', 'server', 102]])], []);
  assert.equal(r.get('p')![0]!.role, 'plc');
  assert.equal(r.get('r')![0]!.role, 'rtu');
  assert.equal(r.get('i')![0]!.role, 'ied');
  // Near miss: a Windows office host with a stray 'plc' role hint but no industrial server behaviour.
  const it = classifyRoles([asset('w', [['tls', 'client', 443]], { os: 'windows', roleHints: [{ value: 'plc', confidence: 0.7, protocol: 's7comm-plus' }] })], []);
  assert.ok(!it.get('w')!.some((d) => d.role === 'plc'));
  // A PROFINET IO device (DCP device role) is a field device, an IO controller a PLC.
  const pn = rolesOf([asset('io', [['profinet-rt', 'peer', 0]], { deviceTypes: ['IO-Device'] }), asset('ctl', [['profinet-rt', 'peer', 0]], { deviceTypes: ['IO-Controller'] })], []);
  assert.deepEqual(pn.get('io'), ['ied']);
  assert.deepEqual(pn.get('ctl'), ['plc']);
});

test('hmi: cyclic polling of few controllers with occasional writes; a single identify is not polling', () => {
  const hmi = asset('hmi', [['modbus', 'client', 502]]);
  const r = rolesOf([hmi, ...plcs(2)], [edge('hmi', 'plc0', 'modbus', { read: 500, write: 3 }), edge('hmi', 'plc1', 'modbus', { read: 240 })]);
  assert.deepEqual(r.get('hmi'), ['hmi']);
  const near = rolesOf([hmi, ...plcs(1)], [edge('hmi', 'plc0', 'modbus', { read: 2, identify: 1 })]);
  assert.deepEqual(near.get('hmi'), ['unknown']);
  // Mostly writes is not an HMI's pattern.
  const writer = rolesOf([hmi, ...plcs(1)], [edge('hmi', 'plc0', 'modbus', { read: 10, write: 50 })]);
  assert.ok(!writer.get('hmi')!.includes('hmi'));
});

test('scada-server: polls many controllers or is a telecontrol master; five controllers is still an HMI', () => {
  const many = plcs(6);
  const poll = (n: number) => many.slice(0, n).map((p) => edge('s', p.id, 'modbus', { read: 300 }));
  assert.deepEqual(rolesOf([asset('s', [['modbus', 'client', 502]]), ...many], poll(6)).get('s'), ['scada-server']);
  assert.deepEqual(rolesOf([asset('s', [['modbus', 'client', 502]]), ...many], poll(5)).get('s'), ['hmi']);
  const rtu = asset('rtu', [['dnp3', 'server', 20000]]);
  assert.deepEqual(rolesOf([asset('m', [['dnp3', 'client', 20000]]), rtu], [edge('m', 'rtu', 'dnp3', { read: 60 }, 120, 20000)]).get('m'), ['scada-server']);
});

test('historian: slow read-only collection from several controllers over several protocols / OPC; fast polling is not', () => {
  const s7 = asset('s7', [['s7comm', 'server', 102]]);
  const mb = asset('mb', [['modbus', 'server', 502]]);
  const opc = asset('opc', [['opcua', 'server', 4840]]);
  const h = asset('h', [['modbus', 'client', 502], ['s7comm', 'client', 102], ['opcua', 'client', 4840]]);
  const slow = [edge('h', 'mb', 'modbus', { read: 24 }), edge('h', 's7', 's7comm', { read: 16 }, 120, 102), edge('h', 'opc', 'opcua', { connect: 3 }, 120, 4840)];
  const r = classifyRoles([h, s7, mb, opc], slow);
  assert.equal(r.get('h')![0]!.role, 'historian');
  assert.ok(r.get('h')![0]!.reasons.some((x) => /OPC UA client/.test(x)));
  // Near miss: the same two controllers polled fast (an HMI's rate) with one protocol.
  const fast = [edge('h', 'mb', 'modbus', { read: 600 }), edge('h', 's7', 'modbus', { read: 400 })];
  assert.deepEqual(rolesOf([h, s7, mb], fast).get('h'), ['hmi']);
});

test('engineering workstation: engineering operations, or identify-only sessions to several controllers', () => {
  const e = asset('e', [['s7comm', 'client', 102]]);
  const s7s = [asset('a', [['s7comm', 'server', 102]]), asset('b', [['s7comm', 'server', 102]])];
  const r = classifyRoles([e, ...s7s], [edge('e', 'a', 's7comm', { 'program-download': 1, 'mode-change': 2 }, 30, 102)]);
  assert.equal(r.get('e')![0]!.role, 'engineering-workstation');
  assert.ok(r.get('e')![0]!.confidence >= 0.9);
  const browse = rolesOf([e, ...s7s], [edge('e', 'a', 's7comm', { identify: 2 }, 1, 102), edge('e', 'b', 's7comm', { identify: 2 }, 1, 102)]);
  assert.deepEqual(browse.get('e'), ['engineering-workstation']);
  // One identify of one controller is not enough.
  assert.deepEqual(rolesOf([e, ...s7s], [edge('e', 'a', 's7comm', { identify: 2 }, 1, 102)]).get('e'), ['unknown']);
});

test('IT roles: services, workstation browsing the Internet, appliances, routers', () => {
  const web = asset('www', [['tls', 'server', 443]], { isPublic: true });
  const ws = asset('ws', [['tls', 'client', 443], ['dhcp', 'client', 67]], { os: 'windows' });
  const dns = asset('dns', [['dns', 'server', 53]], { roleHints: [{ value: 'dhcp-server', confidence: 0.9, protocol: 'dhcp' }] });
  const ntp = asset('ntp', [['ntp', 'server', 123]], { os: 'linux' });
  const router = asset('gw', [], { isRouter: true });
  const r = rolesOf([web, ws, dns, ntp, router], [edge('ws', 'www', 'tls', { connect: 1 }, 5, 443)]);
  assert.deepEqual(r.get('ws'), ['it-workstation']);
  assert.deepEqual(new Set(r.get('dns')), new Set(['dns-server', 'dhcp-server', 'it-server']));
  assert.ok(r.get('ntp')!.includes('network-device') && !r.get('ntp')!.includes('it-server'));
  assert.deepEqual(r.get('gw'), ['network-device']);
  // Near misses: a host that only talks to a private web server is not (yet) a workstation; an HMI that browses
  // the web stays an HMI; a Windows NTP server is not an appliance.
  const lan = asset('lanweb', [['http', 'server', 80]]);
  assert.deepEqual(rolesOf([asset('c', [['http', 'client', 80]]), lan], [edge('c', 'lanweb', 'http', { read: 1 }, 1, 80)]).get('c'), ['unknown']);
  const hmi = asset('hmi', [['modbus', 'client', 502], ['tls', 'client', 443]], { os: 'windows' });
  const r2 = rolesOf([hmi, web, ...plcs(1)], [edge('hmi', 'plc0', 'modbus', { read: 200 }), edge('hmi', 'www', 'tls', { connect: 1 }, 1, 443)]);
  assert.deepEqual(r2.get('hmi'), ['hmi']);
  assert.ok(!rolesOf([asset('wntp', [['ntp', 'server', 123]], { os: 'windows' })], []).get('wntp')!.includes('network-device'));
});

test('engineering workstation: a poller with occasional engineering operations stays an HMI, an EWS session does not', () => {
  const h = asset('h', [['s7comm', 'client', 102]]);
  const s7s = [asset('a', [['s7comm', 'server', 102]]), asset('b', [['s7comm', 'server', 102]])];
  const roleOf = (r: ReturnType<typeof classifyRoles>, id: string, role: string) => r.get(id)!.find((d) => d.role === role);
  // An HMI polling two PLCs all day sends one STOP: HMI leads, engineering-workstation is a weak secondary role.
  const stop = classifyRoles([h, ...s7s], [
    edge('h', 'a', 's7comm', { read: 600, write: 4 }, 120, 102),
    edge('h', 'b', 's7comm', { read: 300, 'mode-change': 1 }, 120, 102),
  ]);
  assert.equal(stop.get('h')![0]!.role, 'hmi');
  assert.equal(roleOf(stop, 'h', 'engineering-workstation')?.confidence, 0.4);
  assert.match(roleOf(stop, 'h', 'engineering-workstation')!.reasons[0]!, /occasional engineering operations .* see alerts/);
  // Near miss: a short engineering session (download with a few reads, as in the corpus capture
  // s7comm_downloading_block_db1: 6 engineering operations, 8 reads) is an EWS even though its reads look cyclic.
  const session = classifyRoles([h, ...s7s], [edge('h', 'a', 's7comm', { read: 8, 'program-download': 5, 'program-modify': 1 }, 20, 102)]);
  assert.equal(session.get('h')![0]!.role, 'engineering-workstation');
  assert.equal(session.get('h')![0]!.confidence, 0.9);
  // Near miss: the same downloads with no cyclic polling at all stay a confident EWS.
  const noPoll = classifyRoles([h, ...s7s], [edge('h', 'a', 's7comm', { 'program-download': 9 }, 5, 102)]);
  assert.deepEqual(noPoll.get('h')!.map((d) => [d.role, d.confidence]), [['engineering-workstation', 0.9]]);
  // Near miss: polling, but engineering is more than a tiny minority (10%) of the host's requests.
  const mixed = classifyRoles([h, ...s7s], [edge('h', 'a', 's7comm', { read: 90, 'program-download': 10 }, 120, 102)]);
  assert.equal(mixed.get('h')![0]!.role, 'engineering-workstation');
  assert.equal(mixed.get('h')![0]!.confidence, 0.9);
  // The threshold is an option: with it at 0 even one STOP from a poller counts fully.
  const strict = classifyRoles([h, ...s7s], [edge('h', 'a', 's7comm', { read: 600, 'mode-change': 1 }, 120, 102)], { ...DEFAULT_ROLE_OPTIONS, maxOccasionalEngineeringShare: 0 });
  assert.equal(roleOf(strict, 'h', 'engineering-workstation')?.confidence, 0.9);
});
