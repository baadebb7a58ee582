/**
 * The few NDR (transfer syntax 2.0, little- or big-endian per the PDU's data representation) readers the
 * analyzer needs to pull string arguments out of request stubs. Every read is bounds-checked; a reader that
 * runs out of bytes latches `ok = false` and returns neutral values.
 */
export class NdrReader {
  buf: Uint8Array = new Uint8Array(0);
  pos = 0;
  end = 0;
  /** position of the stub's first byte: NDR alignment is relative to it */
  base = 0;
  littleEndian = true;
  ok = true;

  reset(buf: Uint8Array, off: number, end: number, littleEndian: boolean): this {
    this.buf = buf;
    this.pos = off;
    this.base = off;
    this.end = end;
    this.littleEndian = littleEndian;
    this.ok = true;
    return this;
  }

  align(n: number): void {
    const rel = (this.pos - this.base) % n;
    if (rel !== 0) this.skip(n - rel);
  }

  skip(n: number): void {
    if (!this.ok || n < 0 || this.pos + n > this.end) {
      this.ok = false;
      return;
    }
    this.pos += n;
  }

  u32(): number {
    this.align(4);
    if (!this.ok || this.pos + 4 > this.end) {
      this.ok = false;
      return 0;
    }
    const b = this.buf;
    const p = this.pos;
    this.pos += 4;
    return this.littleEndian
      ? (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0
      : ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
  }

  /**
   * A conformant varying UTF-16 string (max count, offset, actual count, characters). Returns its length in
   * characters without the terminating NUL; the text itself (at most `maxChars`) goes to `text`.
   */
  wstring(maxChars: number, text: { value: string }): number {
    this.u32(); // maximum count
    this.u32(); // offset
    const actual = this.u32();
    if (!this.ok) return -1;
    const bytes = actual * 2;
    if (actual > 0x7fffffff || this.pos + bytes > this.end) {
      this.ok = false;
      return -1;
    }
    let chars = actual;
    const b = this.buf;
    const p = this.pos;
    if (chars > 0 && b[p + 2 * (chars - 1)] === 0 && b[p + 2 * (chars - 1) + 1] === 0) chars--;
    let s = '';
    const keep = chars < maxChars ? chars : maxChars;
    for (let i = 0; i < keep; i++) {
      const c = this.littleEndian ? b[p + 2 * i]! | (b[p + 2 * i + 1]! << 8) : (b[p + 2 * i]! << 8) | b[p + 2 * i + 1]!;
      s += String.fromCharCode(c);
    }
    text.value = s;
    this.pos += bytes;
    return chars;
  }

  /** A [unique] pointer's referent id: 0 means NULL (nothing follows). */
  pointer(): number {
    return this.u32();
  }
}
