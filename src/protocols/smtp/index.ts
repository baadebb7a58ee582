import { Probe, Dir, type AnalyzerSpec } from '../analyzer.js';
import { containsLower, isTextPrefix, startsWithUpper } from '../common/ascii.js';
import { indexOfLf, replyCode } from '../common/line-stream.js';
import { SmtpSession } from './session.js';

const PROBE_LINE = 256;

/**
 * SMTP probe. Server side: a 220 greeting naming SMTP/ESMTP is a Yes (FTP greets with 220 too, so a greeting
 * without the word is only a Maybe and one naming FTP a No). Client side: EHLO/HELO is a Yes.
 */
export function probeSmtp(buf: Buffer, off: number, len: number, dir: Dir): Probe {
  if (len < 4) return isTextPrefix(buf, off, len) ? Probe.NeedMore : Probe.No;
  const lf = indexOfLf(buf, off, off + (len < PROBE_LINE ? len : PROBE_LINE));
  const lineLen = lf < 0 ? (len < PROBE_LINE ? len : PROBE_LINE) : lf - off;
  if (!isTextPrefix(buf, off, lineLen)) return Probe.No;
  if (dir === Dir.ToServer) {
    return startsWithUpper(buf, off, len, 'EHLO ') || startsWithUpper(buf, off, len, 'HELO ') ? Probe.Yes : Probe.No;
  }
  const code = replyCode(buf, off, len);
  if ((code !== 220 && code !== 554 && code !== 421) || (buf[off + 3] !== 0x20 && buf[off + 3] !== 0x2d)) return Probe.No;
  if (lf < 0 && len < PROBE_LINE) return Probe.NeedMore;
  if (containsLower(buf, off, lineLen, 'smtp')) return Probe.Yes;
  return containsLower(buf, off, lineLen, 'ftp') ? Probe.No : Probe.Maybe;
}

export const smtpSpec: AnalyzerSpec = {
  name: 'smtp',
  transports: ['tcp'],
  ports: [25, 587],
  probe: probeSmtp,
  create: (ctx) => new SmtpSession(ctx),
};
