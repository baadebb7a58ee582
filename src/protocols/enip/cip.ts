/** CIP message and EPATH decoding (CIP Vol. 1 §2-4, App. C). Pure; the caller passes bounds. */

export class CipPath {
  cls = -1;
  instance = -1;
  attribute = -1;
  /** ANSI symbolic segments (Logix tag names) joined with '.', array members as [n]; '' when none */
  symbol = '';
  /** false when a segment ran past the path or had an unknown type */
  ok = true;
}

/** Decodes an EPATH of `bytes` bytes at buf[off]. Stops at the first unknown segment type. */
export function parseEpath(buf: Uint8Array, off: number, bytes: number, out: CipPath): void {
  out.cls = -1;
  out.instance = -1;
  out.attribute = -1;
  out.symbol = '';
  out.ok = true;
  let p = off;
  const end = off + bytes;
  while (p < end) {
    const seg = buf[p]!;
    const type = seg & 0xe0;
    if (type === 0x20) {
      const logical = (seg >> 2) & 0x07;
      const format = seg & 0x03;
      let value: number;
      if (format === 0) {
        if (p + 2 > end) return fail(out);
        value = buf[p + 1]!;
        p += 2;
      } else if (format === 1) {
        if (p + 4 > end) return fail(out);
        value = buf[p + 2]! | (buf[p + 3]! << 8);
        p += 4;
      } else if (format === 2) {
        if (p + 6 > end) return fail(out);
        value = (buf[p + 2]! | (buf[p + 3]! << 8) | (buf[p + 4]! << 16) | (buf[p + 5]! << 24)) >>> 0;
        p += 6;
      } else return fail(out);
      if (logical === 0) out.cls = value;
      else if (logical === 1) out.instance = value;
      else if (logical === 4) out.attribute = value;
      else if (logical === 2 && out.symbol) out.symbol += `[${value}]`;
      continue;
    }
    if (seg === 0x91) {
      if (p + 2 > end) return fail(out);
      const n = buf[p + 1]!;
      if (p + 2 + n > end) return fail(out);
      let name = '';
      for (let i = 0; i < n; i++) {
        const c = buf[p + 2 + i]!;
        name += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '?';
      }
      out.symbol = out.symbol ? `${out.symbol}.${name}` : name;
      p += 2 + n + (n & 1);
      continue;
    }
    if (type === 0x00) {
      // Port segment: a route hop (port number + link address).
      if (p + 2 > end) return fail(out);
      if (seg & 0x10) {
        const size = buf[p + 1]!;
        p += 2 + size + (size & 1);
      } else {
        p += 2;
      }
      continue;
    }
    if (seg === 0x80) {
      if (p + 2 > end) return fail(out);
      p += 2 + 2 * buf[p + 1]!;
      continue;
    }
    return fail(out);
  }
}

function fail(out: CipPath): void {
  out.ok = false;
}

export function describePath(path: CipPath): string {
  if (path.symbol) return path.symbol;
  const parts: string[] = [];
  if (path.cls >= 0) parts.push(`class 0x${path.cls.toString(16).padStart(2, '0')}`);
  if (path.instance >= 0) parts.push(`instance ${path.instance}`);
  if (path.attribute >= 0) parts.push(`attribute ${path.attribute}`);
  return parts.join(' ');
}

/** Longest EPATH a PathCache keeps; longer paths (long routes, deep member chains) are decoded every time. */
export const MAX_CACHED_PATH_BYTES = 64;

/**
 * Recently decoded request paths. A polling client addresses the same few tags or objects over and over, and
 * decoding a symbolic path builds its tag name a character at a time: the cache hands back the fields and the
 * very same strings for a path whose bytes it has seen. Direct-mapped on a hash of the path bytes; a slot is
 * overwritten by the next path hashing to it, so the cache is bounded by its slot count.
 */
export class PathCache {
  /** index mask of the first slot of a set (sets are two adjacent slots) */
  private readonly setMask: number;
  private readonly slots: Array<CachedPath | null>;
  /** per set: which of its two slots the next miss overwrites (the one not used last) */
  private readonly victim: Uint8Array;

  /** `slots` is rounded up to a power of two (at least 2). */
  constructor(slots = 64) {
    let n = 2;
    while (n < slots) n *= 2;
    this.setMask = n - 2;
    this.slots = new Array<CachedPath | null>(n).fill(null);
    this.victim = new Uint8Array(n >> 1);
  }

  /**
   * parseEpath(buf, off, bytes, out) and then describePath(out), which it returns; answered from the cache
   * when these path bytes were decoded before.
   */
  decode(buf: Uint8Array, off: number, bytes: number, out: CipPath): string {
    if (bytes > MAX_CACHED_PATH_BYTES || bytes < 0 || off < 0 || off + bytes > buf.length) {
      parseEpath(buf, off, bytes, out);
      return describePath(out);
    }
    // FNV-1a over 32-bit words (then the odd tail): a quarter of the multiply chain of a per-byte hash.
    let hash = 0x811c9dc5 ^ bytes;
    let i = 0;
    for (; i + 4 <= bytes; i += 4) {
      const word = buf[off + i]! | (buf[off + i + 1]! << 8) | (buf[off + i + 2]! << 16) | (buf[off + i + 3]! << 24);
      hash = Math.imul(hash ^ word, 0x01000193);
    }
    for (; i < bytes; i++) hash = Math.imul(hash ^ buf[off + i]!, 0x01000193);
    // Two-way set associative: two hot paths hashing alike do not evict each other.
    const first = Math.imul(hash ^ (hash >>> 15), 0x2c1b3c6d) >>> 16 & this.setMask;
    for (let way = 0; way < 2; way++) {
      const cached = this.slots[first + way]!;
      if (cached === null || cached.bytes.length !== bytes) continue;
      const known = cached.bytes;
      let j = 0;
      while (j < bytes && known[j] === buf[off + j]) j++;
      if (j < bytes) continue;
      this.victim[first >> 1] = way ^ 1;
      out.cls = cached.cls;
      out.instance = cached.instance;
      out.attribute = cached.attribute;
      out.symbol = cached.symbol;
      out.ok = cached.ok;
      return cached.description;
    }
    parseEpath(buf, off, bytes, out);
    const description = describePath(out);
    // A copy: the packet's buffer is reused once the call returns.
    const copy = new Uint8Array(bytes);
    for (let k = 0; k < bytes; k++) copy[k] = buf[off + k]!;
    const way = this.victim[first >> 1]!;
    this.slots[first + way] = new CachedPath(copy, out, description);
    this.victim[first >> 1] = way ^ 1;
    return description;
  }
}

class CachedPath {
  readonly cls: number;
  readonly instance: number;
  readonly attribute: number;
  readonly symbol: string;
  readonly ok: boolean;

  constructor(
    readonly bytes: Uint8Array,
    path: CipPath,
    readonly description: string,
  ) {
    this.cls = path.cls;
    this.instance = path.instance;
    this.attribute = path.attribute;
    this.symbol = path.symbol;
    this.ok = path.ok;
  }
}

/** The identity object layout shared by ListIdentity items and Identity Get_Attributes_All responses. */
export interface IdentityInfo {
  vendorId: number;
  deviceType: number;
  productCode: number;
  revisionMajor: number;
  revisionMinor: number;
  status: number;
  serial: number;
  productName: string;
}

export function parseIdentity(buf: Uint8Array, off: number, end: number): IdentityInfo | null {
  if (off + 15 > end) return null;
  const u16 = (o: number) => buf[o]! | (buf[o + 1]! << 8);
  const nameLen = buf[off + 14]!;
  if (off + 15 + nameLen > end) return null;
  let productName = '';
  for (let i = 0; i < nameLen; i++) {
    const c = buf[off + 15 + i]!;
    if (c >= 0x20 && c < 0x7f) productName += String.fromCharCode(c);
  }
  return {
    vendorId: u16(off),
    deviceType: u16(off + 2),
    productCode: u16(off + 4),
    revisionMajor: buf[off + 6]!,
    revisionMinor: buf[off + 7]!,
    status: u16(off + 8),
    serial: (buf[off + 10]! | (buf[off + 11]! << 8) | (buf[off + 12]! << 16) | (buf[off + 13]! << 24)) >>> 0,
    productName: productName.trim(),
  };
}
