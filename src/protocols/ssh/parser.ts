/**
 * SSH transport layer (RFC 4253) as far as it is cleartext: the identification strings, the binary packet
 * framing before NEWKEYS, and KEXINIT's algorithm name-lists (HASSH inputs). Bounded reads; never throws.
 */
import { createHash } from 'node:crypto';
import { Probe, type Dir } from '../analyzer.js';

export const MSG_KEXINIT = 20;
export const MSG_NEWKEYS = 21;
/** RFC 4253 §6.1: implementations must handle packets of 35000 bytes; larger ones are taken for garbage. */
export const MAX_PACKET = 35000;
/** RFC 4253 §4.2: the identification string is at most 255 characters including CR LF. */
export const MAX_BANNER = 255;

const PREFIX = 'SSH-';

/** Content probe: "SSH-<protoversion>-" at the start of either direction. */
export function probeSsh(buf: Buffer, off: number, len: number, _dir: Dir): Probe {
  if (off < 0 || len < 0 || off + len > buf.length) return Probe.No;
  const n = Math.min(len, PREFIX.length);
  for (let i = 0; i < n; i++) if (buf[off + i] !== PREFIX.charCodeAt(i)) return Probe.No;
  if (len < 8) return Probe.NeedMore;
  // "SSH-2.0-", "SSH-1.99-", "SSH-1.5-"
  const v = buf.toString('latin1', off + 4, off + Math.min(len, 9));
  return /^(2\.0-|1\.99-|1\.\d-)/.test(v) ? Probe.Yes : /^[\d.]*$/.test(v) ? Probe.NeedMore : Probe.No;
}

export interface Banner {
  protoVersion: string;
  /** softwareversion (e.g. OpenSSH_8.9p1) */
  software: string;
  /** the comments after the first space (e.g. "Ubuntu-3ubuntu0.1") */
  comments: string;
  /** the whole line without CR LF */
  line: string;
}

/** Splits an identification line "SSH-protoversion-softwareversion SP comments". */
export function parseBanner(line: string): Banner | null {
  const m = /^SSH-([^-\s]+)-(\S*)(?: (.*))?$/.exec(line);
  if (!m) return null;
  return { protoVersion: m[1]!, software: m[2]!, comments: (m[3] ?? '').trim(), line };
}

export const KEXINIT_LISTS = [
  'kex', 'host_key', 'cipher_c2s', 'cipher_s2c', 'mac_c2s', 'mac_s2c', 'compression_c2s', 'compression_s2c',
  'language_c2s', 'language_s2c',
] as const;

/** The ten name-lists of a KEXINIT payload (after the message byte and the 16-byte cookie), or null. */
export function parseKexinit(b: Buffer, off: number, len: number, maxListChars: number): string[] | null {
  const end = off + len;
  let p = off + 1 + 16;
  if (p > end || b[off] !== MSG_KEXINIT) return null;
  const lists: string[] = [];
  for (let i = 0; i < KEXINIT_LISTS.length; i++) {
    if (p + 4 > end) return null;
    const n = b.readUInt32BE(p);
    p += 4;
    if (n > end - p) return null;
    lists.push(b.toString('latin1', p, p + Math.min(n, maxListChars)));
    p += n;
  }
  return lists;
}

/** HASSH (client: kex;cipher_c2s;mac_c2s;compression_c2s) or HASSHServer (the s2c lists): MD5 hex. */
export function hassh(lists: string[], server: boolean): string {
  const text = server
    ? `${lists[0]};${lists[3]};${lists[5]};${lists[7]}`
    : `${lists[0]};${lists[2]};${lists[4]};${lists[6]}`;
  return createHash('md5').update(text).digest('hex');
}

/** RFC 4253 §7.1: the first client algorithm that the server also supports. */
export function negotiate(client: string, server: string): string {
  const offered = new Set(server.split(','));
  for (const a of client.split(',')) if (a !== '' && offered.has(a)) return a;
  return '';
}

/** OS suggested by an SSH software version and comments. */
export function sshOsHint(b: Banner): { os: string; confidence: number } {
  const c = b.comments;
  const s = b.software;
  if (/ubuntu/i.test(c)) return { os: 'Ubuntu Linux', confidence: 0.6 };
  if (/debian|deb\d+u/i.test(c)) return { os: 'Debian Linux', confidence: 0.6 };
  if (/raspbian/i.test(c)) return { os: 'Raspbian Linux', confidence: 0.6 };
  if (/freebsd/i.test(c)) return { os: 'FreeBSD', confidence: 0.6 };
  if (/netbsd/i.test(c)) return { os: 'NetBSD', confidence: 0.6 };
  if (/for_Windows/i.test(s)) return { os: 'Windows', confidence: 0.6 };
  if (/^Cisco-/i.test(s)) return { os: 'Cisco IOS', confidence: 0.6 };
  if (/^ROSSSH/i.test(s)) return { os: 'MikroTik RouterOS', confidence: 0.6 };
  if (/^Sun_SSH/i.test(s)) return { os: 'Solaris', confidence: 0.6 };
  if (/^dropbear/i.test(s)) return { os: 'embedded Linux', confidence: 0.3 };
  return { os: '', confidence: 0 };
}
