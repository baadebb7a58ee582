/**
 * NTP header fields (RFC 5905 modes 1-5, RFC 1305 appendix B control messages mode 6, ntpd's private mode 7)
 * read in place from one datagram. No allocation: callers read the numeric fields they need.
 */

export const MODE_NAMES = ['reserved', 'symmetric_active', 'symmetric_passive', 'client', 'server', 'broadcast', 'control', 'private'];

export const CONTROL_OPCODES: Record<number, string> = {
  1: 'readstat',
  2: 'readvar',
  3: 'writevar',
  4: 'readclock',
  5: 'writeclock',
  6: 'setrap',
  7: 'asyncmsg',
  8: 'configure',
  9: 'saveconfig',
  10: 'read_mru',
  11: 'read_ordlist',
  12: 'req_nonce',
  31: 'unsetrap',
};

/** ntpd mode 7 request codes that matter: MON_GETLIST(_1) is the amplification ("monlist") request. */
export const PRIVATE_REQUESTS: Record<number, string> = {
  0: 'peer_list',
  1: 'peer_list_sum',
  2: 'peer_info',
  4: 'sys_info',
  5: 'sys_stats',
  20: 'monlist',
  42: 'monlist',
};

export const NTP_HEADER = 48;

export function ntpMode(buf: Buffer, off: number): number {
  return buf[off]! & 7;
}

export function ntpVersion(buf: Buffer, off: number): number {
  return (buf[off]! >> 3) & 7;
}

/** Minimum datagram length for `mode`. */
export function minLength(mode: number): number {
  return mode === 6 ? 12 : mode === 7 ? 8 : NTP_HEADER;
}

/** Does the datagram look like NTP: version 1..4 and long enough for its mode (mode 0 is reserved). */
export function plausibleNtp(buf: Buffer, off: number, len: number): boolean {
  if (len < 8) return false;
  const mode = ntpMode(buf, off);
  const version = ntpVersion(buf, off);
  if (mode === 0 || version < 1 || version > 4 || len < minLength(mode)) return false;
  if (mode <= 5) return buf[off + 1]! <= 16; // stratum 0..16
  if (mode === 6) return (buf[off + 1]! & 0x1f) !== 0 && be16(buf, off + 10) <= len - 12;
  return true;
}

/** Reference id text: stratum 0/1 carry four ASCII characters (GPS, PPS, kiss codes), others an IPv4 address. */
export function refIdText(buf: Buffer, off: number, stratum: number): string {
  const p = off + 12;
  if (stratum <= 1) {
    let s = '';
    for (let i = 0; i < 4; i++) {
      const b = buf[p + i]!;
      if (b === 0) break;
      s += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
    }
    return s;
  }
  return `${buf[p]}.${buf[p + 1]}.${buf[p + 2]}.${buf[p + 3]}`;
}

/** Big-endian 16 bits at buf[at]; the caller has checked at + 2 <= the datagram's end. */
export function be16(buf: Buffer, at: number): number {
  return (buf[at]! << 8) | buf[at + 1]!;
}

/** Big-endian unsigned 32 bits at buf[at]; the caller has checked at + 4 <= the datagram's end. */
function be32(buf: Buffer, at: number): number {
  return ((buf[at]! << 24) | (buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!) >>> 0;
}

/**
 * A 64-bit NTP timestamp at buf[at] folded into a double-safe key (53 bits: 21 of the seconds, 32 of the
 * fraction). The caller has checked at + 8 <= the datagram's end.
 */
export function timestampKey(buf: Buffer, at: number): number {
  return (be32(buf, at) % 0x200000) * 0x100000000 + be32(buf, at + 4);
}

/** The four reference-id octets as one number, to tell a repeated refid without making its text again. */
export function refIdValue(buf: Buffer, off: number): number {
  return be32(buf, off + 12);
}
