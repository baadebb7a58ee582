/**
 * Per-flow TLS state: record framing per direction (records are never buffered whole: only the cleartext
 * handshake messages are reassembled, bounded), ClientHello → JA4, ServerHello → negotiated version, cipher
 * and JA4S, TLS ≤ 1.2 Certificate → subject/issuer/validity, cleartext alerts → handshake failure.
 *
 * Everything after ChangeCipherSpec (or after a TLS 1.3 ServerHello, for the server's side) is encrypted by
 * design: its records are framed and counted, never parsed. One 'connect' operation per connection, emitted
 * when the handshake is over as far as a passive observer can tell (the server's ChangeCipherSpec, the first
 * application data, a fatal alert, or the end of the flow).
 */
import type { OperationEvent } from '../../events/types.js';
import type { AnalyzerContext, Dir, FlowAnalyzer, PacketMeta } from '../analyzer.js';
import { FlowEmitter } from '../http/events.js';
import { formatName, parseCertificate } from './der.js';
import { ja4, ja4s } from './ja4.js';
import {
  ClientHello,
  ContentType,
  HandshakeType,
  RECORD_HEADER_BYTES,
  ServerHello,
  alertName,
  firstCertificate,
  isRecordHeader,
  parseClientHello,
  parseServerHello,
  versionName,
} from './parser.js';

export interface TlsOptions {
  /** bytes of one handshake message reassembled; longer messages are skipped and counted */
  maxHandshakeBytes: number;
  maxFacts: number;
  maxAnomalyEvents: number;
}

export const DEFAULT_TLS_OPTIONS: TlsOptions = { maxHandshakeBytes: 65536, maxFacts: 32, maxAnomalyEvents: 20 };

const HANDSHAKE_HEADER = 4;

class Direction {
  header = Buffer.alloc(RECORD_HEADER_BYTES);
  headerLen = 0;
  recordType = 0;
  recordRemaining = 0;
  /** after ChangeCipherSpec (or the TLS 1.3 ServerHello, server side): records are opaque */
  encrypted = false;
  /** framing lost (malformed header or gap): the rest of the direction is only counted */
  lost = false;
  hs: Buffer | null = null;
  hsLen = 0;
  /** bytes of an over-cap handshake message still to skip */
  hsSkip = 0;
  alert = Buffer.alloc(2);
  alertLen = 0;
}

export class TlsSession implements FlowAnalyzer {
  private readonly opts: TlsOptions;
  private readonly em: FlowEmitter;
  private readonly dirs: [Direction, Direction] = [new Direction(), new Direction()];
  private readonly clientHello = new ClientHello();
  private readonly serverHello = new ServerHello();
  private event: OperationEvent | null = null;
  private emitted = false;
  private sawClientHello = false;
  private sawServerHello = false;
  private sawCertificate = false;
  /** stream index of the client once a hello has said so */
  private clientStream: 0 | 1 = 0;

  constructor(
    private readonly ctx: AnalyzerContext,
    options: Partial<TlsOptions> = {},
  ) {
    this.opts = { ...DEFAULT_TLS_OPTIONS, ...options };
    this.em = new FlowEmitter(ctx, 'tls', this.opts);
  }

  onData(dir: Dir, buf: Buffer, off: number, len: number, meta: PacketMeta): void {
    if (len <= 0 || off < 0 || off + len > buf.length) return;
    this.em.meta = meta;
    const s = this.em.stream(dir);
    const d = this.dirs[s];
    if (d.lost) {
      this.ctx.count('unparsed-bytes', len);
      return;
    }
    let p = off;
    const end = off + len;
    while (p < end && !d.lost) {
      if (d.recordRemaining === 0) {
        const n = Math.min(RECORD_HEADER_BYTES - d.headerLen, end - p);
        buf.copy(d.header, d.headerLen, p, p + n);
        d.headerLen += n;
        p += n;
        if (d.headerLen < RECORD_HEADER_BYTES) return;
        d.headerLen = 0;
        if (!isRecordHeader(d.header, 0)) {
          d.lost = true;
          this.em.anomaly(s, 'malformed', `no TLS record header (0x${d.header.toString('hex')})`);
          this.ctx.count('unparsed-bytes', end - p);
          return;
        }
        d.recordType = d.header[0]!;
        d.recordRemaining = d.header.readUInt16BE(3);
        d.alertLen = 0;
        this.ctx.count('records');
        continue;
      }
      const n = Math.min(d.recordRemaining, end - p);
      this.recordBody(s, d, buf, p, n);
      p += n;
      d.recordRemaining -= n;
      if (d.recordRemaining === 0) this.recordEnd(s, d);
    }
  }

  onGap(dir: Dir, bytes: number, meta: PacketMeta): void {
    this.em.meta = meta;
    const s = this.em.stream(dir);
    const d = this.dirs[s];
    this.ctx.count('gaps');
    if (d.lost) return;
    if (d.recordRemaining > bytes && (d.encrypted || d.recordType === ContentType.ApplicationData)) {
      // inside an opaque record: the framing survives
      d.recordRemaining -= bytes;
      return;
    }
    d.lost = true;
    this.em.anomaly(s, 'gap', `${bytes} bytes missing; record framing lost`);
  }

  onClose(meta: PacketMeta): void {
    this.em.meta = meta;
    this.finish();
  }

  private recordBody(s: 0 | 1, d: Direction, buf: Buffer, p: number, n: number): void {
    switch (d.recordType) {
      case ContentType.Handshake:
        if (d.encrypted) this.ctx.count('encrypted-handshake-bytes', n);
        else this.handshakeBytes(s, d, buf, p, n);
        return;
      case ContentType.Alert: {
        const k = Math.min(2 - d.alertLen, n);
        if (k > 0) buf.copy(d.alert, d.alertLen, p, p + k);
        d.alertLen += k;
        return;
      }
      case ContentType.ApplicationData:
        this.ctx.count('application-bytes', n);
        return;
      default:
        return;
    }
  }

  private recordEnd(s: 0 | 1, d: Direction): void {
    switch (d.recordType) {
      case ContentType.ChangeCipherSpec:
        d.encrypted = true;
        if (s !== this.clientStream) this.finish();
        return;
      case ContentType.ApplicationData:
        this.ctx.count('application-records');
        this.finish();
        return;
      case ContentType.Alert:
        if (d.encrypted || d.alertLen < 2) {
          this.ctx.count('encrypted-alerts');
          return;
        }
        this.onAlert(s, d.alert[0]!, d.alert[1]!);
        return;
      case ContentType.Heartbeat:
        this.ctx.count('heartbeat-records');
        return;
    }
  }

  // ----------------------------------------------------------------------------------------- handshake

  private handshakeBytes(s: 0 | 1, d: Direction, buf: Buffer, p: number, n: number): void {
    if (d.encrypted) return;
    if (d.hsSkip > 0) {
      const k = Math.min(d.hsSkip, n);
      d.hsSkip -= k;
      p += k;
      n -= k;
      if (n === 0) return;
    }
    const cap = this.opts.maxHandshakeBytes + HANDSHAKE_HEADER;
    if (d.hs === null) d.hs = Buffer.allocUnsafe(Math.min(cap, 4096));
    if (d.hsLen + n > d.hs.length) {
      const next = Buffer.allocUnsafe(Math.min(cap, Math.max(d.hs.length * 2, d.hsLen + n)));
      d.hs.copy(next, 0, 0, d.hsLen);
      d.hs = next;
    }
    const k = Math.min(n, d.hs.length - d.hsLen);
    buf.copy(d.hs, d.hsLen, p, p + k);
    d.hsLen += k;
    let q = 0;
    while (d.hsLen - q >= HANDSHAKE_HEADER) {
      const type = d.hs[q]!;
      const mlen = (d.hs[q + 1]! << 16) | (d.hs[q + 2]! << 8) | d.hs[q + 3]!;
      if (mlen > this.opts.maxHandshakeBytes) {
        this.ctx.count('handshake-cap');
        this.em.anomaly(s, 'buffer-cap', `handshake message type ${type} of ${mlen} bytes exceeds the cap`);
        d.hsSkip = mlen - (d.hsLen - q - HANDSHAKE_HEADER);
        d.hsLen = 0;
        if (k < n) this.handshakeBytes(s, d, buf, p + k, n - k);
        return;
      }
      if (d.hsLen - q < HANDSHAKE_HEADER + mlen) break;
      this.onHandshake(s, d, type, d.hs, q + HANDSHAKE_HEADER, mlen);
      q += HANDSHAKE_HEADER + mlen;
      if (d.encrypted) {
        // a TLS 1.3 ServerHello: what follows in the record is no longer readable
        q = d.hsLen;
        break;
      }
    }
    if (q > 0) {
      d.hs.copy(d.hs, 0, q, d.hsLen);
      d.hsLen -= q;
    }
    if (k < n && !d.encrypted) this.handshakeBytes(s, d, buf, p + k, n - k);
  }

  private onHandshake(s: 0 | 1, d: Direction, type: number, b: Buffer, off: number, len: number): void {
    switch (type) {
      case HandshakeType.ClientHello:
        this.onClientHello(s, b, off, len);
        return;
      case HandshakeType.ServerHello:
        this.onServerHello(s, d, b, off, len);
        return;
      case HandshakeType.Certificate:
        this.onCertificate(s, b, off, len);
        return;
      default:
        this.ctx.count('handshake-messages');
    }
  }

  private onClientHello(s: 0 | 1, b: Buffer, off: number, len: number): void {
    if (this.sawClientHello) {
      this.ctx.count('repeated-client-hellos'); // after a HelloRetryRequest: the first one fingerprints the client
      return;
    }
    const h = this.clientHello;
    if (!parseClientHello(b, off, len, h)) {
      this.em.anomaly(s, 'malformed', 'ClientHello does not decode');
      return;
    }
    this.sawClientHello = true;
    this.em.settleSides(s, true);
    this.clientStream = s;
    if (h.truncated) this.ctx.count('list-cap');
    const e = this.operation(s);
    const a = e.attributes!;
    const fp = ja4(h);
    a.ja4 = fp.ja4;
    a.ja4_r = fp.raw;
    a.client_version = versionName(h.legacyVersion);
    if (h.sni) {
      a.sni = h.sni;
      e.object = h.sni;
    }
    if (h.alpn.length > 0) a.alpn_offered = h.alpn.join(',');
  }

  private onServerHello(s: 0 | 1, d: Direction, b: Buffer, off: number, len: number): void {
    const h = this.serverHello;
    if (!parseServerHello(b, off, len, h)) {
      this.em.anomaly(s, 'malformed', 'ServerHello does not decode');
      return;
    }
    if (h.helloRetry) {
      this.ctx.count('hello-retry-requests');
      return;
    }
    if (this.sawServerHello) return;
    this.sawServerHello = true;
    this.em.settleSides(s, false);
    if (!this.sawClientHello) this.clientStream = (s ^ 1) as 0 | 1;
    const e = this.operation((s ^ 1) as 0 | 1);
    e.code = h.version;
    e.responseFrame = this.em.meta.frame;
    if (e.result === 'no-response') e.result = 'ok';
    const a = e.attributes!;
    a.version = versionName(h.version);
    a.cipher = h.cipher.toString(16).padStart(4, '0');
    a.ja4s = ja4s(h).ja4;
    if (h.alpn) a.alpn = h.alpn;
    if (h.version === 0x0304) d.encrypted = true;
  }

  private onCertificate(s: 0 | 1, b: Buffer, off: number, len: number): void {
    if (this.sawCertificate || s === this.clientStream) {
      this.ctx.count('client-certificates');
      return;
    }
    this.sawCertificate = true;
    const der = firstCertificate(b, off, len);
    const cert = der === null ? null : parseCertificate(b, der.off, der.len);
    if (cert === null) {
      this.em.anomaly(s, 'malformed', 'server certificate does not decode');
      return;
    }
    const e = this.operation((s ^ 1) as 0 | 1);
    const a = e.attributes!;
    a.cert_subject = formatName(cert.subjectCn, cert.subjectO);
    a.cert_issuer = formatName(cert.issuerCn, cert.issuerO);
    if (cert.notBefore) a.cert_not_before = cert.notBefore;
    if (cert.notAfter) a.cert_not_after = cert.notAfter;
    a.self_signed = cert.selfSigned;
    const server = this.em.senders[s];
    const cn = cert.subjectCn.toLowerCase();
    if (/^\*\.[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(cn)) this.em.fact(server, 'domain', cn.slice(2), 0.4);
    else if (/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(cn) && !/^[\d.]+$/.test(cn)) {
      this.em.fact(server, 'hostname', cn, 0.5);
    }
  }

  private onAlert(s: 0 | 1, level: number, code: number): void {
    this.ctx.count('alerts');
    if (level !== 2) return;
    const e = this.operation(this.sawClientHello ? this.clientStream : ((s ^ 1) as 0 | 1));
    if (!this.emitted) {
      e.result = 'exception';
      e.exceptionCode = code;
      e.exceptionName = alertName(code);
      if (e.responseFrame === undefined) e.responseFrame = this.em.meta.frame;
    }
    this.finish();
  }

  /** The connection's operation, created by the first hello; `requester` is the client's stream. */
  private operation(requester: 0 | 1): OperationEvent {
    if (this.event !== null) return this.event;
    this.event = {
      type: 'operation',
      protocol: 'tls',
      ts: this.em.meta.ts,
      frame: this.em.meta.frame,
      captureIndex: this.ctx.captureIndex,
      flowId: this.ctx.flow.id,
      src: this.em.senders[requester],
      dst: this.em.senders[requester ^ 1]!,
      kind: 'connect',
      code: 0,
      codeName: 'tls_handshake',
      result: 'no-response',
      attributes: {},
    };
    return this.event;
  }

  private finish(): void {
    if (this.emitted || this.event === null) return;
    this.emitted = true;
    this.ctx.sink.emit(this.event);
  }
}
