/**
 * OPC UA Connection Protocol (UACP, opc.tcp) framing and a bounds-checked reader for the UA Binary encoding
 * (OPC 10000-6 §5.2, §7.1). Nothing here throws on bad input: the reader latches `ok = false` on the first
 * out-of-bounds or implausible field and returns zeros from then on, so callers check `ok` once per structure.
 */

const EMPTY = Buffer.alloc(0);

/** Message types as the 24-bit big-endian value of their three ASCII letters. */
export const MsgType = {
  HEL: 0x48454c,
  ACK: 0x41434b,
  ERR: 0x455252,
  RHE: 0x524845,
  OPN: 0x4f504e,
  MSG: 0x4d5347,
  CLO: 0x434c4f,
} as const;

export const Chunk = { Final: 0x46, Intermediate: 0x43, Abort: 0x41 } as const;

export const HEADER_BYTES = 8;

/** Smallest valid size of each message type (header + fixed fields). */
function minimumSize(type: number): number {
  switch (type) {
    case MsgType.HEL:
      return HEADER_BYTES + 20 + 4; // five UInt32 + EndpointUrl length
    case MsgType.ACK:
      return HEADER_BYTES + 20;
    case MsgType.ERR:
    case MsgType.RHE:
      return HEADER_BYTES + 8;
    case MsgType.OPN:
      return HEADER_BYTES + 4 + 12; // channel id + three lengths of the asymmetric header
    case MsgType.MSG:
    case MsgType.CLO:
      return HEADER_BYTES + 4 + 4 + 8; // channel id + token id + sequence header
    default:
      return -1;
  }
}

function isChunkType(c: number): boolean {
  return c === Chunk.Final || c === Chunk.Intermediate || c === Chunk.Abort;
}

/**
 * Checks the message header at buf[off..off+len): -1 when it is not one (unknown type, bad chunk type,
 * implausible size), 0 when the bytes present agree with a header but are fewer than 8, otherwise the declared
 * message size (which may exceed `len`).
 */
export function checkHeader(buf: Uint8Array, off: number, len: number, maxMessageBytes: number): number {
  if (len <= 0) return 0;
  const b0 = buf[off]!;
  if (b0 !== 0x48 && b0 !== 0x41 && b0 !== 0x45 && b0 !== 0x52 && b0 !== 0x4f && b0 !== 0x4d && b0 !== 0x43) return -1;
  if (len < 3) {
    if (len === 2) {
      const b1 = buf[off + 1]!;
      // every type's second letter: E C R H P S L
      if (b1 !== 0x45 && b1 !== 0x43 && b1 !== 0x52 && b1 !== 0x48 && b1 !== 0x50 && b1 !== 0x53 && b1 !== 0x4c) return -1;
    }
    return 0;
  }
  const type = (b0 << 16) | (buf[off + 1]! << 8) | buf[off + 2]!;
  const min = minimumSize(type);
  if (min < 0) return -1;
  if (len < 4) return 0;
  const chunk = buf[off + 3]!;
  if (!isChunkType(chunk)) return -1;
  // Transport-level messages are never chunked.
  if (chunk !== Chunk.Final && type !== MsgType.MSG && type !== MsgType.OPN && type !== MsgType.CLO) return -1;
  if (len < HEADER_BYTES) return 0;
  const size = (buf[off + 4]! | (buf[off + 5]! << 8) | (buf[off + 6]! << 16) | (buf[off + 7]! << 24)) >>> 0;
  // An abort chunk carries only an error code and a reason after the headers; anything else has its minimum.
  if (size < min || size > maxMessageBytes) return -1;
  return size;
}

export function messageTypeOf(buf: Uint8Array, off: number): number {
  return (buf[off]! << 16) | (buf[off + 1]! << 8) | buf[off + 2]!;
}

export const NodeIdKind = { Numeric: 0, String: 1, Guid: 2, ByteString: 3 } as const;

const MAX_DIAGNOSTIC_DEPTH = 4;

/** Cursor over one message body; the last NodeId read is kept in fields (no allocation). */
export class Reader {
  buf: Buffer = EMPTY;
  pos = 0;
  end = 0;
  ok = true;
  /** the last NodeId: namespace, kind, numeric id (-1 unless numeric) and where its identifier bytes lie */
  nodeNs = 0;
  nodeKind: number = NodeIdKind.Numeric;
  nodeNumeric = -1;
  nodeIdOff = 0;
  nodeIdLen = 0;

  reset(buf: Buffer, off: number, end: number): this {
    this.buf = buf;
    this.pos = off;
    this.end = end > buf.length ? buf.length : end;
    this.ok = off <= this.end;
    return this;
  }

  get remaining(): number {
    return this.ok ? this.end - this.pos : 0;
  }

  private need(n: number): boolean {
    if (!this.ok || n < 0 || this.pos + n > this.end) {
      this.ok = false;
      return false;
    }
    return true;
  }

  skip(n: number): void {
    if (this.need(n)) this.pos += n;
  }

  u8(): number {
    if (!this.need(1)) return 0;
    return this.buf[this.pos++]!;
  }

  u16(): number {
    if (!this.need(2)) return 0;
    const v = this.buf[this.pos]! | (this.buf[this.pos + 1]! << 8);
    this.pos += 2;
    return v;
  }

  u32(): number {
    if (!this.need(4)) return 0;
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 4;
    return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
  }

  i32(): number {
    if (!this.need(4)) return 0;
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 4;
    return b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24);
  }

  /** Length prefix of a String/ByteString: -1 for null; fails when the bytes are not all there. */
  private lengthPrefixed(): number {
    const n = this.i32();
    if (!this.ok) return -1;
    if (n < -1) {
      this.ok = false;
      return -1;
    }
    if (n > 0 && !this.need(n)) return -1;
    return n;
  }

  /** Skips a String or ByteString and returns its length (-1 null). */
  skipBytes(): number {
    const n = this.lengthPrefixed();
    if (n > 0) this.pos += n;
    return n;
  }

  /** Reads a String, truncated to `maxChars` bytes and stripped of control characters; null when null/absent. */
  string(maxChars = 256): string | null {
    const n = this.lengthPrefixed();
    if (n < 0) return null;
    const start = this.pos;
    this.pos += n;
    return cleanText(this.buf, start, n > maxChars ? maxChars : n);
  }

  /** Array length prefix: -1 null; fails when implausible (each element takes at least `minItemBytes`). */
  arrayLength(minItemBytes = 1): number {
    const n = this.i32();
    if (!this.ok) return -1;
    if (n < -1 || (n > 0 && n * minItemBytes > this.end - this.pos)) {
      this.ok = false;
      return -1;
    }
    return n;
  }

  skipStringArray(): void {
    const n = this.arrayLength(4);
    for (let i = 0; i < n && this.ok; i++) this.skipBytes();
  }

  /** NodeId or ExpandedNodeId (the namespace-URI and server-index flags are honoured when present). */
  nodeId(): void {
    const mask = this.u8();
    this.nodeNumeric = -1;
    this.nodeNs = 0;
    this.nodeIdLen = 0;
    switch (mask & 0x3f) {
      case 0x00:
        this.nodeKind = NodeIdKind.Numeric;
        this.nodeNumeric = this.u8();
        break;
      case 0x01:
        this.nodeKind = NodeIdKind.Numeric;
        this.nodeNs = this.u8();
        this.nodeNumeric = this.u16();
        break;
      case 0x02:
        this.nodeKind = NodeIdKind.Numeric;
        this.nodeNs = this.u16();
        this.nodeNumeric = this.u32();
        break;
      case 0x03:
      case 0x05: {
        this.nodeKind = (mask & 0x3f) === 0x03 ? NodeIdKind.String : NodeIdKind.ByteString;
        this.nodeNs = this.u16();
        const n = this.lengthPrefixed();
        this.nodeIdOff = this.pos;
        this.nodeIdLen = n > 0 ? n : 0;
        if (n > 0) this.pos += n;
        break;
      }
      case 0x04:
        this.nodeKind = NodeIdKind.Guid;
        this.nodeNs = this.u16();
        this.nodeIdOff = this.pos;
        this.nodeIdLen = 16;
        this.skip(16);
        break;
      default:
        this.ok = false;
        return;
    }
    if (mask & 0x80) this.skipBytes(); // NamespaceUri
    if (mask & 0x40) this.skip(4); // ServerIndex
    if (!this.ok) this.nodeNumeric = -1;
  }

  /** The last NodeId in the standard text notation ("i=85", "ns=2;s=Motor", "ns=1;g=..."). Allocates. */
  nodeIdText(): string {
    const ns = this.nodeNs === 0 ? '' : `ns=${this.nodeNs};`;
    switch (this.nodeKind) {
      case NodeIdKind.Numeric:
        return `${ns}i=${this.nodeNumeric}`;
      case NodeIdKind.String:
        return `${ns}s=${cleanText(this.buf, this.nodeIdOff, this.nodeIdLen > 128 ? 128 : this.nodeIdLen)}`;
      case NodeIdKind.Guid:
        return `${ns}g=${guidText(this.buf, this.nodeIdOff)}`;
      default:
        return `${ns}b=${this.buf.toString('base64', this.nodeIdOff, this.nodeIdOff + (this.nodeIdLen > 48 ? 48 : this.nodeIdLen))}`;
    }
  }

  /** LocalizedText: returns the text (null when absent), skips the locale. */
  localizedText(maxChars = 256): string | null {
    const mask = this.u8();
    if (mask & 0x01) this.skipBytes();
    return mask & 0x02 ? this.string(maxChars) : null;
  }

  skipDiagnosticInfo(depth = 0): void {
    if (depth > MAX_DIAGNOSTIC_DEPTH) {
      this.ok = false;
      return;
    }
    const mask = this.u8();
    if (mask & 0x01) this.skip(4); // SymbolicId
    if (mask & 0x02) this.skip(4); // NamespaceUri
    if (mask & 0x08) this.skip(4); // Locale
    if (mask & 0x04) this.skip(4); // LocalizedText
    if (mask & 0x10) this.skipBytes(); // AdditionalInfo
    if (mask & 0x20) this.skip(4); // InnerStatusCode
    if (mask & 0x40) this.skipDiagnosticInfo(depth + 1);
  }

  /** ExtensionObject header: reads the type NodeId; returns the body's length (-1 when it has none). */
  extensionObject(): number {
    this.nodeId();
    const encoding = this.u8();
    if (encoding === 0) return -1;
    if (encoding !== 1 && encoding !== 2) {
      this.ok = false;
      return -1;
    }
    const n = this.i32();
    if (n < 0 || !this.need(n)) {
      if (n !== -1) this.ok = false;
      return -1;
    }
    return n;
  }

  skipExtensionObject(): void {
    const n = this.extensionObject();
    if (n > 0) this.pos += n;
  }
}

/**
 * Recently decoded texts: endpoint URLs and policy URIs repeat on every connection to a server, so the text of
 * a byte string seen before is reused instead of decoded and checked again. Direct-mapped; the bytes are
 * compared in full, so a hit returns exactly what decoding would. Longer strings are always decoded.
 */
const TEXT_MEMO_SLOTS = 16;
const TEXT_MEMO_MAX_BYTES = 128;
const textMemoBytes = new Uint8Array(TEXT_MEMO_SLOTS * TEXT_MEMO_MAX_BYTES);
const textMemoLength = new Int32Array(TEXT_MEMO_SLOTS).fill(-1);
const textMemo: string[] = new Array<string>(TEXT_MEMO_SLOTS).fill('');

/** The text of buf[off..off+len) (within buf), control characters replaced by '?'. */
function cleanText(buf: Buffer, off: number, len: number): string {
  if (len <= 0 || len > TEXT_MEMO_MAX_BYTES) return decodeCleanText(buf, off, len);
  const slot = (len * 31 + buf[off]! * 7 + buf[off + len - 1]!) & (TEXT_MEMO_SLOTS - 1);
  const base = slot * TEXT_MEMO_MAX_BYTES;
  if (textMemoLength[slot] === len) {
    let same = true;
    for (let i = 0; i < len; i++) {
      if (textMemoBytes[base + i] !== buf[off + i]) {
        same = false;
        break;
      }
    }
    if (same) return textMemo[slot]!;
  }
  const text = decodeCleanText(buf, off, len);
  for (let i = 0; i < len; i++) textMemoBytes[base + i] = buf[off + i]!;
  textMemoLength[slot] = len;
  textMemo[slot] = text;
  return text;
}

function decodeCleanText(buf: Buffer, off: number, len: number): string {
  const text = buf.toString('utf8', off, off + len);
  // eslint-disable-next-line no-control-regex
  return /[\x00-\x1f\x7f]/.test(text) ? text.replace(/[\x00-\x1f\x7f]/g, '?') : text;
}

function guidText(buf: Buffer, off: number): string {
  const hex = (o: number, n: number) => {
    let s = '';
    for (let i = n - 1; i >= 0; i--) s += buf[o + i]!.toString(16).padStart(2, '0');
    return s;
  };
  let tail = '';
  for (let i = 8; i < 16; i++) tail += buf[off + i]!.toString(16).padStart(2, '0');
  return `${hex(off, 4)}-${hex(off + 4, 2)}-${hex(off + 6, 2)}-${tail.slice(0, 4)}-${tail.slice(4)}`;
}

/** RequestHeader fields the analyzer uses; `ok` false when it did not parse. */
export class RequestHeader {
  handle = 0;
  timeoutHint = 0;

  read(r: Reader): boolean {
    r.nodeId(); // AuthenticationToken
    r.skip(8); // Timestamp
    this.handle = r.u32();
    r.skip(4); // ReturnDiagnostics
    r.skipBytes(); // AuditEntryId
    this.timeoutHint = r.u32();
    r.skipExtensionObject(); // AdditionalHeader
    return r.ok;
  }
}

export class ResponseHeader {
  handle = 0;
  serviceResult = 0;

  read(r: Reader): boolean {
    r.skip(8); // Timestamp
    this.handle = r.u32();
    this.serviceResult = r.u32();
    r.skipDiagnosticInfo();
    r.skipStringArray(); // StringTable
    r.skipExtensionObject(); // AdditionalHeader
    return r.ok;
  }
}
