/**
 * Per-flow FTP control-channel state: frames lines in each direction, pairs commands with their final replies
 * (FIFO, as RFC 959 servers answer in order), folds multi-line replies, and turns logins, transfers and file
 * management into events. The password (PASS) and account (ACCT) arguments are never decoded.
 */
import type { OperationEvent, OperationKind } from '../../events/types.js';
import { Dir, type AnalyzerContext, type FlowAnalyzer, type PacketMeta } from '../analyzer.js';
import { StreamBuffer } from '../common/stream-buffer.js';
import { printable } from '../common/ascii.js';
import { FlowEvents, IT_SESSION_LIMITS } from '../common/flow-events.js';
import { lineConsumer, replyCode } from '../common/line-stream.js';

/** Longest command/reply line handled whole (RFC 959 has no limit; real servers cut at 512..4096). */
export const FTP_MAX_LINE = 2048;
/** Characters of an argument (path, user) kept in events. */
const MAX_ARG = 256;

interface Command {
  verb: string;
  arg: string;
  event: OperationEvent | null;
}

const ANONYMOUS_USERS = new Set(['anonymous', 'ftp']);

/** Commands whose argument is a secret: never decoded. */
const SECRET_VERBS = new Set(['PASS', 'ACCT']);

function kindOf(verb: string): { kind: OperationKind; detail?: string } {
  switch (verb) {
    case 'RETR':
      return { kind: 'file-transfer', detail: 'download' };
    case 'STOR':
    case 'STOU':
    case 'APPE':
      return { kind: 'file-transfer', detail: 'upload' };
    case 'DELE':
      return { kind: 'write', detail: 'delete' };
    case 'RMD':
    case 'XRMD':
      return { kind: 'write', detail: 'rmdir' };
    case 'MKD':
    case 'XMKD':
      return { kind: 'write', detail: 'mkdir' };
    case 'RNTO':
      return { kind: 'write', detail: 'rename' };
    case 'SITE':
      return { kind: 'configuration' };
    case 'LIST':
    case 'NLST':
    case 'MLSD':
    case 'MLST':
    case 'STAT':
    case 'SIZE':
    case 'MDTM':
      return { kind: 'read' };
    default:
      return { kind: 'other' };
  }
}

export class FtpSession implements FlowAnalyzer {
  private readonly ev: FlowEvents;
  private readonly streams: [StreamBuffer, StreamBuffer];
  private readonly pending: Command[] = [];
  private bannerSeen = false;
  private user = '';
  private cwd = '';
  private renameFrom = '';
  /** reply code of an open multi-line reply ("123-" ... "123 "), -1 when none */
  private multiline = -1;
  private multilineText = '';
  /** AUTH TLS accepted: the rest of the stream is TLS */
  private encrypted = false;

  constructor(private readonly ctx: AnalyzerContext) {
    this.ev = new FlowEvents(ctx, 'ftp', IT_SESSION_LIMITS);
    this.streams = [
      new StreamBuffer(Math.min(ctx.maxBufferBytes, FTP_MAX_LINE), lineConsumer(FTP_MAX_LINE, (b, o, l, t) => this.onCommand(b, o, l, t))),
      new StreamBuffer(Math.min(ctx.maxBufferBytes, FTP_MAX_LINE), lineConsumer(FTP_MAX_LINE, (b, o, l, t) => this.onReply(b, o, l, t))),
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
    for (const c of this.pending) if (c.event) this.ev.emit(c.event);
    this.pending.length = 0;
  }

  private onCommand(buf: Buffer, off: number, len: number, truncated: boolean): void {
    if (this.encrypted) return;
    if (truncated) this.ctx.count('ftp.long-line');
    if (len === 0) return;
    let verbLen = 0;
    while (verbLen < len && verbLen < 8 && buf[off + verbLen] !== 0x20) verbLen++;
    const verb = buf.toString('latin1', off, off + verbLen).toUpperCase();
    if (!/^[A-Z]{3,4}$/.test(verb)) {
      this.ev.anomaly(Dir.ToServer, 'malformed', `not an FTP command: ${printable(buf, off, len, 32)}`);
      return;
    }
    this.ctx.count('ftp.commands');
    const argOff = off + verbLen + 1;
    const argLen = len - verbLen - 1;
    const arg = SECRET_VERBS.has(verb) || argLen <= 0 ? '' : printable(buf, argOff, argLen, MAX_ARG);
    const command: Command = { verb, arg, event: null };
    if (verb === 'USER') {
      this.user = arg;
    } else if (verb === 'RNFR') {
      this.renameFrom = arg;
    } else if (verb !== 'PASS' && verb !== 'ACCT') {
      const { kind, detail } = kindOf(verb);
      const e = this.ev.operation(Dir.ToServer, kind, 0, verb.toLowerCase());
      if (detail) e.detail = detail;
      if (arg !== '') e.object = arg;
      if (verb === 'RNTO' && this.renameFrom !== '') e.attributes = { from: this.renameFrom };
      if (this.user !== '') e.attributes = { ...e.attributes, user: this.user };
      if (this.cwd !== '' && (kind === 'file-transfer' || kind === 'write' || kind === 'read')) e.attributes = { ...e.attributes, cwd: this.cwd };
      command.event = e;
    }
    if (verb === 'PASS' || verb === 'USER') {
      command.event = this.ev.operation(Dir.ToServer, 'authentication', 0, verb.toLowerCase());
    }
    if (this.pending.length >= this.ctx.maxPendingTransactions) {
      const oldest = this.pending.shift()!;
      this.ctx.count('ftp.transaction-cap');
      if (oldest.event && oldest.verb !== 'USER') this.ev.emit(oldest.event);
    }
    this.pending.push(command);
  }

  private onReply(buf: Buffer, off: number, len: number, truncated: boolean): void {
    if (this.encrypted) return;
    if (truncated) this.ctx.count('ftp.long-line');
    const code = replyCode(buf, off, len);
    if (this.multiline >= 0) {
      // Continuation lines are free text; only "<same code> " ends the reply.
      if (code === this.multiline && len >= 4 && buf[off + 3] === 0x20) {
        this.multiline = -1;
        this.onFinalReply(code, this.multilineText);
      }
      return;
    }
    if (code < 100 || len < 3 || (len > 3 && buf[off + 3] !== 0x20 && buf[off + 3] !== 0x2d)) {
      if (len > 0) this.ev.anomaly(Dir.ToClient, 'malformed', `not an FTP reply: ${printable(buf, off, len, 32)}`);
      return;
    }
    const text = len > 4 ? printable(buf, off + 4, len - 4, MAX_ARG) : '';
    if (len > 3 && buf[off + 3] === 0x2d) {
      this.multiline = code;
      this.multilineText = text;
      return;
    }
    this.onFinalReply(code, text);
  }

  private onFinalReply(code: number, text: string): void {
    this.ctx.count('ftp.replies');
    if (!this.bannerSeen && this.pending.length === 0) {
      this.bannerSeen = true;
      if (code === 220 && text !== '') this.ev.fact('server', 'software', text, 0.6);
      return;
    }
    this.bannerSeen = true;
    const command = this.pending[0];
    if (command === undefined) {
      this.ctx.count('ftp.unexpected-response');
      return;
    }
    if (code < 200) {
      // Preliminary (150 Opening ... (77 bytes)): the transfer's final reply follows.
      const e = command.event;
      const m = /\((\d+) bytes\)/.exec(text);
      if (e && m) e.dataBytes = Number(m[1]);
      return;
    }
    this.pending.shift();
    const ok = code < 400;
    const e = command.event;
    if (command.verb === 'USER' || command.verb === 'PASS') {
      this.onLoginReply(command, code, text);
      return;
    }
    if (command.verb === 'AUTH' && code === 234) {
      this.encrypted = true;
      if (e) {
        e.code = code;
        this.ev.complete(e, true);
        this.ev.emit(e);
      }
      this.ev.opaque(`AUTH ${command.arg} accepted: control channel encrypted`);
      return;
    }
    if (command.verb === 'SYST' && code === 215) {
      const os = /^(\S+)/.exec(text)?.[1] ?? '';
      if (os !== '' && os.toUpperCase() !== 'UNKNOWN') this.ev.fact('server', 'os', os === 'UNIX' ? 'Unix' : os.replace(/_/g, ' '), 0.5);
    }
    if (command.verb === 'PWD' && code === 257) {
      const m = /^"((?:[^"]|"")*)"/.exec(text);
      if (m) this.cwd = m[1]!.replace(/""/g, '"');
    }
    if (command.verb === 'CWD' && ok) this.cwd = joinPath(this.cwd, command.arg);
    if (command.verb === 'CDUP' && ok && this.cwd !== '') this.cwd = joinPath(this.cwd, '..');
    if (command.verb === 'RNTO') this.renameFrom = '';
    if ((command.verb === 'LIST' || command.verb === 'NLST' || command.verb === 'MLSD') && ok) {
      const target = command.arg.split(/\s+/).filter((a) => a !== '' && !a.startsWith('-')).join(' ');
      const path = target.startsWith('/') ? target : joinPath(this.cwd === '' ? '/' : this.cwd, target);
      this.ev.fact('server', 'directory-listing', `ftp://${this.ev.server.ip}${path === '' ? '/' : path}${this.user ? ` (user ${this.user})` : ''}`, 0.9);
    }
    if (e === null) return;
    e.code = code;
    this.ev.complete(e, ok, code, ok ? undefined : text.slice(0, 80));
    this.ev.emit(e);
  }

  private onLoginReply(command: Command, code: number, text: string): void {
    const e = command.event!;
    // USER answered 331/332 waits for PASS: no event yet.
    if (command.verb === 'USER' && (code === 331 || code === 332)) return;
    const ok = code === 230 || code === 202;
    const anonymous = ANONYMOUS_USERS.has(this.user.toLowerCase());
    e.code = code;
    e.attributes = { user: this.user, method: anonymous ? 'anonymous' : 'password', success: ok };
    this.ev.complete(e, ok, code, ok ? undefined : text.slice(0, 80));
    this.ev.emit(e);
    if (command.verb === 'PASS') {
      const who = anonymous ? `anonymous login user=${this.user}` : `login user=${this.user}`;
      this.ev.fact('server', 'credential', `ftp ${who} (password sent in cleartext)`, 0.9);
    }
    if (ok && !anonymous && this.user !== '') this.ev.fact('client', 'user', this.user, 0.8);
    if (ok && anonymous) this.ev.fact('server', 'role-hint', 'anonymous-ftp-server', 0.9);
  }
}

/** POSIX-ish join of an FTP working directory and a CWD argument ('' = unknown cwd). */
export function joinPath(cwd: string, arg: string): string {
  if (arg === '') return cwd;
  const parts = (arg.startsWith('/') ? '' : cwd).split('/').concat(arg.split('/'));
  const out: string[] = [];
  for (const p of parts) {
    if (p === '' || p === '.') continue;
    if (p === '..') out.pop();
    else out.push(p);
  }
  if (cwd === '' && !arg.startsWith('/')) return out.join('/');
  return '/' + out.join('/');
}
