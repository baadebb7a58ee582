/**
 * DNP3 over TCP (port 20000): link layer with per-block CRCs, transport header, class 0 integrity polls and
 * their responses (binary inputs g1v2, analog inputs g30v1), and cold restart (function 13) for the scenario.
 */
import type { PlantAsset } from '../plant.js';
import type { TcpConversation } from '../packets.js';
import { ByteWriter } from '../bytes.js';
import { connect, MS, type SimContext } from '../context.js';
import type { SimProcessFactory } from '../scheduler.js';

export const DNP3_PORT = 20000;

const CRC_TABLE = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xa6bc : c >>> 1;
    t[i] = c;
  }
  return t;
})();

export function dnp3Crc(buf: Buffer, start: number, end: number): number {
  let crc = 0;
  for (let i = start; i < end; i++) crc = (crc >>> 8) ^ CRC_TABLE[(crc ^ buf[i]!) & 0xff]!;
  return ~crc & 0xffff;
}

export class Dnp3Codec {
  readonly q = new ByteWriter(Buffer.alloc(2048));
  readonly r = new ByteWriter(Buffer.alloc(2048));
  private readonly user = new ByteWriter(Buffer.alloc(2048));
  private appSeq = 0;
  private tpSeqMaster = 0;
  private tpSeqOutstation = 0;

  constructor(readonly master: number, readonly outstation: number) {}

  /** Wraps transport+application bytes (`user`) into link frames with CRCs. */
  private link(w: ByteWriter, ctrl: number, dst: number, src: number, user: Buffer, len: number): void {
    w.reset();
    w.u8(0x05).u8(0x64).u8(5 + len).u8(ctrl).u16le(dst).u16le(src);
    w.u16le(dnp3Crc(w.buf, 0, 8));
    for (let off = 0; off < len; off += 16) {
      const n = Math.min(16, len - off);
      const s = w.o;
      for (let i = 0; i < n; i++) w.u8(user[off + i]!);
      w.u16le(dnp3Crc(w.buf, s, w.o));
    }
  }

  private request(fc: number, objects: readonly number[]): number {
    const seq = (this.appSeq = (this.appSeq + 1) & 0x0f);
    const u = this.user.reset();
    u.u8(0xc0 | this.tpSeqMaster).u8(0xc0 | seq).u8(fc).bytes(objects);
    this.tpSeqMaster = (this.tpSeqMaster + 1) & 0x3f;
    this.link(this.q, 0xc4, this.outstation, this.master, u.buf, u.o);
    return seq;
  }

  private response(seq: number, iin: number, objects: (w: ByteWriter) => void): void {
    const u = this.user.reset();
    u.u8(0xc0 | this.tpSeqOutstation).u8(0xc0 | seq).u8(0x81).u16(iin);
    objects(u);
    this.tpSeqOutstation = (this.tpSeqOutstation + 1) & 0x3f;
    this.link(this.r, 0x44, this.master, this.outstation, u.buf, u.o);
  }

  /** Class 0 read (g60v1, all objects) and a response with 8 binary inputs and 6 analog inputs. */
  integrityPoll(analog: (i: number) => number, binary: (i: number) => boolean): void {
    const seq = this.request(0x01, [60, 1, 0x06]);
    this.response(seq, 0x0000, (w) => {
      w.u8(1).u8(2).u8(0x00).u8(0).u8(7);
      for (let i = 0; i < 8; i++) w.u8(binary(i) ? 0x81 : 0x01);
      w.u8(30).u8(1).u8(0x00).u8(0).u8(5);
      for (let i = 0; i < 6; i++) w.u8(0x01).u32le(analog(i));
    });
  }

  /** Cold restart (FC 13); the outstation answers with the restart delay (g52v2, ms) and IIN restart bit. */
  coldRestart(): void {
    const seq = this.request(0x0d, []);
    this.response(seq, 0x0000, (w) => {
      w.u8(52).u8(2).u8(0x07).u8(1).u16le(1500);
    });
  }
}

export function* dnp3Poll(c: TcpConversation, d: Dnp3Codec, t: number): Generator<void> {
  d.integrityPoll((i) => 1000 + ((t >>> 10) + i * 97) % 500, (i) => ((t >>> 20) + i) % 3 === 0);
  yield* c.exchange(d.q.buf, d.q.o, d.r.buf, d.r.o, 4 * MS);
}

/** SCADA master polling the outstation with class 0 reads every `periodMs`. */
export function dnp3Master(ctx: SimContext, master: PlantAsset, rtu: PlantAsset, periodMs: number, offsetUs: number): SimProcessFactory {
  return function* (slot) {
    const rng = ctx.rng.fork(0xd3);
    const c = connect(ctx, slot, master.host, rtu.host, DNP3_PORT, ctx.startUs + offsetUs, 'dnp3');
    const d = new Dnp3Codec(1, 10);
    yield* c.open();
    while (ctx.sched.running(c.t)) {
      c.t += 5 * MS;
      yield* dnp3Poll(c, d, c.t);
      c.t += periodMs * MS + rng.int(-periodMs * 10, periodMs * 10);
    }
    yield* c.close();
  };
}
