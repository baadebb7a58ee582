/**
 * PROFINET RT frames other than DCP: cyclic IO data (RT_CLASS_1/2/3/UDP) is counted per (source MAC, FrameID)
 * in a bounded table — never one event per frame — and acyclic alarms (RTA, FrameID 0xFC01 high / 0xFE01 low)
 * become 'diagnostics' operations.
 *
 * The cyclic path runs for every IO frame (thousands per second per device): two Map lookups and a few field
 * updates, no allocation once a stream is known.
 */
import type { OperationEvent } from '../../events/types.js';
import type { L2Context } from '../l2.js';
import { macToString } from '../../util/addr.js';
import { ALARM_TYPE_NAMES, FRAME_CLASS_COUNTER, FRAME_CLASS_NAME, FRAME_ID, FrameClass, PNIO_BLOCK, hex4 } from './names.js';

/** One cyclic stream: frames of one FrameID sent by one MAC. */
export interface RtStream {
  readonly srcMac: number;
  readonly frameId: number;
  readonly frameClass: FrameClass;
  /** destination of the first frame (an IO controller/device, or a multicast group) */
  readonly dstMac: number;
  readonly firstFrame: number;
  frames: number;
  bytes: number;
  firstSeen: number;
  lastSeen: number;
  /** DataStatus octet of the last frame (bit 2 DataValid, bit 4 ProviderState run, bit 5 no station problem) */
  lastDataStatus: number;
}

export interface RtOptions {
  /** (source MAC, FrameID) pairs counted; new streams over it are counted only in the class counters */
  maxStreams: number;
  /** alarm senders whose last SendSeqNum is remembered to drop retransmissions */
  maxAlarmSenders: number;
}

export const DEFAULT_RT_OPTIONS: RtOptions = { maxStreams: 16384, maxAlarmSenders: 4096 };

const RTA_HEADER = 14; // FrameID 2, dst/src endpoint 4, PDUType 1, AddFlags 1, SendSeqNum 2, AckSeqNum 2, VarPartLen 2
const RTA_PDU_DATA = 1;

export class RtCounter {
  private readonly bySource = new Map<number, Map<number, RtStream>>();
  private streamCount = 0;
  private readonly lastAlarmSeq = new Map<number, number>();

  constructor(
    private readonly options: RtOptions = DEFAULT_RT_OPTIONS,
    /** IP known for a MAC (learned from DCP), '' when none */
    private readonly ipOf: (mac: number) => string = () => '',
  ) {}

  get streams(): number {
    return this.streamCount;
  }

  /** buf[off..off+len) starts at the FrameID; `cls` is frameClass(frameId). */
  onFrame(buf: Uint8Array, off: number, len: number, cls: FrameClass, frameId: number, srcMac: number, dstMac: number, wireLen: number, frame: number, ts: number, ctx: L2Context): void {
    ctx.count(FRAME_CLASS_COUNTER[cls]!);
    if (cls === FrameClass.ALARM) {
      this.onAlarm(buf, off, len, frameId, srcMac, dstMac, frame, ts, ctx);
      return;
    }
    if (cls > FrameClass.RT_CLASS_UDP || cls === FrameClass.SYNC) return;
    let byFrameId = this.bySource.get(srcMac);
    let stream = byFrameId?.get(frameId);
    if (stream === undefined) {
      if (this.streamCount >= this.options.maxStreams) {
        ctx.count('profinet-rt.streams-cap');
        return;
      }
      if (byFrameId === undefined) {
        byFrameId = new Map();
        this.bySource.set(srcMac, byFrameId);
      }
      stream = { srcMac, frameId, frameClass: cls, dstMac, firstFrame: frame, frames: 0, bytes: 0, firstSeen: ts, lastSeen: ts, lastDataStatus: 0 };
      byFrameId.set(frameId, stream);
      this.streamCount++;
      ctx.count('profinet-rt.streams');
    }
    stream.frames++;
    stream.bytes += wireLen;
    if (ts > stream.lastSeen) stream.lastSeen = ts;
    // Trailer: CycleCounter 2, DataStatus 1, TransferStatus 1 (cyclic frames are >= 40 octets: no padding).
    if (len >= 6) stream.lastDataStatus = buf[off + len - 2]!;
  }

  /** Every counted stream (for the report / tests); order unspecified. */
  *allStreams(): IterableIterator<RtStream> {
    for (const byFrameId of this.bySource.values()) yield* byFrameId.values();
  }

  /** One 'protocol' event per stream summarising the capture's cyclic traffic, then the table is emptied. */
  flush(ctx: L2Context): void {
    for (const s of this.allStreams()) {
      const src = macToString(s.srcMac);
      const dst = macToString(s.dstMac);
      ctx.sink.emit({
        type: 'protocol',
        protocol: 'profinet-rt',
        ts: s.firstSeen,
        frame: s.firstFrame,
        captureIndex: ctx.captureIndex,
        flowId: 0,
        src: { ip: this.ipOf(s.srcMac), port: 0, mac: src },
        dst: { ip: this.ipOf(s.dstMac), port: 0, mac: dst },
        visibility: 'clear',
        by: 'probe',
        detail: `${FRAME_CLASS_NAME[s.frameClass]} frame ${hex4(s.frameId)}: ${s.frames} frames, ${s.bytes} bytes over ${(s.lastSeen - s.firstSeen).toFixed(3)} s`,
      });
    }
    this.bySource.clear();
    this.streamCount = 0;
    this.lastAlarmSeq.clear();
  }

  private onAlarm(buf: Uint8Array, off: number, len: number, frameId: number, srcMac: number, dstMac: number, frame: number, ts: number, ctx: L2Context): void {
    if (len < RTA_HEADER) {
      ctx.count('profinet-rt.alarm-truncated');
      return;
    }
    if ((buf[off + 6]! & 0x0f) !== RTA_PDU_DATA) return; // ACK/NACK/ERR are RTA transport
    const varLen = (buf[off + 12]! << 8) | buf[off + 13]!;
    const v = off + RTA_HEADER;
    if (varLen < 6 || v + 6 > off + len) return;
    const blockType = (buf[v]! << 8) | buf[v + 1]!;
    if (blockType !== PNIO_BLOCK.ALARM_NOTIFICATION_HIGH && blockType !== PNIO_BLOCK.ALARM_NOTIFICATION_LOW) {
      ctx.count('profinet-rt.alarm-ack');
      return;
    }
    // A DATA-RTA-PDU is repeated until acknowledged: the same SendSeqNum from the same sender is one alarm.
    const sendSeq = (buf[off + 8]! << 8) | buf[off + 9]!;
    const seqKey = frameId === FRAME_ID.ALARM_HIGH ? sendSeq | 0x10000 : sendSeq;
    if (this.lastAlarmSeq.get(srcMac) === seqKey) {
      ctx.count('profinet-rt.alarm-retransmission');
      return;
    }
    if (!this.lastAlarmSeq.has(srcMac) && this.lastAlarmSeq.size >= this.options.maxAlarmSenders) {
      ctx.count('profinet-rt.alarm-senders-cap');
      this.lastAlarmSeq.clear();
    }
    this.lastAlarmSeq.set(srcMac, seqKey);
    const event: OperationEvent = {
      type: 'operation',
      protocol: 'profinet-rt',
      ts,
      frame,
      captureIndex: ctx.captureIndex,
      flowId: 0,
      src: { ip: this.ipOf(srcMac), port: 0, mac: macToString(srcMac) },
      dst: { ip: this.ipOf(dstMac), port: 0, mac: macToString(dstMac) },
      kind: 'diagnostics',
      code: frameId,
      codeName: frameId === FRAME_ID.ALARM_HIGH ? 'alarm_high' : 'alarm_low',
      result: 'unknown',
    };
    // AlarmNotification body: AlarmType 2, API 4, SlotNumber 2, SubslotNumber 2, ModuleIdent 4, SubmoduleIdent 4.
    const body = v + 6;
    if (body + 10 <= off + len) {
      const alarmType = (buf[body]! << 8) | buf[body + 1]!;
      const api = ((buf[body + 2]! << 24) | (buf[body + 3]! << 16) | (buf[body + 4]! << 8) | buf[body + 5]!) >>> 0;
      const slot = (buf[body + 6]! << 8) | buf[body + 7]!;
      const subslot = (buf[body + 8]! << 8) | buf[body + 9]!;
      event.subCode = alarmType;
      event.subCodeName = ALARM_TYPE_NAMES[alarmType] ?? `alarm_type_${alarmType}`;
      event.address = slot;
      event.object = `api ${api} slot ${slot} subslot ${hex4(subslot)}`;
    }
    ctx.sink.emit(event);
  }
}
