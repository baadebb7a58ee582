/**
 * HTTP/1.x message heads: content probe, start-line and header parsing with explicit caps, and the
 * Authorization header schemes (the password of Basic credentials is decoded only to find the user's end and
 * never kept).
 */
import { Probe, type Dir } from '../analyzer.js';

const SP = 0x20;
const CR = 0x0d;
const LF = 0x0a;

/** Methods recognised by the probe and as request lines (RFC 9110, WebDAV, and the common extensions). */
export const METHODS: ReadonlySet<string> = new Set([
  'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH',
  'PROPFIND', 'PROPPATCH', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK', 'SEARCH', 'REPORT', 'MKACTIVITY',
  'CHECKOUT', 'MERGE', 'M-SEARCH', 'NOTIFY', 'SUBSCRIBE', 'UNSUBSCRIBE', 'PURGE',
]);
const LONGEST_METHOD = 11;
/** The probe gives up on a request line that has not ended after this many bytes. */
const PROBE_LINE_LIMIT = 4096;

function isUpperOrDash(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || c === 0x2d;
}

/** "HTTP/1." at buf[i] (bounded by end). */
function isHttp1Version(buf: Buffer, i: number, end: number): boolean {
  return (
    i + 7 <= end &&
    buf[i] === 0x48 && buf[i + 1] === 0x54 && buf[i + 2] === 0x54 && buf[i + 3] === 0x50 &&
    buf[i + 4] === 0x2f && buf[i + 5] === 0x31 && buf[i + 6] === 0x2e
  );
}

/** Length of a known method token followed by a space at buf[off], 0 when there is none. */
export function methodAt(buf: Buffer, off: number, end: number): number {
  let i = off;
  while (i < end && i - off <= LONGEST_METHOD && isUpperOrDash(buf[i]!)) i++;
  if (i === off || i >= end || buf[i] !== SP) return 0;
  return METHODS.has(buf.toString('latin1', off, i)) ? i - off : 0;
}

/**
 * Content probe: a request line "METHOD SP target SP HTTP/1.x" or a status line "HTTP/1.x SP ddd". HTTP/0.9
 * requests (no version) are only a Maybe. Port never matters: HTTP on 502 is HTTP.
 */
export function probeHttp(buf: Buffer, off: number, len: number, _dir: Dir): Probe {
  if (off < 0 || len < 0 || off + len > buf.length) return Probe.No;
  if (len === 0) return Probe.NeedMore;
  const end = off + len;
  if (matchesPattern(buf, off, Math.min(len, 5), 'HTTP/')) {
    if (len < 12) return matchesPattern(buf, off, len, 'HTTP/1.# ###') ? Probe.NeedMore : Probe.No;
    return matchesPattern(buf, off, 12, 'HTTP/1.# ###') ? Probe.Yes : Probe.No;
  }
  // Fewer bytes than the longest method and all upper-case so far: could still become one.
  let i = off;
  while (i < end && i - off <= LONGEST_METHOD && isUpperOrDash(buf[i]!)) i++;
  if (i === end && i - off <= LONGEST_METHOD) return Probe.NeedMore;
  if (methodAt(buf, off, end) === 0) return Probe.No;
  return probeRequest(buf, off, end);
}

/** A request line (known method and a space) or a status line starts at buf[off]. */
export function looksLikeStartLine(buf: Buffer, off: number, len: number): boolean {
  if (len >= 12 && matchesPattern(buf, off, 12, 'HTTP/1.# ###')) return true;
  return methodAt(buf, off, off + len) > 0;
}

function probeRequest(buf: Buffer, off: number, end: number): Probe {
  const method = methodAt(buf, off, end);
  let i = off + method + 1;
  const limit = Math.min(end, off + PROBE_LINE_LIMIT);
  while (i < limit && buf[i] !== SP && buf[i] !== CR && buf[i] !== LF) {
    if (buf[i]! < 0x21 || buf[i]! === 0x7f) return Probe.No;
    i++;
  }
  if (i === limit) return limit === end && end - off < PROBE_LINE_LIMIT ? Probe.NeedMore : Probe.No;
  if (i === off + method + 1) return Probe.No; // empty target
  if (buf[i] !== SP) return Probe.Maybe; // HTTP/0.9 "GET /path"
  if (end - (i + 1) < 8) return matchesPattern(buf, i + 1, end - (i + 1), 'HTTP/1.#') ? Probe.NeedMore : Probe.No;
  return matchesPattern(buf, i + 1, 8, 'HTTP/1.#') ? Probe.Yes : Probe.No;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** buf[off..off+len) matches the start of `pattern`, where '#' stands for any digit. */
function matchesPattern(buf: Buffer, off: number, len: number, pattern: string): boolean {
  for (let i = 0; i < len && i < pattern.length; i++) {
    const c = buf[off + i]!;
    if (pattern.charCodeAt(i) === 0x23 ? !isDigit(c) : c !== pattern.charCodeAt(i)) return false;
  }
  return true;
}

/** Caps applied while parsing a head. */
export interface HeadLimits {
  /** header fields kept per message; more are counted and ignored */
  maxHeaders: number;
  /** longest header line parsed; longer ones are counted and ignored */
  maxLineBytes: number;
}

/** One parsed message head (start line and the fields the analyzer uses). Reused per direction. */
export class HttpHead {
  isRequest = false;
  /** the start line is neither a request line nor a status line */
  malformed = false;
  method = '';
  target = '';
  /** 10 for HTTP/1.0, 11 for HTTP/1.1, 9 for a version-less request */
  version = 0;
  status = 0;
  reason = '';
  host = '';
  userAgent = '';
  server = '';
  contentType = '';
  contentEncoding = '';
  authorization = '';
  /** -1 when absent, -2 when present but invalid or conflicting */
  contentLength = -1;
  chunked = false;
  /** a transfer-coding other than chunked as the last one: the body runs to the connection's close */
  otherTransferCoding = false;
  connectionClose = false;
  upgrade = '';
  headers = 0;
  /** headers over the count cap, and lines over the length cap */
  headersDropped = 0;
  longLines = 0;

  reset(): void {
    this.isRequest = this.malformed = this.chunked = this.otherTransferCoding = this.connectionClose = false;
    this.method = this.target = this.reason = this.host = this.userAgent = this.server = '';
    this.contentType = this.contentEncoding = this.authorization = this.upgrade = '';
    this.version = this.status = this.headers = this.headersDropped = this.longLines = 0;
    this.contentLength = -1;
  }
}

/**
 * Parses the head in buf[off..off+len) (start line, header lines, possibly the empty line; a final line without
 * its LF — a head cut by the byte cap — is ignored). Never throws.
 */
export function parseHead(buf: Buffer, off: number, len: number, limits: HeadLimits, head: HttpHead): void {
  head.reset();
  const end = off + len;
  let i = off;
  let lastField = '';
  let first = true;
  while (i < end) {
    // byte loops rather than Buffer#indexOf: header lines are short, and a native call per line costs more
    let lf = i;
    while (lf < end && buf[lf] !== LF) lf++;
    if (lf === end) break;
    let lineEnd = lf > i && buf[lf - 1] === CR ? lf - 1 : lf;
    const lineStart = i;
    i = lf + 1;
    if (first) {
      first = false;
      if (lineEnd - lineStart > limits.maxLineBytes) {
        head.longLines++;
        lineEnd = lineStart + limits.maxLineBytes;
      }
      parseStartLine(buf, lineStart, lineEnd, head);
      if (head.malformed) return;
      continue;
    }
    if (lineEnd === lineStart) break; // end of the head
    if (lineEnd - lineStart > limits.maxLineBytes) {
      head.longLines++;
      lastField = '';
      continue;
    }
    const c0 = buf[lineStart]!;
    if (c0 === SP || c0 === 0x09) {
      // obsolete line folding: continues the previous field's value
      if (lastField !== '') applyField(head, lastField, trimmedLatin1(buf, lineStart, lineEnd), true);
      continue;
    }
    let colon = lineStart;
    while (colon < lineEnd && buf[colon] !== 0x3a) colon++;
    if (colon === lineEnd || colon === lineStart) {
      lastField = '';
      continue;
    }
    if (head.headers >= limits.maxHeaders) {
      head.headersDropped++;
      lastField = '';
      continue;
    }
    head.headers++;
    // Only the fields the analyzer uses become strings; the others are counted and skipped.
    lastField = knownFieldName(buf, lineStart, colon);
    if (lastField !== '') applyField(head, lastField, trimmedLatin1(buf, colon + 1, lineEnd), false);
  }
  if (first) head.malformed = true;
}

function parseStartLine(buf: Buffer, start: number, end: number, head: HttpHead): void {
  if (isHttp1Version(buf, start, end) && end - start >= 12 && buf[start + 8] === SP) {
    const d0 = buf[start + 9]!;
    const d1 = buf[start + 10]!;
    const d2 = buf[start + 11]!;
    if (!isDigit(d0) || !isDigit(d1) || !isDigit(d2) || (end > start + 12 && buf[start + 12] !== SP)) {
      head.malformed = true;
      return;
    }
    head.isRequest = false;
    head.version = buf[start + 7] === 0x30 ? 10 : 11;
    head.status = (d0 - 0x30) * 100 + (d1 - 0x30) * 10 + (d2 - 0x30);
    head.reason = end > start + 13 ? buf.toString('latin1', start + 13, end).trim() : '';
    return;
  }
  const m = methodAt(buf, start, end);
  if (m === 0) {
    head.malformed = true;
    return;
  }
  head.isRequest = true;
  head.method = buf.toString('latin1', start, start + m);
  let t = start + m + 1;
  while (t < end && buf[t] === SP) t++;
  let te = t;
  while (te < end && buf[te] !== SP) te++;
  if (te === t) {
    head.malformed = true;
    return;
  }
  head.target = buf.toString('latin1', t, te);
  let v = te;
  while (v < end && buf[v] === SP) v++;
  if (v === end) head.version = 9;
  else if (isHttp1Version(buf, v, end) && v + 8 <= end) head.version = buf[v + 7] === 0x30 ? 10 : 11;
  else head.malformed = true;
}

/** The header names applyField reads (lower case). */
const KNOWN_FIELDS: readonly string[] = [
  'host', 'user-agent', 'server', 'content-type', 'content-encoding', 'authorization', 'upgrade', 'connection',
  'transfer-encoding', 'content-length',
];

/** Whitespace String.prototype.trim removes from a latin1 string. */
function isTrimmed(c: number): boolean {
  return (c >= 0x09 && c <= 0x0d) || c === SP || c === 0xa0;
}

/**
 * The name of the header field in buf[start..end) as one of KNOWN_FIELDS (trimmed, case-folded as
 * `toString('latin1').trim().toLowerCase()` would), or '' for any other field, without building a string.
 */
function knownFieldName(buf: Buffer, start: number, end: number): string {
  while (start < end && isTrimmed(buf[start]!)) start++;
  while (end > start && isTrimmed(buf[end - 1]!)) end--;
  const len = end - start;
  for (let k = 0; k < KNOWN_FIELDS.length; k++) {
    const name = KNOWN_FIELDS[k]!;
    if (name.length !== len) continue;
    let i = 0;
    while (i < len) {
      let c = buf[start + i]!;
      if (c >= 0x41 && c <= 0x5a) c += 0x20; // only ASCII letters fold onto the ASCII names
      if (c !== name.charCodeAt(i)) break;
      i++;
    }
    if (i === len) return name;
  }
  return '';
}

/** `buf.toString('latin1', start, end).trim()`, without building the untrimmed string first. */
function trimmedLatin1(buf: Buffer, start: number, end: number): string {
  while (start < end && isTrimmed(buf[start]!)) start++;
  while (end > start && isTrimmed(buf[end - 1]!)) end--;
  return start === end ? '' : buf.toString('latin1', start, end);
}

/** A plain run of 1 to 15 ASCII digits as its value, else -1 (the common Content-Length form). */
function plainDecimal(value: string): number {
  const len = value.length;
  if (len === 0 || len > 15) return -1;
  let n = 0;
  for (let i = 0; i < len; i++) {
    const d = value.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

function joined(prev: string, value: string, folded: boolean): string {
  return folded && prev !== '' ? `${prev} ${value}` : value;
}

function applyField(head: HttpHead, name: string, value: string, folded: boolean): void {
  switch (name) {
    case 'host':
      head.host = joined(head.host, value, folded);
      break;
    case 'user-agent':
      head.userAgent = joined(head.userAgent, value, folded);
      break;
    case 'server':
      head.server = joined(head.server, value, folded);
      break;
    case 'content-type':
      head.contentType = joined(head.contentType, value, folded);
      break;
    case 'content-encoding':
      head.contentEncoding = value.toLowerCase();
      break;
    case 'authorization':
      head.authorization = joined(head.authorization, value, folded);
      break;
    case 'upgrade':
      head.upgrade = value;
      break;
    case 'connection':
      if (/(^|,)\s*close\s*(,|$)/i.test(value)) head.connectionClose = true;
      break;
    case 'transfer-encoding': {
      const codings = value.toLowerCase().split(',');
      const last = codings[codings.length - 1]!.trim();
      head.chunked = last === 'chunked';
      head.otherTransferCoding = last !== 'chunked' && last !== 'identity' && last !== '';
      break;
    }
    case 'content-length': {
      // A list of identical values is allowed (RFC 9110 §8.6); anything else makes the length unknowable.
      let n = plainDecimal(value);
      if (n < 0)
        for (const part of value.split(',')) {
          const p = part.trim();
          if (!/^\d{1,15}$/.test(p)) {
            n = -2;
            break;
          }
          const v = Number(p);
          if (n >= 0 && v !== n) {
            n = -2;
            break;
          }
          n = v;
        }
      if (head.contentLength >= 0 && n !== head.contentLength) n = -2;
      head.contentLength = n;
      break;
    }
  }
}

/** Authorization header, reduced to what may be kept: the scheme and the user name. */
export interface AuthInfo {
  /** lower-case scheme: basic, digest, ntlm, negotiate, bearer, ... */
  method: string;
  /** '' when the scheme carries no user name (or it could not be decoded) */
  user: string;
  /** NTLM: the client's workstation name ('' otherwise) */
  workstation: string;
  /** the credentials did not decode as the scheme requires */
  malformed: boolean;
}

/**
 * Scheme and user of an Authorization value. Basic credentials are base64 "user:password": the decoded bytes
 * are scanned for the first ':' and only the part before it becomes a string — the password never does.
 */
export function parseAuthorization(value: string, maxUserChars: number): AuthInfo {
  const sp = value.indexOf(' ');
  const scheme = (sp < 0 ? value : value.slice(0, sp)).toLowerCase();
  const params = sp < 0 ? '' : value.slice(sp + 1).trim();
  const info: AuthInfo = { method: scheme, user: '', workstation: '', malformed: false };
  if (scheme === 'basic') {
    if (!/^[A-Za-z0-9+/]+=*$/.test(params)) {
      info.malformed = true;
      return info;
    }
    const decoded = Buffer.from(params, 'base64');
    const colon = decoded.indexOf(0x3a);
    if (colon < 0) info.malformed = true;
    info.user = userString(decoded, 0, colon < 0 ? decoded.length : colon, maxUserChars);
    decoded.fill(0);
  } else if (scheme === 'digest') {
    const m = /(?:^|[\s,])username\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/i.exec(params);
    if (m) info.user = (m[1] ?? m[2] ?? '').slice(0, maxUserChars);
    else info.malformed = true;
  } else if (scheme === 'ntlm' || scheme === 'negotiate') {
    if (/^[A-Za-z0-9+/]+=*$/.test(params)) {
      const raw = Buffer.from(params, 'base64');
      const ntlm = ntlmAuthenticateUser(raw, maxUserChars);
      if (ntlm) {
        info.user = ntlm.user;
        info.workstation = ntlm.workstation;
      }
      raw.fill(0);
    }
  }
  return info;
}

function userString(b: Buffer, start: number, end: number, maxChars: number): string {
  const s = b.toString('utf8', start, end);
  return s.length > maxChars ? s.slice(0, maxChars) : s;
}

/**
 * NTLMSSP AUTHENTICATE (type 3) message, bare or at the start of a Negotiate token's raw NTLM form: the domain,
 * user and workstation names (UTF-16LE when the negotiate-unicode flag is set). SPNEGO-wrapped tokens are not
 * unwrapped.
 */
export function ntlmAuthenticateUser(b: Buffer, maxChars: number): { user: string; workstation: string } | null {
  if (b.length < 64 || b.toString('latin1', 0, 8) !== 'NTLMSSP\u0000' || b.readUInt32LE(8) !== 3) return null;
  const unicode = (b.readUInt32LE(60) & 1) === 1;
  const field = (at: number): string => {
    const len = b.readUInt16LE(at);
    const start = b.readUInt32LE(at + 4);
    if (len === 0 || start + len > b.length) return '';
    const s = b.toString(unicode ? 'utf16le' : 'latin1', start, start + len);
    return s.length > maxChars ? s.slice(0, maxChars) : s;
  };
  const domain = field(28);
  const user = field(36);
  if (user === '') return null;
  return { user: domain ? `${domain}\\${user}` : user, workstation: field(44) };
}
