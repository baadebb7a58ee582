/** Hand-built DCE/RPC PDUs (little-endian NDR) for unit and property tests. */
export const SRVSVC_UUID = '4b324fc8-1670-01d3-1278-5a47bf6ee188';
export const NDR_UUID = '8a885d04-1ceb-11c9-9fe8-08002b104860';

export function uuidBytes(uuid: string): Buffer {
  const h = uuid.replace(/-/g, '');
  const b = Buffer.from(h, 'hex');
  // first three fields little-endian (drep 0x10)
  b.subarray(0, 4).reverse();
  b.subarray(4, 6).reverse();
  b.subarray(6, 8).reverse();
  return b;
}

export function pdu(ptype: number, flags: number, callId: number, body: Buffer): Buffer {
  const h = Buffer.alloc(16);
  h[0] = 5;
  h[1] = 0;
  h[2] = ptype;
  h[3] = flags;
  h.writeUInt32LE(0x00000010, 4);
  h.writeUInt16LE(16 + body.length, 8);
  h.writeUInt16LE(0, 10);
  h.writeUInt32LE(callId, 12);
  return Buffer.concat([h, body]);
}

export function bind(callId: number, contextId: number, uuid: string, version: number): Buffer {
  const fixed = Buffer.alloc(12);
  fixed.writeUInt16LE(4280, 0);
  fixed.writeUInt16LE(4280, 2);
  fixed[8] = 1;
  const ctx = Buffer.alloc(4);
  ctx.writeUInt16LE(contextId, 0);
  ctx[2] = 1;
  const ver = Buffer.alloc(4);
  ver.writeUInt16LE(version, 0);
  const ts = Buffer.concat([uuidBytes(NDR_UUID), Buffer.from([2, 0, 0, 0])]);
  return pdu(11, 3, callId, Buffer.concat([fixed, ctx, uuidBytes(uuid), ver, ts]));
}

export function bindAck(callId: number, result: number): Buffer {
  const fixed = Buffer.alloc(8);
  fixed.writeUInt16LE(4280, 0);
  fixed.writeUInt16LE(4280, 2);
  const secAddr = Buffer.from([4, 0, 0x31, 0x33, 0x35, 0]); // "135\0"
  const pad = Buffer.alloc((4 - ((8 + secAddr.length) % 4)) % 4);
  const results = Buffer.alloc(4 + 24);
  results[0] = 1;
  results.writeUInt16LE(result, 4);
  results.writeUInt16LE(result ? 2 : 0, 6);
  uuidBytes(NDR_UUID).copy(results, 8);
  results.writeUInt32LE(2, 24);
  return pdu(12, 3, callId, Buffer.concat([fixed, secAddr, pad, results]));
}

export function request(callId: number, contextId: number, opnum: number, stub: Buffer, flags = 3): Buffer {
  const fixed = Buffer.alloc(8);
  fixed.writeUInt32LE(stub.length, 0);
  fixed.writeUInt16LE(contextId, 4);
  fixed.writeUInt16LE(opnum, 6);
  return pdu(0, flags, callId, Buffer.concat([fixed, stub]));
}

export function response(callId: number, stub: Buffer, flags = 3): Buffer {
  const fixed = Buffer.alloc(8);
  fixed.writeUInt32LE(stub.length, 0);
  return pdu(2, flags, callId, Buffer.concat([fixed, stub]));
}

export function fault(callId: number, status: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt32LE(status, 8);
  return pdu(3, 3, callId, b);
}

/** NDR conformant varying wide string with its NUL, padded to 4. */
export function ndrString(s: string): Buffer {
  const chars = s.length + 1;
  const head = Buffer.alloc(12);
  head.writeUInt32LE(chars, 0);
  head.writeUInt32LE(0, 4);
  head.writeUInt32LE(chars, 8);
  const body = Buffer.alloc(chars * 2);
  body.write(s, 0, 'utf16le');
  const pad = Buffer.alloc((4 - (body.length % 4)) % 4);
  return Buffer.concat([head, body, pad]);
}

/** NetprPathCanonicalize(ServerName, PathName, OutbufLen, Prefix, PathType, Flags) request stub. */
export function netPathCanonicalizeStub(server: string, path: string): Buffer {
  const ref = Buffer.alloc(4);
  ref.writeUInt32LE(0x00020000, 0);
  const tail = Buffer.alloc(16);
  tail.writeUInt32LE(1, 0);
  return Buffer.concat([ref, ndrString(server), ndrString(path), tail]);
}
