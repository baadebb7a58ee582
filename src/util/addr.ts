/** Address formatting and classification. Called once per new flow/asset, never per packet. */

const HEX = '0123456789abcdef';

export function macToString(mac: number): string {
  let out = '';
  for (let shift = 40; shift >= 0; shift -= 8) {
    const byte = Math.floor(mac / 2 ** shift) & 0xff;
    out += HEX[byte >> 4]! + HEX[byte & 15]!;
    if (shift > 0) out += ':';
  }
  return out;
}

export function macFromString(text: string): number {
  const hex = text.replace(/[:.-]/g, '');
  if (!/^[0-9a-fA-F]{12}$/.test(hex)) throw new Error(`not a MAC address: ${text}`);
  return parseInt(hex, 16);
}

export function ip4ToString(ip: number): string {
  return `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
}

export function ip4FromString(text: string): number {
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
  try {
    return !isPrivateIp4(ip4FromString(text));
  } catch {
    return false;
  }
}

export function isMulticastOrBroadcastMac(mac: number): boolean {
  // The I/G bit is the least significant bit of the first octet.
  return (Math.floor(mac / 2 ** 40) & 1) === 1;
}
