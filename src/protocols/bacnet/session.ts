/**
 * Per-flow BACnet/IP state (UDP 47808; one datagram = one BVLC message).
 *
 * - BVLC: NPDU-carrying functions are decoded further; BBMD management (Write/Read-BDT, Register-Foreign-
 *   Device, Read-FDT, Delete-FDT-Entry) are operations answered by BVLC-Result or a table ack. A Forwarded-NPDU
 *   names the device that really sent it: asset facts go to that address, not to the forwarding BBMD.
 * - NPDU: network-layer messages are one-shot operations; APDUs are decoded by type.
 * - Confirmed requests pair with their simple/complex ack, error, reject or abort by invoke id, per requesting
 *   side (bounded by maxPendingTransactions). Unconfirmed services are one-shot events.
 * - Device identity: I-Am (instance, vendor) and ReadProperty(-Multiple) acks on the device object (vendor and
 *   model name, firmware, software version, object name, serial number); segmented acks of those services are
 *   reassembled (bounded by maxBufferBytes) before their values are read.
 * Broadcasts (Who-Is to the subnet, I-Am answers) are separate UDP flows; each message is its own event.
 */
import type { FactField, OperationEvent, OperationKind, OperationResult } from '../../events/types.js';
import { Dir, type AnalyzerContext, type FlowAnalyzer, type PacketMeta } from '../analyzer.js';
import { DEFAULT_FLOW_EVENT_LIMITS, FlowEvents } from '../common/flow-events.js';
import { registryName } from '../../util/registries.js';
import { isGroupMacText } from '../../model/address-class.js';
import {
  APP_TAG, Apdu, Bvlc, BVLC_TYPE_IPV6, Npdu, Status, Tag, decodeCharacterString, ipv4Text, objectInstanceOf, objectTypeOf,
  parseApdu, parseBvlc, parseNpdu, readTag, readUnsigned,
} from './parser.js';
import {
  RequestInfo, decodeConfirmedRequest, decodeError, decodeUnconfirmedRequest, visitReadPropertyAck, visitReadPropertyMultipleAck,
  type PropertyVisitor,
} from './services.js';
import {
  ABORT_REASON_NAMES, APDU_TYPE, APDU_TYPE_NAMES, BVLC_FUNCTION, BVLC_FUNCTION_NAMES, BVLC_RESULT_NAMES, CONFIRMED, DCC_STATES,
  ERROR_CLASS_NAMES, ERROR_CODE_NAMES, OBJECT_TYPE, PROPERTY, REINITIALIZE_STATES, REJECT_REASON_NAMES, SEGMENTATION_NAMES, UNCONFIRMED,
  bvlcRequestKind, confirmedServiceKind, confirmedServiceName, networkMessageKind, networkMessageName, objectTypeName, propertyName,
  snake, unconfirmedServiceKind, unconfirmedServiceName,
} from './names.js';
import { PendingRequests } from '../common/pending-requests.js';

const BVLC_COUNTERS = BVLC_FUNCTION_NAMES.map((name) => `bvlc-${name}`);
/** Messages without a request/answer (broadcast Who-Is/I-Am traffic) after which the guessed sides stand. */
const MAX_MESSAGES_TO_SETTLE_SIDES = 8;
/** Distinct facts remembered per flow to avoid re-emitting them on every I-Am. */
const MAX_FACTS_REMEMBERED = 256;
const MAX_FACT_CHARS = 128;
/** The wildcard device instance (clause 12.11.1): not an identity. */
const WILDCARD_INSTANCE = 0x3fffff;

/**
 * Slots of the per-flow memo of request object texts ("analog-input,3 property 85 (present-value)"): a
 * poller cycles through a handful of points, so each text is built once per flow instead of per request.
 * Direct-mapped; a collision only rebuilds a string, nothing is lost, so it is not a counted cap.
 */
const OBJECT_TEXT_SLOTS = 32;

/** Reassembly of one segmented complex ack per direction (only for services whose values we read). */
class Reassembly {
  active = false;
  invokeId = -1;
  service = -1;
  nextSequence = 0;
  length = 0;
  buf: Buffer | null = null;
}

const FACT_OF_PROPERTY: ReadonlyMap<number, FactField> = new Map([
  [PROPERTY.VENDOR_NAME, 'vendor'],
  [PROPERTY.MODEL_NAME, 'model'],
  [PROPERTY.FIRMWARE_REVISION, 'firmware'],
  [PROPERTY.APPLICATION_SOFTWARE_VERSION, 'software'],
  [PROPERTY.OBJECT_NAME, 'device-name'],
  [PROPERTY.SERIAL_NUMBER, 'serial'],
  [PROPERTY.VENDOR_IDENTIFIER, 'vendor-id'],
  [PROPERTY.OBJECT_IDENTIFIER, 'station-name'],
]);

export class BacnetSession implements FlowAnalyzer, PropertyVisitor {
  private readonly ev: FlowEvents;
  private readonly bvlc = new Bvlc();
  private readonly npdu = new Npdu();
  private readonly apdu = new Apdu();
  private readonly tag = new Tag();
  private readonly info = new RequestInfo();
  private readonly ackInfo = new RequestInfo();
  /** confirmed requests awaiting an answer, by requester dir * 256 + invoke id (event.code is the service) */
  private readonly pending = new PendingRequests<OperationEvent>();
  /** object text memo: the four numbers it was built from per slot (object type -1 = empty slot) */
  private readonly objectTextKeys = new Float64Array(OBJECT_TEXT_SLOTS * 4).fill(-1);
  private readonly objectTexts: string[] = new Array<string>(OBJECT_TEXT_SLOTS).fill('');
  /** outstanding BVLC management request per requesting side (BBMDs answer one at a time) */
  private readonly pendingBvlc: [OperationEvent | null, OperationEvent | null] = [null, null];
  private readonly reassembly = [new Reassembly(), new Reassembly()];
  private readonly factsSeen = new Set<string>();
  private messages = 0;
  private sidesSettled = false;
  /** fact subject of the message being decoded: the sender, or a Forwarded-NPDU's originator; '' = none */
  private subjectIp = '';
  private subjectMac = '';

  constructor(private readonly ctx: AnalyzerContext) {
    this.ev = new FlowEvents(ctx, 'bacnet', DEFAULT_FLOW_EVENT_LIMITS, 'bare');
  }

  onData(dir: Dir, buf: Buffer, off: number, len: number, meta: PacketMeta): void {
    this.ev.meta = meta;
    const bvlc = this.bvlc;
    const status = parseBvlc(buf, off, len, bvlc);
    if (status !== Status.Ok) {
      if (status === Status.NotBacnet && len >= 1 && buf[off] === BVLC_TYPE_IPV6) {
        this.ctx.count('bvlc-ipv6-unsupported');
        return;
      }
      this.malformed(dir, status === Status.NotBacnet ? 'not a BVLC message (type/function)' : 'BVLC length does not match the datagram');
      return;
    }
    this.messages++;
    if (!this.sidesSettled) dir = this.settleSides(dir, buf, off, len);
    this.ctx.count(BVLC_COUNTERS[bvlc.fn]!);
    const end = off + len;
    if (bvlc.npduOff >= 0) {
      if (bvlc.originIp >= 0) {
        this.subjectIp = ipv4Text(bvlc.originIp);
        this.subjectMac = '';
      } else this.senderSubject(dir);
      this.onNpdu(dir, buf, bvlc.npduOff, end);
      return;
    }
    this.onBvlcManagement(dir, buf, off, end);
  }

  onGap(dir: Dir, _bytes: number, meta: PacketMeta): void {
    // UDP has no stream to lose bytes from; a gap would only mean the flow layer changed its mind.
    this.ev.meta = meta;
    this.reassembly[dir].active = false;
    this.ctx.count('gap');
  }

  onClose(meta: PacketMeta): void {
    this.ev.meta = meta;
    this.pending.drainTo(this.ctx.sink);
    for (let i = 0; i < 2; i++) {
      const e = this.pendingBvlc[i];
      if (e) this.ctx.sink.emit(e);
      this.pendingBvlc[i] = null;
    }
  }

  // ------------------------------------------------------------------------------------------ sides

  /**
   * Both ends usually use 47808, so the flow layer can only guess who is client. The first decisive message
   * settles it: a confirmed request or BBMD management request comes from the client, an ack/error/reject or a
   * BVLC-Result/table ack from the server. Nothing is pending before that message, so flipping is safe.
   */
  private settleSides(dir: Dir, buf: Buffer, off: number, len: number): Dir {
    if (!this.ctx.flow.sidesGuessed) {
      this.sidesSettled = true;
      return dir;
    }
    let fromClient = -1; // 1: sender is the client, 0: sender is the server, -1: undecided
    const fn = this.bvlc.fn;
    if (fn === BVLC_FUNCTION.RESULT || fn === BVLC_FUNCTION.READ_BDT_ACK || fn === BVLC_FUNCTION.READ_FDT_ACK) fromClient = 0;
    else if (bvlcRequestKind(fn) !== null) fromClient = 1;
    else if (this.bvlc.npduOff >= 0 && parseNpdu(buf, this.bvlc.npduOff, off + len, this.npdu) === Status.Ok && !this.npdu.networkMessage) {
      const p = this.npdu.payloadOff;
      if (p < off + len) {
        const type = buf[p]! >> 4;
        if (type === APDU_TYPE.CONFIRMED_REQUEST) fromClient = 1;
        else if (type === APDU_TYPE.SIMPLE_ACK || type === APDU_TYPE.COMPLEX_ACK || type === APDU_TYPE.ERROR || type === APDU_TYPE.REJECT) fromClient = 0;
      }
    }
    if (fromClient < 0) {
      if (this.messages >= MAX_MESSAGES_TO_SETTLE_SIDES) this.sidesSettled = true;
      return dir;
    }
    this.sidesSettled = true;
    if ((fromClient === 1) === (dir === Dir.ToServer)) {
      this.ctx.confirmSides();
      return dir;
    }
    this.ctx.swapSides();
    this.ctx.count('sides-swapped');
    this.ev.refreshEndpoints();
    return dir === Dir.ToServer ? Dir.ToClient : Dir.ToServer;
  }

  private senderSubject(dir: Dir): void {
    const e = this.ev.sender(dir);
    // A group MAC on the sending side means the flow's "sender" is really a broadcast address (some stacks
    // echo broadcasts with the destination as source): nothing it says is about a host.
    if (e.mac !== undefined && isGroupMacText(e.mac)) {
      this.subjectIp = '';
      this.subjectMac = '';
      return;
    }
    this.subjectIp = e.ip;
    this.subjectMac = e.mac ?? '';
  }

  // ------------------------------------------------------------------------------------------ BVLC

  private onBvlcManagement(dir: Dir, buf: Buffer, off: number, end: number): void {
    const bvlc = this.bvlc;
    const fn = bvlc.fn;
    if (fn === BVLC_FUNCTION.SECURE_BVLL) return; // BACnet/SC-style secured payload: opaque, counted above
    const kind = bvlcRequestKind(fn);
    if (kind !== null) {
      const event = this.baseEvent(dir, kind, fn, BVLC_FUNCTION_NAMES[fn]!, 'no-response');
      if (fn === BVLC_FUNCTION.WRITE_BDT) event.quantity = Math.floor((end - off - 4) / 10);
      else if (fn === BVLC_FUNCTION.REGISTER_FOREIGN_DEVICE) event.detail = `ttl ${buf.readUInt16BE(off + 4)} s`;
      else if (fn === BVLC_FUNCTION.DELETE_FDT_ENTRY) event.object = `fdt-entry ${ipv4Text(buf.readUInt32BE(off + 4))}:${buf.readUInt16BE(off + 8)}`;
      const previous = this.pendingBvlc[dir];
      if (previous) this.ctx.sink.emit(previous);
      this.pendingBvlc[dir] = event;
      return;
    }
    // An answer: BVLC-Result or a table ack, to the other side's outstanding request.
    const requester = dir === Dir.ToServer ? Dir.ToClient : Dir.ToServer;
    const event = this.pendingBvlc[requester];
    if (!event) {
      this.ctx.count('bvlc-unsolicited-answer');
      return;
    }
    this.pendingBvlc[requester] = null;
    event.responseFrame = this.ev.meta.frame;
    if (fn === BVLC_FUNCTION.RESULT && bvlc.resultCode !== 0) {
      event.result = 'exception';
      event.exceptionCode = bvlc.resultCode;
      event.exceptionName = BVLC_RESULT_NAMES.get(bvlc.resultCode) ?? `bvlc_result_0x${bvlc.resultCode.toString(16)}`;
    } else {
      event.result = 'ok';
      if (fn === BVLC_FUNCTION.READ_BDT_ACK || fn === BVLC_FUNCTION.READ_FDT_ACK) {
        // BDT entries: address, port, mask; FDT entries: address, port, TTL, time remaining — 10 octets each.
        event.quantity = Math.floor((end - off - 4) / 10);
      }
    }
    this.ev.emitAnswered(event);
  }

  // ------------------------------------------------------------------------------------------ NPDU

  private onNpdu(dir: Dir, buf: Buffer, off: number, end: number): void {
    const npdu = this.npdu;
    const status = parseNpdu(buf, off, end, npdu);
    if (status !== Status.Ok) {
      this.malformed(dir, status === Status.NotBacnet ? 'NPDU version is not 1' : status === Status.Truncated ? 'NPDU header truncated' : 'NPDU address fields invalid');
      return;
    }
    // A routed message's sender is a router: what it says about the device must not be pinned on that IP.
    if (npdu.snet >= 0) {
      this.ctx.count('routed-from-remote-network');
      this.subjectIp = '';
      this.subjectMac = '';
    }
    if (npdu.networkMessage) {
      this.onNetworkMessage(dir, buf, npdu.payloadOff, end);
      return;
    }
    this.onApdu(dir, buf, npdu.payloadOff, end);
  }

  private onNetworkMessage(dir: Dir, buf: Buffer, off: number, end: number): void {
    const type = this.npdu.messageType;
    this.ctx.count('network-message');
    const event = this.baseEvent(dir, networkMessageKind(type), type, networkMessageName(type), 'unknown');
    if (type === 0x00 && off + 2 <= end) event.address = buf.readUInt16BE(off);
    else if (type === 0x01 || type === 0x04 || type === 0x05) event.quantity = (end - off) >> 1;
    else if (type >= 0x80) event.detail = `vendor ${this.npdu.vendorId}`;
    this.ctx.sink.emit(event);
  }

  // ------------------------------------------------------------------------------------------ APDU

  private onApdu(dir: Dir, buf: Buffer, off: number, end: number): void {
    const apdu = this.apdu;
    const status = parseApdu(buf, off, end, apdu);
    if (status !== Status.Ok) {
      this.malformed(dir, status === Status.Truncated ? 'APDU header truncated' : 'reserved APDU type');
      return;
    }
    switch (apdu.type) {
      case APDU_TYPE.CONFIRMED_REQUEST:
        this.onConfirmedRequest(dir, buf, end);
        return;
      case APDU_TYPE.UNCONFIRMED_REQUEST:
        this.onUnconfirmedRequest(dir, buf, end);
        return;
      case APDU_TYPE.SEGMENT_ACK:
        this.ctx.count(apdu.nak ? 'segment-nak' : 'segment-ack');
        return;
      default:
        this.onAnswer(dir, buf, end);
    }
  }

  private onConfirmedRequest(dir: Dir, buf: Buffer, end: number): void {
    const apdu = this.apdu;
    const key = dir * 256 + apdu.invokeId;
    const service = apdu.service;
    if (apdu.segmented && apdu.sequence > 0) {
      // A later segment of a request already reported with its first segment.
      const p = this.pending.get(key);
      this.ctx.count('request-segment');
      if (p && p.code === service && p.dataBytes !== undefined) p.dataBytes += end - apdu.dataOff;
      return;
    }
    const info = this.info;
    decodeConfirmedRequest(service, buf, apdu.dataOff, end, info, this.tag);
    if (info.malformed && !apdu.segmented) this.serviceMalformed(dir, service, true);
    const event = this.baseEvent(dir, confirmedServiceKind(service), service, confirmedServiceName(service), 'no-response');
    this.describeRequest(event, service, true);
    this.routedTarget(event, buf);
    if (apdu.segmented && event.dataBytes === undefined && (event.kind === 'write' || event.kind === 'file-transfer')) event.dataBytes = end - apdu.dataOff;
    const previous = this.pending.get(key);
    if (previous) {
      // Same invoke id before an answer: the first attempt went unanswered (a retry) or the id was reused.
      this.pending.delete(key);
      this.ctx.count('invoke-id-reused');
      this.ctx.sink.emit(previous);
    }
    if (this.pending.size >= this.ctx.maxPendingTransactions) {
      const oldestKey = this.pending.oldestKey();
      const oldest = this.pending.get(oldestKey)!;
      this.pending.delete(oldestKey);
      this.ev.anomaly(dir, 'transaction-cap', 'too many confirmed requests awaiting an answer');
      this.ctx.sink.emit(oldest);
    }
    this.pending.add(key, event);
  }

  private onUnconfirmedRequest(dir: Dir, buf: Buffer, end: number): void {
    const service = this.apdu.service;
    const info = this.info;
    decodeUnconfirmedRequest(service, buf, this.apdu.dataOff, end, info, this.tag);
    if (info.malformed) this.serviceMalformed(dir, service, false);
    const event = this.baseEvent(dir, unconfirmedServiceKind(service), service, unconfirmedServiceName(service), 'unknown');
    this.describeRequest(event, service, false);
    this.routedTarget(event, buf);
    this.ctx.sink.emit(event);
    if (service === UNCONFIRMED.I_AM && !info.malformed) this.iAmFacts(info);
  }

  /** Simple/complex ack, error, reject, abort: completes the request the other side sent with this invoke id. */
  private onAnswer(dir: Dir, buf: Buffer, end: number): void {
    const apdu = this.apdu;
    const requester = dir === Dir.ToServer ? Dir.ToClient : Dir.ToServer;
    const key = requester * 256 + apdu.invokeId;
    if (apdu.type === APDU_TYPE.COMPLEX_ACK && apdu.segmented && apdu.sequence > 0) {
      this.ctx.count('response-segment');
      this.continueReassembly(dir, buf, end);
      return;
    }
    let pKey = key;
    let p = this.pending.get(key);
    // Reject and abort carry no service; an error/ack naming another service is not the answer to this request.
    if (p && apdu.service >= 0 && p.code !== apdu.service) {
      this.ctx.count('service-mismatch');
      p = undefined;
    }
    // An abort may come from either side (a client aborting its own transaction).
    if (!p && apdu.type === APDU_TYPE.ABORT && !apdu.server) {
      const ownKey = dir * 256 + apdu.invokeId;
      const own = this.pending.get(ownKey);
      if (own) {
        p = own;
        pKey = ownKey;
      }
    }
    let event: OperationEvent;
    if (p) {
      this.pending.delete(pKey);
      event = p;
    } else {
      if (apdu.service < 0) {
        // A reject/abort for a request we never saw tells nothing about what was asked.
        this.ctx.count('unmatched-reject-abort');
        return;
      }
      // The request was not captured: the answer still tells which service was used.
      this.ctx.count('unexpected-response');
      event = this.baseEvent(requester, confirmedServiceKind(apdu.service), apdu.service, confirmedServiceName(apdu.service), 'unknown');
      event.subCode = APDU_TYPE.CONFIRMED_REQUEST;
      event.subCodeName = APDU_TYPE_NAMES[APDU_TYPE.CONFIRMED_REQUEST]!;
    }
    event.responseFrame = this.ev.meta.frame;
    this.complete(dir, event, buf, end);
    this.ev.emitAnswered(event);
  }


  private complete(dir: Dir, event: OperationEvent, buf: Buffer, end: number): void {
    const apdu = this.apdu;
    switch (apdu.type) {
      case APDU_TYPE.SIMPLE_ACK:
        event.result = 'ok';
        return;
      case APDU_TYPE.COMPLEX_ACK:
        event.result = 'ok';
        this.onComplexAck(dir, event, buf, end);
        return;
      case APDU_TYPE.ERROR: {
        event.result = 'exception';
        const classCode = decodeError(buf, apdu.dataOff, end, this.tag);
        if (classCode < 0) {
          this.malformed(dir, 'Error PDU without error class and code');
          event.exceptionName = 'error';
          return;
        }
        const errorClass = classCode >>> 16;
        const code = classCode & 0xffff;
        event.exceptionCode = code;
        event.exceptionName = `${ERROR_CLASS_NAMES[errorClass] ?? `class_${errorClass}`}:${snake(ERROR_CODE_NAMES.get(code) ?? `code-${code}`)}`;
        return;
      }
      case APDU_TYPE.REJECT:
        event.result = 'exception';
        event.exceptionCode = apdu.reason;
        event.exceptionName = `reject:${snake(REJECT_REASON_NAMES[apdu.reason] ?? `reason-${apdu.reason}`)}`;
        return;
      case APDU_TYPE.ABORT:
        event.result = 'exception';
        event.exceptionCode = apdu.reason;
        event.exceptionName = `abort:${snake(ABORT_REASON_NAMES[apdu.reason] ?? `reason-${apdu.reason}`)}`;
        return;
    }
  }

  private onComplexAck(dir: Dir, event: OperationEvent, buf: Buffer, end: number): void {
    const apdu = this.apdu;
    const service = apdu.service;
    const readsValues = service === CONFIRMED.READ_PROPERTY || service === CONFIRMED.READ_PROPERTY_MULTIPLE;
    if (apdu.segmented) {
      if (readsValues) this.startReassembly(dir, buf, end);
      return;
    }
    if (service === CONFIRMED.ATOMIC_READ_FILE) {
      // fileAccessMethod [0] { endOfFile BOOLEAN? ... } — the data are the octet strings inside.
      let bytes = 0;
      const t = this.tag;
      for (let p = apdu.dataOff, i = 0; p < end && i < 64 && readTag(buf, p, end, t); i++, p = t.next) {
        if (!t.context && t.number === APP_TAG.OCTET_STRING) bytes += t.valueLen;
      }
      event.dataBytes = bytes;
      return;
    }
    if (readsValues) this.readValues(dir, service, buf, apdu.dataOff, end);
  }

  private readValues(dir: Dir, service: number, buf: Uint8Array, off: number, end: number): void {
    const ok = service === CONFIRMED.READ_PROPERTY
      ? visitReadPropertyAck(buf, off, end, this.tag, this.ackInfo, this)
      : visitReadPropertyMultipleAck(buf, off, end, this.tag, this.ackInfo, this);
    if (!ok) this.serviceMalformed(dir, service, true);
  }

  // ------------------------------------------------------------------------------------------ segments

  private startReassembly(dir: Dir, buf: Buffer, end: number): void {
    const r = this.reassembly[dir];
    const apdu = this.apdu;
    if (r.active) this.ctx.count('reassembly-abandoned');
    r.active = false;
    if (apdu.sequence !== 0) return;
    r.invokeId = apdu.invokeId;
    r.service = apdu.service;
    r.nextSequence = 1;
    r.length = 0;
    r.active = this.append(r, buf, apdu.dataOff, end);
  }

  private continueReassembly(dir: Dir, buf: Buffer, end: number): void {
    const r = this.reassembly[dir];
    const apdu = this.apdu;
    if (!r.active || r.invokeId !== apdu.invokeId || r.service !== apdu.service) return;
    if (apdu.sequence !== (r.nextSequence & 0xff)) {
      // A retransmitted segment is harmless; a skipped one leaves a hole we cannot decode across.
      if (((r.nextSequence - 1 - apdu.sequence) & 0xff) < 128) {
        this.ctx.count('segment-duplicate');
        return;
      }
      this.ctx.count('segment-missing');
      r.active = false;
      return;
    }
    r.nextSequence++;
    if (!this.append(r, buf, apdu.dataOff, end)) {
      r.active = false;
      return;
    }
    if (!apdu.moreFollows) {
      r.active = false;
      this.ctx.count('reassembled');
      this.readValues(dir, r.service, r.buf!, 0, r.length);
    }
  }

  private append(r: Reassembly, buf: Buffer, off: number, end: number): boolean {
    const n = end - off;
    if (r.length + n > this.ctx.maxBufferBytes) {
      this.ctx.count('segment-buffer-cap');
      return false;
    }
    if (!r.buf || r.buf.length < r.length + n) {
      const grown = Buffer.allocUnsafe(Math.min(this.ctx.maxBufferBytes, Math.max(2048, (r.length + n) * 2)));
      if (r.buf) r.buf.copy(grown, 0, 0, r.length);
      r.buf = grown;
    }
    buf.copy(r.buf, r.length, off, end);
    r.length += n;
    return true;
  }

  // ------------------------------------------------------------------------------------------ facts

  /** PropertyVisitor: values of the device object become identity facts about the answering device. */
  onPropertyValue(objectType: number, _instance: number, property: number, arrayIndex: number, buf: Uint8Array, valueOff: number, valueEnd: number): void {
    if (objectType !== OBJECT_TYPE.DEVICE || arrayIndex >= 0 || this.subjectIp === '') return;
    const field = FACT_OF_PROPERTY.get(property);
    if (field === undefined) return;
    const t = this.tag;
    if (!readTag(buf, valueOff, valueEnd, t) || t.context) return;
    if (t.number === APP_TAG.CHARACTER_STRING) {
      const text = decodeCharacterString(buf, t.valueOff, t.valueLen, MAX_FACT_CHARS);
      if (text) this.fact(field, text, 0.95);
    } else if (t.number === APP_TAG.UNSIGNED && property === PROPERTY.VENDOR_IDENTIFIER) {
      const id = readUnsigned(buf, t.valueOff, t.valueLen);
      if (id < 0) return;
      this.fact('vendor-id', String(id), 0.95);
      const vendor = registryName('bacnet-vendors', id);
      if (vendor) this.fact('vendor', vendor, 0.9);
    } else if (t.number === APP_TAG.OBJECT_ID && t.valueLen === 4 && property === PROPERTY.OBJECT_IDENTIFIER) {
      const id = objectInstanceOf(buf, t.valueOff);
      if (objectTypeOf(buf, t.valueOff) === OBJECT_TYPE.DEVICE && id !== WILDCARD_INSTANCE) this.fact('station-name', `device ${id}`, 0.95);
    }
  }

  private iAmFacts(info: RequestInfo): void {
    if (this.subjectIp === '' || info.objectType !== OBJECT_TYPE.DEVICE || info.instance === WILDCARD_INSTANCE) return;
    this.fact('station-name', `device ${info.instance}`, 0.95);
    if (info.vendorId < 0) return;
    this.fact('vendor-id', String(info.vendorId), 0.95);
    const vendor = registryName('bacnet-vendors', info.vendorId);
    if (vendor) this.fact('vendor', vendor, 0.9);
  }

  private fact(field: FactField, value: string, confidence: number): void {
    const key = `${this.subjectIp}|${field}|${value}`;
    if (this.factsSeen.has(key)) return;
    if (this.factsSeen.size < MAX_FACTS_REMEMBERED) this.factsSeen.add(key);
    else this.ctx.count('facts-remembered-cap');
    const subject: { ip: string; mac?: string } = { ip: this.subjectIp };
    if (this.subjectMac) subject.mac = this.subjectMac;
    this.ctx.sink.emit({ type: 'asset-fact', protocol: 'bacnet', ts: this.ev.meta.ts, frame: this.ev.meta.frame, captureIndex: this.ctx.captureIndex, subject, field, value, confidence });
  }

  // ------------------------------------------------------------------------------------------ events

  /** Fills object/address/quantity/detail/dataBytes of a request event from the decoded parameters. */
  private describeRequest(event: OperationEvent, service: number, confirmed: boolean): void {
    const info = this.info;
    if (info.objectType >= 0) {
      event.object = this.objectText(info);
      if (info.instance >= 0) event.address = info.instance;
    }
    if (info.count > 1 || (info.count > 0 && (service === CONFIRMED.READ_PROPERTY_MULTIPLE || service === CONFIRMED.WRITE_PROPERTY_MULTIPLE))) event.quantity = info.count;
    if (info.dataBytes >= 0) event.dataBytes = info.dataBytes;
    if (confirmed) {
      if (service === CONFIRMED.REINITIALIZE_DEVICE && info.state >= 0) event.detail = REINITIALIZE_STATES[info.state] ?? `state-${info.state}`;
      else if (service === CONFIRMED.DEVICE_COMMUNICATION_CONTROL && info.state >= 0) event.detail = DCC_STATES[info.state] ?? `state-${info.state}`;
      else if (service === CONFIRMED.CONFIRMED_PRIVATE_TRANSFER && info.vendorId >= 0) event.detail = `vendor ${info.vendorId} service ${info.serviceNumber}`;
      return;
    }
    if (service === UNCONFIRMED.I_AM && info.vendorId >= 0) {
      event.detail = `max-apdu ${info.maxApdu}, ${SEGMENTATION_NAMES[info.segmentation] ?? `segmentation-${info.segmentation}`}, vendor ${info.vendorId}`;
    } else if ((service === UNCONFIRMED.WHO_IS || service === UNCONFIRMED.WHO_HAS) && info.low >= 0) {
      event.detail = `instances ${info.low}-${info.high}`;
    } else if (service === UNCONFIRMED.I_HAVE && info.low >= 0) {
      event.detail = `device ${info.low}`;
    } else if (service === UNCONFIRMED.PRIVATE_TRANSFER && info.vendorId >= 0) {
      event.detail = `vendor ${info.vendorId} service ${info.serviceNumber}`;
    }
  }

  /** "analog-input,3 property 85 (present-value)[2]" for the object/property a request addresses (memoised). */
  private objectText(info: RequestInfo): string {
    const type = info.objectType;
    const instance = info.instance;
    const property = info.property;
    // Only the array index is shown when there is a property.
    const arrayIndex = property >= 0 ? info.arrayIndex : -1;
    const slot = ((type * 31 + instance) * 31 + property * 7 + arrayIndex) & (OBJECT_TEXT_SLOTS - 1);
    const keys = this.objectTextKeys;
    const k = slot * 4;
    if (keys[k] === type && keys[k + 1] === instance && keys[k + 2] === property && keys[k + 3] === arrayIndex) return this.objectTexts[slot]!;
    let object = instance >= 0 ? `${objectTypeName(type)},${instance}` : objectTypeName(type);
    if (property >= 0) {
      const name = propertyName(property);
      object += name ? ` property ${property} (${name})` : ` property ${property}`;
      if (arrayIndex >= 0) object += `[${arrayIndex}]`;
    }
    keys[k] = type;
    keys[k + 1] = instance;
    keys[k + 2] = property;
    keys[k + 3] = arrayIndex;
    this.objectTexts[slot] = object;
    return object;
  }

  /** A request routed to another BACnet network: the real target is DNET/DADR behind the IP peer (a router). */
  private routedTarget(event: OperationEvent, buf: Buffer): void {
    const npdu = this.npdu;
    if (npdu.dnet < 0) return;
    let target: string;
    if (npdu.dnet === 0xffff) target = 'to all networks';
    else if (npdu.dlen === 0) target = `to network ${npdu.dnet} broadcast`;
    else target = `to network ${npdu.dnet} mac ${buf.toString('hex', npdu.dadrOff, npdu.dadrOff + npdu.dlen)}`;
    event.detail = event.detail ? `${event.detail}; ${target}` : target;
  }

  /** An operation sent in direction `dir` (src = that direction's sender). */
  private baseEvent(dir: Dir, kind: OperationKind, code: number, codeName: string, result: OperationResult): OperationEvent {
    const event: OperationEvent = {
      type: 'operation',
      protocol: 'bacnet',
      ts: this.ev.meta.ts,
      frame: this.ev.meta.frame,
      captureIndex: this.ctx.captureIndex,
      flowId: this.ctx.flow.id,
      src: this.ev.sender(dir),
      dst: this.ev.receiver(dir),
      kind,
      code,
      codeName,
      result,
    };
    if (this.bvlc.npduOff >= 0 && !this.npdu.networkMessage) {
      event.subCode = this.apdu.type;
      event.subCodeName = APDU_TYPE_NAMES[this.apdu.type]!;
    }
    return event;
  }

  private serviceMalformed(dir: Dir, service: number, confirmed: boolean): void {
    this.malformed(dir, `${confirmed ? confirmedServiceName(service) : unconfirmedServiceName(service)} parameters malformed`);
  }

  private malformed(dir: Dir, detail: string): void {
    this.ev.anomaly(dir, 'malformed', detail);
  }
}
