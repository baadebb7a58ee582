/**
 * NetBIOS name service (RFC 1001/1002, UDP 137): queries, node status, registrations, releases and refreshes.
 *
 * - One operation per request; requests to a broadcast address are emitted at once (the answer, if any, comes
 *   on another flow), unicast ones (to a WINS server or a node) are paired with the response by transaction id.
 * - A registration/refresh names its owner in the additional record's NB address: the owner gets the name as
 *   a fact — computer name (hostname), workgroup/domain, and the role the suffix implies (0x1C domain
 *   controllers, 0x1B domain master browser, 0x1D master browser, 0x20 file server).
 * - Positive query answers (from a WINS server or the owner) and node-status answers (the owner's whole name
 *   table) give the same facts about the address they name.
 */
import type { OperationEvent, OperationKind } from '../../events/types.js';
import { ip4ToString } from '../../util/addr.js';
import { Dir, type AnalyzerContext, type FlowAnalyzer, type PacketMeta } from '../analyzer.js';
import { NameServiceEvents } from '../dns/emitter.js';
import { DNS_HEADER_LEN, DnsHeader, Question, ResourceRecord, nameErrorText, readHeader, readQuestion, readRecord } from '../dns/parser.js';
import { NetbiosName, decodeNetbiosName, nameMeaning, nbnsOpName, nbnsRcodeName, netbiosBaseName, netbiosNameText } from './names.js';

const TYPE_NB = 0x20;
const TYPE_NBSTAT = 0x21;
const NB_GROUP = 0x8000;
const MAX_RECORDS = 32;
const MAX_NODE_STATUS_NAMES = 64;

interface Pending {
  id: number;
  event: OperationEvent;
}

/**
 * Parse scratch shared by every session: a message is parsed and its events emitted within one onData call
 * (nothing in them outlives it), so no two sessions use them at once, and a flow costs no name buffers.
 */
const messageHeader = new DnsHeader();
const firstQuestion = new Question();
const currentRecord = new ResourceRecord();
const decodedNetbiosName = new NetbiosName();
const nodeStatusName = new Uint8Array(16);

export class NbnsSession implements FlowAnalyzer {
  private readonly out: NameServiceEvents;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly ctx: AnalyzerContext) {
    this.out = new NameServiceEvents(ctx, 'nbns');
  }

  onData(dir: Dir, buf: Buffer, off: number, len: number, meta: PacketMeta): void {
    this.out.meta = meta;
    const end = off + len;
    const h = messageHeader;
    if (!readHeader(buf, off, end, h)) {
      this.out.malformed(dir, 'message shorter than the 12-octet header');
      return;
    }
    let p = off + DNS_HEADER_LEN;
    const q = firstQuestion;
    let hasQuestion = false;
    if (h.qdcount > 0) {
      p = readQuestion(buf, p, off, end, q);
      if (p < 0) {
        this.out.malformed(dir, `question: ${nameErrorText(p)}`);
        return;
      }
      hasQuestion = decodeNetbiosName(q.name, decodedNetbiosName);
      if (!hasQuestion) {
        this.out.malformed(dir, 'question name is not a NetBIOS name');
        return;
      }
    }
    if (h.response) this.onResponse(dir, buf, off, end, p);
    else this.onRequest(dir, buf, off, end, p, hasQuestion);
  }

  onGap(_dir: Dir, _bytes: number, meta: PacketMeta): void {
    this.out.meta = meta;
    this.ctx.count('gap');
  }

  onClose(meta: PacketMeta): void {
    this.out.meta = meta;
    for (const p of this.pending.values()) this.ctx.sink.emit(p.event);
    this.pending.clear();
  }

  private requestKind(opcode: number, qtype: number): OperationKind {
    if (opcode === 0) return qtype === TYPE_NBSTAT ? 'identify' : 'read';
    return 'configuration';
  }

  private onRequest(dir: Dir, buf: Buffer, off: number, end: number, p: number, hasQuestion: boolean): void {
    const h = messageHeader;
    const q = firstQuestion;
    const qtype = hasQuestion ? q.type : 0;
    const event = this.out.operation(dir, this.requestKind(h.opcode, qtype), h.opcode, nbnsOpName(h.opcode, qtype), 'no-response');
    if (hasQuestion) event.object = netbiosNameText(decodedNetbiosName);
    const registering = h.opcode === 5 || h.opcode === 8 || h.opcode === 9 || h.opcode === 15;
    if (registering && hasQuestion) this.registrationFacts(dir, buf, off, end, p);
    if (this.out.toGroup(dir)) {
      this.ctx.count('broadcast-request');
      event.result = 'unknown';
      this.ctx.sink.emit(event);
      return;
    }
    const previous = this.pending.get(h.id);
    if (previous !== undefined) {
      this.pending.delete(h.id);
      this.ctx.count('request-retransmitted');
      this.ctx.sink.emit(previous.event);
    }
    if (this.pending.size >= this.ctx.maxPendingTransactions) {
      const oldest = this.pending.values().next().value as Pending;
      this.pending.delete(oldest.id);
      this.ctx.count('transaction-cap');
      this.out.anomalyEvent(dir, 'transaction-cap', 'too many requests awaiting a response');
      this.ctx.sink.emit(oldest.event);
    }
    this.pending.set(h.id, { id: h.id, event });
  }

  /** The registering node's NB address is in the additional record (RFC 1002 §4.2.2). */
  private registrationFacts(dir: Dir, buf: Buffer, off: number, end: number, p: number): void {
    const h = messageHeader;
    const rr = currentRecord;
    const records = h.ancount + h.nscount + h.arcount;
    for (let i = 0; i < records && i < MAX_RECORDS; i++) {
      p = readRecord(buf, p, off, end, rr, false);
      if (p < 0) {
        this.out.malformed(dir, `record ${i + 1}: ${nameErrorText(p)}`);
        return;
      }
      if (rr.type !== TYPE_NB) continue;
      // The question name is the one being registered; NB data: flags (2) + address (4), possibly repeated.
      for (let o = rr.rdataOff; o + 6 <= rr.rdataOff + rr.rdataLen; o += 6) {
        const group = (buf.readUInt16BE(o) & NB_GROUP) !== 0;
        this.nameFacts(dir, ip4ToString(buf.readUInt32BE(o + 2)), decodedNetbiosName.raw, decodedNetbiosName.suffix, group);
      }
    }
  }

  private nameFacts(dir: Dir, ownerIp: string, raw: Uint8Array, suffix: number, group: boolean): void {
    const meaning = nameMeaning(suffix, group);
    if (meaning === null) return;
    const name = netbiosBaseName(raw);
    if (name === '' || name === '*') return;
    const sender = this.out.sender(dir);
    const mac = sender.ip === ownerIp ? sender.mac ?? '' : '';
    this.out.hostFact(ownerIp, mac, meaning.field, name, meaning.confidence);
    if (meaning.role !== '') this.out.hostFact(ownerIp, mac, 'role-hint', meaning.role, meaning.confidence);
  }

  private onResponse(dir: Dir, buf: Buffer, off: number, end: number, p: number): void {
    const h = messageHeader;
    const requester: Dir = dir === Dir.ToServer ? Dir.ToClient : Dir.ToServer;
    if (h.opcode === 7) {
      // WAIT FOR ACKNOWLEDGEMENT: the final answer follows with the same id.
      this.ctx.count('wack');
      return;
    }
    const rr = currentRecord;
    let answerType = 0;
    let answerName = '';
    if (h.ancount > 0) {
      const next = readRecord(buf, p, off, end, rr, true);
      if (next < 0) {
        this.out.malformed(dir, `answer: ${nameErrorText(next)}`);
        return;
      }
      if (decodeNetbiosName(rr.name, decodedNetbiosName)) answerName = netbiosNameText(decodedNetbiosName);
      answerType = rr.type;
    }
    let event: OperationEvent;
    const pending = this.pending.get(h.id);
    if (pending !== undefined) {
      this.pending.delete(h.id);
      event = pending.event;
    } else {
      this.ctx.count('unexpected-response');
      event = this.out.operation(requester, this.requestKind(h.opcode, answerType), h.opcode, nbnsOpName(h.opcode, answerType), 'unknown');
      if (answerName !== '') event.object = answerName;
    }
    event.responseFrame = this.out.meta.frame;
    if (h.rcode === 0) event.result = 'ok';
    else {
      event.result = 'exception';
      event.exceptionCode = h.rcode;
      event.exceptionName = nbnsRcodeName(h.rcode);
    }
    if (h.rcode === 0 && h.ancount > 0 && decodedNetbiosName.valid) {
      if (answerType === TYPE_NB && h.opcode === 0) {
        for (let o = rr.rdataOff; o + 6 <= rr.rdataOff + rr.rdataLen; o += 6) {
          const group = (buf.readUInt16BE(o) & NB_GROUP) !== 0;
          this.nameFacts(dir, ip4ToString(buf.readUInt32BE(o + 2)), decodedNetbiosName.raw, decodedNetbiosName.suffix, group);
        }
      } else if (answerType === TYPE_NBSTAT) {
        this.nodeStatusFacts(dir, buf, rr.rdataOff, rr.rdataOff + rr.rdataLen);
      }
    }
    this.ctx.sink.emit(event);
  }

  /** NODE STATUS RESPONSE (RFC 1002 §4.2.18): the responder's own name table. */
  private nodeStatusFacts(dir: Dir, buf: Buffer, p: number, end: number): void {
    if (p >= end) return;
    const count = buf[p]!;
    p++;
    const owner = this.out.sender(dir).ip;
    const raw = nodeStatusName;
    for (let i = 0; i < count && i < MAX_NODE_STATUS_NAMES; i++, p += 18) {
      if (p + 18 > end) {
        this.out.malformed(dir, 'node status name table runs past the record');
        return;
      }
      for (let k = 0; k < 16; k++) raw[k] = buf[p + k]!;
      const group = (buf.readUInt16BE(p + 16) & NB_GROUP) !== 0;
      this.nameFacts(dir, owner, raw, raw[15]!, group);
    }
  }
}
