/**
 * Modbus/TCP (port 502): HMI/historian poll loops (FC 3, 4, 1), occasional operator writes (FC 6, 16) and
 * Read Device Identification (FC 43 / MEI 14) answered with the PLC's vendor, product code, revision,
 * product and model names.
 */
import type { PlantAsset } from '../plant.js';
import type { TcpConversation } from '../packets.js';
import { connect, MS, type SimContext } from '../context.js';
import type { SimProcessFactory } from '../scheduler.js';

export const MODBUS_PORT = 502;

export class ModbusCodec {
  readonly req = Buffer.alloc(300);
  readonly resp = Buffer.alloc(300);
  reqLen = 0;
  respLen = 0;
  private tid: number;

  constructor(tidSeed: number, readonly unit = 1) {
    this.tid = tidSeed & 0xffff;
  }

  private mbap(buf: Buffer, tid: number, pduLen: number): void {
    buf.writeUInt16BE(tid, 0);
    buf.writeUInt16BE(0, 2);
    buf.writeUInt16BE(pduLen + 1, 4);
    buf[6] = this.unit;
  }

  /** FC 1/3/4 read of `qty` items at `addr`; `value(i)` gives the register (or coil bit) values. */
  read(fc: 1 | 3 | 4, addr: number, qty: number, value: (i: number) => number): void {
    const tid = (this.tid = (this.tid + 1) & 0xffff);
    const q = this.req;
    this.mbap(q, tid, 5);
    q[7] = fc;
    q.writeUInt16BE(addr, 8);
    q.writeUInt16BE(qty, 10);
    this.reqLen = 12;
    const r = this.resp;
    if (fc === 1) {
      const n = (qty + 7) >> 3;
      this.mbap(r, tid, 2 + n);
      r[7] = fc;
      r[8] = n;
      r.fill(0, 9, 9 + n);
      for (let i = 0; i < qty; i++) if (value(i) & 1) r[9 + (i >> 3)]! |= 1 << (i & 7);
      this.respLen = 9 + n;
    } else {
      this.mbap(r, tid, 2 + qty * 2);
      r[7] = fc;
      r[8] = qty * 2;
      for (let i = 0; i < qty; i++) r.writeUInt16BE(value(i) & 0xffff, 9 + i * 2);
      this.respLen = 9 + qty * 2;
    }
  }

  writeSingle(addr: number, value: number): void {
    const tid = (this.tid = (this.tid + 1) & 0xffff);
    for (const b of [this.req, this.resp]) {
      this.mbap(b, tid, 5);
      b[7] = 6;
      b.writeUInt16BE(addr, 8);
      b.writeUInt16BE(value & 0xffff, 10);
    }
    this.reqLen = 12;
    this.respLen = 12;
  }

  writeMultiple(addr: number, values: readonly number[]): void {
    const tid = (this.tid = (this.tid + 1) & 0xffff);
    const q = this.req;
    this.mbap(q, tid, 6 + values.length * 2);
    q[7] = 16;
    q.writeUInt16BE(addr, 8);
    q.writeUInt16BE(values.length, 10);
    q[12] = values.length * 2;
    values.forEach((v, i) => q.writeUInt16BE(v & 0xffff, 13 + i * 2));
    this.reqLen = 13 + values.length * 2;
    const r = this.resp;
    this.mbap(r, tid, 5);
    r[7] = 16;
    r.writeUInt16BE(addr, 8);
    r.writeUInt16BE(values.length, 10);
    this.respLen = 12;
  }

  /** FC 43 / MEI 14, read device id code 2 (regular): objects 0x00-0x06. */
  readDeviceId(a: PlantAsset): void {
    const tid = (this.tid = (this.tid + 1) & 0xffff);
    const q = this.req;
    this.mbap(q, tid, 4);
    q[7] = 0x2b;
    q[8] = 0x0e;
    q[9] = 0x02;
    q[10] = 0x00;
    this.reqLen = 11;
    const objects = [
      a.vendor, a.orderNumber ?? a.model, a.firmware, 'www.se.com', a.model.split(' ').slice(0, 2).join(' '),
      a.model, a.moduleName ?? a.name,
    ];
    const r = this.resp;
    r[7] = 0x2b;
    r[8] = 0x0e;
    r[9] = 0x02;
    r[10] = 0x82;
    r[11] = 0x00;
    r[12] = 0x00;
    r[13] = objects.length;
    let o = 14;
    objects.forEach((s, id) => {
      r[o] = id;
      const n = r.write(s, o + 2, 'latin1');
      r[o + 1] = n;
      o += 2 + n;
    });
    this.mbap(r, tid, o - 7);
    this.respLen = o;
  }
}

export interface ModbusPollOptions {
  periodMs: number;
  /** probability per cycle of an operator write */
  writeChance: number;
  /** ask for the device identification once when connecting */
  identify: boolean;
  /** simulated start offset of the loop, µs */
  offsetUs: number;
}

/** A persistent Modbus/TCP connection polled every `periodMs` (± 2 %) until the simulation ends. */
export function modbusPoller(ctx: SimContext, client: PlantAsset, server: PlantAsset, o: ModbusPollOptions): SimProcessFactory {
  return function* (slot) {
    const rng = ctx.rng.fork(0x4d42);
    const c = connect(ctx, slot, client.host, server.host, MODBUS_PORT, ctx.startUs + o.offsetUs, 'modbus');
    const mb = new ModbusCodec(rng.u32());
    let level = 1200 + rng.int(0, 400);
    const value = (i: number): number => (i === 0 ? level : i === 1 ? 7200 + (level >> 3) : (i * 37 + level) & 0x3ff);
    yield* c.open();
    if (o.identify) {
      c.t += 2 * MS;
      mb.readDeviceId(server);
      yield* c.exchange(mb.req, mb.reqLen, mb.resp, mb.respLen, 900);
    }
    let n = 0;
    while (ctx.sched.running(c.t)) {
      level += rng.int(-6, 6);
      mb.read(3, 0, 10, value);
      yield* c.exchange(mb.req, mb.reqLen, mb.resp, mb.respLen, 400 + rng.int(0, 600));
      c.t += 1 * MS;
      mb.read(4, 100, 8, value);
      yield* c.exchange(mb.req, mb.reqLen, mb.resp, mb.respLen, 400 + rng.int(0, 600));
      if ((n & 3) === 0) {
        c.t += 1 * MS;
        mb.read(1, 0, 16, (i) => (level >> i) & 1);
        yield* c.exchange(mb.req, mb.reqLen, mb.resp, mb.respLen, 300 + rng.int(0, 300));
      }
      if (rng.chance(o.writeChance)) {
        c.t += 3 * MS;
        if (rng.chance(0.5)) mb.writeSingle(40 + rng.int(0, 5), rng.int(0, 1000));
        else mb.writeMultiple(60, [rng.int(0, 100), rng.int(0, 100), rng.int(0, 100)]);
        yield* c.exchange(mb.req, mb.reqLen, mb.resp, mb.respLen, 900);
      }
      n++;
      c.t += o.periodMs * MS + rng.int(-o.periodMs * 20, o.periodMs * 20);
    }
    yield* c.close();
  };
}

/** One short connection: read the device identification, then close (engineering diagnostics). */
export function* modbusIdentify(ctx: SimContext, c: TcpConversation, server: PlantAsset): Generator<void> {
  const mb = new ModbusCodec(ctx.rng.u32());
  yield* c.open();
  c.t += 3 * MS;
  mb.readDeviceId(server);
  yield* c.exchange(mb.req, mb.reqLen, mb.resp, mb.respLen, 1200);
  c.t += 20 * MS;
  yield* c.close();
}
