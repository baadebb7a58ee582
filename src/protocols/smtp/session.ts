/**
 * Per-flow SMTP state: greeting, EHLO/HELO, AUTH (PLAIN/LOGIN user names decoded, passwords never), mail
 * transactions (MAIL FROM + RCPT TO count + DATA size, no addresses kept) and STARTTLS, after which the
 * stream is TLS and left alone. Replies are paired with commands in order (RFC 5321 + PIPELINING).
 */
import type { OperationEvent } from '../../events/types.js';
import { Dir, type AnalyzerContext, type FlowAnalyzer, type PacketMeta } from '../analyzer.js';
import { StreamBuffer } from '../common/stream-buffer.js';
import { printable } from '../common/ascii.js';
import { FlowEvents, IT_SESSION_LIMITS } from '../common/flow-events.js';
import { lineConsumer, replyCode } from '../common/line-stream.js';

/** RFC 5321 limits command lines to 512 and text lines to 1000 octets; be lenient. */
export const SMTP_MAX_LINE = 4096;

interface Command {
  verb: string;
  event: OperationEvent | null;
}

const enum AuthStep {
  None,
  /** AUTH LOGIN: the next client line is the base64 user name */
  LoginUser,
  /** AUTH LOGIN: the next client line is the base64 password (skipped) */
  LoginPassword,
  /** AUTH PLAIN without initial response: the next client line is base64 authzid\0authcid\0password */
  Plain,
  /** other SASL mechanisms: client lines until the final reply are opaque */
  Other,
}

export class SmtpSession implements FlowAnalyzer {
  private readonly ev: FlowEvents;
  private readonly streams: [StreamBuffer, StreamBuffer];
  private readonly pending: Command[] = [];
  private bannerSeen = false;
  private multiline = -1;
  private multilineText = '';
  private dataMode = false;
  private dataBytes = 0;
  private mail: OperationEvent | null = null;
  private recipients = 0;
  private auth: OperationEvent | null = null;
  private authStep = AuthStep.None;
  private encrypted = false;

  constructor(private readonly ctx: AnalyzerContext) {
    this.ev = new FlowEvents(ctx, 'smtp', IT_SESSION_LIMITS);
    const cap = Math.min(ctx.maxBufferBytes, SMTP_MAX_LINE);
    this.streams = [
      new StreamBuffer(cap, lineConsumer(SMTP_MAX_LINE, (b, o, l) => this.onClientLine(b, o, l))),
      new StreamBuffer(cap, lineConsumer(SMTP_MAX_LINE, (b, o, l) => this.onReply(b, o, l))),
    ];
  }

  onData(dir: Dir, buf: Buffer, off: number, len: number, meta: PacketMeta): void {
    if (this.encrypted) return;
    this.ev.meta = meta;
    if (this.streams[dir].push(buf, off, len)) this.ev.anomaly(dir, 'buffer-cap', 'line exceeded the buffer cap');
  }

  onGap(dir: Dir, bytes: number, meta: PacketMeta): void {
    this.ev.meta = meta;
    this.streams[dir].reset();
    if (dir === Dir.ToClient) this.multiline = -1;
    this.ev.anomaly(dir, 'gap', `${bytes} bytes missing`);
  }

  onClose(): void {
    for (const c of this.pending) if (c.event && c.event !== this.mail) this.ev.emit(c.event);
    this.pending.length = 0;
    this.flushMail();
    if (this.auth) this.ev.emit(this.auth);
    this.auth = null;
  }

  private onClientLine(buf: Buffer, off: number, len: number): void {
    if (this.encrypted) return;
    if (this.dataMode) {
      if (len === 1 && buf[off] === 0x2e) {
        this.dataMode = false;
        if (this.mail) this.mail.dataBytes = this.dataBytes;
        this.push({ verb: '.', event: this.mail });
      } else {
        this.dataBytes += len + 2;
      }
      return;
    }
    if (this.authStep !== AuthStep.None) {
      this.onAuthLine(buf, off, len);
      return;
    }
    if (len === 0) return;
    let verbLen = 0;
    while (verbLen < len && verbLen < 10 && buf[off + verbLen] !== 0x20 && buf[off + verbLen] !== 0x3a) verbLen++;
    const verb = buf.toString('latin1', off, off + verbLen).toUpperCase();
    if (!/^[A-Z]{4,8}$/.test(verb)) {
      this.ev.anomaly(Dir.ToServer, 'malformed', `not an SMTP command: ${printable(buf, off, len, 32)}`);
      return;
    }
    this.ctx.count('smtp.commands');
    const arg = len > verbLen + 1 ? printable(buf, off + verbLen + 1, len - verbLen - 1, 256) : '';
    switch (verb) {
      case 'EHLO':
      case 'HELO': {
        const name = arg.split(/\s+/)[0] ?? '';
        const e = this.ev.operation(Dir.ToServer, 'connect', 0, verb.toLowerCase());
        if (name !== '') {
          e.object = name;
          // A bracketed address literal is not a name.
          if (!name.startsWith('[') && /[A-Za-z]/.test(name)) this.ev.fact('client', 'hostname', name.toLowerCase(), 0.5);
        }
        this.push({ verb, event: e });
        return;
      }
      case 'MAIL': {
        this.flushMail();
        this.mail = this.ev.operation(Dir.ToServer, 'file-transfer', 0, 'mail');
        this.mail.detail = 'send';
        this.recipients = 0;
        this.dataBytes = 0;
        this.push({ verb, event: null });
        return;
      }
      case 'RCPT':
        this.ctx.count('smtp.rcpt-to');
        this.push({ verb, event: null });
        return;
      case 'AUTH': {
        const [mechanism = '', initial = ''] = arg.split(/\s+/);
        const method = mechanism.toLowerCase();
        const e = this.ev.operation(Dir.ToServer, 'authentication', 0, 'auth');
        e.attributes = { method, cleartext_channel: true };
        this.auth = e;
        if (method === 'plain') {
          if (initial !== '' && initial !== '=') this.setAuthUser(plainUser(initial));
          else this.authStep = AuthStep.Plain;
        } else if (method === 'login') {
          if (initial !== '') {
            this.setAuthUser(base64Text(initial));
            this.authStep = AuthStep.LoginPassword;
          } else {
            this.authStep = AuthStep.LoginUser;
          }
        } else {
          this.authStep = AuthStep.Other;
        }
        this.push({ verb, event: null });
        return;
      }
      default: {
        const e = verb === 'STARTTLS' ? this.ev.operation(Dir.ToServer, 'other', 0, 'starttls') : null;
        this.push({ verb, event: e });
      }
    }
  }

  /** SASL continuation lines: the user name is kept, the password line is only counted. */
  private onAuthLine(buf: Buffer, off: number, len: number): void {
    if (len === 1 && buf[off] === 0x2a) {
      // "*" cancels the exchange; the server answers 501.
      this.authStep = AuthStep.Other;
      return;
    }
    switch (this.authStep) {
      case AuthStep.LoginUser:
        this.setAuthUser(base64Text(printable(buf, off, len, 512)));
        this.authStep = AuthStep.LoginPassword;
        return;
      case AuthStep.Plain:
        this.setAuthUser(plainUser(printable(buf, off, len, 1024)));
        this.authStep = AuthStep.Other;
        return;
      case AuthStep.LoginPassword:
        this.ctx.count('smtp.password-lines');
        this.authStep = AuthStep.Other;
        return;
      default:
        return;
    }
  }

  private setAuthUser(user: string): void {
    if (this.auth && user !== '') this.auth.attributes = { ...this.auth.attributes, user };
  }

  private push(command: Command): void {
    if (this.pending.length >= this.ctx.maxPendingTransactions) {
      const oldest = this.pending.shift()!;
      this.ctx.count('smtp.transaction-cap');
      if (oldest.event && oldest.event !== this.mail) this.ev.emit(oldest.event);
    }
    this.pending.push(command);
  }

  private onReply(buf: Buffer, off: number, len: number): void {
    if (this.encrypted) return;
    const code = replyCode(buf, off, len);
    if (code < 200 || (len > 3 && buf[off + 3] !== 0x20 && buf[off + 3] !== 0x2d)) {
      if (len > 0) this.ev.anomaly(Dir.ToClient, 'malformed', `not an SMTP reply: ${printable(buf, off, len, 32)}`);
      return;
    }
    const text = len > 4 ? printable(buf, off + 4, len - 4, 256) : '';
    if (len > 3 && buf[off + 3] === 0x2d) {
      if (this.multiline < 0) {
        this.multiline = code;
        this.multilineText = text;
      }
      return;
    }
    const first = this.multiline >= 0 ? this.multilineText : text;
    this.multiline = -1;
    this.onFinalReply(code, first);
  }

  private onFinalReply(code: number, text: string): void {
    this.ctx.count('smtp.replies');
    if (!this.bannerSeen && this.pending.length === 0) {
      this.bannerSeen = true;
      if (code === 220 && text !== '') this.ev.fact('server', 'software', text, 0.6);
      this.ev.fact('server', 'role-hint', 'mail-server', 0.7);
      return;
    }
    this.bannerSeen = true;
    const command = this.pending[0];
    if (command === undefined) {
      this.ctx.count('smtp.unexpected-response');
      return;
    }
    if (command.verb === 'AUTH') {
      if (code === 334) return; // SASL challenge: the exchange goes on
      this.pending.shift();
      this.authStep = AuthStep.None;
      this.finishAuth(code, text);
      return;
    }
    if (command.verb === 'DATA' && code === 354) {
      this.pending.shift();
      this.dataMode = true;
      return;
    }
    this.pending.shift();
    const ok = code < 400;
    if (command.verb === 'RCPT' && ok) this.recipients++;
    if (command.verb === 'MAIL' && !ok) this.flushMail(code, text);
    if (command.verb === '.') {
      this.flushMail(code, text);
      return;
    }
    if (command.verb === 'STARTTLS' && code === 220) {
      this.encrypted = true;
      if (command.event) {
        command.event.code = code;
        this.ev.complete(command.event, true);
        this.ev.emit(command.event);
      }
      this.ev.opaque('STARTTLS accepted: the rest of the session is TLS');
      return;
    }
    const e = command.event;
    if (e === null || e === this.mail) return;
    e.code = code;
    this.ev.complete(e, ok, code, ok ? undefined : text.slice(0, 80));
    this.ev.emit(e);
  }

  private finishAuth(code: number, text: string): void {
    const e = this.auth;
    this.auth = null;
    if (e === null) return;
    const ok = code === 235;
    e.code = code;
    e.attributes = { ...e.attributes, success: ok };
    this.ev.complete(e, ok, code, ok ? undefined : text.slice(0, 80));
    this.ev.emit(e);
    const method = String(e.attributes.method);
    const user = typeof e.attributes.user === 'string' ? e.attributes.user : '';
    if (method === 'plain' || method === 'login') {
      this.ev.fact('server', 'credential', `smtp auth ${method}${user ? ` user=${user}` : ''} (password sent in cleartext)`, 0.9);
    }
    if (ok && user !== '') this.ev.fact('client', 'user', user, 0.8);
  }

  /** Emits the open mail transaction (completed by `code` when given). */
  private flushMail(code?: number, text = ''): void {
    const e = this.mail;
    this.mail = null;
    if (e === null) return;
    e.attributes = { recipients: this.recipients };
    if (code !== undefined) {
      const ok = code < 400;
      e.code = code;
      this.ev.complete(e, ok, code, ok ? undefined : text.slice(0, 80));
    }
    this.ev.emit(e);
  }
}

/** Decodes base64 to printable text (at most 256 characters); '' when it is not base64. */
export function base64Text(b64: string): string {
  if (!/^[A-Za-z0-9+/]+=*$/.test(b64)) return '';
  return printable(Buffer.from(b64, 'base64'), 0, Buffer.byteLength(b64, 'base64'), 256);
}

/** The authentication identity (authcid) of an AUTH PLAIN response "authzid\0authcid\0password"; the password is never decoded to text. */
export function plainUser(b64: string): string {
  if (!/^[A-Za-z0-9+/]+=*$/.test(b64)) return '';
  const raw = Buffer.from(b64, 'base64');
  const first = raw.indexOf(0);
  if (first < 0) return '';
  const second = raw.indexOf(0, first + 1);
  if (second < 0) return '';
  const user = printable(raw, first + 1, second - first - 1, 256);
  raw.fill(0);
  return user;
}
