/**
 * JA4 and JA4S fingerprints (FoxIO, BSD-3-Clause specification: technical_details/JA4.md; JA4S as in FoxIO's
 * reference implementations, which keep server extensions in wire order, GREASE included).
 */
import { createHash } from 'node:crypto';
import { ClientHello, Ext, MAX_LIST, ServerHello, isGrease } from './parser.js';

export type Ja4Transport = 't' | 'q' | 'd';

const HEX2: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function hex4(v: number): string {
  return HEX2[(v >> 8) & 0xff]! + HEX2[v & 0xff]!;
}

/** A whole fingerprint remembered under the exact values it was computed from. */
class FingerprintEntry {
  constructor(
    readonly key: Int32Array,
    readonly parts: Readonly<Ja4Parts>,
    readonly next: FingerprintEntry | null,
  ) {}
}

/**
 * Memo of the 12-hex-digit SHA-256 prefixes JA4 and JA4S publish. A network's clients send a handful of distinct
 * hellos, so nearly every handshake hashes a list already hashed: one bounded Map lookup instead of a SHA-256.
 * When full it starts over (counted in `resets`), so memory stays bounded whatever the traffic.
 *
 * It also remembers whole fingerprints keyed by the numeric values they depend on, so a repeated hello costs a
 * numeric hash and a compare instead of rebuilding the hex lists and their strings. A fingerprint is only kept
 * when both its texts are in the hash map, and the fingerprints are dropped whenever the hash map is: a
 * fingerprint hit therefore stands for two hash hits, and `resets` counts exactly what it would without them.
 */
export class HashMemo {
  private readonly hashes = new Map<string, string>();
  /** times the memo was full and was emptied */
  resets = 0;
  private readonly fingerprints = new Map<number, FingerprintEntry>();
  private fingerprintCount = 0;
  /** times the fingerprint table alone was full and was emptied (bounded by maxEntries as well) */
  fingerprintResets = 0;

  constructor(readonly maxEntries: number) {}

  hash12(text: string): string {
    let h = this.hashes.get(text);
    if (h === undefined) {
      h = createHash('sha256').update(text).digest('hex').slice(0, 12);
      if (this.hashes.size >= this.maxEntries) {
        this.hashes.clear();
        this.fingerprints.clear();
        this.fingerprintCount = 0;
        this.resets++;
      }
      this.hashes.set(text, h);
    }
    return h;
  }

  /** The fingerprint remembered for key[0..keyLen) (its hash `hash`), or null. */
  findFingerprint(hash: number, key: Int32Array, keyLen: number): Readonly<Ja4Parts> | null {
    for (let e: FingerprintEntry | null = this.fingerprints.get(hash) ?? null; e !== null; e = e.next) {
      const k = e.key;
      if (k.length !== keyLen) continue;
      let i = 0;
      while (i < keyLen && k[i] === key[i]) i++;
      if (i === keyLen) return e.parts;
    }
    return null;
  }

  rememberFingerprint(hash: number, key: Int32Array, keyLen: number, parts: Readonly<Ja4Parts>): void {
    if (this.fingerprintCount >= this.maxEntries) {
      this.fingerprints.clear();
      this.fingerprintCount = 0;
      this.fingerprintResets++;
    }
    const head = this.fingerprints.get(hash) ?? null;
    this.fingerprints.set(hash, new FingerprintEntry(key.slice(0, keyLen), parts, head));
    this.fingerprintCount++;
  }
}

/** The memo the TLS analyzer shares across flows (a fingerprint depends on the hello alone). */
export const ja4HashMemo = new HashMemo(1024);

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

/** Scratch for the sorted lists (a decoded hello's lists are capped at MAX_LIST; grown for longer ones). */
let sortScratch = new Int32Array(MAX_LIST);

/** Non-GREASE values of `list` (skipping `skipA`/`skipB`), ascending, joined as 4-digit hex with commas. */
function sortedHexList(list: readonly number[], skipA: number, skipB: number): string {
  if (list.length > sortScratch.length) sortScratch = new Int32Array(list.length);
  let n = 0;
  for (let i = 0; i < list.length; i++) {
    const v = list[i]!;
    if (isGrease(v) || v === skipA || v === skipB) continue;
    // insertion sort: lists are short, and 4-digit lowercase hex sorts as the numbers do
    let j = n++;
    while (j > 0 && sortScratch[j - 1]! > v) {
      sortScratch[j] = sortScratch[j - 1]!;
      j--;
    }
    sortScratch[j] = v;
  }
  let out = '';
  for (let i = 0; i < n; i++) out += i === 0 ? hex4(sortScratch[i]!) : ',' + hex4(sortScratch[i]!);
  return out;
}

function countNonGrease(list: readonly number[]): number {
  let n = 0;
  for (let i = 0; i < list.length; i++) if (!isGrease(list[i]!)) n++;
  return n;
}

/** Scratch for a fingerprint's key: the values it depends on (grown for longer lists). */
let keyScratch = new Int32Array(3 * MAX_LIST + 16);
let keyLen = 0;

function keyReset(need: number): void {
  if (need > keyScratch.length) keyScratch = new Int32Array(need);
  keyLen = 0;
}

function keyPush(v: number): void {
  keyScratch[keyLen++] = v;
}

function keyPushList(list: readonly number[]): void {
  keyScratch[keyLen++] = list.length;
  for (let i = 0; i < list.length; i++) keyScratch[keyLen++] = list[i]!;
}

/** FNV-1a over the key's values, folded to a small integer (a V8 Smi: Map keys without boxing). */
function keyHash(): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < keyLen; i++) h = Math.imul(h ^ keyScratch[i]!, 0x01000193);
  return h & 0x3fffffff;
}

const FP_JA4 = 1;
const FP_JA4S = 2;

function transportCode(t: Ja4Transport): number {
  return t.charCodeAt(0);
}

/** What ja4Alpn depends on: its first and last bytes, or -1 without a value. */
function alpnKeyOfBuffer(first: Buffer | null): number {
  return first === null || first.length === 0 ? -1 : (first[0]! << 8) | first[first.length - 1]!;
}

function alpnKeyOfLatin1(alpn: string): number {
  return alpn === '' ? -1 : (alpn.charCodeAt(0) << 8) | alpn.charCodeAt(alpn.length - 1);
}

export function ja4(h: ClientHello, transport: Ja4Transport = 't', memo: HashMemo = ja4HashMemo): Readonly<Ja4Parts> {
  keyReset(h.ciphers.length + h.extensions.length + h.signatureAlgorithms.length + 8);
  keyPush(FP_JA4);
  keyPush(transportCode(transport));
  keyPush(ja4HelloVersion(h));
  keyPush(h.hasSni ? 1 : 0);
  keyPush(alpnKeyOfBuffer(h.firstAlpn));
  keyPushList(h.ciphers);
  keyPushList(h.extensions);
  keyPushList(h.signatureAlgorithms);
  const hash = keyHash();
  const known = memo.findFingerprint(hash, keyScratch, keyLen);
  if (known !== null) return known;
  const resets = memo.resets;
  const parts = computeJa4(h, transport, memo);
  if (memo.resets === resets) memo.rememberFingerprint(hash, keyScratch, keyLen, parts);
  return parts;
}

function computeJa4(h: ClientHello, transport: Ja4Transport, memo: HashMemo): Ja4Parts {
  const cipherCount = countNonGrease(h.ciphers);
  const a =
    transport +
    ja4Version(ja4HelloVersion(h)) +
    (h.hasSni ? 'd' : 'i') +
    count2(cipherCount) +
    count2(countNonGrease(h.extensions)) +
    ja4Alpn(h.firstAlpn);
  const NONE = -1;
  const cipherList = sortedHexList(h.ciphers, NONE, NONE);
  const extList = sortedHexList(h.extensions, Ext.ServerName, Ext.Alpn);
  let sigs = '';
  for (const s of h.signatureAlgorithms) if (!isGrease(s)) sigs += sigs === '' ? hex4(s) : ',' + hex4(s);
  const cText = sigs ? extList + '_' + sigs : extList;
  const b = cipherCount === 0 ? '000000000000' : memo.hash12(cipherList);
  const c = extList === '' ? '000000000000' : memo.hash12(cText);
  return { ja4: a + '_' + b + '_' + c, raw: a + '_' + cipherList + '_' + cText };
}

export function ja4s(h: ServerHello, transport: Ja4Transport = 't', memo: HashMemo = ja4HashMemo): Readonly<Ja4Parts> {
  keyReset(h.extensions.length + 8);
  keyPush(FP_JA4S);
  keyPush(transportCode(transport));
  keyPush(h.version);
  keyPush(h.cipher);
  keyPush(alpnKeyOfLatin1(h.alpn));
  keyPushList(h.extensions);
  const hash = keyHash();
  const known = memo.findFingerprint(hash, keyScratch, keyLen);
  if (known !== null) return known;
  const resets = memo.resets;
  const parts = computeJa4s(h, transport, memo);
  if (memo.resets === resets) memo.rememberFingerprint(hash, keyScratch, keyLen, parts);
  return parts;
}

function computeJa4s(h: ServerHello, transport: Ja4Transport, memo: HashMemo): Ja4Parts {
  const alpn = h.alpn === '' ? '00' : ja4Alpn(Buffer.from(h.alpn, 'latin1'));
  const a = transport + ja4Version(h.version) + count2(h.extensions.length) + alpn;
  let exts = '';
  for (const e of h.extensions) exts += exts === '' ? hex4(e) : ',' + hex4(e);
  const c = exts === '' ? '000000000000' : memo.hash12(exts);
  const cipher = hex4(h.cipher);
  return { ja4: a + '_' + cipher + '_' + c, raw: a + '_' + cipher + '_' + exts };
}
