/**
 * JA4 and JA4S fingerprints (FoxIO, BSD-3-Clause specification: technical_details/JA4.md; JA4S as in FoxIO's
 * reference implementations, which keep server extensions in wire order, GREASE included).
 */
import { createHash } from 'node:crypto';
import { ClientHello, Ext, ServerHello, isGrease } from './parser.js';

export type Ja4Transport = 't' | 'q' | 'd';

function hex4(v: number): string {
  return v.toString(16).padStart(4, '0');
}

function hash12(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

function count2(n: number): string {
  return n > 99 ? '99' : n.toString().padStart(2, '0');
}

export function ja4Version(v: number): string {
  switch (v) {
    case 0x0304:
      return '13';
    case 0x0303:
      return '12';
    case 0x0302:
      return '11';
    case 0x0301:
      return '10';
    case 0x0300:
      return 's3';
    case 0x0002:
      return 's2';
    case 0xfeff:
      return 'd1';
    case 0xfefd:
      return 'd2';
    case 0xfefc:
      return 'd3';
    default:
      return '00';
  }
}

function isAlnum(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/** First and last characters of the first ALPN value ("00" without one; hex digits when not alphanumeric). */
export function ja4Alpn(first: Buffer | null): string {
  if (first === null || first.length === 0) return '00';
  const a = first[0]!;
  const z = first[first.length - 1]!;
  if (isAlnum(a) && isAlnum(z)) return String.fromCharCode(a, z);
  const h = first.toString('hex');
  return h[0]! + h[h.length - 1]!;
}

/** The highest non-GREASE supported_versions entry, else the hello's legacy version. */
export function ja4HelloVersion(h: ClientHello): number {
  let best = -1;
  for (const v of h.supportedVersions) if (!isGrease(v) && v > best) best = v;
  return best >= 0 ? best : h.legacyVersion;
}

export interface Ja4Parts {
  ja4: string;
  /** the raw (sorted, unhashed) form: ja4_r */
  raw: string;
}

export function ja4(h: ClientHello, transport: Ja4Transport = 't'): Ja4Parts {
  const ciphers = h.ciphers.filter((c) => !isGrease(c));
  const extensions = h.extensions.filter((e) => !isGrease(e));
  const a =
    transport +
    ja4Version(ja4HelloVersion(h)) +
    (h.hasSni ? 'd' : 'i') +
    count2(ciphers.length) +
    count2(extensions.length) +
    ja4Alpn(h.firstAlpn);
  const cipherList = ciphers.map(hex4).sort().join(',');
  const extList = extensions.filter((e) => e !== Ext.ServerName && e !== Ext.Alpn).map(hex4).sort().join(',');
  const sigs = h.signatureAlgorithms.filter((s) => !isGrease(s)).map(hex4).join(',');
  const cText = sigs ? `${extList}_${sigs}` : extList;
  const b = ciphers.length === 0 ? '000000000000' : hash12(cipherList);
  const c = extList === '' ? '000000000000' : hash12(cText);
  return { ja4: `${a}_${b}_${c}`, raw: `${a}_${cipherList}_${cText}` };
}

export function ja4s(h: ServerHello, transport: Ja4Transport = 't'): Ja4Parts {
  const alpn = h.alpn === '' ? '00' : ja4Alpn(Buffer.from(h.alpn, 'latin1'));
  const a = transport + ja4Version(h.version) + count2(h.extensions.length) + alpn;
  const exts = h.extensions.map(hex4).join(',');
  const c = exts === '' ? '000000000000' : hash12(exts);
  return { ja4: `${a}_${hex4(h.cipher)}_${c}`, raw: `${a}_${hex4(h.cipher)}_${exts}` };
}
