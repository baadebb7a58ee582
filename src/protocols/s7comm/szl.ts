/**
 * SZL (System status list, "SSL" in English manuals) response decoding for the lists that identify a CPU:
 *
 *   0x0011 / 0x0111 module identification, 28-byte records: index u16, MLFB (order number) 20 chars,
 *     BGTyp u16, Ausbg u16, Ausbe u16. Index 1 = module, 6 = basic hardware, 7 = basic firmware (Ausbg =
 *     'V' << 8 | major, Ausbe = minor << 8 | patch).
 *   0x001C / 0x011C component identification, 34-byte records: index u16 + 32 bytes of text. Index 1 automation
 *     system (PLC) name, 2 module name, 3 plant designation, 4 copyright, 5 serial number, 7 module type name,
 *     8 memory card serial, 0x0A OEM id, 0x0B location.
 *   0x0424 current mode: ereig u16, ae u8, bzu-id u8 (low nibble = requested/current mode).
 *
 * Response payload (after the userdata data header): SZL id u16, index u16, record length u16, record count
 * u16, records. A PLC whose answer does not fit one PDU sends it in parts: each response but the last has
 * "last data unit" = no and a data unit reference; the client asks for the next part with a continuation
 * request carrying that reference, and the next part's payload simply continues the byte stream (no SZL header
 * again: Wireshark reassembles the payloads by concatenation, keyed by the reference). SzlReassembly follows
 * that stream part by part: records wholly inside a part are decoded in place, and only the piece of a record
 * cut by a part boundary is carried (at most one record), so facts appear at the frame that completes them.
 */
import type { FactField } from '../../events/types.js';
import { asciiField } from './parser.js';

export interface FactSink {
  fact(field: FactField, value: string, confidence: number): void;
}

/** Confidence for identity the device declares about itself. */
export const DECLARED_CONFIDENCE = 0.95;
/** Confidence for values derived from declared identity (family from the order number). */
export const DERIVED_CONFIDENCE = 0.85;

function u16(buf: Uint8Array, at: number): number {
  return (buf[at]! << 8) | buf[at + 1]!;
}

/**
 * S7 family from a Siemens order number ("6ES7 315-2EH14-0AB0" → "S7-300"); '' when unknown. The digit
 * after "6ES7 " is the product line: 1 ET 200 CPUs, 2 S7-200/S7-1200 (21x-...-xx3x/4x are S7-1200),
 * 3 S7-300, 4 S7-400, 5 S7-1500.
 */
export function familyFromOrderNumber(order: string): string {
  const m = /^6(?:ES7|AG1|AG2)\s?(\d)(\d)(\d)-/.exec(order);
  if (!m) return '';
  const line = m[1]!;
  if (line === '3') return 'S7-300';
  if (line === '4') return 'S7-400';
  if (line === '5') return 'S7-1500';
  if (line === '2') return m[2] === '1' ? 'S7-1200' : 'S7-200';
  if (line === '1') return 'ET 200';
  return '';
}

/**
 * Identity answers repeat: every connection to a PLC reads the same lists and gets the same bytes back. The
 * facts (and mode) of the last answers are kept with a copy of their payload, and an identical payload replays
 * them instead of decoding the records again. The outcome depends on nothing but those bytes, so a hit gives
 * exactly what decoding would; a miss (or a payload over the size limit) decodes. Round-robin over the slots.
 */
const SZL_MEMO_SLOTS = 8;
export const SZL_MEMO_MAX_BYTES = 512;

class SzlAnswerMemo implements FactSink {
  private readonly bytes = new Uint8Array(SZL_MEMO_SLOTS * SZL_MEMO_MAX_BYTES);
  private readonly lengths = new Int32Array(SZL_MEMO_SLOTS).fill(-1);
  private readonly modes = new Int32Array(SZL_MEMO_SLOTS);
  /** per slot: field, value, confidence, field, value, confidence, ... in the order they were reported */
  private readonly facts: Array<Array<FactField | string | number>> = [];
  private next = 0;
  /** while recording: where the decoder's facts go, and the list they are appended to */
  private target: FactSink | null = null;
  private recording: Array<FactField | string | number> = [];

  decode(buf: Uint8Array, off: number, len: number, sink: FactSink): number {
    if (len > SZL_MEMO_MAX_BYTES || len < 8) return decodeSzlPayload(buf, off, len, sink);
    const hit = this.find(buf, off, len);
    if (hit >= 0) {
      const facts = this.facts[hit]!;
      for (let i = 0; i < facts.length; i += 3) sink.fact(facts[i] as FactField, facts[i + 1] as string, facts[i + 2] as number);
      return this.modes[hit]!;
    }
    const slot = this.next;
    this.next = (slot + 1) % SZL_MEMO_SLOTS;
    const recorded: Array<FactField | string | number> = [];
    this.target = sink;
    this.recording = recorded;
    this.lengths[slot] = -1;
    const mode = decodeSzlPayload(buf, off, len, this);
    this.target = null;
    this.bytes.set(buf.subarray(off, off + len), slot * SZL_MEMO_MAX_BYTES);
    this.lengths[slot] = len;
    this.modes[slot] = mode;
    this.facts[slot] = recorded;
    return mode;
  }

  /** FactSink while decoding a payload not seen before: record, then pass on. */
  fact(field: FactField, value: string, confidence: number): void {
    this.recording.push(field, value, confidence);
    this.target!.fact(field, value, confidence);
  }

  private find(buf: Uint8Array, off: number, len: number): number {
    const bytes = this.bytes;
    for (let slot = 0; slot < SZL_MEMO_SLOTS; slot++) {
      if (this.lengths[slot] !== len) continue;
      const base = slot * SZL_MEMO_MAX_BYTES;
      let i = 0;
      while (i < len && bytes[base + i] === buf[off + i]) i++;
      if (i === len) return slot;
    }
    return -1;
  }
}

const szlAnswerMemo = new SzlAnswerMemo();

/**
 * Decode an SZL read response payload, reporting facts. Returns the CPU mode nibble for SZL 0x0424, else -1.
 */
export function decodeSzlResponse(buf: Uint8Array, off: number, len: number, sink: FactSink): number {
  return szlAnswerMemo.decode(buf, off, len, sink);
}

function decodeSzlPayload(buf: Uint8Array, off: number, len: number, sink: FactSink): number {
  if (len < 8) return -1;
  const szlId = u16(buf, off);
  const recLen = u16(buf, off + 4);
  const recCount = u16(buf, off + 6);
  const end = off + len;
  let p = off + 8;
  const list = szlId & 0xff;
  if (recLen === 0) return -1;
  if (list === 0x11 && recLen >= 28) {
    for (let i = 0; i < recCount && p + 28 <= end; i++, p += recLen) decodeModuleIdRecord(buf, p, sink);
    return -1;
  }
  if (list === 0x1c && recLen >= 34) {
    for (let i = 0; i < recCount && p + 34 <= end; i++, p += recLen) decodeComponentRecord(buf, p, sink);
    return -1;
  }
  if (szlId === 0x0424 && recCount >= 1 && recLen >= 4 && p + 4 <= end) return buf[p + 3]! & 0x0f;
  return -1;
}

/** Bytes of a record the facts are read from, per list (0: the list gives no facts). */
function factRecordBytes(list: number): number {
  return list === 0x11 ? 28 : list === 0x1c ? 34 : 0;
}

function decodeRecord(list: number, buf: Uint8Array, p: number, sink: FactSink): void {
  if (list === 0x11) decodeModuleIdRecord(buf, p, sink);
  else decodeComponentRecord(buf, p, sink);
}

/** Caps of one multi-part SZL answer. */
export interface SzlReassemblyLimits {
  /** parts (userdata responses) of one answer, the first included */
  maxParts: number;
  /** payload bytes of one answer over all its parts */
  maxBytes: number;
}

/** Records larger than this are not carried across parts (the identity lists use 28 and 34 bytes). */
export const MAX_CARRIED_RECORD_BYTES = 256;

/** SzlReassembly.next results. */
export const SzlPart = {
  Ok: 0,
  PartsCap: 1,
  BytesCap: 2,
} as const;

/**
 * The multi-part SZL answer being received on a flow (one at a time: a client reads one list at a time on a
 * connection). Allocates its carry buffer (one record) on the first answer that needs it.
 */
export class SzlReassembly {
  active = false;
  dataUnitRef = 0;
  /** SZL id low byte when its records give facts, else 0 (parts are then only followed, not decoded) */
  private list = 0;
  private recLen = 0;
  private recordsLeft = 0;
  private parts = 0;
  private bytes = 0;
  /** bytes of a record already decoded that spill into the next part */
  private skip = 0;
  private carry: Uint8Array | null = null;
  private carryLen = 0;

  reset(): void {
    this.active = false;
    this.carryLen = 0;
    this.skip = 0;
  }

  /**
   * First part of a multi-part answer, buf[off, off+len): decodeSzlResponse has decoded the records it holds
   * (each needs only its fact bytes inside the part); remember where the stream stands after them.
   */
  begin(buf: Uint8Array, off: number, len: number, dataUnitRef: number): void {
    this.reset();
    if (len < 8) return;
    const list = u16(buf, off) & 0xff;
    const recLen = u16(buf, off + 4);
    const recCount = u16(buf, off + 6);
    const need = factRecordBytes(list);
    this.active = true;
    this.dataUnitRef = dataUnitRef;
    this.parts = 1;
    this.bytes = len;
    this.list = 0;
    if (need === 0 || recLen < need || recLen > MAX_CARRIED_RECORD_BYTES) return;
    const area = len - 8;
    const decoded = area < need ? 0 : Math.min(recCount, Math.floor((area - need) / recLen) + 1);
    this.list = list;
    this.recLen = recLen;
    this.recordsLeft = recCount - decoded;
    const next = 8 + decoded * recLen;
    if (next > len) this.skip = next - len;
    else if (this.recordsLeft > 0) this.stash(buf, off + next, len - next);
  }

  /** A following part, buf[off, off+len); `last` ends the answer. Returns an SzlPart code. */
  next(buf: Uint8Array, off: number, len: number, last: boolean, limits: SzlReassemblyLimits, sink: FactSink): number {
    this.parts++;
    this.bytes += len;
    if (this.parts > limits.maxParts || this.bytes > limits.maxBytes) {
      const code = this.parts > limits.maxParts ? SzlPart.PartsCap : SzlPart.BytesCap;
      this.reset();
      return code;
    }
    if (last) this.active = false;
    if (this.list === 0) return SzlPart.Ok;
    const end = off + len;
    let p = off;
    if (this.skip > 0) {
      const n = Math.min(this.skip, len);
      this.skip -= n;
      p += n;
    }
    if (this.carryLen > 0 && this.recordsLeft > 0) {
      const carry = this.carry!;
      const take = Math.min(this.recLen - this.carryLen, end - p);
      carry.set(buf.subarray(p, p + take), this.carryLen);
      this.carryLen += take;
      p += take;
      if (this.carryLen === this.recLen) {
        decodeRecord(this.list, carry, 0, sink);
        this.recordsLeft--;
        this.carryLen = 0;
      }
    }
    for (; this.recordsLeft > 0 && end - p >= this.recLen; p += this.recLen, this.recordsLeft--) {
      decodeRecord(this.list, buf, p, sink);
    }
    if (this.recordsLeft > 0 && p < end) this.stash(buf, p, end - p);
    return SzlPart.Ok;
  }

  private stash(buf: Uint8Array, off: number, n: number): void {
    const carry = (this.carry ??= new Uint8Array(MAX_CARRIED_RECORD_BYTES));
    carry.set(buf.subarray(off, off + n), this.carryLen);
    this.carryLen += n;
  }
}

function decodeModuleIdRecord(buf: Uint8Array, p: number, sink: FactSink): void {
  const index = u16(buf, p);
  const mlfb = asciiField(buf, p + 2, 20);
  const ausbg = u16(buf, p + 24);
  const ausbe = u16(buf, p + 26);
  switch (index) {
    case 0x0001:
      if (mlfb !== '') {
        sink.fact('order-number', mlfb, DECLARED_CONFIDENCE);
        if (/^6(ES7|AG1|AG2)/.test(mlfb)) sink.fact('vendor', 'Siemens', DERIVED_CONFIDENCE);
        const family = familyFromOrderNumber(mlfb);
        if (family !== '') sink.fact('product', family, DERIVED_CONFIDENCE);
      }
      break;
    case 0x0006:
      sink.fact('hardware-revision', String(ausbg), DECLARED_CONFIDENCE);
      break;
    case 0x0007:
      if (ausbg >> 8 === 0x56 /* 'V' */) {
        sink.fact('firmware', `V${ausbg & 0xff}.${ausbe >> 8}.${ausbe & 0xff}`, DECLARED_CONFIDENCE);
      }
      break;
  }
}

function decodeComponentRecord(buf: Uint8Array, p: number, sink: FactSink): void {
  const index = u16(buf, p);
  let field: FactField | '' = '';
  let width = 32;
  switch (index) {
    case 0x0001: field = 'device-name'; width = 24; break;
    case 0x0002: field = 'module-name'; width = 24; break;
    case 0x0003: field = 'plant-name'; break;
    case 0x0005: field = 'serial'; width = 24; break;
    case 0x0007: field = 'model'; break;
    default: return;
  }
  const value = asciiField(buf, p + 2, width);
  if (value !== '') sink.fact(field, value, DECLARED_CONFIDENCE);
}
