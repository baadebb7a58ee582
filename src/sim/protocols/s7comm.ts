/**
 * S7comm over ISO-on-TCP (TPKT + COTP, port 102): connection request with TSAPs, setup communication,
 * cyclic Read Var polls, SZL reads (0x0011 module identification with order number and firmware, 0x001C
 * component identification), PLC STOP, and block upload/download sequences.
 */
import type { PlantAsset } from '../plant.js';
import type { TcpConversation } from '../packets.js';
import { ByteWriter } from '../bytes.js';
import { connect, MS, type SimContext } from '../context.js';
import type { SimProcessFactory } from '../scheduler.js';
import type { Rng } from '../rng.js';

export const S7_PORT = 102;

const ROSCTR_JOB = 1;
const ROSCTR_ACK_DATA = 3;
const ROSCTR_USERDATA = 7;

export class S7Codec {
  readonly q = new ByteWriter(Buffer.alloc(2048));
  readonly r = new ByteWriter(Buffer.alloc(2048));
  private pduRef: number;
  private szlSeq = 0;

  constructor(seed: number) {
    this.pduRef = seed & 0xff;
  }

  /** Begins TPKT + COTP DT + S7 header; returns the parameter offset. */
  private begin(w: ByteWriter, rosctr: number, ref: number): number {
    w.reset().u8(3).u8(0).u16(0).u8(2).u8(0xf0).u8(0x80);
    w.u8(0x32).u8(rosctr).u16(0).u16(ref).u16(0).u16(0);
    if (rosctr === 2 || rosctr === ROSCTR_ACK_DATA) w.u8(0).u8(0);
    return w.o;
  }

  private end(w: ByteWriter, paramStart: number, dataStart: number): void {
    w.patch16(13, dataStart - paramStart);
    w.patch16(15, w.o - dataStart);
    w.patch16(2, w.o);
  }

  private nextRef(): number {
    this.pduRef = (this.pduRef + 1) & 0xffff || 1;
    return this.pduRef;
  }

  /** COTP connection request (client) and confirm (server). */
  connect(srcTsap: number, dstTsap: number, clientRef: number, serverRef: number): void {
    for (const [w, type, dref, sref] of [[this.q, 0xe0, 0, clientRef], [this.r, 0xd0, clientRef, serverRef]] as const) {
      w.reset().u8(3).u8(0).u16(22).u8(17).u8(type).u16(dref).u16(sref).u8(0);
      w.u8(0xc0).u8(1).u8(0x0a).u8(0xc1).u8(2).u16(srcTsap).u8(0xc2).u8(2).u16(dstTsap);
    }
  }

  setupCommunication(pduSize: number): void {
    const ref = this.nextRef();
    let p = this.begin(this.q, ROSCTR_JOB, ref);
    this.q.u8(0xf0).u8(0).u16(1).u16(1).u16(480);
    this.end(this.q, p, this.q.o);
    p = this.begin(this.r, ROSCTR_ACK_DATA, ref);
    this.r.u8(0xf0).u8(0).u16(1).u16(1).u16(pduSize);
    this.end(this.r, p, this.r.o);
  }

  /** Read Var of DB byte ranges; `fill` provides the returned bytes. */
  readVar(items: ReadonlyArray<{ db: number; start: number; len: number }>, fill: (i: number, j: number) => number): void {
    const ref = this.nextRef();
    const q = this.q;
    let p = this.begin(q, ROSCTR_JOB, ref);
    q.u8(4).u8(items.length);
    for (const it of items) {
      q.u8(0x12).u8(0x0a).u8(0x10).u8(0x02).u16(it.len).u16(it.db).u8(0x84);
      const bit = it.start * 8;
      q.u8(bit >>> 16).u8(bit >>> 8).u8(bit);
    }
    this.end(q, p, q.o);
    const r = this.r;
    p = this.begin(r, ROSCTR_ACK_DATA, ref);
    r.u8(4).u8(items.length);
    const d = r.o;
    items.forEach((it, i) => {
      r.u8(0xff).u8(0x04).u16(it.len * 8);
      for (let j = 0; j < it.len; j++) r.u8(fill(i, j));
      if (i < items.length - 1 && it.len & 1) r.u8(0);
    });
    this.end(r, d - 2, d);
  }

  /** SZL read (userdata, CPU functions / Read SZL) answered with the given records. */
  readSzl(szlId: number, index: number, recordLen: number, records: ReadonlyArray<(w: ByteWriter) => void>): void {
    const seq = (this.szlSeq = (this.szlSeq + 1) & 0xff);
    const ref = this.nextRef();
    const q = this.q;
    let p = this.begin(q, ROSCTR_USERDATA, ref);
    q.bytes([0x00, 0x01, 0x12, 0x04, 0x11, 0x44, 0x01, 0x00]);
    let d = q.o;
    q.u8(0xff).u8(0x09).u16(4).u16(szlId).u16(index);
    this.end(q, p, d);
    const r = this.r;
    p = this.begin(r, ROSCTR_USERDATA, ref);
    r.bytes([0x00, 0x01, 0x12, 0x08, 0x12, 0x84, 0x01, seq, 0x00, 0x00, 0x00, 0x00]);
    d = r.o;
    r.u8(0xff).u8(0x09);
    const lenAt = r.mark16();
    r.u16(szlId).u16(index).u16(recordLen).u16(records.length);
    for (const rec of records) rec(r);
    r.patch16(lenAt, r.o - lenAt - 2);
    this.end(r, p, d);
  }

  /** SZL 0x0011 (module identification): module, hardware and firmware records. */
  readModuleIdentification(a: PlantAsset): void {
    const order = a.orderNumber ?? '';
    const [maj, min, patch] = a.firmware.replace(/^V/, '').split('.').map((x) => Number(x) || 0);
    const rec = (index: number, mlfb: string, ausbg: number, ausbe: number) => (w: ByteWriter) => {
      w.u16(index).fixed(mlfb, 20).u16(0xc0).u16(ausbg).u16(ausbe);
    };
    this.readSzl(0x0011, 0x0000, 28, [
      rec(0x0001, order, 0x0005, 0x0001),
      rec(0x0006, order, 0x0005, 0x0001),
      rec(0x0007, '', 0x5600 | (maj ?? 0), ((min ?? 0) << 8) | (patch ?? 0)),
    ]);
  }

  /** SZL 0x001C (component identification): PLC name, module name, serial number, module type. */
  readComponentIdentification(a: PlantAsset): void {
    const rec = (index: number, text: string) => (w: ByteWriter) => {
      w.u16(index).fixed(text, 32, 0);
    };
    this.readSzl(0x001c, 0x0000, 34, [
      rec(0x0001, a.stationName ?? a.name),
      rec(0x0002, a.moduleName ?? a.model),
      rec(0x0003, 'PLANT-A'),
      rec(0x0004, 'Original Siemens Equipment'),
      rec(0x0005, a.serial ?? ''),
      rec(0x0007, a.model),
    ]);
  }

  /** PLC STOP (function 0x29, PI service P_PROGRAM). */
  plcStop(): void {
    const ref = this.nextRef();
    let p = this.begin(this.q, ROSCTR_JOB, ref);
    this.q.u8(0x29).zeros(5).u8(9).ascii('P_PROGRAM');
    this.end(this.q, p, this.q.o);
    p = this.begin(this.r, ROSCTR_ACK_DATA, ref);
    this.r.u8(0x29);
    this.end(this.r, p, this.r.o);
  }

  private fileName(w: ByteWriter, blockType: string, num: number): void {
    w.u8(9).ascii('_').ascii(blockType).ascii(String(num).padStart(5, '0')).ascii('P');
  }

  requestDownload(blockType: string, num: number, len: number): void {
    const ref = this.nextRef();
    let p = this.begin(this.q, ROSCTR_JOB, ref);
    this.q.u8(0x1a).u8(0).u16(0x0100).u32(0);
    this.fileName(this.q, blockType, num);
    this.q.u8(13).ascii('1').ascii(String(len + 36).padStart(6, '0')).ascii(String(len).padStart(6, '0'));
    this.end(this.q, p, this.q.o);
    p = this.begin(this.r, ROSCTR_ACK_DATA, ref);
    this.r.u8(0x1a);
    this.end(this.r, p, this.r.o);
  }

  /** Download block: a job sent by the PLC, answered by the programming device with the block bytes. */
  downloadBlock(blockType: string, num: number, data: Buffer, last: boolean): void {
    const ref = this.nextRef();
    let p = this.begin(this.q, ROSCTR_JOB, ref);
    this.q.u8(0x1b).u8(0).u16(0x0100).u32(0);
    this.fileName(this.q, blockType, num);
    this.end(this.q, p, this.q.o);
    p = this.begin(this.r, ROSCTR_ACK_DATA, ref);
    this.r.u8(0x1b).u8(last ? 0 : 1);
    const d = this.r.o;
    this.r.u16(data.length).u16(0x00fb).bytes(data);
    this.end(this.r, p, d);
  }

  /** Download ended: job sent by the PLC, acknowledged by the programming device. */
  downloadEnded(blockType: string, num: number): void {
    const ref = this.nextRef();
    let p = this.begin(this.q, ROSCTR_JOB, ref);
    this.q.u8(0x1c).u8(0).u16(0).u32(0);
    this.fileName(this.q, blockType, num);
    this.end(this.q, p, this.q.o);
    p = this.begin(this.r, ROSCTR_ACK_DATA, ref);
    this.r.u8(0x1c);
    this.end(this.r, p, this.r.o);
  }

  startUpload(blockType: string, num: number, uploadId: number, len: number): void {
    const ref = this.nextRef();
    let p = this.begin(this.q, ROSCTR_JOB, ref);
    this.q.u8(0x1d).u8(0).u16(0).u32(0);
    this.fileName(this.q, blockType, num);
    this.end(this.q, p, this.q.o);
    p = this.begin(this.r, ROSCTR_ACK_DATA, ref);
    const lenStr = String(len).padStart(7, '0');
    this.r.u8(0x1d).u8(0).u16(0x0100).u32(uploadId).u8(lenStr.length).ascii(lenStr);
    this.end(this.r, p, this.r.o);
  }

  upload(uploadId: number, data: Buffer, last: boolean): void {
    const ref = this.nextRef();
    let p = this.begin(this.q, ROSCTR_JOB, ref);
    this.q.u8(0x1e).u8(0).u16(0).u32(uploadId);
    this.end(this.q, p, this.q.o);
    p = this.begin(this.r, ROSCTR_ACK_DATA, ref);
    this.r.u8(0x1e).u8(last ? 0 : 1);
    const d = this.r.o;
    this.r.u16(data.length).u16(0x00fb).bytes(data);
    this.end(this.r, p, d);
  }

  endUpload(uploadId: number): void {
    const ref = this.nextRef();
    let p = this.begin(this.q, ROSCTR_JOB, ref);
    this.q.u8(0x1f).u8(0).u16(0).u32(uploadId);
    this.end(this.q, p, this.q.o);
    p = this.begin(this.r, ROSCTR_ACK_DATA, ref);
    this.r.u8(0x1f);
    this.end(this.r, p, this.r.o);
  }
}

function tsapFor(plc: PlantAsset): number {
  return plc.model.includes('315') ? 0x0102 : 0x0101;
}

/** Client exchange of the codec's current request/response pair. */
function* xchg(c: TcpConversation, s: S7Codec, serverUs: number): Generator<void> {
  yield* c.exchange(s.q.buf, s.q.o, s.r.buf, s.r.o, serverUs);
}

/** TCP open + COTP CR/CC + setup communication. `clientTsap` 0x0100 = PG, 0x0200 = OP (HMI). */
export function* s7Open(c: TcpConversation, s: S7Codec, plc: PlantAsset, clientTsap: number, rng: Rng): Generator<void> {
  yield* c.open();
  c.t += 200;
  s.connect(clientTsap, tsapFor(plc), 1 + (rng.u32() % 0x7ffe), 1 + (rng.u32() % 0x7ffe));
  yield* xchg(c, s, 600);
  c.t += 300;
  s.setupCommunication(plc.model.includes('15') ? 480 : 240);
  yield* xchg(c, s, 800);
}

/** Engineering diagnostics: SZL 0x0011 and 0x001C reads. */
export function* s7Diagnostics(c: TcpConversation, s: S7Codec, plc: PlantAsset): Generator<void> {
  c.t += 5 * MS;
  s.readModuleIdentification(plc);
  yield* xchg(c, s, 2 * MS);
  c.t += 5 * MS;
  s.readComponentIdentification(plc);
  yield* xchg(c, s, 2 * MS);
}

/** Program upload of `blocks` (PLC → programming device). Returns the number of block bytes moved. */
export function* s7UploadProgram(c: TcpConversation, s: S7Codec, rng: Rng, blocks: number): Generator<void, number> {
  let moved = 0;
  for (let b = 0; b < blocks; b++) {
    const num = 1 + b;
    const type = b === 0 ? '08' : '0C';
    const len = 300 + rng.int(0, 500);
    const id = 7 + b;
    c.t += 10 * MS;
    s.startUpload(type, num, id, len);
    yield* xchg(c, s, 3 * MS);
    const block = Buffer.alloc(len);
    rng.fill(block, 0, len);
    block[0] = 0x70;
    block[1] = 0x70;
    for (let off = 0; off < len; off += 200) {
      const part = block.subarray(off, Math.min(len, off + 200));
      c.t += 2 * MS;
      s.upload(id, part, off + 200 >= len);
      yield* xchg(c, s, 3 * MS);
    }
    c.t += 2 * MS;
    s.endUpload(id);
    yield* xchg(c, s, 2 * MS);
    moved += len;
  }
  return moved;
}

/** Program download of `blocks` (programming device → PLC): request, PLC-driven block jobs, ended. */
export function* s7DownloadProgram(c: TcpConversation, s: S7Codec, rng: Rng, blocks: number): Generator<void, number> {
  let moved = 0;
  for (let b = 0; b < blocks; b++) {
    const num = 1 + b;
    const type = b === 0 ? '08' : '0C';
    const len = 300 + rng.int(0, 400);
    c.t += 10 * MS;
    s.requestDownload(type, num, len);
    yield* xchg(c, s, 3 * MS);
    const block = Buffer.alloc(len);
    rng.fill(block, 0, len);
    block[0] = 0x70;
    block[1] = 0x70;
    for (let off = 0; off < len; off += 200) {
      const part = block.subarray(off, Math.min(len, off + 200));
      c.t += 2 * MS;
      s.downloadBlock(type, num, part, off + 200 >= len);
      yield* c.reverseExchange(s.q.buf, s.q.o, s.r.buf, s.r.o, 2 * MS);
    }
    c.t += 2 * MS;
    s.downloadEnded(type, num);
    yield* c.reverseExchange(s.q.buf, s.q.o, s.r.buf, s.r.o, 2 * MS);
    moved += len;
  }
  return moved;
}

export function* s7StopCpu(c: TcpConversation, s: S7Codec): Generator<void> {
  c.t += 20 * MS;
  s.plcStop();
  yield* xchg(c, s, 15 * MS);
}

/** HMI (OP connection) polling three DB areas every `periodMs`. */
export function s7Poller(ctx: SimContext, hmi: PlantAsset, plc: PlantAsset, periodMs: number, offsetUs: number): SimProcessFactory {
  return function* (slot) {
    const rng = ctx.rng.fork(0x5337);
    const c = connect(ctx, slot, hmi.host, plc.host, S7_PORT, ctx.startUs + offsetUs, 's7comm');
    const s = new S7Codec(rng.u32());
    yield* s7Open(c, s, plc, 0x0200, rng);
    const items = [{ db: 1, start: 0, len: 16 }, { db: 2, start: 4, len: 8 }, { db: 10, start: 0, len: 4 }];
    let tick = rng.u32() & 0xff;
    while (ctx.sched.running(c.t)) {
      tick++;
      c.t += periodMs * MS + rng.int(-periodMs * 20, periodMs * 20);
      s.readVar(items, (i, j) => (i * 31 + j * 7 + tick) & 0xff);
      yield* xchg(c, s, 1 * MS + rng.int(0, 1500));
    }
    yield* c.close();
  };
}
