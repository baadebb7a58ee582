/**
 * Per-flow HTTP/1.x state (Zeek http / Suricata app-layer-http style, without buffering bodies).
 *
 * Each direction is a small state machine over the byte stream: message head (bounded copy only when a head
 * spans segments) → body framed by Content-Length, chunked transfer coding or the connection's close → next
 * head. Bodies are skipped, except the first `maxBodyCaptureBytes` of successful HTML responses, which are
 * kept to recognise directory-listing pages. Requests and responses pair in order (pipelining); whether a
 * message is a request or a response comes from its start line, not its direction, which also settles flows
 * whose sides were guessed. 101 Switching Protocols and successful CONNECTs turn the flow into an opaque tunnel
 * whose bytes are only counted.
 *
 * Caps (all counted): head bytes (the rest of an over-long head is skipped up to its end), header count, header
 * line length, pending requests, body capture, facts and anomaly events.
 */
import { constants as zlibConstants, gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';
import type { OperationEvent, OperationKind } from '../../events/types.js';
import { Probe, type AnalyzerContext, type Dir, type FlowAnalyzer, type PacketMeta } from '../analyzer.js';
import { FlowEmitter, clean } from './events.js';
import { directoryListingFlavour, serverOsHint, userAgentOsHint } from './hints.js';
import { HttpHead, looksLikeStartLine, parseAuthorization, parseHead, probeHttp } from './parser.js';

export interface HttpOptions {
  /** bytes of one message head kept for parsing; the rest of a longer head is skipped */
  maxHeaderBytes: number;
  /** header fields parsed per message */
  maxHeaders: number;
  /** longest header line parsed */
  maxLineBytes: number;
  /** bytes of an HTML response body kept for directory-listing detection */
  maxBodyCaptureBytes: number;
  /** decompressed bytes examined when a captured body is gzip/deflate encoded */
  maxInflatedBytes: number;
  /** characters kept of a string in events (URI, header values) */
  maxFieldChars: number;
  maxFacts: number;
  maxAnomalyEvents: number;
}

export const DEFAULT_HTTP_OPTIONS: HttpOptions = {
  maxHeaderBytes: 16384,
  maxHeaders: 100,
  maxLineBytes: 8192,
  maxBodyCaptureBytes: 16384,
  maxInflatedBytes: 1 << 20,
  maxFieldChars: 512,
  maxFacts: 64,
  maxAnomalyEvents: 50,
};

const St = {
  Head: 0,
  BodyLength: 1,
  ChunkSize: 2,
  ChunkData: 3,
  ChunkDataEnd: 4,
  Trailer: 5,
  BodyClose: 6,
  Tunnel: 7,
  Resync: 8,
} as const;
type St = (typeof St)[keyof typeof St];

const CR = 0x0d;
const LF = 0x0a;
const MAX_CHUNK_SIZE_DIGITS = 12;

interface Transaction {
  event: OperationEvent;
  method: string;
  /** http://host/path of the request, for listing facts */
  url: string;
  server: string;
  contentEncoding: string;
}

class StreamState {
  state: St = St.Head;
  /** inside a head (its leading empty lines skipped) */
  inHead = false;
  head: Buffer | null = null;
  headLen = 0;
  headOverflow = false;
  /** complete lines seen in the current head or trailer */
  lines = 0;
  /** bytes of the current line so far and its last byte (lines may span segments) */
  curLine = 0;
  lastByte = 0;
  remaining = 0;
  chunkSize = 0;
  chunkDigits = 0;
  chunkExt = false;
  atLineStart = true;
  /** the message being read: a request's transaction (request stream) or the paired one (response stream) */
  message: Transaction | null = null;
  messageIsResponse = false;
  capturing = false;
  capture: Buffer | null = null;
  captureLen = 0;
  /**
   * A captured body whole in one segment is classified in place: the segment's buffer and range, set just before
   * the message ends in the same step (never kept past it).
   */
  inPlace: Buffer | null = null;
  inPlaceOff = 0;
  inPlaceLen = 0;
}

export class HttpSession implements FlowAnalyzer {
  private readonly opts: HttpOptions;
  private readonly em: FlowEmitter;
  private readonly streams: [StreamState, StreamState] = [new StreamState(), new StreamState()];
  private readonly headInfo = new HttpHead();
  /** requests awaiting their response, oldest first */
  private readonly pending: Transaction[] = [];

  constructor(
    private readonly ctx: AnalyzerContext,
    options: Partial<HttpOptions> = {},
  ) {
    this.opts = { ...DEFAULT_HTTP_OPTIONS, ...options };
    this.em = new FlowEmitter(ctx, 'http', this.opts);
  }

  onData(dir: Dir, buf: Buffer, off: number, len: number, meta: PacketMeta): void {
    if (len <= 0 || off < 0 || off + len > buf.length) return;
    this.em.meta = meta;
    const s = this.em.stream(dir);
    const st = this.streams[s];
    let p = off;
    const end = off + len;
    let stalls = 0;
    while (p < end) {
      const before = st.state;
      const q = this.step(s, st, buf, p, end);
      if (q > p) {
        p = q;
        stalls = 0;
      } else if (st.state === before || ++stalls > 4) {
        // Every state consumes a byte or moves on; this is a defect guard, never expected.
        this.ctx.count('internal-stall');
        return;
      }
    }
  }

  onGap(dir: Dir, bytes: number, meta: PacketMeta): void {
    this.em.meta = meta;
    const s = this.em.stream(dir);
    const st = this.streams[s];
    this.ctx.count('gaps');
    if ((st.state === St.BodyLength || st.state === St.ChunkData) && bytes < st.remaining) {
      // The hole is inside a body of known length: framing survives, only the captured text is lost.
      st.remaining -= bytes;
      st.capturing = false;
      return;
    }
    if (st.state === St.BodyClose || st.state === St.Tunnel) {
      st.capturing = false;
      return;
    }
    this.em.anomaly(s, 'gap', `${bytes} bytes missing`);
    if (st.message !== null && st.messageIsResponse) {
      st.capturing = false;
      this.finishResponse(st);
    }
    this.resetHead(st);
    st.message = null;
    st.state = St.Resync;
    st.atLineStart = false;
  }

  onClose(meta: PacketMeta): void {
    this.em.meta = meta;
    for (const st of this.streams) {
      if (st.message !== null && st.messageIsResponse) this.finishResponse(st);
      st.message = null;
    }
    for (const tx of this.pending) this.ctx.sink.emit(tx.event);
    this.pending.length = 0;
  }

  private step(s: 0 | 1, st: StreamState, buf: Buffer, p: number, end: number): number {
    switch (st.state) {
      case St.Head:
        return this.readHead(s, st, buf, p, end);
      case St.BodyLength:
      case St.ChunkData: {
        const n = Math.min(end - p, st.remaining);
        if (st.capturing && st.captureLen === 0 && n === st.remaining && st.state === St.BodyLength) {
          // The whole body is in this segment and ends here: finishResponse reads it in place, no copy.
          st.inPlace = buf;
          st.inPlaceOff = p;
          st.inPlaceLen = Math.min(n, this.opts.maxBodyCaptureBytes);
        } else this.body(st, buf, p, n);
        st.remaining -= n;
        if (st.remaining === 0) {
          if (st.state === St.ChunkData) st.state = St.ChunkDataEnd;
          else this.endMessage(st);
        }
        return p + n;
      }
      case St.ChunkSize:
        return this.readChunkSize(s, st, buf, p, end);
      case St.ChunkDataEnd: {
        const c = buf[p]!;
        if (c === LF) this.startChunkSize(st);
        else if (c !== CR) this.malformed(s, st, 'chunk data not followed by CRLF');
        return p + 1;
      }
      case St.Trailer:
        return this.readTrailer(st, buf, p, end);
      case St.BodyClose:
        this.body(st, buf, p, end - p);
        return end;
      case St.Tunnel:
        this.ctx.count('tunnel-bytes', end - p);
        return end;
      case St.Resync:
        return this.resync(st, buf, p, end);
    }
    return end;
  }

  // ------------------------------------------------------------------------------------------------ heads

  private readHead(s: 0 | 1, st: StreamState, buf: Buffer, p: number, end: number): number {
    if (!st.inHead) {
      while (p < end && (buf[p] === CR || buf[p] === LF)) p++;
      if (p === end) return end;
      st.inHead = true;
    }
    let start = p;
    let i = p;
    while (i < end) {
      // a byte loop rather than Buffer#indexOf: head lines are short, and a native call per line costs more
      let lf = i;
      while (lf < end && buf[lf] !== LF) lf++;
      if (lf === end) {
        st.curLine += end - i;
        st.lastByte = buf[end - 1]!;
        this.keepHead(s, st, buf, start, end);
        return end;
      }
      const lineLen = st.curLine + (lf - i);
      const last = lf > i ? buf[lf - 1]! : st.lastByte;
      st.curLine = 0;
      st.lastByte = LF;
      i = lf + 1;
      if (lineLen === 0 || (lineLen === 1 && last === CR)) {
        this.completeHead(s, st, buf, start, i);
        return i;
      }
      if (st.lines++ === 0) {
        // The first line is complete: a garbage stream goes to resync instead of filling the head cap.
        let ok: boolean;
        if (st.headLen === 0) ok = looksLikeStartLine(buf, start, i - start);
        else {
          this.keepHead(s, st, buf, start, i);
          start = i;
          ok = looksLikeStartLine(st.head!, 0, st.headLen);
        }
        if (!ok) {
          this.malformed(s, st, 'no HTTP request or status line');
          return i;
        }
      }
    }
    this.keepHead(s, st, buf, start, end);
    return end;
  }

  private keepHead(s: 0 | 1, st: StreamState, buf: Buffer, from: number, to: number): void {
    if (!this.keepHeadRaw(st, buf, from, to) && !st.headOverflow) {
      st.headOverflow = true;
      this.em.anomaly(s, 'buffer-cap', `message head longer than ${this.opts.maxHeaderBytes} bytes`);
      this.ctx.count('header-bytes-cap');
    }
  }

  /** Appends to the head copy up to the cap; false when bytes had to be dropped. */
  private keepHeadRaw(st: StreamState, buf: Buffer, from: number, to: number): boolean {
    const room = this.opts.maxHeaderBytes - st.headLen;
    const n = Math.min(room, to - from);
    if (n > 0) {
      if (st.head === null) st.head = Buffer.allocUnsafe(Math.min(this.opts.maxHeaderBytes, 1024));
      if (st.head.length < st.headLen + n) {
        const next = Buffer.allocUnsafe(Math.min(this.opts.maxHeaderBytes, Math.max(st.head.length * 2, st.headLen + n)));
        st.head.copy(next, 0, 0, st.headLen);
        st.head = next;
      }
      buf.copy(st.head, st.headLen, from, from + n);
      st.headLen += n;
    }
    return n === to - from;
  }

  private completeHead(s: 0 | 1, st: StreamState, buf: Buffer, start: number, end: number): void {
    const h = this.headInfo;
    if (st.headLen === 0 && !st.headOverflow) {
      parseHead(buf, start, end - start, this.opts, h);
    } else {
      this.keepHead(s, st, buf, start, end);
      parseHead(st.head!, 0, st.headLen, this.opts, h);
    }
    const truncated = st.headOverflow;
    this.resetHead(st);
    if (h.malformed) {
      this.malformed(s, st, 'no HTTP request or status line');
      return;
    }
    if (h.headersDropped > 0) this.ctx.count('header-count-cap', h.headersDropped);
    if (h.longLines > 0) this.ctx.count('header-line-cap', h.longLines);
    if (truncated) this.ctx.count('truncated-heads');
    if (h.isRequest) this.onRequest(s, st, h);
    else this.onResponse(s, st, h);
  }

  private resetHead(st: StreamState): void {
    st.inHead = false;
    st.headLen = 0;
    st.headOverflow = false;
    st.lines = 0;
    st.curLine = 0;
    st.lastByte = 0;
  }

  // ------------------------------------------------------------------------------------------- messages

  private onRequest(s: 0 | 1, st: StreamState, h: HttpHead): void {
    this.em.settleSides(s, true);
    this.ctx.count('requests');
    const o = this.opts;
    const client = this.em.senders[s];
    const server = this.em.senders[s ^ 1]!;
    const host = clean(h.host, o.maxFieldChars) || (server.port === 80 ? server.ip : `${server.ip}:${server.port}`);
    const uri = clean(h.target, o.maxFieldChars);
    const path = pathOf(uri);
    const attributes: Record<string, string | number | boolean> = { method: clean(h.method, 32), host, uri };
    if (h.userAgent) attributes.user_agent = clean(h.userAgent, o.maxFieldChars);
    let kind = methodKind(h.method);
    if (h.authorization) {
      kind = 'authentication';
      const auth = parseAuthorization(h.authorization, o.maxFieldChars);
      const user = clean(auth.user, o.maxFieldChars);
      attributes.auth_method = clean(auth.method, 32);
      if (user) attributes.user = user;
      if (auth.malformed) this.em.anomaly(s, 'malformed', `undecodable ${auth.method} credentials`);
      if (user) this.em.fact(client, 'user', user, 0.9);
      if (auth.method === 'basic') {
        this.em.fact(server, 'credential', `http basic user=${user || '(none)'} on ${host}${path} (password sent in cleartext)`, 0.95);
      }
      if (auth.workstation) this.em.fact(client, 'hostname', clean(auth.workstation, 255), 0.8);
    }
    if (h.userAgent) {
      const ua = clean(h.userAgent, o.maxFieldChars);
      this.em.fact(client, 'software', ua, 0.7);
      const hint = userAgentOsHint(ua);
      if (hint.os) this.em.fact(client, 'os', hint.os, hint.confidence);
    }
    const event: OperationEvent = {
      type: 'operation',
      protocol: 'http',
      ts: this.em.meta.ts,
      frame: this.em.meta.frame,
      captureIndex: this.ctx.captureIndex,
      flowId: this.ctx.flow.id,
      src: client,
      dst: server,
      kind,
      code: 0,
      codeName: h.method.toLowerCase(),
      object: `${host}${uri.startsWith('/') || uri === '*' ? uri : ` ${uri}`}`,
      result: 'no-response',
      attributes,
    };
    if (uri.startsWith('http://') || uri.startsWith('https://') || h.method === 'CONNECT') event.object = uri;
    const url = uri.startsWith('http://') ? pathOf(uri) : `http://${host}${path}`;
    const tx: Transaction = { event, method: h.method, url, server: '', contentEncoding: '' };
    if (this.pending.length >= this.ctx.maxPendingTransactions) {
      this.em.anomaly(s, 'transaction-cap', `more than ${this.ctx.maxPendingTransactions} requests awaiting a response`);
      this.ctx.sink.emit(this.pending.shift()!.event);
    }
    this.pending.push(tx);
    st.message = tx;
    st.messageIsResponse = false;
    st.capturing = false;
    if (h.chunked) this.startChunkSize(st);
    else if (h.contentLength > 0) {
      st.state = St.BodyLength;
      st.remaining = h.contentLength;
    } else {
      if (h.contentLength === -2) this.em.anomaly(s, 'malformed', 'invalid or conflicting Content-Length in a request');
      this.endMessage(st);
    }
  }

  private onResponse(s: 0 | 1, st: StreamState, h: HttpHead): void {
    this.em.settleSides(s, false);
    this.ctx.count('responses');
    const o = this.opts;
    const server = this.em.senders[s];
    const status = h.status;
    const serverHeader = clean(h.server, o.maxFieldChars);
    if (serverHeader) {
      this.em.fact(server, 'software', serverHeader, 0.9);
      const hint = serverOsHint(serverHeader);
      if (hint.os) this.em.fact(server, 'os', hint.os, hint.confidence);
    }
    if (status >= 100 && status < 200 && status !== 101) {
      this.ctx.count('interim-responses');
      st.state = St.Head;
      return;
    }
    const tx = this.pending.shift() ?? null;
    if (tx === null) this.em.anomaly(s, 'unexpected-response', `HTTP ${status} without a request`);
    const method = tx?.method ?? '';
    if (tx !== null) {
      const e = tx.event;
      e.code = status;
      e.responseFrame = this.em.meta.frame;
      e.result = status < 400 ? 'ok' : 'exception';
      if (status >= 400) {
        e.exceptionCode = status;
        e.exceptionName = reasonName(h.reason, status);
      }
      const a = e.attributes!;
      a.status = status;
      if (h.contentType) a.content_type = clean(h.contentType, o.maxFieldChars);
      if (serverHeader) a.server = serverHeader;
      tx.server = serverHeader;
      tx.contentEncoding = h.contentEncoding;
    }
    st.message = tx;
    st.messageIsResponse = true;
    const tunnel = status === 101 || (method === 'CONNECT' && status >= 200 && status < 300);
    if (tunnel) {
      this.finishResponse(st);
      this.ctx.count('tunnels');
      for (const other of this.streams) {
        other.state = St.Tunnel;
        other.message = null;
      }
      return;
    }
    const noBody = method === 'HEAD' || status === 204 || status === 304;
    st.capturing =
      tx !== null && !noBody && status >= 200 && status < 300 && (h.contentType === '' || /html/i.test(h.contentType));
    st.captureLen = 0;
    if (noBody) this.endMessage(st);
    else if (h.chunked) this.startChunkSize(st);
    else if (h.otherTransferCoding || h.contentLength < 0) {
      if (h.contentLength === -2) this.em.anomaly(s, 'malformed', 'invalid or conflicting Content-Length in a response');
      st.state = St.BodyClose;
    } else if (h.contentLength === 0) this.endMessage(st);
    else {
      st.state = St.BodyLength;
      st.remaining = h.contentLength;
    }
  }

  private endMessage(st: StreamState): void {
    if (st.messageIsResponse && st.message !== null) this.finishResponse(st);
    st.message = null;
    st.messageIsResponse = false;
    st.state = St.Head;
  }

  /** The response is complete (or the flow ended / lost bytes): classify its captured body and emit. */
  private finishResponse(st: StreamState): void {
    const tx = st.message;
    st.message = null;
    const inPlace = st.inPlace;
    st.inPlace = null;
    if (tx === null) return;
    if (st.capturing && inPlace !== null && st.inPlaceLen > 0) {
      const text = capturedText(this.ctx, inPlace, st.inPlaceOff, st.inPlaceLen, tx.contentEncoding, this.opts.maxInflatedBytes);
      this.listing(tx, text);
    } else if (st.capturing && st.captureLen > 0) {
      const text = capturedText(this.ctx, st.capture!, 0, st.captureLen, tx.contentEncoding, this.opts.maxInflatedBytes);
      this.listing(tx, text);
    }
    st.capturing = false;
    st.captureLen = 0;
    this.ctx.sink.emit(tx.event);
  }

  /** Marks the transaction when its captured body is a directory-listing page. */
  private listing(tx: Transaction, text: string): void {
    const flavour = text === '' ? '' : directoryListingFlavour(text, tx.server);
    if (flavour) {
      const a = tx.event.attributes!;
      a.directory_listing = true;
      a.listing_type = flavour;
      this.ctx.count('directory-listings');
      this.em.fact(tx.event.dst, 'directory-listing', tx.url, 0.9);
    }
  }

  private body(st: StreamState, buf: Buffer, p: number, n: number): void {
    if (!st.capturing || n <= 0) return;
    const room = this.opts.maxBodyCaptureBytes - st.captureLen;
    if (room <= 0) return;
    const k = Math.min(room, n);
    if (st.capture === null || st.capture.length < st.captureLen + k) {
      // grown on demand: most captured pages are far shorter than the cap (and small buffers come from the pool)
      const size = Math.min(this.opts.maxBodyCaptureBytes, Math.max(st.captureLen + k, st.capture === null ? 2048 : st.capture.length * 2));
      const next = Buffer.allocUnsafe(size);
      if (st.capture !== null) st.capture.copy(next, 0, 0, st.captureLen);
      st.capture = next;
    }
    buf.copy(st.capture, st.captureLen, p, p + k);
    st.captureLen += k;
  }

  // -------------------------------------------------------------------------------------------- chunked

  private startChunkSize(st: StreamState): void {
    st.state = St.ChunkSize;
    st.chunkSize = 0;
    st.chunkDigits = 0;
    st.chunkExt = false;
    st.curLine = 0;
  }

  private readChunkSize(s: 0 | 1, st: StreamState, buf: Buffer, p: number, end: number): number {
    for (let i = p; i < end; i++) {
      const c = buf[i]!;
      if (c === LF) {
        if (st.chunkDigits === 0) {
          this.malformed(s, st, 'chunk size line without a size');
          return i + 1;
        }
        if (st.chunkSize === 0) {
          st.state = St.Trailer;
          st.curLine = 0;
          st.lastByte = LF;
        } else {
          st.state = St.ChunkData;
          st.remaining = st.chunkSize;
        }
        return i + 1;
      }
      if (++st.curLine > this.opts.maxLineBytes) {
        this.malformed(s, st, 'chunk size line too long');
        return i + 1;
      }
      if (c === CR || st.chunkExt) continue;
      const v = hexValue(c);
      if (v >= 0) {
        if (++st.chunkDigits > MAX_CHUNK_SIZE_DIGITS) {
          this.malformed(s, st, 'chunk size too large');
          return i + 1;
        }
        st.chunkSize = st.chunkSize * 16 + v;
      } else if (c === 0x3b || c === 0x20 || c === 0x09) {
        st.chunkExt = true;
      } else {
        this.malformed(s, st, 'invalid chunk size');
        return i + 1;
      }
    }
    return end;
  }

  /** Trailer fields after the last chunk, up to an empty line. */
  private readTrailer(st: StreamState, buf: Buffer, p: number, end: number): number {
    let i = p;
    while (i < end) {
      const lf = buf.indexOf(LF, i);
      if (lf < 0 || lf >= end) {
        st.curLine += end - i;
        st.lastByte = buf[end - 1]!;
        return end;
      }
      const lineLen = st.curLine + (lf - i);
      const last = lf > i ? buf[lf - 1]! : st.lastByte;
      st.curLine = 0;
      st.lastByte = LF;
      i = lf + 1;
      if (lineLen === 0 || (lineLen === 1 && last === CR)) {
        this.endMessage(st);
        return i;
      }
    }
    return end;
  }

  // --------------------------------------------------------------------------------------------- errors

  private malformed(s: 0 | 1, st: StreamState, detail: string): void {
    this.em.anomaly(s, 'malformed', detail);
    if (st.message !== null && st.messageIsResponse) {
      st.capturing = false;
      this.finishResponse(st);
    }
    st.message = null;
    this.resetHead(st);
    st.state = St.Resync;
    st.atLineStart = true;
  }

  /** Skips to the next line that starts a request or response. */
  private resync(st: StreamState, buf: Buffer, p: number, end: number): number {
    let i = p;
    while (i < end) {
      if (st.atLineStart && buf[i] !== CR && buf[i] !== LF) {
        if (probeHttp(buf, i, end - i, 0) === Probe.Yes) {
          this.ctx.count('resyncs');
          this.resetHead(st);
          st.state = St.Head;
          return i;
        }
      }
      const lf = buf.indexOf(LF, i);
      if (lf < 0 || lf >= end) {
        st.atLineStart = false;
        return end;
      }
      i = lf + 1;
      st.atLineStart = true;
    }
    return end;
  }
}

/** The captured body buf[off..off+len) as latin1 text, decompressed first when encoded ('' when it cannot be). */
function capturedText(ctx: AnalyzerContext, buf: Buffer, off: number, len: number, encoding: string, maxInflatedBytes: number): string {
  if (encoding === '' || encoding === 'identity') return buf.toString('latin1', off, off + len);
  const raw = buf.subarray(off, off + len);
  const opts = { finishFlush: zlibConstants.Z_SYNC_FLUSH, maxOutputLength: maxInflatedBytes };
  try {
    // The capture is usually a prefix of the compressed body: a sync flush yields what it holds.
    if (encoding === 'gzip' || encoding === 'x-gzip') return gunzipSync(raw, opts).toString('latin1');
    if (encoding === 'deflate') {
      return (raw.length > 0 && (raw[0]! & 0x0f) === 8 ? inflateSync(raw, opts) : inflateRawSync(raw, opts)).toString('latin1');
    }
  } catch {
    ctx.count('undecodable-bodies');
    return '';
  }
  ctx.count('unsupported-content-encoding');
  return '';
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

function methodKind(method: string): OperationKind {
  switch (method) {
    case 'GET':
    case 'HEAD':
    case 'OPTIONS':
    case 'PROPFIND':
    case 'SEARCH':
    case 'REPORT':
      return 'read';
    case 'POST':
    case 'PUT':
    case 'PATCH':
    case 'DELETE':
    case 'PROPPATCH':
    case 'MKCOL':
    case 'COPY':
    case 'MOVE':
      return 'write';
    case 'CONNECT':
      return 'connect';
    case 'TRACE':
      return 'diagnostics';
    default:
      return 'other';
  }
}

/** The path of a request target (no query or fragment); absolute-form targets keep scheme and authority. */
function pathOf(target: string): string {
  const q = target.search(/[?#]/);
  return q < 0 ? target : target.slice(0, q);
}

function reasonName(reason: string, status: number): string {
  const r = reason.trim().toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
  return r ? r.slice(0, 64) : `status_${status}`;
}
