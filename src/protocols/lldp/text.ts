/**
 * Helpers shared by the L2 discovery analyzers (LLDP, CDP): printable text of a length-bounded field and a
 * cheap content hash used to report an advertisement only when it changes. Text is made only for changed
 * advertisements, never per frame.
 */

/** Longest text kept from one field (a system description can be 255 octets; CDP's software version more). */
export const MAX_TEXT = 255;

/**
 * Printable ASCII of buf[off..off+len): stops at NUL, control characters and bytes ≥ 0x7f become '?' (a
 * later UTF-8 decode would invent characters), runs of whitespace collapse, ends are trimmed, length capped.
 */
export function printable(buf: Uint8Array, off: number, len: number, max = MAX_TEXT): string {
  let out = '';
  let space = false;
  const end = Math.min(off + len, buf.length);
  for (let i = Math.max(off, 0); i < end && out.length < max; i++) {
    const c = buf[i]!;
    if (c === 0) break;
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) {
      space = out.length > 0;
      continue;
    }
    if (space) {
      out += ' ';
      space = false;
    }
    out += c > 0x20 && c < 0x7f ? String.fromCharCode(c) : '?';
  }
  return out;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a of buf[off..off+len) continuing from `hash` (start with fnvStart()). */
export function fnvBytes(hash: number, buf: Uint8Array, off: number, len: number): number {
  const end = Math.min(off + len, buf.length);
  for (let i = Math.max(off, 0); i < end; i++) hash = Math.imul(hash ^ buf[i]!, FNV_PRIME);
  return hash >>> 0;
}

/** FNV-1a step for a small integer (a length, a subtype, a value). */
export function fnvNumber(hash: number, value: number): number {
  hash = Math.imul(hash ^ (value & 0xff), FNV_PRIME);
  hash = Math.imul(hash ^ ((value >>> 8) & 0xff), FNV_PRIME);
  hash = Math.imul(hash ^ ((value >>> 16) & 0xff), FNV_PRIME);
  return Math.imul(hash ^ ((value >>> 24) & 0xff), FNV_PRIME) >>> 0;
}

export function fnvStart(): number {
  return FNV_OFFSET;
}

/** Text of an IPv4 address stored at buf[off..off+4). */
export function ip4At(buf: Uint8Array, off: number): string {
  return `${buf[off]}.${buf[off + 1]}.${buf[off + 2]}.${buf[off + 3]}`;
}

const HEX = '0123456789abcdef';

/** aa:bb:cc:dd:ee:ff of the 6 octets at buf[off]. */
export function macAt(buf: Uint8Array, off: number): string {
  let out = '';
  for (let i = 0; i < 6; i++) {
    const b = buf[off + i]!;
    if (i > 0) out += ':';
    out += HEX[b >> 4]! + HEX[b & 15]!;
  }
  return out;
}

/** Lower-case hex of up to `max` octets (for identifiers of unknown form). */
export function hexAt(buf: Uint8Array, off: number, len: number, max = 32): string {
  let out = '';
  const end = Math.min(off + Math.min(len, max), buf.length);
  for (let i = off; i < end; i++) out += HEX[buf[i]! >> 4]! + HEX[buf[i]! & 15]!;
  return out;
}
