/**
 * Streaming pcap / pcapng reader (optionally gzip-compressed), with bounded memory.
 *
 * One working buffer (default 4 MiB) is filled from the input; complete records are framed in place and handed
 * to the callback as views; an incomplete record at the end of the buffer is moved to the front before the
 * next fill. The buffer grows (geometrically, as data actually arrives) only for a record larger than it, up
 * to `maxRecordBytes`. Damage never throws: everything before it is delivered, a warning is recorded and
 * `truncated` is set. Only inputs that are not captures at all (or cannot be opened) throw CaptureInputError.
 */
import { readSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { ip4ToString, ip6ToString } from '../util/addr.js';
import { isKnownLinkType, linkTypeName } from './link-types.js';
import { TickConverter } from './timestamp.js';
import {
  CaptureInputError,
  type CaptureFormat,
  type CaptureSummary,
  type InterfaceInfo,
  type PacketCallback,
  MutablePacketRecord,
  type ReadOptions,
} from './types.js';

/** Tunables beyond the shared ReadOptions contract; every cap is explicit and counted when hit. */
export interface ReaderLimits {
  /** Size of the working buffer and of each read. Default 4 MiB (minimum 32 bytes, for tests). */
  chunkBytes?: number;
  /** Largest pcap record or pcapng block accepted; larger is corrupt (oversizedRecords). Default 256 MiB. */
  maxRecordBytes?: number;
  /** pcap: a captured length above max(this, snaplen) is corrupt. Default 262144 (libpcap's maximum). */
  maxPcapPacketBytes?: number;
  /** Interfaces kept over the whole file; IDBs beyond are counted in badBlocks. Default 4096. */
  maxInterfaces?: number;
  /** Address entries kept from NRBs; further entries are counted in a warning. Default 100000. */
  maxNameEntries?: number;
  /** Warnings kept; the rest are summarised in one final warning. Default 100. */
  maxWarnings?: number;
}

export type ReaderOptions = ReadOptions & ReaderLimits;

/**
 * Bytes read per call. A file is read synchronously into one reused buffer that is parsed right after; a chunk
 * small enough to still sit in the CPU's caches when the records are parsed makes the whole pipeline measurably
 * faster (BENCHMARKS.md, fourth session) than large chunks read asynchronously.
 */
const DEFAULT_CHUNK_BYTES = 2 * 1024 * 1024;
/** A file source hands control back to the event loop after this many bytes (timers, signals, other I/O). */
const FILE_YIELD_BYTES = 8 * 1024 * 1024;
const MIN_CHUNK_BYTES = 32;
const DEFAULT_MAX_RECORD_BYTES = 256 * 1024 * 1024;
const DEFAULT_MAX_PCAP_PACKET_BYTES = 262144;
const DEFAULT_MAX_INTERFACES = 4096;
const DEFAULT_MAX_NAME_ENTRIES = 100_000;
const DEFAULT_MAX_WARNINGS = 100;
const GUNZIP_CHUNK_BYTES = 256 * 1024;

const PCAP_MAGIC_MICRO = 0xa1b2c3d4;
const PCAP_MAGIC_NANO = 0xa1b23c4d;
const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const PCAP_FILE_HEADER_BYTES = 24;
const PCAP_RECORD_HEADER_BYTES = 16;

const BLOCK_IDB = 1;
const BLOCK_PB = 2; // obsolete Packet Block
const BLOCK_SPB = 3;
const BLOCK_NRB = 4;
const BLOCK_ISB = 5;
const BLOCK_EPB = 6;

// ---------------------------------------------------------------------------------------------------------
// Bounds-checked by the callers (every read is preceded by a length check against `end`).

function u16(buf: Buffer, off: number, le: boolean): number {
  return le ? buf[off]! | (buf[off + 1]! << 8) : (buf[off]! << 8) | buf[off + 1]!;
}

function u32(buf: Buffer, off: number, le: boolean): number {
  return le
    ? (buf[off]! | (buf[off + 1]! << 8) | (buf[off + 2]! << 16)) + buf[off + 3]! * 16777216
    : buf[off]! * 16777216 + ((buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!);
}

/** Unsigned 64-bit as a double (exact below 2^53; counters never get near that). */
function u64(buf: Buffer, off: number, le: boolean): number {
  return le
    ? u32(buf, off + 4, true) * 4294967296 + u32(buf, off, true)
    : u32(buf, off, false) * 4294967296 + u32(buf, off + 4, false);
}

function i64(buf: Buffer, off: number, le: boolean): number {
  const high = le ? u32(buf, off + 4, true) : u32(buf, off, false);
  const low = le ? u32(buf, off, true) : u32(buf, off + 4, false);
  return (high | 0) * 4294967296 + low;
}

function hexBytes(buf: Buffer, count: number): string {
  const parts: string[] = [];
  for (let i = 0; i < count && i < buf.length; i++) parts.push(buf[i]!.toString(16).padStart(2, '0'));
  return parts.join(' ');
}

function errorText(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

// ---------------------------------------------------------------------------------------------------------
// Input sources: something that fills a caller-provided buffer.

interface ByteSource {
  /** Copies up to `length` bytes into buf[offset..]; resolves 0 at end of input. */
  fill(buf: Buffer, offset: number, length: number): Promise<number>;
  /** Input bytes consumed so far (compressed bytes when decompressing). */
  inputBytes(): number;
  /** A source yielding the gunzipped form of this input; `consumed` are the bytes already read from it. */
  gunzip(consumed: Buffer): ByteSource;
  close(): Promise<void>;
}

class FileSource implements ByteSource {
  private position = 0;
  private bytesSinceYield = 0;
  constructor(private readonly handle: FileHandle) {}

  /**
   * A synchronous positional read: a regular file's bytes come from the page cache, and an asynchronous read
   * (a thread-pool round trip per chunk) costs more than it saves when the analysis needs the CPU anyway. The
   * event loop still gets a turn every FILE_YIELD_BYTES, so timers and signal handlers run during a long file.
   */
  async fill(buf: Buffer, offset: number, length: number): Promise<number> {
    if (this.bytesSinceYield >= FILE_YIELD_BYTES) {
      this.bytesSinceYield = 0;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const bytesRead = readSync(this.handle.fd, buf, offset, length, this.position);
    this.position += bytesRead;
    this.bytesSinceYield += bytesRead;
    return bytesRead;
  }

  inputBytes(): number {
    return this.position;
  }

  gunzip(consumed: Buffer): ByteSource {
    const handle = this.handle;
    const counter = { bytes: consumed.length };
    let position = consumed.length;
    async function* compressedChunks(): AsyncGenerator<Buffer> {
      yield consumed;
      for (;;) {
        const chunk = Buffer.allocUnsafe(1024 * 1024);
        const { bytesRead } = await handle.read(chunk, 0, chunk.length, position);
        if (bytesRead === 0) return;
        position += bytesRead;
        counter.bytes += bytesRead;
        yield chunk.subarray(0, bytesRead);
      }
    }
    return new IteratorSource(
      gunzipStream(Readable.from(compressedChunks())),
      () => counter.bytes,
      () => this.close(),
    );
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

function gunzipStream(compressed: Readable): Readable {
  const gunzip = createGunzip({ chunkSize: GUNZIP_CHUNK_BYTES });
  // pipeline forwards errors from either side to the gunzip stream, which the reader's iterator rethrows.
  pipeline(compressed, gunzip, () => {});
  return gunzip;
}

/** Source over an async-iterable stream (stdin, a gunzip stream, test streams). */
class IteratorSource implements ByteSource {
  private readonly iterator: AsyncIterator<unknown>;
  private pending: Buffer | null = null;
  private pendingOffset = 0;
  private done = false;
  private consumedBytes = 0;

  constructor(
    stream: Readable | NodeJS.ReadableStream,
    /** Reports input bytes when they differ from the bytes this source yields (compressed input). */
    private readonly inputCounter: (() => number) | null,
    /** Releases what lies underneath (the file handle or outer stream of a gunzip source). */
    private readonly onClose: (() => Promise<void>) | null,
  ) {
    this.iterator = (stream as AsyncIterable<unknown>)[Symbol.asyncIterator]();
  }

  async fill(buf: Buffer, offset: number, length: number): Promise<number> {
    let copied = 0;
    while (copied < length) {
      if (this.pending === null) {
        // Return what we have rather than wait for a full buffer: keeps latency low for live input on stdin.
        if (copied > 0 || this.done) break;
        const next = await this.iterator.next();
        if (next.done === true) {
          this.done = true;
          break;
        }
        const value = next.value;
        const chunk = Buffer.isBuffer(value)
          ? value
          : value instanceof Uint8Array
            ? Buffer.from(value.buffer, value.byteOffset, value.byteLength)
            : Buffer.from(String(value), 'latin1');
        if (chunk.length === 0) continue;
        this.pending = chunk;
        this.pendingOffset = 0;
        this.consumedBytes += chunk.length;
      }
      const take = Math.min(this.pending.length - this.pendingOffset, length - copied);
      this.pending.copy(buf, offset + copied, this.pendingOffset, this.pendingOffset + take);
      copied += take;
      this.pendingOffset += take;
      if (this.pendingOffset >= this.pending.length) this.pending = null;
    }
    return copied;
  }

  inputBytes(): number {
    return this.inputCounter !== null ? this.inputCounter() : this.consumedBytes;
  }

  gunzip(consumed: Buffer): ByteSource {
    const counter = { bytes: consumed.length };
    const read = (chunk: Buffer): Promise<number> => this.fill(chunk, 0, chunk.length);
    async function* compressedChunks(): AsyncGenerator<Buffer> {
      yield consumed;
      for (;;) {
        const chunk = Buffer.allocUnsafe(1024 * 1024);
        const n = await read(chunk);
        if (n === 0) return;
        counter.bytes += n;
        yield chunk.subarray(0, n);
      }
    }
    return new IteratorSource(
      gunzipStream(Readable.from(compressedChunks())),
      () => counter.bytes,
      () => this.close(),
    );
  }

  async close(): Promise<void> {
    if (!this.done) {
      this.done = true;
      try {
        await this.iterator.return?.();
      } catch {
        // The stream is being abandoned; its teardown error is of no interest.
      }
    }
    if (this.onClose !== null) await this.onClose();
  }
}

// ---------------------------------------------------------------------------------------------------------
// Packet sink: the reused record, the summary and the counters.

class PacketSink {
  readonly record = new MutablePacketRecord();
  readonly summary: CaptureSummary;
  /** Set when the reader must not deliver more (maxPackets reached or damage). */
  stopped = false;
  private lastLinkType = -1;
  private lastLinkTypeKnown = true;
  // Earliest and latest timestamps as (seconds, nanoseconds) pairs compared lexicographically: no float
  // division per packet, and no boxed double in the summary's `number | null` fields. finish() converts them
  // with the same sec + nsec / 1e9 as before; that conversion is monotonic, so the pair order picks a packet
  // whose float is the float minimum (maximum).
  private firstSec = Infinity;
  private firstNsec = 0;
  private lastSec = -Infinity;
  private lastNsec = 0;
  private readonly maxPackets: number;
  private readonly maxWarnings: number;
  private suppressedWarnings = 0;
  private readonly warnedLinkTypes = new Set<number>();

  constructor(
    private readonly onPacket: PacketCallback,
    file: string,
    format: CaptureFormat,
    compressed: boolean,
    opts: ReaderOptions,
  ) {
    this.maxPackets = opts.maxPackets !== undefined && opts.maxPackets > 0 ? opts.maxPackets : 0;
    this.maxWarnings = Math.max(1, opts.maxWarnings ?? DEFAULT_MAX_WARNINGS);
    this.summary = {
      file,
      format,
      compressed,
      linkTypes: [],
      interfaces: [],
      sections: 0,
      packets: 0,
      bytes: 0,
      fileBytesRead: 0,
      firstSeen: null,
      lastSeen: null,
      names: {},
      counters: { unknownBlocks: 0, unknownLinkTypePackets: 0, oversizedRecords: 0, badBlocks: 0 },
      warnings: [],
      truncated: false,
    };
  }

  deliver(
    interfaceId: number,
    linkType: number,
    tsSec: number,
    tsNsec: number,
    hasTimestamp: boolean,
    buf: Buffer,
    dataOffset: number,
    capLen: number,
    origLen: number,
  ): void {
    const summary = this.summary;
    const record = this.record;
    summary.packets++;
    summary.bytes += capLen;
    if (linkType !== this.lastLinkType) this.noteLinkType(linkType);
    if (hasTimestamp) {
      if (tsSec < this.firstSec || (tsSec === this.firstSec && tsNsec < this.firstNsec)) {
        this.firstSec = tsSec;
        this.firstNsec = tsNsec;
      }
      if (tsSec > this.lastSec || (tsSec === this.lastSec && tsNsec > this.lastNsec)) {
        this.lastSec = tsSec;
        this.lastNsec = tsNsec;
      }
    }
    record.frame = summary.packets;
    record.tsSec = tsSec;
    record.tsNsec = tsNsec;
    record.linkType = linkType;
    record.interfaceId = interfaceId;
    record.buf = buf;
    record.offset = dataOffset;
    record.capLen = capLen;
    record.origLen = origLen;
    if (!this.lastLinkTypeKnown) summary.counters.unknownLinkTypePackets++;
    this.onPacket(record);
    if (this.maxPackets !== 0 && summary.packets >= this.maxPackets) this.stopped = true;
  }

  private noteLinkType(linkType: number): void {
    this.lastLinkType = linkType;
    this.lastLinkTypeKnown = isKnownLinkType(linkType);
    const known = this.summary.linkTypes;
    if (!known.includes(linkType)) {
      known.push(linkType);
      if (!isKnownLinkType(linkType) && !this.warnedLinkTypes.has(linkType)) {
        this.warnedLinkTypes.add(linkType);
        this.warn(`unknown link type ${linkType} (${linkTypeName(linkType)}): packets are read but not decoded`);
      }
    }
  }

  warn(message: string): void {
    if (this.summary.warnings.length < this.maxWarnings) this.summary.warnings.push(message);
    else this.suppressedWarnings++;
  }

  /** Damage that ends reading: warn, mark truncated, stop. */
  fatal(message: string): void {
    this.warn(message);
    this.summary.truncated = true;
    this.stopped = true;
  }

  finish(): void {
    if (this.firstSec !== Infinity) this.summary.firstSeen = this.firstSec + this.firstNsec / 1e9;
    if (this.lastSec !== -Infinity) this.summary.lastSeen = this.lastSec + this.lastNsec / 1e9;
    if (this.suppressedWarnings > 0) {
      this.summary.warnings.push(`${this.suppressedWarnings} further warnings suppressed (maxWarnings)`);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Record framers. `parse` consumes complete records from buf[pos..end) and returns the new position; when it
// needs more input it sets `need` (bytes required at the returned position) and returns.

interface RecordFramer {
  need: number;
  parse(buf: Buffer, pos: number, end: number, baseOffset: number): number;
  /** Describes what an incomplete tail at EOF was inside of. */
  describeTail(): string;
}

interface FramerLimits {
  maxRecordBytes: number;
  maxPcapPacketBytes: number;
  maxInterfaces: number;
  maxNameEntries: number;
}

class PcapFramer implements RecordFramer {
  need = PCAP_FILE_HEADER_BYTES;
  private headerDone = false;
  private le = true;
  private nanosecond = false;
  private linkType = 0;
  private maxCapLen = 0;

  constructor(
    private readonly sink: PacketSink,
    private readonly limits: FramerLimits,
  ) {}

  describeTail(): string {
    return this.headerDone ? 'a record' : 'the pcap file header';
  }

  parse(buf: Buffer, start: number, end: number, baseOffset: number): number {
    const sink = this.sink;
    let pos = start;
    if (!this.headerDone) {
      if (end - pos < PCAP_FILE_HEADER_BYTES) {
        this.need = PCAP_FILE_HEADER_BYTES;
        return pos;
      }
      const magicLe = u32(buf, pos, true);
      this.le = magicLe === PCAP_MAGIC_MICRO || magicLe === PCAP_MAGIC_NANO;
      const magic = u32(buf, pos, this.le);
      this.nanosecond = magic === PCAP_MAGIC_NANO;
      const snapLen = u32(buf, pos + 16, this.le);
      // Upper bits of the link-type field carry FCS information (pcap spec "LinkType and additional info").
      this.linkType = u32(buf, pos + 20, this.le) & 0xffff;
      this.maxCapLen = Math.min(this.limits.maxRecordBytes, Math.max(this.limits.maxPcapPacketBytes, snapLen));
      sink.summary.sections = 1;
      sink.summary.interfaces.push({
        id: 0,
        linkType: this.linkType,
        snapLen,
        tsResolution: this.nanosecond ? 1e9 : 1e6,
        tsOffset: 0,
      });
      this.headerDone = true;
      pos += PCAP_FILE_HEADER_BYTES;
    }
    const le = this.le;
    const fractionPerSecond = this.nanosecond ? 1e9 : 1e6;
    const nanosPerFraction = this.nanosecond ? 1 : 1000;
    const linkType = this.linkType;
    const maxCapLen = this.maxCapLen;
    for (;;) {
      if (end - pos < PCAP_RECORD_HEADER_BYTES) {
        this.need = PCAP_RECORD_HEADER_BYTES;
        return pos;
      }
      const capLen = u32(buf, pos + 8, le);
      if (capLen > maxCapLen) {
        sink.summary.counters.oversizedRecords++;
        sink.fatal(
          `corrupt record at byte offset ${baseOffset + pos}: captured length ${capLen} exceeds the maximum ` +
            `${maxCapLen}; reading stopped (pcap has no resynchronisation point)`,
        );
        return pos;
      }
      const recordBytes = PCAP_RECORD_HEADER_BYTES + capLen;
      if (end - pos < recordBytes) {
        this.need = recordBytes;
        return pos;
      }
      let sec = u32(buf, pos, le);
      let fraction = u32(buf, pos + 4, le);
      if (fraction >= fractionPerSecond) {
        // Out-of-range sub-second field (seen from buggy writers): carry into seconds like libpcap users do.
        const carry = Math.floor(fraction / fractionPerSecond);
        sec += carry;
        fraction -= carry * fractionPerSecond;
      }
      const origLen = u32(buf, pos + 12, le);
      sink.deliver(0, linkType, sec, fraction * nanosPerFraction, true, buf, pos + 16, capLen, origLen);
      pos += recordBytes;
      if (sink.stopped) return pos;
    }
  }
}

interface SectionInterface {
  globalId: number;
  linkType: number;
  snapLen: number;
  clock: TickConverter;
}

class PcapngFramer implements RecordFramer {
  need = 12;
  private le = true;
  private sectionInterfaces: SectionInterface[] = [];
  private nameEntries = 0;
  private droppedNameEntries = 0;

  constructor(
    private readonly sink: PacketSink,
    private readonly limits: FramerLimits,
  ) {}

  describeTail(): string {
    return 'a block';
  }

  parse(buf: Buffer, start: number, end: number, baseOffset: number): number {
    const sink = this.sink;
    const maxRecordBytes = this.limits.maxRecordBytes;
    let pos = start;
    for (;;) {
      const available = end - pos;
      if (available < 8) {
        this.need = 12;
        return pos;
      }
      const type = u32(buf, pos, this.le);
      let le = this.le;
      if (type === PCAPNG_SHB) {
        // The block type is a palindrome; the byte order of this section is known only from its magic.
        if (available < 12) {
          this.need = 12;
          return pos;
        }
        if (u32(buf, pos + 8, true) === PCAPNG_BYTE_ORDER_MAGIC) le = true;
        else if (u32(buf, pos + 8, false) === PCAPNG_BYTE_ORDER_MAGIC) le = false;
        else {
          sink.summary.counters.badBlocks++;
          sink.fatal(`corrupt section header at byte offset ${baseOffset + pos}: bad byte-order magic; reading stopped`);
          return pos;
        }
      }
      const blockLen = u32(buf, pos + 4, le);
      if (blockLen < 12 || (blockLen & 3) !== 0 || blockLen > maxRecordBytes) {
        if (blockLen > maxRecordBytes) sink.summary.counters.oversizedRecords++;
        else sink.summary.counters.badBlocks++;
        sink.fatal(
          `corrupt block at byte offset ${baseOffset + pos}: block total length ${blockLen} is ` +
            (blockLen > maxRecordBytes ? `above the maximum ${maxRecordBytes}` : 'invalid') +
            '; reading stopped',
        );
        return pos;
      }
      if (available < blockLen) {
        this.need = blockLen;
        return pos;
      }
      if (u32(buf, pos + blockLen - 4, le) !== blockLen) {
        sink.summary.counters.badBlocks++;
        sink.fatal(
          `corrupt block at byte offset ${baseOffset + pos}: leading and trailing block lengths differ; reading stopped`,
        );
        return pos;
      }
      const body = pos + 8;
      const bodyEnd = pos + blockLen - 4;
      switch (type) {
        case BLOCK_EPB:
          this.packetBlock(buf, body, bodyEnd, baseOffset, false);
          break;
        case BLOCK_PB:
          this.packetBlock(buf, body, bodyEnd, baseOffset, true);
          break;
        case BLOCK_SPB:
          this.simplePacketBlock(buf, body, bodyEnd, baseOffset);
          break;
        case PCAPNG_SHB:
          if (blockLen < 28) {
            sink.summary.counters.badBlocks++;
            sink.fatal(`corrupt section header at byte offset ${baseOffset + pos}: too short; reading stopped`);
            return pos;
          }
          this.le = le;
          this.sectionInterfaces = [];
          sink.summary.sections++;
          break;
        case BLOCK_IDB:
          this.interfaceBlock(buf, body, bodyEnd, baseOffset + pos);
          break;
        case BLOCK_NRB:
          this.nameResolutionBlock(buf, body, bodyEnd, baseOffset + pos);
          break;
        case BLOCK_ISB:
          this.statisticsBlock(buf, body, bodyEnd, baseOffset + pos);
          break;
        default:
          // DSB, custom, systemd journal, and future block types carry nothing the monitor uses.
          sink.summary.counters.unknownBlocks++;
          break;
      }
      pos += blockLen;
      if (sink.stopped) return pos;
    }
  }

  private badBlock(message: string): void {
    this.sink.summary.counters.badBlocks++;
    this.sink.warn(message);
  }

  private packetBlock(buf: Buffer, body: number, bodyEnd: number, baseOffset: number, obsolete: boolean): void {
    const le = this.le;
    if (bodyEnd - body < 20) {
      this.badBlock(`packet block at byte offset ${baseOffset + body - 8} is too short; skipped`);
      return;
    }
    const interfaceId = obsolete ? u16(buf, body, le) : u32(buf, body, le);
    const capLen = u32(buf, body + 12, le);
    if (interfaceId >= this.sectionInterfaces.length) {
      this.badBlock(
        `packet block at byte offset ${baseOffset + body - 8} refers to interface ${interfaceId} but the section ` +
          `declares ${this.sectionInterfaces.length}; skipped`,
      );
      return;
    }
    if (capLen > bodyEnd - body - 20) {
      this.badBlock(
        `packet block at byte offset ${baseOffset + body - 8}: captured length ${capLen} exceeds the block; skipped`,
      );
      return;
    }
    const iface = this.sectionInterfaces[interfaceId]!;
    iface.clock.convert(u32(buf, body + 4, le), u32(buf, body + 8, le));
    const origLen = u32(buf, body + 16, le);
    this.sink.deliver(
      iface.globalId,
      iface.linkType,
      iface.clock.sec,
      iface.clock.nsec,
      true,
      buf,
      body + 20,
      capLen,
      origLen,
    );
  }

  private simplePacketBlock(buf: Buffer, body: number, bodyEnd: number, baseOffset: number): void {
    if (bodyEnd - body < 4) {
      this.badBlock(`simple packet block at byte offset ${baseOffset + body - 8} is too short; skipped`);
      return;
    }
    if (this.sectionInterfaces.length === 0) {
      this.badBlock(`simple packet block at byte offset ${baseOffset + body - 8} before any interface; skipped`);
      return;
    }
    const iface = this.sectionInterfaces[0]!;
    const origLen = u32(buf, body, this.le);
    let capLen = Math.min(origLen, bodyEnd - body - 4);
    if (iface.snapLen !== 0 && capLen > iface.snapLen) capLen = iface.snapLen;
    // SPBs carry no timestamp.
    this.sink.deliver(iface.globalId, iface.linkType, 0, 0, false, buf, body + 4, capLen, origLen);
  }

  private interfaceBlock(buf: Buffer, body: number, bodyEnd: number, blockOffset: number): void {
    const le = this.le;
    if (bodyEnd - body < 8) {
      this.badBlock(`interface description block at byte offset ${blockOffset} is too short; skipped`);
      return;
    }
    const summary = this.sink.summary;
    if (summary.interfaces.length >= this.limits.maxInterfaces) {
      this.badBlock(`interface limit ${this.limits.maxInterfaces} reached at byte offset ${blockOffset}; interface ignored`);
      return;
    }
    const linkType = u16(buf, body, le);
    const snapLen = u32(buf, body + 4, le);
    let name: string | undefined;
    let description: string | undefined;
    let tsresol = 6;
    let tsOffset = 0;
    let p = body + 8;
    while (p + 4 <= bodyEnd) {
      const code = u16(buf, p, le);
      const length = u16(buf, p + 2, le);
      const value = p + 4;
      if (code === 0) break;
      if (value + length > bodyEnd) {
        this.sink.warn(`interface description block at byte offset ${blockOffset}: option ${code} overruns the block`);
        break;
      }
      if (code === 2) name = buf.toString('utf8', value, value + length).replace(/\0+$/, '');
      else if (code === 3) description = buf.toString('utf8', value, value + length).replace(/\0+$/, '');
      else if (code === 9 && length >= 1) tsresol = buf[value]!;
      else if (code === 14 && length >= 8) tsOffset = i64(buf, value, le);
      p = value + ((length + 3) & ~3);
    }
    const clock = new TickConverter(tsresol, tsOffset);
    const info: InterfaceInfo = {
      id: summary.interfaces.length,
      linkType,
      snapLen,
      tsResolution: clock.declaredTicksPerSecond,
      tsOffset,
    };
    if (name !== undefined) info.name = name;
    if (description !== undefined) info.description = description;
    summary.interfaces.push(info);
    this.sectionInterfaces.push({ globalId: info.id, linkType, snapLen, clock });
  }

  private nameResolutionBlock(buf: Buffer, body: number, bodyEnd: number, blockOffset: number): void {
    const le = this.le;
    const names = this.sink.summary.names;
    let p = body;
    while (p + 4 <= bodyEnd) {
      const recordType = u16(buf, p, le);
      const length = u16(buf, p + 2, le);
      const value = p + 4;
      if (recordType === 0) break;
      if (value + length > bodyEnd) {
        this.badBlock(`name resolution block at byte offset ${blockOffset}: record overruns the block`);
        return;
      }
      const addressBytes = recordType === 1 ? 4 : recordType === 2 ? 16 : 0;
      if (addressBytes !== 0 && length > addressBytes) {
        if (this.nameEntries >= this.limits.maxNameEntries) {
          this.droppedNameEntries++;
        } else {
          const address =
            addressBytes === 4 ? ip4ToString(u32(buf, value, false)) : ip6ToString(buf, value);
          const list = names[address] ?? (names[address] = []);
          let s = value + addressBytes;
          const stop = value + length;
          while (s < stop) {
            let z = s;
            while (z < stop && buf[z] !== 0) z++;
            if (z > s) {
              const resolved = buf.toString('utf8', s, z);
              if (!list.includes(resolved)) list.push(resolved);
            }
            s = z + 1;
          }
          this.nameEntries++;
        }
      }
      p = value + ((length + 3) & ~3);
    }
  }

  private statisticsBlock(buf: Buffer, body: number, bodyEnd: number, blockOffset: number): void {
    const le = this.le;
    if (bodyEnd - body < 12) {
      this.badBlock(`interface statistics block at byte offset ${blockOffset} is too short; skipped`);
      return;
    }
    const interfaceId = u32(buf, body, le);
    const iface = this.sectionInterfaces[interfaceId];
    if (iface === undefined) {
      this.badBlock(`interface statistics block at byte offset ${blockOffset} refers to unknown interface ${interfaceId}`);
      return;
    }
    const stats: NonNullable<InterfaceInfo['stats']> = {};
    let p = body + 12;
    while (p + 4 <= bodyEnd) {
      const code = u16(buf, p, le);
      const length = u16(buf, p + 2, le);
      const value = p + 4;
      if (code === 0) break;
      if (value + length > bodyEnd) break;
      if (length >= 8) {
        if (code === 4) stats.received = u64(buf, value, le);
        else if (code === 5) stats.dropped = u64(buf, value, le);
        else if (code === 6) stats.filterAccepted = u64(buf, value, le);
        else if (code === 7) stats.osDropped = u64(buf, value, le);
        else if (code === 8) stats.delivered = u64(buf, value, le);
      }
      p = value + ((length + 3) & ~3);
    }
    const info = this.sink.summary.interfaces[iface.globalId];
    if (info !== undefined) info.stats = stats;
  }

  finish(): void {
    if (this.droppedNameEntries > 0) {
      this.sink.warn(`${this.droppedNameEntries} name resolution entries dropped (maxNameEntries ${this.limits.maxNameEntries})`);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Driver.

async function readFromSource(
  initialSource: ByteSource,
  name: string,
  onPacket: PacketCallback,
  opts: ReaderOptions,
): Promise<CaptureSummary> {
  let source = initialSource;
  const chunkBytes = Math.max(MIN_CHUNK_BYTES, Math.floor(opts.chunkBytes ?? DEFAULT_CHUNK_BYTES));
  const limits: FramerLimits = {
    maxRecordBytes: Math.max(64, opts.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES),
    maxPcapPacketBytes: opts.maxPcapPacketBytes ?? DEFAULT_MAX_PCAP_PACKET_BYTES,
    maxInterfaces: opts.maxInterfaces ?? DEFAULT_MAX_INTERFACES,
    maxNameEntries: opts.maxNameEntries ?? DEFAULT_MAX_NAME_ENTRIES,
  };
  const onProgress = opts.onProgress;
  let buf = Buffer.allocUnsafe(chunkBytes);
  let end = 0;
  let eof = false;
  let compressed = false;

  try {
    // Format detection: needs 4 bytes; gzip is unwrapped once and detection restarts on the inner data.
    for (;;) {
      while (end < 4 && !eof) {
        let n: number;
        try {
          n = await source.fill(buf, end, buf.length - end);
        } catch (err) {
          throw new CaptureInputError(
            compressed ? `${name}: corrupt gzip data (${errorText(err)})` : `${name}: cannot read (${errorText(err)})`,
          );
        }
        if (n === 0) eof = true;
        else end += n;
      }
      if (end === 0) {
        throw new CaptureInputError(compressed ? `${name}: empty after gzip decompression` : `${name}: empty file`);
      }
      if (!compressed && end >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
        source = source.gunzip(Buffer.from(buf.subarray(0, end)));
        compressed = true;
        end = 0;
        eof = false;
        continue;
      }
      break;
    }
    if (end < 4) {
      throw new CaptureInputError(`${name}: not a pcap or pcapng capture (only ${end} byte${end === 1 ? '' : 's'})`);
    }
    const magicLe = u32(buf, 0, true);
    const magicBe = u32(buf, 0, false);
    let format: CaptureFormat;
    if (
      magicLe === PCAP_MAGIC_MICRO ||
      magicLe === PCAP_MAGIC_NANO ||
      magicBe === PCAP_MAGIC_MICRO ||
      magicBe === PCAP_MAGIC_NANO
    ) {
      format = 'pcap';
    } else if (magicLe === PCAPNG_SHB) {
      format = 'pcapng';
    } else {
      throw new CaptureInputError(
        `${name}: not a pcap or pcapng capture${compressed ? ' inside gzip' : ''} (starts with ${hexBytes(buf, 4)})`,
      );
    }

    const sink = new PacketSink(onPacket, name, format, compressed, opts);
    const framer: RecordFramer & { finish?: () => void } =
      format === 'pcap' ? new PcapFramer(sink, limits) : new PcapngFramer(sink, limits);
    let start = 0;
    let bufferFileOffset = 0; // offset in the (decompressed) input of buf[0]
    for (;;) {
      start = framer.parse(buf, start, end, bufferFileOffset);
      if (sink.stopped) break;
      if (eof) {
        if (start < end) {
          sink.fatal(
            `truncated: file ends inside ${framer.describeTail()} at byte offset ${bufferFileOffset + start} ` +
              `(${end - start} of ${Math.max(framer.need, end - start + 1)} bytes present)`,
          );
        }
        break;
      }
      if (start > 0) {
        if (start < end) buf.copyWithin(0, start, end);
        bufferFileOffset += start;
        end -= start;
        start = 0;
      }
      if (end === buf.length) {
        // A record larger than the buffer: grow towards it as its bytes arrive (bounded by maxRecordBytes,
        // which the framers enforce before asking for more).
        const grown = Buffer.allocUnsafe(Math.min(Math.max(framer.need, end + 1), buf.length * 2));
        buf.copy(grown, 0, 0, end);
        buf = grown;
      }
      let n: number;
      try {
        n = await source.fill(buf, end, buf.length - end);
      } catch (err) {
        sink.fatal(
          `truncated: ${compressed ? 'gzip stream' : 'input'} failed at byte offset ${bufferFileOffset + end}: ` +
            errorText(err),
        );
        break;
      }
      if (n === 0) eof = true;
      else end += n;
      if (onProgress !== undefined) onProgress(source.inputBytes());
    }
    framer.finish?.();
    sink.finish();
    sink.summary.fileBytesRead = source.inputBytes();
    return sink.summary;
  } finally {
    await source.close();
  }
}

function describeOpenError(file: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return `${file}: no such file`;
    case 'EACCES':
    case 'EPERM':
      return `${file}: permission denied`;
    case 'EISDIR':
      return `${file}: is a directory`;
    default:
      return `${file}: cannot open (${errorText(err)})`;
  }
}

/**
 * Reads a capture file (pcap, pcapng, either optionally gzip-compressed), or stdin when `source` is '-'.
 * Calls `onPacket` once per packet with one reused record; resolves with the summary.
 * Throws CaptureInputError only when the input cannot be opened or is not a capture at all.
 */
export async function readCapture(
  source: string,
  onPacket: PacketCallback,
  opts: ReaderOptions = {},
): Promise<CaptureSummary> {
  if (source === '-') return readCaptureStream(process.stdin, '<stdin>', onPacket, opts);
  let handle: FileHandle;
  try {
    handle = await open(source, 'r');
  } catch (err) {
    throw new CaptureInputError(describeOpenError(source, err));
  }
  let isRegularFile: boolean;
  try {
    const stat = await handle.stat();
    if (stat.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    isRegularFile = stat.isFile();
  } catch (err) {
    await handle.close();
    throw new CaptureInputError(describeOpenError(source, err));
  }
  if (isRegularFile) return readFromSource(new FileSource(handle), source, onPacket, opts);
  // FIFOs, /dev/stdin, process substitution: no positional reads, so read them as a stream.
  const stream = handle.createReadStream({ autoClose: false, highWaterMark: 1024 * 1024 });
  return readFromSource(new IteratorSource(stream, null, () => handle.close()), source, onPacket, opts);
}

/** Reads a capture from a byte stream (stdin, a socket, a test stream). `name` is used in messages. */
export async function readCaptureStream(
  stream: NodeJS.ReadableStream,
  name: string,
  onPacket: PacketCallback,
  opts: ReaderOptions = {},
): Promise<CaptureSummary> {
  return readFromSource(new IteratorSource(stream, null, null), name, onPacket, opts);
}

/**
 * The bare record walk (read + frame, no decode): the throughput ceiling the analyzer is compared to.
 */
export async function walkRecords(path: string): Promise<{ packets: number; bytes: number; ms: number }> {
  const started = performance.now();
  const summary = await readCapture(path, noop);
  return { packets: summary.packets, bytes: summary.bytes, ms: performance.now() - started };
}

function noop(): void {}
