import { test } from 'node:test';
import assert from 'node:assert/strict';
import { enipSpec } from './index.js';
import { C, S, checkRobustness, ops, replay, type Message } from '../common/test-support.js';
import { classifyPcccRequest } from './pccc.js';

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

/** Execute PCCC reply: CIP status 0, requestor ID echoed, CMD | 0x40, STS 0, TNS. */
function executePcccReply(cmd: number, tns: number, context: number): Buffer {
  return sendRR(Buffer.from([0xcb, 0x00, 0x00, 0x00, 0x07, 0x4d, 0x00, 0xe0, 0x31, 0x2b, 0x3d, cmd | 0x40, 0x00, tns & 0xff, tns >> 8]), context);
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
  assert.deepEqual(at([0x01, 0x0f, 0x00, 0x01, 0x00, 0xa3]), { kind: 'other', cmd: 0x0f, subCode: 0xa3, subCodeName: 'pccc_fnc_0xa3' });
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
