import { Probe, type AnalyzerSpec, type Dir } from '../analyzer.js';
import { isMonth, parsePri } from './parser.js';
import { SyslogSession } from './session.js';

/**
 * Syslog probe: "<PRI>" (0..191) followed by an RFC 5424 version ("1 ") or an RFC 3164 month is a Yes; a bare
 * valid PRI followed by text is a Maybe (port 514 decides).
 */
export function probeSyslog(buf: Buffer, off: number, len: number, _dir: Dir): Probe {
  const p = parsePri(buf, off, len);
  if (p === null) return Probe.No;
  const end = off + len;
  if (end - p.next >= 2 && buf[p.next] === 0x31 && buf[p.next + 1] === 0x20) return Probe.Yes;
  if (isMonth(buf, p.next, end)) return Probe.Yes;
  return end > p.next && buf[p.next]! >= 0x20 && buf[p.next]! < 0x7f ? Probe.Maybe : Probe.No;
}

export const syslogSpec: AnalyzerSpec = {
  name: 'syslog',
  transports: ['udp'],
  ports: [514],
  probe: probeSyslog,
  create: (ctx) => new SyslogSession(ctx),
};
