/**
 * Per-flow NTP state: client requests paired with server replies (the reply's origin timestamp echoes the
 * request's transmit timestamp), one 'time-sync' operation per exchange; mode 6 control and mode 7 private
 * requests (ntpq/ntpdc, including the monlist amplification request) as 'diagnostics' operations paired with
 * their possibly multi-datagram responses, whose total size is reported as dataBytes.
 */
import type { OperationEvent } from '../../events/types.js';
import { Dir, type AnalyzerContext, type FlowAnalyzer, type PacketMeta } from '../analyzer.js';
import { FlowEvents, IT_SESSION_LIMITS } from '../common/flow-events.js';
import { CONTROL_OPCODES, MODE_NAMES, PRIVATE_REQUESTS, be16, minLength, ntpMode, ntpVersion, refIdText, refIdValue, timestampKey } from './parser.js';

export class NtpSession implements FlowAnalyzer {
  private readonly ev: FlowEvents;
  /** client requests by transmit timestamp key */
  private readonly exchanges = new Map<number, OperationEvent>();
  /** mode 6 requests by sequence number; made on the first (most flows only synchronise time) */
  private control: Map<number, OperationEvent> | null = null;
  /** mode 7 requests by request code; made on the first */
  private privateRequests: Map<number, OperationEvent> | null = null;
  private firstMessage = true;
  /**
   * IPs already stated as 'ntp-server' (at most the flow's two): FlowEvents.fact would drop the repeat, after
   * building its key; NTP states no other fact, so its cap is never reached and skipping is the same.
   */
  private serverStatedIp1: string | null = null;
  private serverStatedIp2: string | null = null;
  /** The last reply's reference id (value, stratum class) and its text: servers repeat it on every reply. */
  private lastRefId = -1;
  private lastRefIdKiss = false;
  private lastRefIdText = '';

  constructor(private readonly ctx: AnalyzerContext) {
    this.ev = new FlowEvents(ctx, 'ntp', IT_SESSION_LIMITS);
  }

  onData(dir: Dir, buf: Buffer, off: number, len: number, meta: PacketMeta): void {
    this.ev.meta = meta;
    if (len < 8) {
      this.ev.anomaly(dir, 'malformed', `${len}-byte datagram`);
      return;
    }
    const mode = ntpMode(buf, off);
    if (len < minLength(mode) || mode === 0) {
      this.ev.anomaly(dir, 'malformed', `${len}-byte mode ${mode} datagram`);
      return;
    }
    this.ctx.count('ntp.messages');
    const isResponse = mode === 4 || (mode === 6 && (buf[off + 1]! & 0x80) !== 0) || (mode === 7 && (buf[off]! & 0x80) !== 0);
    if (this.firstMessage) {
      this.firstMessage = false;
      if (isResponse && this.ctx.flow.sidesGuessed) {
        this.ctx.swapSides();
        this.ev.swapped();
        dir = dir === Dir.ToServer ? Dir.ToClient : Dir.ToServer;
      } else if (mode === 3 || (mode >= 6 && !isResponse)) {
        this.ctx.confirmSides();
      }
    }
    switch (mode) {
      case 3:
        this.onClientRequest(dir, buf, off);
        return;
      case 4:
        this.onServerReply(dir, buf, off);
        return;
      case 5:
        this.ctx.count('ntp.broadcast');
        this.serverFact(dir === Dir.ToServer ? 'client' : 'server', 0.8);
        return;
      case 6:
        if (isResponse) this.onControlResponse(buf, off, len);
        else this.onControlRequest(dir, buf, off);
        return;
      case 7:
        if (isResponse) this.onPrivateResponse(buf, off, len);
        else this.onPrivateRequest(dir, buf, off);
        return;
      default:
        this.ctx.count('ntp.symmetric');
    }
  }

  onGap(): void {}

  onClose(): void {
    this.flush(this.exchanges);
    if (this.control !== null) this.flush(this.control);
    if (this.privateRequests !== null) this.flush(this.privateRequests);
  }

  /** Emits the requests still awaiting an answer, oldest first. */
  private flush(map: Map<number, OperationEvent>): void {
    for (const e of map.values()) this.ev.emit(e);
    map.clear();
  }

  private onClientRequest(dir: Dir, buf: Buffer, off: number): void {
    const e = this.ev.operation(dir, 'time-sync', 3, MODE_NAMES[3]!);
    e.attributes = { version: ntpVersion(buf, off) };
    this.track(this.exchanges, timestampKey(buf, off + 40), e, dir);
  }

  private onServerReply(dir: Dir, buf: Buffer, off: number): void {
    const stratum = buf[off + 1]!;
    const server = dir === Dir.ToServer ? 'client' : 'server';
    const key = timestampKey(buf, off + 24);
    const e = this.exchanges.get(key);
    if (stratum === 0) {
      // Kiss-o'-Death: the refid is the kiss code (RATE, DENY, RSTR).
      this.ctx.count('ntp.kiss-of-death');
    } else {
      this.serverFact(server, 0.9);
    }
    if (e === undefined) {
      this.ctx.count('ntp.unexpected-response');
      return;
    }
    this.exchanges.delete(key);
    const refid = this.refId(buf, off, stratum);
    if (stratum === 0) this.ev.complete(e, false, 0, `kiss_${refid.toLowerCase()}`);
    else {
      this.ev.complete(e, true);
      // An exchange answered normally, nobody reading it individually: counted without its event.
      const sink = this.ctx.sink;
      if (sink.countOperation !== undefined && !sink.wantsOperation!('ntp', 'time-sync', 'ok')) {
        sink.countOperation(e.captureIndex, e.flowId, 'ntp', 'time-sync', e.src, e.dst);
        return;
      }
    }
    // Requests in `exchanges` carry { version } alone (onClientRequest).
    e.attributes = { version: e.attributes!.version!, stratum, refid };
    this.ev.emit(e);
  }

  /** The 'ntp-server' role fact about one side, once per IP. */
  private serverFact(side: 'client' | 'server', confidence: number): void {
    const ip = side === 'client' ? this.ev.client.ip : this.ev.server.ip;
    if (ip === this.serverStatedIp1 || ip === this.serverStatedIp2) return;
    this.ev.fact(side, 'role-hint', 'ntp-server', confidence);
    if (this.serverStatedIp1 === null) this.serverStatedIp1 = ip;
    else this.serverStatedIp2 = ip;
  }

  /** refIdText, made again only when the reference id (or whether it is text or an address) changes. */
  private refId(buf: Buffer, off: number, stratum: number): string {
    const value = refIdValue(buf, off);
    const kiss = stratum <= 1;
    if (value !== this.lastRefId || kiss !== this.lastRefIdKiss) {
      this.lastRefId = value;
      this.lastRefIdKiss = kiss;
      this.lastRefIdText = refIdText(buf, off, stratum);
    }
    return this.lastRefIdText;
  }

  private onControlRequest(dir: Dir, buf: Buffer, off: number): void {
    const opcode = buf[off + 1]! & 0x1f;
    const name = CONTROL_OPCODES[opcode] ?? `opcode_${opcode}`;
    const writes = opcode === 3 || opcode === 5 || opcode === 8 || opcode === 9;
    const e = this.ev.operation(dir, writes ? 'configuration' : 'diagnostics', 6, `control_${name}`);
    e.subCode = opcode;
    e.dataBytes = 0;
    this.track((this.control ??= new Map()), be16(buf, off + 2), e, dir);
  }

  private onControlResponse(buf: Buffer, off: number, len: number): void {
    const seq = be16(buf, off + 2);
    const e = this.control?.get(seq);
    if (e === undefined) {
      this.ctx.count('ntp.unexpected-response');
      return;
    }
    e.dataBytes = (e.dataBytes ?? 0) + len;
    if ((buf[off + 1]! & 0x20) !== 0) return; // more fragments follow
    this.control!.delete(seq);
    const error = (buf[off + 1]! & 0x40) !== 0;
    this.ev.complete(e, !error, error ? buf[off + 4]! >> 5 : undefined, error ? 'control_error' : undefined);
    this.ev.emit(e);
  }

  private onPrivateRequest(dir: Dir, buf: Buffer, off: number): void {
    const request = buf[off + 3]!;
    const e = this.ev.operation(dir, 'diagnostics', 7, PRIVATE_REQUESTS[request] ?? `private_${request}`);
    e.subCode = request;
    e.dataBytes = 0;
    e.attributes = { implementation: buf[off + 2]!, responses: 0 };
    if (request === 20 || request === 42) this.ctx.count('ntp.monlist-requests');
    this.track((this.privateRequests ??= new Map()), request, e, dir);
  }

  private onPrivateResponse(buf: Buffer, off: number, len: number): void {
    const request = buf[off + 3]!;
    const e = this.privateRequests?.get(request);
    if (e === undefined) {
      this.ctx.count('ntp.unexpected-response');
      return;
    }
    e.dataBytes = (e.dataBytes ?? 0) + len;
    const responses = (e.attributes!.responses as number) + 1;
    e.attributes!.responses = responses;
    if (responses === 1) this.ev.complete(e, (buf[off + 4]! >> 4) === 0, buf[off + 4]! >> 4, 'private_error');
    if ((buf[off]! & 0x40) !== 0) return; // more datagrams follow
    this.privateRequests!.delete(request);
    this.ev.emit(e);
  }

  /** A repeated key reports the earlier request as unanswered; the cap pushes out the oldest. */
  private track(map: Map<number, OperationEvent>, key: number, e: OperationEvent, dir: Dir): void {
    const previous = map.get(key);
    if (previous) {
      map.delete(key);
      this.ev.emit(previous);
    }
    if (map.size >= this.ctx.maxPendingTransactions) {
      const [oldestKey, oldest] = map.entries().next().value as [number, OperationEvent];
      map.delete(oldestKey);
      this.ev.anomaly(dir, 'transaction-cap', 'pending NTP requests over the cap');
      this.ev.emit(oldest);
    }
    map.set(key, e);
  }
}
