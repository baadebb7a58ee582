/**
 * Per-flow EtherNet/IP state (TCP and UDP 44818): encapsulation framing, Common Packet Format items, CIP
 * explicit messages (unconnected via SendRRData, connected via SendUnitData) with Unconnected Send unwrapped
 * and Multiple Service Packets split into their inner services, each paired with its reply. ListIdentity and
 * Identity Get_Attributes_All replies become asset facts.
 *
 * Hot path (a request and its reply on a long-lived session): no allocation beyond the operation event. Pending
 * requests are pooled records in an intrusive table, CPF items are walked into fields (no callback), request
 * paths come from a per-flow cache of decoded paths (tag names are not rebuilt per message) and classifications
 * are shared constants.
 */
import type { OperationEvent, OperationKind, ProtocolName } from '../../events/types.js';
import { Dir, type AnalyzerContext, type FlowAnalyzer, type PacketMeta } from '../analyzer.js';
import { AnsweredCounting, FlowEvents } from '../common/flow-events.js';
import { PendingEntry, PendingTable } from '../common/pending-table.js';
import { CipPath, PathCache } from './cip.js';
import { IdentityMemo, type IdentityFacts } from './identity-memo.js';
import { classifyPcccRequest, PCCC_STS_EXTENDED, pcccReplyStatus, pcccStatusName } from './pccc.js';
import { CLASS, COMMAND_NAMES, ENCAP_STATUS_NAMES, GENERAL_STATUS_NAMES, serviceKind, serviceName } from './names.js';

export const ENCAP_HEADER = 24;
const ITEM_CONNECTED_ADDRESS = 0x00a1;
const ITEM_CONNECTED_DATA = 0x00b1;
const ITEM_UNCONNECTED_DATA = 0x00b2;
const ITEM_LIST_IDENTITY = 0x000c;
/** Pending records kept for reuse per flow. */
const POOL_LIMIT = 32;
/** Decoded request paths remembered per flow (see PathCache). */
const PATH_CACHE_SLOTS = 64;
/** Identity items longer than this are decoded every time (a real one is 34 bytes plus the product name). */
const MAX_REMEMBERED_IDENTITY_BYTES = 128;

/** Identity facts worked out once for every session (see IdentityMemo). */
const SHARED_IDENTITY_MEMO = new IdentityMemo();

/** Counter names for the encapsulation commands we only count, built once. */
const COMMAND_COUNTERS: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(COMMAND_NAMES).map(([command, name]) => [command, `enip.command.${name}`]),
);

function u16le(buf: Uint8Array, at: number): number {
  return buf[at]! | (buf[at + 1]! << 8);
}

function u32le(buf: Uint8Array, at: number): number {
  return (buf[at]! | (buf[at + 1]! << 8) | (buf[at + 2]! << 16) | (buf[at + 3]! << 24)) >>> 0;
}

/** 1 at each command code COMMAND_NAMES knows (they are all below 256). */
const KNOWN_COMMANDS = new Uint8Array(256);
for (const command of Object.keys(COMMAND_NAMES)) KNOWN_COMMANDS[Number(command)] = 1;

export function isKnownCommand(command: number): boolean {
  return command < 256 && KNOWN_COMMANDS[command] === 1;
}

/** Size of the encapsulation message at buf[off]: > 0 complete, 0 need more, -1 not a message. */
export function frameEncap(buf: Uint8Array, off: number, len: number): number {
  if (len < 2) return 0;
  const command = u16le(buf, off);
  if (!isKnownCommand(command)) return -1;
  if (len < ENCAP_HEADER) return 0;
  const length = u16le(buf, off + 2);
  // Options must be zero (Vol. 2 §2-3.6).
  if ((buf[off + 20]! | buf[off + 21]! | buf[off + 22]! | buf[off + 23]!) !== 0) return -1;
  const total = ENCAP_HEADER + length;
  return len < total ? 0 : total;
}

/**
 * One direction's framing state. The session frames its own stream (the same algorithm as
 * common/stream-buffer's StreamBuffer, cap and resync behaviour included) so each message costs a direct method
 * call instead of two closure calls.
 */
class EncapStream {
  /** the start of a message split across segments (only that tail is ever copied) */
  pending: Buffer | null = null;
  pendingLen = 0;
  /** garbage at this stream position was reported; cleared when a message frames again */
  inGarbage = false;
  /** set when a partial message was dropped at the cap during the current onData */
  overflowed = false;
}

/**
 * One operation of a pending request: its event, or for a tag read (the polling case) the request's fields,
 * from which the event is built only if it must be emitted (an answered read is mostly counted, see complete).
 */
class PendingOp {
  /** null while the event is deferred (the fields below describe it) */
  event: OperationEvent | null = null;
  /** the request's class, to interpret identity and PCCC replies */
  cls = 0;
  dir: Dir = Dir.ToServer;
  ts = 0;
  frame = 0;
  kind: OperationKind = 'other';
  code = 0;
  codeName = '';
  object = '';
}

/**
 * The operations of one request message (several for a Multiple Service Packet), awaiting the reply. Pooled:
 * `ops` keeps its records between uses, only [0, count) is live.
 */
class Pending extends PendingEntry {
  ops: PendingOp[] = [];
  count = 0;
}

export class EnipSession implements FlowAnalyzer {
  private readonly toServer = new EncapStream();
  private readonly toClient = new EncapStream();
  private readonly maxBufferBytes: number;
  private readonly ev: FlowEvents;
  private readonly path = new CipPath();
  /** made on the first CIP request (many flows only ever carry ListIdentity) */
  private paths: PathCache | null = null;
  private readonly pending = new PendingTable<Pending>();
  private readonly counting = new AnsweredCounting();
  /** recycled Pending records, linked through `chained` */
  private pool: Pending | null = null;
  private pooled = 0;
  /** keys of the facts emitted; made on the first fact */
  private factsSeen: Set<string> | null = null;
  private readonly isUdp: boolean;
  /** the last ListIdentity reply's identity bytes and who sent them (repeatsLastIdentity) */
  private identityIp = '';
  private identityLen = -1;
  private identityBytes: Uint8Array | null = null;
  /** CPF item scan results (scanItems) */
  private unconnectedDataOff = -1;
  private unconnectedDataLen = 0;
  private connectedDataOff = -1;
  private connectedDataLen = 0;
  private connectedAddress = false;

  constructor(private readonly ctx: AnalyzerContext) {
    this.ev = new FlowEvents(ctx, 'enip');
    this.maxBufferBytes = ctx.maxBufferBytes;
    this.isUdp = ctx.flow.transport === 'udp';
  }

  onData(dir: Dir, buf: Buffer, off: number, len: number, meta: PacketMeta): void {
    this.ev.meta = meta;
    const stream = dir === Dir.ToServer ? this.toServer : this.toClient;
    stream.overflowed = false;
    this.feed(stream, dir, buf, off, len);
    if (stream.overflowed) this.ev.anomalyEvent(dir, 'buffer-cap', 'partial encapsulation message exceeded the buffer cap');
    // A datagram holds whole messages: what is left of one is dropped.
    if (this.isUdp && stream.pendingLen !== 0) {
      stream.pendingLen = 0;
      this.ctx.count('enip.truncated');
    }
  }

  onGap(dir: Dir, bytes: number, meta: PacketMeta): void {
    this.ev.meta = meta;
    (dir === Dir.ToServer ? this.toServer : this.toClient).pendingLen = 0;
    this.ev.anomaly(dir, 'gap', `${bytes} bytes missing`);
  }

  onClose(): void {
    for (let p = this.pending.oldest; p !== null; ) {
      const next = this.pending.newerThan(p);
      this.emitAll(p);
      this.release(p);
      p = next;
    }
    this.pending.clear();
  }

  // ------------------------------------------------------------------------------------------- framing

  /**
   * Frames buf[off..off+len): whole messages straight from `buf`; only an incomplete tail is copied, into a
   * buffer bounded by maxBufferBytes (a partial message that would exceed it is dropped and counted, and
   * framing resyncs on the new bytes).
   */
  private feed(stream: EncapStream, dir: Dir, buf: Buffer, off: number, len: number): void {
    if (stream.pendingLen === 0) {
      const used = this.drain(stream, dir, buf, off, len);
      if (used < len) this.keep(stream, buf, off + used, len - used);
      return;
    }
    if (stream.pendingLen + len > this.maxBufferBytes) {
      stream.overflowed = true;
      stream.pendingLen = 0;
      this.feed(stream, dir, buf, off, len);
      return;
    }
    const pending = this.ensureCapacity(stream, stream.pendingLen + len);
    buf.copy(pending, stream.pendingLen, off, off + len);
    stream.pendingLen += len;
    const used = this.drain(stream, dir, pending, 0, stream.pendingLen);
    if (used > 0) {
      pending.copy(pending, 0, used, stream.pendingLen);
      stream.pendingLen -= used;
    }
  }

  private drain(stream: EncapStream, dir: Dir, buf: Buffer, off: number, len: number): number {
    let used = 0;
    while (used < len) {
      const n = this.consume(stream, dir, buf, off + used, len - used);
      if (n <= 0) break;
      used += n > len - used ? len - used : n;
    }
    return used;
  }

  private keep(stream: EncapStream, buf: Buffer, off: number, len: number): void {
    if (len > this.maxBufferBytes) {
      stream.overflowed = true;
      return;
    }
    buf.copy(this.ensureCapacity(stream, len), 0, off, off + len);
    stream.pendingLen = len;
  }

  private ensureCapacity(stream: EncapStream, size: number): Buffer {
    const current = stream.pending;
    if (current !== null && current.length >= size) return current;
    let capacity = current === null ? 512 : current.length * 2;
    while (capacity < size) capacity *= 2;
    if (capacity > this.maxBufferBytes) capacity = this.maxBufferBytes;
    const next = Buffer.allocUnsafe(capacity);
    if (current !== null && stream.pendingLen > 0) current.copy(next, 0, 0, stream.pendingLen);
    stream.pending = next;
    return next;
  }

  /** One message or one resync skip at buf[off]: bytes consumed, 0 when only a message's start is here. */
  private consume(stream: EncapStream, dir: Dir, buf: Buffer, off: number, len: number): number {
    const n = frameEncap(buf, off, len);
    if (n > 0) {
      stream.inGarbage = false;
      this.onMessage(dir, buf, off, n);
      return n;
    }
    if (n === 0) return 0;
    if (!stream.inGarbage) {
      stream.inGarbage = true;
      this.ev.anomaly(dir, 'malformed', 'no encapsulation header (unknown command or non-zero options)');
    }
    // Resync: the next position whose first two bytes are a known command.
    let i = off + 1;
    const end = off + len;
    while (i + 1 < end && !isKnownCommand(u16le(buf, i))) i++;
    return i - off;
  }

  private onMessage(dir: Dir, buf: Buffer, off: number, total: number): void {
    // frameEncap checked the 24-byte header is here.
    const command = u16le(buf, off);
    const status = u32le(buf, off + 8);
    // Pairing keys are numbers (no string per message): the sender context's low 32 bits and 20 bits of its
    // high half — a collision needs two outstanding requests agreeing on 52 context bits. The key travels as
    // two small integers (see pairKey), so no heap number is made per message.
    const contextHigh = u32le(buf, off + 12) >>> 2;
    const contextLow = ((buf[off + 12]! & 0x03) << 20) | u16le(buf, off + 16) | ((buf[off + 18]! & 0x0f) << 16);
    const dataOff = off + ENCAP_HEADER;
    const end = off + total;
    switch (command) {
      case 0x006f:
        this.onSendRRData(dir, buf, dataOff, end, status, contextHigh, contextLow);
        return;
      case 0x0070:
        this.onSendUnitData(dir, buf, dataOff, end);
        return;
      case 0x0063:
      case 0x0004:
      case 0x0064:
      case 0x0065:
      case 0x0066: {
        const kind: OperationKind = command === 0x0065 || command === 0x0066 ? 'connect' : 'identify';
        const isReply = total > ENCAP_HEADER || status !== 0 || dir === Dir.ToClient;
        if (command === 0x0063 && total > ENCAP_HEADER) this.onListIdentityReply(dir, buf, dataOff, end);
        if (command === 0x0066) {
          // UnRegisterSession has no reply.
          this.emitNow(this.encapEvent(dir, command, kind, 'unknown'));
          return;
        }
        if (!isReply || (command === 0x0065 && dir === Dir.ToServer)) {
          const p = this.acquire();
          this.push(p, -1).event = this.encapEvent(dir, command, kind, 'no-response');
          this.addPending(encapKeyHigh(command, contextHigh), -contextLow, p);
          return;
        }
        const p = this.pending.take(pairKey(encapKeyHigh(command, contextHigh), -contextLow));
        if (p !== null) {
          this.completeOp(p.ops[0]!, status === 0 ? 0 : -1, status);
          this.release(p);
        } else {
          this.complete(this.encapEvent(dir === Dir.ToServer ? Dir.ToClient : Dir.ToServer, command, kind, 'ok'), status === 0 ? 0 : -1, status);
        }
        return;
      }
      default:
        this.ctx.count(COMMAND_COUNTERS[command]!);
    }
  }

  /**
   * Walks the CPF items after the interface handle and timeout, noting the last unconnected data item, the
   * last connected data item and whether a connected address item is present. False when the items run past
   * the message (what came before is still noted).
   */
  private scanItems(buf: Buffer, off: number, end: number): boolean {
    this.unconnectedDataOff = -1;
    this.unconnectedDataLen = 0;
    this.connectedDataOff = -1;
    this.connectedDataLen = 0;
    this.connectedAddress = false;
    if (off + 8 > end) return false;
    const count = u16le(buf, off + 6);
    let p = off + 8;
    for (let i = 0; i < count; i++) {
      if (p + 4 > end) return false;
      const type = u16le(buf, p);
      const len = u16le(buf, p + 2);
      if (p + 4 + len > end) return false;
      if (type === ITEM_UNCONNECTED_DATA) {
        this.unconnectedDataOff = p + 4;
        this.unconnectedDataLen = len;
      } else if (type === ITEM_CONNECTED_DATA) {
        this.connectedDataOff = p + 4;
        this.connectedDataLen = len;
      } else if (type === ITEM_CONNECTED_ADDRESS) {
        this.connectedAddress = true;
      }
      p += 4 + len;
    }
    return true;
  }

  private onSendRRData(dir: Dir, buf: Buffer, off: number, end: number, status: number, keyHigh: number, keyLow: number): void {
    if (!this.scanItems(buf, off, end)) this.malformed(dir, 'CPF items run past the message');
    const cipOff = this.unconnectedDataOff;
    if (cipOff < 0) {
      if (status !== 0) {
        const p = this.pending.take(pairKey(keyHigh, keyLow));
        if (p !== null) {
          for (let i = 0; i < p.count; i++) this.completeOp(p.ops[i]!, -1, status);
          this.release(p);
        }
      }
      return;
    }
    this.onCip(dir, buf, cipOff, cipOff + this.unconnectedDataLen, keyHigh, keyLow);
  }

  private onSendUnitData(dir: Dir, buf: Buffer, off: number, end: number): void {
    if (!this.scanItems(buf, off, end)) this.malformed(dir, 'CPF items run past the message');
    const dataOff = this.connectedDataOff;
    const dataLen = this.connectedDataLen;
    if (!this.connectedAddress || dataOff < 0 || dataLen < 2) return;
    // Connected explicit messages start with a 16-bit sequence count that the reply echoes.
    const sequence = u16le(buf, dataOff);
    // Connected messages pair by sequence count; negative keys keep them apart from sender contexts.
    this.onCip(dir, buf, dataOff + 2, dataOff + dataLen, 0, -1 - sequence);
  }

  /** A CIP request (paired later under pairKey(keyHigh, keyLow)) or reply (completing the request under it). */
  private onCip(dir: Dir, buf: Buffer, off: number, end: number, keyHigh: number, keyLow: number): void {
    if (off + 2 > end) {
      this.malformed(dir, 'CIP message shorter than its header');
      return;
    }
    const service = buf[off]!;
    if ((service & 0x80) === 0) {
      const p = this.acquire();
      this.collectRequests(dir, buf, off, end, p, 0);
      if (p.count > 0) this.addPending(keyHigh, keyLow, p);
      else this.release(p);
      return;
    }
    const pending = this.pending.take(pairKey(keyHigh, keyLow));
    if (pending === null) {
      // The request was not captured (capture started mid-exchange): the reply still tells what was done.
      this.ctx.count('cip.unexpected-response');
      this.unmatchedReplies(dir === Dir.ToServer ? Dir.ToClient : Dir.ToServer, buf, off, end, 0);
      return;
    }
    this.completeReplies(buf, off, end, pending, 0);
    this.release(pending);
  }

  /** Operations known only from their replies (a Multiple Service Packet reply yields one per inner reply). */
  private unmatchedReplies(requestDir: Dir, buf: Buffer, off: number, end: number, depth: number): void {
    if (off + 4 > end || depth > 4) return;
    const service = buf[off]! & 0x7f;
    const generalStatus = buf[off + 2]!;
    const dataOff = off + 4 + buf[off + 3]! * 2;
    if (service === 0x0a && dataOff + 2 <= end) {
      const count = u16le(buf, dataOff);
      for (let i = 0; i < count && dataOff + 2 + 2 * i + 2 <= end; i++) {
        const start = dataOff + u16le(buf, dataOff + 2 + 2 * i);
        const stop = i + 1 < count && dataOff + 2 + 2 * (i + 1) + 2 <= end ? dataOff + u16le(buf, dataOff + 2 + 2 * (i + 1)) : end;
        if (start >= end || stop > end || stop < start) break;
        this.unmatchedReplies(requestDir, buf, start, stop, depth + 1);
      }
      return;
    }
    const { kind, detail } = serviceKind(service, -1);
    const event = this.baseEvent(requestDir, 'cip', kind, service, serviceName(service, -1), 'unknown');
    if (detail) event.detail = detail;
    this.complete(event, generalStatus === 0 || generalStatus === 0x06 ? 0 : generalStatus, 0);
  }

  /** Classifies a request, unwrapping Unconnected Send and Multiple Service Packet. */
  private collectRequests(dir: Dir, buf: Buffer, off: number, end: number, into: Pending, depth: number): void {
    if (off + 2 > end || depth > 4) return;
    const service = buf[off]! & 0x7f;
    const pathBytes = buf[off + 1]! * 2;
    if (off + 2 + pathBytes > end) {
      this.malformed(dir, 'CIP request path runs past the message');
      return;
    }
    const object = (this.paths ??= new PathCache(PATH_CACHE_SLOTS)).decode(buf, off + 2, pathBytes, this.path);
    const cls = this.path.cls;
    const dataOff = off + 2 + pathBytes;
    if (service === 0x52 && cls === CLASS.CONNECTION_MANAGER) {
      // Unconnected Send: priority/tick, timeout ticks, embedded message size, embedded message, route path.
      if (dataOff + 4 > end) return;
      const size = u16le(buf, dataOff + 2);
      const inner = dataOff + 4;
      if (inner + size > end) {
        this.malformed(dir, 'Unconnected Send embedded message runs past the message');
        return;
      }
      this.collectRequests(dir, buf, inner, inner + size, into, depth + 1);
      return;
    }
    if (service === 0x0a && cls === CLASS.MESSAGE_ROUTER) {
      if (dataOff + 2 > end) return;
      const count = u16le(buf, dataOff);
      this.ctx.count('cip.multiple-service-packets');
      for (let i = 0; i < count && dataOff + 2 + 2 * i + 2 <= end; i++) {
        const start = dataOff + u16le(buf, dataOff + 2 + 2 * i);
        const stop = i + 1 < count && dataOff + 2 + 2 * (i + 1) + 2 <= end ? dataOff + u16le(buf, dataOff + 2 + 2 * (i + 1)) : end;
        if (start >= end || stop > end || stop <= start) {
          this.malformed(dir, 'Multiple Service Packet offset out of range');
          return;
        }
        this.collectRequests(dir, buf, start, stop, into, depth + 1);
      }
      return;
    }
    const symbolic = this.path.symbol !== '';
    const logix = symbolic || cls === CLASS.SYMBOL || cls === CLASS.TEMPLATE || cls < 0;
    const classification = serviceKind(service, cls, logix);
    const kind = classification.kind;
    const detail = classification.detail;
    const codeName = serviceName(service, cls, logix);
    const op = this.push(into, cls);
    if (symbolic && detail === undefined && kind !== 'write' && kind !== 'file-transfer') {
      // A tag read, the polling case: no event yet (see tagReadEvent).
      const meta = this.ev.meta;
      op.dir = dir;
      op.ts = meta.ts;
      op.frame = meta.frame;
      op.kind = kind;
      op.code = service;
      op.codeName = codeName;
      op.object = object;
      return;
    }
    const event = this.baseEvent(dir, 'cip', kind, service, codeName, 'no-response');
    if (object) event.object = object;
    if (this.path.instance >= 0 && !symbolic) event.address = this.path.instance;
    if (detail) event.detail = detail;
    if (kind === 'write' || kind === 'file-transfer') event.dataBytes = Math.max(0, end - dataOff);
    if (service === 0x4b && cls === CLASS.PCCC) this.classifyPccc(dir, buf, dataOff, end, event);
    op.event = event;
  }

  /** The event of a deferred tag read, as the request left it: keys in the order of the general path. */
  private tagReadEvent(op: PendingOp): OperationEvent {
    return {
      type: 'operation',
      protocol: 'cip',
      ts: op.ts,
      frame: op.frame,
      captureIndex: this.ctx.captureIndex,
      flowId: this.ctx.flow.id,
      src: this.ev.sender(op.dir),
      dst: this.ev.receiver(op.dir),
      kind: op.kind,
      code: op.code,
      codeName: op.codeName,
      result: 'no-response',
      object: op.object,
    };
  }

  private eventOf(op: PendingOp): OperationEvent {
    return op.event ?? (op.event = this.tagReadEvent(op));
  }

  /** Execute PCCC: the PCCC function inside decides what the request does. */
  private classifyPccc(dir: Dir, buf: Buffer, dataOff: number, end: number, event: OperationEvent): void {
    const pccc = classifyPcccRequest(buf, dataOff, end);
    if (!pccc) {
      this.malformed(dir, 'Execute PCCC request shorter than its requestor ID and PCCC header');
      return;
    }
    event.kind = pccc.kind;
    event.subCode = pccc.subCode;
    event.subCodeName = pccc.subCodeName;
    event.attributes = { pccc_cmd: pccc.cmd };
    if (pccc.detail) event.detail = pccc.detail;
    else delete event.detail;
  }

  /** Walks a reply in the same shape as the request and completes each event. Returns events consumed. */
  private completeReplies(buf: Buffer, off: number, end: number, pending: Pending, index: number): number {
    if (index >= pending.count || off + 4 > end) {
      for (let i = index; i < pending.count; i++) this.completeOp(pending.ops[i]!, -2, 0);
      return pending.count - index;
    }
    const service = buf[off]! & 0x7f;
    const generalStatus = buf[off + 2]!;
    const extraWords = buf[off + 3]!;
    const dataOff = off + 4 + extraWords * 2;
    if (service === 0x0a && pending.count > 1 && dataOff + 2 <= end) {
      const count = u16le(buf, dataOff);
      let used = 0;
      for (let i = 0; i < count && index + used < pending.count && dataOff + 2 + 2 * i + 2 <= end; i++) {
        const start = dataOff + u16le(buf, dataOff + 2 + 2 * i);
        const stop = i + 1 < count && dataOff + 2 + 2 * (i + 1) + 2 <= end ? dataOff + u16le(buf, dataOff + 2 + 2 * (i + 1)) : end;
        if (start >= end || stop > end || stop < start) break;
        used += this.completeReplies(buf, start, stop, pending, index + used);
      }
      return used;
    }
    const op = pending.ops[index]!;
    if (generalStatus === 0 && op.cls === CLASS.IDENTITY && service === 0x01) {
      const facts = SHARED_IDENTITY_MEMO.factsOf(buf, dataOff, end);
      if (facts !== null) {
        const target = op.event !== null ? op.event.dst : this.ev.receiver(op.dir);
        this.identityFacts(target.ip, target.mac, facts, 'cip');
      }
    }
    if (generalStatus === 0 && op.cls === CLASS.PCCC && service === 0x4b) {
      const sts = pcccReplyStatus(buf, dataOff, end);
      if (sts > 0) {
        this.completePcccError(this.eventOf(op), sts);
        return 1;
      }
    }
    this.completeOp(op, generalStatus === 0 || generalStatus === 0x06 ? 0 : generalStatus, 0);
    return 1;
  }

  /**
   * The CIP service succeeded but the PLC refused or failed the PCCC command (STS): that is the outcome that
   * matters (e.g. a mode change refused because of the key switch, a write to a protected file).
   */
  private completePcccError(event: OperationEvent, code: number): void {
    this.ctx.count('pccc.error-status');
    event.responseFrame = this.ev.meta.frame;
    event.result = 'exception';
    event.exceptionCode = code;
    event.exceptionName = pcccStatusName(code);
    const attributes = (event.attributes ??= {});
    attributes.pccc_sts = code > 0xff ? PCCC_STS_EXTENDED : code;
    if (code > 0xff) attributes.pccc_ext_sts = code & 0xff;
    this.ctx.sink.emit(event);
  }

  private onListIdentityReply(dir: Dir, buf: Buffer, off: number, end: number): void {
    if (off + 2 > end) return;
    const count = u16le(buf, off);
    let p = off + 2;
    const responder = this.ev.sender(dir);
    for (let i = 0; i < count && p + 4 <= end; i++) {
      const type = u16le(buf, p);
      const len = u16le(buf, p + 2);
      const itemEnd = Math.min(p + 4 + len, end);
      // Identity item: encapsulation version (2) and a 16-byte socket address precede the identity fields.
      if (type === ITEM_LIST_IDENTITY && !this.repeatsLastIdentity(responder.ip, buf, p + 4 + 18, itemEnd)) {
        const facts = SHARED_IDENTITY_MEMO.factsOf(buf, p + 4 + 18, itemEnd);
        if (facts !== null) {
          this.identityFacts(responder.ip, responder.mac, facts, 'enip');
          this.rememberIdentity(responder.ip, buf, p + 4 + 18, itemEnd);
        } else {
          this.malformed(dir, 'ListIdentity item too short');
        }
      }
      p += 4 + len;
    }
  }

  /**
   * Scanners and HMIs repeat ListIdentity all day and get the same answer: when the identity bytes equal the
   * last ones `ip` stated, every fact they carry was already emitted (facts are keyed by ip, field and value),
   * so there is nothing to decode.
   */
  private repeatsLastIdentity(ip: string, buf: Uint8Array, off: number, end: number): boolean {
    const n = end - off;
    if (ip !== this.identityIp || n !== this.identityLen) return false;
    const last = this.identityBytes!;
    for (let i = 0; i < n; i++) if (last[i] !== buf[off + i]) return false;
    return true;
  }

  private rememberIdentity(ip: string, buf: Uint8Array, off: number, end: number): void {
    const n = end - off;
    if (n > MAX_REMEMBERED_IDENTITY_BYTES) {
      this.identityLen = -1;
      return;
    }
    (this.identityBytes ??= new Uint8Array(MAX_REMEMBERED_IDENTITY_BYTES)).set(buf.subarray(off, end));
    this.identityIp = ip;
    this.identityLen = n;
  }

  private identityFacts(ip: string, mac: string | undefined, facts: IdentityFacts, protocol: ProtocolName): void {
    const keys = facts.keysFor(ip);
    const seen = (this.factsSeen ??= new Set());
    const meta = this.ev.meta;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      if (seen.has(key)) continue;
      seen.add(key);
      const subject: { ip: string; mac?: string } = { ip };
      if (mac) subject.mac = mac;
      this.ctx.sink.emit({
        type: 'asset-fact',
        protocol,
        ts: meta.ts,
        frame: meta.frame,
        captureIndex: this.ctx.captureIndex,
        subject,
        field: facts.fields[i]!,
        value: facts.values[i]!,
        confidence: 0.95,
      });
    }
  }

  private encapEvent(dir: Dir, command: number, kind: OperationKind, result: OperationEvent['result']): OperationEvent {
    return this.baseEvent(dir, 'enip', kind, command, COMMAND_NAMES[command] ?? `command_0x${command.toString(16)}`, result);
  }

  private baseEvent(dir: Dir, protocol: ProtocolName, kind: OperationKind, code: number, codeName: string, result: OperationEvent['result']): OperationEvent {
    return {
      type: 'operation',
      protocol,
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
  }

  /** status: 0 ok, > 0 CIP general status, -1 encapsulation status `encapStatus`, -2 reply missing its part */
  private complete(event: OperationEvent, status: number, encapStatus: number): void {
    const sink = this.ctx.sink;
    // An answered event that nobody reads individually is only counted: its final fields are never looked at.
    if (status === 0 && this.counting.counts(sink, event.protocol, event.kind)) {
      sink.countOperation!(event.captureIndex, event.flowId, event.protocol, event.kind, event.src, event.dst);
      return;
    }
    event.responseFrame = this.ev.meta.frame;
    if (status === 0) event.result = 'ok';
    else if (status === -2) event.result = 'unknown';
    else {
      event.result = 'exception';
      event.exceptionCode = status === -1 ? encapStatus : status;
      event.exceptionName = status === -1 ? ENCAP_STATUS_NAMES[encapStatus] ?? 'encapsulation_error' : GENERAL_STATUS_NAMES[status] ?? 'cip_error';
    }
    sink.emit(event);
  }

  /** complete() for a pending operation: a deferred tag read that is only counted never gets its event. */
  private completeOp(op: PendingOp, status: number, encapStatus: number): void {
    if (op.event === null && status === 0) {
      const sink = this.ctx.sink;
      if (this.counting.counts(sink, 'cip', op.kind)) {
        sink.countOperation!(this.ctx.captureIndex, this.ctx.flow.id, 'cip', op.kind, this.ev.sender(op.dir), this.ev.receiver(op.dir));
        return;
      }
      // The answered tag read: the keys complete() would leave, in the same order (result keeps its place).
      const event = this.tagReadEvent(op);
      event.result = 'ok';
      event.responseFrame = this.ev.meta.frame;
      sink.emit(event);
      return;
    }
    this.complete(this.eventOf(op), status, encapStatus);
  }

  private emitNow(event: OperationEvent): void {
    this.ctx.sink.emit(event);
  }

  /**
   * Files `p` (holding at least one event) under pairKey(keyHigh, keyLow); a request already there, or the oldest
   * at the cap, goes out unanswered.
   */
  private addPending(keyHigh: number, keyLow: number, p: Pending): void {
    const key = pairKey(keyHigh, keyLow);
    const previous = this.pending.take(key);
    if (previous !== null) {
      this.emitAll(previous);
      this.release(previous);
    }
    if (this.pending.size >= this.ctx.maxPendingTransactions) {
      const oldest = this.pending.oldest!;
      this.pending.remove(oldest);
      this.ctx.count('enip.transaction-cap');
      this.emitAll(oldest);
      this.release(oldest);
    }
    p.key = key;
    this.pending.add(p);
  }

  private emitAll(p: Pending): void {
    for (let i = 0; i < p.count; i++) this.ctx.sink.emit(this.eventOf(p.ops[i]!));
  }

  /** The next operation record of `p`, its event unset. */
  private push(p: Pending, cls: number): PendingOp {
    const i = p.count++;
    const ops = p.ops;
    const op = i < ops.length ? ops[i]! : (ops[i] = new PendingOp());
    op.event = null;
    op.cls = cls;
    return op;
  }

  private acquire(): Pending {
    const p = this.pool;
    if (p === null) return new Pending();
    this.pool = p.chained as Pending | null;
    this.pooled--;
    return p;
  }

  /** Recycles `p` (out of the table, its events emitted or handed on). */
  private release(p: Pending): void {
    // Drop the event references so a pooled record does not keep emitted events alive.
    for (let i = 0; i < p.count; i++) p.ops[i]!.event = null;
    p.count = 0;
    if (this.pooled >= POOL_LIMIT) return;
    p.chained = this.pool;
    this.pool = p;
    this.pooled++;
  }

  private malformed(dir: Dir, detail: string): void {
    this.ev.anomaly(dir, 'malformed', detail);
  }
}

/**
 * A pairing key from its two halves, both small integers: keys are passed around as halves because a key of
 * more than 31 bits passed to a function that is not inlined becomes a heap number. A sender context's key is
 * its low 32 bits times 2^20 plus 20 bits of its high half, i.e. high = low32 >>> 2 and low = (low32 & 3) << 20
 * | high20; a connected message's key is -1 - sequence (high 0).
 */
function pairKey(keyHigh: number, keyLow: number): number {
  return keyHigh * 0x400000 + keyLow;
}

/**
 * The high half of an encapsulation-level request's key (ListIdentity, RegisterSession, ...), whose low half is
 * minus the context's: the key is -2^32 * (command + 1) - (context mod 2^32), below -2^32 and so apart from the
 * CIP keys. With context = high * 2^22 + low, context mod 2^32 = (high & 1023) * 2^22 + low.
 */
function encapKeyHigh(command: number, contextHigh: number): number {
  return -1024 * (command + 1) - (contextHigh & 1023);
}
