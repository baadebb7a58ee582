/**
 * NetBIOS session service framing (RFC 1002 §4.3; MS-SMB2 2.1 "Direct TCP" on 445 uses the same 4-byte header
 * with a 24-bit length). Each SMB message is handed over whole when it fits `maxParseBytes`; a longer one
 * (a large write or read) is handed over as its first `maxParseBytes` bytes — enough for every header the
 * analyzer reads — and the rest is skipped without buffering, so large transfers cost no memory.
 */
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

/** (buf, off, available, total): available < total when the message was cut at maxParseBytes. */
export type NbssHandler = (buf: Buffer, off: number, available: number, total: number) => void;

export class NbssFramer {
  private held: Buffer | null = null;
  private have = 0;
  /** size of the packet being held, -1 while its header is incomplete */
  private total = -1;
  private skip = 0;
  /** bytes dropped while looking for the next packet header */
  resyncs = 0;

  constructor(
    private readonly maxParseBytes: number,
    private readonly onPacket: NbssHandler,
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
          this.hold(data, off, len);
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
          this.onPacket(data, off, total, total);
          off += total;
          len -= total;
          continue;
        }
        const want = total < this.maxParseBytes ? total : this.maxParseBytes;
        if (len >= want) {
          this.onPacket(data, off, want, total);
          this.skip = total - len;
          return;
        }
        this.hold(data, off, len);
        this.total = total;
        return;
      }
      if (this.total < 0) {
        const n = NBSS_HEADER - this.have < len ? NBSS_HEADER - this.have : len;
        data.copy(this.held!, this.have, off, off + n);
        this.have += n;
        off += n;
        len -= n;
        if (this.have < NBSS_HEADER) return;
        this.total = nbssSize(this.held!, 0);
        if (this.total < 0) {
          this.have = 0;
          this.resyncs++;
        }
        continue;
      }
      const want = this.total < this.maxParseBytes ? this.total : this.maxParseBytes;
      const n = want - this.have < len ? want - this.have : len;
      this.ensure(this.have + n);
      data.copy(this.held!, this.have, off, off + n);
      this.have += n;
      off += n;
      len -= n;
      if (this.have === want) {
        const total = this.total;
        this.have = 0;
        this.total = -1;
        this.skip = total - want;
        this.onPacket(this.held!, 0, want, total);
      }
    }
  }

  /** Forget the packet in progress (a gap in the stream). */
  reset(): void {
    this.have = 0;
    this.total = -1;
    this.skip = 0;
  }

  private hold(data: Buffer, off: number, len: number): void {
    this.ensure(len);
    data.copy(this.held!, 0, off, off + len);
    this.have = len;
  }

  /** Grows the holding buffer on demand (most flows never split a message, large ones rarely). */
  private ensure(size: number): void {
    if (this.held !== null && this.held.length >= size) return;
    let capacity = this.held === null ? 1024 : this.held.length * 2;
    while (capacity < size) capacity *= 2;
    if (capacity > this.maxParseBytes) capacity = this.maxParseBytes < 1024 ? 1024 : this.maxParseBytes;
    const next = Buffer.allocUnsafe(capacity);
    if (this.held !== null && this.have > 0) this.held.copy(next, 0, 0, this.have);
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
