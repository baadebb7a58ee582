import { test } from 'node:test';
import assert from 'node:assert/strict';
import { enipSpec } from './index.js';
import { C, S, checkRobustness, ops, replay, type Message } from '../common/test-support.js';
import { join } from 'node:path';
import { classifyPcccRequest, pcccReplyStatus, pcccStatusName } from './pccc.js';
import { hasTshark, traceOf, tsharkFields } from '../../../test/support/trace.js';
import { corpusDir, hasCorpus } from '../../../test/support/cli.js';
import { parseNumber } from '../../../test/support/differential.js';

/** SendRRData carrying one unconnected CIP message, sender context `context`. */
function sendRR(cip: Buffer, context: number): Buffer {
  const cpf = Buffer.alloc(16);
  cpf.writeUInt16LE(2, 6); // item count
  cpf.writeUInt16LE(0x0000, 8); // null address item
  cpf.writeUInt16LE(0x00b2, 12); // unconnected data item
  cpf.writeUInt16LE(cip.length, 14);
  const header = Buffer.alloc(24);
  header.writeUInt16LE(0x006f, 0);
  header.writeUInt16LE(cpf.length + cip.length, 2);
  header.writeUInt32LE(0x11223344, 4);
  header.writeUInt32LE(context, 12);
  return Buffer.concat([header, cpf, cip]);
}

/** Execute PCCC on class 0x67 instance 1: requestor ID (length 7, vendor 0x004d, serial), then the PCCC bytes. */
function executePccc(pccc: number[], context: number): Buffer {
  const cip = Buffer.from([0x4b, 0x02, 0x20, 0x67, 0x24, 0x01, 0x07, 0x4d, 0x00, 0xe0, 0x31, 0x2b, 0x3d, ...pccc]);
  return sendRR(cip, context);
}

/** Execute PCCC reply: CIP status 0, requestor ID echoed, CMD | 0x40, STS, TNS, then `rest` (EXT STS, data). */
function executePcccReply(cmd: number, tns: number, context: number, sts = 0, rest: number[] = []): Buffer {
  return sendRR(Buffer.from([0xcb, 0x00, 0x00, 0x00, 0x07, 0x4d, 0x00, 0xe0, 0x31, 0x2b, 0x3d, cmd | 0x40, sts, tns & 0xff, tns >> 8, ...rest]), context);
}

// CMD 0x0F, STS 0, TNS 0x1234, FNC, then function data (byte size, file, type, element, sub-element).
const READ_N7 = [0x0f, 0x00, 0x34, 0x12, 0xa2, 0x02, 0x07, 0x89, 0x00, 0x00];
const WRITE_N7 = [0x0f, 0x00, 0x35, 0x12, 0xaa, 0x02, 0x07, 0x89, 0x00, 0x00, 0x2a, 0x00];
const MODE_RUN = [0x0f, 0x00, 0x36, 0x12, 0x80, 0x06];
const MODE_PROGRAM = [0x0f, 0x00, 0x37, 0x12, 0x80, 0x01];

test('Execute PCCC typed read, write and change-mode requests are classified and paired with their replies', () => {
  const messages: Message[] = [
    [C, executePccc(READ_N7, 1)],
    [S, executePcccReply(0x0f, 0x1234, 1)],
    [C, executePccc(WRITE_N7, 2)],
    [S, executePcccReply(0x0f, 0x1235, 2)],
    [C, executePccc(MODE_RUN, 3)],
    [S, executePcccReply(0x0f, 0x1236, 3)],
    [C, executePccc(MODE_PROGRAM, 4)],
  ];
  for (const chunk of [0, 5]) {
    const ctx = replay(enipSpec, messages, { chunk, flow: { serverPort: 44818 } });
    const got = ops(ctx)
      .sort((a, b) => a.frame - b.frame)
      .map((o) => [o.frame, o.code, o.codeName, o.kind, o.subCode, o.subCodeName, o.detail, o.result, o.responseFrame]);
    assert.deepEqual(got, [
      [1, 0x4b, 'execute_pccc', 'read', 0xa2, 'protected_typed_logical_read_3_address_fields', undefined, 'ok', 2],
      [3, 0x4b, 'execute_pccc', 'write', 0xaa, 'protected_typed_logical_write_3_address_fields', undefined, 'ok', 4],
      [5, 0x4b, 'execute_pccc', 'mode-change', 0x80, 'change_cpu_mode', 'run', 'ok', 6],
      [7, 0x4b, 'execute_pccc', 'mode-change', 0x80, 'change_cpu_mode', 'program', 'no-response', undefined],
    ]);
    assert.equal(ops(ctx)[0]!.attributes?.pccc_cmd, 0x0f);
  }
});

test('classifyPcccRequest: commands without a function byte, unknown functions, diagnostics, and short data', () => {
  const at = (bytes: number[]) => classifyPcccRequest(Uint8Array.from(bytes), 0, bytes.length);
  // Requestor ID of length 1 (no vendor/serial), basic command 0x01 unprotected read.
  assert.deepEqual(at([0x01, 0x01, 0x00, 0x01, 0x00]), { kind: 'read', cmd: 0x01, subCode: 0x01, subCodeName: 'unprotected_read' });
  assert.deepEqual(at([0x01, 0x06, 0x00, 0x01, 0x00, 0x03]), { kind: 'identify', cmd: 0x06, subCode: 0x03, subCodeName: 'diagnostic_status' });
  assert.deepEqual(at([0x01, 0x0f, 0x00, 0x01, 0x00, 0xa3]), { kind: 'read', cmd: 0x0f, subCode: 0xa3, subCodeName: 'unpublished_read_0xa3' });
  assert.deepEqual(at([0x01, 0x0f, 0x00, 0x01, 0x00, 0xa1]), { kind: 'read', cmd: 0x0f, subCode: 0xa1, subCodeName: 'protected_typed_logical_read_2_address_fields' });
  assert.deepEqual(at([0x01, 0x0f, 0x00, 0x01, 0x00, 0xab])?.kind, 'write');
  assert.deepEqual(at([0x01, 0x0f, 0x00, 0x01, 0x00, 0xf3]), { kind: 'other', cmd: 0x0f, subCode: 0xf3, subCodeName: 'pccc_fnc_0xf3' });
  assert.deepEqual(at([0x01, 0x0f, 0x00, 0x01, 0x00, 0x53]), { kind: 'program-upload', cmd: 0x0f, subCode: 0x53, subCodeName: 'upload_all_request' });
  assert.equal(at([0x01, 0x0f, 0x00, 0x01, 0x00, 0x80, 0x42])?.detail, 'mode_0x42');
  assert.equal(at([0x01, 0x0f, 0x00, 0x01, 0x00, 0x80])?.detail, undefined, 'mode byte missing');
  assert.equal(at([0x01, 0x0f, 0x00, 0x01, 0x00]), null, 'function byte missing');
  assert.equal(at([0x07, 0x4d, 0x00, 0xe0, 0x31, 0x2b, 0x3d, 0x0f, 0x00]), null, 'PCCC header cut');
  assert.equal(at([0x00, 0x0f, 0x00, 0x01, 0x00, 0xa2]), null, 'requestor ID length 0');
  assert.equal(at([]), null);
});

test('a truncated Execute PCCC request is reported as malformed, not misclassified', () => {
  const ctx = replay(enipSpec, [[C, executePccc([0x0f, 0x00], 9)]], { flow: { serverPort: 44818 } });
  const [op] = ops(ctx);
  assert.equal(op?.kind, 'other');
  assert.equal(op?.subCode, undefined);
  assert.ok(ctx.events.some((e) => e.type === 'anomaly' && e.anomaly === 'malformed'));
});

test('robustness: mutated Execute PCCC conversations never throw', () => {
  checkRobustness(enipSpec, [
    [C, executePccc(MODE_RUN, 3)],
    [S, executePcccReply(0x0f, 0x1236, 3)],
    [C, executePccc(WRITE_N7, 2)],
  ], 40);
});

test('PCCC STS in a reply whose CIP status is success makes the operation an exception (STS / EXT STS)', () => {
  const messages: Message[] = [
    [C, executePccc(WRITE_N7, 1)],
    [S, executePcccReply(0x0f, 0x1235, 1, 0x10)],
    [C, executePccc(MODE_RUN, 2)],
    [S, executePcccReply(0x0f, 0x1236, 2, 0x70)],
    [C, executePccc(WRITE_N7, 3)],
    [S, executePcccReply(0x0f, 0x1235, 3, 0xf0, [0x0b])],
    [C, executePccc(READ_N7, 4)],
    [S, executePcccReply(0x0f, 0x1234, 4, 0x00, [0x2a, 0x00])],
    [C, executePccc(READ_N7, 5)],
    [S, executePcccReply(0x0f, 0x1234, 5, 0xf0)], // EXT STS missing
    [C, executePccc(READ_N7, 6)],
    [S, executePcccReply(0x0f, 0x1234, 6, 0x05)], // local error
  ];
  for (const chunk of [0, 7]) {
    const ctx = replay(enipSpec, messages, { chunk, flow: { serverPort: 44818 } });
    const got = ops(ctx)
      .sort((a, b) => a.frame - b.frame)
      .map((o) => [o.frame, o.subCodeName, o.result, o.exceptionCode, o.exceptionName, o.responseFrame, o.attributes?.pccc_sts, o.attributes?.pccc_ext_sts]);
    assert.deepEqual(got, [
      [1, 'protected_typed_logical_write_3_address_fields', 'exception', 0x10, 'illegal_command_or_format', 2, 0x10, undefined],
      [3, 'change_cpu_mode', 'exception', 0x70, 'processor_in_program_mode', 4, 0x70, undefined],
      [5, 'protected_typed_logical_write_3_address_fields', 'exception', 0xf00b, 'access_denied', 6, 0xf0, 0x0b],
      [7, 'protected_typed_logical_read_3_address_fields', 'ok', undefined, undefined, 8, undefined, undefined],
      [9, 'protected_typed_logical_read_3_address_fields', 'exception', 0xf0, 'ext_sts_missing', 10, 0xf0, undefined],
      [11, 'protected_typed_logical_read_3_address_fields', 'exception', 0x05, 'application_layer_timeout', 12, 0x05, undefined],
    ]);
    assert.equal(ctx.counters['pccc.error-status'], 5);
  }
});

test('pcccReplyStatus / pcccStatusName: bounds and unknown codes', () => {
  const at = (bytes: number[]) => pcccReplyStatus(Uint8Array.from(bytes), 0, bytes.length);
  assert.equal(at([0x01, 0x4f, 0x00, 0x01, 0x00]), 0);
  assert.equal(at([0x01, 0x4f, 0x50, 0x01, 0x00]), 0x50);
  assert.equal(at([0x01, 0x4f, 0xf0, 0x01, 0x00, 0x1b]), 0xf01b);
  assert.equal(at([0x01, 0x4f, 0x50, 0x01]), -1, 'TNS cut');
  assert.equal(at([0x07, 0x4d, 0x00, 0xe0, 0x31]), -1, 'requestor ID cut');
  assert.equal(at([0x00, 0x4f, 0x10, 0x01, 0x00]), -1);
  assert.equal(at([]), -1);
  assert.equal(pcccStatusName(0xf01b), 'another_node_is_program_owner');
  assert.equal(pcccStatusName(0xd0), 'pccc_sts_0xd0');
  assert.equal(pcccStatusName(0xf0ee), 'pccc_ext_sts_0xee');
});

test('cip_only.pcap (ITI, MicroLogix via RSLinx): every PCCC function agrees with tshark and none stays unclassified', { skip: !hasTshark || !hasCorpus ? 'needs tshark and ../shared/corpus' : false }, async () => {
  const file = join(corpusDir, 'enip', 'cip_only.pcap');
  const { events } = await traceOf(file, ['cip']);
  const ours = new Map<number, { fnc: number; name: string; kind: string; result: string; responseFrame?: number }>();
  for (const e of events) {
    if (e.type !== 'operation' || e.code !== 0x4b || e.subCode === undefined) continue;
    ours.set(e.frame, { fnc: e.subCode, name: e.subCodeName ?? '', kind: e.kind, result: e.result, responseFrame: e.responseFrame });
  }
  const fields = ['cip.pccc.cmd.code', 'cip.pccc.fnc.code_06', 'cip.pccc.fnc.code_07', 'cip.pccc.fnc.code_0f'];
  const requests = tsharkFields(file, 'cippccc && cip.pccc.cmd.code', fields);
  assert.ok(requests.size > 4000);
  let a3 = 0;
  for (const [frame, [cmd = [], f06 = [], f07 = [], f0f = []]] of requests) {
    const op = ours.get(frame);
    assert.ok(op, `frame ${frame}: no Execute PCCC operation`);
    const fnc = parseNumber((f06[0] ?? f07[0] ?? f0f[0] ?? cmd[0])!);
    assert.equal(op.fnc, fnc, `frame ${frame}`);
    assert.ok(!op.name.startsWith('pccc_'), `frame ${frame}: ${op.name} unclassified`);
    if (fnc === 0xa3) {
      a3++;
      assert.equal(op.kind, 'read');
    }
  }
  assert.equal(a3, 4655);
  // Every reply in the capture has STS 0 (tshark cip.pccc.gs.status): all answered requests are ok.
  const replies = tsharkFields(file, 'cippccc && cip.pccc.resp.code', ['cip.pccc.gs.status']);
  const failed = [...replies.values()].filter(([sts = []]) => parseNumber(sts[0] ?? '0') !== 0).length;
  assert.equal(failed, 0);
  const answered = [...ours.values()].filter((o) => o.responseFrame !== undefined);
  assert.ok(answered.length > 0.99 * requests.size);
  assert.ok(answered.every((o) => o.result === 'ok' && replies.has(o.responseFrame!)));
});
