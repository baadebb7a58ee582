import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Dir, Probe } from '../analyzer.js';
import type { OperationEvent } from '../../events/types.js';
import { modbusSpec } from './index.js';
import { adu, ascii, be16, defaultFlow, fakeContext, replayPcap } from './test-support.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const meta = (frame: number) => ({ frame, ts: 1000 + frame });

function session(flowOverrides = {}, limits = {}) {
  const { ctx, out } = fakeContext(defaultFlow(flowOverrides), limits);
  const analyzer = modbusSpec.create(ctx);
  const send = (dir: Dir, bytes: Buffer, frame: number) => analyzer.onData(dir, bytes, 0, bytes.length, meta(frame));
  return { analyzer, out, ctx, req: (b: Buffer, f: number) => send(Dir.ToServer, b, f), resp: (b: Buffer, f: number) => send(Dir.ToClient, b, f) };
}

function only<T>(items: T[]): T {
  assert.equal(items.length, 1, `expected exactly one item, got ${items.length}`);
  return items[0]!;
}

// ------------------------------------------------------------------------------------------------ probe

test('probe: a whole request is Yes, short input NeedMore, HTTP on 502 No', () => {
  const read = adu(1, 1, [3, ...be16(0), ...be16(10)]);
  assert.equal(modbusSpec.probe(read, 0, read.length, Dir.ToServer), Probe.Yes);
  assert.equal(modbusSpec.probe(read, 0, 7, Dir.ToServer), Probe.NeedMore);
  const http = Buffer.from('GET / HTTP/1.1\r\nHost: plc\r\n\r\n');
  assert.equal(modbusSpec.probe(http, 0, http.length, Dir.ToServer), Probe.No);
  const tls = Buffer.from([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03]);
  assert.equal(modbusSpec.probe(tls, 0, tls.length, Dir.ToServer), Probe.No);
  assert.deepEqual(modbusSpec.ports, [502]);
});

test('probe: header checks (protocol id, length, function code) and multi-ADU consistency', () => {
  const good = adu(7, 1, [1, 0, 0, 0, 8]);
  const badProto = Buffer.from(good);
  badProto[3] = 1;
  assert.equal(modbusSpec.probe(badProto, 0, badProto.length, Dir.ToServer), Probe.No);
  const zeroLength = Buffer.from([0, 1, 0, 0, 0, 0, 1, 3]);
  assert.equal(modbusSpec.probe(zeroLength, 0, 8, Dir.ToServer), Probe.No);
  const hugeLength = Buffer.from([0, 1, 0, 0, 0x01, 0x10, 1, 3]);
  assert.equal(modbusSpec.probe(hugeLength, 0, 8, Dir.ToServer), Probe.No);
  const oddFc = adu(7, 1, [0x30, 0, 0]);
  assert.equal(modbusSpec.probe(oddFc, 0, oddFc.length, Dir.ToServer), Probe.No);
  const exception = adu(7, 1, [0x83, 2]);
  assert.equal(modbusSpec.probe(exception, 0, exception.length, Dir.ToClient), Probe.Yes);
  const umas = adu(7, 1, [90, 0, 0x41]);
  assert.equal(modbusSpec.probe(umas, 0, umas.length, Dir.ToServer), Probe.Yes);
  const two = Buffer.concat([good, adu(8, 1, [3, 0, 0, 0, 1])]);
  assert.equal(modbusSpec.probe(two, 0, two.length, Dir.ToServer), Probe.Yes);
  const thenJunk = Buffer.concat([good, Buffer.from('HTTP/1.1 200 OK')]);
  assert.equal(modbusSpec.probe(thenJunk, 0, thenJunk.length, Dir.ToServer), Probe.No);
  assert.equal(modbusSpec.probe(good, 0, good.length - 1, Dir.ToServer), Probe.NeedMore);
  // offset is honoured
  const shifted = Buffer.concat([Buffer.from('xx'), good]);
  assert.equal(modbusSpec.probe(shifted, 2, good.length, Dir.ToServer), Probe.Yes);
});

// ------------------------------------------------------------------------------------------------ real frames

test('modbus_example.pcap (icsnpp): every function code, address, quantity and pairing', () => {
  const flows = replayPcap(fixture('modbus_example.pcap'), modbusSpec);
  const ops = flows.flatMap((f) => f.out.ops());
  assert.deepEqual(
    ops.map((o) => o.code),
    [1, 1, 2, 2, 3, 3, 4, 4, 5, 6, 7, 8, 15, 16, 17, 20, 21, 22, 22, 23, 23, 24, 43, 3],
  );
  for (const op of ops) assert.equal(op.responseFrame, op.frame + (op.frame === 99 ? 1 : 2), `pairing of ${op.frame}`);
  const byFrame = new Map(ops.map((o) => [o.frame, o]));
  assert.deepEqual(pick(byFrame.get(24)!), { kind: 'read', codeName: 'read_holding_registers', unit: 5, address: 1, quantity: 8, result: 'ok' });
  assert.deepEqual(pick(byFrame.get(56)!), { kind: 'write', codeName: 'write_multiple_registers', unit: 7, address: 1, quantity: 4, result: 'ok' });
  assert.equal(byFrame.get(56)!.dataBytes, 8);
  assert.equal(byFrame.get(72)!.codeName, 'mask_write_register');
  assert.equal(byFrame.get(72)!.address, 10);
  assert.equal(byFrame.get(64)!.kind, 'file-transfer');
  assert.equal(byFrame.get(48)!.subCodeName, 'return_diagnostic_register');
  const devId = byFrame.get(92)!;
  assert.deepEqual(pick(devId), { kind: 'identify', codeName: 'read_device_identification', unit: 1, address: 0, quantity: undefined, result: 'ok' });
  assert.equal(devId.subCode, 14);
  const last = byFrame.get(99)!;
  assert.equal(last.result, 'exception');
  assert.equal(last.exceptionCode, 2);
  assert.equal(last.exceptionName, 'illegal_data_address');
  assert.equal(last.address, 600);
  assert.equal(last.src.ip, '192.168.1.6');
  assert.equal(last.dst.ip, '3.15.227.20');
  const facts = flows.flatMap((f) => f.out.facts()).map((f) => [f.field, f.value, f.frame]);
  assert.deepEqual(facts, [
    ['product', 'Zeek Modbus Test-Protocol Parsing is fun!-1.2.3.6', 62],
    ['vendor', 'Zeek Modbus Test', 94],
    ['product-code', 'Protocol Parsing is fun!', 94],
    ['firmware', '1.2.3.6', 94],
  ]);
});

function pick(op: OperationEvent) {
  const { kind, codeName, unit, address, quantity, result } = op;
  return { kind, codeName, unit, address, quantity, result };
}

test('modbus.pcap (suricata-verify): diagnostics, exceptions, server id fact, responses from the initiator', () => {
  const flows = replayPcap(fixture('modbus.pcap'), modbusSpec);
  const ops = flows.flatMap((f) => f.out.ops());
  const at = (frame: number) => only(ops.filter((o) => o.frame === frame));
  assert.deepEqual([at(8).kind, at(8).detail, at(8).subCodeName], ['mode-change', 'listen-only', 'force_listen_only_mode']);
  assert.equal(at(8).exceptionName, 'gateway_target_device_failed_to_respond');
  assert.deepEqual([at(17).kind, at(17).result, at(17).responseFrame], ['restart', 'ok', 18]);
  assert.deepEqual([at(23).kind, at(23).subCode], ['diagnostics', 10]);
  assert.deepEqual([at(57).codeName, at(57).address, at(57).quantity], ['read_holding_registers', 5, 2]);
  assert.deepEqual([at(60).codeName, at(60).address], ['write_single_coil', 2]);
  // Two unanswered device-identification requests with the same transaction id.
  assert.deepEqual([at(32).result, at(34).result], ['no-response', 'no-response']);
  const server = flows.find((f) => f.flow.serverIp === '10.0.0.3' && f.flow.clientPort === 2578)!;
  assert.deepEqual(server.out.facts().map((f) => [f.field, f.value, f.subject.ip]), [['product', 'Wingpath Limited', '10.0.0.3']]);
  // 10.0.0.8 opened the connection from port 502 and sends exception responses: processed as responses.
  const reversed = flows.find((f) => f.flow.clientIp === '10.0.0.8')!;
  const orphans = reversed.out.ops();
  assert.equal(orphans.length, 5);
  for (const op of orphans) {
    assert.deepEqual([op.code, op.result, op.exceptionName, op.src.ip, op.dst.ip], [1, 'exception', 'server_device_busy', '10.0.0.57', '10.0.0.8']);
  }
  assert.equal(reversed.out.counter('unexpected-response'), 5);
  // The garbage flow on port 502 (length 0x8804) is not Modbus.
  assert.equal(flows.some((f) => f.flow.clientPort === 2585), false);
});

// ------------------------------------------------------------------------------------------------ hand-built

test('FC 8 restart (sub 1) and listen-only (sub 4); other sub-functions are diagnostics', () => {
  const s = session();
  s.req(adu(1, 1, [8, ...be16(1), 0xff, 0x00]), 1);
  s.resp(adu(1, 1, [8, ...be16(1), 0xff, 0x00]), 2);
  s.req(adu(2, 1, [8, ...be16(4), 0, 0]), 3);
  s.req(adu(3, 1, [8, ...be16(0), 0x12, 0x34]), 4);
  s.resp(adu(3, 1, [8, ...be16(0), 0x12, 0x34]), 5);
  s.analyzer.onClose(meta(6));
  const ops = s.out.ops();
  assert.deepEqual(
    ops.map((o) => [o.frame, o.kind, o.detail, o.subCode, o.subCodeName, o.result, o.responseFrame]),
    [
      [1, 'restart', 'communications', 1, 'restart_communications_option', 'ok', 2],
      [4, 'diagnostics', undefined, 0, 'return_query_data', 'ok', 5],
      [3, 'mode-change', 'listen-only', 4, 'force_listen_only_mode', 'no-response', undefined],
    ],
  );
});

test('FC 17 report server id: operation plus one product fact per distinct value', () => {
  const s = session();
  const payload = [0x42, 0xff, ...ascii('ACME PLC-9000 v2')];
  for (let i = 0; i < 2; i++) {
    s.req(adu(10 + i, 3, [17]), 1 + 2 * i);
    s.resp(adu(10 + i, 3, [17, payload.length, ...payload]), 2 + 2 * i);
  }
  assert.deepEqual(s.out.ops().map((o) => [o.kind, o.codeName, o.unit]), [['identify', 'report_server_id', 3], ['identify', 'report_server_id', 3]]);
  const fact = only(s.out.facts());
  assert.deepEqual([fact.field, fact.value, fact.subject.ip, fact.subject.mac, fact.frame], ['product', 'ACME PLC-9000 v2', '10.0.0.2', '00:00:00:00:00:02', 2]);
});

test('FC 43/14 read device identification: all standard objects become server facts, private ones do not', () => {
  const s = session();
  const objects: Array<[number, string]> = [
    [0, 'Schneider Electric'], [1, 'BMX P34 2020'], [2, 'v3.20'], [3, 'http://www.se.com'],
    [4, 'Modicon M340'], [5, 'P34 2020'], [6, 'Line3 Packaging'], [0x80, 'private stuff'],
  ];
  const body = objects.flatMap(([id, text]) => [id, text.length, ...ascii(text)]);
  s.req(adu(5, 0xff, [43, 14, 3, 0]), 10);
  s.resp(adu(5, 0xff, [43, 14, 3, 0x83, 0, 0, objects.length, ...body]), 11);
  const op = only(s.out.ops());
  assert.deepEqual(
    [op.kind, op.code, op.codeName, op.subCode, op.subCodeName, op.detail, op.address, op.result],
    ['identify', 43, 'read_device_identification', 14, 'read_device_identification', 'extended', 0, 'ok'],
  );
  assert.deepEqual(
    s.out.facts().map((f) => [f.field, f.value]),
    [
      ['vendor', 'Schneider Electric'], ['product-code', 'BMX P34 2020'], ['firmware', 'v3.20'], ['url', 'http://www.se.com'],
      ['product', 'Modicon M340'], ['model', 'P34 2020'], ['software', 'Line3 Packaging'],
    ],
  );
  for (const fact of s.out.facts()) assert.equal(fact.subject.ip, '10.0.0.2');
  // A truncated object list still yields the complete objects before the cut, and is counted.
  const t = session();
  t.req(adu(6, 1, [43, 14, 1, 0]), 1);
  t.resp(adu(6, 1, [43, 14, 1, 1, 0, 0, 2, 0, 4, ...ascii('ACME'), 1, 30, 0x41]), 2);
  assert.deepEqual(t.out.facts().map((f) => [f.field, f.value]), [['vendor', 'ACME']]);
  assert.equal(t.out.counter('malformed-pdu'), 1);
  // 43/13 (CANopen) is an encapsulated transport operation, not identification.
  const c = session();
  c.req(adu(7, 1, [43, 13, 0, 1, 2]), 1);
  c.resp(adu(7, 1, [43, 13, 0, 1, 2]), 2);
  const canopen = only(c.out.ops());
  assert.deepEqual([canopen.codeName, canopen.subCodeName, canopen.kind], ['encapsulated_interface_transport', 'canopen_general_reference', 'other']);
});

test('exceptions carry code and name; unknown/user function codes are "other"', () => {
  const s = session();
  const names = ['illegal_function', 'illegal_data_address', 'illegal_data_value', 'server_device_failure', 'acknowledge', 'server_device_busy'];
  names.forEach((_, i) => {
    s.req(adu(100 + i, 1, [16, 0, 1, 0, 1, 2, 0, 7]), 2 * i);
    s.resp(adu(100 + i, 1, [0x90, i + 1]), 2 * i + 1);
  });
  s.req(adu(200, 1, [4, 0, 0, 0, 1]), 50);
  s.resp(adu(200, 1, [0x84, 0x0b]), 51);
  s.req(adu(201, 1, [65, 1, 2, 3]), 52);
  s.resp(adu(201, 1, [65, 9]), 53);
  const ops = s.out.ops();
  assert.deepEqual(ops.slice(0, names.length).map((o) => o.exceptionName), names);
  assert.deepEqual(ops.slice(0, names.length).map((o) => [o.result, o.kind, o.dataBytes]), names.map(() => ['exception', 'write', 2]));
  assert.deepEqual([ops[6]!.exceptionCode, ops[6]!.exceptionName], [11, 'gateway_target_device_failed_to_respond']);
  assert.deepEqual([ops[7]!.kind, ops[7]!.code, ops[7]!.codeName, ops[7]!.result], ['other', 65, 'user_defined_65', 'ok']);
});

test('FC 20/21 file records, 23 read/write, 24 FIFO', () => {
  const s = session();
  // read file record: one group, file 4 record 1, 2 registers
  s.req(adu(1, 1, [20, 7, 6, ...be16(4), ...be16(1), ...be16(2)]), 1);
  s.resp(adu(1, 1, [20, 6, 5, 6, 0x0d, 0xfe, 0x00, 0x20]), 2);
  // write file record: file 4 record 7, 3 registers of data
  s.req(adu(2, 1, [21, 13, 6, ...be16(4), ...be16(7), ...be16(3), 1, 2, 3, 4, 5, 6]), 3);
  s.resp(adu(2, 1, [21, 13, 6, ...be16(4), ...be16(7), ...be16(3), 1, 2, 3, 4, 5, 6]), 4);
  s.req(adu(3, 1, [23, ...be16(3), ...be16(6), ...be16(14), ...be16(3), 6, 0, 0xff, 0, 0xff, 0, 0xff]), 5);
  s.resp(adu(3, 1, [23, 12, ...new Array(12).fill(0)]), 6);
  s.req(adu(4, 1, [24, ...be16(0x04de)]), 7);
  s.resp(adu(4, 1, [24, ...be16(6), ...be16(2), 1, 0xb8, 0x12, 0x84]), 8);
  const ops = s.out.ops();
  assert.deepEqual(
    ops.map((o) => [o.codeName, o.kind, o.object, o.address, o.quantity, o.dataBytes, o.result]),
    [
      ['read_file_record', 'file-transfer', 'file:4', 1, 2, 6, 'ok'],
      ['write_file_record', 'file-transfer', 'file:4', 7, 3, 6, 'ok'],
      ['read_write_multiple_registers', 'write', undefined, 14, 3, 6, 'ok'],
      ['read_fifo_queue', 'read', undefined, 0x04de, undefined, undefined, 'ok'],
    ],
  );
  assert.equal(s.out.counter('malformed-pdu'), 0);
});

test('UMAS over FC 90: stop/start, strategy transfer directions, reservation, errors', () => {
  const s = session();
  const umasReq = (tid: number, func: number, data: number[] = []) => adu(tid, 0, [90, 0x12, func, ...data]);
  const umasOk = (tid: number, data: number[] = []) => adu(tid, 0, [90, 0x12, 0xfe, ...data]);
  s.req(umasReq(1, 0x41, [0xff, 0x00]), 1);
  s.resp(umasOk(1), 2);
  s.req(umasReq(2, 0x40, [0xff, 0x00]), 3);
  s.resp(umasOk(2), 4);
  s.req(umasReq(3, 0x30, [0x00, 0x01]), 5);
  s.resp(umasOk(3), 6);
  s.req(umasReq(4, 0x31, [0x00, 0x01, 0x01, 0x00, 0x04, 0x00, 1, 2, 3, 4]), 7);
  s.resp(umasOk(4), 8);
  s.req(umasReq(5, 0x34, [0x00, 0x01, 0x02, 0x00]), 9);
  s.resp(umasOk(5, [0x00, 0x01, 9, 9, 9, 9, 9, 9]), 10);
  s.req(umasReq(6, 0x10, [0x01, 0x02]), 11);
  s.resp(adu(6, 0, [90, 0x12, 0xfd, 0x80, 0x13]), 12);
  s.req(umasReq(7, 0x02), 13);
  s.resp(adu(7, 0, [0xda, 0x01]), 14);
  const ops = s.out.ops();
  assert.deepEqual(
    ops.map((o) => [o.protocol, o.code, o.codeName, o.kind, o.detail, o.result, o.subCode]),
    [
      ['umas', 0x41, 'stop_plc', 'mode-change', 'stop', 'ok', undefined],
      ['umas', 0x40, 'start_plc', 'mode-change', 'run', 'ok', undefined],
      ['umas', 0x30, 'initialize_upload', 'program-download', undefined, 'ok', undefined],
      ['umas', 0x31, 'upload_block', 'program-download', undefined, 'ok', undefined],
      ['umas', 0x34, 'download_block', 'program-upload', undefined, 'ok', undefined],
      ['umas', 0x10, 'take_plc_reservation', 'authentication', undefined, 'exception', undefined],
      ['umas', 0x02, 'read_id', 'identify', undefined, 'exception', undefined],
    ],
  );
  assert.equal(ops[3]!.dataBytes, 10); // strategy block sent to the PLC
  assert.equal(ops[4]!.dataBytes, 8); // block read back from the PLC
  assert.equal(ops[5]!.exceptionName, 'umas_error');
  assert.equal(ops[6]!.exceptionName, 'illegal_function');
});

/**
 * A UMAS READ_ID OK response built field by field after the layout the public decoders share (nmap
 * modicon-info.nse, the Wireshark UMAS dissector, FluentModbus UMAS): after [0x5A, session, 0xFE] come range u16,
 * PLC identifier u32, model code u16, firmware u16 LE (BCD major.minor), patch u16, internal version u16,
 * hardware version u16, crash code u32, 2 bytes, then the CPU module name (length byte + text) and the memory
 * bank count.
 */
function umasReadIdResponse(tid: number, name: string, firmware = [0x40, 0x03]): Buffer {
  const text = [...Buffer.from(name, 'latin1')];
  return adu(tid, 0, [
    90, 0x12, 0xfe,
    0x01, 0x00, // range
    0x01, 0x06, 0x02, 0x00, // PLC identifier
    0x03, 0x01, // model code
    ...firmware, // firmware 0x0340 = V3.40
    0x02, 0x00, // patch
    0x14, 0x00, // internal version
    0x02, 0x00, // hardware version
    0x00, 0x00, 0x00, 0x00, // crash code
    0x00, 0x00,
    text.length, ...text,
    0x00, // memory banks
  ]);
}

test('UMAS READ_ID response: CPU module name and firmware become facts about the PLC', () => {
  const s = session();
  const readId = (tid: number) => adu(tid, 0, [90, 0x12, 0x02]);
  const response = umasReadIdResponse(1, 'BMX P34 2020');
  // The name length byte sits at ADU offset 7 + 25, as nmap's modicon-info reads it (Lua position 33).
  assert.equal(response[32], 12);
  s.req(readId(1), 1);
  s.resp(response, 2);
  const op = only(s.out.ops());
  assert.deepEqual([op.protocol, op.code, op.codeName, op.kind, op.result, op.responseFrame], ['umas', 2, 'read_id', 'identify', 'ok', 2]);
  assert.deepEqual(
    s.out.facts().map((f) => [f.protocol, f.frame, f.subject.ip, f.field, f.value, f.confidence]),
    [
      ['modbus', 2, '10.0.0.2', 'vendor', 'Schneider Electric', 0.8],
      ['modbus', 2, '10.0.0.2', 'model', 'BMX P34 2020', 0.9],
      ['modbus', 2, '10.0.0.2', 'firmware', 'V3.40', 0.85],
    ],
  );
  // The same answer again is not decoded again (and would add nothing).
  s.req(readId(2), 3);
  s.resp(umasReadIdResponse(2, 'BMX P34 2020'), 4);
  assert.equal(s.out.facts().length, 3);
  assert.equal(s.out.ops().length, 2);
});

test('UMAS READ_ID response: non-BCD firmware, truncated name, orphan and error answers report nothing wrong', () => {
  const s = session();
  const readId = (tid: number) => adu(tid, 0, [90, 0x12, 0x02]);
  s.req(readId(1), 1);
  s.resp(umasReadIdResponse(1, 'BME P58 2040', [0x1a, 0x04]), 2);
  assert.deepEqual(s.out.facts().map((f) => [f.field, f.value]), [['vendor', 'Schneider Electric'], ['model', 'BME P58 2040']]);
  // Name length runs past the PDU (the ADU itself is well framed: its MBAP length is fixed up).
  const truncated = Buffer.from(umasReadIdResponse(3, 'BMX P34 2020').subarray(0, -6));
  truncated.writeUInt16BE(truncated.length - 6, 4);
  s.req(readId(3), 5);
  s.resp(truncated, 6);
  assert.equal(s.out.counter('umas-read-id-malformed'), 1);
  // Response without its request: a UMAS reply does not say what it answers, so nothing is decoded from it.
  s.resp(umasReadIdResponse(9, 'BMX P57 4634M'), 7);
  // UMAS error status.
  s.req(readId(4), 8);
  s.resp(adu(4, 0, [90, 0x12, 0xfd, 0x05]), 9);
  assert.equal(s.out.facts().length, 2);
  assert.equal(s.out.ops().filter((o) => o.codeName === 'read_id' && o.result === 'exception').length, 1);
});

test('framing: several ADUs per segment, and an ADU split anywhere across segments', () => {
  const stream = Buffer.concat([
    adu(1, 1, [3, 0, 10, 0, 2]),
    adu(2, 1, [16, 0, 20, 0, 2, 4, 0, 1, 0, 2]),
    adu(3, 1, [1, 0, 0, 0, 16]),
  ]);
  const whole = session();
  whole.req(stream, 1);
  const wholeOps = JSON.stringify(whole.out.events);
  for (let cut = 1; cut < stream.length; cut++) {
    const s = session();
    s.req(stream.subarray(0, cut), 1);
    s.req(stream.subarray(cut), 1);
    assert.equal(JSON.stringify(s.out.events), wholeOps, `split at ${cut}`);
  }
  // byte by byte
  const s = session();
  for (let i = 0; i < stream.length; i++) s.req(stream.subarray(i, i + 1), 1);
  assert.equal(JSON.stringify(s.out.events), wholeOps);
  s.analyzer.onClose(meta(2));
  assert.deepEqual(s.out.ops().map((o) => [o.code, o.address, o.result]), [[3, 10, 'no-response'], [16, 20, 'no-response'], [1, 0, 'no-response']]);
  assert.equal(s.out.counter('malformed'), 0);
});

test('resync: garbage before a valid ADU is skipped and counted, not fatal', () => {
  const s = session();
  const garbage = Buffer.from('\x01\x02\x03\x04\x05\x06\x07\x08\x09 hello there');
  s.req(Buffer.concat([adu(1, 1, [3, 0, 1, 0, 1]), garbage, adu(2, 1, [6, 0, 9, 0, 42])]), 1);
  s.resp(Buffer.concat([adu(1, 1, [3, 2, 0, 5]), adu(2, 1, [6, 0, 9, 0, 42])]), 2);
  assert.deepEqual(s.out.ops().map((o) => [o.code, o.address, o.result]), [[3, 1, 'ok'], [6, 9, 'ok']]);
  assert.equal(s.out.counter('malformed'), 1);
  assert.equal(s.out.counter('resync'), 1);
  assert.ok(s.out.counter('resync-skipped-bytes') >= garbage.length - 1);
  assert.deepEqual(s.out.anomalies().map((a) => a.anomaly), ['malformed', 'resync']);
});

test('gap: the partial ADU is discarded and parsing resyncs on the next plausible header', () => {
  const s = session();
  const first = adu(1, 1, [16, 0, 0, 0, 4, 8, 1, 2, 3, 4, 5, 6, 7, 8]);
  s.req(first.subarray(0, 9), 1);
  s.analyzer.onGap(Dir.ToServer, 40, meta(2));
  // After the gap: the tail of some other ADU, then a whole one.
  const lost = adu(9, 1, [16, 0, 0, 0, 4, 8, 9, 9, 9, 9, 9, 9, 9, 9]);
  s.req(Buffer.concat([lost.subarray(11), adu(2, 1, [5, 0, 3, 0xff, 0])]), 3);
  s.resp(adu(2, 1, [5, 0, 3, 0xff, 0]), 4);
  s.analyzer.onClose(meta(5));
  assert.deepEqual(s.out.ops().map((o) => [o.code, o.frame, o.result]), [[5, 3, 'ok']]);
  assert.equal(s.out.counter('resync'), 1);
});

test('pending transactions are capped: the oldest completes as no-response and is counted', () => {
  const s = session({}, { maxPendingTransactions: 2 });
  for (let tid = 1; tid <= 3; tid++) s.req(adu(tid, 1, [3, 0, tid, 0, 1]), tid);
  assert.deepEqual(s.out.ops().map((o) => [o.address, o.result, o.frame]), [[1, 'no-response', 1]]);
  assert.equal(s.out.counter('transaction-cap'), 1);
  s.resp(adu(3, 1, [3, 2, 0, 0]), 4);
  s.resp(adu(1, 1, [3, 2, 0, 0]), 5); // its request was evicted
  s.analyzer.onClose(meta(6));
  assert.deepEqual(
    s.out.ops().map((o) => [o.address, o.result, o.frame, o.responseFrame]),
    [[1, 'no-response', 1, undefined], [3, 'ok', 3, 4], [undefined, 'ok', 5, 5], [2, 'no-response', 2, undefined]],
  );
  assert.equal(s.out.counter('unexpected-response'), 1);
});

test('pairing uses (transaction id, unit id): out-of-order responses pair correctly', () => {
  const s = session();
  s.req(adu(7, 1, [3, 0, 100, 0, 1]), 1);
  s.req(adu(7, 2, [3, 0, 200, 0, 1]), 2);
  s.resp(adu(7, 2, [0x83, 2]), 3);
  s.resp(adu(7, 1, [3, 2, 0, 1]), 4);
  assert.deepEqual(
    s.out.ops().map((o) => [o.unit, o.address, o.result, o.frame, o.responseFrame]),
    [[2, 200, 'exception', 2, 3], [1, 100, 'ok', 1, 4]],
  );
  assert.equal(s.out.ops()[0]!.src.ip, '10.0.0.1');
  assert.equal(s.out.ops()[0]!.dst.port, 502);
});

test('guessed sides: responses seen from the "client" make the analyzer swap sides', () => {
  const flow = defaultFlow({ sidesGuessed: true, clientIp: '10.0.0.2', clientPort: 502, serverIp: '10.0.0.1', serverPort: 40000 });
  const { ctx, out } = fakeContext(flow);
  const analyzer = modbusSpec.create(ctx);
  const response = adu(1, 1, [3, 2, 0, 7]);
  analyzer.onData(Dir.ToServer, response, 0, response.length, meta(1)); // really the server's answer
  assert.equal(out.swaps, 1);
  // After the swap the engine delivers the real client's bytes as ToServer.
  const request = adu(2, 1, [3, 0, 4, 0, 1]);
  analyzer.onData(Dir.ToServer, request, 0, request.length, meta(2));
  const answer = adu(2, 1, [3, 2, 0, 9]);
  analyzer.onData(Dir.ToClient, answer, 0, answer.length, meta(3));
  const ops = out.ops();
  assert.deepEqual(ops.map((o) => [o.frame, o.responseFrame, o.src.ip, o.dst.ip, o.dst.port]), [
    [1, 1, '10.0.0.1', '10.0.0.2', 502],
    [2, 3, '10.0.0.1', '10.0.0.2', 502],
  ]);
  // With sides known from the handshake, no swap is requested.
  const known = fakeContext(defaultFlow({ sidesGuessed: false }));
  const a2 = modbusSpec.create(known.ctx);
  a2.onData(Dir.ToServer, response, 0, response.length, meta(1));
  assert.equal(known.out.swaps, 0);
});

test('buffer cap below one ADU: the oversize ADU is skipped and the stream stays in sync', () => {
  const s = session({}, { maxBufferBytes: 12 });
  const big = adu(1, 1, [16, 0, 0, 0, 8, 16, ...new Array(16).fill(1)]);
  s.req(big.subarray(0, 10), 1);
  s.req(Buffer.concat([big.subarray(10), adu(2, 1, [3, 0, 5, 0, 1])]), 2);
  s.analyzer.onClose(meta(3));
  assert.deepEqual(s.out.ops().map((o) => [o.code, o.address]), [[3, 5]]);
  assert.equal(s.out.counter('buffer-cap'), 1);
  assert.equal(s.out.counter('malformed'), 0);
});

test('the input view is honoured: bytes outside [off, off+len) are never used', () => {
  const s = session();
  const request = adu(1, 1, [3, 0, 1, 0, 1]);
  const framed = Buffer.concat([Buffer.from([0, 0, 0, 0, 0, 6]), request, adu(9, 9, [5, 0, 0, 0, 0])]);
  s.analyzer.onData(Dir.ToServer, framed, 6, request.length, meta(1));
  s.analyzer.onClose(meta(2));
  assert.deepEqual(s.out.ops().map((o) => [o.code, o.unit]), [[3, 1]]);
  assert.equal(s.out.counter('malformed'), 0);
});
