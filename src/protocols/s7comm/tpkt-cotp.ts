/**
 * ISO-on-TCP framing (RFC 1006 TPKT + ISO 8073 COTP class 0), the transport under S7comm on TCP port 102.
 *
 * TPKT: version 3, reserved 0, length u16 (whole TPKT including these 4 bytes).
 * COTP: length indicator (header bytes after itself), PDU type (high nibble; CR/CC carry a credit in the low
 * nibble), then type-specific fields. DT (class 0): LI = 2, type 0xF0, TPDU-NR/EOT byte (bit 7 = last unit).
 * CR/CC: dst-ref u16, src-ref u16, class/options u8, then parameters (code u8, length u8, value).
 *
 * Pure functions; every read is bounds-checked against the lengths given; nothing throws.
 */

export const TPKT_VERSION = 3;
export const TPKT_HEADER_LEN = 4;
/** TPKT header + COTP LI + COTP type: enough to judge a frame start. */
export const FRAME_PROBE_LEN = 6;
/** Smallest TPKT carrying a COTP header: 4 + LI(1) + type(1) + 1 (DT EOT byte or class 0 fields). */
export const MIN_TPKT_LEN = 7;

export const CotpType = {
  ED: 0x10,
  EA: 0x20,
  RJ: 0x50,
  AK: 0x60,
  ER: 0x70,
  DR: 0x80,
  DC: 0xc0,
  CC: 0xd0,
  CR: 0xe0,
  DT: 0xf0,
} as const;

export const CotpParam = { TpduSize: 0xc0, SrcTsap: 0xc1, DstTsap: 0xc2 } as const;

export const TpktFrame = {
  /** Not enough bytes yet to know, or to hold the whole TPKT. */
  Incomplete: 0,
  /** Cannot be a TPKT/COTP frame start. */
  Malformed: -1,
} as const;

function u16(buf: Uint8Array, at: number): number {
  return (buf[at]! << 8) | buf[at + 1]!;
}

/** Smallest legal LI for a COTP PDU type (class 0/ISO 8073 fixed parts); -1 for an unknown type. */
export function minCotpLi(type: number): number {
  switch (type) {
    case CotpType.DT: return 2;
    case CotpType.CR:
    case CotpType.CC:
    case CotpType.DR: return 6;
    case CotpType.DC: return 5;
    case CotpType.ER: return 4;
    case CotpType.ED:
    case CotpType.EA:
    case CotpType.RJ:
    case CotpType.AK: return 4;
    default: return -1;
  }
}

/**
 * The TPKT header at buf[off] (with `avail` bytes) is a plausible start of an ISO-on-TCP frame: version 3,
 * reserved 0, length >= 7 and, once the COTP LI/type bytes are there, a known COTP type whose LI fits.
 * Returns the TPKT length, TpktFrame.Incomplete when more bytes are needed to judge, or Malformed.
 */
export function frameTpkt(buf: Uint8Array, off: number, avail: number): number {
  if (avail <= 0) return TpktFrame.Incomplete;
  if (buf[off] !== TPKT_VERSION) return TpktFrame.Malformed;
  if (avail < 2) return TpktFrame.Incomplete;
  if (buf[off + 1] !== 0) return TpktFrame.Malformed;
  if (avail < TPKT_HEADER_LEN) return TpktFrame.Incomplete;
  const total = u16(buf, off + 2);
  if (total < MIN_TPKT_LEN) return TpktFrame.Malformed;
  if (avail < FRAME_PROBE_LEN) return TpktFrame.Incomplete;
  const li = buf[off + 4]!;
  const type = buf[off + 5]! & 0xf0;
  const minLi = minCotpLi(type);
  if (minLi < 0 || li < minLi || TPKT_HEADER_LEN + 1 + li > total) return TpktFrame.Malformed;
  return avail >= total ? total : TpktFrame.Incomplete;
}

/** Offset of the COTP payload (user data) inside a TPKT frame starting at `off`. */
export function cotpPayloadOffset(buf: Uint8Array, off: number): number {
  return off + TPKT_HEADER_LEN + 1 + buf[off + TPKT_HEADER_LEN]!;
}

/**
 * Stricter test used when resynchronising: a plausible frame start whose DT payload (when present in the
 * buffer) starts with an S7 or S7comm-plus protocol id, and whose follower (when present) is another frame.
 */
export function isResyncPoint(buf: Uint8Array, at: number, end: number): boolean {
  const avail = end - at;
  if (avail < FRAME_PROBE_LEN) return false;
  const total = frameTpkt(buf, at, avail);
  if (total === TpktFrame.Malformed) return false;
  const len = u16(buf, at + 2);
  const type = buf[at + 5]! & 0xf0;
  if (type === CotpType.DT) {
    // Only a first fragment proves a frame start: its payload begins with an S7 / S7comm-plus protocol id.
    const payload = cotpPayloadOffset(buf, at);
    if (payload >= at + len || payload >= end) return false;
    const pid = buf[payload]!;
    if (pid !== 0x32 && pid !== 0x72) return false;
  }
  const next = at + len;
  if (next >= end) return true;
  return frameTpkt(buf, next, end - next) !== TpktFrame.Malformed;
}

/**
 * First offset in [off, off+avail) where a frame plausibly starts (see isResyncPoint), or -1 when none: the
 * caller then drops the bytes (a header split at the very end of the data is lost; the next one is found).
 */
export function findResyncOffset(buf: Uint8Array, off: number, avail: number): number {
  const end = off + avail;
  for (let at = off; end - at >= FRAME_PROBE_LEN; at++) {
    if (buf[at] !== TPKT_VERSION || buf[at + 1] !== 0) continue;
    if (isResyncPoint(buf, at, end)) return at;
  }
  return -1;
}

/** Decoded CR/CC fixed part and TSAPs. Reused: parseConnectionTpdu overwrites every field. */
export class ConnectionTpdu {
  type = 0;
  dstRef = 0;
  srcRef = 0;
  /** TPDU size parameter (log2 of the size), -1 when absent */
  tpduSizeCode = -1;
  /** Offset/length of the TSAP values inside the parsed buffer; length -1 when absent. */
  srcTsapOff = 0;
  srcTsapLen = -1;
  dstTsapOff = 0;
  dstTsapLen = -1;
  malformed = false;
}

/** Parse a CR/CC TPDU (frame at buf[off], `total` bytes). */
export function parseConnectionTpdu(buf: Uint8Array, off: number, total: number, out: ConnectionTpdu): void {
  out.type = 0;
  out.dstRef = 0;
  out.srcRef = 0;
  out.tpduSizeCode = -1;
  out.srcTsapLen = -1;
  out.dstTsapLen = -1;
  out.malformed = false;
  const li = buf[off + 4]!;
  out.type = buf[off + 5]! & 0xf0;
  const hdrEnd = off + TPKT_HEADER_LEN + 1 + li;
  if (li < 6 || hdrEnd > off + total) {
    out.malformed = true;
    return;
  }
  out.dstRef = u16(buf, off + 6);
  out.srcRef = u16(buf, off + 8);
  let p = off + 11;
  while (p + 2 <= hdrEnd) {
    const code = buf[p]!;
    const plen = buf[p + 1]!;
    const v = p + 2;
    if (v + plen > hdrEnd) {
      out.malformed = true;
      return;
    }
    if (code === CotpParam.TpduSize && plen === 1) out.tpduSizeCode = buf[v]!;
    else if (code === CotpParam.SrcTsap) {
      out.srcTsapOff = v;
      out.srcTsapLen = plen;
    } else if (code === CotpParam.DstTsap) {
      out.dstTsapOff = v;
      out.dstTsapLen = plen;
    }
    p = v + plen;
  }
}

/**
 * Rack/slot from an S7-300/400 style TSAP: 2 bytes, first = connection type (1 PG, 2 OP, 3 S7 basic), second
 * = rack * 32 + slot. Returns rack << 8 | slot, or -1 when the TSAP is not of that form.
 */
export function rackSlotFromTsap(buf: Uint8Array, off: number, len: number): number {
  if (len !== 2) return -1;
  const connType = buf[off]!;
  if (connType < 0x01 || connType > 0x03) return -1;
  const rs = buf[off + 1]!;
  return ((rs >> 5) << 8) | (rs & 0x1f);
}
