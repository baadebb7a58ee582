/**
 * IEC 60870-5-104 (port 2404): STARTDT, general interrogation (C_IC_NA_1) answered with M_ME_NC_1 values,
 * spontaneous M_ME_NC_1 measurements, S-frame acknowledgements, and single commands (C_SC_NA_1).
 */
import type { PlantAsset } from '../plant.js';
import type { TcpConversation } from '../packets.js';
import { ByteWriter } from '../bytes.js';
import { connect, MS, type SimContext } from '../context.js';
import type { SimProcessFactory } from '../scheduler.js';

export const IEC104_PORT = 2404;

export class Iec104Link {
  readonly w = new ByteWriter(Buffer.alloc(512));
  /** send/receive sequence numbers of the master (controlling station) and the RTU */
  masterTx = 0;
  rtuTx = 0;
  unackedAtMaster = 0;

  constructor(readonly c: TcpConversation, readonly commonAddress: number) {}

  private *send(fromMaster: boolean): Generator<void> {
    yield* this.c.send(fromMaster, this.w.buf, this.w.o);
  }

  *u(fromMaster: boolean, code: number): Generator<void> {
    this.w.reset().u8(0x68).u8(4).u8(code).u8(0).u8(0).u8(0);
    yield* this.send(fromMaster);
  }

  /** I-frame with one ASDU of one or more information objects. */
  *i(fromMaster: boolean, type: number, cot: number, objects: ReadonlyArray<(w: ByteWriter) => void>): Generator<void> {
    const w = this.w.reset();
    const tx = fromMaster ? this.masterTx : this.rtuTx;
    const rx = fromMaster ? this.rtuTx : this.masterTx;
    w.u8(0x68).u8(0).u16le(tx << 1).u16le(rx << 1);
    w.u8(type).u8(objects.length).u8(cot).u8(0).u16le(this.commonAddress);
    for (const o of objects) o(w);
    w.buf[1] = w.o - 2;
    if (fromMaster) this.masterTx = (this.masterTx + 1) & 0x7fff;
    else {
      this.rtuTx = (this.rtuTx + 1) & 0x7fff;
      this.unackedAtMaster++;
    }
    yield* this.send(fromMaster);
  }

  /** S-frame from the master acknowledging the RTU's I-frames. */
  *s(): Generator<void> {
    this.w.reset().u8(0x68).u8(4).u8(0x01).u8(0).u16le(this.rtuTx << 1);
    this.unackedAtMaster = 0;
    yield* this.send(true);
  }
}

const measurement = (ioa: number, v: number) => (w: ByteWriter) => {
  w.u24le(ioa).f32le(v).u8(0);
};

export function* iec104Start(L: Iec104Link): Generator<void> {
  yield* L.c.open();
  L.c.t += 1 * MS;
  yield* L.u(true, 0x07);
  L.c.t += 2 * MS;
  yield* L.u(false, 0x0b);
  L.c.t += 5 * MS;
  yield* L.i(true, 100, 6, [(w) => w.u24le(0).u8(20)]);
  L.c.t += 3 * MS;
  yield* L.i(false, 100, 7, [(w) => w.u24le(0).u8(20)]);
  L.c.t += 2 * MS;
  const objs = Array.from({ length: 8 }, (_, k) => measurement(1001 + k, 49.9 + k * 0.5));
  yield* L.i(false, 13, 20, objs);
  L.c.t += 1 * MS;
  yield* L.i(false, 100, 10, [(w) => w.u24le(0).u8(20)]);
  L.c.t += 1 * MS;
  yield* L.s();
}

/** Single command (C_SC_NA_1) act → actcon → actterm, acknowledged by the master. */
export function* iec104Command(L: Iec104Link, ioa: number, on: boolean): Generator<void> {
  const sco = (on ? 1 : 0) | 0x00;
  yield* L.i(true, 45, 6, [(w) => w.u24le(ioa).u8(sco)]);
  L.c.t += 4 * MS;
  yield* L.i(false, 45, 7, [(w) => w.u24le(ioa).u8(sco)]);
  L.c.t += 20 * MS;
  yield* L.i(false, 45, 10, [(w) => w.u24le(ioa).u8(sco)]);
  L.c.t += 1 * MS;
  yield* L.s();
}

/** SCADA master session: startup + spontaneous measurements every ~1-3 s, S-frame every 8 I-frames. */
export function iec104Master(ctx: SimContext, master: PlantAsset, rtu: PlantAsset, offsetUs: number): SimProcessFactory {
  return function* (slot) {
    const rng = ctx.rng.fork(0x104);
    const c = connect(ctx, slot, master.host, rtu.host, IEC104_PORT, ctx.startUs + offsetUs, 'iec104');
    const L = new Iec104Link(c, 1);
    yield* iec104Start(L);
    let v = 230 + rng.float() * 5;
    while (ctx.sched.running(c.t)) {
      c.t += 1000 * MS + rng.int(0, 2000) * MS;
      v += rng.float() - 0.5;
      yield* L.i(false, 13, 3, [measurement(1001 + rng.int(0, 7), v)]);
      if (L.unackedAtMaster >= 8) {
        c.t += 1 * MS;
        yield* L.s();
      } else {
        c.t += 200;
        yield* c.ack(true);
      }
    }
    if (L.unackedAtMaster > 0) yield* L.s();
    yield* c.close();
  };
}
