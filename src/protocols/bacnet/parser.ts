/**
 * BACnet/IP wire decoding: BVLC (Annex J), NPDU (clause 6), APDU headers (clause 20.1) and the tag encoding of
 * service parameters (clause 20.2). Every reader takes an explicit [off, end) window, checks it before each
 * byte it reads and reports a status instead of throwing. Results go into caller-owned objects reused across
 * datagrams, so decoding allocates nothing.
 */
import { APDU_TYPE, BVLC_FUNCTION } from './names.js';

export const BVLC_TYPE_IP = 0x81;
export const BVLC_TYPE_IPV6 = 0x82;
export const BVLC_HEADER = 4;

export const Status = {
  Ok: 0,
  /** not BACnet at all (wrong BVLC type, NPDU version, ...) */
  NotBacnet: 1,
  /** a length or field runs past the datagram */
  Truncated: 2,
  /** a field holds a value the standard forbids (reserved APDU type, SLEN 0, ...) */
  Invalid: 3,
} as const;
export type Status = (typeof Status)[keyof typeof Status];

// ------------------------------------------------------------------------------------------------- BVLC

export class Bvlc {
  fn = 0;
  /** declared BVLC length (whole message) */
  length = 0;
  /** offset of the NPDU for functions that carry one, else -1 */
  npduOff = -1;
  /** Forwarded-NPDU: the originating B/IP address (IPv4 as an unsigned 32-bit number) and port; -1 otherwise */
  originIp = -1;
  originPort = -1;
  /** BVLC-Result code, -1 for other functions */
  resultCode = -1;
}

/** BVLC functions carrying an NPDU after their header. */
export function bvlcCarriesNpdu(fn: number): boolean {
  return fn === BVLC_FUNCTION.ORIGINAL_UNICAST || fn === BVLC_FUNCTION.ORIGINAL_BROADCAST || fn === BVLC_FUNCTION.FORWARDED_NPDU || fn === BVLC_FUNCTION.DISTRIBUTE_BROADCAST;
}

/** Minimum BVLC length per function (header plus fixed fields). */
function bvlcMinLength(fn: number): number {
  switch (fn) {
    case BVLC_FUNCTION.RESULT:
      return 6;
    case BVLC_FUNCTION.FORWARDED_NPDU:
      return 10;
    case BVLC_FUNCTION.REGISTER_FOREIGN_DEVICE:
      return 6;
    case BVLC_FUNCTION.DELETE_FDT_ENTRY:
      return 10;
    default:
      return 4;
  }
}

/**
 * A UDP datagram is exactly one BVLC message: type 0x81, a known function, and a length equal to the
 * datagram's.
 */
export function parseBvlc(buf: Uint8Array, off: number, len: number, out: Bvlc): Status {
  out.npduOff = -1;
  out.originIp = -1;
  out.originPort = -1;
  out.resultCode = -1;
  if (len < BVLC_HEADER) return len > 0 && buf[off] !== BVLC_TYPE_IP ? Status.NotBacnet : Status.Truncated;
  if (buf[off] !== BVLC_TYPE_IP) return Status.NotBacnet;
  const fn = buf[off + 1]!;
  if (fn > BVLC_FUNCTION.SECURE_BVLL) return Status.NotBacnet;
  out.fn = fn;
  const length = (buf[off + 2]! << 8) | buf[off + 3]!;
  out.length = length;
  if (length !== len) return length > len ? Status.Truncated : Status.Invalid;
  if (length < bvlcMinLength(fn)) return Status.Truncated;
  if (fn === BVLC_FUNCTION.RESULT) out.resultCode = (buf[off + 4]! << 8) | buf[off + 5]!;
  if (fn === BVLC_FUNCTION.FORWARDED_NPDU) {
    out.originIp = ((buf[off + 4]! << 24) | (buf[off + 5]! << 16) | (buf[off + 6]! << 8) | buf[off + 7]!) >>> 0;
    out.originPort = (buf[off + 8]! << 8) | buf[off + 9]!;
    out.npduOff = off + 10;
  } else if (bvlcCarriesNpdu(fn)) {
    out.npduOff = off + BVLC_HEADER;
  }
  return Status.Ok;
}

export function ipv4Text(ip: number): string {
  return `${ip >>> 24}.${(ip >>> 16) & 0xff}.${(ip >>> 8) & 0xff}.${ip & 0xff}`;
}

// ------------------------------------------------------------------------------------------------- NPDU

export class Npdu {
  control = 0;
  /** the NSDU is a network-layer message (control bit 7) */
  networkMessage = false;
  /** -1 when absent */
  dnet = -1;
  dlen = 0;
  dadrOff = 0;
  snet = -1;
  slen = 0;
  sadrOff = 0;
  hopCount = -1;
  expectingReply = false;
  /** 0 normal, 1 urgent, 2 critical equipment, 3 life safety */
  priority = 0;
  /** network-layer message type, -1 for an APDU */
  messageType = -1;
  /** proprietary message types (>= 0x80) carry a vendor id; -1 otherwise */
  vendorId = -1;
  /** offset of the APDU or of the network message's parameters */
  payloadOff = 0;
}

export function parseNpdu(buf: Uint8Array, off: number, end: number, out: Npdu): Status {
  out.dnet = -1;
  out.snet = -1;
  out.dlen = 0;
  out.slen = 0;
  out.hopCount = -1;
  out.messageType = -1;
  out.vendorId = -1;
  if (off + 2 > end) return Status.Truncated;
  if (buf[off] !== 0x01) return Status.NotBacnet;
  const control = buf[off + 1]!;
  out.control = control;
  out.networkMessage = (control & 0x80) !== 0;
  out.expectingReply = (control & 0x04) !== 0;
  out.priority = control & 0x03;
  let p = off + 2;
  if (control & 0x20) {
    if (p + 3 > end) return Status.Truncated;
    out.dnet = (buf[p]! << 8) | buf[p + 1]!;
    out.dlen = buf[p + 2]!;
    out.dadrOff = p + 3;
    p += 3 + out.dlen;
    if (out.dnet === 0) return Status.Invalid;
  }
  if (control & 0x08) {
    if (p + 3 > end) return Status.Truncated;
    out.snet = (buf[p]! << 8) | buf[p + 1]!;
    out.slen = buf[p + 2]!;
    out.sadrOff = p + 3;
    p += 3 + out.slen;
    // A source is never a broadcast: SLEN 0 and SNET 0xffff are forbidden (clause 6.2.2).
    if (out.slen === 0 || out.snet === 0 || out.snet === 0xffff) return Status.Invalid;
  }
  if (control & 0x20) {
    if (p + 1 > end) return Status.Truncated;
    out.hopCount = buf[p]!;
    p++;
  }
  if (out.networkMessage) {
    if (p + 1 > end) return Status.Truncated;
    out.messageType = buf[p]!;
    p++;
    if (out.messageType >= 0x80) {
      if (p + 2 > end) return Status.Truncated;
      out.vendorId = (buf[p]! << 8) | buf[p + 1]!;
      p += 2;
    }
  }
  if (p > end) return Status.Truncated;
  out.payloadOff = p;
  return Status.Ok;
}

// ------------------------------------------------------------------------------------------------- APDU

export class Apdu {
  type = 0;
  /** segmented message (confirmed request / complex ack) */
  segmented = false;
  moreFollows = false;
  segmentedResponseAccepted = false;
  /** segment-ack: negative ack; segment-ack/abort: sent by server */
  nak = false;
  server = false;
  maxSegments = 0;
  /** max APDU length accepted, in octets (decoded from the 4-bit code), 0 when not in this PDU type */
  maxApdu = 0;
  invokeId = -1;
  sequence = -1;
  window = -1;
  /** service choice, -1 for segment-ack / reject / abort */
  service = -1;
  /** reject / abort reason, -1 otherwise */
  reason = -1;
  /** offset of the service parameters (or of the error's class/code) */
  dataOff = 0;
}

const MAX_APDU_SIZES = [50, 128, 206, 480, 1024, 1476];

export function parseApdu(buf: Uint8Array, off: number, end: number, out: Apdu): Status {
  out.segmented = false;
  out.moreFollows = false;
  out.segmentedResponseAccepted = false;
  out.nak = false;
  out.server = false;
  out.maxSegments = 0;
  out.maxApdu = 0;
  out.invokeId = -1;
  out.sequence = -1;
  out.window = -1;
  out.service = -1;
  out.reason = -1;
  if (off + 2 > end) return Status.Truncated;
  const b0 = buf[off]!;
  const type = b0 >> 4;
  out.type = type;
  switch (type) {
    case APDU_TYPE.CONFIRMED_REQUEST: {
      out.segmented = (b0 & 0x08) !== 0;
      out.moreFollows = (b0 & 0x04) !== 0;
      out.segmentedResponseAccepted = (b0 & 0x02) !== 0;
      const header = out.segmented ? 6 : 4;
      if (off + header > end) return Status.Truncated;
      const b1 = buf[off + 1]!;
      out.maxSegments = (b1 >> 4) & 0x07;
      out.maxApdu = MAX_APDU_SIZES[b1 & 0x0f] ?? 0;
      out.invokeId = buf[off + 2]!;
      if (out.segmented) {
        out.sequence = buf[off + 3]!;
        out.window = buf[off + 4]!;
      }
      out.service = buf[off + header - 1]!;
      out.dataOff = off + header;
      return Status.Ok;
    }
    case APDU_TYPE.UNCONFIRMED_REQUEST:
      out.service = buf[off + 1]!;
      out.dataOff = off + 2;
      return Status.Ok;
    case APDU_TYPE.SIMPLE_ACK:
      if (off + 3 > end) return Status.Truncated;
      out.invokeId = buf[off + 1]!;
      out.service = buf[off + 2]!;
      out.dataOff = off + 3;
      return Status.Ok;
    case APDU_TYPE.COMPLEX_ACK: {
      out.segmented = (b0 & 0x08) !== 0;
      out.moreFollows = (b0 & 0x04) !== 0;
      const header = out.segmented ? 5 : 3;
      if (off + header > end) return Status.Truncated;
      out.invokeId = buf[off + 1]!;
      if (out.segmented) {
        out.sequence = buf[off + 2]!;
        out.window = buf[off + 3]!;
      }
      out.service = buf[off + header - 1]!;
      out.dataOff = off + header;
      return Status.Ok;
    }
    case APDU_TYPE.SEGMENT_ACK:
      if (off + 4 > end) return Status.Truncated;
      out.nak = (b0 & 0x02) !== 0;
      out.server = (b0 & 0x01) !== 0;
      out.invokeId = buf[off + 1]!;
      out.sequence = buf[off + 2]!;
      out.window = buf[off + 3]!;
      out.dataOff = off + 4;
      return Status.Ok;
    case APDU_TYPE.ERROR:
      if (off + 3 > end) return Status.Truncated;
      out.invokeId = buf[off + 1]!;
      out.service = buf[off + 2]!;
      out.dataOff = off + 3;
      return Status.Ok;
    case APDU_TYPE.REJECT:
    case APDU_TYPE.ABORT:
      if (off + 3 > end) return Status.Truncated;
      out.server = type === APDU_TYPE.ABORT && (b0 & 0x01) !== 0;
      out.invokeId = buf[off + 1]!;
      out.reason = buf[off + 2]!;
      out.dataOff = off + 3;
      return Status.Ok;
    default:
      return Status.Invalid;
  }
}

// ------------------------------------------------------------------------------------------------- tags

/** Application tag numbers (clause 20.2.1.4). */
export const APP_TAG = {
  NULL: 0,
  BOOLEAN: 1,
  UNSIGNED: 2,
  SIGNED: 3,
  REAL: 4,
  DOUBLE: 5,
  OCTET_STRING: 6,
  CHARACTER_STRING: 7,
  BIT_STRING: 8,
  ENUMERATED: 9,
  DATE: 10,
  TIME: 11,
  OBJECT_ID: 12,
} as const;

/** One decoded tag header; reused. */
export class Tag {
  number = 0;
  context = false;
  opening = false;
  closing = false;
  /** application boolean: the value lives in the LVT field */
  lvt = 0;
  valueOff = 0;
  valueLen = 0;
  /** offset after the tag's contents (after the header for opening/closing tags) */
  next = 0;
}

/**
 * Decodes the tag at buf[off] (header and, for primitives, the value's extent). False when the header or the
 * value runs past `end` or the encoding is invalid.
 */
export function readTag(buf: Uint8Array, off: number, end: number, t: Tag): boolean {
  if (off >= end) return false;
  const b = buf[off]!;
  let p = off + 1;
  let number = b >> 4;
  if (number === 15) {
    if (p >= end) return false;
    number = buf[p]!;
    p++;
  }
  t.number = number;
  t.context = (b & 0x08) !== 0;
  t.opening = false;
  t.closing = false;
  const lvt = b & 0x07;
  t.lvt = lvt;
  if (t.context && (lvt === 6 || lvt === 7)) {
    t.opening = lvt === 6;
    t.closing = lvt === 7;
    t.valueOff = p;
    t.valueLen = 0;
    t.next = p;
    return true;
  }
  let length = lvt;
  if (!t.context && number === APP_TAG.BOOLEAN) {
    length = 0;
  } else if (lvt === 5) {
    if (p >= end) return false;
    const ext = buf[p]!;
    p++;
    if (ext === 254) {
      if (p + 2 > end) return false;
      length = (buf[p]! << 8) | buf[p + 1]!;
      p += 2;
    } else if (ext === 255) {
      if (p + 4 > end) return false;
      length = ((buf[p]! << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!) >>> 0;
      p += 4;
    } else {
      length = ext;
    }
  } else if (lvt > 5) {
    return false;
  }
  if (length > end - p) return false;
  t.valueOff = p;
  t.valueLen = length;
  t.next = p + length;
  return true;
}

/** Big-endian unsigned of 1..4 octets; -1 for other lengths. */
export function readUnsigned(buf: Uint8Array, off: number, len: number): number {
  if (len < 1 || len > 4) return -1;
  let v = 0;
  for (let i = 0; i < len; i++) v = v * 256 + buf[off + i]!;
  return v;
}

/** Skips one complete element (a primitive, or an opening tag through its matching closing tag). -1 if bad. */
export function skipElement(buf: Uint8Array, off: number, end: number, t: Tag, maxTags: number): number {
  if (!readTag(buf, off, end, t)) return -1;
  if (t.closing) return -1;
  if (!t.opening) return t.next;
  let depth = 1;
  let p = t.next;
  let budget = maxTags;
  while (depth > 0) {
    if (--budget < 0 || !readTag(buf, p, end, t)) return -1;
    if (t.opening) depth++;
    else if (t.closing) depth--;
    p = t.next;
  }
  return p;
}

/** Object identifier fields decoded from a 4-octet value. */
export function objectTypeOf(buf: Uint8Array, off: number): number {
  return (buf[off]! << 2) | (buf[off + 1]! >> 6);
}

export function objectInstanceOf(buf: Uint8Array, off: number): number {
  return ((buf[off + 1]! & 0x3f) << 16) | (buf[off + 2]! << 8) | buf[off + 3]!;
}

/**
 * A CharacterString value (charset octet then text) as a printable JS string, or null for charsets we do not
 * decode (DBCS, JIS X 0208, UCS-4). Control characters are dropped and the text is capped at `maxChars`.
 */
export function decodeCharacterString(buf: Uint8Array, off: number, len: number, maxChars: number): string | null {
  if (len < 1) return null;
  const charset = buf[off]!;
  const view = Buffer.from(buf.buffer, buf.byteOffset + off + 1, len - 1);
  let text: string;
  if (charset === 0) text = view.toString('utf8');
  else if (charset === 5) text = view.toString('latin1');
  else if (charset === 4) {
    // UCS-2 is big-endian on the wire; swap into a copy (only on the fact path, never per packet).
    const even = view.length & ~1;
    const copy = Buffer.alloc(even);
    for (let i = 0; i < even; i += 2) {
      copy[i] = view[i + 1]!;
      copy[i + 1] = view[i]!;
    }
    text = copy.toString('utf16le');
  } else return null;
  // eslint-disable-next-line no-control-regex
  text = text.replace(/[\u0000-\u001f\u007f]/g, '').trim();
  if (text.length > maxChars) text = text.slice(0, maxChars);
  return text;
}
