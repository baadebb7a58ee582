/**
 * Per-flow Modbus/TCP (+ UMAS over FC 90) session: stream framing per direction with bounded buffering and
 * resync, request/response pairing by (transaction id, unit id), operation and asset-fact events.
 *
 * Roles: a request is normally sent by the flow's client. The PDU shape (classifyPdu) can prove an ADU is a
 * response or a request regardless of direction; then
 *  - while the flow's sides were only guessed and no ADU has settled the roles yet, the first decisive ADU
 *    that contradicts the guess makes us call ctx.swapSides() (after which the flow layer delivers the other
 *    direction as ToServer; we swap our per-direction state and endpoints to match);
 *  - otherwise the ADU is processed in the role its shape proves (e.g. exception responses sent by a flow's
 *    initiator, as some test tools and misbehaving gateways do), with its own pending map, and counted.
 *
 * Hot path: an ADU whole inside a segment is decoded in place; bytes are copied only for an ADU split across
 * segments. Per transaction we allocate the emitted event and nothing else: pending records come from a small
 * per-flow pool and live in an intrusive PendingTable (a Map reallocates its table under insert/delete churn).
 */
import { Dir, type AnalyzerContext, type FlowAnalyzer, type PacketMeta } from '../analyzer.js';
import type {
  AssetFactEvent,
  Endpoint,
  FactField,
  OperationEvent,
  OperationKind,
  ProtocolAnomalyEvent,
} from '../../events/types.js';
import {
  deviceIdObjectFact,
  diagnosticName,
  DIAG_FORCE_LISTEN_ONLY,
  DIAG_RESTART_COMMUNICATIONS,
  exceptionName,
  FC,
  functionCodeKind,
  functionCodeName,
  MEI_READ_DEVICE_IDENTIFICATION,
  meiTypeName,
  readDeviceIdCodeName,
  UMAS,
  umasFunctionDetail,
  umasFunctionKind,
  umasFunctionName,
  umasRequestCarriesData,
  UMAS_RESPONSE_ERROR,
  UMAS_RESPONSE_OK,
} from './names.js';
import {
  asciiText,
  decodeUmasReadId,
  umasFirmwareText,
  UmasReadIdFields,
  CAN_BE_REQUEST,
  CAN_BE_RESPONSE,
  classifyPdu,
  decodeRequest,
  decodeResponse,
  findResyncOffset,
  Frame,
  frameAdu,
  MAX_ADU_LEN,
  MBAP_HEADER_LEN,
  MIN_ADU_LEN,
  reportServerIdText,
  RequestFields,
  ResponseFields,
  visitDeviceIdObjects,
  type DeviceIdObjectVisitor,
} from './parser.js';
import { PendingEntry, PendingTable } from '../common/pending-table.js';
import { AnsweredCounting } from '../common/flow-events.js';

/** ADUs looked at to settle guessed sides before we stop trying. */
const ROLE_VOTE_LIMIT = 16;
/** Pending records kept for reuse per flow. */
const POOL_LIMIT = 32;
/** Our per-direction buffer never needs more than two ADUs (a split ADU, or a resync window). */
const WORK_BUFFER_BYTES = 2 * MAX_ADU_LEN;

/** Confidence of identity read from Read Device Identification (protocol-declared). */
const DEVICE_ID_CONFIDENCE = 0.95;
/** UMAS READ_ID: no published layout, but the public decoders agree on the CPU module name field. */
const UMAS_MODEL_CONFIDENCE = 0.9;
/** The firmware word's position is agreed by two public decoders; its BCD form is checked. */
const UMAS_FIRMWARE_CONFIDENCE = 0.85;
/** UMAS is Schneider Electric's own protocol: a device answering READ_ID is a Modicon (or pretends to be). */
const UMAS_VENDOR_CONFIDENCE = 0.8;
/** FC 17's layout is device-specific: the text we pick is a heuristic. */
const SERVER_ID_CONFIDENCE = 0.5;

type AnomalyKind = ProtocolAnomalyEvent['anomaly'];
const ANOMALY_BIT: Record<AnomalyKind, number> = {
  malformed: 1,
  gap: 2,
  resync: 4,
  'transaction-cap': 8,
  'unexpected-response': 16,
  'buffer-cap': 32,
};

/** Stream state of one physical direction. */
class StreamState {
  /** Bytes of an incomplete ADU (or resync tail) carried over from earlier segments. */
  buf: Buffer | null = null;
  len = 0;
  /** Bytes still to discard (rest of an ADU too large for the buffer cap). */
  skip = 0;
  resyncing = false;
}

/** A request awaiting its response (pooled). */
class PendingTransaction extends PendingEntry {
  unit = 0;
  fc = 0;
  subCode = -1;
  address = -1;
  quantity = -1;
  dataBytes = -1;
  extra = -1;
  umasFunction = -1;
  frame = 0;
  ts = 0;
  requesterIsClient = true;
}

interface ServerSubject {
  ip?: string;
  mac?: string;
}

export class ModbusSession implements FlowAnalyzer, DeviceIdObjectVisitor {
  private readonly ctx: AnalyzerContext;
  private readonly bufferCap: number;
  private readonly pendingCap: number;
  /** Physical direction currently carrying client→server bytes, and the other one. */
  private clientStream = new StreamState();
  private serverStream = new StreamState();
  private clientEndpoint: Endpoint;
  private serverEndpoint: Endpoint;
  private clientSubject: ServerSubject;
  private serverSubject: ServerSubject;
  /** Requests sent by the client / by the server (the latter only for role-reversed traffic). */
  private readonly clientRequests = new PendingTable<PendingTransaction>();
  private serverRequests: PendingTable<PendingTransaction> | null = null;
  /**
   * Recycled pending records, linked through `chained` (an array would be trimmed and regrown as it swings
   * between empty and one record, allocating every transaction).
   */
  private pool: PendingTransaction | null = null;
  private pooled = 0;
  private readonly request = new RequestFields();
  private readonly response = new ResponseFields();
  private readonly readId = new UmasReadIdFields();
  private readonly counting = new AnsweredCounting();
  /** Role of the bytes being processed by the current onData call (flips if we swap sides mid-call). */
  private activeFromClient = true;
  private rolesSettled: boolean;
  private roleVotes = 0;
  private anomaliesEmitted = 0;
  private factsSeen: Set<string> | null = null;
  /** Set while visiting device-id objects of one response. */
  private factMeta: PacketMeta | null = null;
  private factSubject: ServerSubject | null = null;
  /** the last well-formed identification response PDU (43/14 or UMAS READ_ID) and whose it was (repeatsLastDeviceId) */
  private deviceIdPdu: Buffer | null = null;
  private deviceIdLen = 0;
  private deviceIdIp: string | undefined = undefined;

  constructor(ctx: AnalyzerContext) {
    this.ctx = ctx;
    this.bufferCap = Math.max(MIN_ADU_LEN, Math.min(ctx.maxBufferBytes, WORK_BUFFER_BYTES));
    this.pendingCap = Math.max(1, ctx.maxPendingTransactions);
    const flow = ctx.flow;
    this.clientEndpoint = makeEndpoint(flow.clientIp, flow.clientPort, flow.clientMac);
    this.serverEndpoint = makeEndpoint(flow.serverIp, flow.serverPort, flow.serverMac);
    this.clientSubject = makeSubject(flow.clientIp, flow.clientMac);
    this.serverSubject = makeSubject(flow.serverIp, flow.serverMac);
    this.rolesSettled = !flow.sidesGuessed;
  }

  onData(dir: Dir, buf: Buffer, off: number, len: number, meta: PacketMeta): void {
    if (len <= 0 || off < 0 || off + len > buf.length) return;
    this.activeFromClient = dir === Dir.ToServer;
    const st = this.activeFromClient ? this.clientStream : this.serverStream;
    const end = off + len;
    let p = off;
    while (p < end) {
      if (st.skip > 0) {
        const n = Math.min(st.skip, end - p);
        st.skip -= n;
        p += n;
        continue;
      }
      if (st.len === 0) {
        p += this.consume(st, buf, p, end - p, meta);
        if (p < end) this.stash(st, buf, p, end - p, meta);
        return;
      }
      // Complete the carried-over bytes: copy only what the pending ADU still needs.
      const want = this.bytesWanted(st, meta);
      if (want < 0) continue; // the carried ADU cannot fit: it was turned into a skip
      const work = st.buf!;
      const take = Math.min(want, end - p, work.length - st.len);
      buf.copy(work, st.len, p, p + take);
      st.len += take;
      p += take;
      const consumed = this.consume(st, work, 0, st.len, meta);
      if (consumed > 0) {
        work.copyWithin(0, consumed, st.len);
        st.len -= consumed;
      } else if (st.len >= work.length || take === 0) {
        // Cannot make progress with what is carried (cap below one ADU): drop it rather than spin.
        this.countAnomaly('buffer-cap', meta);
        st.len = 0;
        st.resyncing = true;
      }
    }
  }

  onGap(dir: Dir, _bytes: number, _meta: PacketMeta): void {
    const st = dir === Dir.ToServer ? this.clientStream : this.serverStream;
    // Whatever was carried belongs to an ADU we can no longer complete, and the bytes after the gap may
    // start anywhere inside one.
    st.len = 0;
    st.skip = 0;
    st.resyncing = true;
  }

  onClose(_meta: PacketMeta): void {
    this.flushUnanswered(this.clientRequests);
    if (this.serverRequests) this.flushUnanswered(this.serverRequests);
    this.clientStream.len = 0;
    this.serverStream.len = 0;
  }

  // ---------------------------------------------------------------------------------------- framing

  /** Frame and handle ADUs in b[off..off+avail); returns the bytes consumed (the rest is incomplete). */
  private consume(st: StreamState, b: Buffer, off: number, avail: number, meta: PacketMeta): number {
    const end = off + avail;
    let p = off;
    while (p < end) {
      if (st.resyncing) {
        const at = findResyncOffset(b, p, end - p);
        if (at > p) this.ctx.count('resync-skipped-bytes', at - p);
        p = at;
        if (end - p < MIN_ADU_LEN) break;
        st.resyncing = false;
        this.countAnomaly('resync', meta);
      }
      const size = frameAdu(b, p, end - p);
      if (size === Frame.Incomplete) break;
      if (size === Frame.Malformed) {
        this.countAnomaly('malformed', meta);
        st.resyncing = true;
        p++;
        continue;
      }
      this.onAdu(b, p, size, meta);
      p += size;
    }
    return p - off;
  }

  /** Bytes to append to the carried-over bytes before trying again; -1 when the ADU became a skip. */
  private bytesWanted(st: StreamState, meta: PacketMeta): number {
    const work = st.buf!;
    if (st.resyncing) return work.length - st.len;
    if (st.len < MBAP_HEADER_LEN) return MBAP_HEADER_LEN - st.len;
    const total = 6 + ((work[4]! << 8) | work[5]!);
    if (total > work.length) {
      this.countAnomaly('buffer-cap', meta);
      st.skip = total - st.len;
      st.len = 0;
      return -1;
    }
    return total - st.len;
  }

  /** Keep the incomplete tail b[off..off+n) for the next segment. */
  private stash(st: StreamState, b: Buffer, off: number, n: number, meta: PacketMeta): void {
    if (st.buf === null) st.buf = Buffer.allocUnsafe(this.bufferCap);
    if (n > st.buf.length) {
      // Only possible when the configured cap is below one ADU: drop it, skipping to its end when known.
      this.countAnomaly('buffer-cap', meta);
      const size = !st.resyncing && n >= MBAP_HEADER_LEN ? 6 + ((b[off + 4]! << 8) | b[off + 5]!) : 0;
      if (size > n) st.skip = size - n;
      else st.resyncing = true;
      st.len = 0;
      return;
    }
    b.copy(st.buf, 0, off, off + n);
    st.len = n;
  }

  // ---------------------------------------------------------------------------------------- transactions

  private onAdu(b: Buffer, p: number, size: number, meta: PacketMeta): void {
    const pduOff = p + MBAP_HEADER_LEN;
    const pduLen = size - MBAP_HEADER_LEN;
    const shape = classifyPdu(b, pduOff, pduLen);
    if (!this.rolesSettled) this.voteRoles(shape);
    let isRequest = this.activeFromClient;
    if (isRequest && shape === CAN_BE_RESPONSE) isRequest = false;
    else if (!isRequest && shape === CAN_BE_REQUEST) isRequest = true;
    if (isRequest !== this.activeFromClient) this.ctx.count('role-mismatch');
    // A request from the client or a response from the server belongs to a client-initiated transaction.
    const requesterIsClient = isRequest === this.activeFromClient;
    const key = ((b[p]! << 8) | b[p + 1]!) * 256 + b[p + 6]!;
    if (isRequest) this.onRequest(b, pduOff, pduLen, key, b[p + 6]!, requesterIsClient, meta);
    else this.onResponse(b, pduOff, pduLen, key, b[p + 6]!, requesterIsClient, meta);
  }

  private voteRoles(shape: number): void {
    if (++this.roleVotes >= ROLE_VOTE_LIMIT) this.rolesSettled = true;
    if (shape !== CAN_BE_REQUEST && shape !== CAN_BE_RESPONSE) return;
    this.rolesSettled = true;
    const looksLikeRequest = shape === CAN_BE_REQUEST;
    if (looksLikeRequest === this.activeFromClient || !this.ctx.flow.sidesGuessed) return;
    this.ctx.swapSides();
    this.ctx.count('sides-swapped');
    const stream = this.clientStream;
    this.clientStream = this.serverStream;
    this.serverStream = stream;
    const endpoint = this.clientEndpoint;
    this.clientEndpoint = this.serverEndpoint;
    this.serverEndpoint = endpoint;
    const subject = this.clientSubject;
    this.clientSubject = this.serverSubject;
    this.serverSubject = subject;
    this.activeFromClient = !this.activeFromClient;
  }

  private onRequest(
    b: Buffer,
    pduOff: number,
    pduLen: number,
    key: number,
    unit: number,
    requesterIsClient: boolean,
    meta: PacketMeta,
  ): void {
    const req = this.request;
    decodeRequest(b, pduOff, pduLen, req);
    if (req.malformed) this.ctx.count('malformed-pdu');
    let pending = requesterIsClient ? this.clientRequests : this.serverRequests;
    if (pending === null) pending = this.serverRequests = new PendingTable();
    const previous = pending.take(key);
    if (previous !== null) {
      // Same transaction id reused before an answer: the earlier request will not be answered any more.
      this.ctx.count('duplicate-transaction');
      this.emitOperation(previous, null, null, null);
      this.release(previous);
    } else if (pending.size >= this.pendingCap) {
      const oldest = pending.oldest!;
      pending.remove(oldest);
      this.countAnomaly('transaction-cap', meta);
      this.emitOperation(oldest, null, null, null);
      this.release(oldest);
    }
    const tx = this.acquire();
    tx.key = key;
    tx.unit = unit;
    tx.fc = req.fc;
    tx.subCode = req.subCode;
    tx.address = req.address;
    tx.quantity = req.quantity;
    tx.dataBytes = req.dataBytes;
    tx.extra = req.extra;
    tx.umasFunction = req.umasFunction;
    tx.frame = meta.frame;
    tx.ts = meta.ts;
    tx.requesterIsClient = requesterIsClient;
    pending.add(tx);
  }

  private onResponse(
    b: Buffer,
    pduOff: number,
    pduLen: number,
    key: number,
    unit: number,
    requesterIsClient: boolean,
    meta: PacketMeta,
  ): void {
    const resp = this.response;
    decodeResponse(b, pduOff, pduLen, resp);
    if (resp.malformed) this.ctx.count('malformed-pdu');
    const pending = requesterIsClient ? this.clientRequests : this.serverRequests;
    const tx = pending === null ? null : pending.get(key);
    if (tx !== null && tx.fc === resp.fc) {
      pending!.remove(tx);
      const fc = tx.fc;
      if (!this.emitAnsweredPoll(tx, resp, meta)) this.emitOperation(tx, resp, meta, null);
      // Only these function codes state facts (emitFacts).
      if (fc === FC.EncapsulatedInterfaceTransport || fc === FC.ReportServerId || fc === FC.Umas) {
        this.emitFacts(fc, fc === FC.Umas ? tx.umasFunction : tx.subCode, b, pduOff, pduLen, requesterIsClient, meta);
      }
      this.release(tx);
      return;
    }
    this.countAnomaly('unexpected-response', meta);
    const orphan = this.acquire();
    orphan.key = key;
    orphan.unit = unit;
    orphan.fc = resp.fc;
    orphan.subCode = resp.subCode;
    orphan.address = resp.address;
    orphan.quantity = resp.quantity;
    orphan.dataBytes = -1;
    orphan.extra = -1;
    orphan.umasFunction = -1;
    orphan.frame = meta.frame;
    orphan.ts = meta.ts;
    orphan.requesterIsClient = requesterIsClient;
    this.emitOperation(orphan, resp, meta, 'orphan');
    // A UMAS response does not say which function it answers: without its request we decode nothing from it.
    this.emitFacts(resp.fc, resp.fc === FC.Umas ? -1 : resp.subCode, b, pduOff, pduLen, requesterIsClient, meta);
    this.release(orphan);
  }

  private release(tx: PendingTransaction): void {
    if (this.pooled >= POOL_LIMIT) return;
    tx.chained = this.pool;
    this.pool = tx;
    this.pooled++;
  }

  private acquire(): PendingTransaction {
    const tx = this.pool;
    if (tx === null) return new PendingTransaction();
    this.pool = tx.chained as PendingTransaction | null;
    this.pooled--;
    return tx;
  }

  private flushUnanswered(pending: PendingTable<PendingTransaction>): void {
    for (let tx = pending.oldest; tx !== null; ) {
      const next = pending.newerThan(tx);
      this.emitOperation(tx, null, null, null);
      this.release(tx);
      tx = next;
    }
    pending.clear();
  }

  // ---------------------------------------------------------------------------------------- events

  /**
   * The polling case, kept apart from emitOperation so the function every answered read or write goes through
   * stays small: a public function code without sub-function, file or UMAS refinement, answered normally.
   * Returns false (nothing done) for anything else, which emitOperation handles.
   */
  private emitAnsweredPoll(tx: PendingTransaction, resp: ResponseFields, respMeta: PacketMeta): boolean {
    const fc = tx.fc;
    if (
      fc === FC.Umas ||
      fc === FC.Diagnostics ||
      fc === FC.EncapsulatedInterfaceTransport ||
      fc === FC.ReadFileRecord ||
      fc === FC.WriteFileRecord ||
      tx.address < 0 ||
      tx.quantity < 0 ||
      resp.exceptionCode >= 0 ||
      resp.umasStatus === UMAS_RESPONSE_ERROR
    ) {
      return false;
    }
    const kind = functionCodeKind(fc);
    const ctx = this.ctx;
    const sink = ctx.sink;
    if (this.counting.counts(sink, 'modbus', kind)) {
      const fromClient = tx.requesterIsClient;
      sink.countOperation!(
        ctx.captureIndex, ctx.flow.id, 'modbus', kind,
        fromClient ? this.clientEndpoint : this.serverEndpoint,
        fromClient ? this.serverEndpoint : this.clientEndpoint,
      );
      return true;
    }
    this.emitPollEvent(tx, 'modbus', kind, fc, functionCodeName(fc), tx.dataBytes, respMeta.frame);
    return true;
  }

  /**
   * An answered poll's event (a read or write answered normally) in one allocation with its final shape: the same
   * keys in the same order as emitOperation's general path builds them, so consumers see one object shape.
   */
  private emitPollEvent(
    tx: PendingTransaction,
    protocol: 'modbus' | 'umas',
    kind: OperationKind,
    code: number,
    codeName: string,
    dataBytes: number,
    responseFrame: number,
  ): void {
    const ctx = this.ctx;
    const fromClient = tx.requesterIsClient;
    const src = fromClient ? this.clientEndpoint : this.serverEndpoint;
    const dst = fromClient ? this.serverEndpoint : this.clientEndpoint;
    ctx.sink.emit(
      dataBytes < 0
        ? {
            type: 'operation', protocol, ts: tx.ts, frame: tx.frame, captureIndex: ctx.captureIndex, flowId: ctx.flow.id,
            src, dst, kind, code, codeName, unit: tx.unit, result: 'ok', address: tx.address, quantity: tx.quantity,
            responseFrame,
          }
        : {
            type: 'operation', protocol, ts: tx.ts, frame: tx.frame, captureIndex: ctx.captureIndex, flowId: ctx.flow.id,
            src, dst, kind, code, codeName, unit: tx.unit, result: 'ok', address: tx.address, quantity: tx.quantity,
            dataBytes, responseFrame,
          },
    );
  }

  /**
   * One operation per transaction: request fields from `tx`, outcome from `resp` (null = no response).
   * `orphan` marks a response seen without its request (tx then holds what the response carries).
   */
  private emitOperation(
    tx: PendingTransaction,
    resp: ResponseFields | null,
    respMeta: PacketMeta | null,
    orphan: 'orphan' | null,
  ): void {
    const ctx = this.ctx;
    const fc = tx.fc;
    const isUmas = fc === FC.Umas && tx.umasFunction >= 0;
    let kind: OperationKind;
    let code: number;
    let codeName: string;
    let detail: string | undefined;
    let subCodeName: string | undefined;
    let dataBytes = tx.dataBytes;
    let object: string | undefined;
    if (isUmas) {
      code = tx.umasFunction;
      codeName = umasFunctionName(code);
      kind = umasFunctionKind(code);
      detail = umasFunctionDetail(code);
      if (!umasRequestCarriesData(code)) dataBytes = -1;
      if (code === UMAS.DownloadBlock && resp !== null && resp.exceptionCode < 0) dataBytes = resp.dataBytes;
    } else {
      code = fc;
      codeName = functionCodeName(fc);
      kind = functionCodeKind(fc);
      if (fc === FC.Diagnostics && tx.subCode >= 0) {
        subCodeName = diagnosticName(tx.subCode);
        if (tx.subCode === DIAG_RESTART_COMMUNICATIONS) {
          kind = 'restart';
          detail = 'communications';
        } else if (tx.subCode === DIAG_FORCE_LISTEN_ONLY) {
          kind = 'mode-change';
          detail = 'listen-only';
        }
      } else if (fc === FC.EncapsulatedInterfaceTransport && tx.subCode >= 0) {
        subCodeName = meiTypeName(tx.subCode);
        if (tx.subCode === MEI_READ_DEVICE_IDENTIFICATION) {
          kind = 'identify';
          codeName = 'read_device_identification';
          if (tx.extra >= 0) detail = readDeviceIdCodeName(tx.extra);
        }
      } else if (fc === FC.ReadFileRecord || fc === FC.WriteFileRecord) {
        if (tx.extra >= 0) object = `file:${tx.extra}`;
        if (fc === FC.ReadFileRecord && resp !== null && resp.exceptionCode < 0) dataBytes = resp.dataBytes;
      }
    }
    const requesterIsClient = tx.requesterIsClient;
    if (
      resp !== null &&
      orphan === null &&
      subCodeName === undefined &&
      object === undefined &&
      detail === undefined &&
      tx.address >= 0 &&
      tx.quantity >= 0 &&
      resp.exceptionCode < 0 &&
      resp.umasStatus !== UMAS_RESPONSE_ERROR
    ) {
      // The polling case (reads and writes answered normally): counted without an event when nobody reads it
      // individually, else the event in one allocation with its final shape, the same keys in the same order as
      // the general path below builds them.
      const sink = ctx.sink;
      if (this.counting.counts(sink, isUmas ? 'umas' : 'modbus', kind)) {
        sink.countOperation!(
          ctx.captureIndex, ctx.flow.id, isUmas ? 'umas' : 'modbus', kind,
          requesterIsClient ? this.clientEndpoint : this.serverEndpoint,
          requesterIsClient ? this.serverEndpoint : this.clientEndpoint,
        );
        return;
      }
      this.emitPollEvent(tx, isUmas ? 'umas' : 'modbus', kind, code, codeName, dataBytes, respMeta!.frame);
      return;
    }
    const event: OperationEvent = {
      type: 'operation',
      protocol: isUmas ? 'umas' : 'modbus',
      ts: tx.ts,
      frame: tx.frame,
      captureIndex: ctx.captureIndex,
      flowId: ctx.flow.id,
      src: requesterIsClient ? this.clientEndpoint : this.serverEndpoint,
      dst: requesterIsClient ? this.serverEndpoint : this.clientEndpoint,
      kind,
      code,
      codeName,
      unit: tx.unit,
      result: 'no-response',
    };
    if (subCodeName !== undefined) {
      event.subCode = tx.subCode;
      event.subCodeName = subCodeName;
    }
    if (object !== undefined) event.object = object;
    if (tx.address >= 0) event.address = tx.address;
    if (tx.quantity >= 0) event.quantity = tx.quantity;
    if (detail !== undefined) event.detail = detail;
    if (dataBytes >= 0) event.dataBytes = dataBytes;
    if (resp !== null) {
      event.responseFrame = respMeta!.frame;
      if (resp.exceptionCode >= 0) {
        event.result = 'exception';
        event.exceptionCode = resp.exceptionCode;
        event.exceptionName = exceptionName(resp.exceptionCode);
      } else if (resp.umasStatus === UMAS_RESPONSE_ERROR) {
        event.result = 'exception';
        event.exceptionName = 'umas_error';
      } else {
        event.result = 'ok';
      }
    }
    if (orphan !== null) event.frame = respMeta!.frame;
    ctx.sink.emit(event);
  }

  /** `subFunction`: the MEI type for FC 43, the UMAS function for FC 90 (-1 when unknown). */
  private emitFacts(
    fc: number,
    subFunction: number,
    b: Buffer,
    pduOff: number,
    pduLen: number,
    requesterIsClient: boolean,
    meta: PacketMeta,
  ): void {
    if (this.response.exceptionCode >= 0) return;
    const subject = requesterIsClient ? this.serverSubject : this.clientSubject;
    if (fc === FC.EncapsulatedInterfaceTransport && subFunction === MEI_READ_DEVICE_IDENTIFICATION) {
      if (this.repeatsLastDeviceId(subject, b, pduOff, pduLen)) return;
      this.factMeta = meta;
      this.factSubject = subject;
      const objects = visitDeviceIdObjects(b, pduOff, pduLen, this);
      this.factMeta = null;
      this.factSubject = null;
      if (objects < 0) this.ctx.count('malformed-pdu');
      else this.rememberDeviceId(subject, b, pduOff, pduLen);
    } else if (fc === FC.ReportServerId) {
      const text = reportServerIdText(b, pduOff, pduLen);
      if (text !== '') this.emitFact(subject, 'product', text, SERVER_ID_CONFIDENCE, meta);
    } else if (fc === FC.Umas && subFunction === UMAS.ReadId && this.response.umasStatus === UMAS_RESPONSE_OK) {
      this.umasReadIdFacts(subject, b, pduOff, pduLen, meta);
    }
  }

  /** UMAS READ_ID response: CPU module name and firmware (layout and sources in parser.ts). */
  private umasReadIdFacts(subject: ServerSubject, b: Buffer, pduOff: number, pduLen: number, meta: PacketMeta): void {
    if (this.repeatsLastDeviceId(subject, b, pduOff, pduLen)) return;
    const id = this.readId;
    if (!decodeUmasReadId(b, pduOff, pduLen, id)) {
      this.ctx.count('umas-read-id-malformed');
      return;
    }
    const model = asciiText(b, id.nameOff, id.nameLen);
    if (model !== '') {
      this.emitFact(subject, 'vendor', 'Schneider Electric', UMAS_VENDOR_CONFIDENCE, meta);
      this.emitFact(subject, 'model', model, UMAS_MODEL_CONFIDENCE, meta);
    }
    if (id.firmware >= 0) this.emitFact(subject, 'firmware', umasFirmwareText(id.firmware), UMAS_FIRMWARE_CONFIDENCE, meta);
    this.rememberDeviceId(subject, b, pduOff, pduLen);
  }

  /**
   * Inventory tools and HMIs re-read the identification (43/14 or UMAS READ_ID) all day and get the same answer.
   * When a well-formed response repeats the last one `subject` sent byte for byte, every fact in it was emitted already (facts are
   * keyed by ip, field and value): nothing to decode.
   */
  private repeatsLastDeviceId(subject: ServerSubject, b: Buffer, pduOff: number, pduLen: number): boolean {
    const last = this.deviceIdPdu;
    if (last === null || pduLen !== this.deviceIdLen || subject.ip !== this.deviceIdIp) return false;
    for (let i = 0; i < pduLen; i++) if (last[i] !== b[pduOff + i]) return false;
    return true;
  }

  private rememberDeviceId(subject: ServerSubject, b: Buffer, pduOff: number, pduLen: number): void {
    const copy = (this.deviceIdPdu ??= Buffer.allocUnsafe(MAX_ADU_LEN));
    this.deviceIdLen = b.copy(copy, 0, pduOff, pduOff + pduLen);
    this.deviceIdIp = subject.ip;
  }

  /** DeviceIdObjectVisitor: one object of a Read Device Identification response. */
  onDeviceIdObject(objectId: number, buf: Uint8Array, valueOff: number, valueLen: number): void {
    const field = deviceIdObjectFact(objectId);
    if (field === undefined || this.factMeta === null || this.factSubject === null) return;
    const value = asciiText(buf, valueOff, valueLen);
    if (value !== '') this.emitFact(this.factSubject, field, value, DEVICE_ID_CONFIDENCE, this.factMeta);
  }

  private emitFact(subject: ServerSubject, field: FactField, value: string, confidence: number, meta: PacketMeta): void {
    const seen = (this.factsSeen ??= new Set());
    const dedupeKey = `${subject.ip ?? ''}|${field}|${value}`;
    if (seen.has(dedupeKey)) return;
    seen.add(dedupeKey);
    const event: AssetFactEvent = {
      type: 'asset-fact',
      protocol: 'modbus',
      ts: meta.ts,
      frame: meta.frame,
      captureIndex: this.ctx.captureIndex,
      subject,
      field,
      value,
      confidence,
    };
    this.ctx.sink.emit(event);
  }

  /** Count every occurrence; emit one anomaly event per kind per flow (counters carry the totals). */
  private countAnomaly(kind: AnomalyKind, meta: PacketMeta): void {
    this.ctx.count(kind);
    const bit = ANOMALY_BIT[kind];
    if ((this.anomaliesEmitted & bit) !== 0) return;
    this.anomaliesEmitted |= bit;
    const event: ProtocolAnomalyEvent = {
      type: 'anomaly',
      protocol: 'modbus',
      ts: meta.ts,
      frame: meta.frame,
      captureIndex: this.ctx.captureIndex,
      flowId: this.ctx.flow.id,
      src: this.activeFromClient ? this.clientEndpoint : this.serverEndpoint,
      dst: this.activeFromClient ? this.serverEndpoint : this.clientEndpoint,
      anomaly: kind,
    };
    this.ctx.sink.emit(event);
  }
}

function makeEndpoint(ip: string, port: number, mac: string): Endpoint {
  return mac === '' ? { ip, port } : { ip, port, mac };
}

function makeSubject(ip: string, mac: string): ServerSubject {
  return mac === '' ? { ip } : { ip, mac };
}
