/**
 * S7comm PDU decoding (the payload of COTP DT TPDUs). Pure: no flow state, no events. Header decoding fills a
 * caller-owned record; the request decoders return the strings an OperationEvent needs (built once per PDU,
 * never per byte). Every read is bounds-checked; nothing throws on bad input.
 *
 * Header: protocol id 0x32, ROSCTR u8, redundancy id u16, PDU reference u16, parameter length u16, data length
 * u16, and for Ack/Ack_Data error class u8 + error code u8. Then the parameter part, then the data part.
 */
import {
  areaToken,
  blockTypeFromAscii16,
  blockTypeName,
  hexDigit,
  ITEM_OK,
  Rosctr,
  S7_PROTOCOL_ID,
  transportSizeName,
} from './names.js';

export const S7_HEADER_LEN = 10;
export const S7_ACK_HEADER_LEN = 12;

function u16(buf: Uint8Array, at: number): number {
  return (buf[at]! << 8) | buf[at + 1]!;
}

export class S7Header {
  rosctr = 0;
  pduRef = 0;
  paramOff = 0;
  paramLen = 0;
  dataOff = 0;
  dataLen = 0;
  /** error class << 8 | error code (Ack/Ack_Data only, else 0) */
  error = 0;
  /** parameter/data lengths claim more bytes than the PDU has (lengths were clamped) */
  truncated = false;
}

/** Decode the S7 header of buf[off..off+len). Returns false when it is not a decodable S7comm header. */
export function decodeHeader(buf: Uint8Array, off: number, len: number, h: S7Header): boolean {
  if (len < S7_HEADER_LEN || buf[off] !== S7_PROTOCOL_ID) return false;
  const rosctr = buf[off + 1]!;
  const isAck = rosctr === Rosctr.Ack || rosctr === Rosctr.AckData;
  const hdrLen = isAck ? S7_ACK_HEADER_LEN : S7_HEADER_LEN;
  if (len < hdrLen) return false;
  h.rosctr = rosctr;
  h.pduRef = u16(buf, off + 4);
  let paramLen = u16(buf, off + 6);
  let dataLen = u16(buf, off + 8);
  h.error = isAck ? u16(buf, off + 10) : 0;
  h.truncated = false;
  const end = off + len;
  h.paramOff = off + hdrLen;
  if (h.paramOff + paramLen > end) {
    paramLen = end - h.paramOff;
    h.truncated = true;
  }
  h.paramLen = paramLen;
  h.dataOff = h.paramOff + paramLen;
  if (h.dataOff + dataLen > end) {
    dataLen = end - h.dataOff;
    h.truncated = true;
  }
  h.dataLen = dataLen;
  return true;
}

// ------------------------------------------------------------------------------------------ var items

/** At most this many items are spelled out in an operation's `object`; the rest are summarised. */
export const MAX_ITEMS_IN_OBJECT = 4;

export class ItemSummary {
  /** items announced by the item count byte */
  count = 0;
  /** object string: the first items as "DB1.DBX0.0 BYTE 4", comma separated, "+N" for the rest */
  object = '';
  /** byte address and element count of the first S7ANY item; -1 when absent */
  address = -1;
  quantity = -1;
  malformed = false;
}

/** Siemens-style absolute address of an S7ANY item (area, DB number, bit address). */
function formatItem(area: number, db: number, bitAddr: number, tsize: number, count: number): string {
  const token = areaToken(area);
  const byteAddr = bitAddr >>> 3;
  const bit = bitAddr & 7;
  let where: string;
  if (area === 0x84 || area === 0x85) where = `${token}${db}.${token}X${byteAddr}.${bit}`;
  else if (area === 28 || area === 29 || area === 30 || area === 31) where = `${token}${bitAddr}`;
  else where = `${token}${byteAddr}.${bit}`;
  return `${where} ${transportSizeName(tsize)} ${count}`;
}

/**
 * Read/Write Var request items: param = func, item count, items (0x12, spec length, syntax id, ...). S7ANY
 * items (syntax 0x10) are spelled out; other syntaxes (DBREAD, 1200SYM, NCK, ...) are counted by syntax.
 */
export function summarizeVarItems(buf: Uint8Array, paramOff: number, paramLen: number, out: ItemSummary): void {
  out.count = 0;
  out.object = '';
  out.address = -1;
  out.quantity = -1;
  out.malformed = false;
  if (paramLen < 2) {
    out.malformed = true;
    return;
  }
  const count = buf[paramOff + 1]!;
  out.count = count;
  const end = paramOff + paramLen;
  let p = paramOff + 2;
  let shown = 0;
  let parts = '';
  for (let i = 0; i < count; i++) {
    if (p + 2 > end) {
      out.malformed = true;
      break;
    }
    const specLen = buf[p + 1]!;
    const itemEnd = p + 2 + specLen;
    if (itemEnd > end || specLen < 1) {
      out.malformed = true;
      break;
    }
    const syntax = buf[p + 2]!;
    if (shown < MAX_ITEMS_IN_OBJECT) {
      let text: string;
      if (syntax === 0x10 && specLen >= 10) {
        const tsize = buf[p + 3]!;
        const n = u16(buf, p + 4);
        const db = u16(buf, p + 6);
        const area = buf[p + 8]!;
        const bitAddr = (buf[p + 9]! << 16) | (buf[p + 10]! << 8) | buf[p + 11]!;
        text = formatItem(area, db, bitAddr, tsize, n);
        if (out.address < 0) {
          out.address = area === 28 || area === 29 ? bitAddr : bitAddr >>> 3;
          out.quantity = n;
        }
      } else {
        text = `syntax-0x${syntax.toString(16).padStart(2, '0')}`;
      }
      parts = shown === 0 ? text : `${parts},${text}`;
      shown++;
    }
    p = itemEnd;
  }
  if (count > shown && shown > 0) parts = `${parts},+${count - shown}`;
  out.object = parts;
}

/** Parameter parts longer than this are summarised afresh every time (never cached). */
export const MAX_CACHED_VAR_PARAM = 256;

/**
 * Cyclic polling repeats the same Read Var item list PDU after PDU: the summary of the last parameter part is
 * kept with a copy of its bytes, and an identical parameter part reuses it instead of formatting the item
 * strings again. The summary depends on nothing but those bytes, so the result is the same either way.
 */
export class VarItemsCache {
  private key: Buffer | null = null;
  /** bytes of the cached parameter part; -1 when nothing is cached */
  private keyLen = -1;
  private readonly summary = new ItemSummary();

  constructor(private readonly maxParamBytes = MAX_CACHED_VAR_PARAM) {}

  /** Same as summarizeVarItems(buf, paramOff, paramLen, out). */
  summarize(buf: Uint8Array, paramOff: number, paramLen: number, out: ItemSummary): void {
    const cached = this.summary;
    if (paramLen === this.keyLen && sameBytes(this.key!, buf, paramOff, paramLen)) {
      copySummary(cached, out);
      return;
    }
    summarizeVarItems(buf, paramOff, paramLen, out);
    if (paramLen < 0 || paramLen > this.maxParamBytes) return;
    if (this.key === null) this.key = Buffer.allocUnsafe(this.maxParamBytes);
    for (let i = 0; i < paramLen; i++) this.key[i] = buf[paramOff + i]!;
    this.keyLen = paramLen;
    copySummary(out, cached);
  }
}

function sameBytes(key: Uint8Array, buf: Uint8Array, off: number, len: number): boolean {
  for (let i = 0; i < len; i++) if (key[i] !== buf[off + i]) return false;
  return true;
}

function copySummary(from: ItemSummary, to: ItemSummary): void {
  to.count = from.count;
  to.object = from.object;
  to.address = from.address;
  to.quantity = from.quantity;
  to.malformed = from.malformed;
}

/**
 * Data part of a Write Var request: items of (return code u8, transport size u8, length u16, data, pad to
 * even except after the last). Returns the payload bytes carried, -1 when malformed. Lengths are in bits for
 * transport sizes BIT(3), BYTE/WORD/DWORD(4) and INTEGER(5).
 */
export function writeDataBytes(buf: Uint8Array, dataOff: number, dataLen: number, count: number): number {
  const end = dataOff + dataLen;
  let p = dataOff;
  let total = 0;
  for (let i = 0; i < count; i++) {
    if (p + 4 > end) return i === 0 && dataLen === 0 ? 0 : -1;
    const tsize = buf[p + 1]!;
    let n = u16(buf, p + 2);
    if (tsize === 3 || tsize === 4 || tsize === 5) n = (n + 7) >>> 3;
    p += 4 + n;
    total += n;
    if (p > end) return -1;
    if (i < count - 1 && n & 1) p++;
  }
  return total;
}

/**
 * First failing item return code in a Read Var response (items of return code, size, length, data) or in a
 * Write Var response (one return code byte per item); -1 when all succeeded or none could be read.
 */
export function firstFailedReadItem(buf: Uint8Array, dataOff: number, dataLen: number, count: number): number {
  const end = dataOff + dataLen;
  let p = dataOff;
  for (let i = 0; i < count; i++) {
    if (p + 1 > end) return -1;
    const rc = buf[p]!;
    if (rc !== ITEM_OK) return rc;
    if (p + 4 > end) return -1;
    const tsize = buf[p + 1]!;
    let n = u16(buf, p + 2);
    if (tsize === 3 || tsize === 4 || tsize === 5) n = (n + 7) >>> 3;
    p += 4 + n;
    if (i < count - 1 && n & 1) p++;
  }
  return -1;
}

export function firstFailedWriteItem(buf: Uint8Array, dataOff: number, dataLen: number, count: number): number {
  const n = Math.min(count, dataLen);
  for (let i = 0; i < n; i++) {
    const rc = buf[dataOff + i]!;
    if (rc !== ITEM_OK) return rc;
  }
  return -1;
}

// ------------------------------------------------------------------------------------------ blocks

/**
 * A block file name as used by download/upload ("_0A00001P": '_' complete block, "0A" type, "00001" number,
 * 'P' file system): returns "DB1", or '' when the name is not of that form.
 */
export function blockFromFileName(buf: Uint8Array, off: number, len: number): string {
  if (len < 8) return '';
  const lead = buf[off]!;
  if (lead !== 0x5f /* _ */ && lead !== 0x24 /* $ */) return '';
  return blockFromTypeAndNumber(buf, off + 1);
}

/** "0A00001" at buf[off] (2 hex type digits, 5 decimal digits) → "DB1"; '' when not of that form. */
export function blockFromTypeAndNumber(buf: Uint8Array, off: number): string {
  const hi = hexDigit(buf[off]!);
  const lo = hexDigit(buf[off + 1]!);
  if (hi < 0 || lo < 0) return '';
  let num = 0;
  for (let i = 2; i < 7; i++) {
    const c = buf[off + i]!;
    if (c < 0x30 || c > 0x39) return '';
    num = num * 10 + (c - 0x30);
  }
  return blockTypeName(hi * 16 + lo) + num;
}

/** Printable ASCII of buf[off..off+len) (stops at NUL, drops control bytes, trims). */
export function asciiField(buf: Uint8Array, off: number, len: number): string {
  let s = '';
  for (let i = 0; i < len; i++) {
    const c = buf[off + i]!;
    if (c === 0) break;
    if (c >= 0x20 && c < 0x7f) s += String.fromCharCode(c);
  }
  return s.trim();
}

export class BlockControl {
  /** "DB1" when the file name is a block name, else the sanitised file name; '' when absent */
  object = '';
  /** upload id (upload / end upload), -1 when absent */
  uploadId = -1;
}

/**
 * Download/upload job parameters (0x1A-0x1F): func u8, status u8, unknown u16, upload id u32, then (request
 * download, download block, download ended, start upload) file name length u8 + file name.
 */
export function decodeBlockControl(buf: Uint8Array, paramOff: number, paramLen: number, out: BlockControl): void {
  out.object = '';
  out.uploadId = -1;
  if (paramLen >= 8) {
    out.uploadId = ((buf[paramOff + 4]! << 24) | (buf[paramOff + 5]! << 16) | (buf[paramOff + 6]! << 8) | buf[paramOff + 7]!) >>> 0;
  }
  if (paramLen < 10) return;
  const nameLen = buf[paramOff + 8]!;
  const nameOff = paramOff + 9;
  const avail = Math.min(nameLen, paramOff + paramLen - nameOff);
  if (avail <= 0) return;
  const block = blockFromFileName(buf, nameOff, avail);
  out.object = block !== '' ? block : asciiField(buf, nameOff, avail);
}

/** Start upload Ack_Data: func, status, unknown u16, upload id u32 (then the block length as ASCII). */
export function startUploadAckId(buf: Uint8Array, paramOff: number, paramLen: number): number {
  if (paramLen < 8) return -1;
  return ((buf[paramOff + 4]! << 24) | (buf[paramOff + 5]! << 16) | (buf[paramOff + 6]! << 8) | buf[paramOff + 7]!) >>> 0;
}

export class PiService {
  /** service name, e.g. "_INSE", "P_PROGRAM" */
  service = '';
  /** blocks named in the parameter block ("DB1,FC2"), '' when none */
  blocks = '';
}

/**
 * PI service job (0x28): func, 7 unknown bytes, parameter block length u16, parameter block, service name
 * length u8, service name. Insert/delete blocks list their blocks in the parameter block as a count u8, an
 * unknown byte and per block "TTNNNNNF" (type, number, file system).
 */
export function decodePiService(buf: Uint8Array, paramOff: number, paramLen: number, out: PiService): boolean {
  out.service = '';
  out.blocks = '';
  const end = paramOff + paramLen;
  if (paramLen < 11) return false;
  const pbLen = u16(buf, paramOff + 8);
  const pb = paramOff + 10;
  const nameLenAt = pb + pbLen;
  if (nameLenAt >= end) return false;
  const nameLen = buf[nameLenAt]!;
  if (nameLenAt + 1 + nameLen > end) return false;
  out.service = asciiField(buf, nameLenAt + 1, nameLen);
  if (out.service.startsWith('_INSE') || out.service.startsWith('_DELE')) {
    if (pbLen >= 2) {
      const n = buf[pb]!;
      let p = pb + 2;
      let shown = 0;
      for (let i = 0; i < n && p + 8 <= nameLenAt; i++, p += 8) {
        if (shown === MAX_ITEMS_IN_OBJECT) {
          out.blocks += `,+${n - shown}`;
          break;
        }
        const block = blockFromTypeAndNumber(buf, p);
        if (block === '') continue;
        out.blocks = shown === 0 ? block : `${out.blocks},${block}`;
        shown++;
      }
    }
  }
  return true;
}

/** PLC stop job (0x29): func, 5 unknown bytes, service name length u8, service name ("P_PROGRAM"). */
export function decodePlcStop(buf: Uint8Array, paramOff: number, paramLen: number): string {
  if (paramLen < 7) return '';
  const nameLen = buf[paramOff + 6]!;
  const avail = Math.min(nameLen, paramLen - 7);
  return avail > 0 ? asciiField(buf, paramOff + 7, avail) : '';
}

// ------------------------------------------------------------------------------------------ userdata

export class UserdataParam {
  /** high nibble of the type/group byte: 0 push, 4 request, 8 response */
  type = 0;
  group = 0;
  subfunc = 0;
  seq = 0;
  /** 0 when the parameter has no error code field */
  error = 0;
  lastUnit = true;
  /** data unit reference: ties the parts of a multi-part answer together (0 when absent) */
  dataUnitRef = 0;
  /** data part: return code (-1 absent), payload offset/length after the 4-byte data header */
  returnCode = -1;
  payloadOff = 0;
  payloadLen = 0;
}

/**
 * Userdata parameter: head 00 01 12, length u8 (4 or 8), method u8 (0x11 request / 0x12 response),
 * type/group u8, subfunction u8, sequence u8, [data unit ref u8, last data unit u8, error code u16].
 * Data: return code u8, transport size u8, length u16, payload.
 */
export function decodeUserdata(buf: Uint8Array, h: S7Header, out: UserdataParam): boolean {
  const p = h.paramOff;
  if (h.paramLen < 8) return false;
  if (buf[p] !== 0x00 || buf[p + 1] !== 0x01 || buf[p + 2] !== 0x12) return false;
  const plen = buf[p + 3]!;
  const tg = buf[p + 5]!;
  out.type = tg >> 4;
  out.group = tg & 0x0f;
  out.subfunc = buf[p + 6]!;
  out.seq = buf[p + 7]!;
  out.error = 0;
  out.lastUnit = true;
  out.dataUnitRef = 0;
  if (plen >= 8 && h.paramLen >= 12) {
    out.dataUnitRef = buf[p + 8]!;
    out.lastUnit = buf[p + 9] === 0;
    out.error = u16(buf, p + 10);
  }
  out.returnCode = -1;
  out.payloadOff = h.dataOff;
  out.payloadLen = 0;
  if (h.dataLen >= 1) out.returnCode = buf[h.dataOff]!;
  if (h.dataLen >= 4) {
    out.payloadOff = h.dataOff + 4;
    out.payloadLen = Math.min(u16(buf, h.dataOff + 2), h.dataLen - 4);
  }
  return true;
}

/** Block functions request payload → object ("block-list", "block-list:OB", "block-info:DB1"). */
export function blockFunctionObject(buf: Uint8Array, subfunc: number, off: number, len: number): string {
  if (subfunc === 1) return 'block-list';
  if (subfunc === 2) return len >= 2 ? `block-list:${blockTypeFromAscii16(u16(buf, off))}` : 'block-list';
  if (subfunc === 3) {
    if (len >= 7) {
      const block = blockFromTypeAndNumber(buf, off);
      if (block !== '') return `block-info:${block}`;
    }
    return 'block-info';
  }
  return '';
}

function bcd(v: number): number {
  return (v >> 4) * 10 + (v & 0x0f);
}

/**
 * S7 DATE_AND_TIME as carried by the set clock request (reserved u8, then BCD year high byte, year, month, day,
 * hour, minute, second, milliseconds in 1.5 bytes + weekday nibble) → "2014-08-20T11:59:33.040"; '' when
 * malformed.
 */
export function s7Timestamp(buf: Uint8Array, off: number, len: number): string {
  if (len < 10) return '';
  for (let i = 1; i < 10; i++) {
    const b = buf[off + i]!;
    if ((b & 0x0f) > 9 || b >> 4 > 9) return '';
  }
  // Byte 1 is not a reliable century (Step 7 sends 0x19 for 2014); like Wireshark, years < 90 are 20xx.
  const yy = bcd(buf[off + 2]!);
  const year = yy < 90 ? 2000 + yy : 1900 + yy;
  const month = bcd(buf[off + 3]!);
  const day = bcd(buf[off + 4]!);
  const hour = bcd(buf[off + 5]!);
  const minute = bcd(buf[off + 6]!);
  const second = bcd(buf[off + 7]!);
  const ms = bcd(buf[off + 8]!) * 10 + (buf[off + 9]! >> 4);
  const p2 = (n: number): string => (n < 10 ? '0' : '') + n;
  return `${year}-${p2(month)}-${p2(day)}T${p2(hour)}:${p2(minute)}:${p2(second)}.${String(ms).padStart(3, '0')}`;
}
