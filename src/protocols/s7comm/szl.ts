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
 * u16, records. A response split over several userdata PDUs is decoded from its first part (records wholly
 * inside it).
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
 * Decode an SZL read response payload, reporting facts. Returns the CPU mode nibble for SZL 0x0424, else -1.
 */
export function decodeSzlResponse(buf: Uint8Array, off: number, len: number, sink: FactSink): number {
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
