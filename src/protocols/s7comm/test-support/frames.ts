/**
 * Test support: builders for TPKT / COTP / S7comm frames, byte-exact as Step 7 / Snap7 put them on the wire.
 */

export function tpkt(cotpAndPayload: Buffer): Buffer {
  const len = 4 + cotpAndPayload.length;
  return Buffer.concat([Buffer.from([3, 0, len >> 8, len & 0xff]), cotpAndPayload]);
}

/** COTP DT (class 0) carrying `payload`; eot = last data unit. */
export function dt(payload: Buffer, eot = true): Buffer {
  return tpkt(Buffer.concat([Buffer.from([0x02, 0xf0, eot ? 0x80 : 0x00]), payload]));
}

/** COTP CR (dir client→PLC) / CC with src/dst TSAPs. */
export function cr(type: 'CR' | 'CC', srcTsap: number[], dstTsap: number[]): Buffer {
  const params = [0xc0, 0x01, 0x0a, 0xc1, srcTsap.length, ...srcTsap, 0xc2, dstTsap.length, ...dstTsap];
  const fixed = [type === 'CR' ? 0xe0 : 0xd0, 0x00, 0x00, 0x00, 0x01, 0x00];
  const li = fixed.length + params.length;
  return tpkt(Buffer.from([li, ...fixed, ...params]));
}

function s7(rosctr: number, pduRef: number, param: Buffer, data: Buffer, error?: number): Buffer {
  const isAck = rosctr === 2 || rosctr === 3;
  const h = [0x32, rosctr, 0, 0, pduRef >> 8, pduRef & 0xff, param.length >> 8, param.length & 0xff, data.length >> 8, data.length & 0xff];
  if (isAck) h.push(((error ?? 0) >> 8) & 0xff, (error ?? 0) & 0xff);
  return Buffer.concat([Buffer.from(h), param, data]);
}

export function job(pduRef: number, param: number[] | Buffer, data: number[] | Buffer = []): Buffer {
  return s7(1, pduRef, Buffer.from(param), Buffer.from(data));
}

export function ackData(pduRef: number, param: number[] | Buffer, data: number[] | Buffer = [], error = 0): Buffer {
  return s7(3, pduRef, Buffer.from(param), Buffer.from(data), error);
}

export function ack(pduRef: number, error: number): Buffer {
  return s7(2, pduRef, Buffer.alloc(0), Buffer.alloc(0), error);
}

/** Userdata request (type 4) / response (type 8) / push (type 0). */
export function userdata(
  pduRef: number,
  type: 0 | 4 | 8,
  group: number,
  subfunc: number,
  data: number[],
  opts: { seq?: number; error?: number; returnCode?: number; dataUnitRef?: number; moreFollows?: boolean } = {},
): Buffer {
  const isResp = type === 8;
  const param = isResp
    ? [0x00, 0x01, 0x12, 0x08, 0x12, (type << 4) | group, subfunc, opts.seq ?? 0, opts.dataUnitRef ?? 0, opts.moreFollows ? 0x01 : 0x00,
      ((opts.error ?? 0) >> 8) & 0xff, (opts.error ?? 0) & 0xff]
    : [0x00, 0x01, 0x12, 0x04, 0x11, (type << 4) | group, subfunc, opts.seq ?? 0];
  const rc = opts.returnCode ?? (data.length > 0 ? 0xff : 0x0a);
  const d = [rc, data.length > 0 ? 0x09 : 0x00, data.length >> 8, data.length & 0xff, ...data];
  return s7(7, pduRef, Buffer.from(param), Buffer.from(d));
}

export function ascii(s: string): number[] {
  return [...Buffer.from(s, 'latin1')];
}

/** S7ANY item spec: transport size, count, DB, area, byte address. */
export function anyItem(tsize: number, count: number, db: number, area: number, byteAddr: number): number[] {
  const bit = byteAddr * 8;
  return [0x12, 0x0a, 0x10, tsize, count >> 8, count & 0xff, db >> 8, db & 0xff, area, (bit >> 16) & 0xff, (bit >> 8) & 0xff, bit & 0xff];
}

export const setupJob = (ref: number, pdu = 480): Buffer => job(ref, [0xf0, 0x00, 0x00, 0x01, 0x00, 0x01, pdu >> 8, pdu & 0xff]);
export const setupAck = (ref: number, pdu = 240): Buffer => ackData(ref, [0xf0, 0x00, 0x00, 0x01, 0x00, 0x01, pdu >> 8, pdu & 0xff]);
