/**
 * Per-flow RFB (VNC) handshake state (RFC 6143): ProtocolVersion both ways, the security types the server
 * offers (3.7+) or imposes (3.3), the client's choice, VNC-auth challenge/response (skipped), SecurityResult
 * and ServerInit's desktop name. Everything after the handshake (framebuffer updates, input events) is counted
 * as bytes, not parsed.
 */
import type { OperationEvent } from '../../events/types.js';
import { Dir, type AnalyzerContext, type FlowAnalyzer, type PacketMeta } from '../analyzer.js';
import { StreamBuffer } from '../common/stream-buffer.js';
import { printable } from '../common/ascii.js';
import { FlowEvents, IT_SESSION_LIMITS } from '../common/flow-events.js';

/** RFC 6143 / IANA "RFB Security Types" names for the common ones. */
export const SECURITY_TYPE_NAMES: Record<number, string> = {
  0: 'invalid',
  1: 'none',
  2: 'vnc_auth',
  5: 'ra2',
  6: 'ra2ne',
  16: 'tight',
  17: 'ultra',
  18: 'tls',
  19: 'vencrypt',
  20: 'sasl',
  21: 'md5',
  22: 'xvp',
  30: 'apple_diffie_hellman',
  35: 'apple_mac_os_x',
  113: 'ultra_mslogon_ii',
};

export function securityTypeName(t: number): string {
  return SECURITY_TYPE_NAMES[t] ?? `type_${t}`;
}

const enum S {
  Version,
  SecurityTypes,
  Challenge,
  /** a security type we cannot follow: wait for something shaped like a SecurityResult */
  Unknown,
  Result,
  /** 3.8 failure: reason string follows */
  Reason,
  ServerInit,
  Done,
}

const enum C {
  Version,
  Chosen,
  Response,
  Done,
}

/** Longest failure reason / desktop name read (a larger declared length is malformed). */
const MAX_TEXT = 1024;

export class VncSession implements FlowAnalyzer {
  private readonly ev: FlowEvents;
  private readonly streams: [StreamBuffer, StreamBuffer];
  private server = S.Version;
  private client = C.Version;
  private serverMinor = 0;
  private serverVersion = '';
  private clientVersion = '';
  /** protocol minor version both sides use (3, 7 or 8; others treated as 8 like Apple's 3.889) */
  private minor = 0;
  private offered: number[] = [];
  private chosen = -1;
  private auth: OperationEvent | null = null;
  private afterHandshakeBytes = 0;
  /** SecurityResult status of a failure whose reason string is still to come */
  private failureStatus = 1;
  private failureFrame = 0;

  constructor(private readonly ctx: AnalyzerContext) {
    this.ev = new FlowEvents(ctx, 'vnc', IT_SESSION_LIMITS);
    const cap = Math.min(ctx.maxBufferBytes, 4096);
    this.streams = [
      new StreamBuffer(cap, (b, o, l) => this.consumeClient(b, o, l)),
      new StreamBuffer(cap, (b, o, l) => this.consumeServer(b, o, l)),
    ];
  }

  onData(dir: Dir, buf: Buffer, off: number, len: number, meta: PacketMeta): void {
    this.ev.meta = meta;
    if ((dir === Dir.ToServer ? this.client === C.Done : this.server === S.Done)) {
      this.afterHandshakeBytes += len;
      return;
    }
    if (this.streams[dir].push(buf, off, len)) this.ev.anomaly(dir, 'buffer-cap', 'handshake message exceeded the buffer cap');
  }

  onGap(dir: Dir, bytes: number, meta: PacketMeta): void {
    this.ev.meta = meta;
    this.streams[dir].reset();
    // The handshake cannot be followed across a hole.
    if (dir === Dir.ToServer) this.client = C.Done;
    else this.server = S.Done;
    this.ev.anomaly(dir, 'gap', `${bytes} bytes missing`);
  }

  onClose(): void {
    this.ctx.count('vnc.session-bytes', this.afterHandshakeBytes);
    if (this.auth && this.server === S.Reason) {
      // A failed SecurityResult whose reason never came (Apple's 3.889 sends none).
      this.finishAuth(false, this.failureStatus);
    }
    if (this.auth) {
      this.auth.result = 'unknown';
      this.ev.emit(this.auth);
      this.auth = null;
    }
  }

  private consumeServer(buf: Buffer, off: number, len: number): number {
    switch (this.server) {
      case S.Version: {
        if (len < 12) return 0;
        const v = parseVersion(buf, off);
        if (v === null) return this.malformedServer('ProtocolVersion', len);
        this.serverVersion = v.text;
        this.serverMinor = v.minor;
        this.server = S.SecurityTypes;
        this.ev.fact('server', 'role-hint', 'remote-access', 0.9);
        this.ev.fact('server', 'software', v.minor === 889 ? `Apple Remote Desktop (RFB ${v.text})` : `VNC server (RFB ${v.text})`, 0.6);
        return 12;
      }
      case S.SecurityTypes: {
        const minor = this.negotiatedMinor();
        if (minor === 3) {
          if (len < 4) return 0;
          const type = buf.readUInt32BE(off);
          if (type === 0) {
            // Connection failed: reason string follows.
            this.offered = [];
            this.server = S.Reason;
            return 4;
          }
          this.offered = [type];
          this.chosen = type;
          this.startAuth();
          this.server = this.afterChoice();
          return 4;
        }
        if (len < 1) return 0;
        const n = buf[off]!;
        if (n === 0) {
          this.server = S.Reason;
          this.startAuth();
          return 1;
        }
        if (len < 1 + n) return 0;
        this.offered = [];
        for (let i = 0; i < n; i++) this.offered.push(buf[off + 1 + i]!);
        // The next server message depends on the client's choice (it arrives before it).
        this.server = S.Unknown;
        return 1 + n;
      }
      case S.Challenge:
        if (len < 16) return 0;
        this.server = S.Result;
        return 16;
      case S.Unknown: {
        // Wait for the client's choice; then for a 4-byte 0/1 (or 1 + reason) message.
        if (this.chosen < 0) return 0;
        if (this.chosen === 2) {
          this.server = S.Challenge;
          return this.consumeServer(buf, off, len);
        }
        if (this.chosen === 1) {
          this.server = this.negotiatedMinor() >= 8 ? S.Result : S.ServerInit;
          if (this.server === S.ServerInit) this.finishAuth(true, 0);
          return this.consumeServer(buf, off, len);
        }
        if (len === 4 && buf.readUInt32BE(off) <= 1) {
          this.server = S.Result;
          return this.consumeServer(buf, off, len);
        }
        if (len >= 8 && buf.readUInt32BE(off) === 1 && buf.readUInt32BE(off + 4) === len - 8) {
          this.server = S.Result;
          return this.consumeServer(buf, off, len);
        }
        this.ctx.count('vnc.security-type-bytes', len);
        return len;
      }
      case S.Result: {
        if (len < 4) return 0;
        const status = buf.readUInt32BE(off);
        if (status === 0) {
          this.finishAuth(true, 0);
          this.server = S.ServerInit;
          return 4;
        }
        if (this.negotiatedMinor() >= 8) {
          this.failureStatus = status;
          this.failureFrame = this.ev.meta.frame;
          this.server = S.Reason;
        } else {
          this.finishAuth(false, status);
          this.server = S.Done;
        }
        return 4;
      }
      case S.Reason: {
        if (len < 4) return 0;
        const n = buf.readUInt32BE(off);
        if (n > MAX_TEXT) return this.malformedServer('failure reason length', len);
        if (len < 4 + n) return 0;
        if (this.auth) this.auth.exceptionName = printable(buf, off + 4, n, 120);
        this.finishAuth(false, this.failureStatus);
        this.server = S.Done;
        return 4 + n;
      }
      case S.ServerInit: {
        if (len < 24) return 0;
        const n = buf.readUInt32BE(off + 20);
        if (n > MAX_TEXT) return this.malformedServer('desktop name length', len);
        if (len < 24 + n) return 0;
        // Apple Remote Desktop puts 22 binary bytes before the name inside the declared length: keep the
        // trailing printable run.
        let start = off + 24 + n;
        while (start > off + 24 && buf[start - 1]! >= 0x20 && buf[start - 1]! < 0x7f) start--;
        const name = printable(buf, start, off + 24 + n - start, 120);
        if (name !== '') this.ev.fact('server', 'device-name', name, 0.5);
        this.ctx.count('vnc.sessions');
        this.server = S.Done;
        return 24 + n;
      }
      default:
        this.afterHandshakeBytes += len;
        return len;
    }
  }

  private consumeClient(buf: Buffer, off: number, len: number): number {
    switch (this.client) {
      case C.Version: {
        if (len < 12) return 0;
        const v = parseVersion(buf, off);
        if (v === null) {
          this.ev.anomaly(Dir.ToServer, 'malformed', 'bad client ProtocolVersion');
          this.client = C.Done;
          return len;
        }
        this.clientVersion = v.text;
        this.minor = v.minor;
        this.client = this.negotiatedMinor() === 3 ? C.Done : C.Chosen;
        return 12;
      }
      case C.Chosen:
        if (len < 1) return 0;
        this.chosen = buf[off]!;
        this.startAuth();
        this.client = this.chosen === 2 ? C.Response : C.Done;
        // A None choice on 3.7 is followed directly by ServerInit: settle it now the server may not answer.
        return 1;
      case C.Response:
        if (len < 16) return 0;
        this.client = C.Done;
        return 16;
      default:
        this.afterHandshakeBytes += len;
        return len;
    }
  }

  /** 3.3 / 3.7 / 3.8; unknown minors (Apple 3.889, 3.4/3.6 of UltraVNC) behave as 3.8 or 3.3 as RFC 6143 says. */
  private negotiatedMinor(): number {
    const m = this.minor > 0 && this.serverMinor > 0 ? Math.min(this.minor, this.serverMinor) : this.serverMinor || this.minor;
    if (m === 3 || m === 4 || m === 5 || m === 6) return 3;
    if (m === 7) return 7;
    return 8;
  }

  private afterChoice(): S {
    if (this.chosen === 2) return S.Challenge;
    if (this.chosen === 1) {
      this.finishAuth(true, 0);
      return S.ServerInit;
    }
    return S.Unknown;
  }

  private startAuth(): void {
    if (this.auth) return;
    const chosen = this.chosen;
    const e = this.ev.operation(Dir.ToServer, 'authentication', chosen < 0 ? 0 : chosen, chosen < 0 ? 'no_security_type' : securityTypeName(chosen));
    e.attributes = {
      version: this.serverVersion,
      client_version: this.clientVersion,
      security_types: this.offered.join(','),
      chosen: chosen < 0 ? '' : securityTypeName(chosen),
      no_auth: chosen === 1,
    };
    this.auth = e;
    if (chosen === 1) this.ev.fact('server', 'credential', 'vnc security type None: no authentication required', 0.9);
  }

  private finishAuth(ok: boolean, status: number): void {
    const e = this.auth;
    if (e === null) return;
    this.auth = null;
    this.ev.complete(e, ok, status, ok ? undefined : e.exceptionName ?? 'authentication_failed');
    if (!ok && this.failureFrame > 0) e.responseFrame = this.failureFrame;
    e.attributes = { ...e.attributes, success: ok };
    this.ev.emit(e);
  }

  private malformedServer(what: string, len: number): number {
    this.ev.anomaly(Dir.ToClient, 'malformed', `bad ${what}`);
    this.server = S.Done;
    return len;
  }
}

/** "RFB 003.008\n" → { text: '003.008', minor: 8 }; null when the 12 bytes are not a ProtocolVersion. */
export function parseVersion(buf: Buffer, off: number): { text: string; minor: number } | null {
  if (buf[off] !== 0x52 || buf[off + 1] !== 0x46 || buf[off + 2] !== 0x42 || buf[off + 3] !== 0x20) return null;
  if (buf[off + 7] !== 0x2e || buf[off + 11] !== 0x0a) return null;
  let minor = 0;
  for (let i = 4; i < 11; i++) {
    if (i === 7) continue;
    const b = buf[off + i]!;
    if (b < 0x30 || b > 0x39) return null;
    if (i > 7) minor = minor * 10 + (b - 0x30);
  }
  return { text: buf.toString('latin1', off + 4, off + 11), minor };
}
