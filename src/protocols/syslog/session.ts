/**
 * Per-flow syslog state: counts messages (and the severe ones, severity <= 3) and learns, once per flow, the
 * sender's host name and up to `MAX_APPS_PER_FLOW` application names; the receiver is a log collector. No
 * per-message events: syslog is chatty and its text is not an operation.
 */
import { Dir, type AnalyzerContext, type FlowAnalyzer, type PacketMeta } from '../analyzer.js';
import { FlowEvents, IT_SESSION_LIMITS } from '../common/flow-events.js';
import { parseSyslog } from './parser.js';

/** Distinct application names reported per flow (the rest are counted `syslog.app-cap`). */
export const MAX_APPS_PER_FLOW = 8;

export class SyslogSession implements FlowAnalyzer {
  private readonly ev: FlowEvents;
  private readonly apps = new Set<string>();
  private hostnameSeen = false;

  constructor(private readonly ctx: AnalyzerContext) {
    this.ev = new FlowEvents(ctx, 'syslog', IT_SESSION_LIMITS);
  }

  onData(dir: Dir, buf: Buffer, off: number, len: number, meta: PacketMeta): void {
    this.ev.meta = meta;
    const h = parseSyslog(buf, off, len);
    if (h === null) {
      this.ev.anomaly(dir, 'malformed', 'no syslog PRI');
      return;
    }
    this.ctx.count('syslog.messages');
    if (h.severity <= 3) this.ctx.count('syslog.severe');
    const sender = dir === Dir.ToServer ? 'client' : 'server';
    this.ev.fact(sender === 'client' ? 'server' : 'client', 'role-hint', 'log-collector', 0.8);
    if (!this.hostnameSeen && h.hostname !== '' && !/^[\d.:]+$/.test(h.hostname) && /^[A-Za-z0-9._-]{1,128}$/.test(h.hostname)) {
      this.hostnameSeen = true;
      this.ev.fact(sender, 'hostname', h.hostname.toLowerCase(), 0.7);
    }
    if (h.appName !== '' && /^[\x21-\x7e]{1,48}$/.test(h.appName) && !this.apps.has(h.appName)) {
      if (this.apps.size >= MAX_APPS_PER_FLOW) {
        this.ctx.count('syslog.app-cap');
        return;
      }
      this.apps.add(h.appName);
      this.ev.fact(sender, 'software', h.appName, 0.5);
    }
  }

  onGap(): void {}

  onClose(): void {}
}
