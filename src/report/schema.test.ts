import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OPERATION_KINDS, PROTOCOLS } from '../events/types.js';
import { Inventory, type FlowEnd } from '../model/inventory.js';
import { buildReport, isoTime } from './build.js';
import { ASSET_ROLES, REPORT_SCHEMA, type Report, type ReportStats } from './types.js';
import { reportSchema, validateReport } from './validate.js';

type Defs = Record<string, { enum?: unknown[] }>;
const defs = (reportSchema().$defs ?? {}) as Defs;

test('schema enums equal the token lists in the code', () => {
  assert.deepEqual(defs.protocolName?.enum, [...PROTOCOLS]);
  assert.deepEqual(defs.assetRole?.enum, [...ASSET_ROLES]);
  assert.deepEqual(defs.operationKind?.enum, [...OPERATION_KINDS]);
  assert.equal((reportSchema().properties as Record<string, { const?: string }>).schema?.const, REPORT_SCHEMA);
});

test('isoTime: UTC, microseconds, rounding carries into the second', () => {
  assert.equal(isoTime(0), '1970-01-01T00:00:00.000000Z');
  assert.equal(isoTime(1_700_000_000.123456), '2023-11-14T22:13:20.123456Z');
  assert.equal(isoTime(1_700_000_000.9999996), '2023-11-14T22:13:21.000000Z');
  assert.throws(() => isoTime(Number.NaN), RangeError);
});

function stats(): ReportStats {
  return {
    packets: 20, bytes: 2000, decodeErrors: 0, unsupportedLink: 0, flows: 2, flowsEvicted: 0, flowsTimedOut: 0,
    ipFragmentsReassembled: 0, ipFragmentsDropped: 0, tcpGaps: 0, tcpOutOfOrderDropped: 0, tcpRetransmissions: 0,
    events: 3, analyzers: { 'modbus.malformed': 1 }, capsHit: { 'flow-table': 2 }, durationMs: 12.5,
  };
}

function sampleReport(engineStats: ReportStats = stats()): Report {
  const inv = new Inventory({ maxHosts: 3 });
  const base: FlowEnd = {
    id: 1, captureIndex: 0, transport: 'tcp', ipProto: 6, clientIp: '10.0.0.10', serverIp: '10.0.0.20',
    clientPort: 50000, serverPort: 502, clientMac: '00:0c:29:aa:bb:cc', serverMac: '00:1b:1b:11:22:33',
    protocol: 'modbus', firstSeen: 1_700_000_000.5, lastSeen: 1_700_000_001.25, packetsToServer: 5,
    packetsToClient: 5, bytesToServer: 500, bytesToClient: 500, tcpState: 'closed', sidesGuessed: false,
  };
  inv.onEvent({
    type: 'operation', protocol: 'modbus', ts: base.firstSeen, frame: 4, captureIndex: 0, flowId: 1,
    src: { ip: base.clientIp, port: base.clientPort }, dst: { ip: base.serverIp, port: 502 }, kind: 'write',
    code: 16, codeName: 'write_multiple_registers', result: 'ok',
  });
  inv.onFlowEnd(base);
  inv.onFlowEnd({ ...base, id: 2, serverIp: '2001:db8::20', serverMac: '00:00:0c:07:ac:01', transport: 'udp', serverPort: 53, protocol: 'dns' });
  inv.onFlowEnd({ ...base, id: 3, serverIp: '10.0.0.77', serverMac: '00:1b:1b:11:22:77' }); // over maxHosts
  inv.onEvent({ type: 'asset-fact', protocol: 'modbus', ts: base.firstSeen, frame: 6, captureIndex: 0, subject: { ip: '10.0.0.20' }, field: 'firmware', value: 'v1.2', confidence: 0.9 });
  inv.observeL2('00:1b:1b:11:22:33', '01:0e:cf:00:00:00', 0x8892, 3, 180, 1_700_000_001, 1_700_000_002, 0);
  return buildReport({
    captures: [{ file: 'a.pcap', format: 'pcap', compressed: false, linkTypes: ['ethernet'], packets: 20, bytes: 2000,
      firstSeen: isoTime(1_700_000_000.5), lastSeen: isoTime(1_700_000_002), warnings: [] }],
    stats: engineStats,
    inventory: inv,
    generatedAt: new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678)),
  });
}

test('a built report validates and carries the inventory caps', () => {
  const report = sampleReport();
  assert.deepEqual(validateReport(report), []);
  assert.equal(report.generatedAt, '2024-01-02T03:04:05.678000Z');
  assert.equal(report.schema, 'otwatch.report/v1');
  assert.deepEqual(report.stats.capsHit, { 'flow-table': 2, 'inventory.hosts': 1 });
  assert.deepEqual(report.stats.analyzers, { 'modbus.malformed': 1 });
  // The engine may already have copied the inventory's caps: they are not counted twice.
  const copied = stats();
  copied.capsHit = { 'inventory.hosts': 1, 'flow-table': 2 };
  assert.deepEqual(sampleReport(copied).stats.capsHit, { 'flow-table': 2, 'inventory.hosts': 1 });
  assert.deepEqual(report.communications.find((c) => c.protocol === 'modbus')?.operations, { write: 1 });
  assert.ok(report.assets.some((a) => a.firmware === 'v1.2'));
  // Round trip through JSON, as the CLI writes it.
  assert.deepEqual(validateReport(JSON.parse(JSON.stringify(report))), []);
});

test('a broken report fails with messages that point at the problem', () => {
  const report = JSON.parse(JSON.stringify(sampleReport())) as Record<string, any>;
  report.assets[0].roles = ['toaster'];
  report.communications[0].protocol = 'Modbus';
  report.communications[0].operations = { write: 1, 'format-c': 2 };
  report.stats.packets = -1;
  report.generatedAt = '2024-01-02 03:04:05';
  delete report.assets[0].vendor;
  report.assets[0].color = 'red';
  const errors = validateReport(report);
  const has = (pattern: RegExp): boolean => errors.some((e) => pattern.test(e));
  assert.ok(has(/^\/assets\/0\/roles\/0 must be equal to one of the allowed values: plc, rtu/), errors.join('\n'));
  assert.ok(has(/^\/communications\/0\/protocol must be equal to one of the allowed values: modbus/), errors.join('\n'));
  assert.ok(has(/^\/communications\/0\/operations .*format-c/), errors.join('\n'));
  assert.ok(has(/^\/stats\/packets must be >= 0/), errors.join('\n'));
  assert.ok(has(/^\/generatedAt must match/), errors.join('\n'));
  assert.ok(has(/^\/assets\/0 must have required property 'vendor'/), errors.join('\n'));
  assert.ok(has(/^\/assets\/0 must NOT have additional properties: "color"/), errors.join('\n'));
  assert.deepEqual(validateReport({}).slice(0, 1), ["(report) must have required property 'schema'"]);
});
