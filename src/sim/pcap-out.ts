/**
 * Minimal buffered capture-file output for the simulator (classic pcap with µs timestamps, or pcapng with one
 * Ethernet interface). Frames are copied into one large buffer that is flushed with fs.writeSync, so the
 * generator's throughput is not bounded by syscalls.
 */
import { closeSync, openSync, writeSync } from 'node:fs';

export type SimCaptureFormat = 'pcap' | 'pcapng';

const LINKTYPE_ETHERNET = 1;
const SNAPLEN = 65535;

export class SimCaptureWriter {
  private readonly fd: number;
  private readonly buf: Buffer;
  private used = 0;
  /** Bytes handed to the file so far plus what is buffered. */
  bytesWritten = 0;
  frames = 0;

  constructor(path: string, readonly format: SimCaptureFormat, bufferBytes = 8 << 20) {
    this.fd = openSync(path, 'w');
    this.buf = Buffer.allocUnsafe(Math.max(bufferBytes, 1 << 17));
    if (format === 'pcap') this.writeClassicHeader();
    else this.writeNgHeader();
  }

  private ensure(n: number): void {
    if (this.used + n > this.buf.length) this.flush();
  }

  private writeClassicHeader(): void {
    const b = this.buf;
    b.writeUInt32LE(0xa1b2c3d4, 0);
    b.writeUInt16LE(2, 4);
    b.writeUInt16LE(4, 6);
    b.writeInt32LE(0, 8);
    b.writeUInt32LE(0, 12);
    b.writeUInt32LE(SNAPLEN, 16);
    b.writeUInt32LE(LINKTYPE_ETHERNET, 20);
    this.used = 24;
    this.bytesWritten = 24;
  }

  private writeNgHeader(): void {
    const b = this.buf;
    // Section Header Block, no options.
    b.writeUInt32LE(0x0a0d0d0a, 0);
    b.writeUInt32LE(28, 4);
    b.writeUInt32LE(0x1a2b3c4d, 8);
    b.writeUInt16LE(1, 12);
    b.writeUInt16LE(0, 14);
    b.writeInt32LE(-1, 16);
    b.writeInt32LE(-1, 20);
    b.writeUInt32LE(28, 24);
    // Interface Description Block: Ethernet, default µs resolution (no if_tsresol option).
    b.writeUInt32LE(1, 28);
    b.writeUInt32LE(20, 32);
    b.writeUInt16LE(LINKTYPE_ETHERNET, 36);
    b.writeUInt16LE(0, 38);
    b.writeUInt32LE(SNAPLEN, 40);
    b.writeUInt32LE(20, 44);
    this.used = 48;
    this.bytesWritten = 48;
  }

  /** Appends one frame; `tsUs` is microseconds since the Unix epoch. */
  write(tsUs: number, frame: Buffer, len: number): void {
    const b = this.buf;
    if (this.format === 'pcap') {
      this.ensure(16 + len);
      let o = this.used;
      const sec = Math.floor(tsUs / 1e6);
      b.writeUInt32LE(sec, o);
      b.writeUInt32LE(tsUs - sec * 1e6, o + 4);
      b.writeUInt32LE(len, o + 8);
      b.writeUInt32LE(len, o + 12);
      o += 16;
      frame.copy(b, o, 0, len);
      this.used = o + len;
      this.bytesWritten += 16 + len;
    } else {
      const padded = (len + 3) & ~3;
      const total = 32 + padded;
      this.ensure(total);
      let o = this.used;
      b.writeUInt32LE(6, o);
      b.writeUInt32LE(total, o + 4);
      b.writeUInt32LE(0, o + 8);
      b.writeUInt32LE(Math.floor(tsUs / 4294967296), o + 12);
      b.writeUInt32LE(tsUs % 4294967296, o + 16);
      b.writeUInt32LE(len, o + 20);
      b.writeUInt32LE(len, o + 24);
      o += 28;
      frame.copy(b, o, 0, len);
      o += len;
      for (let i = len; i < padded; i++) b[o++] = 0;
      b.writeUInt32LE(total, o);
      this.used = o + 4;
      this.bytesWritten += total;
    }
    this.frames++;
  }

  flush(): void {
    let off = 0;
    while (off < this.used) off += writeSync(this.fd, this.buf, off, this.used - off);
    this.used = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}
