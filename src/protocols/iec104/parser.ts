/**
 * Pure IEC 60870-5-104 APDU framing and decoding. No state, no allocation: `parseApdu` fills a caller-owned
 * Apdu. Framing tells "need more bytes" (0) from "these bytes cannot start an APDU" (-1).
 */
import { ELEMENT_SIZES, selectExecuteOffset } from './names.js';

export const START_BYTE = 0x68;
/** The APDU length octet counts the 4 control octets plus the ASDU; at most 253 (IEC 60870-5-104 §5.1). */
export const MAX_APDU_LENGTH = 253;
const ASDU_HEADER = 6; // type, VSQ, COT (2), common address (2)

export const Format = { I: 0, S: 1, U: 2 } as const;

/** Valid U-format control octets (STARTDT/STOPDT/TESTFR act/con). */
function isUControl(c: number): boolean {
  return c === 0x07 || c === 0x0b || c === 0x13 || c === 0x23 || c === 0x43 || c === 0x83;
}

/**
 * Length of the whole APDU (start byte and length octet included) that starts at buf[off], 0 when more bytes
 * are needed to tell, -1 when buf[off] cannot start an APDU.
 */
export function frameApdu(buf: Uint8Array, off: number, len: number): number {
  if (len < 1) return 0;
  if (buf[off] !== START_BYTE) return -1;
  if (len < 2) return 0;
  const length = buf[off + 1]!;
  if (length < 4 || length > MAX_APDU_LENGTH) return -1;
  if (len < 3) return 0;
  const c1 = buf[off + 2]!;
  if ((c1 & 0x01) === 0) {
    if (length < 4 + ASDU_HEADER) return -1;
  } else if ((c1 & 0x03) === 0x01) {
    if (length !== 4 || c1 !== 0x01) return -1;
  } else {
    if (length !== 4 || !isUControl(c1)) return -1;
  }
  if (len < 2 + length) return 0;
  // U and S formats carry no send sequence number: those octets must be zero.
  if ((c1 & 0x03) === 0x03 && (buf[off + 3]! | buf[off + 4]! | buf[off + 5]!) !== 0) return -1;
  if ((c1 & 0x03) === 0x01 && buf[off + 3] !== 0) return -1;
  return 2 + length;
}

export class Apdu {
  format: number = Format.I;
  /** U format: tshark's utype (control octet >> 2): 1 STARTDT act, 2 con, 4 STOPDT act, 8 con, 0x10 TESTFR act, 0x20 con */
  uCode = 0;
  sendSeq = 0;
  recvSeq = 0;
  typeId = 0;
  sequence = false;
  objects = 0;
  cot = 0;
  negative = false;
  test = false;
  originator = 0;
  commonAddress = 0;
  /** IOA of the first information object, -1 when the ASDU has none */
  firstIoa = -1;
  /** 1 select, 0 execute, -1 not a select/execute command */
  select = -1;
  /** false when the ASDU's declared objects do not match its length */
  wellFormed = true;
}

/** Decodes a framed APDU (as returned by frameApdu) into `out`. */
export function parseApdu(buf: Uint8Array, off: number, total: number, out: Apdu): void {
  const c1 = buf[off + 2]!;
  out.select = -1;
  out.firstIoa = -1;
  out.wellFormed = true;
  out.typeId = 0;
  if ((c1 & 0x03) === 0x03) {
    out.format = Format.U;
    out.uCode = c1 >> 2;
    return;
  }
  if ((c1 & 0x03) === 0x01) {
    out.format = Format.S;
    out.recvSeq = (buf[off + 4]! | (buf[off + 5]! << 8)) >> 1;
    return;
  }
  out.format = Format.I;
  out.sendSeq = (c1 | (buf[off + 3]! << 8)) >> 1;
  out.recvSeq = (buf[off + 4]! | (buf[off + 5]! << 8)) >> 1;
  const a = off + 6;
  const asduLen = total - 6;
  out.typeId = buf[a]!;
  const vsq = buf[a + 1]!;
  out.sequence = (vsq & 0x80) !== 0;
  out.objects = vsq & 0x7f;
  const cotOctet = buf[a + 2]!;
  out.cot = cotOctet & 0x3f;
  out.negative = (cotOctet & 0x40) !== 0;
  out.test = (cotOctet & 0x80) !== 0;
  out.originator = buf[a + 3]!;
  out.commonAddress = buf[a + 4]! | (buf[a + 5]! << 8);
  const body = asduLen - ASDU_HEADER;
  if (out.objects > 0 && body >= 3) out.firstIoa = buf[a + 6]! | (buf[a + 7]! << 8) | (buf[a + 8]! << 16);
  const size = ELEMENT_SIZES[out.typeId];
  if (size === undefined) {
    out.wellFormed = false;
    return;
  }
  const expected = out.objects === 0 ? 0 : out.sequence ? 3 + out.objects * size : out.objects * (3 + size);
  out.wellFormed = expected === body;
  const seOffset = selectExecuteOffset(out.typeId);
  if (seOffset >= 0 && out.objects > 0 && body >= 3 + seOffset + 1) out.select = (buf[a + 9 + seOffset]! & 0x80) !== 0 ? 1 : 0;
}
