/**
 * Per-flow RDP state: the X.224 Connection Request (cookie user, requested security protocols) and Connection
 * Confirm (selected protocol or negotiation failure) become one 'connect' operation. Everything after the
 * confirm is TLS/CredSSP or RC4-encrypted standard RDP security: the flow is marked opaque and only counted.
 */
import type { OperationEvent } from '../../events/types.js';
import { Dir, type AnalyzerContext, type FlowAnalyzer, type PacketMeta } from '../analyzer.js';
import { StreamBuffer } from '../common/stream-buffer.js';
import { FlowEvents, IT_SESSION_LIMITS } from '../common/flow-events.js';
import { NEG_FAILURE_NAMES, X224_CC, X224_CR, parseConnectionPdu, protocolNames, tpktLength } from './parser.js';

/** Largest CR/CC TPKT accepted (cookie + negotiation + correlation info are far below). */
const MAX_CONNECTION_PDU = 1024;

export class RdpSession implements FlowAnalyzer {
  private readonly ev: FlowEvents;
  private readonly streams: [StreamBuffer, StreamBuffer];
  /** per direction: still expecting the connection PDU */
  private readonly expecting = [true, true];
  private connect: OperationEvent | null = null;
  private encryptedBytes = 0;

  constructor(private readonly ctx: AnalyzerContext) {
    this.ev = new FlowEvents(ctx, 'rdp', IT_SESSION_LIMITS);
    const cap = Math.min(ctx.maxBufferBytes, MAX_CONNECTION_PDU);
    this.streams = [
      new StreamBuffer(cap, (b, o, l) => this.consume(Dir.ToServer, b, o, l)),
      new StreamBuffer(cap, (b, o, l) => this.consume(Dir.ToClient, b, o, l)),
    ];
  }

  onData(dir: Dir, buf: Buffer, off: number, len: number, meta: PacketMeta): void {
    this.ev.meta = meta;
    if (!this.expecting[dir]) {
      this.encryptedBytes += len;
      return;
    }
    this.streams[dir].push(buf, off, len);
  }

  onGap(dir: Dir, bytes: number, meta: PacketMeta): void {
    this.ev.meta = meta;
    this.streams[dir].reset();
    if (this.expecting[dir]) this.ev.anomaly(dir, 'gap', `${bytes} bytes missing in the connection sequence`);
    this.expecting[dir] = false;
  }

  onClose(): void {
    this.ctx.count('rdp.opaque-bytes', this.encryptedBytes);
    if (this.connect) {
      this.ev.emit(this.connect);
      this.connect = null;
    }
  }

  private consume(dir: Dir, buf: Buffer, off: number, len: number): number {
    if (!this.expecting[dir]) {
      this.encryptedBytes += len;
      return len;
    }
    const n = tpktLength(buf, off, len);
    if (n === 0) return 0;
    if (n < 0 || n > MAX_CONNECTION_PDU) return this.giveUp(dir, len, 'not a TPKT');
    if (len < n) return 0;
    const pdu = parseConnectionPdu(buf, off, n);
    const wanted = dir === Dir.ToServer ? X224_CR : X224_CC;
    if (pdu === null || pdu.type !== wanted) return this.giveUp(dir, len, `not an X.224 ${dir === Dir.ToServer ? 'Connection Request' : 'Connection Confirm'}`);
    this.expecting[dir] = false;
    if (dir === Dir.ToServer) {
      const e = this.ev.operation(Dir.ToServer, 'connect', X224_CR, 'connection_request');
      const attributes: Record<string, string | number | boolean> = {};
      if (pdu.user !== '') attributes.user = pdu.user;
      if (pdu.routingToken !== '') attributes.routing_token = pdu.routingToken;
      attributes.requested = pdu.requested < 0 ? 'rdp' : protocolNames(pdu.requested);
      e.attributes = attributes;
      this.connect = e;
      // mstshash carries the login name the user typed, truncated by some clients to 9 characters.
      if (pdu.user !== '') this.ev.fact('client', 'user', pdu.user, 0.7);
      this.ev.fact('server', 'role-hint', 'remote-access', 0.9);
    } else {
      const e = this.connect;
      this.connect = null;
      const selected = pdu.selected < 0 ? 0 : pdu.selected;
      if (e) {
        e.responseCode = X224_CC;
        if (pdu.failure >= 0) {
          this.ev.complete(e, false, pdu.failure, NEG_FAILURE_NAMES[pdu.failure] ?? `failure_${pdu.failure}`);
        } else {
          this.ev.complete(e, true);
          e.attributes = { ...e.attributes, selected: protocolNames(selected), security_protocol: protocolNames(selected) };
        }
        this.ev.emit(e);
      } else {
        this.ctx.count('rdp.unexpected-response');
      }
      if (pdu.failure < 0) {
        this.ev.opaque(selected === 0 ? 'standard RDP security: session encrypted with RC4 after the connection sequence' : `security protocol ${protocolNames(selected)}: session encrypted`);
      }
      // The client's side is encrypted from here on too.
      this.expecting[Dir.ToServer] = false;
    }
    return n;
  }

  private giveUp(dir: Dir, len: number, why: string): number {
    this.expecting[dir] = false;
    this.ev.anomaly(dir, 'malformed', why);
    this.encryptedBytes += len;
    return len;
  }
}
