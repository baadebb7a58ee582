/**
 * One direction of a TCP connection turned back into a byte stream.
 *
 * - In-order segments (the common case) are handed to the receiver as a view of the packet buffer: no copy.
 * - Out-of-order segments are copied into a small sorted list, bounded in bytes and segments. Buffered segments
 *   never overlap each other: when a new one overlaps, only its uncovered pieces are kept (first arrival wins).
 * - Bytes already delivered are never delivered again (retransmissions and overlaps are trimmed and counted).
 * - A hole is declared lost (receiver.streamGap) when the out-of-order buffer is full, when the peer ACKs data
 *   we never saw, when FIN is beyond the data we have, and when the flow ends/resets with data still buffered.
 *   Delivery then continues from the next buffered segment.
 *
 * Sequence numbers are uint32 with wraparound: positions are always compared as `(a - b) | 0`.
 */
import { TcpFlag } from './packet.js';

export interface ReassemblyCounters {
  /** holes declared lost */
  tcpGaps: number;
  tcpGapBytes: number;
  /** out-of-order segments that did not fit the buffer caps (each forced the oldest hole to be declared lost) */
  tcpOutOfOrderDropped: number;
  /** segments whose bytes had all been delivered or buffered already */
  tcpRetransmissions: number;
  /** segments partly overlapping delivered or buffered bytes (the overlapping part is trimmed) */
  tcpOverlaps: number;
  /** segments more than MAX_SEQ_JUMP ahead of the stream: ignored as bogus */
  tcpBogusSequence: number;
}

export interface ReassemblyLimits {
  /** per direction */
  maxOutOfOrderBytes: number;
  maxOutOfOrderSegments: number;
}

export interface StreamReceiver<Owner> {
  /** The next contiguous bytes of `stream`: buf[off..off+len), valid only during the call. */
  streamData(stream: TcpStream<Owner>, buf: Buffer, off: number, len: number, frame: number, ts: number): void;
  /** `bytes` of `stream` are lost; delivery continues after them. */
  streamGap(stream: TcpStream<Owner>, bytes: number, frame: number, ts: number): void;
}

/** A segment or ACK further ahead than this (1 GiB) is not a capture loss but garbage. */
export const MAX_SEQ_JUMP = 0x4000_0000;

class BufferedSegment {
  constructor(
    readonly seq: number,
    readonly data: Buffer,
    readonly frame: number,
    readonly ts: number,
  ) {}
}

export class TcpStream<Owner> {
  /** The stream has an anchor (SYN or first data segment) and `nextSeq` is meaningful. */
  started = false;
  /** Sequence number of the next byte to deliver (uint32). */
  nextSeq = 0;
  /** Started from a SYN (handshake seen) rather than mid-stream. */
  sawSyn = false;
  finSeen = false;
  /** Sequence number just after the last data byte (the FIN's own sequence number). */
  finSeq = 0;
  deliveredBytes = 0;
  gapBytes = 0;
  /** Buffered out-of-order bytes. */
  bufferedBytes = 0;
  /** Sorted by sequence, non-overlapping, all strictly ahead of nextSeq until drained. Allocated on first need. */
  private segments: BufferedSegment[] | null = null;

  constructor(
    readonly owner: Owner,
    private readonly receiver: StreamReceiver<Owner>,
    private readonly limits: ReassemblyLimits,
    private readonly counters: ReassemblyCounters,
  ) {}

  get bufferedSegments(): number {
    return this.segments === null ? 0 : this.segments.length;
  }

  /**
   * The common case without the general machinery: a data segment (no SYN/FIN) that starts exactly where the
   * stream stands, with nothing buffered. Advances the stream and returns true — the caller then delivers the
   * bytes itself; false means nothing changed and the segment must go through segment().
   */
  advanceInOrder(seq: number, len: number): boolean {
    if (!this.started || (seq >>> 0) !== this.nextSeq || (this.segments !== null && this.segments.length > 0)) return false;
    this.nextSeq = (this.nextSeq + len) >>> 0;
    this.deliveredBytes += len;
    return true;
  }

  /** One TCP segment of this direction. `len` may be 0 (pure ACK / SYN / FIN). */
  segment(seq: number, flags: number, buf: Buffer, off: number, len: number, frame: number, ts: number): void {
    seq >>>= 0;
    if ((flags & TcpFlag.SYN) !== 0) {
      // A retransmitted SYN keeps the anchor; a new ISN before any data re-anchors (SYN retry with a new ISN).
      if (!this.started || (this.deliveredBytes === 0 && this.bufferedBytes === 0 && this.gapBytes === 0)) {
        this.started = true;
        this.sawSyn = true;
        this.nextSeq = (seq + 1) >>> 0;
      }
      seq = (seq + 1) >>> 0; // data on a SYN starts after the ISN
    }
    if (!this.started) {
      if (len <= 0) return; // nothing to anchor a mid-stream start on
      this.started = true;
      this.nextSeq = seq;
    }
    if (len > 0) this.data(seq, buf, off, len, frame, ts);
    if ((flags & TcpFlag.FIN) !== 0) {
      const fin = (seq + (len > 0 ? len : 0)) >>> 0;
      if (!this.finSeen) {
        this.finSeen = true;
        this.finSeq = fin;
      }
      const missing = (fin - this.nextSeq) | 0;
      if (missing > 0 && missing <= MAX_SEQ_JUMP) this.skipTo(fin, frame, ts);
    }
  }

  /**
   * The peer acknowledged up to `ack`: anything before it that we have not delivered was sent but missed by
   * the capture. Declare it lost (delivering buffered segments on the way) so the analyzer does not wait.
   */
  /** Whether acked(ack) has anything to do: the peer acknowledged bytes of this direction not seen yet. */
  ackSkipsData(ack: number): boolean {
    if (!this.started) return false;
    let limit = ack >>> 0;
    if (this.finSeen && ((limit - this.finSeq) | 0) > 0) limit = this.finSeq;
    const ahead = (limit - this.nextSeq) | 0;
    return ahead > 0 && ahead <= MAX_SEQ_JUMP;
  }

  acked(ack: number, frame: number, ts: number): void {
    if (!this.started) return;
    let limit = ack >>> 0;
    if (this.finSeen && ((limit - this.finSeq) | 0) > 0) limit = this.finSeq; // the FIN takes one sequence number
    const ahead = (limit - this.nextSeq) | 0;
    if (ahead <= 0 || ahead > MAX_SEQ_JUMP) return;
    this.skipTo(limit, frame, ts);
  }

  /** Deliver everything buffered, declaring the holes before each buffered segment lost (RST, flow end). */
  flush(frame: number, ts: number): void {
    const segments = this.segments;
    while (segments !== null && segments.length > 0) {
      const first = segments[0]!;
      const hole = (first.seq - this.nextSeq) | 0;
      if (hole > 0) {
        this.nextSeq = first.seq;
        this.gap(hole, frame, ts);
      }
      this.drain();
    }
  }

  private data(seq: number, buf: Buffer, off: number, len: number, frame: number, ts: number): void {
    for (;;) {
      const ahead = (seq - this.nextSeq) | 0;
      if (ahead <= 0) {
        const skip = -ahead;
        if (skip >= len) {
          this.counters.tcpRetransmissions++;
          return;
        }
        if (skip > 0) this.counters.tcpOverlaps++;
        const fresh = len - skip;
        this.nextSeq = (this.nextSeq + fresh) >>> 0;
        this.deliveredBytes += fresh;
        this.receiver.streamData(this, buf, off + skip, fresh, frame, ts);
        if (this.segments !== null && this.segments.length > 0) this.drain();
        return;
      }
      if (ahead > MAX_SEQ_JUMP) {
        this.counters.tcpBogusSequence++;
        return;
      }
      if (this.buffer(ahead, buf, off, len, frame, ts)) return;
      // Over the caps: the oldest hole is not going to be filled in time. Declare it lost and retry.
      this.counters.tcpOutOfOrderDropped++;
      const segments = this.segments;
      if (segments !== null && segments.length > 0) {
        const first = segments[0]!;
        const hole = (first.seq - this.nextSeq) | 0;
        if (hole > 0) {
          this.nextSeq = first.seq;
          this.gap(hole, frame, ts);
        }
        this.drain();
      } else {
        // The segment alone is bigger than the buffer: skip straight to it.
        this.nextSeq = seq;
        this.gap(ahead, frame, ts);
      }
    }
  }

  /** Buffer the parts of [nextSeq+ahead, +len) not already buffered. False when the caps would be exceeded. */
  private buffer(ahead: number, buf: Buffer, off: number, len: number, frame: number, ts: number): boolean {
    let segments = this.segments;
    if (segments === null) segments = this.segments = [];
    const base = this.nextSeq;
    const end = ahead + len;
    // Pass 1: how many new bytes/pieces (positions relative to nextSeq).
    let cursor = ahead;
    let freshBytes = 0;
    let pieces = 0;
    for (let i = 0; i < segments.length && cursor < end; i++) {
      const s = segments[i]!;
      const sStart = (s.seq - base) | 0;
      const sEnd = sStart + s.data.length;
      if (sEnd <= cursor) continue;
      if (sStart >= end) break;
      if (sStart > cursor) {
        freshBytes += sStart - cursor;
        pieces++;
      }
      cursor = sEnd;
    }
    if (cursor < end) {
      freshBytes += end - cursor;
      pieces++;
    }
    if (freshBytes === 0) {
      this.counters.tcpRetransmissions++;
      return true;
    }
    if (
      this.bufferedBytes + freshBytes > this.limits.maxOutOfOrderBytes ||
      segments.length + pieces > this.limits.maxOutOfOrderSegments
    ) {
      return false;
    }
    if (freshBytes < len) this.counters.tcpOverlaps++;
    // Pass 2: insert the uncovered pieces.
    cursor = ahead;
    let i = 0;
    while (i < segments.length && cursor < end) {
      const s = segments[i]!;
      const sStart = (s.seq - base) | 0;
      const sEnd = sStart + s.data.length;
      if (sEnd <= cursor) {
        i++;
        continue;
      }
      if (sStart >= end) break;
      if (sStart > cursor) {
        segments.splice(i, 0, this.copyPiece(base, cursor, sStart, ahead, buf, off, frame, ts));
        i++;
      }
      cursor = sEnd;
      i++;
    }
    if (cursor < end) segments.splice(i, 0, this.copyPiece(base, cursor, end, ahead, buf, off, frame, ts));
    this.bufferedBytes += freshBytes;
    return true;
  }

  private copyPiece(
    base: number,
    from: number,
    to: number,
    ahead: number,
    buf: Buffer,
    off: number,
    frame: number,
    ts: number,
  ): BufferedSegment {
    const data = Buffer.allocUnsafe(to - from);
    buf.copy(data, 0, off + (from - ahead), off + (to - ahead));
    return new BufferedSegment((base + from) >>> 0, data, frame, ts);
  }

  /** Deliver buffered segments that have become contiguous. */
  private drain(): void {
    const segments = this.segments;
    if (segments === null) return;
    while (segments.length > 0) {
      const s = segments[0]!;
      const ahead = (s.seq - this.nextSeq) | 0;
      if (ahead > 0) return;
      segments.shift();
      const size = s.data.length;
      this.bufferedBytes -= size;
      const skip = -ahead;
      if (skip >= size) {
        // An in-order segment that arrived later already delivered these bytes.
        this.counters.tcpOverlaps++;
        continue;
      }
      if (skip > 0) this.counters.tcpOverlaps++;
      this.nextSeq = (s.seq + size) >>> 0;
      this.deliveredBytes += size - skip;
      this.receiver.streamData(this, s.data, skip, size - skip, s.frame, s.ts);
    }
  }

  /** Advance to `target`, delivering buffered segments below it and declaring the holes between them lost. */
  private skipTo(target: number, frame: number, ts: number): void {
    const segments = this.segments;
    while (segments !== null && segments.length > 0 && ((segments[0]!.seq - target) | 0) < 0) {
      const first = segments[0]!;
      const hole = (first.seq - this.nextSeq) | 0;
      if (hole > 0) {
        this.nextSeq = first.seq;
        this.gap(hole, frame, ts);
      }
      this.drain();
    }
    const hole = (target - this.nextSeq) | 0;
    if (hole > 0) {
      this.nextSeq = target;
      this.gap(hole, frame, ts);
      this.drain();
    }
  }

  private gap(bytes: number, frame: number, ts: number): void {
    this.counters.tcpGaps++;
    this.counters.tcpGapBytes += bytes;
    this.gapBytes += bytes;
    this.receiver.streamGap(this, bytes, frame, ts);
  }
}
