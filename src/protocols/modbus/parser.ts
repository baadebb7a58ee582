/**
 * Modbus/TCP framing and PDU decoding. Pure: no flow state, no events, no allocation on the per-ADU path
 * (decoders fill caller-owned scratch records). Every read is bounds-checked against the lengths given;
 * nothing here throws on bad input.
 *
 * ADU = MBAP header (transaction id u16, protocol id u16 == 0, length u16 = unit id + PDU, unit id u8) + PDU
 * (function code u8 + data). All multi-byte fields are big-endian.
 */
import {
  FC,
  isPlausibleFunctionCode,
  MEI_READ_DEVICE_IDENTIFICATION,
  UMAS_RESPONSE_ERROR,
  UMAS_RESPONSE_OK,
} from './names.js';

export const MBAP_HEADER_LEN = 7;
/** Smallest ADU that carries a function code. */
export const MIN_ADU_LEN = 8;
/** MBAP length field bounds: unit id + function code at least; the spec's maximum is 254, we allow some slack. */
export const MIN_MBAP_LENGTH = 2;
export const MAX_MBAP_LENGTH = 260;
/** Largest ADU the framer accepts (6 header bytes before the length-counted part). */
export const MAX_ADU_LEN = 6 + MAX_MBAP_LENGTH;

/** frameAdu results besides a positive ADU length. */
export const Frame = {
  /** Not enough bytes yet to know (header incomplete) or to hold the whole ADU. */
  Incomplete: 0,
  /** The header cannot be Modbus/TCP (protocol id != 0, length out of range). */
  Malformed: -1,
} as const;

function u16(buf: Uint8Array, at: number): number {
  return (buf[at]! << 8) | buf[at + 1]!;
}

/**
 * Frame the ADU starting at buf[off] with `avail` bytes available: its total length, Frame.Incomplete or
 * Frame.Malformed. The function code is not checked here: a well-framed ADU with an odd code is still one ADU.
 */
export function frameAdu(buf: Uint8Array, off: number, avail: number): number {
  if (avail < MBAP_HEADER_LEN) {
    // Reject early what can already be rejected: the protocol id bytes.
    if (avail > 2 && buf[off + 2] !== 0) return Frame.Malformed;
    if (avail > 3 && buf[off + 3] !== 0) return Frame.Malformed;
    return Frame.Incomplete;
  }
  if (buf[off + 2] !== 0 || buf[off + 3] !== 0) return Frame.Malformed;
  const length = u16(buf, off + 4);
  if (length < MIN_MBAP_LENGTH || length > MAX_MBAP_LENGTH) return Frame.Malformed;
  const total = 6 + length;
  return avail >= total ? total : Frame.Incomplete;
}

/** Header + function code look like Modbus/TCP (needs MIN_ADU_LEN bytes). */
export function isPlausibleHeader(buf: Uint8Array, off: number, avail: number): boolean {
  if (avail < MIN_ADU_LEN) return false;
  if (buf[off + 2] !== 0 || buf[off + 3] !== 0) return false;
  const length = u16(buf, off + 4);
  if (length < MIN_MBAP_LENGTH || length > MAX_MBAP_LENGTH) return false;
  return isPlausibleFunctionCode(buf[off + 7]!);
}

/** What follows an ADU ending at `next` is consistent with another ADU (or with nothing). */
function followerConsistent(buf: Uint8Array, next: number, end: number): boolean {
  const rest = end - next;
  if (rest <= 0) return true;
  if (rest >= MIN_ADU_LEN) return isPlausibleHeader(buf, next, rest);
  return frameAdu(buf, next, rest) !== Frame.Malformed;
}

/**
 * Resync: the absolute offset in [off, off+avail] of the first plausible ADU start, checking that the bytes
 * after that ADU (when present) also look like an ADU. When none is found, the offset where fewer than
 * MIN_ADU_LEN bytes remain is returned: that tail may be the start of a header and is kept for the next data.
 */
export function findResyncOffset(buf: Uint8Array, off: number, avail: number): number {
  const end = off + avail;
  let at = off;
  for (; end - at >= MIN_ADU_LEN; at++) {
    if (!isPlausibleHeader(buf, at, end - at)) continue;
    const next = at + 6 + u16(buf, at + 4);
    if (next > end || followerConsistent(buf, next, end)) return at;
  }
  return at;
}

// ------------------------------------------------------------------------------------------ role shapes

export const CAN_BE_REQUEST = 1;
export const CAN_BE_RESPONSE = 2;

/**
 * Which roles the PDU's length/shape allows (bitmask of CAN_BE_REQUEST / CAN_BE_RESPONSE). Used to tell a
 * request from a response independently of direction, to fix guessed client/server sides and to recognise
 * responses sent by the flow's initiator.
 */
export function classifyPdu(buf: Uint8Array, pduOff: number, pduLen: number): number {
  if (pduLen < 1) return 0;
  const fc = buf[pduOff]!;
  // Requests never carry the exception bit, whatever their length.
  if (fc & 0x80) return CAN_BE_RESPONSE;
  const b1 = pduLen > 1 ? buf[pduOff + 1]! : -1;
  let mask = 0;
  switch (fc) {
    case FC.ReadCoils:
    case FC.ReadDiscreteInputs:
    case FC.ReadHoldingRegisters:
    case FC.ReadInputRegisters:
      if (pduLen === 5) mask |= CAN_BE_REQUEST;
      if (b1 >= 1 && pduLen === 2 + b1) mask |= CAN_BE_RESPONSE;
      return mask;
    case FC.WriteSingleCoil:
    case FC.WriteSingleRegister:
      return pduLen === 5 ? CAN_BE_REQUEST | CAN_BE_RESPONSE : 0;
    case FC.ReadExceptionStatus:
      return pduLen === 1 ? CAN_BE_REQUEST : pduLen === 2 ? CAN_BE_RESPONSE : 0;
    case FC.GetCommEventCounter:
      return pduLen === 1 ? CAN_BE_REQUEST : pduLen === 5 ? CAN_BE_RESPONSE : 0;
    case FC.GetCommEventLog:
      return pduLen === 1 ? CAN_BE_REQUEST : b1 >= 6 && pduLen === 2 + b1 ? CAN_BE_RESPONSE : 0;
    case FC.ReportServerId:
      return pduLen === 1 ? CAN_BE_REQUEST : b1 >= 1 && pduLen === 2 + b1 ? CAN_BE_RESPONSE : 0;
    case FC.WriteMultipleCoils:
    case FC.WriteMultipleRegisters:
      if (pduLen >= 7 && pduLen === 6 + buf[pduOff + 5]!) mask |= CAN_BE_REQUEST;
      if (pduLen === 5) mask |= CAN_BE_RESPONSE;
      return mask;
    case FC.ReadWriteMultipleRegisters:
      if (pduLen >= 11 && pduLen === 10 + buf[pduOff + 9]!) mask |= CAN_BE_REQUEST;
      if (b1 >= 2 && pduLen === 2 + b1) mask |= CAN_BE_RESPONSE;
      return mask;
    case FC.ReadFifoQueue:
      if (pduLen === 3) mask |= CAN_BE_REQUEST;
      if (pduLen >= 5 && pduLen === 3 + u16(buf, pduOff + 1)) mask |= CAN_BE_RESPONSE;
      return mask;
    case FC.EncapsulatedInterfaceTransport:
      if (b1 === MEI_READ_DEVICE_IDENTIFICATION) {
        // A response has at least 7 bytes before its objects; requests are 4 (some tools pad them).
        if (pduLen >= 4 && pduLen < 7) return CAN_BE_REQUEST;
        return pduLen >= 7 ? CAN_BE_RESPONSE : 0;
      }
      return CAN_BE_REQUEST | CAN_BE_RESPONSE;
    case FC.Umas: {
      if (pduLen < 3) return 0;
      const status = buf[pduOff + 2]!;
      return status === UMAS_RESPONSE_OK || status === UMAS_RESPONSE_ERROR ? CAN_BE_RESPONSE : CAN_BE_REQUEST;
    }
    default:
      return CAN_BE_REQUEST | CAN_BE_RESPONSE;
  }
}

// ------------------------------------------------------------------------------------------ PDU decode

/** Decoded request fields; -1 = absent. Reused: decodeRequest overwrites every field. */
export class RequestFields {
  fc = 0;
  /** FC 8 sub-function, FC 43 MEI type */
  subCode = -1;
  address = -1;
  quantity = -1;
  dataBytes = -1;
  /** FC 43/14 read device id code, FC 20/21 file number */
  extra = -1;
  umasFunction = -1;
  /** The PDU is shorter/longer than its function code requires (fields decoded as far as possible). */
  malformed = false;
}

/** Decoded response fields; -1 = absent. */
export class ResponseFields {
  /** function code without the exception bit */
  fc = 0;
  exceptionCode = -1;
  subCode = -1;
  address = -1;
  quantity = -1;
  dataBytes = -1;
  umasStatus = -1;
  malformed = false;
}

/** Decode a request PDU (buf[pduOff..pduOff+pduLen), pduLen >= 1). */
export function decodeRequest(buf: Uint8Array, pduOff: number, pduLen: number, out: RequestFields): void {
  const fc = buf[pduOff]!;
  out.fc = fc;
  out.subCode = -1;
  out.address = -1;
  out.quantity = -1;
  out.dataBytes = -1;
  out.extra = -1;
  out.umasFunction = -1;
  out.malformed = false;
  const p = pduOff + 1;
  const n = pduLen - 1; // bytes after the function code
  switch (fc) {
    case FC.ReadCoils:
    case FC.ReadDiscreteInputs:
    case FC.ReadHoldingRegisters:
    case FC.ReadInputRegisters:
      if (n >= 2) out.address = u16(buf, p);
      if (n >= 4) out.quantity = u16(buf, p + 2);
      out.malformed = n !== 4;
      return;
    case FC.WriteSingleCoil:
    case FC.WriteSingleRegister:
      if (n >= 2) out.address = u16(buf, p);
      out.quantity = 1;
      if (n >= 4) out.dataBytes = 2;
      out.malformed = n !== 4;
      return;
    case FC.WriteMultipleCoils:
    case FC.WriteMultipleRegisters:
      if (n >= 2) out.address = u16(buf, p);
      if (n >= 4) out.quantity = u16(buf, p + 2);
      if (n >= 5) out.dataBytes = buf[p + 4]!;
      out.malformed = n < 5 || n !== 5 + buf[p + 4]!;
      return;
    case FC.MaskWriteRegister:
      if (n >= 2) out.address = u16(buf, p);
      out.quantity = 1;
      if (n >= 6) out.dataBytes = 4;
      out.malformed = n !== 6;
      return;
    case FC.ReadWriteMultipleRegisters:
      // The write half is what changes the device: report it (the read half is in the response size).
      if (n >= 6) out.address = u16(buf, p + 4);
      if (n >= 8) out.quantity = u16(buf, p + 6);
      if (n >= 9) out.dataBytes = buf[p + 8]!;
      out.malformed = n < 9 || n !== 9 + buf[p + 8]!;
      return;
    case FC.ReadFifoQueue:
      if (n >= 2) out.address = u16(buf, p);
      out.malformed = n !== 2;
      return;
    case FC.Diagnostics:
      if (n >= 2) out.subCode = u16(buf, p);
      out.malformed = n < 2;
      return;
    case FC.ReadFileRecord:
    case FC.WriteFileRecord:
      decodeFileRecordRequest(buf, p, n, fc === FC.WriteFileRecord, out);
      return;
    case FC.EncapsulatedInterfaceTransport:
      if (n >= 1) out.subCode = buf[p]!;
      if (out.subCode === MEI_READ_DEVICE_IDENTIFICATION) {
        if (n >= 2) out.extra = buf[p + 1]!;
        if (n >= 3) out.address = buf[p + 2]!;
        out.malformed = n !== 3;
      } else {
        out.malformed = n < 1;
      }
      return;
    case FC.Umas:
      // [session key][UMAS function][data...]
      if (n >= 2) {
        out.umasFunction = buf[p + 1]!;
        out.dataBytes = n - 2;
      }
      out.malformed = n < 2;
      return;
    default:
      return;
  }
}

/**
 * FC 20/21 request: byte count, then 7-byte sub-requests (reference type 6, file number, record number,
 * record length in registers) — followed, for writes, by the record data. The first sub-request names the
 * file/record; quantity and dataBytes sum over all of them.
 */
function decodeFileRecordRequest(buf: Uint8Array, p: number, n: number, isWrite: boolean, out: RequestFields): void {
  if (n < 1) {
    out.malformed = true;
    return;
  }
  const byteCount = buf[p]!;
  const end = p + 1 + Math.min(byteCount, n - 1);
  let at = p + 1;
  let registers = 0;
  let groups = 0;
  while (end - at >= 7) {
    if (buf[at] !== 6) out.malformed = true;
    const length = u16(buf, at + 5);
    if (groups === 0) {
      out.extra = u16(buf, at + 1);
      out.address = u16(buf, at + 3);
    }
    registers += length;
    groups++;
    at += 7;
    if (isWrite) at += length * 2;
  }
  if (groups === 0 || at !== end || byteCount !== n - 1) out.malformed = true;
  out.quantity = groups > 0 ? registers : -1;
  if (isWrite) out.dataBytes = registers * 2;
}

/** Decode a response PDU (pduLen >= 1). */
export function decodeResponse(buf: Uint8Array, pduOff: number, pduLen: number, out: ResponseFields): void {
  const raw = buf[pduOff]!;
  const fc = raw & 0x7f;
  out.fc = fc;
  out.exceptionCode = -1;
  out.subCode = -1;
  out.address = -1;
  out.quantity = -1;
  out.dataBytes = -1;
  out.umasStatus = -1;
  out.malformed = false;
  const p = pduOff + 1;
  const n = pduLen - 1;
  if (raw & 0x80) {
    if (n >= 1) out.exceptionCode = buf[p]!;
    out.malformed = n !== 1;
    return;
  }
  switch (fc) {
    case FC.ReadCoils:
    case FC.ReadDiscreteInputs:
    case FC.ReadHoldingRegisters:
    case FC.ReadInputRegisters:
    case FC.ReadWriteMultipleRegisters:
    case FC.ReportServerId:
    case FC.GetCommEventLog:
    case FC.ReadFileRecord:
    case FC.WriteFileRecord:
      if (n >= 1) out.dataBytes = buf[p]!;
      out.malformed = n < 1 || n !== 1 + buf[p]!;
      return;
    case FC.WriteSingleCoil:
    case FC.WriteSingleRegister:
      if (n >= 2) out.address = u16(buf, p);
      out.malformed = n !== 4;
      return;
    case FC.WriteMultipleCoils:
    case FC.WriteMultipleRegisters:
      if (n >= 2) out.address = u16(buf, p);
      if (n >= 4) out.quantity = u16(buf, p + 2);
      out.malformed = n !== 4;
      return;
    case FC.MaskWriteRegister:
      if (n >= 2) out.address = u16(buf, p);
      out.malformed = n !== 6;
      return;
    case FC.Diagnostics:
      if (n >= 2) out.subCode = u16(buf, p);
      out.malformed = n < 2;
      return;
    case FC.EncapsulatedInterfaceTransport:
      if (n >= 1) out.subCode = buf[p]!;
      out.malformed = n < 1;
      return;
    case FC.Umas:
      // [session key][0xFE ok | 0xFD error][data...]
      if (n >= 2) {
        out.umasStatus = buf[p + 1]!;
        out.dataBytes = n - 2;
      }
      out.malformed = n < 2;
      return;
    default:
      return;
  }
}

// ------------------------------------------------------------------------------------------ identification

/** Receives the objects of a Read Device Identification response (valid only during the call). */
export interface DeviceIdObjectVisitor {
  onDeviceIdObject(objectId: number, buf: Uint8Array, valueOff: number, valueLen: number): void;
}

/**
 * Walk the objects of a 43/14 response PDU: [0x2B, 0x0E, read dev id code, conformity level, more follows,
 * next object id, number of objects, {id, length, value}...]. Returns the number of objects visited, or -1
 * when the PDU is too short or an object overruns it (objects before the overrun are still visited).
 */
export function visitDeviceIdObjects(
  buf: Uint8Array,
  pduOff: number,
  pduLen: number,
  visitor: DeviceIdObjectVisitor,
): number {
  if (pduLen < 7 || buf[pduOff + 1] !== MEI_READ_DEVICE_IDENTIFICATION) return -1;
  const count = buf[pduOff + 6]!;
  const end = pduOff + pduLen;
  let at = pduOff + 7;
  for (let i = 0; i < count; i++) {
    if (end - at < 2) return -1;
    const id = buf[at]!;
    const len = buf[at + 1]!;
    if (end - at - 2 < len) return -1;
    visitor.onDeviceIdObject(id, buf, at + 2, len);
    at += 2 + len;
  }
  return count;
}

/** Printable text of a field: control/non-ASCII bytes become spaces, runs collapse, ends trimmed. */
export function asciiText(buf: Uint8Array, off: number, len: number): string {
  let out = '';
  let pendingSpace = false;
  for (let i = off; i < off + len; i++) {
    const c = buf[i]!;
    if (c > 0x20 && c < 0x7f) {
      if (pendingSpace && out.length > 0) out += ' ';
      pendingSpace = false;
      out += String.fromCharCode(c);
    } else {
      pendingSpace = true;
    }
  }
  return out;
}

/**
 * FC 17 response: [0x11, byte count, server id (device-specific length), run indicator 0x00/0xFF, additional
 * data]. The split between id and additional data is device-specific, so we take the longest printable run
 * of at least 4 characters as the device's self-description ('' when there is none).
 */
export function reportServerIdText(buf: Uint8Array, pduOff: number, pduLen: number): string {
  if (pduLen < 3) return '';
  const end = pduOff + Math.min(pduLen, 2 + buf[pduOff + 1]!);
  let bestStart = 0;
  let bestLen = 0;
  let runStart = -1;
  for (let i = pduOff + 2; i <= end; i++) {
    const c = i < end ? buf[i]! : 0;
    const printable = c >= 0x20 && c < 0x7f;
    if (printable && runStart < 0) runStart = i;
    if (!printable && runStart >= 0) {
      if (i - runStart > bestLen) {
        bestStart = runStart;
        bestLen = i - runStart;
      }
      runStart = -1;
    }
  }
  return bestLen >= 4 ? asciiText(buf, bestStart, bestLen) : '';
}

// ------------------------------------------------------------------------------------------ UMAS READ_ID

/**
 * UMAS READ_ID (0x02) response, offsets from the PDU start ([0x5A, session key, 0xFE, data...]); multi-byte
 * fields little-endian. No Schneider specification is public: the layout below is where the public decoders
 * agree (nmap modicon-info.nse reads the CPU module name from its length byte at PDU offset 25; the
 * hutcheb/yanissec Wireshark UMAS dissector and the FluentModbus UMAS client read the name the same way and the
 * communication firmware version as the u16 at PDU offset 11, shown by the client as "hi.lo" in hex, i.e. BCD
 * major.minor: 0x0260 is V2.60). Fields between them (range, PLC identifier, model code, patch, hardware id /
 * crash code) are read differently by each source, so we do not report them.
 */
export const UMAS_READ_ID_FIRMWARE_AT = 11;
export const UMAS_READ_ID_NAME_LENGTH_AT = 25;

/** Identity fields of a READ_ID response; reused, every field overwritten by decodeUmasReadId. */
export class UmasReadIdFields {
  /** BCD major.minor firmware (0x0340 = V3.40); -1 when absent or not BCD */
  firmware = -1;
  /** CPU module name (e.g. "BMX P34 2020") as buf[nameOff, nameOff + nameLen) */
  nameOff = 0;
  nameLen = 0;
}

function isBcdByte(b: number): boolean {
  return (b & 0x0f) <= 9 && b >> 4 <= 9;
}

/**
 * Decode a UMAS READ_ID OK response PDU (buf[pduOff, pduOff + pduLen)). Returns false when it is not an OK
 * response or is too short for the name it announces (nothing is then reported from it).
 */
export function decodeUmasReadId(buf: Uint8Array, pduOff: number, pduLen: number, out: UmasReadIdFields): boolean {
  out.firmware = -1;
  out.nameOff = 0;
  out.nameLen = 0;
  if (pduLen <= UMAS_READ_ID_NAME_LENGTH_AT || buf[pduOff] !== FC.Umas || buf[pduOff + 2] !== UMAS_RESPONSE_OK) return false;
  const nameLen = buf[pduOff + UMAS_READ_ID_NAME_LENGTH_AT]!;
  if (pduLen < UMAS_READ_ID_NAME_LENGTH_AT + 1 + nameLen) return false;
  const lo = buf[pduOff + UMAS_READ_ID_FIRMWARE_AT]!;
  const hi = buf[pduOff + UMAS_READ_ID_FIRMWARE_AT + 1]!;
  if ((hi | lo) !== 0 && isBcdByte(hi) && isBcdByte(lo)) out.firmware = (hi << 8) | lo;
  out.nameOff = pduOff + UMAS_READ_ID_NAME_LENGTH_AT + 1;
  out.nameLen = nameLen;
  return true;
}

/** 0x0340 → "V3.40" (the form Schneider's 43/14 MajorMinorRevision uses, so both sources agree). */
export function umasFirmwareText(bcd: number): string {
  const minor = bcd & 0xff;
  return `V${(bcd >> 8).toString(16)}.${minor < 0x10 ? '0' : ''}${minor.toString(16)}`;
}
