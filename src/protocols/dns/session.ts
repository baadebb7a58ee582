/**
 * Per-flow DNS state, shared by DNS (UDP/TCP 53), mDNS (UDP 5353) and LLMNR (UDP 5355).
 *
 * - One operation per query, completed by the response with the same id and question (result from the rcode).
 *   Queries sent to a group address (mDNS/LLMNR multicast, broadcast) are answered on another flow: they are
 *   emitted at once with result 'unknown'. A response whose query was not seen on this flow (LLMNR's unicast
 *   answer, a capture that started late) still yields its operation, counted as unexpected.
 * - TCP messages carry a 2-octet length prefix; after a gap the stream is skipped until a segment starts with
 *   something that probes as a DNS message.
 * - Facts: the answering side of a unicast DNS flow is a 'dns-server'. Answers map names to addresses; only
 *   addresses that are not public become hostname facts (low confidence: a name pointing at an address is not
 *   the host declaring it). The querying client is the subject of nothing. mDNS/LLMNR responders announce
 *   their own names (hostname at 0.8) and services (software hints).
 */
import type { OperationEvent, ProtocolName } from '../../events/types.js';
import { ip6ToString, isPrivateIp4, isPublicIp } from '../../util/addr.js';
import { Dir, Probe, type AnalyzerContext, type FlowAnalyzer, type PacketMeta } from '../analyzer.js';
import { StreamBuffer } from '../common/stream-buffer.js';
import { NameServiceEvents } from './emitter.js';
import { OPCODE_NAMES, queryCodeName, rcodeName, typeName } from './names.js';
import {
  DNS_HEADER_LEN, DnsHeader, Question, RR_TYPE, ResourceRecord, addressText, lowerNameText, nameErrorText, nameText, nameTextEqualsLower, rdataIsName,
  readHeader, readName, readQuestion, readRecord, recordIp4, DnsName,
} from './parser.js';
import { probeDnsTcp } from './probe.js';

export type DnsFlavor = 'dns' | 'mdns' | 'llmnr';

export interface DnsLimits {
  /** distinct query names remembered per flow (resolvedNames); over it new names are counted, not kept */
  maxNamesPerFlow: number;
  /** resource records looked at per message (answers + additional) */
  maxRecordsPerMessage: number;
}

export const DEFAULT_DNS_LIMITS: DnsLimits = { maxNamesPerFlow: 256, maxRecordsPerMessage: 64 };

interface Pending {
  id: number;
  qtype: number;
  qname: string;
  event: OperationEvent;
}

/**
 * Queries awaiting their response, by id, in arrival order. The oldest waits in plain fields (no object) and the
 * Map is made only when more than one is outstanding: most flows (one ephemeral port per query) carry a single
 * exchange, so they allocate nothing here beyond the query's event.
 */
class PendingQueries {
  /** the oldest query (older than every entry of `rest`: it is only filled while `rest` is empty); null = none */
  private firstEvent: OperationEvent | null = null;
  private firstId = 0;
  private firstQtype = 0;
  private firstQname = '';
  private rest: Map<number, Pending> | null = null;

  get size(): number {
    return (this.firstEvent !== null ? 1 : 0) + (this.rest !== null ? this.rest.size : 0);
  }

  /** The query with this id; for the oldest, a view shared by all sessions, valid until the next get/oldest. */
  get(id: number): Pending | undefined {
    if (this.firstEvent !== null && this.firstId === id) return this.firstView();
    return this.rest !== null ? this.rest.get(id) : undefined;
  }

  delete(id: number): void {
    if (this.firstEvent !== null && this.firstId === id) {
      this.firstEvent = null;
      this.firstQname = '';
    } else if (this.rest !== null) this.rest.delete(id);
  }

  /** Appends a query whose id is not pending. */
  add(id: number, qtype: number, qname: string, event: OperationEvent): void {
    if (this.firstEvent === null && (this.rest === null || this.rest.size === 0)) {
      this.firstId = id;
      this.firstQtype = qtype;
      this.firstQname = qname;
      this.firstEvent = event;
    } else (this.rest ??= new Map()).set(id, { id, qtype, qname, event });
  }

  oldest(): Pending | undefined {
    if (this.firstEvent !== null) return this.firstView();
    return this.rest !== null && this.rest.size > 0 ? (this.rest.values().next().value as Pending) : undefined;
  }

  private firstView(): Pending {
    const view = FIRST_VIEW;
    view.id = this.firstId;
    view.qtype = this.firstQtype;
    view.qname = this.firstQname;
    view.event = this.firstEvent!;
    return view;
  }
}

/** PendingQueries' view of its oldest query: read at once by the caller, so one serves every session. */
const FIRST_VIEW: Pending = { id: 0, qtype: 0, qname: '', event: null as unknown as OperationEvent };

const CONF_NAME_OF_LOCAL_ADDRESS = 0.5;
const CONF_PTR = 0.7;
const CONF_SELF_ANNOUNCED = 0.8;
const CONF_SERVICE = 0.6;
const CONF_SERVER_ROLE = 0.8;

/**
 * Parse scratch shared by every session: a message is parsed and its events emitted within one onData call, so
 * no two sessions use them at once. Per-session copies cost four 256-octet name buffers per flow, and most DNS
 * flows (one ephemeral port per query) carry a single exchange.
 */
const header = new DnsHeader();
const question = new Question();
const record = new ResourceRecord();
const rdataName = new DnsName();
/** Shared, never filled: resolvedNames of a session that has asked for nothing yet. */
const NO_NAMES: ReadonlySet<string> = new Set<string>();

export class DnsSession implements FlowAnalyzer {
  private readonly out: NameServiceEvents;
  /** queries awaiting their response */
  private readonly pending = new PendingQueries();
  private readonly streams: [StreamBuffer, StreamBuffer] | null;
  /** TCP: bytes lost in this direction; skip until a segment looks like a message start */
  private readonly lost: [boolean, boolean] | null;
  private sidesSettled = false;
  private serverRoleSeen = false;
  /** The first name asked for; the set is made when a second distinct one comes (most flows ask one). */
  private firstName: string | null = null;
  private names: Set<string> | null = null;

  constructor(
    private readonly ctx: AnalyzerContext,
    readonly flavor: DnsFlavor,
    tcp: boolean,
    private readonly limits: DnsLimits = DEFAULT_DNS_LIMITS,
  ) {
    this.out = new NameServiceEvents(ctx, flavor as ProtocolName);
    this.streams = tcp
      ? [
          new StreamBuffer(ctx.maxBufferBytes, (b, o, l) => this.consume(Dir.ToServer, b, o, l)),
          new StreamBuffer(ctx.maxBufferBytes, (b, o, l) => this.consume(Dir.ToClient, b, o, l)),
        ]
      : null;
    this.lost = tcp ? [false, false] : null;
  }

  /** Distinct names this flow asked for (bounded by limits.maxNamesPerFlow). */
  get resolvedNames(): ReadonlySet<string> {
    if (this.names !== null) return this.names;
    return this.firstName !== null ? new Set([this.firstName]) : NO_NAMES;
  }

  onData(dir: Dir, buf: Buffer, off: number, len: number, meta: PacketMeta): void {
    this.out.meta = meta;
    if (this.streams === null) {
      this.onMessage(dir, buf, off, off + len);
      return;
    }
    if (this.streams[dir].push(buf, off, len)) {
      this.ctx.count('buffer-cap');
      this.out.anomalyEvent(dir, 'buffer-cap', 'partial DNS message exceeded the buffer cap');
    }
  }

  onGap(dir: Dir, bytes: number, meta: PacketMeta): void {
    this.out.meta = meta;
    this.ctx.count('gap');
    if (this.streams !== null) {
      this.streams[dir].reset();
      this.lost![dir] = true;
    }
    this.out.anomalyEvent(dir, 'gap', `${bytes} bytes missing`);
  }

  onClose(meta: PacketMeta): void {
    this.out.meta = meta;
    for (let p = this.pending.oldest(); p !== undefined; p = this.pending.oldest()) {
      this.pending.delete(p.id);
      this.ctx.sink.emit(p.event);
    }
  }

  // ------------------------------------------------------------------------------------------ framing

  private consume(dir: Dir, buf: Buffer, off: number, len: number): number {
    const lost = this.lost!;
    if (lost[dir]) {
      if (probeDnsTcp(buf, off, len) !== Probe.Yes) {
        this.ctx.count('resync-skipped-bytes', len);
        return len;
      }
      lost[dir] = false;
      this.ctx.count('resync');
    }
    if (len < 2) return 0;
    const msgLen = (buf[off]! << 8) | buf[off + 1]!;
    if (msgLen < DNS_HEADER_LEN) {
      this.out.malformed(dir, `TCP length prefix ${msgLen} is shorter than a DNS header`);
      lost[dir] = true;
      return len;
    }
    if (len < 2 + msgLen) return 0;
    this.onMessage(dir, buf, off + 2, off + 2 + msgLen);
    return 2 + msgLen;
  }

  // ------------------------------------------------------------------------------------------ messages

  private onMessage(dir: Dir, buf: Buffer, off: number, end: number): void {
    const h = header;
    if (!readHeader(buf, off, end, h)) {
      this.out.malformed(dir, 'message shorter than the 12-octet header');
      return;
    }
    if (!this.sidesSettled) dir = this.settleSides(dir);
    const q = question;
    let p = off + DNS_HEADER_LEN;
    let hasQuestion = false;
    if (h.qdcount > 0) {
      p = readQuestion(buf, p, off, end, q);
      if (p < 0) {
        this.out.malformed(dir, `question: ${nameErrorText(p)}`);
        return;
      }
      hasQuestion = true;
    }
    if (h.response) this.onResponse(dir, buf, off, end, p, hasQuestion);
    else this.onQuery(dir, hasQuestion);
  }

  /**
   * UDP between two server-looking ports (mDNS 5353↔5353) or a capture starting mid-exchange: the first
   * message decides. A query comes from the client; a response to a unicast peer comes from the server.
   */
  private settleSides(dir: Dir): Dir {
    this.sidesSettled = true;
    if (!this.ctx.flow.sidesGuessed) return dir;
    const fromClient = !header.response;
    if (fromClient === (dir === Dir.ToServer)) {
      this.ctx.confirmSides();
      return dir;
    }
    // Never make a group address the client of a flow.
    if (this.out.toGroup(dir)) return dir;
    this.ctx.swapSides();
    this.ctx.count('sides-swapped');
    this.out.refreshEndpoints();
    return dir === Dir.ToServer ? Dir.ToClient : Dir.ToServer;
  }

  private onQuery(dir: Dir, hasQuestion: boolean): void {
    const h = header;
    const q = question;
    const event = this.queryEvent(dir, hasQuestion);
    const qname = hasQuestion ? nameText(q.name) : '';
    if (qname !== '') event.object = qname;
    if (h.opcode === 0 && hasQuestion) this.rememberName(qname);
    if (this.out.toGroup(dir)) {
      this.ctx.count('multicast-query');
      event.result = 'unknown';
      this.ctx.sink.emit(event);
      return;
    }
    const pending = this.pending;
    const previous = pending.get(h.id);
    if (previous !== undefined) {
      // Same id before an answer: a retransmission (or id reuse); the earlier attempt went unanswered.
      pending.delete(h.id);
      this.ctx.count('query-retransmitted');
      this.ctx.sink.emit(previous.event);
    }
    if (pending.size >= this.ctx.maxPendingTransactions) {
      const oldest = pending.oldest()!;
      pending.delete(oldest.id);
      this.ctx.count('transaction-cap');
      this.out.anomalyEvent(dir, 'transaction-cap', 'too many queries awaiting a response');
      this.ctx.sink.emit(oldest.event);
    }
    pending.add(h.id, hasQuestion ? q.type : -1, lowerNameText(qname), event);
  }

  private queryEvent(requestDir: Dir, hasQuestion: boolean): OperationEvent {
    const h = header;
    if (h.opcode === 0 && hasQuestion) {
      return this.out.operation(requestDir, 'read', question.type, queryCodeName(0, question.type), 'no-response');
    }
    const kind = h.opcode === 5 ? 'write' : h.opcode === 4 ? 'other' : 'read';
    return this.out.operation(requestDir, kind, h.opcode, OPCODE_NAMES[h.opcode] ?? `opcode_${h.opcode}`, 'no-response');
  }

  private onResponse(dir: Dir, buf: Buffer, off: number, end: number, afterQuestion: number, hasQuestion: boolean): void {
    const h = header;
    const q = question;
    const requester: Dir = dir === Dir.ToServer ? Dir.ToClient : Dir.ToServer;
    let pending = this.pending.get(h.id);
    if (pending !== undefined && hasQuestion && (pending.qtype !== q.type || !nameTextEqualsLower(q.name, pending.qname))) {
      this.ctx.count('question-mismatch');
      pending = undefined;
    }
    let event: OperationEvent | null = null;
    if (pending !== undefined) {
      this.pending.delete(h.id);
      event = pending.event;
    } else if (this.flavor === 'mdns' && h.id === 0) {
      // mDNS responses are mostly unsolicited announcements or answers to multicast queries on another flow.
      this.ctx.count('announcement');
    } else {
      this.ctx.count('unexpected-response');
      event = this.queryEvent(requester, hasQuestion);
      if (hasQuestion) event.object = nameText(q.name);
    }
    // An answered query nobody reads individually is counted without its event (nor the event's attributes).
    let counted = false;
    if (event !== null) {
      event.responseFrame = this.out.meta.frame;
      if (h.rcode === 0) {
        event.result = 'ok';
        const sink = this.ctx.sink;
        counted = sink.countOperation !== undefined && !sink.wantsOperation!(event.protocol, event.kind, 'ok');
      } else {
        event.result = 'exception';
        event.exceptionCode = h.rcode;
        event.exceptionName = rcodeName(h.rcode);
        if (h.rcode === 3) this.ctx.count('nxdomain');
      }
    }
    if (this.flavor === 'dns' && !this.serverRoleSeen && !this.out.toGroup(requester)) {
      this.serverRoleSeen = true;
      this.out.senderFact(dir, 'role-hint', 'dns-server', CONF_SERVER_ROLE);
    }
    this.readAnswers(dir, buf, off, end, afterQuestion, counted ? null : event);
    if (event === null) return;
    if (counted) this.ctx.sink.countOperation!(event.captureIndex, event.flowId, event.protocol, event.kind, event.src, event.dst);
    else this.ctx.sink.emit(event);
  }

  /** Walks the remaining questions and the records: operation attributes and facts. */
  private readAnswers(dir: Dir, buf: Buffer, off: number, end: number, from: number, event: OperationEvent | null): void {
    const h = header;
    const rr = record;
    let p = from;
    for (let i = 1; i < h.qdcount; i++) {
      p = readQuestion(buf, p, off, end, null);
      if (p < 0) {
        this.out.malformed(dir, `question ${i + 1}: ${nameErrorText(p)}`);
        return;
      }
    }
    const total = h.ancount + h.nscount + h.arcount;
    const scanned = total < this.limits.maxRecordsPerMessage ? total : this.limits.maxRecordsPerMessage;
    if (scanned < total) this.ctx.count('records-cap');
    // The first answer's TTL and data, for the operation's attributes (made in one piece at the end).
    let firstTtl = 0;
    let firstAnswer: string | null = null;
    for (let i = 0; i < scanned; i++) {
      const ownerOff = p;
      // The owner name is decoded only for the records whose facts need it (see ownerText).
      p = readRecord(buf, p, off, end, rr, false);
      if (p < 0) {
        this.out.malformed(dir, `record ${i + 1}: ${nameErrorText(p)}`);
        break;
      }
      const inAnswers = i < h.ancount;
      const inAdditional = i >= h.ancount + h.nscount;
      // A/AAAA text, made once for both the first answer and the record's facts.
      let address = '';
      if (inAnswers && firstAnswer === null && event !== null) {
        firstTtl = rr.ttl;
        address = addressText(buf, rr);
        firstAnswer = address !== '' ? address : this.firstAnswerText(buf, off, end);
      }
      if (inAnswers || (this.flavor !== 'dns' && inAdditional)) this.recordFacts(dir, buf, off, end, ownerOff, address);
    }
    if (event !== null) {
      const rcode = rcodeName(h.rcode);
      event.attributes = firstAnswer !== null
        ? { ttl: firstTtl, first_answer: firstAnswer, rcode, answers: h.ancount }
        : { rcode, answers: h.ancount };
    }
  }

  /** The first answer's data when it is not an address: the name it points to, else its type. */
  private firstAnswerText(buf: Buffer, off: number, end: number): string {
    const rr = record;
    if (rdataIsName(rr.type) && readName(buf, rr.rdataOff, off, end, rdataName) >= 0) return nameText(rdataName);
    return typeName(rr.type);
  }

  /** The current record's owner name (at ownerOff, already validated by readRecord) as text. */
  private ownerText(buf: Buffer, ownerOff: number, off: number, end: number): string {
    readName(buf, ownerOff, off, end, record.name);
    return nameText(record.name);
  }

  /**
   * Facts from the current record, whose owner name starts at ownerOff; `knownAddress` is its A/AAAA text when
   * already made ('' = not made).
   */
  private recordFacts(dir: Dir, buf: Buffer, off: number, end: number, ownerOff: number, knownAddress: string): void {
    const rr = record;
    if (rr.type === RR_TYPE.A || rr.type === RR_TYPE.AAAA) {
      if (this.flavor === 'dns') {
        const ip4 = recordIp4(buf, rr);
        if (ip4 >= 0) {
          // isPublicIp(text) of an IPv4 address is !isPrivateIp4 of its value.
          if (isPrivateIp4(ip4)) this.out.hostFactIp4(ip4, knownAddress, '', 'hostname', this.ownerText(buf, ownerOff, off, end), CONF_NAME_OF_LOCAL_ADDRESS);
          return;
        }
        const address = knownAddress !== '' ? knownAddress : addressText(buf, rr);
        if (address !== '' && !isPublicIp(address)) this.out.hostFact(address, '', 'hostname', this.ownerText(buf, ownerOff, off, end), CONF_NAME_OF_LOCAL_ADDRESS);
        return;
      }
      const address = knownAddress !== '' ? knownAddress : addressText(buf, rr);
      if (address === '') return;
      // mDNS/LLMNR: the responder answers for its own name.
      const sender = this.out.sender(dir);
      const mac = sender.ip === address ? sender.mac ?? '' : '';
      this.out.hostFact(address, mac, 'hostname', stripLocal(this.ownerText(buf, ownerOff, off, end)), CONF_SELF_ANNOUNCED);
      return;
    }
    if (rr.type === RR_TYPE.PTR) {
      if (readName(buf, rr.rdataOff, off, end, rdataName) < 0) return;
      const owner = this.ownerText(buf, ownerOff, off, end);
      const address = reverseAddress(owner);
      if (address !== '') {
        if (!isPublicIp(address)) {
          const target = nameText(rdataName);
          this.out.hostFact(address, '', 'hostname', this.flavor === 'dns' ? target : stripLocal(target), this.flavor === 'dns' ? CONF_PTR : CONF_SELF_ANNOUNCED);
        }
        return;
      }
      if (this.flavor === 'mdns') {
        const service = serviceType(owner);
        if (service !== '') this.out.senderFact(dir, 'software', `mdns service ${service}`, CONF_SERVICE);
      }
    }
  }

  private rememberName(name: string): void {
    let names = this.names;
    if (names === null) {
      if (this.firstName === name) return;
      if (this.firstName === null && this.limits.maxNamesPerFlow > 0) {
        this.firstName = name;
        return;
      }
      names = this.names = new Set();
      if (this.firstName !== null) names.add(this.firstName);
    }
    if (names.has(name)) return;
    if (names.size >= this.limits.maxNamesPerFlow) {
      this.ctx.count('names-cap');
      return;
    }
    names.add(name);
  }
}

function stripLocal(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.local') ? name.slice(0, -6) : name;
}

/** "_http._tcp.local" → "_http._tcp"; '' when the owner is not a DNS-SD service type (or is the meta-query). */
export function serviceType(owner: string): string {
  const m = /^(?:[^.]*\._sub\.)?(_[^.]+\._(?:tcp|udp))\.local$/i.exec(owner);
  if (m === null || m[1]!.toLowerCase() === '_services._dns-sd._udp') return '';
  return m[1]!.toLowerCase();
}

/** "4.3.2.1.in-addr.arpa" → "1.2.3.4"; nibble-form ip6.arpa → the IPv6 address; '' otherwise. */
export function reverseAddress(owner: string): string {
  const lower = owner.toLowerCase();
  if (lower.endsWith('.in-addr.arpa')) {
    const parts = lower.slice(0, -13).split('.');
    if (parts.length !== 4 || !parts.every((x) => /^(0|[1-9]\d{0,2})$/.test(x) && Number(x) <= 255)) return '';
    return parts.reverse().join('.');
  }
  if (lower.endsWith('.ip6.arpa')) {
    const nibbles = lower.slice(0, -9).split('.');
    if (nibbles.length !== 32 || !nibbles.every((x) => /^[0-9a-f]$/.test(x))) return '';
    const hex = nibbles.reverse().join('');
    const bytes = new Uint8Array(16);
    for (let i = 0; i < 16; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
    return ip6ToString(bytes, 0);
  }
  return '';
}
