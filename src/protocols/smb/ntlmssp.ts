/**
 * NTLMSSP (MS-NLMP) messages found inside an SMB security blob, raw or wrapped in SPNEGO (the DER wrapping is
 * not decoded: the "NTLMSSP\0" signature is searched for in the blob, which is what SPNEGO carries verbatim).
 * Only names are extracted: user, domain, workstation (AUTHENTICATE), the server's names from the CHALLENGE
 * target info, and the version field. Challenge/response values are never read out.
 */
const SIGNATURE = [0x4e, 0x54, 0x4c, 0x4d, 0x53, 0x53, 0x50, 0x00];
const FLAG_UNICODE = 0x00000001;
const FLAG_VERSION = 0x02000000;
const MAX_NAME_BYTES = 512;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\x00-\x1f\x7f]/;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS_ALL = /[\x00-\x1f\x7f]/g;

export interface NtlmMessage {
  /** 1 NEGOTIATE, 2 CHALLENGE, 3 AUTHENTICATE */
  type: number;
  user: string;
  domain: string;
  workstation: string;
  /** AUTHENTICATE with an empty user name and no NT response: an anonymous (null session) logon */
  anonymous: boolean;
  /** CHALLENGE target info: NetBIOS and DNS computer/domain names of the server */
  nbComputer: string;
  nbDomain: string;
  dnsComputer: string;
  dnsDomain: string;
  /** "6.1.7601" when the message carries a version (the OS version of its sender) */
  version: string;
  /** the same version as an OS name, "Windows 6.1 build 7601" ('' without a version) */
  os: string;
}

/** Offset of the NTLMSSP signature in buf[off..end), or -1. */
export function findNtlmssp(buf: Uint8Array, off: number, end: number): number {
  outer: for (let i = off; i + 12 <= end; i++) {
    for (let j = 0; j < 8; j++) if (buf[i + j] !== SIGNATURE[j]) continue outer;
    return i;
  }
  return -1;
}

/**
 * The krb5 OID 1.2.840.113554.1.2.2 (2a 86 48 86 f7 12 01 02 02) and the MS krb5 OID 1.2.840.48018.1.2.2
 * (2a 86 48 82 f7 12 01 02 02): they differ only in their fourth byte.
 */
const KRB5_OID_BYTES = 9;
const KRB5_OID_VARIANT_AT = 3;

/** True when the blob names a Kerberos mechanism (krb5 or MS krb5 OID), i.e. the session used Kerberos. */
export function mentionsKerberos(buf: Uint8Array, off: number, end: number): boolean {
  // one pass for both OIDs: NTLM-only blobs are scanned whole, so scanning them once matters
  for (let i = off; i + KRB5_OID_BYTES <= end; i++) {
    if (buf[i] !== 0x2a || buf[i + 1] !== 0x86 || buf[i + 2] !== 0x48) continue;
    const variant = buf[i + KRB5_OID_VARIANT_AT];
    if (variant !== 0x86 && variant !== 0x82) continue;
    if (buf[i + 4] === 0xf7 && buf[i + 5] === 0x12 && buf[i + 6] === 0x01 && buf[i + 7] === 0x02 && buf[i + 8] === 0x02) return true;
  }
  return false;
}

export function parseNtlmssp(buf: Uint8Array, off: number, end: number): NtlmMessage | null {
  const at = findNtlmssp(buf, off, end);
  if (at < 0) return null;
  const type = u32(buf, at + 8);
  const msg: NtlmMessage = { type, user: '', domain: '', workstation: '', anonymous: false, nbComputer: '', nbDomain: '', dnsComputer: '', dnsDomain: '', version: '', os: '' };
  if (type === 1) {
    if (at + 16 > end) return msg;
    const flags = u32(buf, at + 12);
    if ((flags & FLAG_VERSION) !== 0 && at + 40 <= end) readVersion(buf, at + 32, msg);
    return msg;
  }
  if (type === 2) {
    if (at + 48 > end) return msg;
    const flags = u32(buf, at + 20);
    const infoLen = u16(buf, at + 40);
    const infoOff = at + u32(buf, at + 44);
    if ((flags & FLAG_VERSION) !== 0 && at + 56 <= end) readVersion(buf, at + 48, msg);
    const infoEnd = infoOff + infoLen;
    if (infoLen > 0 && infoOff >= at && infoEnd <= end) {
      let p = infoOff;
      while (p + 4 <= infoEnd) {
        const id = u16(buf, p);
        const len = u16(buf, p + 2);
        if (id === 0 || p + 4 + len > infoEnd) break;
        const value = utf16(buf, p + 4, len);
        if (id === 1) msg.nbComputer = value;
        else if (id === 2) msg.nbDomain = value;
        else if (id === 3) msg.dnsComputer = value;
        else if (id === 4) msg.dnsDomain = value;
        p += 4 + len;
      }
    }
    return msg;
  }
  if (type === 3) {
    if (at + 64 > end) return msg;
    const flags = u32(buf, at + 60);
    const unicode = (flags & FLAG_UNICODE) !== 0;
    msg.domain = field(buf, at, end, at + 28, unicode);
    msg.user = field(buf, at, end, at + 36, unicode);
    msg.workstation = field(buf, at, end, at + 44, unicode);
    const ntLen = u16(buf, at + 20);
    msg.anonymous = msg.user === '' && ntLen === 0;
    if ((flags & FLAG_VERSION) !== 0 && at + 72 <= end) readVersion(buf, at + 64, msg);
    return msg;
  }
  return msg;
}

/** A security buffer (length, max length, offset from the message start) as text. */
function field(buf: Uint8Array, base: number, end: number, at: number, unicode: boolean): string {
  const len = u16(buf, at);
  const start = base + u32(buf, at + 4);
  if (len === 0 || start < base || start + len > end) return '';
  const n = len < MAX_NAME_BYTES ? len : MAX_NAME_BYTES;
  if (unicode) return utf16(buf, start, n);
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(buf[start + i]!);
  return s;
}

/**
 * Version texts by (major, minor, build), direct-mapped: a network's hosts run a handful of OS builds and every
 * session setup repeats its sender's, so the two strings are made once per build rather than per message.
 */
const VERSION_CACHE_SIZE = 64;
// 0 marks an empty slot: a version with major 0 is not read.
const versionKeys = new Int32Array(VERSION_CACHE_SIZE);
const versionTexts: string[] = new Array<string>(VERSION_CACHE_SIZE).fill('');
const osTexts: string[] = new Array<string>(VERSION_CACHE_SIZE).fill('');

function readVersion(buf: Uint8Array, at: number, msg: NtlmMessage): void {
  const major = buf[at]!;
  if (major === 0) return;
  const minor = buf[at + 1]!;
  const build = u16(buf, at + 2);
  const key = (major << 24) | (minor << 16) | build;
  const slot = (Math.imul(key, 0x9e3779b1) >>> 26) & (VERSION_CACHE_SIZE - 1);
  if (versionKeys[slot] !== key) {
    versionKeys[slot] = key;
    versionTexts[slot] = `${major}.${minor}.${build}`;
    osTexts[slot] = `Windows ${major}.${minor} build ${build}`;
  }
  msg.version = versionTexts[slot]!;
  msg.os = osTexts[slot]!;
}

/** UTF-16LE code units as text (controls as '?'), at most MAX_NAME_BYTES; lone surrogates are kept as they are. */
export function utf16(buf: Uint8Array, off: number, bytes: number): string {
  const n = bytes < MAX_NAME_BYTES ? bytes : MAX_NAME_BYTES;
  const end = off + (n & ~1);
  if (n > 0 && off >= 0 && end <= buf.length && buf instanceof Buffer) {
    // One native decode (code units copied as they are) instead of a string per character.
    const text = buf.toString('utf16le', off, end);
    return CONTROL_CHARS.test(text) ? text.replace(CONTROL_CHARS_ALL, '?') : text;
  }
  let s = '';
  for (let i = 0; i + 1 < n; i += 2) {
    const c = buf[off + i]! | (buf[off + i + 1]! << 8);
    s += c >= 0x20 && c !== 0x7f ? String.fromCharCode(c) : '?';
  }
  return s;
}

function u16(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8);
}
function u32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}
