/**
 * Per-flow S7comm analyzer: TPKT framing over the reassembled TCP stream (carry-over of split TPKTs, several
 * TPKTs per segment, resync after garbage or gaps), COTP connection set-up (TSAPs → rack/slot) and DT
 * reassembly (S7 PDUs split over several DT TPDUs, capped), then S7comm: Job ↔ Ack/Ack_Data and userdata
 * request ↔ response pairing by PDU reference (capped), operations and asset facts.
 *
 * Events: OperationEvent src = flow client (engineering station/HMI), dst = flow server (PLC), whichever side
 * sent the Job: in a download the PLC itself sends the Download block jobs. Facts are about the server.
 * S7comm-plus payloads (protocol id 0x72) are only counted (`s7comm.s7plus-seen`).
 */
import type { AnalyzerContext, Dir, FlowAnalyzer, PacketMeta } from '../analyzer.js';
import type {
  Endpoint,
  FactField,
  OperationEvent,
  OperationKind,
  OperationResult,
  ProtocolAnomalyEvent,
} from '../../events/types.js';
import {
  cpuModeName,
  errorName,
  Func,
  functionKind,
  functionName,
  itemReturnName,
  ITEM_OK,
  Rosctr,
  S7PLUS_PROTOCOL_ID,
  szlKind,
  UdGroup,
  UdType,
  userdataGroupName,
  userdataKind,
  userdataSubfunctionName,
} from './names.js';
import {
  BlockControl,
  blockFunctionObject,
  decodeBlockControl,
  decodeHeader,
  decodePiService,
  decodePlcStop,
  decodeUserdata,
  firstFailedReadItem,
  firstFailedWriteItem,
  ItemSummary,
  PiService,
  s7Timestamp,
  S7Header,
  startUploadAckId,
  UserdataParam,
  VarItemsCache,
  writeDataBytes,
} from './parser.js';
import { decodeSzlResponse, DECLARED_CONFIDENCE, SzlPart, SzlReassembly, type FactSink, type SzlReassemblyLimits } from './szl.js';
import {
  ConnectionTpdu,
  CotpType,
  cotpPayloadOffset,
  FRAME_PROBE_LEN,
  parseConnectionTpdu,
  rackSlotFromTsap,
} from './tpkt-cotp.js';
import { TpktStream, growTo, u16, type TpktSink } from './tpkt-stream.js';
import { AnsweredCounting } from '../common/flow-events.js';

export interface S7commOptions {
  /** Bytes of one S7 PDU reassembled from DT TPDUs per direction (default min(ctx.maxBufferBytes, 64 KiB)). */
  maxReassemblyBytes?: number;
  /** Distinct facts reported per flow (default 64). */
  maxFactsPerFlow?: number;
  /** Anomaly events per flow; further anomalies are only counted (default 32). */
  maxAnomaliesPerFlow?: number;
  /** Parts (userdata responses) of one multi-part SZL answer that are followed (default 64). */
  maxSzlParts?: number;
  /** Payload bytes of one multi-part SZL answer over all its parts (default 64 KiB). */
  maxSzlBytes?: number;
}

const PROTOCOL = 's7comm';
/** The largest TPKT (its length field is 16 bits). */
const MAX_TPKT_LEN = 0xffff;


class DirState extends TpktStream {
  /** COTP DT reassembly of one S7 PDU */
  reasm: Buffer | null = null;
  reasmLen = 0;
  /** dropping DT TPDUs until EOT after the reassembly cap was hit */
  reasmDiscard = false;

  override reset(): void {
    super.reset();
    this.reasmLen = 0;
    this.reasmDiscard = false;
  }
}

/** A request awaiting its response. Slots are reused. */
class Pending {
  used = false;
  /** arrival order, to find the oldest */
  seq = 0;
  reqDir = 0;
  pduRef = 0;
  userdata = false;
  frame = 0;
  ts = 0;
  kind: OperationKind = 'other';
  code = 0;
  codeName = '';
  subCode = -1;
  subCodeName = '';
  object = '';
  address = -1;
  quantity = -1;
  detail = '';
  dataBytes = -1;
  itemCount = 0;
  result: OperationResult = 'unknown';
  exceptionCode = -1;
  exceptionName = '';
  responseFrame = -1;
  /** a read SZL request asking for the next part of an answer */
  szlContinuation = false;

  init(reqDir: number, pduRef: number, userdata: boolean, frame: number, ts: number, seq: number): void {
    this.used = true;
    this.seq = seq;
    this.reqDir = reqDir;
    this.pduRef = pduRef;
    this.userdata = userdata;
    this.frame = frame;
    this.ts = ts;
    this.kind = 'other';
    this.code = 0;
    this.codeName = '';
    this.subCode = -1;
    this.subCodeName = '';
    this.object = '';
    this.address = -1;
    this.quantity = -1;
    this.detail = '';
    this.dataBytes = -1;
    this.itemCount = 0;
    this.result = 'unknown';
    this.exceptionCode = -1;
    this.exceptionName = '';
    this.responseFrame = -1;
    this.szlContinuation = false;
  }
}


export class S7commFlow implements FlowAnalyzer, FactSink, TpktSink {
  private readonly ctx: AnalyzerContext;
  private dirs: [DirState, DirState] = [new DirState(), new DirState()];
  readonly maxCarry: number;
  private readonly maxReassembly: number;
  private readonly maxFacts: number;
  private readonly maxAnomalies: number;

  private readonly pending: Pending[] = [];
  private pendingCount = 0;
  private seq = 0;

  private readonly header = new S7Header();
  private readonly userdata = new UserdataParam();
  private readonly items = new ItemSummary();
  private readonly itemsCache = new VarItemsCache();
  private readonly blockControl = new BlockControl();
  private readonly pi = new PiService();
  private readonly conn = new ConnectionTpdu();

  private readonly facts = new Set<string>();
  private readonly counting = new AnsweredCounting();
  private anomalies = 0;
  /** rack << 8 | slot from the CR's destination TSAP, -1 when unknown */
  private crRackSlot = -1;
  /** last start-upload id and its block, to name the block in upload / end upload */
  private uploadId = -1;
  private uploadObject = '';
  /** last SZL requested, for continuation requests of multi-part responses */
  private lastSzlObject = '';
  private lastSzlKind: OperationKind = 'identify';
  /** the multi-part SZL answer being received */
  private readonly szl = new SzlReassembly();
  private readonly szlLimits: SzlReassemblyLimits;
  private curFrame = 0;
  private curTs = 0;
  private client: Endpoint | null = null;
  private server: Endpoint | null = null;

  constructor(ctx: AnalyzerContext, opts: S7commOptions = {}) {
    this.ctx = ctx;
    this.maxCarry = Math.max(FRAME_PROBE_LEN, Math.min(ctx.maxBufferBytes, MAX_TPKT_LEN));
    this.maxReassembly = Math.max(1, opts.maxReassemblyBytes ?? Math.min(ctx.maxBufferBytes, 65536));
    this.maxFacts = opts.maxFactsPerFlow ?? 64;
    this.maxAnomalies = opts.maxAnomaliesPerFlow ?? 32;
    this.szlLimits = { maxParts: Math.max(2, opts.maxSzlParts ?? 64), maxBytes: Math.max(1, opts.maxSzlBytes ?? 65536) };
  }

  // ---------------------------------------------------------------------------------------- stream

  onData(dir: Dir, buf: Buffer, off: number, len: number, meta: PacketMeta): void {
    if (len <= 0 || off < 0 || off + len > buf.length) return;
    this.curFrame = meta.frame;
    this.curTs = meta.ts;
    this.dirs[dir].push(this, dir, buf, off, len);
  }

  onGap(dir: Dir, bytes: number, meta: PacketMeta): void {
    this.curFrame = meta.frame;
    this.curTs = meta.ts;
    const st = this.dirs[dir];
    st.reset();
    st.desync = true;
    this.ctx.count('s7comm.gap');
    this.anomaly(dir, 'gap', `${bytes} bytes lost`);
  }

  onClose(meta: PacketMeta): void {
    this.curFrame = meta.frame;
    this.curTs = meta.ts;
    for (;;) {
      const oldest = this.oldestPending();
      if (!oldest) break;
      this.completeNoResponse(oldest);
    }
    for (const st of this.dirs) {
      if (st.reasmLen > 0 || st.carryLen > 0) this.ctx.count('s7comm.incomplete-at-close');
      st.reset();
    }
  }

  /** TpktSink: the stream lost sync; a DT reassembly in progress cannot be completed. */
  onMalformedTpkt(dir: Dir): void {
    const st = this.dirs[dir];
    st.reasmLen = 0;
    st.reasmDiscard = false;
    this.ctx.count('s7comm.malformed');
    this.anomaly(dir, 'malformed', 'malformed TPKT/COTP header');
  }

  /** TpktSink */
  onTpktOverCap(dir: Dir, tpktLen: number): void {
    this.ctx.count('s7comm.buffer-cap');
    this.anomaly(dir, 'buffer-cap', `TPKT of ${tpktLen} bytes over the ${this.maxCarry}-byte buffer`);
  }

  /** TpktSink */
  onResyncSkipped(_dir: Dir, bytes: number): void {
    this.ctx.count('s7comm.resync-skipped-bytes', bytes);
  }

  /** TpktSink */
  onResync(dir: Dir, skipped: number): void {
    this.ctx.count('s7comm.resync');
    this.anomaly(dir, 'resync', `skipped ${skipped} bytes`);
  }

  // ---------------------------------------------------------------------------------------- COTP

  /** TpktSink: a whole TPKT. */
  onTpkt(dir: Dir, buf: Buffer, off: number, total: number): void {
    const type = buf[off + 5]! & 0xf0;
    if (type === CotpType.DT) {
      const payload = cotpPayloadOffset(buf, off);
      const plen = off + total - payload;
      const eot = (buf[off + 6]! & 0x80) !== 0;
      const st = this.dirs[dir];
      if (st.reasmDiscard) {
        if (eot) st.reasmDiscard = false;
        return;
      }
      if (eot && st.reasmLen === 0) {
        this.processS7(dir, buf, payload, plen);
        return;
      }
      if (st.reasmLen + plen > this.maxReassembly) {
        this.ctx.count('s7comm.reassembly-cap');
        this.anomaly(dir, 'buffer-cap', `COTP reassembly over ${this.maxReassembly} bytes`);
        st.reasmLen = 0;
        st.reasmDiscard = !eot;
        return;
      }
      if (plen > 0) {
        st.reasm = growTo(st.reasm, st.reasmLen, st.reasmLen + plen, this.maxReassembly);
        buf.copy(st.reasm, st.reasmLen, payload, payload + plen);
        st.reasmLen += plen;
      }
      if (eot) {
        const n = st.reasmLen;
        st.reasmLen = 0;
        this.ctx.count('s7comm.cotp-reassembled');
        this.processS7(dir, st.reasm!, 0, n);
      }
      return;
    }
    if (type === CotpType.CR || type === CotpType.CC) {
      this.processConnection(dir, buf, off, total, type);
      return;
    }
    if (type === CotpType.DR || type === CotpType.DC) {
      this.ctx.count('s7comm.cotp-disconnect');
      this.dirs[dir].reasmLen = 0;
      return;
    }
    this.ctx.count('s7comm.cotp-other');
  }

  private processConnection(dir: Dir, buf: Buffer, off: number, total: number, type: number): void {
    const c = this.conn;
    parseConnectionTpdu(buf, off, total, c);
    if (c.malformed) {
      this.ctx.count('s7comm.malformed');
      this.anomaly(dir, 'malformed', 'COTP connection parameters');
      return;
    }
    const fromClientSide = (type === CotpType.CR) === (dir === 0);
    if (!fromClientSide && this.ctx.flow.sidesGuessed) this.swapSides();
    if (type === CotpType.CR) {
      this.ctx.count('s7comm.cotp-cr');
      this.crRackSlot = c.dstTsapLen >= 0 ? rackSlotFromTsap(buf, c.dstTsapOff, c.dstTsapLen) : -1;
      return;
    }
    this.ctx.count('s7comm.cotp-cc');
    let rs = c.dstTsapLen >= 0 ? rackSlotFromTsap(buf, c.dstTsapOff, c.dstTsapLen) : -1;
    if (rs < 0) rs = this.crRackSlot;
    if (rs >= 0) this.fact('rack-slot', `${rs >> 8}/${rs & 0xff}`, DECLARED_CONFIDENCE);
  }

  /** Content shows the guessed sides were wrong: ask the flow layer to swap, and follow with our state. */
  private swapSides(): void {
    this.ctx.swapSides();
    this.dirs = [this.dirs[1], this.dirs[0]];
    for (const t of this.pending) if (t.used) t.reqDir ^= 1;
    this.client = null;
    this.server = null;
    this.ctx.count('s7comm.sides-swapped');
  }

  // ---------------------------------------------------------------------------------------- S7

  private processS7(dir: Dir, buf: Buffer, off: number, len: number): void {
    if (len >= 1 && buf[off] === S7PLUS_PROTOCOL_ID) {
      this.ctx.count('s7comm.s7plus-seen');
      return;
    }
    const h = this.header;
    if (!decodeHeader(buf, off, len, h)) {
      this.ctx.count('s7comm.malformed');
      this.anomaly(dir, 'malformed', len >= 1 && buf[off] !== 0x32 ? 'not an S7comm PDU' : 'short S7comm header');
      return;
    }
    if (h.truncated) this.ctx.count('s7comm.truncated-pdu');
    switch (h.rosctr) {
      case Rosctr.Job:
        this.onJob(dir, buf, h);
        return;
      case Rosctr.Ack:
      case Rosctr.AckData:
        this.onAck(dir, buf, h);
        return;
      case Rosctr.Userdata:
        this.onUserdata(dir, buf, h);
        return;
      default:
        this.ctx.count('s7comm.unknown-rosctr');
    }
  }

  private onJob(dir: Dir, buf: Buffer, h: S7Header): void {
    if (h.paramLen < 1) {
      this.ctx.count('s7comm.malformed');
      this.anomaly(dir, 'malformed', 'job without function');
      return;
    }
    const func = buf[h.paramOff]!;
    const t = this.newPending(dir, h.pduRef, false);
    t.code = func;
    t.codeName = functionName(func);
    t.kind = functionKind(func);
    switch (func) {
      case Func.SetupCommunication:
        if (h.paramLen >= 8) t.detail = `pdu-size=${u16(buf, h.paramOff + 6)}`;
        break;
      case Func.ReadVar:
      case Func.WriteVar: {
        const items = this.items;
        this.itemsCache.summarize(buf, h.paramOff, h.paramLen, items);
        if (items.malformed) this.ctx.count('s7comm.malformed-items');
        t.itemCount = items.count;
        t.object = items.object;
        t.address = items.address;
        t.quantity = items.quantity;
        if (func === Func.WriteVar) {
          const n = writeDataBytes(buf, h.dataOff, h.dataLen, items.count);
          if (n >= 0) t.dataBytes = n;
          else this.ctx.count('s7comm.malformed-items');
        }
        break;
      }
      case Func.RequestDownload:
      case Func.DownloadBlock:
      case Func.DownloadEnded:
      case Func.StartUpload:
        decodeBlockControl(buf, h.paramOff, h.paramLen, this.blockControl);
        t.object = this.blockControl.object;
        break;
      case Func.Upload:
      case Func.EndUpload:
        decodeBlockControl(buf, h.paramOff, h.paramLen, this.blockControl);
        if (this.blockControl.uploadId >= 0 && this.blockControl.uploadId === this.uploadId) t.object = this.uploadObject;
        break;
      case Func.PiService: {
        const pi = this.pi;
        if (!decodePiService(buf, h.paramOff, h.paramLen, pi)) {
          this.ctx.count('s7comm.malformed-pi');
          break;
        }
        const svc = pi.service;
        if (svc.startsWith('_INSE') || svc.startsWith('_DELE')) {
          t.kind = 'program-modify';
          t.detail = svc.startsWith('_INSE') ? 'insert' : 'delete';
          t.object = pi.blocks !== '' ? pi.blocks : svc;
        } else if (svc === 'P_PROGRAM') {
          t.kind = 'mode-change';
          t.detail = 'run';
          t.object = svc;
        } else if (svc === '_MODU' || svc === '_GARB') {
          t.kind = 'other';
          t.detail = 'compress';
          t.object = svc;
        } else {
          t.object = svc;
        }
        break;
      }
      case Func.PlcStop:
        t.detail = 'stop';
        t.object = decodePlcStop(buf, h.paramOff, h.paramLen);
        break;
    }
  }

  private onAck(dir: Dir, buf: Buffer, h: S7Header): void {
    const t = this.findPending(dir ^ 1, h.pduRef, false);
    if (!t) {
      this.ctx.count('s7comm.unmatched-response');
      return;
    }
    if (h.paramLen >= 1 && buf[h.paramOff] !== t.code) this.ctx.count('s7comm.function-mismatch');
    t.responseFrame = this.curFrame;
    if (h.error !== 0) {
      this.setException(t, h.error, errorName(h.error));
    } else {
      t.result = 'ok';
      switch (t.code) {
        case Func.SetupCommunication:
          if (h.paramLen >= 8) t.detail = `pdu-size=${u16(buf, h.paramOff + 6)}`;
          break;
        case Func.ReadVar: {
          const rc = firstFailedReadItem(buf, h.dataOff, h.dataLen, t.itemCount);
          if (rc >= 0) this.setException(t, rc, itemReturnName(rc));
          break;
        }
        case Func.WriteVar: {
          const rc = firstFailedWriteItem(buf, h.dataOff, h.dataLen, t.itemCount);
          if (rc >= 0) this.setException(t, rc, itemReturnName(rc));
          break;
        }
        case Func.DownloadBlock:
        case Func.Upload:
          if (h.dataLen >= 2) t.dataBytes = u16(buf, h.dataOff);
          break;
        case Func.StartUpload: {
          const id = startUploadAckId(buf, h.paramOff, h.paramLen);
          if (id >= 0) {
            this.uploadId = id;
            this.uploadObject = t.object;
          }
          break;
        }
      }
    }
    this.complete(t);
  }

  private onUserdata(dir: Dir, buf: Buffer, h: S7Header): void {
    const ud = this.userdata;
    if (!decodeUserdata(buf, h, ud)) {
      this.ctx.count('s7comm.malformed');
      this.anomaly(dir, 'malformed', 'userdata parameter');
      return;
    }
    if (ud.type === UdType.Request) {
      const t = this.newPending(dir, h.pduRef, true);
      t.code = ud.subfunc;
      t.codeName = userdataSubfunctionName(ud.group, ud.subfunc);
      t.subCode = ud.group;
      t.subCodeName = userdataGroupName(ud.group);
      t.kind = userdataKind(ud.group, ud.subfunc);
      this.describeUserdataRequest(t, buf, ud);
      return;
    }
    if (ud.type === UdType.Response) {
      const t = this.findPending(dir ^ 1, h.pduRef, true);
      if (!t) {
        this.ctx.count('s7comm.unmatched-response');
        return;
      }
      if (t.subCode !== ud.group || t.code !== ud.subfunc) this.ctx.count('s7comm.function-mismatch');
      t.responseFrame = this.curFrame;
      if (ud.error !== 0) this.setException(t, ud.error, errorName(ud.error));
      // An empty data part with 0x0a is how a PLC answers requests that return nothing (e.g. set clock).
      else if (ud.returnCode >= 0 && ud.returnCode !== ITEM_OK && !(ud.returnCode === 0x0a && ud.payloadLen === 0)) {
        this.setException(t, ud.returnCode, itemReturnName(ud.returnCode));
      }
      else {
        t.result = 'ok';
        if (ud.group === UdGroup.CpuFunctions && ud.subfunc === 0x01) this.onSzlResponse(t, buf, ud);
      }
      this.complete(t);
      return;
    }
    // Indications the PLC pushes (cyclic data, alarms, mode transitions): not requests.
    this.ctx.count('s7comm.userdata-push');
  }

  /**
   * A read SZL answer or one part of it. A part (the answer to a continuation request, with the data unit
   * reference of the answer being received) carries no SZL header: it goes to the reassembly, never to the
   * header decoder.
   */
  private onSzlResponse(t: Pending, buf: Buffer, ud: UserdataParam): void {
    const szl = this.szl;
    if (t.szlContinuation) {
      if (!szl.active || ud.dataUnitRef !== szl.dataUnitRef) {
        // The part of an answer whose start we did not see (capture began mid-answer, or it was abandoned).
        this.ctx.count('s7comm.szl-orphan-part');
        return;
      }
      const status = szl.next(buf, ud.payloadOff, ud.payloadLen, ud.lastUnit, this.szlLimits, this);
      if (status === SzlPart.PartsCap) this.ctx.count('s7comm.szl-parts-cap');
      else if (status === SzlPart.BytesCap) this.ctx.count('s7comm.szl-bytes-cap');
      else this.ctx.count('s7comm.szl-continued-parts');
      return;
    }
    if (szl.active) {
      // A new answer while the previous one had parts to come: the client gave up on it.
      this.ctx.count('s7comm.szl-abandoned');
      szl.reset();
    }
    const mode = decodeSzlResponse(buf, ud.payloadOff, ud.payloadLen, this);
    if (mode >= 0) t.detail = `cpu-mode=${cpuModeName(mode)}`;
    if (!ud.lastUnit) szl.begin(buf, ud.payloadOff, ud.payloadLen, ud.dataUnitRef);
  }

  private describeUserdataRequest(t: Pending, buf: Buffer, ud: UserdataParam): void {
    switch (ud.group) {
      case UdGroup.CpuFunctions:
        if (ud.subfunc === 0x01) {
          if (ud.returnCode === ITEM_OK && ud.payloadLen >= 4) {
            const szlId = u16(buf, ud.payloadOff);
            t.kind = szlKind(szlId);
            t.object = `szl-0x${szlId.toString(16).padStart(4, '0')}`;
            t.address = u16(buf, ud.payloadOff + 2);
            this.lastSzlObject = t.object;
            this.lastSzlKind = t.kind;
          } else {
            // Follow-up request for the next part of a multi-part SZL response.
            t.kind = this.lastSzlKind;
            t.object = this.lastSzlObject;
            t.detail = 'continuation';
            t.szlContinuation = true;
          }
        }
        break;
      case UdGroup.BlockFunctions:
        t.object = blockFunctionObject(buf, ud.subfunc, ud.payloadOff, ud.payloadLen);
        break;
      case UdGroup.TimeFunctions:
        t.object = 'clock';
        if (ud.subfunc === 0x02 || ud.subfunc === 0x04) t.detail = s7Timestamp(buf, ud.payloadOff, ud.payloadLen);
        break;
      case UdGroup.Security:
        if (ud.subfunc === 0x01) t.object = 'password';
        break;
    }
  }

  private setException(t: Pending, code: number, name: string): void {
    t.result = 'exception';
    t.exceptionCode = code;
    t.exceptionName = name;
  }

  // ---------------------------------------------------------------------------------------- pending

  private newPending(reqDir: number, pduRef: number, userdata: boolean): Pending {
    const dup = this.findPending(reqDir, pduRef, userdata);
    if (dup) {
      this.ctx.count('s7comm.pdu-ref-reused');
      this.completeNoResponse(dup);
    }
    const cap = Math.max(1, this.ctx.maxPendingTransactions);
    if (this.pendingCount >= cap) {
      const oldest = this.oldestPending()!;
      this.ctx.count('s7comm.pending-cap');
      this.anomaly(oldest.reqDir as Dir, 'transaction-cap', `more than ${cap} requests awaiting a response`);
      this.completeNoResponse(oldest);
    }
    let slot: Pending | undefined;
    for (const t of this.pending) {
      if (!t.used) {
        slot = t;
        break;
      }
    }
    if (!slot) {
      slot = new Pending();
      this.pending.push(slot);
    }
    slot.init(reqDir, pduRef, userdata, this.curFrame, this.curTs, this.seq++);
    this.pendingCount++;
    return slot;
  }

  private findPending(reqDir: number, pduRef: number, userdata: boolean): Pending | undefined {
    for (const t of this.pending) {
      if (t.used && t.reqDir === reqDir && t.pduRef === pduRef && t.userdata === userdata) return t;
    }
    return undefined;
  }

  private oldestPending(): Pending | undefined {
    let oldest: Pending | undefined;
    for (const t of this.pending) if (t.used && (!oldest || t.seq < oldest.seq)) oldest = t;
    return oldest;
  }

  private completeNoResponse(t: Pending): void {
    t.result = 'no-response';
    this.complete(t);
  }

  private complete(t: Pending): void {
    this.emitOperation(t);
    t.used = false;
    this.pendingCount--;
  }

  // ---------------------------------------------------------------------------------------- events

  private endpoints(): void {
    const f = this.ctx.flow;
    this.client = f.clientMac ? { ip: f.clientIp, port: f.clientPort, mac: f.clientMac } : { ip: f.clientIp, port: f.clientPort };
    this.server = f.serverMac ? { ip: f.serverIp, port: f.serverPort, mac: f.serverMac } : { ip: f.serverIp, port: f.serverPort };
  }

  private emitOperation(t: Pending): void {
    if (!this.client) this.endpoints();
    const sink = this.ctx.sink;
    // A request answered normally is final here: counted without its event when nobody reads it individually.
    if (t.result === 'ok' && this.counting.counts(sink, PROTOCOL, t.kind)) {
      sink.countOperation!(this.ctx.captureIndex, this.ctx.flow.id, PROTOCOL, t.kind, this.client!, this.server!);
      return;
    }
    const ev: OperationEvent = {
      type: 'operation',
      protocol: PROTOCOL,
      ts: t.ts,
      frame: t.frame,
      captureIndex: this.ctx.captureIndex,
      flowId: this.ctx.flow.id,
      src: this.client!,
      dst: this.server!,
      kind: t.kind,
      code: t.code,
      codeName: t.codeName,
      result: t.result,
    };
    if (t.subCode >= 0) {
      ev.subCode = t.subCode;
      ev.subCodeName = t.subCodeName;
    }
    if (t.object !== '') ev.object = t.object;
    if (t.address >= 0) ev.address = t.address;
    if (t.quantity >= 0) ev.quantity = t.quantity;
    if (t.detail !== '') ev.detail = t.detail;
    if (t.exceptionCode >= 0) {
      ev.exceptionCode = t.exceptionCode;
      ev.exceptionName = t.exceptionName;
    }
    if (t.responseFrame >= 0) ev.responseFrame = t.responseFrame;
    if (t.dataBytes >= 0) ev.dataBytes = t.dataBytes;
    sink.emit(ev);
  }

  /** FactSink: a fact about the PLC (the flow's server), once per distinct value per flow. */
  fact(field: FactField, value: string, confidence: number): void {
    const key = `${field}\u0000${value}`;
    if (this.facts.has(key)) return;
    if (this.facts.size >= this.maxFacts) {
      this.ctx.count('s7comm.fact-cap');
      return;
    }
    this.facts.add(key);
    const f = this.ctx.flow;
    this.ctx.sink.emit({
      type: 'asset-fact',
      protocol: PROTOCOL,
      ts: this.curTs,
      frame: this.curFrame,
      captureIndex: this.ctx.captureIndex,
      subject: f.serverMac ? { ip: f.serverIp, mac: f.serverMac } : { ip: f.serverIp },
      field,
      value,
      confidence,
    });
  }

  private anomaly(dir: Dir, anomaly: ProtocolAnomalyEvent['anomaly'], detail: string): void {
    if (this.anomalies >= this.maxAnomalies) {
      this.ctx.count('s7comm.anomaly-cap');
      return;
    }
    this.anomalies++;
    if (!this.client) this.endpoints();
    const fromClient = dir === 0;
    this.ctx.sink.emit({
      type: 'anomaly',
      protocol: PROTOCOL,
      ts: this.curTs,
      frame: this.curFrame,
      captureIndex: this.ctx.captureIndex,
      flowId: this.ctx.flow.id,
      src: fromClient ? this.client! : this.server!,
      dst: fromClient ? this.server! : this.client!,
      anomaly,
      detail,
    });
  }
}
