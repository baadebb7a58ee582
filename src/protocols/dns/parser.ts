/**
 * DNS message parsing (RFC 1035 §4), shared by DNS, mDNS, LLMNR and NetBIOS name service (RFC 1002 uses the
 * same header, question and resource-record layout).
 *
 * Pure functions over buf[msgOff..msgEnd) writing into caller-owned scratch objects: nothing here allocates
 * per message except the text of a name, built only when an event needs it (nameText).
 */
import { ip4ToString, ip6ToString } from '../../util/addr.js';

export const DNS_HEADER_LEN = 12;
/** RFC 1035 §2.3.4 */
export const MAX_LABEL_LEN = 63;
export const MAX_NAME_WIRE_LEN = 255;
/**
 * Compression pointers followed per name. Pointers must also point strictly backwards, which alone guarantees
 * termination; the cap bounds the work on a long backward chain.
 */
export const MAX_POINTER_JUMPS = 64;

export const NameError = {
  Truncated: -1,
  /** pointer forward/onto itself or too many jumps */
  PointerLoop: -2,
  /** 0x40/0x80 label types (RFC 6891 obsoleted extended labels) */
  BadLabelType: -3,
  TooLong: -4,
} as const;

export function nameErrorText(code: number): string {
  switch (code) {
    case NameError.Truncated:
      return 'name runs past the message';
    case NameError.PointerLoop:
      return 'compression pointer loop or forward pointer';
    case NameError.BadLabelType:
      return 'label longer than 63 octets (reserved label type)';
    case NameError.TooLong:
      return 'name longer than 255 octets';
    default:
      return 'malformed name';
  }
}

/** A decoded name in wire-label form: lengths and bytes, without the compression pointers. */
export class DnsName {
  /** label bytes with a length prefix per label, as on the wire (terminating 0 excluded) */
  readonly bytes = new Uint8Array(MAX_NAME_WIRE_LEN + 1);
  length = 0;
  labels = 0;
  /** length of the first label (NetBIOS: 32 for an encoded name) */
  firstLabelLen = 0;
  firstLabelOff = 0;
}

/**
 * Decodes the name at buf[pos] (inside the message buf[msgOff..msgEnd)) into `out`. Returns the offset just
 * after the name at its original place (after the first pointer when compressed), or a negative NameError.
 */
export function readName(buf: Uint8Array, pos: number, msgOff: number, msgEnd: number, out: DnsName | null): number {
  let p = pos;
  let next = -1;
  let jumps = 0;
  let wire = 1; // the terminating root label
  let written = 0;
  let labels = 0;
  // Lowest offset reachable by the next pointer: anything at or after the current run's start would loop.
  let limit = pos;
  for (;;) {
    if (p >= msgEnd) return NameError.Truncated;
    const len = buf[p]!;
    if ((len & 0xc0) === 0xc0) {
      if (p + 1 >= msgEnd) return NameError.Truncated;
      const target = msgOff + (((len & 0x3f) << 8) | buf[p + 1]!);
      if (next < 0) next = p + 2;
      if (target >= limit || ++jumps > MAX_POINTER_JUMPS) return NameError.PointerLoop;
      limit = target;
      p = target;
      continue;
    }
    if ((len & 0xc0) !== 0) return NameError.BadLabelType;
    if (len === 0) {
      if (out !== null) {
        out.length = written;
        out.labels = labels;
      }
      return next < 0 ? p + 1 : next;
    }
    wire += len + 1;
    if (wire > MAX_NAME_WIRE_LEN) return NameError.TooLong;
    if (p + 1 + len > msgEnd) return NameError.Truncated;
    if (out !== null) {
      if (labels === 0) {
        out.firstLabelLen = len;
        out.firstLabelOff = written + 1;
      }
      const dst = out.bytes;
      dst[written] = len;
      for (let i = 0; i < len; i++) dst[written + 1 + i] = buf[p + 1 + i]!;
      written += len + 1;
    }
    labels++;
    p += len + 1;
  }
}

/**
 * Presentation bytes of the common case (labels of printable ASCII other than '.' and backslash), built
 * without a string per character; one shared buffer, as names are turned into text one at a time.
 */
const presentation = Buffer.allocUnsafe(MAX_NAME_WIRE_LEN + 1);

/** Does byte c need an escape (backslash-c or backslash-ddd) in the presentation form, as dig prints it? */
function needsEscape(c: number): boolean {
  return c < 0x21 || c > 0x7e || c === 0x2e || c === 0x5c;
}

/**
 * Writes the presentation form of labels fromLabel.. into `presentation`; returns its length, or -1 when a byte
 * needs an escape (the caller then takes the general path).
 */
function plainPresentation(name: DnsName, fromLabel: number): number {
  const b = name.bytes;
  let w = 0;
  let p = 0;
  for (let label = 0; p < name.length; label++) {
    const len = b[p]!;
    if (label >= fromLabel) {
      if (w > 0) presentation[w++] = 0x2e;
      for (let i = 1; i <= len; i++) {
        const c = b[p + i]!;
        if (needsEscape(c)) return -1;
        presentation[w++] = c;
      }
    }
    p += len + 1;
  }
  return w;
}

/**
 * Texts of recent names, direct-mapped by a hash of their wire labels: a network asks for the same few names flow
 * after flow, and making the string (a call into the runtime per name, after the escape checks) costs more than
 * hashing and comparing its bytes. A colliding name replaces the slot's (a cache, nothing is lost). The same
 * string object also comes back each time, so consumers keying maps by name reuse its hash.
 */
const NAME_CACHE_SLOTS = 64;
const NAME_CACHE_SLOT_BYTES = MAX_NAME_WIRE_LEN + 1;
/** Names longer than this (wire octets) are not cached: generated names (DGA bursts) are seldom repeated. */
const NAME_CACHE_MAX_WIRE = 96;
const nameCacheBytes = new Uint8Array(NAME_CACHE_SLOTS * NAME_CACHE_SLOT_BYTES);
/** each slot's wire length, 0 = empty (the root name is never cached) */
const nameCacheLength = new Int32Array(NAME_CACHE_SLOTS);
const nameCacheText: string[] = new Array<string>(NAME_CACHE_SLOTS).fill('');
/** each slot's text in lower case, '' = not made yet */
const nameCacheLower: string[] = new Array<string>(NAME_CACHE_SLOTS).fill('');
/** the slot of the text nameText returned last, -1 when that text was not cached */
let lastNameSlot = -1;

/** Presentation form of a decoded name ("www.example.com", "." for the root), escaping as dig does. */
export function nameText(name: DnsName, fromLabel = 0): string {
  if (name.labels === 0) return '.';
  const len = name.length;
  if (fromLabel !== 0 || len > NAME_CACHE_MAX_WIRE) {
    lastNameSlot = -1;
    return uncachedNameText(name, fromLabel);
  }
  const b = name.bytes;
  let hash = len;
  for (let i = 0; i < len; i++) hash = Math.imul(hash ^ b[i]!, 0x01000193);
  const slot = (hash >>> 0) % NAME_CACHE_SLOTS;
  const base = slot * NAME_CACHE_SLOT_BYTES;
  if (nameCacheLength[slot] === len) {
    let i = 0;
    while (i < len && nameCacheBytes[base + i] === b[i]) i++;
    if (i === len) {
      lastNameSlot = slot;
      return nameCacheText[slot]!;
    }
  }
  const text = uncachedNameText(name, 0);
  for (let i = 0; i < len; i++) nameCacheBytes[base + i] = b[i]!;
  nameCacheLength[slot] = len;
  nameCacheText[slot] = text;
  nameCacheLower[slot] = '';
  lastNameSlot = slot;
  return text;
}

/**
 * text.toLowerCase(), kept with the cached name when `text` is what nameText returned last (toLowerCase makes a
 * new string even when nothing changes).
 */
export function lowerNameText(text: string): string {
  const slot = lastNameSlot;
  if (slot < 0 || nameCacheText[slot] !== text) return text.toLowerCase();
  let lower = nameCacheLower[slot]!;
  if (lower === '') nameCacheLower[slot] = lower = text.toLowerCase();
  return lower;
}

function uncachedNameText(name: DnsName, fromLabel: number): string {
  const plain = plainPresentation(name, fromLabel);
  if (plain > 0) return presentation.toString('latin1', 0, plain);
  if (plain === 0) return '.';
  return escapedNameText(name, fromLabel);
}

function escapedNameText(name: DnsName, fromLabel: number): string {
  let out = '';
  const b = name.bytes;
  let p = 0;
  for (let label = 0; p < name.length; label++) {
    const len = b[p]!;
    if (label >= fromLabel) {
      if (out.length > 0) out += '.';
      for (let i = 1; i <= len; i++) {
        const c = b[p + i]!;
        if (c === 0x2e || c === 0x5c) out += '\\' + String.fromCharCode(c);
        else if (c < 0x21 || c > 0x7e) out += '\\' + String(c).padStart(3, '0');
        else out += String.fromCharCode(c);
      }
    }
    p += len + 1;
  }
  return out.length === 0 ? '.' : out;
}

/**
 * nameText(name).toLowerCase() === lowerText, without building the text in the common case (a response's
 * question checked against the query's).
 */
export function nameTextEqualsLower(name: DnsName, lowerText: string): boolean {
  if (name.labels === 0) return lowerText === '.';
  const b = name.bytes;
  let w = 0;
  let p = 0;
  const n = lowerText.length;
  while (p < name.length) {
    const len = b[p]!;
    if (w > 0) {
      if (w >= n || lowerText.charCodeAt(w) !== 0x2e) return false;
      w++;
    }
    for (let i = 1; i <= len; i++) {
      let c = b[p + i]!;
      if (needsEscape(c)) return nameText(name).toLowerCase() === lowerText;
      if (c >= 0x41 && c <= 0x5a) c += 0x20;
      if (w >= n || lowerText.charCodeAt(w) !== c) return false;
      w++;
    }
    p += len + 1;
  }
  return w === n;
}

/** Does the decoded name end with the label sequence of `suffix` (lower-case ASCII, e.g. "local")? */
export function nameEndsWith(name: DnsName, suffix: string): boolean {
  // Walk labels and compare the tail: only used on responses being turned into facts.
  const text = nameText(name).toLowerCase();
  return text === suffix || text.endsWith('.' + suffix);
}

export class DnsHeader {
  id = 0;
  flags = 0;
  response = false;
  opcode = 0;
  rcode = 0;
  authoritative = false;
  truncated = false;
  qdcount = 0;
  ancount = 0;
  nscount = 0;
  arcount = 0;
}

/** Reads the 12-octet header; false when the message is shorter. */
export function readHeader(buf: Uint8Array, off: number, end: number, h: DnsHeader): boolean {
  if (end - off < DNS_HEADER_LEN) return false;
  h.id = (buf[off]! << 8) | buf[off + 1]!;
  const flags = (buf[off + 2]! << 8) | buf[off + 3]!;
  h.flags = flags;
  h.response = (flags & 0x8000) !== 0;
  h.opcode = (flags >> 11) & 0xf;
  h.authoritative = (flags & 0x0400) !== 0;
  h.truncated = (flags & 0x0200) !== 0;
  h.rcode = flags & 0xf;
  h.qdcount = (buf[off + 4]! << 8) | buf[off + 5]!;
  h.ancount = (buf[off + 6]! << 8) | buf[off + 7]!;
  h.nscount = (buf[off + 8]! << 8) | buf[off + 9]!;
  h.arcount = (buf[off + 10]! << 8) | buf[off + 11]!;
  return true;
}

export class Question {
  readonly name = new DnsName();
  type = 0;
  klass = 0;
}

/** Reads one question at `pos`; returns the offset after it or a negative NameError. */
export function readQuestion(buf: Uint8Array, pos: number, msgOff: number, msgEnd: number, q: Question | null): number {
  const p = readName(buf, pos, msgOff, msgEnd, q === null ? null : q.name);
  if (p < 0) return p;
  if (p + 4 > msgEnd) return NameError.Truncated;
  if (q !== null) {
    q.type = (buf[p]! << 8) | buf[p + 1]!;
    q.klass = (buf[p + 2]! << 8) | buf[p + 3]!;
  }
  return p + 4;
}

export class ResourceRecord {
  readonly name = new DnsName();
  type = 0;
  klass = 0;
  ttl = 0;
  rdataOff = 0;
  rdataLen = 0;
}

/**
 * Reads one resource record at `pos` (decoding its owner name only when `decodeName`); returns the offset
 * after it or a negative NameError.
 */
export function readRecord(buf: Uint8Array, pos: number, msgOff: number, msgEnd: number, rr: ResourceRecord, decodeName: boolean): number {
  const p = readName(buf, pos, msgOff, msgEnd, decodeName ? rr.name : null);
  if (p < 0) return p;
  if (p + 10 > msgEnd) return NameError.Truncated;
  rr.type = (buf[p]! << 8) | buf[p + 1]!;
  rr.klass = (buf[p + 2]! << 8) | buf[p + 3]!;
  rr.ttl = ((buf[p + 4]! << 24) | (buf[p + 5]! << 16) | (buf[p + 6]! << 8) | buf[p + 7]!) >>> 0;
  rr.rdataLen = (buf[p + 8]! << 8) | buf[p + 9]!;
  rr.rdataOff = p + 10;
  if (rr.rdataOff + rr.rdataLen > msgEnd) return NameError.Truncated;
  return rr.rdataOff + rr.rdataLen;
}

/** An A record's IPv4 address as a 32-bit number, -1 when the record is not an A with 4 octets of data. */
export function recordIp4(buf: Uint8Array, rr: ResourceRecord): number {
  if (rr.type !== RR_TYPE.A || rr.rdataLen !== 4) return -1;
  const o = rr.rdataOff;
  return ((buf[o]! << 24) | (buf[o + 1]! << 16) | (buf[o + 2]! << 8) | buf[o + 3]!) >>> 0;
}

/** The address in an A (4 octets) or AAAA (16 octets) record's data, '' when the length is wrong. */
export function addressText(buf: Uint8Array, rr: ResourceRecord): string {
  if (rr.type === RR_TYPE.A && rr.rdataLen === 4) {
    const o = rr.rdataOff;
    return ip4ToString(((buf[o]! << 24) | (buf[o + 1]! << 16) | (buf[o + 2]! << 8) | buf[o + 3]!) >>> 0);
  }
  if (rr.type === RR_TYPE.AAAA && rr.rdataLen === 16) return ip6ToString(buf, rr.rdataOff);
  return '';
}

export const RR_TYPE = {
  A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, HINFO: 13, MX: 15, TXT: 16, AAAA: 28, SRV: 33, NAPTR: 35, OPT: 41,
  DS: 43, RRSIG: 46, NSEC: 47, DNSKEY: 48, HTTPS: 65, SVCB: 64, ANY: 255,
} as const;

/** Record types whose data start with a (possibly compressed) domain name. */
export function rdataIsName(type: number): boolean {
  return type === RR_TYPE.CNAME || type === RR_TYPE.PTR || type === RR_TYPE.NS;
}

/** The classes a question may carry; mDNS sets the top bit (unicast-response / cache-flush). */
export function plausibleClass(klass: number): boolean {
  const c = klass & 0x7fff;
  return c === 1 || c === 3 || c === 4 || c === 254 || c === 255;
}
