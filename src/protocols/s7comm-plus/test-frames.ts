/** Frame builders for the S7comm-plus tests (TPKT/COTP and S7comm-plus layouts as in parser.ts). */

export function hex(s: string): Buffer {
  return Buffer.from(s.replace(/\s+/g, ''), 'hex');
}

/** TPKT + COTP DT (EOT set unless `last` is false) around a payload. */
export function dt(payload: Buffer, last = true): Buffer {
  const total = 4 + 3 + payload.length;
  return Buffer.concat([Buffer.from([3, 0, total >> 8, total & 0xff, 2, 0xf0, last ? 0x80 : 0x00]), payload]);
}

/** COTP CR (or CC) with a 2-byte source TSAP and a string destination TSAP. */
export function connection(type: 0xe0 | 0xd0, dstTsap: string): Buffer {
  const tsap = Buffer.from(dstTsap, 'latin1');
  const params = Buffer.concat([Buffer.from([0xc1, 2, 0x06, 0x00, 0xc2, tsap.length]), tsap, Buffer.from([0xc0, 1, 0x0a])]);
  const li = 6 + params.length;
  const total = 4 + 1 + li;
  return Buffer.concat([Buffer.from([3, 0, total >> 8, total & 0xff, li, type, 0, 0, 0, 1, 0]), params]);
}

/** An S7comm-plus frame: 0x72 version length data [trailer]. */
export function plus(version: number, data: Buffer, trailer = true): Buffer {
  const head = Buffer.from([0x72, version, data.length >> 8, data.length & 0xff]);
  return Buffer.concat(trailer ? [head, data, Buffer.from([0x72, version, 0, 0])] : [head, data]);
}

export function request(func: number, seq: number, session: number, body: string): Buffer {
  const h = Buffer.alloc(14);
  h[0] = 0x31;
  h.writeUInt16BE(func, 3);
  h.writeUInt16BE(seq, 7);
  h.writeUInt32BE(session, 9);
  h[13] = 0x34;
  return Buffer.concat([h, hex(body)]);
}

export function response(func: number, seq: number, body: string): Buffer {
  const h = Buffer.alloc(10);
  h[0] = 0x32;
  h.writeUInt16BE(func, 3);
  h.writeUInt16BE(seq, 7);
  h[9] = 0x34;
  return Buffer.concat([h, hex(body)]);
}

