/**
 * Per-direction message framing over a TCP byte stream, shared by the TCP analyzers.
 *
 * The common case — whole messages inside one segment — is parsed straight from the packet's buffer with no
 * copy. Only the tail of a message split across segments is copied into a per-direction buffer, which is
 * bounded: a message that would not fit is dropped, counted, and the parser resyncs on what follows.
 */
import { Dir } from '../analyzer.js';

/**
 * Looks at buf[off..off+len) and returns how many bytes it consumed: > 0 when it handled a whole message (or
 * skipped garbage while resyncing), 0 when the bytes hold only the start of a message and more are needed.
 * It must never consume more than `len`.
 */
export type MessageConsumer = (buf: Buffer, off: number, len: number) => number;

export class StreamBuffer {
  private pending: Buffer | null = null;
  private pendingLen = 0;
  /** Times the buffer would have exceeded its cap (the partial message was dropped). */
  overflows = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly consume: MessageConsumer,
  ) {}

  get buffered(): number {
    return this.pendingLen;
  }

  /** Feeds the next bytes; true when a partial message was dropped at the cap meanwhile (also in `overflows`). */
  push(buf: Buffer, off: number, len: number): boolean {
    const before = this.overflows;
    this.feed(buf, off, len);
    return this.overflows !== before;
  }

  private feed(buf: Buffer, off: number, len: number): void {
    if (this.pendingLen === 0) {
      const used = this.drain(buf, off, len);
      if (used < len) this.keep(buf, off + used, len - used);
      return;
    }
    if (this.pendingLen + len > this.maxBytes) {
      // The partial message plus the new bytes exceed the cap: drop the partial message and start over on
      // the new bytes (the consumer resyncs if they begin mid-message).
      this.overflows++;
      this.pendingLen = 0;
      this.feed(buf, off, len);
      return;
    }
    this.ensureCapacity(this.pendingLen + len);
    buf.copy(this.pending!, this.pendingLen, off, off + len);
    this.pendingLen += len;
    const used = this.drain(this.pending!, 0, this.pendingLen);
    if (used > 0) {
      this.pending!.copy(this.pending!, 0, used, this.pendingLen);
      this.pendingLen -= used;
    }
  }

  /** Forget any partial message (after a gap in the stream). */
  reset(): void {
    this.pendingLen = 0;
  }

  private drain(buf: Buffer, off: number, len: number): number {
    let used = 0;
    while (used < len) {
      const n = this.consume(buf, off + used, len - used);
      if (n <= 0) break;
      used += n > len - used ? len - used : n;
    }
    return used;
  }

  private keep(buf: Buffer, off: number, len: number): void {
    if (len > this.maxBytes) {
      this.overflows++;
      return;
    }
    this.ensureCapacity(len);
    buf.copy(this.pending!, 0, off, off + len);
    this.pendingLen = len;
  }

  private ensureCapacity(size: number): void {
    if (this.pending !== null && this.pending.length >= size) return;
    let capacity = this.pending === null ? 512 : this.pending.length * 2;
    while (capacity < size) capacity *= 2;
    if (capacity > this.maxBytes) capacity = this.maxBytes;
    const next = Buffer.allocUnsafe(capacity);
    if (this.pending !== null && this.pendingLen > 0) this.pending.copy(next, 0, 0, this.pendingLen);
    this.pending = next;
  }
}

/** Frames one direction's bytes: like MessageConsumer, told which direction they travel. */
export type DirectionalConsumer = (dir: Dir, buf: Buffer, off: number, len: number) => number;

/**
 * Both directions of a flow, each framed by its own StreamBuffer over one consumer, with the per-direction
 * resync state binary analyzers keep (report garbage once, until a message frames again).
 */
export class DuplexStreams {
  private readonly streams: [StreamBuffer, StreamBuffer];
  private readonly inGarbage = [false, false];

  constructor(maxBytes: number, consume: DirectionalConsumer) {
    this.streams = [
      new StreamBuffer(maxBytes, (b, o, l) => consume(Dir.ToServer, b, o, l)),
      new StreamBuffer(maxBytes, (b, o, l) => consume(Dir.ToClient, b, o, l)),
    ];
  }

  /** Feeds `dir`'s next bytes; true when a partial message was dropped at the buffer cap meanwhile. */
  push(dir: Dir, buf: Buffer, off: number, len: number): boolean {
    return this.streams[dir].push(buf, off, len);
  }

  /** Forgets `dir`'s partial message (after a gap). */
  reset(dir: Dir): void {
    this.streams[dir].reset();
  }

  /** A datagram holds whole messages: drops what is left of one over; true when something was. */
  dropPartial(dir: Dir): boolean {
    const stream = this.streams[dir];
    if (stream.buffered === 0) return false;
    stream.reset();
    return true;
  }

  /** A message framed in `dir`: the stream is in sync again. */
  framed(dir: Dir): void {
    this.inGarbage[dir] = false;
  }

  /** No message at `dir`'s stream position: true only on the first such position since the last message. */
  lostSync(dir: Dir): boolean {
    if (this.inGarbage[dir]) return false;
    this.inGarbage[dir] = true;
    return true;
  }
}

/** Resync: bytes to skip from buf[off] to the next `startByte` after it (or to the end of buf[off..off+len)). */
export function skipToByte(buf: Buffer, off: number, len: number, startByte: number): number {
  let i = off + 1;
  const end = off + len;
  while (i < end && buf[i] !== startByte) i++;
  return i - off;
}
