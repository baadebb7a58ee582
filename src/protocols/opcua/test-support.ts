/** Builders of UA Binary messages for the OPC UA tests (not used by the analyzer). */

export const u8 = (v: number) => Buffer.from([v & 0xff]);
export function u16(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(v);
  return b;
}
export function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return b;
}
export function i32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32LE(v);
  return b;
}
export function str(s: string | null): Buffer {
  if (s === null) return i32(-1);
  const body = Buffer.from(s, 'utf8');
  return Buffer.concat([i32(body.length), body]);
}
export const bytes = (b: Buffer | null) => (b === null ? i32(-1) : Buffer.concat([i32(b.length), b]));

/** Numeric NodeId in its most compact encoding (two-byte, four-byte or full numeric). */
export function numericNodeId(id: number, ns = 0): Buffer {
  if (ns === 0 && id <= 0xff) return Buffer.from([0x00, id]);
  if (ns <= 0xff && id <= 0xffff) return Buffer.concat([u8(0x01), u8(ns), u16(id)]);
  return Buffer.concat([u8(0x02), u16(ns), u32(id)]);
}
export const stringNodeId = (ns: number, s: string) => Buffer.concat([u8(0x03), u16(ns), str(s)]);
export const guidNodeId = (ns: number, guid: Buffer) => Buffer.concat([u8(0x04), u16(ns), guid]);
export const byteStringNodeId = (ns: number, b: Buffer) => Buffer.concat([u8(0x05), u16(ns), bytes(b)]);

export function requestHeader(handle: number): Buffer {
  return Buffer.concat([numericNodeId(0), Buffer.alloc(8), u32(handle), u32(0), str(null), u32(10000), numericNodeId(0), u8(0)]);
}
export function responseHeader(handle: number, status = 0): Buffer {
  return Buffer.concat([Buffer.alloc(8), u32(handle), u32(status), u8(0), i32(0), numericNodeId(0), u8(0)]);
}

export function message(type: string, chunk: string, body: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.write(type + chunk, 0, 'latin1');
  head.writeUInt32LE(8 + body.length, 4);
  return Buffer.concat([head, body]);
}

export function hello(url: string): Buffer {
  return message('HEL', 'F', Buffer.concat([u32(0), u32(65536), u32(65536), u32(0), u32(0), str(url)]));
}
export const ack = () => message('ACK', 'F', Buffer.concat([u32(0), u32(65536), u32(65536), u32(0), u32(0)]));
export const err = (code: number, reason: string) => message('ERR', 'F', Buffer.concat([u32(code), str(reason)]));

export const POLICY_NONE = 'http://opcfoundation.org/UA/SecurityPolicy#None';

export function openRequest(policy: string, requestId: number, mode = 1): Buffer {
  const asym = Buffer.concat([u32(0), str(policy), bytes(null), bytes(null)]);
  const body =
    policy === POLICY_NONE
      ? Buffer.concat([u32(1), u32(requestId), numericNodeId(446), requestHeader(1), u32(0), u32(0), u32(mode), bytes(null), u32(600000)])
      : Buffer.from('b1f0c3d2e5a49788a1b2c3d4e5f60718293a4b5c6d7e8f90', 'hex');
  return message('OPN', 'F', Buffer.concat([asym, body]));
}
export function openResponse(policy: string, requestId: number, channel = 7): Buffer {
  const asym = Buffer.concat([u32(channel), str(policy), bytes(null), bytes(null)]);
  const body =
    policy === POLICY_NONE
      ? Buffer.concat([u32(1), u32(requestId), numericNodeId(449), responseHeader(1), u32(0), u32(channel), u32(1), Buffer.alloc(8), u32(600000), bytes(null)])
      : Buffer.from('0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778', 'hex');
  return message('OPN', 'F', Buffer.concat([asym, body]));
}

/** A MSG (or CLO) chunk: symmetric header, sequence header, then `body`. */
export function msg(requestId: number, body: Buffer, chunk = 'F', type = 'MSG', channel = 7): Buffer {
  return message(type, chunk, Buffer.concat([u32(channel), u32(1), u32(requestId + 100), u32(requestId), body]));
}
export const serviceRequest = (typeId: Buffer, handle: number, rest: Buffer = Buffer.alloc(0)) => Buffer.concat([typeId, requestHeader(handle), rest]);
export const serviceResponse = (typeId: Buffer, handle: number, status = 0, rest: Buffer = Buffer.alloc(0)) =>
  Buffer.concat([typeId, responseHeader(handle, status), rest]);

/** ReadRequest body after the header: MaxAge, TimestampsToReturn, ReadValueId[] with the given NodeIds. */
export function readNodes(nodes: Buffer[]): Buffer {
  return Buffer.concat([Buffer.alloc(8), u32(0), i32(nodes.length), ...nodes.map((n) => Buffer.concat([n, u32(13), str(null), u16(0), str(null)]))]);
}
