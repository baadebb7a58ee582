/** Address formatting and classification. Called once per new flow/asset, never per packet. */

const HEX_CODES = Array.from('0123456789abcdef', (c) => c.charCodeAt(0));

/**
 * Slots of the direct-mapped caches of formatted addresses (a power of two). Formatting returns the same string
 * object for an address while it stays cached: flows between the same hosts share their address strings, so
 * the maps keyed by them downstream (inventory, detection) hash each string once and compare by identity. A
 * collision simply replaces the slot; nothing is lost, the text is made again.
 */
export const ADDRESS_TEXT_CACHE_SLOTS = 4096;
const CACHE_SHIFT = 32 - Math.log2(ADDRESS_TEXT_CACHE_SLOTS);

const ip4CacheKeys = new Int32Array(ADDRESS_TEXT_CACHE_SLOTS);
const ip4CacheText = new Array<string | undefined>(ADDRESS_TEXT_CACHE_SLOTS).fill(undefined);
const macCacheHi = new Int32Array(ADDRESS_TEXT_CACHE_SLOTS);
const macCacheLo = new Int32Array(ADDRESS_TEXT_CACHE_SLOTS);
const macCacheText = new Array<string | undefined>(ADDRESS_TEXT_CACHE_SLOTS).fill(undefined);

/** aa:bb:cc:dd:ee:ff of the 48-bit value. */
export function macToString(mac: number): string {
  const hi = Math.floor(mac / 0x1000000) & 0xffffff;
  const lo = mac & 0xffffff;
  const slot = Math.imul(hi ^ Math.imul(lo, 0x85ebca6b), 0x9e3779b1) >>> CACHE_SHIFT;
  const cached = macCacheText[slot];
  if (cached !== undefined && macCacheHi[slot] === hi && macCacheLo[slot] === lo) return cached;
  // One flat string from char codes: a concatenated (rope) string would cost again at its first hash.
  const h = HEX_CODES;
  const text = String.fromCharCode(
    h[hi >>> 20]!, h[(hi >>> 16) & 15]!, 58, h[(hi >>> 12) & 15]!, h[(hi >>> 8) & 15]!, 58, h[(hi >>> 4) & 15]!, h[hi & 15]!, 58,
    h[lo >>> 20]!, h[(lo >>> 16) & 15]!, 58, h[(lo >>> 12) & 15]!, h[(lo >>> 8) & 15]!, 58, h[(lo >>> 4) & 15]!, h[lo & 15]!,
  );
  macCacheHi[slot] = hi;
  macCacheLo[slot] = lo;
  macCacheText[slot] = text;
  return text;
}

export function macFromString(text: string): number {
  const hex = text.replace(/[:.-]/g, '');
  if (!/^[0-9a-fA-F]{12}$/.test(hex)) throw new Error(`not a MAC address: ${text}`);
  return parseInt(hex, 16);
}

/** Dotted quad of the low 32 bits of `ip`. */
export function ip4ToString(ip: number): string {
  const key = ip | 0;
  const slot = Math.imul(key, 0x9e3779b1) >>> CACHE_SHIFT;
  const cached = ip4CacheText[slot];
  if (cached !== undefined && ip4CacheKeys[slot] === key) return cached;
  const text = `${key >>> 24}.${(key >>> 16) & 255}.${(key >>> 8) & 255}.${key & 255}`;
  ip4CacheKeys[slot] = key;
  ip4CacheText[slot] = text;
  return text;
}

export function ip4FromString(text: string): number {
  const fast = parseDecimalIp4(text);
  if (fast >= 0) return fast;
  return ip4FromStringSlow(text);
}

/**
 * The common form, four groups of ASCII digits separated by dots, scanned without allocating: the value, or -1
 * when the text is anything else (then ip4FromStringSlow decides, with Number()'s reading of each part).
 */
function parseDecimalIp4(text: string): number {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      part = part * 10 + (c - 48);
      if (part > 255) return -1;
      digits++;
    } else if (c === 46 && digits > 0 && dots < 3) {
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return (value * 256 + part) >>> 0;
}

function ip4FromStringSlow(text: string): number {
  const parts = text.split('.');
  if (parts.length !== 4) throw new Error(`not an IPv4 address: ${text}`);
  let value = 0;
  for (const part of parts) {
    const n = Number(part);
    if (!Number.isInteger(n) || n < 0 || n > 255 || part === '') throw new Error(`not an IPv4 address: ${text}`);
    value = value * 256 + n;
  }
  return value >>> 0;
}

/** RFC 5952 text form of the 16 bytes at buf[off..off+16). */
export function ip6ToString(buf: Uint8Array, off: number): string {
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push((buf[off + 2 * i]! << 8) | buf[off + 2 * i + 1]!);
  // IPv4-mapped ::ffff:a.b.c.d
  if (words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff) {
    return `::ffff:${buf[off + 12]}.${buf[off + 13]}.${buf[off + 14]}.${buf[off + 15]}`;
  }
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestStart < 0) return hex.join(':');
  const head = hex.slice(0, bestStart).join(':');
  const tail = hex.slice(bestStart + bestLen).join(':');
  return `${head}::${tail}`;
}

/** True for addresses that are not routable on the public Internet (RFC 1918, loopback, link-local, CGNAT, multicast, ...). */
export function isPrivateIp4(ip: number): boolean {
  const a = ip >>> 24;
  const b = (ip >>> 16) & 255;
  if (a === 10 || a === 127 || a === 0) return true;
  if (a === 172 && b >= 16 && b <= 31) return true;
  if (a === 192 && b === 168) return true;
  if (a === 169 && b === 254) return true;
  if (a === 100 && b >= 64 && b <= 127) return true; // CGNAT
  if (a === 192 && b === 0 && ((ip >>> 8) & 255) === 0) return true;
  if (a === 198 && (b === 18 || b === 19)) return true; // benchmarking
  if (a >= 224) return true; // multicast, reserved, broadcast
  return false;
}

/** Is this textual IP address a public (Internet-routable unicast) address? */
export function isPublicIp(text: string): boolean {
  if (text.includes(':')) {
    const lower = text.toLowerCase();
    if (lower === '::1' || lower === '::') return false;
    if (lower.startsWith('::ffff:')) return isPublicIp(lower.slice(7));
    const first = parseInt(lower.split(':')[0] || '0', 16);
    // Global unicast is 2000::/3; everything else (fe80::/10, fc00::/7, ff00::/8, ...) is not public.
    return (first & 0xe000) === 0x2000 && !lower.startsWith('2001:db8:');
  }
  const fast = parseDecimalIp4(text);
  if (fast >= 0) return !isPrivateIp4(fast);
  try {
    return !isPrivateIp4(ip4FromStringSlow(text));
  } catch {
    return false;
  }
}

export function isMulticastOrBroadcastMac(mac: number): boolean {
  // The I/G bit is the least significant bit of the first octet.
  return (Math.floor(mac / 2 ** 40) & 1) === 1;
}
