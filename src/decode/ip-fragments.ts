/**
 * Bounded IPv4/IPv6 fragment reassembly.
 *
 * Fragments are rare on OT networks, so this path may allocate (keys, piece copies, the final datagram);
 * what it must not do is grow without bound or let an attacker pick which bytes win. Policy:
 * - first data wins: bytes already received are never replaced by an overlapping fragment (overlaps and
 *   exact duplicates are counted, only the new bytes of a partial overlap are kept);
 * - a datagram may not exceed 65535 bytes (header included);
 * - global caps on pending datagrams and buffered bytes: the oldest pending datagram is evicted (counted);
 * - a datagram whose first fragment is older than the timeout (packet time) is dropped (counted).
 *
 * The reassembler knows nothing about IP headers beyond keeping a copy of the first fragment's header
 * bytes; the decoder patches length/flag fields in the returned buffer.
 */

export interface FragmentLimits {
  /** Bytes of fragment payload buffered across all pending datagrams. */
  maxBufferedBytes: number;
  /** Pending (incomplete) datagrams at once. */
  maxDatagrams: number;
  /** Seconds (packet time) a datagram may wait for its missing fragments, counted from its first fragment. */
  timeoutSec: number;
}

export const DEFAULT_FRAGMENT_LIMITS: FragmentLimits = {
  maxBufferedBytes: 4 * 1024 * 1024,
  maxDatagrams: 1024,
  timeoutSec: 30,
};

/** Largest IP datagram (header + payload) we rebuild. */
export const MAX_REASSEMBLED_DATAGRAM = 65535;

/** Counter fields the reassembler increments; the decoder passes its own counters object. */
export interface FragmentCounters {
  /** Fragments offered to the reassembler. */
  fragments: number;
  /** Datagrams completed. */
  fragmentsReassembled: number;
  /** Fragments discarded: duplicates, invalid, or belonging to an evicted/expired datagram. */
  fragmentsDropped: number;
  /** Fragments that overlapped bytes already received (first data kept). */
  fragmentOverlaps: number;
  /** Evictions caused by the datagram or byte caps. */
  fragmentCapHits: number;
  /** Datagrams dropped because their fragments did not all arrive within the timeout. */
  fragmentTimeouts: number;
  /** Fragments rejected as impossible (beyond 65535, misaligned, inconsistent end). */
  fragmentInvalid: number;
}

interface Piece {
  start: number;
  end: number;
  data: Buffer;
}

class PendingDatagram {
  /** Sorted by start, never overlapping. */
  readonly pieces: Piece[] = [];
  /** Payload length once the last fragment (MF = 0) has been seen, else -1. */
  totalLen = -1;
  /** Highest payload end seen so far. */
  maxEnd = 0;
  /** Copy of the header of the fragment at offset 0. */
  header: Buffer | null = null;
  /** Caller data recorded with the offset-0 fragment (IPv6: the upper-layer next header). */
  meta = 0;
  /** Payload bytes held. */
  bytes = 0;
  /** Fragments held (for the drop counter on eviction). */
  fragmentCount = 0;

  constructor(
    readonly key: string,
    readonly firstTs: number,
  ) {}
}

export class IpFragmentReassembler {
  private readonly pending = new Map<string, PendingDatagram>();
  private bufferedBytes = 0;
  /** Earliest packet time at which some pending datagram can time out. */
  private nextExpiry = Infinity;
  /** The `meta` of the datagram most recently returned by add(). */
  lastMeta = 0;

  constructor(
    private readonly limits: FragmentLimits,
    private readonly counters: FragmentCounters,
  ) {}

  /** Pending datagrams. */
  get size(): number {
    return this.pending.size;
  }

  get bytes(): number {
    return this.bufferedBytes;
  }

  /**
   * Offer one fragment. `payload[payloadOff, payloadOff + payloadLen)` is the fragmentable data at byte
   * offset `fragOffset`; `more` is the MF flag. For the offset-0 fragment pass the header bytes to keep
   * (`header[headerOff, headerOff + headerLen)`) and an optional `meta` number.
   * Returns the complete datagram (header copy followed by the payload) when this fragment completed it.
   */
  add(
    key: string,
    ts: number,
    fragOffset: number,
    more: boolean,
    payload: Buffer,
    payloadOff: number,
    payloadLen: number,
    header: Buffer,
    headerOff: number,
    headerLen: number,
    meta: number,
  ): Buffer | null {
    this.expire(ts);
    this.counters.fragments++;
    const end = fragOffset + payloadLen;
    // Non-final fragments carry a multiple of 8 bytes (RFC 791/8200); anything else cannot be placed.
    if (end + headerLen > MAX_REASSEMBLED_DATAGRAM || (more && (payloadLen === 0 || (payloadLen & 7) !== 0))) {
      this.counters.fragmentInvalid++;
      this.counters.fragmentsDropped++;
      return null;
    }

    let dgram = this.pending.get(key);
    if (dgram === undefined) {
      while (this.pending.size >= this.limits.maxDatagrams && this.pending.size > 0) {
        this.counters.fragmentCapHits++;
        this.drop(this.oldest()!);
      }
      if (this.limits.maxDatagrams <= 0) {
        this.counters.fragmentsDropped++;
        return null;
      }
      dgram = new PendingDatagram(key, ts);
      this.pending.set(key, dgram);
      if (ts + this.limits.timeoutSec < this.nextExpiry) this.nextExpiry = ts + this.limits.timeoutSec;
    }

    if (!more) {
      if (dgram.totalLen >= 0 && dgram.totalLen !== end) {
        // A second "last" fragment disagreeing about the length: keep the first.
        this.counters.fragmentOverlaps++;
        this.counters.fragmentInvalid++;
        this.counters.fragmentsDropped++;
        return null;
      }
      if (dgram.maxEnd > end) {
        // Data already received beyond the claimed end: the datagram is inconsistent, drop it whole.
        this.counters.fragmentInvalid++;
        this.counters.fragmentsDropped++;
        this.drop(dgram);
        return null;
      }
      dgram.totalLen = end;
    } else if (dgram.totalLen >= 0 && end > dgram.totalLen) {
      this.counters.fragmentInvalid++;
      this.counters.fragmentsDropped++;
      return null;
    }

    // Byte cap: evict other (older) datagrams first; if this one alone is too big, give it up.
    while (this.bufferedBytes + payloadLen > this.limits.maxBufferedBytes) {
      this.counters.fragmentCapHits++;
      if (this.pending.size <= 1 || this.oldest() === dgram) {
        this.counters.fragmentsDropped++;
        this.drop(dgram);
        return null;
      }
      this.drop(this.oldest()!);
    }

    const added = this.insert(dgram, fragOffset, end, payload, payloadOff);
    if (added < payloadLen) this.counters.fragmentOverlaps++;
    if (added === 0 && payloadLen > 0) {
      this.counters.fragmentsDropped++;
    } else {
      dgram.fragmentCount++;
    }
    if (end > dgram.maxEnd) dgram.maxEnd = end;
    if (fragOffset === 0 && dgram.header === null) {
      dgram.header = Buffer.from(header.subarray(headerOff, headerOff + headerLen));
      dgram.meta = meta;
    }

    if (dgram.totalLen < 0 || dgram.header === null || dgram.bytes !== dgram.totalLen) return null;
    // Pieces never overlap and all lie within [0, totalLen): equal byte count means no holes.
    const hdr = dgram.header;
    if (hdr.length + dgram.totalLen > MAX_REASSEMBLED_DATAGRAM) {
      this.counters.fragmentInvalid++;
      this.drop(dgram);
      return null;
    }
    const out = Buffer.allocUnsafe(hdr.length + dgram.totalLen);
    hdr.copy(out, 0);
    for (const piece of dgram.pieces) piece.data.copy(out, hdr.length + piece.start);
    this.lastMeta = dgram.meta;
    this.remove(dgram);
    this.counters.fragmentsReassembled++;
    return out;
  }

  /** Drop datagrams whose first fragment is older than the timeout at packet time `now`. */
  expire(now: number): void {
    // Cheap per-packet check: nothing can expire before the earliest deadline.
    if (this.pending.size === 0 || now <= this.nextExpiry) return;
    const limit = now - this.limits.timeoutSec;
    let next = Infinity;
    // Map order is creation order; packet time may step backwards a little, so scan all (few) datagrams.
    for (const dgram of this.pending.values()) {
      if (dgram.firstTs < limit) {
        this.counters.fragmentTimeouts++;
        this.drop(dgram);
      } else if (dgram.firstTs + this.limits.timeoutSec < next) {
        next = dgram.firstTs + this.limits.timeoutSec;
      }
    }
    this.nextExpiry = next;
  }

  /** Drop everything pending (end of capture); pending fragments count as dropped. */
  clear(): void {
    for (const dgram of this.pending.values()) this.counters.fragmentsDropped += dgram.fragmentCount;
    this.pending.clear();
    this.bufferedBytes = 0;
    this.nextExpiry = Infinity;
  }

  /** Copies the bytes of [start, end) not yet held; returns how many were new. */
  private insert(dgram: PendingDatagram, start: number, end: number, payload: Buffer, payloadOff: number): number {
    const pieces = dgram.pieces;
    let cursor = start;
    let added = 0;
    let i = 0;
    while (cursor < end) {
      while (i < pieces.length && pieces[i]!.end <= cursor) i++;
      const next = i < pieces.length ? pieces[i]! : null;
      if (next !== null && next.start <= cursor) {
        cursor = next.end;
        continue;
      }
      const gapEnd = next !== null && next.start < end ? next.start : end;
      const data = Buffer.from(payload.subarray(payloadOff + (cursor - start), payloadOff + (gapEnd - start)));
      pieces.splice(i, 0, { start: cursor, end: gapEnd, data });
      i++;
      added += gapEnd - cursor;
      cursor = gapEnd;
    }
    dgram.bytes += added;
    this.bufferedBytes += added;
    return added;
  }

  private oldest(): PendingDatagram | undefined {
    for (const dgram of this.pending.values()) return dgram;
    return undefined;
  }

  /** Discard a pending datagram and count its held fragments as dropped. */
  private drop(dgram: PendingDatagram): void {
    this.counters.fragmentsDropped += dgram.fragmentCount;
    this.remove(dgram);
  }

  private remove(dgram: PendingDatagram): void {
    this.pending.delete(dgram.key);
    this.bufferedBytes -= dgram.bytes;
  }
}
