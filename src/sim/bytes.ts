/** A cursor writing into a preallocated buffer (payload construction without intermediate allocations). */
export class ByteWriter {
  o = 0;
  constructor(readonly buf: Buffer) {}

  reset(at = 0): this {
    this.o = at;
    return this;
  }
  u8(v: number): this {
    this.buf[this.o++] = v & 0xff;
    return this;
  }
  u16(v: number): this {
    this.buf.writeUInt16BE(v & 0xffff, this.o);
    this.o += 2;
    return this;
  }
  u16le(v: number): this {
    this.buf.writeUInt16LE(v & 0xffff, this.o);
    this.o += 2;
    return this;
  }
  u24le(v: number): this {
    this.buf[this.o++] = v & 0xff;
    this.buf[this.o++] = (v >>> 8) & 0xff;
    this.buf[this.o++] = (v >>> 16) & 0xff;
    return this;
  }
  u32(v: number): this {
    this.buf.writeUInt32BE(v >>> 0, this.o);
    this.o += 4;
    return this;
  }
  u32le(v: number): this {
    this.buf.writeUInt32LE(v >>> 0, this.o);
    this.o += 4;
    return this;
  }
  i32le(v: number): this {
    this.buf.writeInt32LE(v | 0, this.o);
    this.o += 4;
    return this;
  }
  u64le(v: bigint): this {
    this.buf.writeBigUInt64LE(v, this.o);
    this.o += 8;
    return this;
  }
  f32(v: number): this {
    this.buf.writeFloatBE(v, this.o);
    this.o += 4;
    return this;
  }
  f32le(v: number): this {
    this.buf.writeFloatLE(v, this.o);
    this.o += 4;
    return this;
  }
  ascii(s: string): this {
    this.o += this.buf.write(s, this.o, 'latin1');
    return this;
  }
  utf16le(s: string): this {
    this.o += this.buf.write(s, this.o, 'utf16le');
    return this;
  }
  /** `s` padded with `pad` (default space) or cut to exactly `len` bytes */
  fixed(s: string, len: number, pad = 0x20): this {
    this.buf.fill(pad, this.o, this.o + len);
    this.buf.write(s.slice(0, len), this.o, 'latin1');
    this.o += len;
    return this;
  }
  bytes(b: Uint8Array | readonly number[]): this {
    for (let i = 0; i < b.length; i++) this.buf[this.o++] = b[i]!;
    return this;
  }
  zeros(n: number): this {
    this.buf.fill(0, this.o, this.o + n);
    this.o += n;
    return this;
  }
  /** Reserves a 16-bit big-endian length field; returns its offset for patch16(). */
  mark16(): number {
    const at = this.o;
    this.o += 2;
    return at;
  }
  patch16(at: number, v: number): void {
    this.buf.writeUInt16BE(v & 0xffff, at);
  }
  patch16le(at: number, v: number): void {
    this.buf.writeUInt16LE(v & 0xffff, at);
  }
  patch32le(at: number, v: number): void {
    this.buf.writeUInt32LE(v >>> 0, at);
  }
}

/** Buffer.copy has a large fixed cost per call; frame-sized copies are faster as a loop. */
export function copyBytes(src: Buffer, srcOff: number, dst: Buffer, dstOff: number, len: number): void {
  if (len > 512) {
    src.copy(dst, dstOff, srcOff, srcOff + len);
    return;
  }
  for (let i = 0; i < len; i++) dst[dstOff + i] = src[srcOff + i]!;
}
