/**
 * Per-flow S7comm-plus analyzer: TPKT framing over the reassembled TCP stream (split TPKTs carried over,
 * several per segment, resync after garbage or gaps), COTP connection set-up (SIMATIC TSAP → client role) and
 * DT reassembly (capped), S7comm-plus frames and their own fragmentation, request ↔ response pairing by
 * sequence number (capped), operations, PLC identity facts, and the switch to TLS (flow reported opaque).
 *
 * Operation events: src = flow client (HMI / engineering station / OPC server), dst = flow server (the CPU).
 * Everything the analyzer decodes sits at the head of a message, so a message fragmented at the S7comm-plus
 * level is decoded from its first fragment; the following fragments are only counted (no second reassembly).
 */
import type { AnalyzerContext, Dir, FlowAnalyzer, PacketMeta } from '../analyzer.js';
import type { Endpoint, FactField, OperationEvent, OperationKind, OperationResult, ProtocolAnomalyEvent } from '../../events/types.js';
import { flowEndpoints } from '../common/endpoints.js';
import {
  ConnectionTpdu,
  CotpType,
  cotpPayloadOffset,
  FRAME_PROBE_LEN,
  parseConnectionTpdu,
} from '../s7comm/tpkt-cotp.js';
import { TpktStream, growTo, type TpktSink } from '../s7comm/tpkt-stream.js';
import {
  blockClassName,
  cpuFromOrderNumber,
  errorCodeName,
  Func,
  functionKind,
  functionName,
  Id,
  Opcode,
  opcodeName,
  operatingStateName,
  tsapRole,
  versionName,
} from './names.js';
import {
  DataHeader,
  decodeDataHeader,
  decodeFrame,
  describeRequest,
  describeResponse,
  findPlcIdentity,
  FrameStatus,
  isTlsRecord,
  PlusFrame,
  RequestInfo,
  ResponseInfo,
} from './parser.js';
import { isSimaticTsap } from './probe.js';

export interface S7commPlusOptions {
  /** Bytes of one COTP-reassembled payload per direction (default min(ctx.maxBufferBytes, 64 KiB)); also the cap on the bytes of one fragmented S7comm-plus message. */
  maxReassemblyBytes?: number;
  /** Distinct facts reported per flow (default 64). */
  maxFactsPerFlow?: number;
  /** Anomaly events per flow; further anomalies are only counted (default 32). */
  maxAnomaliesPerFlow?: number;
  /** Objects created in the flow remembered to name what a later DeleteObject removes (default 64). */
  maxTrackedObjects?: number;
}

const PROTOCOL = 's7comm-plus';
const MAX_TPKT_LEN = 0xffff;
const C = {
  malformed: 's7comm-plus.malformed',
  resync: 's7comm-plus.resync',
  resyncSkipped: 's7comm-plus.resync-skipped-bytes',
  gap: 's7comm-plus.gap',
  bufferCap: 's7comm-plus.buffer-cap',
  reassemblyCap: 's7comm-plus.reassembly-cap',
  fragmentCap: 's7comm-plus.fragment-cap',
  fragments: 's7comm-plus.fragments',
  keepAlive: 's7comm-plus.keep-alive',
  notification: 's7comm-plus.notification',
  unmatched: 's7comm-plus.unmatched-response',
  functionMismatch: 's7comm-plus.function-mismatch',
  seqReused: 's7comm-plus.sequence-reused',
  pendingCap: 's7comm-plus.pending-cap',
  objectCap: 's7comm-plus.tracked-object-cap',
  factCap: 's7comm-plus.fact-cap',
  anomalyCap: 's7comm-plus.anomaly-cap',
  tls: 's7comm-plus.tls',
  tlsBytes: 's7comm-plus.tls-bytes',
  sessionMismatch: 's7comm-plus.session-mismatch',
  swapped: 's7comm-plus.sides-swapped',
  incompleteAtClose: 's7comm-plus.incomplete-at-close',
  cotpCr: 's7comm-plus.cotp-cr',
  cotpCc: 's7comm-plus.cotp-cc',
  cotpDisconnect: 's7comm-plus.cotp-disconnect',
  cotpOther: 's7comm-plus.cotp-other',
} as const;
const VERSION_COUNTERS: Record<number, string> = {
  1: 's7comm-plus.version.V1',
  2: 's7comm-plus.version.V2',
  3: 's7comm-plus.version.V3',
};

/** What an object created in this flow is, to classify its DeleteObject. */
const Created = { Session: 1, Block: 2, Subscription: 3 } as const;


function hex32(v: number): string {
  return `0x${(v >>> 0).toString(16).padStart(8, '0')}`;
}


class DirState extends TpktStream {
  /** COTP DT reassembly */
  reasm: Buffer | null = null;
  reasmLen = 0;
  reasmDiscard = false;
  /** inside an S7comm-plus fragmented message (first fragment decoded, waiting for the one with a trailer) */
  fragActive = false;
  fragBytes = 0;

  override reset(): void {
    super.reset();
    this.reasmLen = 0;
    this.reasmDiscard = false;
    this.fragActive = false;
    this.fragBytes = 0;
  }
}

/** A request awaiting its response. Slots are reused. */
class Pending {
  used = false;
  order = 0;
  reqDir = 0;
  seq = 0;
  func = 0;
  version = 0;
  frame = 0;
  ts = 0;
  kind: OperationKind = 'other';
  object = '';
  detail = '';
  quantity = -1;
  /** CreateObject: what the created object is (Created.*), 0 otherwise */
  creates = 0;
  createdName = '';
  /** DeleteObject: the object id to delete, -1 otherwise */
  deletes = -1;
  result: OperationResult = 'unknown';
  exceptionCode = 0;
  exceptionName = '';
  responseFrame = -1;

  init(reqDir: number, seq: number, func: number, version: number, frame: number, ts: number, order: number): void {
    this.used = true;
    this.order = order;
    this.reqDir = reqDir;
    this.seq = seq;
    this.func = func;
    this.version = version;
    this.frame = frame;
    this.ts = ts;
    this.kind = functionKind(func);
    this.object = '';
    this.detail = '';
    this.quantity = -1;
    this.creates = 0;
    this.createdName = '';
    this.deletes = -1;
    this.result = 'unknown';
    this.exceptionCode = 0;
    this.exceptionName = '';
    this.responseFrame = -1;
  }
}

export class S7commPlusFlow implements FlowAnalyzer, TpktSink {
  private readonly ctx: AnalyzerContext;
  private dirs: [DirState, DirState] = [new DirState(), new DirState()];
  readonly maxCarry: number;
  private readonly maxReassembly: number;
  private readonly maxFacts: number;
  private readonly maxAnomalies: number;
  private readonly maxObjects: number;

  private readonly pending: Pending[] = [];
  private pendingCount = 0;
  private order = 0;

  private readonly conn = new ConnectionTpdu();
  private readonly frameInfo = new PlusFrame();
  private readonly header = new DataHeader();
  private readonly request = new RequestInfo();
  private readonly response = new ResponseInfo();

  /** server session id assigned by the CPU (CreateObject response), -1 before */
  private sessionId = -1;
  /** object id → Created.* for objects created in this flow */
  private readonly createdObjects = new Map<number, number>();
  private readonly createdNames = new Map<number, string>();
  private opaque = false;
  private readonly facts = new Set<string>();
  private anomalies = 0;
  private curFrame = 0;
  private curTs = 0;
  private client: Endpoint | null = null;
  private server: Endpoint | null = null;

  constructor(ctx: AnalyzerContext, opts: S7commPlusOptions = {}) {
    this.ctx = ctx;
    this.maxCarry = Math.max(FRAME_PROBE_LEN, Math.min(ctx.maxBufferBytes, MAX_TPKT_LEN));
    this.maxReassembly = Math.max(1, opts.maxReassemblyBytes ?? Math.min(ctx.maxBufferBytes, 65536));
    this.maxFacts = opts.maxFactsPerFlow ?? 64;
    this.maxAnomalies = opts.maxAnomaliesPerFlow ?? 32;
    this.maxObjects = Math.max(0, opts.maxTrackedObjects ?? 64);
  }

  // ---------------------------------------------------------------------------------------- TPKT stream

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
    this.ctx.count(C.gap);
    this.anomaly(dir, 'gap', `${bytes} bytes lost`);
  }

  onClose(meta: PacketMeta): void {
    this.curFrame = meta.frame;
    this.curTs = meta.ts;
    for (;;) {
      const oldest = this.oldestPending();
      if (!oldest) break;
      oldest.result = 'no-response';
      this.complete(oldest);
    }
    for (const st of this.dirs) {
      if (st.reasmLen > 0 || st.carryLen > 0 || st.fragActive) this.ctx.count(C.incompleteAtClose);
      st.reset();
    }
  }

  /** TpktSink: the stream lost sync; a DT reassembly in progress cannot be completed. */
  onMalformedTpkt(dir: Dir): void {
    const st = this.dirs[dir];
    st.reasmLen = 0;
    st.reasmDiscard = false;
    st.fragActive = false;
    this.ctx.count(C.malformed);
    this.anomaly(dir, 'malformed', 'malformed TPKT/COTP header');
  }

  /** TpktSink */
  onTpktOverCap(dir: Dir, tpktLen: number): void {
    this.ctx.count(C.bufferCap);
    this.anomaly(dir, 'buffer-cap', `TPKT of ${tpktLen} bytes over the ${this.maxCarry}-byte buffer`);
  }

  /** TpktSink */
  onResyncSkipped(_dir: Dir, bytes: number): void {
    this.ctx.count(C.resyncSkipped, bytes);
  }

  /** TpktSink */
  onResync(dir: Dir, skipped: number): void {
    this.ctx.count(C.resync);
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
        if (plen > 0) this.processPayload(dir, buf, payload, plen);
        return;
      }
      if (st.reasmLen + plen > this.maxReassembly) {
        this.ctx.count(C.reassemblyCap);
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
      if (eot && st.reasmLen > 0) {
        const n = st.reasmLen;
        st.reasmLen = 0;
        this.processPayload(dir, st.reasm!, 0, n);
      }
      return;
    }
    if (type === CotpType.CR || type === CotpType.CC) {
      this.processConnection(dir, buf, off, total, type);
      return;
    }
    if (type === CotpType.DR || type === CotpType.DC) {
      this.ctx.count(C.cotpDisconnect);
      this.dirs[dir].reasmLen = 0;
      return;
    }
    this.ctx.count(C.cotpOther);
  }

  private processConnection(dir: Dir, buf: Buffer, off: number, total: number, type: number): void {
    const c = this.conn;
    parseConnectionTpdu(buf, off, total, c);
    if (c.malformed) {
      this.ctx.count(C.malformed);
      this.anomaly(dir, 'malformed', 'COTP connection parameters');
      return;
    }
    const fromClientSide = (type === CotpType.CR) === (dir === 0);
    if (this.ctx.flow.sidesGuessed) {
      if (fromClientSide) this.ctx.confirmSides();
      else this.swapSides();
    }
    this.ctx.count(type === CotpType.CR ? C.cotpCr : C.cotpCc);
    // "SIMATIC-ROOT-HMI" / "-ES" / "-OTH": the kind of client (HMI, engineering station, other).
    let tsapOff = -1;
    let tsapLen = 0;
    if (isSimaticTsap(buf, c.dstTsapOff, c.dstTsapLen)) {
      tsapOff = c.dstTsapOff;
      tsapLen = c.dstTsapLen;
    } else if (isSimaticTsap(buf, c.srcTsapOff, c.srcTsapLen)) {
      tsapOff = c.srcTsapOff;
      tsapLen = c.srcTsapLen;
    }
    if (tsapOff < 0) return;
    const tsap = buf.toString('latin1', tsapOff, tsapOff + Math.min(tsapLen, 32));
    const role = tsapRole(tsap);
    if (role !== '') this.fact('role-hint', role, 0.8, true);
    this.fact('role-hint', 'plc', 0.7, false);
    this.fact('vendor', 'Siemens', 0.8, false);
  }

  /** Content shows the guessed sides were wrong: ask the flow layer to swap, and follow with our state. */
  private swapSides(): void {
    this.ctx.swapSides();
    this.dirs = [this.dirs[1], this.dirs[0]];
    for (const t of this.pending) if (t.used) t.reqDir ^= 1;
    this.client = null;
    this.server = null;
    this.ctx.count(C.swapped);
  }

  // ---------------------------------------------------------------------------------------- S7comm-plus frames

  private processPayload(dir: Dir, buf: Buffer, off: number, len: number): void {
    if (this.opaque) {
      this.ctx.count(C.tlsBytes, len);
      return;
    }
    const f = this.frameInfo;
    const status = decodeFrame(buf, off, len, f);
    if (status === FrameStatus.NotS7Plus) {
      if (isTlsRecord(buf, off, len)) {
        this.enterOpaque(dir, len);
        return;
      }
      this.ctx.count(C.malformed);
      this.anomaly(dir, 'malformed', 'COTP payload is not S7comm-plus');
      return;
    }
    if (status === FrameStatus.Malformed) {
      this.ctx.count(C.malformed);
      this.anomaly(dir, 'malformed', `bad S7comm-plus header (version ${versionName(f.version)})`);
      return;
    }
    if (f.keepAlive) {
      this.ctx.count(C.keepAlive);
      return;
    }
    const vc = VERSION_COUNTERS[f.version];
    if (vc !== undefined) this.ctx.count(vc);
    const st = this.dirs[dir];
    if (st.fragActive) {
      // Continuation of a fragmented message; the one with a trailer ends it.
      this.ctx.count(C.fragments);
      st.fragBytes += f.dataLen;
      if (f.hasTrailer) {
        st.fragActive = false;
      } else if (st.fragBytes > this.maxReassembly) {
        st.fragActive = false;
        this.ctx.count(C.fragmentCap);
        this.anomaly(dir, 'buffer-cap', `fragmented S7comm-plus message over ${this.maxReassembly} bytes`);
      }
      return;
    }
    if (!f.hasTrailer) {
      st.fragActive = true;
      st.fragBytes = f.dataLen;
      this.ctx.count(C.fragments);
    }
    this.processData(dir, buf, f.dataOff, f.dataLen, f.version);
  }

  private processData(dir: Dir, buf: Buffer, off: number, len: number, version: number): void {
    const h = this.header;
    if (!decodeDataHeader(buf, off, len, h)) {
      this.ctx.count(C.malformed);
      this.anomaly(dir, 'malformed', len > 0 ? `unknown opcode 0x${buf[off]!.toString(16)}` : 'empty data part');
      return;
    }
    switch (h.opcode) {
      case Opcode.Request:
        this.onRequest(dir, buf, h, version);
        return;
      case Opcode.Response:
      case Opcode.Response2:
        this.onResponse(dir, buf, h);
        return;
      default:
        // Notifications: subscription data the CPU pushes, not requests.
        this.ctx.count(C.notification);
    }
  }

  private enterOpaque(dir: Dir, bytes: number): void {
    this.opaque = true;
    this.ctx.count(C.tls);
    this.ctx.count(C.tlsBytes, bytes);
    if (!this.client) this.endpoints();
    const fromClient = dir === 0;
    // The flow was announced 'clear' when claimed; this marker says its content is from now on encrypted.
    this.ctx.sink.emit({
      type: 'protocol',
      protocol: PROTOCOL,
      ts: this.curTs,
      frame: this.curFrame,
      captureIndex: this.ctx.captureIndex,
      flowId: this.ctx.flow.id,
      src: fromClient ? this.client! : this.server!,
      dst: fromClient ? this.server! : this.client!,
      visibility: 'opaque',
      by: 'probe',
      detail: 'encrypted S7comm-plus V3/TLS',
    });
    this.ctx.markOpaque();
  }

  // ---------------------------------------------------------------------------------------- requests

  private onRequest(dir: Dir, buf: Buffer, h: DataHeader, version: number): void {
    if (this.ctx.flow.sidesGuessed) {
      // Only the client (HMI / engineering station) sends requests; the CPU answers and notifies.
      if (dir === 0) {
        this.ctx.confirmSides();
      } else {
        this.swapSides();
        dir = 0;
      }
    }
    if (this.sessionId >= 0 && h.sessionId !== this.sessionId && h.sessionId !== Id.ObjectNullServerSession) {
      this.ctx.count(C.sessionMismatch);
    }
    const t = this.newPending(dir, h.seq, h.func, version);
    const r = this.request;
    describeRequest(buf, h, version, r);
    switch (h.func) {
      case Func.CreateObject: {
        if (r.classId === Id.ClassServerSession) {
          t.kind = 'connect';
          t.object = 'ServerSession';
          t.creates = Created.Session;
          break;
        }
        const block = r.classId >= 0 ? blockClassName(r.classId) : '';
        if (block !== '') {
          t.kind = 'program-download';
          t.object = block;
          t.detail = 'create block';
          t.creates = Created.Block;
          t.createdName = block;
        } else if (r.classId === Id.ClassSubscription) {
          t.kind = 'subscription';
          t.object = 'Subscription';
          t.creates = Created.Subscription;
        } else if (r.classId >= 0) {
          t.object = `class ${r.classId}`;
        }
        break;
      }
      case Func.DeleteObject:
        // Classified when the request completes: the session id may only be learned from a pipelined
        // CreateObject response that arrives after this request.
        t.deletes = r.objectId;
        if (r.objectId >= 0) t.object = hex32(r.objectId);
        break;
      case Func.SetVariable:
      case Func.SetMultiVariables:
        if (r.writesOperatingState) {
          t.kind = 'mode-change';
          t.object = 'CPUexecUnit.OperatingStateREQ';
          if (r.operatingState >= 0) t.detail = operatingStateName(r.operatingState);
        } else if (r.writesSessionKey) {
          t.kind = 'authentication';
          t.object = 'ServerSession';
          t.detail = 'session key';
        } else if (r.objectId >= 0 && r.objectId === this.sessionId) {
          t.kind = 'configuration';
          t.object = 'ServerSession';
        } else if (r.area !== '') {
          t.object = r.area;
        } else if (r.objectId > 0) {
          t.object = r.firstAddress >= 0 ? `${hex32(r.objectId)}.${r.firstAddress}` : hex32(r.objectId);
        }
        if (r.itemCount >= 0) t.quantity = r.itemCount;
        break;
      case Func.GetMultiVariables:
        if (r.area !== '') t.object = r.area;
        else if (r.objectId > 0) t.object = `link ${hex32(r.objectId)}`;
        if (r.itemCount >= 0) t.quantity = r.itemCount;
        break;
      case Func.Explore:
        t.detail = 'browse';
        if (r.objectId >= 0) t.object = hex32(r.objectId);
        break;
      case Func.GetVariable:
      case Func.GetVarSubStreamed:
      case Func.SetVarSubStreamed:
      case Func.Invoke:
        if (r.objectId >= 0) t.object = hex32(r.objectId);
        break;
      case Func.InitSsl:
        t.detail = 'tls';
        break;
    }
  }

  // ---------------------------------------------------------------------------------------- responses

  private onResponse(dir: Dir, buf: Buffer, h: DataHeader): void {
    const t = this.findPending(dir ^ 1, h.seq);
    if (!t) {
      this.ctx.count(C.unmatched);
      return;
    }
    if (t.func !== h.func && h.func !== Func.Error && h.func !== Func.Error2) this.ctx.count(C.functionMismatch);
    t.responseFrame = this.curFrame;
    const r = this.response;
    describeResponse(buf, h, r);
    if ((h.func === Func.Error || h.func === Func.Error2) && t.func !== h.func) {
      t.result = 'exception';
      t.exceptionCode = r.hasReturnValue ? r.errorCode : 0;
      t.exceptionName = 'error';
    } else if (r.hasReturnValue && r.errorCode < 0) {
      t.result = 'exception';
      t.exceptionCode = r.errorCode;
      t.exceptionName = errorCodeName(r.errorCode);
    } else {
      t.result = 'ok';
      if (t.func === Func.CreateObject && r.createdObjectId >= 0) this.onObjectCreated(t, r.createdObjectId, buf, r.restOff, h.bodyEnd);
    }
    this.complete(t);
  }

  private onObjectCreated(t: Pending, objectId: number, buf: Buffer, off: number, end: number): void {
    if (t.creates === Created.Session) {
      this.sessionId = objectId;
      t.detail = `${versionName(t.version)} session=${hex32(objectId)}`;
      const id = findPlcIdentity(buf, off, end);
      if (id) {
        this.fact('order-number', id.orderNumber, 0.9, false);
        if (id.firmware !== '') this.fact('firmware', id.firmware, 0.8, false);
        const cpu = cpuFromOrderNumber(id.orderNumber);
        if (cpu) {
          this.fact('product', cpu.product, 0.7, false);
          this.fact('model', cpu.model, 0.7, false);
        }
      }
      return;
    }
    if (t.creates === 0) return;
    if (this.createdObjects.size >= this.maxObjects) {
      this.ctx.count(C.objectCap);
      return;
    }
    this.createdObjects.set(objectId, t.creates);
    if (t.createdName !== '') this.createdNames.set(objectId, t.createdName);
  }

  // ---------------------------------------------------------------------------------------- pending

  private newPending(reqDir: number, seq: number, func: number, version: number): Pending {
    const dup = this.findPending(reqDir, seq);
    if (dup) {
      this.ctx.count(C.seqReused);
      dup.result = 'no-response';
      this.complete(dup);
    }
    const cap = Math.max(1, this.ctx.maxPendingTransactions);
    if (this.pendingCount >= cap) {
      const oldest = this.oldestPending()!;
      this.ctx.count(C.pendingCap);
      this.anomaly(oldest.reqDir as Dir, 'transaction-cap', `more than ${cap} requests awaiting a response`);
      oldest.result = 'no-response';
      this.complete(oldest);
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
    slot.init(reqDir, seq, func, version, this.curFrame, this.curTs, this.order++);
    this.pendingCount++;
    return slot;
  }

  private classifyDelete(t: Pending, objectId: number): void {
    const what = objectId === this.sessionId ? Created.Session : this.createdObjects.get(objectId) ?? 0;
    if (what === Created.Session) {
      t.kind = 'connect';
      t.object = 'ServerSession';
      t.detail = `close session=${hex32(objectId)}`;
    } else if (what === Created.Block) {
      t.kind = 'program-modify';
      t.object = this.createdNames.get(objectId) ?? t.object;
      t.detail = 'delete block';
    } else if (what === Created.Subscription) {
      t.kind = 'subscription';
      t.detail = 'delete';
    } else {
      t.detail = 'delete object';
    }
  }

  private findPending(reqDir: number, seq: number): Pending | undefined {
    for (const t of this.pending) if (t.used && t.reqDir === reqDir && t.seq === seq) return t;
    return undefined;
  }

  private oldestPending(): Pending | undefined {
    let oldest: Pending | undefined;
    for (const t of this.pending) if (t.used && (!oldest || t.order < oldest.order)) oldest = t;
    return oldest;
  }

  private complete(t: Pending): void {
    if (t.deletes >= 0) this.classifyDelete(t, t.deletes);
    this.emitOperation(t);
    t.used = false;
    this.pendingCount--;
  }

  // ---------------------------------------------------------------------------------------- events

  private endpoints(): void {
    const e = flowEndpoints(this.ctx.flow);
    this.client = e.client;
    this.server = e.server;
  }

  private emitOperation(t: Pending): void {
    if (!this.client) this.endpoints();
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
      code: t.func,
      codeName: functionName(t.func),
      subCode: Opcode.Request,
      subCodeName: opcodeName(Opcode.Request),
      result: t.result,
    };
    if (t.object !== '') ev.object = t.object;
    if (t.quantity >= 0) ev.quantity = t.quantity;
    if (t.detail !== '') ev.detail = t.detail;
    if (t.result === 'exception') {
      ev.exceptionCode = t.exceptionCode;
      ev.exceptionName = t.exceptionName;
    }
    if (t.responseFrame >= 0) ev.responseFrame = t.responseFrame;
    this.ctx.sink.emit(ev);
  }

  /** A fact about the CPU (flow server) or, with aboutClient, the client; once per distinct value per flow. */
  private fact(field: FactField, value: string, confidence: number, aboutClient: boolean): void {
    const key = `${aboutClient ? 'c' : 's'}\u0000${field}\u0000${value}`;
    if (this.facts.has(key)) return;
    if (this.facts.size >= this.maxFacts) {
      this.ctx.count(C.factCap);
      return;
    }
    this.facts.add(key);
    const f = this.ctx.flow;
    const ip = aboutClient ? f.clientIp : f.serverIp;
    const mac = aboutClient ? f.clientMac : f.serverMac;
    this.ctx.sink.emit({
      type: 'asset-fact',
      protocol: PROTOCOL,
      ts: this.curTs,
      frame: this.curFrame,
      captureIndex: this.ctx.captureIndex,
      subject: mac ? { ip, mac } : { ip },
      field,
      value,
      confidence,
    });
  }

  private anomaly(dir: Dir, anomaly: ProtocolAnomalyEvent['anomaly'], detail: string): void {
    if (this.anomalies >= this.maxAnomalies) {
      this.ctx.count(C.anomalyCap);
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
