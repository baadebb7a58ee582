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
import { HashMemo, ja4, ja4HashMemo, ja4s } from './ja4.js';
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
  /** bounded memo of JA4/JA4S hashes, shared by the flows (its size is its cap; each reset is counted) */
  ja4Memo: HashMemo;
}

export const DEFAULT_TLS_OPTIONS: TlsOptions = { maxHandshakeBytes: 65536, maxFacts: 32, maxAnomalyEvents: 20, ja4Memo: ja4HashMemo };

const HANDSHAKE_HEADER = 4;

/**
 * Hello scratch shared by every session: a hello is parsed and fingerprinted within one onData call, so no two
 * sessions use them at once. Per-session copies cost ten objects and their lists' growth per TLS flow.
 */
const sharedClientHello = new ClientHello();
const sharedServerHello = new ServerHello();
const NO_OPTIONS: Partial<TlsOptions> = Object.freeze({});

class Direction {
  /** a record header split across segments (allocated on the first one) */
  header: Buffer | null = null;
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
  alertLevel = 0;
  alertCode = 0;
  alertLen = 0;
}

export class TlsSession implements FlowAnalyzer {
  private readonly opts: TlsOptions;
  private readonly em: FlowEmitter;
  private readonly dirs: [Direction, Direction] = [new Direction(), new Direction()];
  /**
   * A hello whose parse failed (or a HelloRetryRequest) keeps its partial lists for the next hello of the flow,
   * as one object per flow always did; until then the flow parses into the shared scratch below.
   */
  private ownClientHello: ClientHello | null = null;
  private ownServerHello: ServerHello | null = null;
  private event: OperationEvent | null = null;
  private emitted = false;
  private sawClientHello = false;
  private sawServerHello = false;
  private sawCertificate = false;
  /** stream index of the client once a hello has said so */
  private clientStream: 0 | 1 = 0;

  constructor(
    private readonly ctx: AnalyzerContext,
    options: Partial<TlsOptions> = NO_OPTIONS,
  ) {
    this.opts = options === NO_OPTIONS ? DEFAULT_TLS_OPTIONS : { ...DEFAULT_TLS_OPTIONS, ...options };
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
        // The header is read in place when whole in the segment, else assembled in d.header.
        let hb = buf;
        let ho = p;
        if (d.headerLen === 0 && end - p >= RECORD_HEADER_BYTES) {
          p += RECORD_HEADER_BYTES;
        } else {
          if (d.header === null) d.header = Buffer.allocUnsafe(RECORD_HEADER_BYTES);
          const n = Math.min(RECORD_HEADER_BYTES - d.headerLen, end - p);
          buf.copy(d.header, d.headerLen, p, p + n);
          d.headerLen += n;
          p += n;
          if (d.headerLen < RECORD_HEADER_BYTES) return;
          d.headerLen = 0;
          hb = d.header;
          ho = 0;
        }
        if (!isRecordHeader(hb, ho)) {
          d.lost = true;
          this.em.anomaly(s, 'malformed', `no TLS record header (0x${hb.toString('hex', ho, ho + RECORD_HEADER_BYTES)})`);
          this.ctx.count('unparsed-bytes', end - p);
          return;
        }
        d.recordType = hb[ho]!;
        d.recordRemaining = (hb[ho + 3]! << 8) | hb[ho + 4]!;
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
      case ContentType.Alert:
        if (d.alertLen === 0 && n > 0) {
          d.alertLevel = buf[p]!;
          d.alertLen = 1;
          p++;
          n--;
        }
        if (d.alertLen === 1 && n > 0) {
          d.alertCode = buf[p]!;
          d.alertLen = 2;
        }
        return;
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
        this.onAlert(s, d.alertLevel, d.alertCode);
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
    if (d.hsLen > 0) {
      this.bufferedHandshakeBytes(s, d, buf, p, n);
      return;
    }
    // Messages whole in this piece of the record are parsed in place; only a message split across segments or
    // records is copied (bufferedHandshakeBytes).
    const max = this.opts.maxHandshakeBytes;
    while (n >= HANDSHAKE_HEADER) {
      const type = buf[p]!;
      const mlen = (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!;
      if (mlen > max) {
        this.handshakeOverCap(s, type, mlen);
        const k = Math.min(mlen, n - HANDSHAKE_HEADER);
        d.hsSkip = mlen - k;
        p += HANDSHAKE_HEADER + k;
        n -= HANDSHAKE_HEADER + k;
        continue;
      }
      if (n < HANDSHAKE_HEADER + mlen) break;
      this.onHandshake(s, d, type, buf, p + HANDSHAKE_HEADER, mlen);
      p += HANDSHAKE_HEADER + mlen;
      n -= HANDSHAKE_HEADER + mlen;
      // after a TLS 1.3 ServerHello what follows in the record is no longer readable
      if (d.encrypted) return;
    }
    if (n > 0) this.bufferedHandshakeBytes(s, d, buf, p, n);
  }

  private handshakeOverCap(s: 0 | 1, type: number, mlen: number): void {
    this.ctx.count('handshake-cap');
    this.em.anomaly(s, 'buffer-cap', `handshake message type ${type} of ${mlen} bytes exceeds the cap`);
  }

  /** Appends to the partial message held in d.hs (bounded by the cap) and parses what completes. */
  private bufferedHandshakeBytes(s: 0 | 1, d: Direction, buf: Buffer, p: number, n: number): void {
    const cap = this.opts.maxHandshakeBytes + HANDSHAKE_HEADER;
    const need = Math.min(cap, d.hsLen + n);
    if (d.hs === null || d.hs.length < need) {
      // sized to the message when its header is known: a hello or certificate chain rarely needs regrowth
      let size = d.hs === null ? 512 : d.hs.length * 2;
      const header = d.hsLen >= HANDSHAKE_HEADER ? d.hs! : d.hsLen === 0 && n >= HANDSHAKE_HEADER ? buf : null;
      if (header !== null) {
        const at = header === buf ? p : 0;
        const message = HANDSHAKE_HEADER + ((header[at + 1]! << 16) | (header[at + 2]! << 8) | header[at + 3]!);
        if (message > size && message <= cap) size = message;
      }
      const next = Buffer.allocUnsafe(Math.min(cap, Math.max(size, need)));
      if (d.hs !== null) d.hs.copy(next, 0, 0, d.hsLen);
      d.hs = next;
    }
    const hs = d.hs;
    const k = Math.min(n, hs.length - d.hsLen);
    buf.copy(hs, d.hsLen, p, p + k);
    d.hsLen += k;
    let q = 0;
    while (d.hsLen - q >= HANDSHAKE_HEADER) {
      const type = hs[q]!;
      const mlen = (hs[q + 1]! << 16) | (hs[q + 2]! << 8) | hs[q + 3]!;
      if (mlen > this.opts.maxHandshakeBytes) {
        this.handshakeOverCap(s, type, mlen);
        d.hsSkip = mlen - (d.hsLen - q - HANDSHAKE_HEADER);
        d.hsLen = 0;
        if (k < n) this.handshakeBytes(s, d, buf, p + k, n - k);
        return;
      }
      if (d.hsLen - q < HANDSHAKE_HEADER + mlen) break;
      this.onHandshake(s, d, type, hs, q + HANDSHAKE_HEADER, mlen);
      q += HANDSHAKE_HEADER + mlen;
      if (d.encrypted) {
        // a TLS 1.3 ServerHello: what follows in the record is no longer readable
        q = d.hsLen;
        break;
      }
    }
    if (q > 0) {
      hs.copy(hs, 0, q, d.hsLen);
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
    let h = this.ownClientHello;
    if (h === null) {
      h = sharedClientHello;
      h.reset();
    }
    if (!parseClientHello(b, off, len, h)) {
      if (this.ownClientHello === null) this.ownClientHello = h.clone();
      this.em.anomaly(s, 'malformed', 'ClientHello does not decode');
      return;
    }
    this.sawClientHello = true;
    this.em.settleSides(s, true);
    this.clientStream = s;
    if (h.truncated) this.ctx.count('list-cap');
    const e = this.operation(s);
    const a = e.attributes!;
    const memo = this.opts.ja4Memo;
    const resets = memo.resets;
    const fp = ja4(h, 't', memo);
    if (memo.resets !== resets) this.ctx.count('ja4-memo-resets');
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
    let h = this.ownServerHello;
    if (h === null) {
      h = sharedServerHello;
      h.reset();
    }
    const parsed = parseServerHello(b, off, len, h);
    // Only a flow that has not settled its ServerHello reads the lists again.
    if ((!parsed || h.helloRetry) && this.ownServerHello === null && !this.sawServerHello) this.ownServerHello = h.clone();
    if (!parsed) {
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
    const memo = this.opts.ja4Memo;
    const resets = memo.resets;
    a.ja4s = ja4s(h, 't', memo).ja4;
    if (memo.resets !== resets) this.ctx.count('ja4-memo-resets');
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
    const e = this.event;
    const sink = this.ctx.sink;
    // A completed handshake nobody reads individually is counted without its event.
    if (e.result === 'ok' && sink.countOperation !== undefined && !sink.wantsOperation!('tls', 'connect', 'ok')) {
      sink.countOperation(e.captureIndex, e.flowId, 'tls', 'connect', e.src, e.dst);
      return;
    }
    sink.emit(e);
  }
}
