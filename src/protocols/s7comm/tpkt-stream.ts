/**
 * TPKT (RFC 1006, ISO transport over TCP) framing of one direction's byte stream, shared by the S7comm and
 * S7comm-plus analyzers: whole TPKTs are handed over in place (no copy); a TPKT split across segments is
 * carried in a bounded buffer; one announcing more than the buffer holds is skipped and reported; garbage
 * and gaps put the stream out of sync until the next plausible TPKT/COTP header.
 */
import type { Dir } from '../analyzer.js';
import { FRAME_PROBE_LEN, TpktFrame, findResyncOffset, frameTpkt } from './tpkt-cotp.js';

const INITIAL_BUFFER = 2048;

/** Big-endian u16 at buf[at] (the caller checked the bounds). */
export function u16(buf: Uint8Array, at: number): number {
  return (buf[at]! << 8) | buf[at + 1]!;
}

/** `buf` if it holds `needed` bytes, else a larger one (doubling, capped at `max`) with its first `used` bytes. */
export function growTo(buf: Buffer | null, used: number, needed: number, max: number): Buffer {
  if (buf && buf.length >= needed) return buf;
  let size = buf ? buf.length : INITIAL_BUFFER;
  while (size < needed) size *= 2;
  if (size > max) size = max;
  const next = Buffer.allocUnsafe(size);
  if (buf && used > 0) buf.copy(next, 0, 0, used);
  return next;
}

/** What the framer reports to its analyzer (counting and anomaly events are the analyzer's). */
export interface TpktSink {
  /** Largest TPKT carried across segments (≥ FRAME_PROBE_LEN). */
  readonly maxCarry: number;
  /** A whole TPKT whose TPKT/COTP header checked out, at buf[off..off+total). */
  onTpkt(dir: Dir, buf: Buffer, off: number, total: number): void;
  /** A TPKT/COTP header did not check out: the stream is now out of sync (the framer scans for the next one). */
  onMalformedTpkt(dir: Dir): void;
  /** A TPKT announced `tpktLen` bytes, more than `maxCarry`: its bytes are skipped. */
  onTpktOverCap(dir: Dir, tpktLen: number): void;
  /** Bytes skipped while out of sync. */
  onResyncSkipped(dir: Dir, bytes: number): void;
  /** A plausible TPKT found again after `skipped` bytes. */
  onResync(dir: Dir, skipped: number): void;
}

/** One direction's TPKT framing state (analyzers extend it with their per-direction reassembly state). */
export class TpktStream {
  /** partial TPKT carried to the next push */
  carry: Buffer | null = null;
  carryLen = 0;
  /** bytes of an over-cap TPKT still to skip */
  skip = 0;
  /** scanning for the next plausible TPKT after garbage or a gap */
  desync = false;

  /** Forgets the partial TPKT and any bytes still to skip. */
  reset(): void {
    this.carryLen = 0;
    this.skip = 0;
  }

  /** The next bytes of this direction, buf[off..off+len) (len > 0, within buf). */
  push(sink: TpktSink, dir: Dir, buf: Buffer, off: number, len: number): void {
    const maxCarry = sink.maxCarry;
    const end = off + len;
    let p = off;
    if (this.skip > 0) {
      const n = Math.min(this.skip, len);
      this.skip -= n;
      p += n;
    }
    // Complete the TPKT carried over from earlier data.
    while (this.carryLen > 0 && p < end) {
      let carry = this.carry!;
      if (this.carryLen < FRAME_PROBE_LEN) {
        const take = Math.min(FRAME_PROBE_LEN - this.carryLen, end - p);
        buf.copy(carry, this.carryLen, p, p + take);
        this.carryLen += take;
        p += take;
        if (this.carryLen < FRAME_PROBE_LEN) break;
        if (frameTpkt(carry, 0, this.carryLen) === TpktFrame.Malformed) {
          this.carryLen = 0;
          this.desync = true;
          sink.onMalformedTpkt(dir);
          break;
        }
        const announced = u16(carry, 2);
        if (announced > maxCarry) {
          this.skip = announced - this.carryLen;
          this.carryLen = 0;
          sink.onTpktOverCap(dir, announced);
          const n = Math.min(this.skip, end - p);
          this.skip -= n;
          p += n;
          break;
        }
        carry = this.carry = growTo(carry, this.carryLen, announced, maxCarry);
      }
      const tpktLen = u16(carry, 2);
      const take = Math.min(tpktLen - this.carryLen, end - p);
      buf.copy(carry, this.carryLen, p, p + take);
      this.carryLen += take;
      p += take;
      if (this.carryLen === tpktLen) {
        this.carryLen = 0;
        sink.onTpkt(dir, carry, 0, tpktLen);
      }
    }
    while (p < end) {
      if (this.desync) {
        const at = findResyncOffset(buf, p, end - p);
        if (at < 0) {
          sink.onResyncSkipped(dir, end - p);
          return;
        }
        if (at > p) sink.onResyncSkipped(dir, at - p);
        this.desync = false;
        sink.onResync(dir, at - p);
        p = at;
      }
      const total = frameTpkt(buf, p, end - p);
      if (total === TpktFrame.Malformed) {
        this.desync = true;
        sink.onMalformedTpkt(dir);
        continue;
      }
      if (total === TpktFrame.Incomplete) {
        const rem = end - p;
        const tpktLen = rem >= 4 ? u16(buf, p + 2) : 0;
        if (tpktLen > maxCarry) {
          this.skip = tpktLen - rem;
          sink.onTpktOverCap(dir, tpktLen);
          return;
        }
        this.carry = growTo(this.carry, 0, Math.max(FRAME_PROBE_LEN, tpktLen, rem), maxCarry);
        buf.copy(this.carry, 0, p, end);
        this.carryLen = rem;
        return;
      }
      sink.onTpkt(dir, buf, p, total);
      p += total;
    }
  }
}
