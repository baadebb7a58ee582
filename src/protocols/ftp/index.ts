import { Probe, Dir, type AnalyzerSpec } from '../analyzer.js';
import { containsLower, isTextPrefix, startsWithUpper } from '../common/ascii.js';
import { indexOfLf, replyCode } from '../common/line-stream.js';
import { FtpSession } from './session.js';

/** Bytes of the first line a probe looks at before deciding with what it has. */
const PROBE_LINE = 256;

/**
 * FTP probe. Server side: a 220/120/421 greeting line — Yes when it names FTP, No when it names SMTP/ESMTP
 * (the same greeting code), Maybe otherwise (port 21 decides). Client side: the commands an FTP client opens
 * with (USER, AUTH TLS/SSL, FEAT, SYST, OPTS) are a Maybe: POP3 also says USER.
 */
export function probeFtp(buf: Buffer, off: number, len: number, dir: Dir): Probe {
  if (len < 4) return isTextPrefix(buf, off, len) ? Probe.NeedMore : Probe.No;
  const lf = indexOfLf(buf, off, off + (len < PROBE_LINE ? len : PROBE_LINE));
  const lineLen = lf < 0 ? (len < PROBE_LINE ? len : PROBE_LINE) : lf - off;
  if (!isTextPrefix(buf, off, lineLen)) return Probe.No;
  if (dir === Dir.ToClient) {
    const code = replyCode(buf, off, len);
    if ((code !== 220 && code !== 120 && code !== 421) || (buf[off + 3] !== 0x20 && buf[off + 3] !== 0x2d)) return Probe.No;
    if (lf < 0 && len < PROBE_LINE) return Probe.NeedMore;
    if (containsLower(buf, off, lineLen, 'smtp')) return Probe.No;
    return containsLower(buf, off, lineLen, 'ftp') ? Probe.Yes : Probe.Maybe;
  }
  for (const verb of CLIENT_OPENERS) if (startsWithUpper(buf, off, len, verb)) return Probe.Maybe;
  return Probe.No;
}

const CLIENT_OPENERS = ['USER ', 'AUTH TLS', 'AUTH SSL', 'FEAT', 'SYST', 'OPTS '];

export const ftpSpec: AnalyzerSpec = {
  name: 'ftp',
  transports: ['tcp'],
  ports: [21],
  probe: probeFtp,
  create: (ctx) => new FtpSession(ctx),
};
