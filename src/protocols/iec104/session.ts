/**
 * Per-flow IEC 60870-5-104 state: frames APDUs out of each direction's stream, pairs commands (act/deact) with
 * their confirmations (actcon/deactcon, or the negative/unknown-* mirrors), pairs U-format act/con, and counts
 * monitor-direction data without turning every measurement into an event.
 */
import type { OperationEvent } from '../../events/types.js';
import { Dir, type AnalyzerContext, type FlowAnalyzer, type PacketMeta } from '../analyzer.js';
import { DuplexStreams, skipToByte } from '../common/stream-buffer.js';
import { FlowEvents } from '../common/flow-events.js';
import { Apdu, Format, START_BYTE, frameApdu, parseApdu } from './parser.js';
import { TYPE_NAMES, U_NAMES, cotName, isCommandType, operationKind } from './names.js';

const COT_ACT = 6;
const COT_ACTCON = 7;
const COT_DEACT = 8;
const COT_DEACTCON = 9;

interface Pending {
  event: OperationEvent;
  key: string;
}

export class Iec104Session implements FlowAnalyzer {
  private readonly streams: DuplexStreams;
  private readonly apdu = new Apdu();
  private readonly ev: FlowEvents;
  /**
   * Requests awaiting confirmation, oldest first (a Map keeps insertion order): commands keyed by
   * direction|type|CA|IOA, U-format acts by u<direction>|<function>.
   */
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly ctx: AnalyzerContext) {
    this.ev = new FlowEvents(ctx, 'iec104');
    this.streams = new DuplexStreams(ctx.maxBufferBytes, (dir, b, o, l) => this.consume(dir, b, o, l));
  }

  onData(dir: Dir, buf: Buffer, off: number, len: number, meta: PacketMeta): void {
    this.ev.meta = meta;
    if (this.streams.push(dir, buf, off, len)) this.ev.anomalyEvent(dir, 'buffer-cap', 'partial APDU exceeded the buffer cap');
  }

  onGap(dir: Dir, bytes: number, meta: PacketMeta): void {
    this.ev.meta = meta;
    this.streams.reset(dir);
    this.ev.anomaly(dir, 'gap', `${bytes} bytes missing`);
  }

  onClose(): void {
    for (const p of this.pending.values()) this.ctx.sink.emit(p.event);
    this.pending.clear();
  }

  private consume(dir: Dir, buf: Buffer, off: number, len: number): number {
    const n = frameApdu(buf, off, len);
    if (n > 0) {
      this.streams.framed(dir);
      parseApdu(buf, off, n, this.apdu);
      this.onApdu(dir, n);
      return n;
    }
    if (n === 0) return 0;
    // Not an APDU here: skip to the next start byte and try again from there (resync).
    if (this.streams.lostSync(dir)) this.ev.anomaly(dir, 'malformed', `no APDU at stream byte 0x${buf[off]!.toString(16).padStart(2, '0')}`);
    return skipToByte(buf, off, len, START_BYTE);
  }

  private onApdu(dir: Dir, length: number): void {
    const a = this.apdu;
    if (a.format === Format.S) {
      this.ctx.count('iec104.s-frames');
      return;
    }
    if (a.format === Format.U) {
      this.onUFrame(dir);
      return;
    }
    if (!a.wellFormed) {
      this.ctx.count('iec104.malformed-asdu');
      this.ev.anomalyEvent(dir, 'malformed', `ASDU type ${a.typeId} (${TYPE_NAMES[a.typeId] ?? 'unknown'}) with ${a.objects} objects does not match its ${length - 8} bytes`);
    }
    if (!isCommandType(a.typeId)) {
      this.ctx.count('iec104.monitor-asdus');
      return;
    }
    const requester = dir === Dir.ToServer ? this.ev.client : this.ev.server;
    const responder = dir === Dir.ToServer ? this.ev.server : this.ev.client;
    const key = `${dir}|${a.typeId}|${a.commonAddress}|${a.firstIoa}`;
    if (a.cot === COT_ACT || a.cot === COT_DEACT) {
      const event: OperationEvent = {
        type: 'operation',
        protocol: 'iec104',
        ts: this.ev.meta.ts,
        frame: this.ev.meta.frame,
        captureIndex: this.ctx.captureIndex,
        flowId: this.ctx.flow.id,
        src: requester,
        dst: responder,
        kind: operationKind(a.typeId),
        code: a.typeId,
        codeName: TYPE_NAMES[a.typeId] ?? `type_${a.typeId}`,
        subCode: a.cot,
        subCodeName: cotName(a.cot),
        unit: a.commonAddress,
        result: 'no-response',
      };
      if (a.firstIoa >= 0) event.address = a.firstIoa;
      if (a.objects > 1) event.quantity = a.objects;
      const detail = [a.cot === COT_DEACT ? 'deactivate' : '', a.select === 1 ? 'select' : a.select === 0 ? 'execute' : '', a.test ? 'test' : '']
        .filter(Boolean)
        .join(' ');
      if (detail) event.detail = detail;
      this.addPending(key, event);
      return;
    }
    // A confirmation travels the other way: look the command up under the opposite direction.
    const requestKey = `${dir === Dir.ToServer ? Dir.ToClient : Dir.ToServer}|${a.typeId}|${a.commonAddress}|${a.firstIoa}`;
    const pending = this.pending.get(requestKey);
    if (a.cot === COT_ACTCON || a.cot === COT_DEACTCON || a.cot >= 44) {
      if (!pending) {
        this.ctx.count('iec104.unexpected-response');
        return;
      }
      this.pending.delete(requestKey);
      const e = pending.event;
      e.responseFrame = this.ev.meta.frame;
      if (a.negative || a.cot >= 44) {
        e.result = 'exception';
        e.exceptionCode = a.cot;
        e.exceptionName = a.cot >= 44 ? cotName(a.cot) : 'negative_confirmation';
      } else {
        e.result = 'ok';
      }
      this.ctx.sink.emit(e);
    }
    // actterm (10) and returned information (11/12) close nothing further.
  }

  private onUFrame(dir: Dir): void {
    const code = this.apdu.uCode;
    const isAct = code === 0x01 || code === 0x04 || code === 0x10;
    if (isAct) {
      const event: OperationEvent = {
        type: 'operation',
        protocol: 'iec104',
        ts: this.ev.meta.ts,
        frame: this.ev.meta.frame,
        captureIndex: this.ctx.captureIndex,
        flowId: this.ctx.flow.id,
        src: dir === Dir.ToServer ? this.ev.client : this.ev.server,
        dst: dir === Dir.ToServer ? this.ev.server : this.ev.client,
        kind: code === 0x10 ? 'diagnostics' : 'connect',
        code,
        codeName: U_NAMES[code]!,
        detail: code === 0x01 ? 'start data transfer' : code === 0x04 ? 'stop data transfer' : 'link test',
        result: 'no-response',
      };
      this.addPending(`u${dir}|${code}`, event);
      return;
    }
    // con answers the act of the same function sent the other way (its code is the act's shifted left by one).
    const key = `u${dir === Dir.ToServer ? Dir.ToClient : Dir.ToServer}|${code >> 1}`;
    const act = this.pending.get(key)?.event;
    if (!act) {
      this.ctx.count('iec104.unexpected-response');
      return;
    }
    this.pending.delete(key);
    act.result = 'ok';
    act.responseFrame = this.ev.meta.frame;
    this.ctx.sink.emit(act);
  }

  /** A repeated request replaces (and completes) the earlier one; the cap pushes out the oldest. */
  private addPending(key: string, event: OperationEvent): void {
    const previous = this.pending.get(key);
    if (previous) {
      this.pending.delete(key);
      this.ctx.sink.emit(previous.event);
    }
    if (this.pending.size >= this.ctx.maxPendingTransactions) {
      const oldest = this.pending.values().next().value as Pending;
      this.pending.delete(oldest.key);
      this.ctx.count('iec104.transaction-cap');
      this.ctx.sink.emit(oldest.event);
    }
    this.pending.set(key, { event, key });
  }
}
