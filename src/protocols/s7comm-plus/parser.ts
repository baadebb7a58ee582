/**
 * S7comm-plus PDU decoding (layout per the Wireshark "s7comm_plus" plugin, see docs/protocols/s7comm-plus.md).
 *
 * One COTP-reassembled payload ("frame"):  0x72 | version | data length u16 | data | [trailer 0x72 version 0000]
 *   version 0xff (keep-alive): 0x72 ff seq reserved, nothing else.
 *   V3: the data part starts with an integrity part (digest length u8 = 32, digest) before the opcode.
 *   A frame without trailer is a fragment: the data parts of following frames are appended until one with a
 *   trailer ends the message (S7comm-plus' own fragmentation, above COTP's).
 * Data part: opcode u8 (0x31 request, 0x32 response, 0x33 notification, 0x02 response2); for all but
 *   notifications: reserved u16, function u16, reserved u16, sequence number u16, then
 *   request: session id u32, transport flags u8, function body;  response: transport flags u8, body.
 * Numbers inside bodies are VLQs: 7 bits per byte, most significant group first, bit 7 = more follows.
 *
 * Pure functions over (buf, off, len); every read is bounds-checked; nothing throws; results go into reusable
 * objects.
 */
import { Func, Id, Opcode, S7PLUS_PROTOCOL_ID, Version } from './names.js';

export const HEADER_LEN = 4;
export const TRAILER_LEN = 4;
/** Integrity digest length of V3 frames (HMAC-SHA256). */
export const V3_DIGEST_LEN = 32;

function u16(buf: Uint8Array, at: number): number {
  return (buf[at]! << 8) | buf[at + 1]!;
}

function u32(buf: Uint8Array, at: number): number {
  return ((buf[at]! << 24) >>> 0) + ((buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!);
}

/** Result of readVlq* : value and bytes used (0 when the VLQ ran past `end`). Reused. */
export class Vlq {
  value = 0;
  /** low 32 bits of a 64-bit VLQ */
  low32 = 0;
  size = 0;
}

/** Unsigned 32-bit VLQ at buf[at] (at most 5 bytes, stop before `end`). */
export function readVlq32(buf: Uint8Array, at: number, end: number, out: Vlq): boolean {
  let v = 0;
  for (let i = 0; i < 5; i++) {
    if (at + i >= end) break;
    const b = buf[at + i]!;
    v = ((v << 7) | (b & 0x7f)) >>> 0;
    if ((b & 0x80) === 0) {
      out.value = v;
      out.low32 = v;
      out.size = i + 1;
      return true;
    }
  }
  out.size = 0;
  return false;
}

/** Signed 32-bit VLQ: bit 6 of the first byte is the sign (two's complement of the 7-bit groups). */
export function readVlqSigned32(buf: Uint8Array, at: number, end: number, out: Vlq): boolean {
  if (at >= end) {
    out.size = 0;
    return false;
  }
  const first = buf[at]!;
  let v = first & 0x7f;
  if ((first & 0x40) !== 0) v -= 0x80;
  if ((first & 0x80) === 0) {
    out.value = v;
    out.size = 1;
    return true;
  }
  for (let i = 1; i < 5; i++) {
    if (at + i >= end) break;
    const b = buf[at + i]!;
    v = v * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) {
      out.value = v | 0;
      out.size = i + 1;
      return true;
    }
  }
  out.size = 0;
  return false;
}

/**
 * Unsigned 64-bit VLQ (at most 9 bytes, the 9th carries 8 bits). Only the low 32 bits are kept exactly
 * (`low32`); `value` is set to low32 too — callers need the error code in the low 16 bits.
 */
export function readVlq64(buf: Uint8Array, at: number, end: number, out: Vlq): boolean {
  let lo = 0;
  for (let i = 0; i < 9; i++) {
    if (at + i >= end) break;
    const b = buf[at + i]!;
    if (i === 8) {
      lo = ((lo << 8) | b) >>> 0;
      out.low32 = out.value = lo;
      out.size = 9;
      return true;
    }
    lo = ((lo << 7) | (b & 0x7f)) >>> 0;
    if ((b & 0x80) === 0) {
      out.low32 = out.value = lo;
      out.size = i + 1;
      return true;
    }
  }
  out.size = 0;
  return false;
}

export const FrameStatus = {
  Ok: 0,
  /** not 0x72 */
  NotS7Plus: 1,
  /** too short, unknown version, or the length overruns the payload */
  Malformed: 2,
} as const;
export type FrameStatus = (typeof FrameStatus)[keyof typeof FrameStatus];

/** One S7comm-plus frame inside a COTP payload. Reused. */
export class PlusFrame {
  version = 0;
  /** data part (after the V3 integrity part) */
  dataOff = 0;
  dataLen = 0;
  hasTrailer = false;
  keepAlive = false;

  clear(): void {
    this.version = 0;
    this.dataOff = 0;
    this.dataLen = 0;
    this.hasTrailer = false;
    this.keepAlive = false;
  }
}

export function decodeFrame(buf: Uint8Array, off: number, len: number, out: PlusFrame): FrameStatus {
  out.clear();
  if (len < 1 || buf[off] !== S7PLUS_PROTOCOL_ID) return FrameStatus.NotS7Plus;
  if (len < HEADER_LEN) return FrameStatus.Malformed;
  const version = buf[off + 1]!;
  out.version = version;
  if (version === Version.KeepAlive) {
    out.keepAlive = true;
    return FrameStatus.Ok;
  }
  if (version !== Version.V1 && version !== Version.V2 && version !== Version.V3 && version !== Version.ExtKeepAlive) {
    return FrameStatus.Malformed;
  }
  const dlen = u16(buf, off + 2);
  if (HEADER_LEN + dlen > len) return FrameStatus.Malformed;
  out.hasTrailer = len >= HEADER_LEN + dlen + TRAILER_LEN && buf[off + HEADER_LEN + dlen] === S7PLUS_PROTOCOL_ID;
  if (version === Version.ExtKeepAlive) {
    out.keepAlive = true;
    out.dataOff = off + HEADER_LEN;
    out.dataLen = dlen;
    return FrameStatus.Ok;
  }
  let dataOff = off + HEADER_LEN;
  let dataLen = dlen;
  if (version === Version.V3 && dataLen >= 1) {
    // Integrity part first; every fragment of a V3 message carries its own.
    const digestLen = buf[dataOff]!;
    if (1 + digestLen > dataLen) return FrameStatus.Malformed;
    dataOff += 1 + digestLen;
    dataLen -= 1 + digestLen;
  }
  out.dataOff = dataOff;
  out.dataLen = dataLen;
  return FrameStatus.Ok;
}

/** The fixed head of a data part, and what the body told about the request/response. Reused. */
export class DataHeader {
  opcode = 0;
  func = 0;
  seq = 0;
  /** request only, -1 otherwise */
  sessionId = -1;
  transportFlags = 0;
  bodyOff = 0;
  bodyEnd = 0;

  clear(): void {
    this.opcode = 0;
    this.func = 0;
    this.seq = 0;
    this.sessionId = -1;
    this.transportFlags = 0;
    this.bodyOff = 0;
    this.bodyEnd = 0;
  }
}

/** Header of a data part; false when too short or the opcode is unknown. Notifications only fill `opcode`. */
export function decodeDataHeader(buf: Uint8Array, off: number, len: number, out: DataHeader): boolean {
  out.clear();
  if (len < 1) return false;
  const end = off + len;
  const op = buf[off]!;
  out.opcode = op;
  if (op === Opcode.Notification) {
    out.bodyOff = off + 1;
    out.bodyEnd = end;
    return true;
  }
  if (op !== Opcode.Request && op !== Opcode.Response && op !== Opcode.Response2) return false;
  if (len < 9) return false;
  out.func = u16(buf, off + 3);
  out.seq = u16(buf, off + 7);
  let p = off + 9;
  if (op === Opcode.Request) {
    if (p + 5 > end) return false;
    out.sessionId = u32(buf, p);
    p += 4;
  } else if (p + 1 > end) {
    return false;
  }
  out.transportFlags = buf[p]!;
  out.bodyOff = p + 1;
  out.bodyEnd = end;
  return true;
}

/** What a request body says (every field optional: -1 / '' when not found). Reused. */
export class RequestInfo {
  /** object id the request targets (SetVariable, object-form SetMultiVariables, DeleteObject, Explore, ...) */
  objectId = -1;
  /** CreateObject: class id of the object being created */
  classId = -1;
  /** CreateObject: the container / request id */
  requestId = -1;
  /** first attribute / address id */
  firstAddress = -1;
  /** a written attribute is the CPU operating-state request / the session key */
  writesOperatingState = false;
  writesSessionKey = false;
  /** value written to the operating state, -1 when not a decodable integer */
  operatingState = -1;
  itemCount = -1;
  /** "DB2", "M", ... for variable-list reads/writes */
  area = '';

  clear(): void {
    this.objectId = -1;
    this.classId = -1;
    this.requestId = -1;
    this.firstAddress = -1;
    this.writesOperatingState = false;
    this.writesSessionKey = false;
    this.operatingState = -1;
    this.itemCount = -1;
    this.area = '';
  }
}

const vlq = new Vlq();
const vlq2 = new Vlq();

/** Area name of an item address' access area id (0x8a0eNNNN = DB NNNN; 80..84 = I/Q/M/C/T; native objects). */
export function areaName(id: number): string {
  if (id >= 0x8a0e0000 && id <= 0x8a0effff) return `DB${id & 0xffff}`;
  switch (id) {
    case 80: return 'I';
    case 81: return 'Q';
    case 82: return 'M';
    case 83: return 'C';
    case 84: return 'T';
    case 48: return 'CPU';
    case 50: return 'CPUcommon';
    case 52: return 'CPUexecUnit';
    default: return `id-${id}`;
  }
}

/**
 * Small integer value (flags u8, datatype u8, value) as written by SetVariable; -1 when not a plain integer.
 * Datatypes: 1 Bool, 2 USInt, 3 UInt, 4 UDInt (VLQ), 6 SInt, 7 Int, 8 DInt (signed VLQ), 0x0a Byte, 0x0b Word,
 * 0x0c DWord.
 */
export function readIntegerValue(buf: Uint8Array, at: number, end: number): number {
  if (at + 2 >= end) return -1;
  if (buf[at] !== 0) return -1; // arrays and other flagged values are not an operating state
  const type = buf[at + 1]!;
  const v = at + 2;
  switch (type) {
    case 0x01:
    case 0x02:
    case 0x0a:
      return buf[v]!;
    case 0x06:
      return (buf[v]! << 24) >> 24;
    case 0x03:
    case 0x0b:
      return v + 2 <= end ? u16(buf, v) : -1;
    case 0x07:
      return v + 2 <= end ? (u16(buf, v) << 16) >> 16 : -1;
    case 0x0c:
      return v + 4 <= end ? u32(buf, v) : -1;
    case 0x04:
      return readVlq32(buf, v, end, vlq2) ? vlq2.value : -1;
    case 0x08:
      return readVlqSigned32(buf, v, end, vlq2) ? vlq2.value : -1;
    default:
      return -1;
  }
}

/** Bytes a scalar value (flags 0) occupies at buf[at], or -1 when not a scalar we can skip. */
function scalarValueSize(buf: Uint8Array, at: number, end: number): number {
  if (at + 2 > end || buf[at] !== 0) return -1;
  const type = buf[at + 1]!;
  const v = at + 2;
  switch (type) {
    case 0x00: return 2;
    case 0x01: case 0x02: case 0x06: case 0x0a: return 3;
    case 0x03: case 0x07: case 0x0b: return 4;
    case 0x0c: case 0x0e: case 0x12: return 6;
    case 0x0d: case 0x0f: case 0x10: return 10;
    case 0x04: case 0x08: case 0x13:
      return readVlq32(buf, v, end, vlq2) ? 2 + vlq2.size : -1;
    case 0x05: case 0x09: case 0x11:
      return readVlq64(buf, v, end, vlq2) ? 2 + vlq2.size : -1;
    default: return -1;
  }
}

/** First item address of a variable list (crc, access area, LID count, ...): the area name. */
function firstItemArea(buf: Uint8Array, p: number, end: number): string {
  if (!readVlq32(buf, p, end, vlq)) return '';
  p += vlq.size; // symbol CRC
  if (!readVlq32(buf, p, end, vlq)) return '';
  return areaName(vlq.value);
}

/** Describe a request body (function-specific, best effort; unknown layouts leave fields at their defaults). */
export function describeRequest(buf: Uint8Array, h: DataHeader, version: number, out: RequestInfo): void {
  out.clear();
  let p = h.bodyOff;
  const end = h.bodyEnd;
  switch (h.func) {
    case Func.SetVariable: {
      if (p + 4 > end) return;
      out.objectId = u32(buf, p);
      p += 4;
      if (!readVlq32(buf, p, end, vlq)) return;
      const addrCount = vlq.value;
      p += vlq.size;
      // Address ids; a 0 id is followed by a raw value length and counts for two entries.
      for (let i = 1; i <= addrCount && i <= 64; i++) {
        if (!readVlq32(buf, p, end, vlq)) return;
        p += vlq.size;
        const id = vlq.value;
        if (i === 1) out.firstAddress = id;
        if (id === Id.CpuExecUnitOperatingStateReq) out.writesOperatingState = true;
        if (id === Id.SessionKey) out.writesSessionKey = true;
        if (id === 0) {
          if (!readVlq32(buf, p, end, vlq)) return;
          p += vlq.size;
          i++;
        }
      }
      if (out.writesOperatingState) out.operatingState = readIntegerValue(buf, p, end);
      return;
    }
    case Func.SetMultiVariables:
    case Func.GetMultiVariables: {
      if (p + 4 > end) return;
      const first = u32(buf, p);
      p += 4;
      if (!readVlq32(buf, p, end, vlq)) return;
      out.itemCount = vlq.value;
      p += vlq.size;
      if (first === 0) {
        // Variable list: number of address fields, then the item addresses.
        if (!readVlq32(buf, p, end, vlq)) return;
        p += vlq.size;
        out.area = firstItemArea(buf, p, end);
        return;
      }
      // Object form: the first 4 bytes are an object id (write) or a link id (read), then attribute ids.
      out.objectId = first;
      if (h.func === Func.GetMultiVariables) return;
      if (!readVlq32(buf, p, end, vlq)) return;
      const addrCount = vlq.value;
      p += vlq.size;
      for (let i = 0; i < addrCount && i < 64; i++) {
        if (!readVlq32(buf, p, end, vlq)) return;
        p += vlq.size;
        if (i === 0) out.firstAddress = vlq.value;
        if (vlq.value === Id.CpuExecUnitOperatingStateReq) out.writesOperatingState = true;
        if (vlq.value === Id.SessionKey) out.writesSessionKey = true;
      }
      if (out.writesOperatingState && addrCount === 1 && out.itemCount === 1) {
        // value list: item number (VLQ), then the value
        if (readVlq32(buf, p, end, vlq)) out.operatingState = readIntegerValue(buf, p + vlq.size, end);
      }
      return;
    }
    case Func.CreateObject: {
      if (p + 4 > end) return;
      out.requestId = u32(buf, p);
      p += 4;
      out.classId = createdClassId(buf, p, end, version);
      return;
    }
    case Func.DeleteObject:
    case Func.GetVariable:
    case Func.Explore:
    case Func.Invoke:
    case Func.GetVarSubStreamed:
    case Func.SetVarSubStreamed:
      if (p + 4 <= end) out.objectId = u32(buf, p);
      return;
  }
}

/** Class id of the object a CreateObject request creates (the first 0xa1 start-of-object element). */
function createdClassId(buf: Uint8Array, p: number, end: number, version: number): number {
  let at = -1;
  const size = scalarValueSize(buf, p, end);
  if (size > 0) {
    let q = p + size + 4; // value, then 4 reserved bytes
    if (q < end && buf[q] !== 0xa1 && version !== Version.V1 && readVlq32(buf, q, end, vlq)) q += vlq.size;
    if (q < end && buf[q] === 0xa1) at = q;
  }
  if (at < 0) {
    // Unusual value: fall back to the first start-of-object element close to the start.
    const limit = Math.min(end, p + 48);
    for (let q = p; q < limit; q++) {
      if (buf[q] === 0xa1) {
        at = q;
        break;
      }
    }
  }
  if (at < 0 || at + 5 >= end) return -1;
  return readVlq32(buf, at + 5, end, vlq) ? vlq.value : -1;
}

/** What a response body says. Reused. */
export class ResponseInfo {
  /** signed 16-bit error code of the return value (negative = failure); 0 when absent */
  errorCode = 0;
  hasReturnValue = false;
  /** CreateObject: first object id created (the new session id for a ServerSession) */
  createdObjectId = -1;
  /** where the rest of the body starts (after the fields above) */
  restOff = 0;

  clear(): void {
    this.errorCode = 0;
    this.hasReturnValue = false;
    this.createdObjectId = -1;
    this.restOff = 0;
  }
}

export function describeResponse(buf: Uint8Array, h: DataHeader, out: ResponseInfo): void {
  out.clear();
  let p = h.bodyOff;
  const end = h.bodyEnd;
  out.restOff = p;
  if (!readVlq64(buf, p, end, vlq)) return;
  out.hasReturnValue = true;
  out.errorCode = (vlq.low32 << 16) >> 16;
  p += vlq.size;
  out.restOff = p;
  if (h.func === Func.CreateObject && p < end) {
    const count = buf[p]!;
    p += 1;
    if (count > 0 && readVlq32(buf, p, end, vlq)) {
      out.createdObjectId = vlq.value;
      p += vlq.size;
      for (let i = 1; i < count; i++) {
        if (!readVlq32(buf, p, end, vlq)) break;
        p += vlq.size;
      }
    }
    out.restOff = p;
  }
}

const ORDER_NUMBER = /6ES7 ?\d{3}-\d[A-Z]{2}\d{2}-\d[A-Z]{2}\d/;
const FIRMWARE_AFTER = /^ ?;V(\d+\.\d+(?:\.\d+)?)/;

/** Identity strings in a session CreateObject response ("1;6ES7 511-1AK00-0AB0;V1.0" = ServerSessionVersion). */
export interface PlcIdentity {
  orderNumber: string;
  firmware: string;
}

/**
 * Finds the PLC's order number, and the firmware following it in the same ";"-separated string, in
 * buf[off..end). Only runs the regexes when the "6ES7" prefix is present, so the usual response costs a scan.
 */
export function findPlcIdentity(buf: Buffer, off: number, end: number): PlcIdentity | null {
  for (let p = off; p + 4 <= end; p++) {
    if (buf[p] !== 0x36 || buf[p + 1] !== 0x45 || buf[p + 2] !== 0x53 || buf[p + 3] !== 0x37) continue; // "6ES7"
    let q = p;
    while (q < end && q - p < 64 && buf[q]! >= 0x20 && buf[q]! < 0x7f) q++;
    const text = buf.toString('latin1', p, q);
    const m = ORDER_NUMBER.exec(text);
    if (!m || m.index !== 0) continue;
    const fw = FIRMWARE_AFTER.exec(text.slice(m[0].length));
    return { orderNumber: m[0], firmware: fw ? `V${fw[1]}` : '' };
  }
  return null;
}

/** A COTP payload that is a TLS record (content type 20..23, version 3.x): S7comm-plus V3 after the TLS switch. */
export function isTlsRecord(buf: Uint8Array, off: number, len: number): boolean {
  if (len < 5) return false;
  const type = buf[off]!;
  return type >= 0x14 && type <= 0x17 && buf[off + 1] === 0x03 && buf[off + 2]! <= 0x04;
}
