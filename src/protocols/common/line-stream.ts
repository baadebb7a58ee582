/**
 * Line framing for text protocols (FTP, SMTP, Stratum): a StreamBuffer consumer that hands over each
 * LF-terminated line in place (no copy when the line is whole in a segment), with a bounded line length.
 */
import type { MessageConsumer } from './stream-buffer.js';

/** Index of the first LF in buf[off..end), or -1. */
export function indexOfLf(buf: Buffer, off: number, end: number): number {
  for (let i = off; i < end; i++) if (buf[i] === 0x0a) return i;
  return -1;
}

/** Length of buf[off..off+len) without trailing CR/LF. */
export function trimEol(buf: Buffer, off: number, len: number): number {
  while (len > 0 && (buf[off + len - 1] === 0x0a || buf[off + len - 1] === 0x0d)) len--;
  return len;
}

/** Three ASCII digits at buf[off] as a number (an FTP/SMTP reply code), or -1. */
export function replyCode(buf: Buffer, off: number, len: number): number {
  if (len < 3) return -1;
  let code = 0;
  for (let i = 0; i < 3; i++) {
    const b = buf[off + i]!;
    if (b < 0x30 || b > 0x39) return -1;
    code = code * 10 + (b - 0x30);
  }
  return code;
}

/**
 * A line consumer for StreamBuffer: calls `onLine(buf, off, lineLen)` for each LF-terminated line (CR/LF
 * stripped). A line longer than `maxLine` without LF is handed over truncated and counted, so the buffer never
 * holds more than `maxLine` bytes for it.
 */
export function lineConsumer(maxLine: number, onLine: (buf: Buffer, off: number, len: number, truncated: boolean) => void): MessageConsumer {
  return (buf, off, len) => {
    const end = off + len;
    const lf = indexOfLf(buf, off, end);
    if (lf < 0) {
      if (len < maxLine) return 0;
      onLine(buf, off, maxLine, true);
      return maxLine;
    }
    onLine(buf, off, trimEol(buf, off, lf + 1 - off), false);
    return lf + 1 - off;
  };
}
