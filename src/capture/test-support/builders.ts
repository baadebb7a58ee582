/** Test helpers: build captures in memory, read them back into plain copies. Not part of the build. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { readCaptureStream, type ReaderOptions } from '../reader.js';
import type { CaptureSummary } from '../types.js';
import { PcapWriter, PcapngWriter, type PcapWriterOptions, type PcapngWriterOptions } from '../writer.js';

export interface CopiedRecord {
  frame: number;
  tsSec: number;
  tsNsec: number;
  linkType: number;
  interfaceId: number;
  capLen: number;
  origLen: number;
  data: Buffer;
}

export interface ReadResult {
  records: CopiedRecord[];
  summary: CaptureSummary;
}

export function copyRecords(sink: CopiedRecord[]) {
  return (r: CopiedRecord & { buf?: Buffer; offset?: number }): void => {
    // Copy the packet and drop the reader's own buffer/offset (they change from chunk to chunk).
    const { buf: _buf, offset: _offset, ...fields } = r;
    sink.push({ ...fields, data: Buffer.from(r.data) });
  };
}

/** Reads a capture held in memory, delivered as one stream chunk (or in pieces of `pieceBytes`). */
export async function readBytes(bytes: Uint8Array, opts: ReaderOptions = {}, pieceBytes = 0): Promise<ReadResult> {
  const records: CopiedRecord[] = [];
  const pieces: Buffer[] = [];
  const all = Buffer.from(bytes);
  if (pieceBytes > 0) for (let i = 0; i < all.length; i += pieceBytes) pieces.push(all.subarray(i, i + pieceBytes));
  else pieces.push(all);
  const summary = await readCaptureStream(Readable.from(pieces), 'mem', copyRecords(records), opts);
  return { records, summary };
}

let scratchDir: string | null = null;
export function scratchPath(name: string): string {
  if (scratchDir === null) {
    scratchDir = mkdtempSync(join(tmpdir(), 'otwatch-capture-'));
    process.on('exit', () => rmSync(scratchDir!, { recursive: true, force: true }));
  }
  return join(scratchDir, name);
}

let counter = 0;
export function buildPcap(opts: PcapWriterOptions, fill: (w: PcapWriter) => void): Buffer {
  const path = scratchPath(`build-${counter++}.pcap`);
  const writer = new PcapWriter(path, opts);
  fill(writer);
  writer.close();
  return readFileSync(path);
}

export function buildPcapng(opts: PcapngWriterOptions, fill: (w: PcapngWriter) => void): Buffer {
  const path = scratchPath(`build-${counter++}.pcapng`);
  const writer = new PcapngWriter(path, opts);
  fill(writer);
  writer.close();
  return readFileSync(path);
}

/** Deterministic pseudo-random frame of `length` bytes. */
export function frameOf(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/**
 * Byte offsets at which each record/block of a well-formed capture ends, walked independently of the
 * reader: pcap from the record headers, pcapng from the block lengths. Used by the truncation tests.
 */
export function recordEnds(bytes: Buffer): { ends: number[]; packetBlock: boolean[] } {
  const ends: number[] = [];
  const packetBlock: boolean[] = [];
  const magic = bytes.readUInt32LE(0);
  if (magic === 0x0a0d0d0a) {
    let le = true;
    for (let p = 0; p + 12 <= bytes.length; ) {
      const type = bytes.readUInt32LE(p);
      if (type === 0x0a0d0d0a) le = bytes.readUInt32LE(p + 8) === 0x1a2b3c4d;
      const len = le ? bytes.readUInt32LE(p + 4) : bytes.readUInt32BE(p + 4);
      const t = le ? type : bytes.readUInt32BE(p);
      p += len;
      ends.push(p);
      packetBlock.push(t === 2 || t === 3 || t === 6);
    }
  } else {
    const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
    for (let p = 24; p + 16 <= bytes.length; ) {
      const cap = le ? bytes.readUInt32LE(p + 8) : bytes.readUInt32BE(p + 8);
      p += 16 + cap;
      ends.push(p);
      packetBlock.push(true);
    }
  }
  return { ends, packetBlock };
}

/** Raw pcapng block builders (independent of PcapngWriter) for hand-made test files. */
export const raw = {
  u16(v: number, le: boolean): Buffer {
    const b = Buffer.alloc(2);
    if (le) b.writeUInt16LE(v);
    else b.writeUInt16BE(v);
    return b;
  },
  u32(v: number, le: boolean): Buffer {
    const b = Buffer.alloc(4);
    if (le) b.writeUInt32LE(v >>> 0);
    else b.writeUInt32BE(v >>> 0);
    return b;
  },
  pad(b: Buffer): Buffer {
    return Buffer.concat([b, Buffer.alloc((4 - (b.length % 4)) % 4)]);
  },
  block(type: number, body: Buffer, le: boolean): Buffer {
    const padded = raw.pad(body);
    const len = 12 + padded.length;
    return Buffer.concat([raw.u32(type, le), raw.u32(len, le), padded, raw.u32(len, le)]);
  },
  option(code: number, value: Buffer, le: boolean): Buffer {
    return Buffer.concat([raw.u16(code, le), raw.u16(value.length, le), raw.pad(value)]);
  },
  shb(le: boolean): Buffer {
    return raw.block(
      0x0a0d0d0a,
      Buffer.concat([raw.u32(0x1a2b3c4d, le), raw.u16(1, le), raw.u16(0, le), Buffer.alloc(8, 0xff)]),
      le,
    );
  },
  idb(linkType: number, snapLen: number, options: Buffer[], le: boolean): Buffer {
    const opts = options.length > 0 ? Buffer.concat([...options, Buffer.alloc(4)]) : Buffer.alloc(0);
    return raw.block(1, Buffer.concat([raw.u16(linkType, le), raw.u16(0, le), raw.u32(snapLen, le), opts]), le);
  },
  epb(interfaceId: number, hi: number, lo: number, data: Buffer, le: boolean, origLen = data.length): Buffer {
    return raw.block(
      6,
      Buffer.concat([
        raw.u32(interfaceId, le),
        raw.u32(hi, le),
        raw.u32(lo, le),
        raw.u32(data.length, le),
        raw.u32(origLen, le),
        data,
      ]),
      le,
    );
  },
  /** Splits a non-negative BigInt tick count into 32-bit halves. */
  split(ticks: bigint): [number, number] {
    return [Number(ticks >> 32n), Number(ticks & 0xffffffffn)];
  },
};
