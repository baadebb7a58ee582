/**
 * NetBIOS session service framing (RFC 1002 §4.3; MS-SMB2 2.1 "Direct TCP" on 445 uses the same 4-byte header
 * with a 24-bit length). Each SMB message is handed over whole when it fits `maxParseBytes`; a longer one
 * (a large write or read) is handed over as its first `maxParseBytes` bytes — enough for every header the
 * analyzer reads — and the rest is skipped without buffering, so large transfers cost no memory.
 */
import type { Dir } from '../analyzer.js';

export const NBSS_HEADER = 4;
export const NBSS = { MESSAGE: 0x00, REQUEST: 0x81, POSITIVE: 0x82, NEGATIVE: 0x83, RETARGET: 0x84, KEEPALIVE: 0x85 } as const;

/** Total size (header included) of the NBSS packet at b[o] (4 bytes must be there), or -1 when not one. */
export function nbssSize(b: Uint8Array, o: number): number {
  const type = b[o]!;
  if (type === NBSS.MESSAGE) return NBSS_HEADER + ((b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!);
  if (type < NBSS.REQUEST || type > NBSS.KEEPALIVE || (b[o + 1]! & 0xfe) !== 0) return -1;
  return NBSS_HEADER + (((b[o + 1]! & 1) << 16) | (b[o + 2]! << 8) | b[o + 3]!);
}

/** True when b[o] starts a session message carrying an SMB (0xFF/0xFE/0xFD/0xFC 'SMB') header. */
export function isSmbMessageAt(b: Uint8Array, o: number, end: number): boolean {
  if (o + 8 > end || b[o] !== 0) return false;
  const m = b[o + 4]!;
  return (m === 0xff || m === 0xfe || m === 0xfd || m === 0xfc) && b[o + 5] === 0x53 && b[o + 6] === 0x4d && b[o + 7] === 0x42;
}

/**
 * What a framer hands its packets to. One receiver serves both directions of a flow: each framer passes its
 * own `dir` back, so a session needs no closure per direction.
 */
export interface NbssReceiver {
  /** A packet (header included) at buf[off]: available < total when it was cut short at maxParseBytes. */
  onNbssPacket(dir: Dir, buf: Buffer, off: number, available: number, total: number): void;
  /**
   * Asked while a packet spans segments, with its first `available` bytes at buf[off]: how many leading bytes
   * of it onNbssPacket will read (the framer stores only those; the rest is counted, never copied), or 0 when
   * it cannot tell yet (asked again as more bytes arrive). onNbssPacket is still called when the packet's first
   * min(total, maxParseBytes) bytes have arrived, as without a prefix, so what it reports does not change.
   * Without this method every byte up to maxParseBytes is stored.
   */
  nbssPrefix?(buf: Buffer, off: number, available: number, total: number): number;
}

const INITIAL_HOLD_BYTES = 128;
/** Copies up to this size are done in JS: Buffer.copy's native call costs more than the bytes it moves. */
const SMALL_COPY_BYTES = 128;

/** src[from, from+n) to dst[to...]; both ranges are within their buffers. */
function copyBytes(src: Buffer, from: number, dst: Buffer, to: number, n: number): void {
  if (n > SMALL_COPY_BYTES) {
    src.copy(dst, to, from, from + n);
    return;
  }
  for (let i = 0; i < n; i++) dst[to + i] = src[from + i]!;
}

export class NbssFramer {
  private held: Buffer | null = null;
  /** bytes of the held packet received so far */
  private have = 0;
  /** bytes of the held packet stored in `held` (its first ones) */
  private stored = 0;
  /** size of the packet being held, -1 while its header is incomplete */
  private total = -1;
  /** leading bytes of the held packet the handler reads, -1 until the prefix callback has said */
  private keep = -1;
  private skip = 0;
  /** bytes dropped while looking for the next packet header */
  resyncs = 0;

  constructor(
    private readonly maxParseBytes: number,
    private readonly receiver: NbssReceiver,
    /** passed back to the receiver with every packet */
    private readonly dir: Dir,
  ) {}

  push(data: Buffer, off: number, len: number): void {
    while (len > 0) {
      if (this.skip > 0) {
        const n = this.skip < len ? this.skip : len;
        this.skip -= n;
        off += n;
        len -= n;
        continue;
      }
      if (this.have === 0) {
        if (len < NBSS_HEADER) {
          this.hold(data, off, len, len);
          this.total = -1;
          return;
        }
        const total = nbssSize(data, off);
        if (total < 0) {
          const n = this.resync(data, off, len);
          off += n;
          len -= n;
          continue;
        }
        if (len >= total) {
          this.receiver.onNbssPacket(this.dir, data, off, total, total);
          off += total;
          len -= total;
          continue;
        }
        const want = total < this.maxParseBytes ? total : this.maxParseBytes;
        if (len >= want) {
          this.receiver.onNbssPacket(this.dir, data, off, want, total);
          this.skip = total - len;
          return;
        }
        this.total = total;
        this.keep = this.prefixOf(data, off, len, want);
        this.hold(data, off, len, this.keep < 0 || this.keep > len ? len : this.keep);
        return;
      }
      if (this.total < 0) {
        const n = NBSS_HEADER - this.have < len ? NBSS_HEADER - this.have : len;
        copyBytes(data, off, this.held!, this.have, n);
        this.have += n;
        this.stored = this.have;
        off += n;
        len -= n;
        if (this.have < NBSS_HEADER) return;
        this.total = nbssSize(this.held!, 0);
        if (this.total < 0) {
          this.have = 0;
          this.stored = 0;
          this.resyncs++;
        }
        continue;
      }
      const want = this.total < this.maxParseBytes ? this.total : this.maxParseBytes;
      const n = want - this.have < len ? want - this.have : len;
      const limit = this.keep < 0 ? want : this.keep;
      if (this.stored < limit) {
        const c = n < limit - this.stored ? n : limit - this.stored;
        this.ensure(this.stored + c);
        copyBytes(data, off, this.held!, this.stored, c);
        this.stored += c;
      }
      this.have += n;
      off += n;
      len -= n;
      if (this.have < want) {
        if (this.keep < 0) this.keep = this.prefixOf(this.held!, 0, this.stored, want);
        continue;
      }
      const total = this.total;
      const available = this.keep < 0 ? want : this.keep;
      this.have = 0;
      this.stored = 0;
      this.total = -1;
      this.keep = -1;
      this.skip = total - want;
      this.receiver.onNbssPacket(this.dir, this.held!, 0, available, total);
    }
  }

  /** Forget the packet in progress (a gap in the stream). */
  reset(): void {
    this.have = 0;
    this.stored = 0;
    this.total = -1;
    this.keep = -1;
    this.skip = 0;
  }

  /** Bytes of the held packet to store (at most `want`), or -1 while undecided. */
  private prefixOf(buf: Buffer, off: number, available: number, want: number): number {
    if (this.receiver.nbssPrefix === undefined) return want;
    const k = this.receiver.nbssPrefix(buf, off, available, this.total);
    if (k <= 0) return -1;
    return k < want ? k : want;
  }

  /** Starts holding a packet: `received` bytes of it arrived, the first `store` of them are kept. */
  private hold(data: Buffer, off: number, received: number, store: number): void {
    this.ensure(store);
    copyBytes(data, off, this.held!, 0, store);
    this.have = received;
    this.stored = store;
  }

  /** Grows the holding buffer on demand (most flows never split a message, large ones rarely). */
  private ensure(size: number): void {
    if (this.held !== null && this.held.length >= size) return;
    // Most held packets are a read/write's headers (116 bytes, see NbssPrefix): start small.
    let capacity = this.held === null ? INITIAL_HOLD_BYTES : this.held.length * 2;
    while (capacity < size) capacity *= 2;
    if (capacity > this.maxParseBytes) capacity = this.maxParseBytes < 1024 ? 1024 : this.maxParseBytes;
    const next = Buffer.allocUnsafe(capacity);
    if (this.held !== null && this.stored > 0) this.held.copy(next, 0, 0, this.stored);
    this.held = next;
  }

  /** Bytes to drop before the next plausible SMB session message (all of them when there is none). */
  private resync(data: Buffer, off: number, len: number): number {
    this.resyncs++;
    const end = off + len;
    for (let i = off + 1; i + 8 <= end; i++) if (isSmbMessageAt(data, i, end)) return i - off;
    return len > 7 ? len - 7 : len;
  }
}
