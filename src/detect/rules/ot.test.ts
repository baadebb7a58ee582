import { test } from 'node:test';
import assert from 'node:assert/strict';
import { asset, op, plcModel, run } from '../test-support.js';

const HMI = '10.0.0.5';
const PLC = '10.0.0.10';
const ROGUE = '10.0.0.66';

test('ot.mode-change: S7 STOP from a non-engineering host is critical; a read is not a mode change', () => {
  const [a, ...rest] = run('ot.mode-change', [op({ protocol: 's7comm', kind: 'mode-change', codeName: 'plc_stop', code: 0x29, detail: 'stop' }, HMI, PLC)]);
  assert.equal(rest.length, 0);
  assert.equal(a!.severity, 'critical');
  assert.equal(a!.source?.ip, HMI);
  assert.equal(a!.target?.asset, 'ip:10.0.0.10');
  assert.deepEqual(a!.mitre.ics.includes('T0858'), true);
  assert.equal(run('ot.mode-change', [op({ protocol: 's7comm', kind: 'read', codeName: 'read_var' }, HMI, PLC)]).length, 0);
});

test('ot.mode-change: from an approved engineering host a STOP is high, a RUN medium', () => {
  const events = [
    op({ protocol: 's7comm', kind: 'mode-change', codeName: 'plc_stop', detail: 'stop' }, HMI, PLC),
    op({ protocol: 'umas', kind: 'mode-change', codeName: 'start_plc', detail: 'run' }, HMI, PLC),
  ];
  const alerts = run('ot.mode-change', events, undefined, { engineeringHosts: [HMI] });
  assert.deepEqual(alerts.map((a) => [a.details.mode, a.severity]), [['stop', 'high'], ['run', 'medium']]);
});

test('ot.program-download / upload / modify / firmware-update: one alert each, bytes summed; reads do not count', () => {
  const dl = run('ot.program-download', [
    op({ protocol: 's7comm', kind: 'program-download', codeName: 'download_block', dataBytes: 100, object: 'OB1' }, HMI, PLC),
    op({ protocol: 's7comm', kind: 'program-download', codeName: 'download_block', dataBytes: 50, object: 'FC2' }, HMI, PLC),
  ]);
  assert.equal(dl.length, 1);
  assert.equal(dl[0]!.count, 2);
  assert.equal(dl[0]!.details.data_bytes, 150);
  assert.equal(dl[0]!.severity, 'critical');
  assert.equal(dl[0]!.evidence.length, 2);
  assert.equal(run('ot.program-upload', [op({ protocol: 's7comm', kind: 'program-upload', codeName: 'upload' }, ROGUE, PLC)])[0]!.severity, 'high');
  assert.equal(run('ot.program-upload', [op({ protocol: 's7comm', kind: 'program-upload', codeName: 'upload' }, HMI, PLC)], undefined, { engineeringHosts: [HMI] })[0]!.severity, 'low');
  assert.equal(run('ot.program-modify', [op({ protocol: 's7comm', kind: 'program-modify', codeName: 'pi_service', detail: 'delete' }, ROGUE, PLC)]).length, 1);
  assert.equal(run('ot.firmware-update', [op({ protocol: 'cip', kind: 'firmware-update', codeName: 'firmware_transfer' }, ROGUE, PLC)])[0]!.severity, 'critical');
  for (const id of ['ot.program-download', 'ot.program-upload', 'ot.program-modify', 'ot.firmware-update']) {
    assert.equal(run(id, [op({ protocol: 's7comm', kind: 'read', codeName: 'read_var' }, ROGUE, PLC)]).length, 0, id);
  }
});

test('ot.restart: DNP3 cold restart raises; an IT protocol restart-like op does not', () => {
  const [a] = run('ot.restart', [op({ protocol: 'dnp3', kind: 'restart', codeName: 'cold_restart', code: 13, detail: 'cold' }, HMI, PLC)]);
  assert.equal(a!.severity, 'critical');
  assert.equal(a!.details.restart, 'cold');
  assert.equal(run('ot.restart', [op({ protocol: 'snmp', kind: 'restart', codeName: 'set' }, HMI, PLC)]).length, 0);
  // Modbus FC 8 restart-communications belongs to ot.diagnostics-abuse.
  assert.equal(run('ot.restart', [op({ protocol: 'modbus', kind: 'restart', codeName: 'diagnostics', code: 8, subCode: 1 }, HMI, PLC)]).length, 0);
});

test('ot.configuration-change: PROFINET DCP set raises; DHCP (IT configuration) does not', () => {
  assert.equal(run('ot.configuration-change', [op({ protocol: 'profinet-dcp', kind: 'configuration', codeName: 'set', detail: 'ip' }, ROGUE, PLC)])[0]!.severity, 'medium');
  assert.equal(run('ot.configuration-change', [op({ protocol: 'dhcp', kind: 'configuration', codeName: 'dhcp_discover' }, ROGUE, PLC)]).length, 0);
});

test('ot.control-command: writes from a non-master are one aggregated high alert; from the polling HMI info', () => {
  const storm = Array.from({ length: 200 }, (_, i) => op({ protocol: 'modbus', kind: 'write', codeName: 'write_single_register', code: 6, address: i }, ROGUE, PLC));
  const alerts = run('ot.control-command', storm);
  assert.equal(alerts.length, 1);
  assert.equal(alerts[0]!.count, 200);
  assert.equal(alerts[0]!.severity, 'high');
  assert.equal(alerts[0]!.evidence.length, 10);
  assert.equal(alerts[0]!.evidenceOmitted, 190);
  const fromHmi = run('ot.control-command', [op({ protocol: 'modbus', kind: 'write', codeName: 'write_single_register' }, HMI, PLC)]);
  assert.equal(fromHmi[0]!.severity, 'info');
  assert.equal(fromHmi[0]!.details.trusted_source, true);
});

test('ot.control-command: an IEC 104 command from the enterprise zone is raised a level', () => {
  const zones = [{ name: 'cell', cidrs: ['10.0.0.0/24'], purdueLevel: 1 }, { name: 'office', cidrs: ['192.168.1.0/24'], purdueLevel: 4 }];
  const [a] = run('ot.control-command', [op({ protocol: 'iec104', kind: 'control', codeName: 'C_SC_NA_1' }, '192.168.1.20', PLC)], undefined, { zones });
  assert.equal(a!.severity, 'critical');
  assert.equal(a!.details.source_level, 4);
});

test('ot.diagnostics-abuse: Modbus force listen-only is critical from a non-master; a counter read is not abuse', () => {
  const [a] = run('ot.diagnostics-abuse', [op({ protocol: 'modbus', kind: 'mode-change', codeName: 'diagnostics', code: 8, subCode: 4 }, ROGUE, PLC)]);
  assert.equal(a!.severity, 'critical');
  assert.equal(a!.details.sub_function, 'force listen-only mode');
  assert.equal(run('ot.diagnostics-abuse', [op({ protocol: 'modbus', kind: 'diagnostics', code: 8, subCode: 11, codeName: 'diagnostics' }, ROGUE, PLC)]).length, 0);
});

test('ot.exception-storm: 20 exceptions in a minute raise; 19 do not; slow exceptions do not', () => {
  const ex = (i: number, spacing: number) => ({ ...op({ protocol: 'modbus', kind: 'read', codeName: 'read_holding_registers', result: 'exception', exceptionCode: 2 }, ROGUE, PLC), ts: 1e9 + i * spacing });
  const storm = Array.from({ length: 25 }, (_, i) => ex(i, 1));
  const [a] = run('ot.exception-storm', storm);
  assert.equal(a!.count, 25);
  assert.equal(run('ot.exception-storm', storm.slice(0, 19)).length, 0);
  assert.equal(run('ot.exception-storm', Array.from({ length: 25 }, (_, i) => ex(i, 10))).length, 0);
});

test('a public source is critical into a private plant, but not when the plant itself is publicly addressed', () => {
  const write = (src: string, dst: string) => op({ protocol: 'modbus', kind: 'write', codeName: 'write_single_register' }, src, dst);
  const model = plcModel();
  model.assets.push(asset('ip:141.81.0.10', ['141.81.0.10']), asset('ip:141.81.0.23', ['141.81.0.23'], ['plc']));
  const [fromInternet] = run('ot.control-command', [write('141.81.0.10', PLC)], model);
  assert.equal(fromInternet!.severity, 'critical');
  const [publicPlant] = run('ot.control-command', [write('141.81.0.10', '141.81.0.23')], model);
  assert.equal(publicPlant!.severity, 'high');
  assert.equal(publicPlant!.details.public_addressing, true);
});

test('ot.configuration-change: setting a controller clock counts, reading it does not', () => {
  const set = op({ protocol: 'cip', kind: 'time-sync', codeName: 'set_attribute_list', object: 'class 0x8b instance 1' }, ROGUE, PLC);
  const read = op({ protocol: 'cip', kind: 'time-sync', codeName: 'get_attribute_list', object: 'class 0x8b instance 1' }, ROGUE, PLC);
  const alerts = run('ot.configuration-change', [set, read]);
  assert.equal(alerts.length, 1);
  assert.equal(alerts[0]!.count, 1);
  assert.equal(alerts[0]!.severity, 'medium');
});

test('ot.configuration-change: a DNP3 master writing the outstation time (routine sync) is not reported', () => {
  const sync = op({ protocol: 'dnp3', kind: 'time-sync', codeName: 'write', object: 'g50v1' }, ROGUE, PLC);
  assert.deepEqual(run('ot.configuration-change', [sync]), []);
});

test('ot.configuration-change: an S7comm-plus session setting its own ServerSession is the connect handshake', () => {
  const session = op({ protocol: 's7comm-plus', kind: 'configuration', codeName: 'set_multi_variables', object: 'ServerSession' }, ROGUE, PLC);
  assert.deepEqual(run('ot.configuration-change', [session]), []);
  assert.equal(run('ot.configuration-change', [{ ...session, object: 'NativeObjects.theCPUproxy' }]).length, 1);
});
