/**
 * EtherNet/IP (TCP and UDP 44818): ListIdentity (vendor id, device type, product code, revision, serial,
 * product name), RegisterSession, and CIP Read Tag / Write Tag carried in SendRRData.
 */
import type { PlantAsset } from '../plant.js';
import type { TcpConversation } from '../packets.js';
import { ByteWriter } from '../bytes.js';
import { connect, MS, SEC, udpFrame, type SimContext } from '../context.js';
import type { SimProcessFactory } from '../scheduler.js';

export const ENIP_PORT = 44818;

export class EnipCodec {
  readonly q = new ByteWriter(Buffer.alloc(1024));
  readonly r = new ByteWriter(Buffer.alloc(1024));
  session = 0;
  private ctxCounter: number;

  constructor(seed: number) {
    this.ctxCounter = seed >>> 0;
  }

  private header(w: ByteWriter, cmd: number, session: number, senderCtx: number): void {
    w.reset().u16le(cmd).u16le(0).u32le(session).u32le(0).u32le(senderCtx).u32le(0).u32le(0);
  }

  private finish(w: ByteWriter): void {
    w.patch16le(2, w.o - 24);
  }

  listIdentity(a: PlantAsset): void {
    const c = ++this.ctxCounter;
    this.header(this.q, 0x63, 0, c);
    this.finish(this.q);
    const r = this.r;
    this.header(r, 0x63, 0, c);
    r.u16le(1).u16le(0x0c);
    const itemLenAt = r.o;
    r.u16le(0);
    const itemStart = r.o;
    r.u16le(1).u16(2).u16(ENIP_PORT).u32(a.host.ip).zeros(8);
    const [maj, min] = a.firmware.split('.').map((x) => Number(x) || 0);
    r.u16le(a.enipVendorId ?? 1).u16le(a.enipDeviceType ?? 14).u16le(a.enipProductCode ?? 0);
    r.u8(maj ?? 0).u8(min ?? 0).u16le(0x0060).u32le(Number(a.serial ?? 0) >>> 0);
    r.u8(a.model.length).ascii(a.model).u8(3);
    r.patch16le(itemLenAt, r.o - itemStart);
    this.finish(r);
  }

  registerSession(session: number): void {
    const c = ++this.ctxCounter;
    this.header(this.q, 0x65, 0, c);
    this.q.u16le(1).u16le(0);
    this.finish(this.q);
    this.session = session;
    this.header(this.r, 0x65, session, c);
    this.r.u16le(1).u16le(0);
    this.finish(this.r);
  }

  private rrData(w: ByteWriter, senderCtx: number): number {
    this.header(w, 0x6f, this.session, senderCtx);
    w.u32le(0).u16le(10).u16le(2).u16le(0).u16le(0).u16le(0xb2);
    const lenAt = w.o;
    w.u16le(0);
    return lenAt;
  }

  private symbolPath(w: ByteWriter, tag: string): void {
    const segLen = 2 + tag.length + (tag.length & 1);
    w.u8(segLen / 2).u8(0x91).u8(tag.length).ascii(tag);
    if (tag.length & 1) w.u8(0);
  }

  /** CIP Read Tag (0x4C) of a DINT array element range; the reply carries `values`. */
  readTag(tag: string, values: readonly number[]): void {
    const c = ++this.ctxCounter;
    let at = this.rrData(this.q, c);
    let start = this.q.o;
    this.q.u8(0x4c);
    this.symbolPath(this.q, tag);
    this.q.u16le(values.length);
    this.q.patch16le(at, this.q.o - start);
    this.finish(this.q);
    at = this.rrData(this.r, c);
    start = this.r.o;
    this.r.u8(0xcc).u8(0).u8(0).u8(0).u16le(0x00c4);
    for (const v of values) this.r.u32le(v);
    this.r.patch16le(at, this.r.o - start);
    this.finish(this.r);
  }

  /** CIP Write Tag (0x4D) of DINT values. */
  writeTag(tag: string, values: readonly number[]): void {
    const c = ++this.ctxCounter;
    let at = this.rrData(this.q, c);
    let start = this.q.o;
    this.q.u8(0x4d);
    this.symbolPath(this.q, tag);
    this.q.u16le(0x00c4).u16le(values.length);
    for (const v of values) this.q.u32le(v);
    this.q.patch16le(at, this.q.o - start);
    this.finish(this.q);
    at = this.rrData(this.r, c);
    start = this.r.o;
    this.r.u8(0xcd).u8(0).u8(0).u8(0);
    this.r.patch16le(at, this.r.o - start);
    this.finish(this.r);
  }
}

/** HMI session: ListIdentity + RegisterSession, then Read Tag polls and rare operator Write Tags. */
export function enipPoller(ctx: SimContext, hmi: PlantAsset, plc: PlantAsset, periodMs: number, offsetUs: number): SimProcessFactory {
  return function* (slot) {
    const rng = ctx.rng.fork(0xe1);
    const c = connect(ctx, slot, hmi.host, plc.host, ENIP_PORT, ctx.startUs + offsetUs, 'enip');
    const e = new EnipCodec(rng.u32());
    yield* c.open();
    c.t += 1 * MS;
    e.listIdentity(plc);
    yield* c.exchange(e.q.buf, e.q.o, e.r.buf, e.r.o, 800);
    c.t += 1 * MS;
    e.registerSession(rng.u32() | 1);
    yield* c.exchange(e.q.buf, e.q.o, e.r.buf, e.r.o, 600);
    let level = rng.int(100, 900);
    const tags = ['Line2_Speed', 'Tank1_Level', 'Motor_Status'];
    while (ctx.sched.running(c.t)) {
      c.t += periodMs * MS + rng.int(-periodMs * 20, periodMs * 20);
      level += rng.int(-3, 3);
      for (const tag of tags) {
        e.readTag(tag, [level, level + 1, level * 2]);
        yield* c.exchange(e.q.buf, e.q.o, e.r.buf, e.r.o, 700 + rng.int(0, 500));
        c.t += 300;
      }
      if (rng.chance(0.01)) {
        e.writeTag('Line2_Setpoint', [rng.int(0, 1500)]);
        yield* c.exchange(e.q.buf, e.q.o, e.r.buf, e.r.o, 900);
      }
    }
    yield* c.close();
  };
}

/** Engineering workstation browsing (RSWho): unicast UDP ListIdentity to each controller every `periodSec`. */
export function enipBrowse(ctx: SimContext, ews: PlantAsset, plcs: PlantAsset[], periodSec: number, offsetUs: number): SimProcessFactory {
  return function* (slot) {
    const rng = ctx.rng.fork(0xe2);
    const e = new EnipCodec(rng.u32());
    let t = ctx.startUs + offsetUs;
    const sport = 49200 + rng.int(0, 1000);
    for (const p of plcs) {
      ctx.plant.noteFlow(ews.host, p.host, 'enip', ENIP_PORT);
    }
    while (ctx.sched.running(t)) {
      for (const p of plcs) {
        e.listIdentity(p);
        udpFrame(ctx, slot, ews.host, p.host, p.host.ip, sport, ENIP_PORT, e.q.buf, e.q.o, t);
        yield;
        t += 900 + rng.int(0, 800);
        udpFrame(ctx, slot, p.host, ews.host, ews.host.ip, ENIP_PORT, sport, e.r.buf, e.r.o, t);
        yield;
        t += 2 * MS;
      }
      t += periodSec * SEC;
    }
  };
}

/** Used by scenarios: a CIP session writing tags (e.g. from an unexpected host). */
export function* enipSession(c: TcpConversation, e: EnipCodec, session: number): Generator<void> {
  yield* c.open();
  c.t += 1 * MS;
  e.registerSession(session);
  yield* c.exchange(e.q.buf, e.q.o, e.r.buf, e.r.o, 600);
}
