/**
 * Per-flow Telnet state: strips IAC option negotiation (RFC 854/855) from both directions byte by byte (state
 * survives segment boundaries, so nothing is buffered), watches the server's output for login prompts and the
 * client's keystrokes for the answers. The user name is kept; what is typed after a password prompt is only
 * counted, never stored.
 */
import { Dir, type AnalyzerContext, type FlowAnalyzer, type PacketMeta } from '../analyzer.js';
import type { OperationEvent } from '../../events/types.js';
import { FlowEvents, IT_SESSION_LIMITS } from '../common/flow-events.js';

const IAC = 0xff;
const SB = 0xfa;
const SE = 0xf0;
const WILL = 0xfb;
const DONT = 0xfe;

const enum Iac {
  Data,
  /** saw IAC */
  Command,
  /** saw IAC WILL/WONT/DO/DONT: the option byte follows */
  Option,
  /** inside IAC SB ... */
  Sub,
  /** inside SB, saw IAC */
  SubIac,
}

const enum Login {
  /** nothing asked yet (or after a finished attempt) */
  Idle,
  /** the server asked for a user name: client keystrokes form it */
  User,
  /** the server asked for a password: client keystrokes are dropped */
  Password,
  /** password sent: the server's next words tell success or failure */
  Result,
}

/** Characters kept of the server's current output line / the client's current input line. */
export const TELNET_MAX_LINE = 128;
/** Server output bytes after a password without a verdict before the attempt is reported 'unknown'. */
const RESULT_WINDOW = 4096;

// "Last login: <date>" (sshd/login banner) ends with the same word when cut at a segment boundary.
const USER_PROMPT = /(?<!last )(?:login|username|user name|user)\s*:\s*$/i;
const PASSWORD_PROMPT = /(?:password|passcode|passwd)\s*:\s*$/i;
const FAILURE = /(?:incorrect|invalid|failed|denied|bad password|authentication failure)/i;
const SHELL_PROMPT = /(?:[$#>%]|\]|\$ \w*)\s*$/;

export class TelnetSession implements FlowAnalyzer {
  private readonly ev: FlowEvents;
  private readonly iac = [Iac.Data, Iac.Data];
  /** the server's current output line (printable bytes only) */
  private readonly serverLine = new Uint8Array(TELNET_MAX_LINE);
  private serverLineLen = 0;
  /** the client's current input line (only while a user name is being typed) */
  private readonly clientLine = new Uint8Array(TELNET_MAX_LINE);
  private clientLineLen = 0;
  private login = Login.Idle;
  private user = '';
  private attempt: OperationEvent | null = null;
  private resultBytes = 0;

  constructor(private readonly ctx: AnalyzerContext) {
    this.ev = new FlowEvents(ctx, 'telnet', IT_SESSION_LIMITS);
  }

  onData(dir: Dir, buf: Buffer, off: number, len: number, meta: PacketMeta): void {
    this.ev.meta = meta;
    const end = off + len;
    let state = this.iac[dir]!;
    for (let i = off; i < end; i++) {
      const b = buf[i]!;
      switch (state) {
        case Iac.Data:
          if (b === IAC) state = Iac.Command;
          else this.onByte(dir, b);
          break;
        case Iac.Command:
          if (b === IAC) {
            state = Iac.Data;
            this.onByte(dir, b);
          } else if (b >= WILL && b <= DONT) {
            state = Iac.Option;
          } else if (b === SB) {
            state = Iac.Sub;
          } else {
            state = Iac.Data;
          }
          if (b !== IAC) this.ctx.count('telnet.iac-commands');
          break;
        case Iac.Option:
          state = Iac.Data;
          break;
        case Iac.Sub:
          if (b === IAC) state = Iac.SubIac;
          break;
        case Iac.SubIac:
          state = b === SE ? Iac.Data : Iac.Sub;
          break;
      }
    }
    this.iac[dir] = state;
    if (dir === Dir.ToClient) this.afterServerOutput();
  }

  onGap(dir: Dir, bytes: number, meta: PacketMeta): void {
    this.ev.meta = meta;
    this.iac[dir] = Iac.Data;
    if (dir === Dir.ToClient) this.serverLineLen = 0;
    else this.clientLineLen = 0;
    this.ev.anomaly(dir, 'gap', `${bytes} bytes missing`);
  }

  onClose(): void {
    if (this.attempt) {
      this.attempt.result = 'unknown';
      this.ev.emit(this.attempt);
      this.attempt = null;
    }
  }

  private onByte(dir: Dir, b: number): void {
    if (dir === Dir.ToClient) {
      if (this.login === Login.Result) this.resultBytes++;
      if (b === 0x0d || b === 0x0a) {
        if (this.serverLineLen > 0) this.onServerLine();
        this.serverLineLen = 0;
      } else if (b >= 0x20 && b < 0x7f) {
        if (this.serverLineLen < TELNET_MAX_LINE) this.serverLine[this.serverLineLen++] = b;
        else {
          // Keep the end of a long line: prompts are at the end.
          this.serverLine.copyWithin(0, 1);
          this.serverLine[TELNET_MAX_LINE - 1] = b;
        }
      } else if ((b === 0x08 || b === 0x7f) && this.serverLineLen > 0) {
        this.serverLineLen--;
      }
      return;
    }
    // client keystrokes
    if (this.login === Login.User) {
      if (b === 0x0d || b === 0x0a) {
        if (this.clientLineLen > 0) {
          this.user = asciiOf(this.clientLine, this.clientLineLen).trim();
          this.clientLineLen = 0;
          this.login = Login.Idle;
          this.ctx.count('telnet.user-names');
        }
      } else if (b === 0x08 || b === 0x7f) {
        if (this.clientLineLen > 0) this.clientLineLen--;
      } else if (b >= 0x20 && b < 0x7f && this.clientLineLen < TELNET_MAX_LINE) {
        this.clientLine[this.clientLineLen++] = b;
      }
    } else if (this.login === Login.Password) {
      // Nothing typed here is kept: only the end of the line matters.
      if ((b === 0x0d || b === 0x0a) && this.attempt) {
        this.login = Login.Result;
        this.resultBytes = 0;
        this.serverLineLen = 0;
      }
    }
  }

  /** A whole line of server output (prompts usually have no line end: see afterServerOutput). */
  private onServerLine(): void {
    if (this.login !== Login.Result) return;
    const line = asciiOf(this.serverLine, this.serverLineLen);
    if (FAILURE.test(line)) this.finish(false);
  }

  /** End of a server segment: a prompt waits for input here. */
  private afterServerOutput(): void {
    if (this.serverLineLen === 0) {
      if (this.login === Login.Result && this.resultBytes > RESULT_WINDOW) this.finish(null);
      return;
    }
    const line = asciiOf(this.serverLine, this.serverLineLen);
    if (this.login === Login.Result) {
      if (FAILURE.test(line) || USER_PROMPT.test(line)) this.finish(false);
      else if (PASSWORD_PROMPT.test(line)) this.finish(false);
      else if (SHELL_PROMPT.test(line)) this.finish(true);
      else if (this.resultBytes > RESULT_WINDOW) this.finish(null);
      if (this.login === Login.Result) return;
    }
    if (PASSWORD_PROMPT.test(line)) {
      this.startAttempt();
      this.login = Login.Password;
      this.serverLineLen = 0;
    } else if (USER_PROMPT.test(line)) {
      this.login = Login.User;
      this.clientLineLen = 0;
      this.user = '';
      this.serverLineLen = 0;
    }
  }

  private startAttempt(): void {
    if (this.attempt) this.finish(null);
    const e = this.ev.operation(Dir.ToServer, 'authentication', 0, 'login');
    e.attributes = this.user !== '' ? { user: this.user, method: 'password' } : { method: 'password' };
    this.attempt = e;
    this.ev.fact('server', 'credential', `telnet login${this.user !== '' ? ` user=${this.user}` : ' (no user name asked)'} (password sent in cleartext)`, 0.9);
    this.ev.fact('server', 'role-hint', 'remote-access', 0.8);
  }

  /** success: true/false, null when no verdict was seen */
  private finish(success: boolean | null): void {
    const e = this.attempt;
    this.attempt = null;
    this.login = Login.Idle;
    if (e === null) return;
    if (success === null) {
      e.result = 'unknown';
    } else {
      e.attributes = { ...e.attributes, success };
      this.ev.complete(e, success, undefined, success ? undefined : 'login_incorrect');
    }
    this.ev.emit(e);
    if (success === true && this.user !== '') this.ev.fact('client', 'user', this.user, 0.8);
  }
}

function asciiOf(bytes: Uint8Array, len: number): string {
  let s = '';
  for (let i = 0; i < len; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}
