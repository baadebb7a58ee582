/**
 * Minimal buffered capture-file output for the simulator (classic pcap with µs timestamps, or pcapng with one
 * Ethernet interface). Frames are copied into one large buffer that is flushed with fs.writeSync, so the
 * generator's throughput is not bounded by syscalls.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { copyBytes } from './bytes.js';

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
    const total = recordBytes(this.format, len);
    this.ensure(total);
    this.used = putRecord(this.format, this.buf, this.used, tsUs, frame, len);
    this.bytesWritten += total;
    this.frames++;
  }

  /** Appends `len` bytes of ready-made records (`frames` of them) from `block`. */
  writeRecords(block: Buffer, len: number, frames: number): void {
    // small blocks are gathered; large ones go straight to the file
    if (len < 1 << 20 && len <= this.buf.length - this.used) {
      block.copy(this.buf, this.used, 0, len);
      this.used += len;
    } else {
      this.flush();
      let off = 0;
      while (off < len) off += writeSync(this.fd, block, off, len - off);
    }
    this.bytesWritten += len;
    this.frames += frames;
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

/** Size of one capture record holding a `len`-byte frame. */
export function recordBytes(format: SimCaptureFormat, len: number): number {
  return format === 'pcap' ? 16 + len : 32 + ((len + 3) & ~3);
}

/** Offset of the frame bytes inside a record. */
export function recordFrameOffset(format: SimCaptureFormat): number {
  return format === 'pcap' ? 16 : 28;
}

/** Writes the record's timestamp fields (µs since the Unix epoch) at record offset `o`. */
export function putRecordTs(format: SimCaptureFormat, b: Buffer, o: number, tsUs: number): void {
  if (format === 'pcap') {
    const sec = Math.floor(tsUs / 1e6);
    b.writeUInt32LE(sec, o);
    b.writeUInt32LE(tsUs - sec * 1e6, o + 4);
  } else {
    const hi = Math.floor(tsUs / 4294967296);
    b.writeUInt32LE(hi, o + 12);
    b.writeUInt32LE(tsUs - hi * 4294967296, o + 16);
  }
}

/** Writes one record (header, frame, pcapng padding and trailer) at `o`; returns the offset after it. */
export function putRecord(format: SimCaptureFormat, b: Buffer, o: number, tsUs: number, frame: Buffer, len: number): number {
  if (format === 'pcap') {
    putRecordTs(format, b, o, tsUs);
    b.writeUInt32LE(len, o + 8);
    b.writeUInt32LE(len, o + 12);
    copyBytes(frame, 0, b, o + 16, len);
    return o + 16 + len;
  }
  const padded = (len + 3) & ~3;
  const total = 32 + padded;
  b.writeUInt32LE(6, o);
  b.writeUInt32LE(total, o + 4);
  b.writeUInt32LE(0, o + 8);
  putRecordTs(format, b, o, tsUs);
  b.writeUInt32LE(len, o + 20);
  b.writeUInt32LE(len, o + 24);
  copyBytes(frame, 0, b, o + 28, len);
  for (let i = o + 28 + len; i < o + 28 + padded; i++) b[i] = 0;
  b.writeUInt32LE(total, o + 28 + padded);
  return o + total;
}

