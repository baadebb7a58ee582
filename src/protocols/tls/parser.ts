/**
 * TLS record layer and cleartext handshake messages: content probe, ClientHello and ServerHello decoding with
 * bounded lists, and the TLS ≤ 1.2 Certificate message. Every read is bounds-checked; decoders return false on
 * malformed input instead of throwing.
 */
import { Probe, type Dir } from '../analyzer.js';

export const ContentType = { ChangeCipherSpec: 20, Alert: 21, Handshake: 22, ApplicationData: 23, Heartbeat: 24 } as const;
export const HandshakeType = { ClientHello: 1, ServerHello: 2, Certificate: 11, ServerHelloDone: 14, Finished: 20 } as const;
export const RECORD_HEADER_BYTES = 5;
/** Largest record body allowed (2^14 plus the expansion TLS 1.2 allows for compression and protection). */
export const MAX_RECORD_BODY = 16384 + 2048;

export const Ext = {
  ServerName: 0x0000,
  SupportedGroups: 0x000a,
  EcPointFormats: 0x000b,
  SignatureAlgorithms: 0x000d,
  Alpn: 0x0010,
  SupportedVersions: 0x002b,
} as const;

/** GREASE values (RFC 8701): 0x?a?a with both bytes equal. */
export function isGrease(v: number): boolean {
  return (v & 0x0f0f) === 0x0a0a && (v & 0xff) === v >> 8;
}

/** A plausible record header at buf[off] (5 bytes available). */
export function isRecordHeader(buf: Buffer, off: number): boolean {
  const type = buf[off]!;
  if (type < ContentType.ChangeCipherSpec || type > ContentType.Heartbeat) return false;
  if (buf[off + 1] !== 3 || buf[off + 2]! > 4) return false;
  const length = (buf[off + 3]! << 8) | buf[off + 4]!;
  return length > 0 && length <= MAX_RECORD_BODY;
}

/**
 * Content probe: a handshake record carrying a ClientHello or ServerHello whose length fits the record is TLS
 * on any port; other well-formed record headers (application data, alerts) are only a Maybe, left to ports.
 */
export function probeTls(buf: Buffer, off: number, len: number, _dir: Dir): Probe {
  if (off < 0 || len < 0 || off + len > buf.length) return Probe.No;
  if (len === 0) return Probe.NeedMore;
  const type = buf[off]!;
  if (type < ContentType.ChangeCipherSpec || type > ContentType.Heartbeat) return Probe.No;
  if (len >= 2 && buf[off + 1] !== 3) return Probe.No;
  if (len >= 3 && buf[off + 2]! > 4) return Probe.No;
  if (len < 6) return Probe.NeedMore;
  if (!isRecordHeader(buf, off)) return Probe.No;
  if (type !== ContentType.Handshake) return Probe.Maybe;
  const hsType = buf[off + 5]!;
  if (hsType !== HandshakeType.ClientHello && hsType !== HandshakeType.ServerHello) return Probe.Maybe;
  if (len < 9) return Probe.NeedMore;
  const hsLen = (buf[off + 6]! << 16) | (buf[off + 7]! << 8) | buf[off + 8]!;
  // A hello may continue in the next records (large ClientHellos), so only its own fields are checked.
  if (hsLen < 38) return Probe.No;
  if (len < 10) return Probe.NeedMore;
  return buf[off + 9] === 3 ? Probe.Yes : Probe.No;
}

/** Big-endian u16 at b[o] (the caller has checked o + 2 against the message end). */
function u16(b: Buffer, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

/** Caps on the lists kept from a hello. */
export const MAX_LIST = 256;

export class ClientHello {
  legacyVersion = 0;
  sessionIdLength = 0;
  ciphers: number[] = [];
  /** extension types in wire order */
  extensions: number[] = [];
  sni = '';
  hasSni = false;
  /** ALPN protocol names (latin1); the first also as raw bytes for JA4 */
  alpn: string[] = [];
  firstAlpn: Buffer | null = null;
  supportedVersions: number[] = [];
  signatureAlgorithms: number[] = [];
  groups: number[] = [];
  pointFormats: number[] = [];
  compressionMethods = 0;
  /** lists cut by MAX_LIST */
  truncated = false;

  /**
   * Back to the state of a new ClientHello. Fresh lists rather than `length = 0`: V8 empties an array's storage
   * on a zero length anyway, and a store to `length` is a runtime call per list (it showed in profiles).
   */
  reset(): void {
    this.legacyVersion = 0;
    this.sessionIdLength = 0;
    this.ciphers = [];
    this.extensions = [];
    this.sni = '';
    this.hasSni = false;
    this.alpn = [];
    this.firstAlpn = null;
    this.supportedVersions = [];
    this.signatureAlgorithms = [];
    this.groups = [];
    this.pointFormats = [];
    this.compressionMethods = 0;
    this.truncated = false;
  }

  /** A copy with lists of its own. */
  clone(): ClientHello {
    const c = new ClientHello();
    c.legacyVersion = this.legacyVersion;
    c.sessionIdLength = this.sessionIdLength;
    c.ciphers = this.ciphers.slice();
    c.extensions = this.extensions.slice();
    c.sni = this.sni;
    c.hasSni = this.hasSni;
    c.alpn = this.alpn.slice();
    c.firstAlpn = this.firstAlpn;
    c.supportedVersions = this.supportedVersions.slice();
    c.signatureAlgorithms = this.signatureAlgorithms.slice();
    c.groups = this.groups.slice();
    c.pointFormats = this.pointFormats.slice();
    c.compressionMethods = this.compressionMethods;
    c.truncated = this.truncated;
    return c;
  }
}

/** Decodes a ClientHello body (after the 4-byte handshake header). */
export function parseClientHello(b: Buffer, off: number, len: number, h: ClientHello): boolean {
  const end = off + len;
  let p = off;
  // every read below is checked against `end`, so a range inside the buffer keeps them all inside it
  if (len < 38 || off < 0 || end > b.length) return false;
  h.legacyVersion = u16(b, p);
  p += 34; // version + random
  const sid = b[p]!;
  if (sid > 32 || p + 1 + sid > end) return false;
  h.sessionIdLength = sid;
  p += 1 + sid;
  if (p + 2 > end) return false;
  const cipherBytes = u16(b, p);
  p += 2;
  if (cipherBytes % 2 !== 0 || p + cipherBytes > end) return false;
  for (let i = 0; i < cipherBytes; i += 2) pushCapped(h, h.ciphers, u16(b, p + i));
  p += cipherBytes;
  if (p + 1 > end) return false;
  const comp = b[p]!;
  if (p + 1 + comp > end) return false;
  h.compressionMethods = comp;
  p += 1 + comp;
  if (p === end) return true; // no extensions (SSL 3.0 / old TLS)
  if (p + 2 > end) return false;
  const extBytes = u16(b, p);
  p += 2;
  if (p + extBytes > end) return false;
  const extEnd = p + extBytes;
  while (p + 4 <= extEnd) {
    const type = u16(b, p);
    const elen = u16(b, p + 2);
    p += 4;
    if (p + elen > extEnd) return false;
    pushCapped(h, h.extensions, type);
    decodeClientExtension(b, p, elen, type, h);
    p += elen;
  }
  return p === extEnd;
}

function pushCapped(h: { truncated: boolean }, list: number[], v: number): void {
  if (list.length < MAX_LIST) list.push(v);
  else h.truncated = true;
}

function decodeClientExtension(b: Buffer, p: number, len: number, type: number, h: ClientHello): void {
  const end = p + len;
  switch (type) {
    case Ext.ServerName: {
      h.hasSni = true;
      if (len < 2) return;
      let q = p + 2;
      while (q + 3 <= end) {
        const nameType = b[q]!;
        const nlen = u16(b, q + 1);
        q += 3;
        if (q + nlen > end) return;
        if (nameType === 0 && h.sni === '') h.sni = b.toString('latin1', q, Math.min(q + nlen, q + 255));
        q += nlen;
      }
      return;
    }
    case Ext.SupportedVersions: {
      if (len < 1) return;
      const n = b[p]!;
      for (let q = p + 1; q + 2 <= end && q + 2 <= p + 1 + n; q += 2) pushCapped(h, h.supportedVersions, u16(b, q));
      return;
    }
    case Ext.Alpn: {
      if (len < 2) return;
      let q = p + 2;
      while (q + 1 <= end) {
        const n = b[q]!;
        q += 1;
        if (q + n > end) return;
        if (h.firstAlpn === null) h.firstAlpn = Buffer.from(b.subarray(q, q + n));
        if (h.alpn.length < 16) h.alpn.push(b.toString('latin1', q, q + n));
        q += n;
      }
      return;
    }
    case Ext.SignatureAlgorithms:
      readU16List(b, p, end, h.signatureAlgorithms, h);
      return;
    case Ext.SupportedGroups:
      readU16List(b, p, end, h.groups, h);
      return;
    case Ext.EcPointFormats: {
      if (len < 1) return;
      for (let q = p + 1; q < end && q < p + 1 + b[p]!; q++) pushCapped(h, h.pointFormats, b[q]!);
      return;
    }
  }
}

function readU16List(b: Buffer, p: number, end: number, out: number[], h: { truncated: boolean }): void {
  if (p + 2 > end) return;
  const n = u16(b, p);
  for (let q = p + 2; q + 2 <= end && q + 2 <= p + 2 + n; q += 2) pushCapped(h, out, u16(b, q));
}

export class ServerHello {
  legacyVersion = 0;
  /** supported_versions' selection when present, else the legacy version */
  version = 0;
  cipher = 0;
  extensions: number[] = [];
  alpn = '';
  /** TLS 1.3 HelloRetryRequest (the special random value) */
  helloRetry = false;
  truncated = false;

  /** Back to the state of a new ServerHello (a fresh list: see ClientHello.reset). */
  reset(): void {
    this.legacyVersion = 0;
    this.version = 0;
    this.cipher = 0;
    this.extensions = [];
    this.alpn = '';
    this.helloRetry = false;
    this.truncated = false;
  }

  /** A copy with a list of its own. */
  clone(): ServerHello {
    const c = new ServerHello();
    c.legacyVersion = this.legacyVersion;
    c.version = this.version;
    c.cipher = this.cipher;
    c.extensions = this.extensions.slice();
    c.alpn = this.alpn;
    c.helloRetry = this.helloRetry;
    c.truncated = this.truncated;
    return c;
  }
}

const HRR_RANDOM = Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex');

/** The 32 bytes at b[at] (the caller checked they are inside the message) are the HelloRetryRequest random. */
function isHelloRetryRandom(b: Buffer, at: number): boolean {
  // a byte loop: Buffer#compare validates five arguments per call, and a real random differs at the first byte
  for (let i = 0; i < 32; i++) if (b[at + i] !== HRR_RANDOM[i]) return false;
  return true;
}

export function parseServerHello(b: Buffer, off: number, len: number, h: ServerHello): boolean {
  const end = off + len;
  let p = off;
  // every read below is checked against `end`, so a range inside the buffer keeps them all inside it
  if (len < 38 || off < 0 || end > b.length) return false;
  h.legacyVersion = h.version = u16(b, p);
  h.helloRetry = isHelloRetryRandom(b, p + 2);
  p += 34;
  const sid = b[p]!;
  if (sid > 32 || p + 1 + sid + 3 > end) return false;
  p += 1 + sid;
  h.cipher = u16(b, p);
  p += 3; // cipher + compression
  if (p === end) return true;
  if (p + 2 > end) return false;
  const extEnd = p + 2 + u16(b, p);
  p += 2;
  if (extEnd > end) return false;
  while (p + 4 <= extEnd) {
    const type = u16(b, p);
    const elen = u16(b, p + 2);
    p += 4;
    if (p + elen > extEnd) return false;
    pushCapped(h, h.extensions, type);
    if (type === Ext.SupportedVersions && elen === 2) h.version = u16(b, p);
    if (type === Ext.Alpn && elen >= 3 && p + 3 + b[p + 2]! <= p + elen) h.alpn = b.toString('latin1', p + 3, p + 3 + b[p + 2]!);
    p += elen;
  }
  return p === extEnd;
}

/** Offset and length of the first certificate's DER in a TLS ≤ 1.2 Certificate body, or null. */
export function firstCertificate(b: Buffer, off: number, len: number): { off: number; len: number } | null {
  if (len < 6) return null;
  const listLen = (b[off]! << 16) | (b[off + 1]! << 8) | b[off + 2]!;
  if (listLen + 3 > len || listLen < 3) return null;
  const certLen = (b[off + 3]! << 16) | (b[off + 4]! << 8) | b[off + 5]!;
  if (certLen === 0 || certLen + 3 > listLen) return null;
  return { off: off + 6, len: certLen };
}

export function versionName(v: number): string {
  switch (v) {
    case 0x0304:
      return 'TLS 1.3';
    case 0x0303:
      return 'TLS 1.2';
    case 0x0302:
      return 'TLS 1.1';
    case 0x0301:
      return 'TLS 1.0';
    case 0x0300:
      return 'SSL 3.0';
    default:
      return `0x${v.toString(16).padStart(4, '0')}`;
  }
}

const ALERTS: Record<number, string> = {
  0: 'close_notify', 10: 'unexpected_message', 20: 'bad_record_mac', 22: 'record_overflow', 30: 'decompression_failure',
  40: 'handshake_failure', 41: 'no_certificate', 42: 'bad_certificate', 43: 'unsupported_certificate',
  44: 'certificate_revoked', 45: 'certificate_expired', 46: 'certificate_unknown', 47: 'illegal_parameter',
  48: 'unknown_ca', 49: 'access_denied', 50: 'decode_error', 51: 'decrypt_error', 70: 'protocol_version',
  71: 'insufficient_security', 80: 'internal_error', 86: 'inappropriate_fallback', 90: 'user_canceled',
  100: 'no_renegotiation', 109: 'missing_extension', 110: 'unsupported_extension', 112: 'unrecognized_name',
  113: 'bad_certificate_status_response', 115: 'unknown_psk_identity', 116: 'certificate_required',
  120: 'no_application_protocol',
};

export function alertName(code: number): string {
  return ALERTS[code] ?? `alert_${code}`;
}
