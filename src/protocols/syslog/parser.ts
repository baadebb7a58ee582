/**
 * Syslog message header (RFC 5424 and the BSD format of RFC 3164) from one UDP datagram. Only the header is
 * read: PRI, the sender's host name and the application name; the free-text message is never kept.
 */

export const SEVERITY_NAMES = ['emergency', 'alert', 'critical', 'error', 'warning', 'notice', 'informational', 'debug'];

export interface SyslogHeader {
  facility: number;
  severity: number;
  /** 5424 or 3164 */
  format: number;
  hostname: string;
  appName: string;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** Longest header part looked at. */
const MAX_HEADER = 256;

/** PRI value of "<N>" at buf[off] (0..191), and where the header continues; null when absent/invalid. */
export function parsePri(buf: Buffer, off: number, len: number): { pri: number; next: number } | null {
  if (len < 3 || buf[off] !== 0x3c) return null;
  let pri = 0;
  let i = 1;
  for (; i < len && i <= 4; i++) {
    const b = buf[off + i]!;
    if (b === 0x3e) break;
    if (b < 0x30 || b > 0x39) return null;
    pri = pri * 10 + (b - 0x30);
  }
  if (i === 1 || i > 4 || i >= len || buf[off + i] !== 0x3e || pri > 191) return null;
  return { pri, next: off + i + 1 };
}

export function isMonth(buf: Buffer, off: number, end: number): boolean {
  if (end - off < 4 || buf[off + 3] !== 0x20) return false;
  const m = buf.toString('latin1', off, off + 3);
  return MONTHS.includes(m);
}

function token(text: string, start: number): { value: string; next: number } {
  let end = text.indexOf(' ', start);
  if (end < 0) end = text.length;
  return { value: text.slice(start, end), next: end + 1 };
}

/** Decodes the header of one datagram; null when it does not start with a valid PRI. */
export function parseSyslog(buf: Buffer, off: number, len: number): SyslogHeader | null {
  const p = parsePri(buf, off, len);
  if (p === null) return null;
  const end = off + (len < MAX_HEADER ? len : MAX_HEADER);
  const header: SyslogHeader = { facility: p.pri >> 3, severity: p.pri & 7, format: 3164, hostname: '', appName: '' };
  let text = '';
  for (let i = p.next; i < end; i++) {
    const b = buf[i]!;
    text += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ' ';
  }
  if (/^[1-9]\d{0,2} /.test(text)) {
    // RFC 5424: VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID
    header.format = 5424;
    let t = token(text, text.indexOf(' ') + 1); // timestamp
    t = token(text, t.next);
    header.hostname = t.value === '-' ? '' : t.value;
    t = token(text, t.next);
    header.appName = t.value === '-' ? '' : t.value;
    return header;
  }
  // RFC 3164: "Mmm dd hh:mm:ss HOSTNAME TAG[pid]: msg" — the host name is optional.
  let rest = text;
  if (isMonth(buf, p.next, end) && /^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d /.test(text)) rest = text.slice(16);
  const first = token(rest, 0);
  if (first.value === '' ) return header;
  if (/[:[]/.test(first.value)) {
    header.appName = first.value.replace(/[[:].*$/, '');
    return header;
  }
  header.hostname = first.value;
  const second = token(rest, first.next);
  header.appName = second.value.replace(/[[:].*$/, '');
  return header;
}
