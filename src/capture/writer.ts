/**
 * Buffered pcap and pcapng writers (tests, the traffic generator, exports). Records are assembled in one large
 * buffer and written with fs.writeSync when it fills, so throughput is bounded by the disk, not by syscalls.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { TickEncoder } from './timestamp.js';

const DEFAULT_BUFFER_BYTES = 4 * 1024 * 1024;

/** Growable-on-demand output buffer over a file descriptor. */
class BufferedOutput {
  private buf: Buffer;
  private used = 0;
  private closed = false;
  private readonly fd: number;
  private readonly ownsFd: boolean;

  constructor(target: number | string, bufferBytes: number) {
    if (typeof target === 'number') {
      this.fd = target;
      this.ownsFd = false;
    } else {
      this.fd = openSync(target, 'w');
      this.ownsFd = true;
    }
    this.buf = Buffer.allocUnsafe(Math.max(4096, bufferBytes));
  }

  /** Makes room for `length` bytes at `offset` and returns the buffer to write them into. */
  reserve(length: number): Buffer {
    if (this.closed) throw new Error('writer is closed');
    if (this.used + length > this.buf.length) {
      this.flush();
      if (length > this.buf.length) this.buf = Buffer.allocUnsafe(length);
    }
    return this.buf;
  }

  get offset(): number {
    return this.used;
  }

  advance(length: number): void {
    this.used += length;
  }

  flush(): void {
    let written = 0;
    while (written < this.used) written += writeSync(this.fd, this.buf, written, this.used - written);
    this.used = 0;
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    if (this.ownsFd) closeSync(this.fd);
  }
}

function writeU16(buf: Buffer, off: number, value: number, le: boolean): void {
  if (le) buf.writeUInt16LE(value & 0xffff, off);
  else buf.writeUInt16BE(value & 0xffff, off);
}

function writeU32(buf: Buffer, off: number, value: number, le: boolean): void {
  if (le) buf.writeUInt32LE(value >>> 0, off);
  else buf.writeUInt32BE(value >>> 0, off);
}

export interface PcapWriterOptions {
  linkType: number;
  /** Write the nanosecond-resolution magic (0xa1b23c4d). Default: microseconds. */
  nanosecond?: boolean;
  /** Frames longer than this are cut (origLen keeps the wire length). Default 262144. */
  snapLen?: number;
  /** Write big-endian (byte-swapped relative to x86). Default little-endian. */
  bigEndian?: boolean;
  bufferBytes?: number;
}

/** Classic libpcap file writer. */
export class PcapWriter {
  private readonly out: BufferedOutput;
  private readonly le: boolean;
  private readonly nanosecond: boolean;
  private readonly snapLen: number;

  constructor(target: number | string, opts: PcapWriterOptions) {
    this.out = new BufferedOutput(target, opts.bufferBytes ?? DEFAULT_BUFFER_BYTES);
    this.le = opts.bigEndian !== true;
    this.nanosecond = opts.nanosecond === true;
    this.snapLen = opts.snapLen ?? 262144;
    const buf = this.out.reserve(24);
    const o = this.out.offset;
    writeU32(buf, o, this.nanosecond ? 0xa1b23c4d : 0xa1b2c3d4, this.le);
    writeU16(buf, o + 4, 2, this.le);
    writeU16(buf, o + 6, 4, this.le);
    writeU32(buf, o + 8, 0, this.le); // thiszone
    writeU32(buf, o + 12, 0, this.le); // sigfigs
    writeU32(buf, o + 16, this.snapLen, this.le);
    writeU32(buf, o + 20, opts.linkType, this.le);
    this.out.advance(24);
  }

  /** Appends one record; `origLen` defaults to the frame length. Sub-resolution time is truncated. */
  write(tsSec: number, tsNsec: number, frame: Uint8Array, origLen = frame.length): void {
    const capLen = Math.min(frame.length, this.snapLen);
    const buf = this.out.reserve(16 + capLen);
    const o = this.out.offset;
    writeU32(buf, o, tsSec, this.le);
    writeU32(buf, o + 4, this.nanosecond ? tsNsec : Math.floor(tsNsec / 1000), this.le);
    writeU32(buf, o + 8, capLen, this.le);
    writeU32(buf, o + 12, Math.max(origLen, capLen), this.le);
    buf.set(capLen === frame.length ? frame : frame.subarray(0, capLen), o + 16);
    this.out.advance(16 + capLen);
  }

  flush(): void {
    this.out.flush();
  }

  close(): void {
    this.out.close();
  }
}

export interface PcapngInterfaceOptions {
  linkType: number;
  snapLen?: number;
  name?: string;
  description?: string;
  /** if_tsresol byte: 6 = microseconds (default), 9 = nanoseconds, 0x80 | k = 2^-k. */
  tsresol?: number;
  /** if_tsoffset in seconds (timestamps passed to write() are absolute; the offset is subtracted). */
  tsOffset?: number;
}

export interface PcapngWriterOptions {
  bigEndian?: boolean;
  /** shb_userappl option. */
  application?: string;
  bufferBytes?: number;
}

export interface NameRecord {
  /** Dotted IPv4 or raw 16-byte IPv6 address. */
  address: string | Uint8Array;
  names: string[];
}

const OPT_ENDOFOPT = 0;

/** pcapng writer: sections, interfaces, EPBs, and optionally NRB/ISB/raw blocks for tests. */
export class PcapngWriter {
  private readonly out: BufferedOutput;
  private readonly le: boolean;
  private readonly application: string | undefined;
  private interfaces: { snapLen: number; encoder: TickEncoder; tsOffset: number }[] = [];

  constructor(target: number | string, opts: PcapngWriterOptions = {}) {
    this.out = new BufferedOutput(target, opts.bufferBytes ?? DEFAULT_BUFFER_BYTES);
    this.le = opts.bigEndian !== true;
    this.application = opts.application;
    this.startSection();
  }

  /** Begins a new section (SHB); interfaces of the previous section are no longer valid. */
  startSection(): void {
    const options: Option[] = [];
    if (this.application !== undefined) options.push({ code: 4, value: Buffer.from(this.application, 'utf8') });
    const body = Buffer.alloc(16);
    writeU32(body, 0, 0x1a2b3c4d, this.le);
    writeU16(body, 4, 1, this.le);
    writeU16(body, 6, 0, this.le);
    // Section length -1: unknown (we stream).
    body.writeInt32LE(-1, 8);
    body.writeInt32LE(-1, 12);
    this.writeBlock(0x0a0d0d0a, Buffer.concat([body, this.encodeOptions(options)]));
    this.interfaces = [];
  }

  /** Adds an IDB to the current section and returns its interface id. */
  addInterface(opts: PcapngInterfaceOptions): number {
    const snapLen = opts.snapLen ?? 0;
    const options: Option[] = [];
    if (opts.name !== undefined) options.push({ code: 2, value: Buffer.from(opts.name, 'utf8') });
    if (opts.description !== undefined) options.push({ code: 3, value: Buffer.from(opts.description, 'utf8') });
    const tsresol = opts.tsresol ?? 6;
    if (opts.tsresol !== undefined) options.push({ code: 9, value: Buffer.from([tsresol]) });
    const tsOffset = opts.tsOffset ?? 0;
    if (tsOffset !== 0) {
      const value = Buffer.alloc(8);
      if (this.le) value.writeBigInt64LE(BigInt(tsOffset));
      else value.writeBigInt64BE(BigInt(tsOffset));
      options.push({ code: 14, value });
    }
    const head = Buffer.alloc(8);
    writeU16(head, 0, opts.linkType, this.le);
    writeU32(head, 4, snapLen, this.le);
    this.writeBlock(1, Buffer.concat([head, this.encodeOptions(options)]));
    this.interfaces.push({ snapLen, encoder: new TickEncoder(tsresol), tsOffset });
    return this.interfaces.length - 1;
  }

  /** Appends an Enhanced Packet Block. */
  write(interfaceId: number, tsSec: number, tsNsec: number, frame: Uint8Array, origLen = frame.length): void {
    const iface = this.interfaces[interfaceId];
    if (iface === undefined) throw new RangeError(`no interface ${interfaceId} in this section`);
    const capLen = iface.snapLen !== 0 ? Math.min(frame.length, iface.snapLen) : frame.length;
    const padded = (capLen + 3) & ~3;
    const blockLen = 32 + padded;
    iface.encoder.encode(tsSec - iface.tsOffset, tsNsec);
    const buf = this.out.reserve(blockLen);
    const o = this.out.offset;
    const le = this.le;
    writeU32(buf, o, 6, le);
    writeU32(buf, o + 4, blockLen, le);
    writeU32(buf, o + 8, interfaceId, le);
    writeU32(buf, o + 12, iface.encoder.hi, le);
    writeU32(buf, o + 16, iface.encoder.lo, le);
    writeU32(buf, o + 20, capLen, le);
    writeU32(buf, o + 24, Math.max(origLen, capLen), le);
    buf.set(capLen === frame.length ? frame : frame.subarray(0, capLen), o + 28);
    buf.fill(0, o + 28 + capLen, o + 28 + padded);
    writeU32(buf, o + 28 + padded, blockLen, le);
    this.out.advance(blockLen);
  }

  /** Appends a Simple Packet Block (interface 0, no timestamp). */
  writeSimple(frame: Uint8Array, origLen = frame.length): void {
    const body = Buffer.alloc(4 + ((frame.length + 3) & ~3));
    writeU32(body, 0, origLen, this.le);
    body.set(frame, 4);
    this.writeBlock(3, body);
  }

  /** Appends a Name Resolution Block. */
  writeNames(records: NameRecord[]): void {
    const parts: Buffer[] = [];
    for (const record of records) {
      const addr =
        typeof record.address === 'string'
          ? Buffer.from(record.address.split('.').map((x) => Number(x)))
          : Buffer.from(record.address);
      const value = Buffer.concat([addr, ...record.names.map((n) => Buffer.from(`${n}\0`, 'utf8'))]);
      parts.push(this.encodeRecord(addr.length === 4 ? 1 : 2, value));
    }
    parts.push(Buffer.alloc(4)); // nrb_record_end
    this.writeBlock(4, Buffer.concat(parts));
  }

  /** Appends an Interface Statistics Block with the given counters (isb_ifrecv etc.). */
  writeStatistics(
    interfaceId: number,
    stats: { received?: number; dropped?: number; filterAccepted?: number; osDropped?: number; delivered?: number },
  ): void {
    const head = Buffer.alloc(12);
    writeU32(head, 0, interfaceId, this.le);
    const options: Option[] = [];
    const add = (code: number, v: number | undefined): void => {
      if (v === undefined) return;
      const value = Buffer.alloc(8);
      if (this.le) value.writeBigUInt64LE(BigInt(v));
      else value.writeBigUInt64BE(BigInt(v));
      options.push({ code, value });
    };
    add(4, stats.received);
    add(5, stats.dropped);
    add(6, stats.filterAccepted);
    add(7, stats.osDropped);
    add(8, stats.delivered);
    this.writeBlock(5, Buffer.concat([head, this.encodeOptions(options)]));
  }

  /** Appends an arbitrary block (body is padded to 4 bytes). For tests and custom blocks. */
  writeBlock(type: number, body: Uint8Array): void {
    const padded = (body.length + 3) & ~3;
    const blockLen = 12 + padded;
    const buf = this.out.reserve(blockLen);
    const o = this.out.offset;
    writeU32(buf, o, type, this.le);
    writeU32(buf, o + 4, blockLen, this.le);
    buf.set(body, o + 8);
    buf.fill(0, o + 8 + body.length, o + 8 + padded);
    writeU32(buf, o + 8 + padded, blockLen, this.le);
    this.out.advance(blockLen);
  }

  flush(): void {
    this.out.flush();
  }

  close(): void {
    this.out.close();
  }

  private encodeRecord(code: number, value: Uint8Array): Buffer {
    const out = Buffer.alloc(4 + ((value.length + 3) & ~3));
    writeU16(out, 0, code, this.le);
    writeU16(out, 2, value.length, this.le);
    out.set(value, 4);
    return out;
  }

  private encodeOptions(options: Option[]): Buffer {
    if (options.length === 0) return Buffer.alloc(0);
    return Buffer.concat([...options.map((o) => this.encodeRecord(o.code, o.value)), this.encodeRecord(OPT_ENDOFOPT, Buffer.alloc(0))]);
  }
}

interface Option {
  code: number;
  value: Uint8Array;
}
