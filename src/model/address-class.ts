/**
 * Classification and ordering of textual addresses for the inventory (per host / per flow end, never per
 * packet). Addresses arrive as the flow layer prints them: dotted IPv4, RFC 5952 IPv6, MAC aa:bb:cc:dd:ee:ff.
 */

export type IpKind = 'unicast' | 'multicast' | 'broadcast' | 'unspecified' | 'invalid';

/**
 * IPv4 as a 32-bit number, or -1: four dot-separated groups of 1-3 ASCII digits, each at most 255 (leading zeros
 * allowed). Scanned by char code: the inventory classifies every flow end's addresses.
 */
export function parseIp4(text: string): number {
  const len = text.length;
  if (len < 7 || len > 15) return -1;
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < len; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (++digits > 3) return -1;
      octet = octet * 10 + (c - 48);
    } else if (c === 46) {
      if (digits === 0 || octet > 255 || ++dots > 3) return -1;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0 || octet > 255) return -1;
  return value * 256 + octet;
}

/** Value of an ASCII hex digit (either case), or -1. */
function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** IPv6 as 32 lower-case hex digits (fully expanded), or null. Accepts an embedded dotted IPv4 tail. */
export function expandIp6(text: string): string | null {
  if (!text.includes(':')) return null;
  let head = text.toLowerCase();
  const zone = head.indexOf('%');
  if (zone >= 0) head = head.slice(0, zone);
  const lastColon = head.lastIndexOf(':');
  const lastPart = head.slice(lastColon + 1);
  if (lastPart.includes('.')) {
    const v4 = parseIp4(lastPart);
    if (v4 < 0) return null;
    head = `${head.slice(0, lastColon + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = head.split('::');
  if (halves.length > 2) return null;
  const left = halves[0] ? halves[0].split(':') : [];
  const right = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const words = [...left];
  if (halves.length === 2) {
    if (left.length + right.length > 7) return null;
    for (let i = left.length + right.length; i < 8; i++) words.push('0');
  } else if (left.length !== 8) return null;
  words.push(...right);
  let out = '';
  for (const w of words) {
    if (!/^[0-9a-f]{1,4}$/.test(w)) return null;
    out += w.padStart(4, '0');
  }
  return out.length === 32 ? out : null;
}

export function classifyIp(text: string): IpKind {
  const v4 = parseIp4(text);
  if (v4 >= 0) {
    if (v4 === 0) return 'unspecified';
    if (v4 === 0xffffffff) return 'broadcast';
    // 224/4 multicast; 240/4 is reserved and never a host on a real network.
    if (v4 >= 0xe0000000) return 'multicast';
    return 'unicast';
  }
  const v6 = expandIp6(text);
  if (v6 === null) return 'invalid';
  if (/^0{32}$/.test(v6)) return 'unspecified';
  if (v6.startsWith('ff')) return 'multicast';
  return 'unicast';
}

export function isLinkLocalIp(text: string): boolean {
  const v4 = parseIp4(text);
  if (v4 >= 0) return v4 >>> 16 === 0xa9fe;
  const v6 = expandIp6(text);
  return v6 !== null && /^fe[89ab]/.test(v6);
}

/** The /24 (IPv4) or /64 (IPv6) network of an address, as a string key; null for invalid input. */
export function subnetKey(text: string): string | null {
  const v4 = parseIp4(text);
  if (v4 >= 0) return `4:${Math.floor(v4 / 256)}`;
  const v6 = expandIp6(text);
  return v6 === null ? null : `6:${v6.slice(0, 16)}`;
}

/** aa:bb:cc:dd:ee:ff with lower-case hex digits (the form the flow layer prints). */
export function isMacText(text: string): boolean {
  if (text.length !== 17) return false;
  for (let i = 0; i < 17; i++) {
    const c = text.charCodeAt(i);
    if (i % 3 === 2) {
      if (c !== 58) return false;
    } else if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) {
      return false;
    }
  }
  return true;
}

/** I/G bit of a textual MAC: multicast or broadcast. */
export function isGroupMacText(mac: string): boolean {
  const hi = hexDigit(mac.charCodeAt(0));
  const lo = hexDigit(mac.charCodeAt(1));
  // Two hex digits: the usual case. Anything else keeps parseInt's reading of the first two characters.
  if (hi >= 0 && lo >= 0) return (lo & 1) === 1;
  return (parseInt(mac.slice(0, 2), 16) & 1) === 1;
}

export const BROADCAST_MAC = 'ff:ff:ff:ff:ff:ff';

/**
 * A key whose lexicographic order is numeric address order: MACs first, then IPv4, then IPv6, then anything
 * unparseable (by text).
 */
export function addressSortKey(text: string): string {
  if (isMacText(text)) return `0${text}`;
  const v4 = parseIp4(text);
  if (v4 >= 0) return `1${v4.toString(16).padStart(8, '0')}`;
  const v6 = expandIp6(text);
  if (v6 !== null) return `2${v6}`;
  return `3${text}`;
}

const ID_KIND_RANK: Record<string, string> = { mac: '0', ip: '1', broadcast: '2', multicast: '3', unspecified: '4' };

/** Sort key for endpoint ids ("mac:..", "ip:..", "broadcast:..", "multicast:..", "unspecified:.."). */
export function endpointSortKey(id: string): string {
  const colon = id.indexOf(':');
  const kind = colon < 0 ? '' : id.slice(0, colon);
  const rank = ID_KIND_RANK[kind] ?? '9';
  return `${rank}${addressSortKey(id.slice(colon + 1))}`;
}

export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A unicast address routable on the public Internet: not private (RFC 1918, RFC 4193), loopback, link-local,
 * shared (100.64/10), "this network" (0/8) or special-purpose 192.0.0/24, 198.18/15 (benchmarking), 240/4.
 * The documentation ranges (192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32) count as public: tests and
 * the virtual plant use them to stand for Internet hosts, which is what they document.
 */
export function isPublicIp(text: string): boolean {
  if (classifyIp(text) !== 'unicast') return false;
  const v4 = parseIp4(text);
  if (v4 >= 0) return isPublicIp4(v4);
  const v6 = expandIp6(text)!;
  if (v6.startsWith('00000000000000000000ffff')) return isPublicIp4(parseInt(v6.slice(24), 16));
  if (/^0{31}1$/.test(v6)) return false; // ::1
  const first = parseInt(v6.slice(0, 4), 16);
  if ((first & 0xfe00) === 0xfc00) return false; // fc00::/7 unique local
  if ((first & 0xffc0) === 0xfe80) return false; // fe80::/10 link-local
  if ((first & 0xffc0) === 0xfec0) return false; // fec0::/10 site-local (deprecated)
  return (first & 0xe000) === 0x2000; // 2000::/3 global unicast
}

function isPublicIp4(v4: number): boolean {
  const a = v4 >>> 24;
  const b = (v4 >>> 16) & 0xff;
  if (a === 0 || a === 10 || a === 127 || a >= 224) return false;
  if (a === 172 && b >= 16 && b <= 31) return false;
  if (a === 192 && b === 168) return false;
  if (a === 169 && b === 254) return false;
  if (a === 100 && b >= 64 && b <= 127) return false;
  if (a === 198 && (b === 18 || b === 19)) return false;
  if (a === 192 && b === 0 && ((v4 >>> 8) & 0xff) === 0) return false;
  return true;
}
