/** ASCII helpers for cleartext protocols: probing, case-insensitive matching and printable event text. */

/** Printable text of buf[off..off+len), at most `max` characters, control bytes as '.', trimmed. */
export function printable(buf: Buffer, off: number, len: number, max = 256): string {
  const n = len < max ? len : max;
  let s = '';
  for (let i = 0; i < n; i++) {
    const b = buf[off + i]!;
    s += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : b === 0x09 ? ' ' : '.';
  }
  return s.trim();
}

/** Case-insensitive: does buf[off..off+len) start with the ASCII `prefix` (upper case letters given)? */
export function startsWithUpper(buf: Buffer, off: number, len: number, prefix: string): boolean {
  if (len < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) {
    let b = buf[off + i]!;
    if (b >= 0x61 && b <= 0x7a) b -= 0x20;
    if (b !== prefix.charCodeAt(i)) return false;
  }
  return true;
}

/** Text protocols probe their first line: printable ASCII (with CR/LF/TAB) only. */
export function isTextPrefix(buf: Buffer, off: number, len: number): boolean {
  for (let i = 0; i < len; i++) {
    const b = buf[off + i]!;
    if ((b < 0x20 || b > 0x7e) && b !== 0x0d && b !== 0x0a && b !== 0x09) return false;
  }
  return true;
}

/** Does the ASCII needle (lower case) occur in buf[off..off+len), case-insensitively? */
export function containsLower(buf: Buffer, off: number, len: number, needle: string): boolean {
  const n = needle.length;
  outer: for (let i = 0; i + n <= len; i++) {
    for (let j = 0; j < n; j++) {
      let b = buf[off + i + j]!;
      if (b >= 0x41 && b <= 0x5a) b += 0x20;
      if (b !== needle.charCodeAt(j)) continue outer;
    }
    return true;
  }
  return false;
}
