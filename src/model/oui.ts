/**
 * MAC address → vendor, from the bundled IEEE registries (MA-L 24-bit, MA-M 28-bit, MA-S and IAB 36-bit) in
 * data/oui/oui.txt.gz (regenerate with scripts/update-oui.mjs; the format is described there).
 * The table is loaded on the first lookup and kept for the life of the process. Lookups are per asset, not per
 * packet.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { macFromString } from '../util/addr.js';

export const DEFAULT_OUI_DATA_PATH = new URL('../../data/oui/oui.txt.gz', import.meta.url);

interface OuiTable {
  vendors: string[];
  /** prefix value (top 24/28/36 bits of the MAC) → index into `vendors` */
  byMal: Map<number, number>;
  byMam: Map<number, number>;
  byMas: Map<number, number>;
}

/**
 * The table as lookups use it: per block size, prefixes in ascending order (binary search) beside their vendor
 * index; vendor names stay UTF-8 bytes until a lookup needs one. Loading is one pass over the inflated bytes,
 * without a string per line (the registry has ~50,000 blocks and ~32,000 names; a run looks up a few dozen).
 */
interface CompactOuiTable {
  bytes: Buffer;
  /** byte offset where vendor name i starts; names end at the next '\n' */
  vendorStarts: Uint32Array;
  vendorNames: Array<string | undefined>;
  blocks: Record<24 | 28 | 36, { prefixes: Float64Array; vendors: Uint32Array }>;
}

let table: CompactOuiTable | null = null;
let dataPath: URL | string = DEFAULT_OUI_DATA_PATH;

/** Parses the bundled format. Throws on a corrupt file: that is a packaging bug, not bad input. */
export function parseOuiData(text: string): OuiTable {
  const t = parseOuiBytes(Buffer.from(text, 'utf8'));
  const result: OuiTable = { vendors: [], byMal: new Map(), byMam: new Map(), byMas: new Map() };
  for (let v = 0; v < t.vendorStarts.length; v++) result.vendors.push(vendorName(t, v));
  const fill = (target: Map<number, number>, block: CompactOuiTable['blocks'][24]): void => {
    for (let n = 0; n < block.prefixes.length; n++) target.set(block.prefixes[n]!, block.vendors[n]!);
  };
  fill(result.byMal, t.blocks[24]);
  fill(result.byMam, t.blocks[28]);
  fill(result.byMas, t.blocks[36]);
  return result;
}

const NL = 0x0a;
const TAB = 0x09;

function lineEnd(bytes: Buffer, from: number): number {
  const end = bytes.indexOf(NL, from);
  return end < 0 ? bytes.length : end;
}

/** Decimal digits of bytes[from, to); NaN otherwise. */
function decimal(bytes: Buffer, from: number, to: number): number {
  if (to <= from || to - from > 15) return NaN;
  let value = 0;
  for (let i = from; i < to; i++) {
    const c = bytes[i]!;
    if (c < 0x30 || c > 0x39) return NaN;
    value = value * 10 + (c - 0x30);
  }
  return value;
}

function parseOuiBytes(bytes: Buffer): CompactOuiTable {
  let at = 0;
  let line = 1;
  while (at < bytes.length && bytes[at] === 0x23 /* # */) { at = lineEnd(bytes, at) + 1; line++; }
  let end = lineEnd(bytes, at);
  if (!(bytes[at] === 0x56 /* V */ && bytes[at + 1] === TAB)) throw new Error('OUI data: missing vendor section');
  const vendorCount = decimal(bytes, at + 2, end);
  if (!Number.isInteger(vendorCount)) throw new Error('OUI data: missing vendor section');
  at = end + 1;
  line++;
  // Scanning goes over a latin1 copy of the bytes (one UTF-16 unit per byte, so offsets are shared): this runs
  // once per process, cold, and a String indexOf or charCodeAt is several times cheaper there than a
  // Buffer.indexOf call (a JS wrapper and a C++ binding call per line, for ~80,000 lines).
  const text = bytes.toString('latin1');
  const length = text.length;
  const vendorStarts = new Uint32Array(vendorCount);
  for (let v = 0; v < vendorCount; v++) {
    // as with split('\n'), the text after the final newline counts as one (empty) line
    if (at > length) throw new Error('OUI data: truncated vendor section');
    vendorStarts[v] = at;
    const nl = text.indexOf('\n', at);
    at = (nl < 0 ? length : nl) + 1;
    line++;
  }
  const empty = { prefixes: new Float64Array(0), vendors: new Uint32Array(0) };
  const blocks: CompactOuiTable['blocks'] = { 24: empty, 28: empty, 36: empty };
  while (at < length && bytes[at] !== NL) {
    end = lineEnd(bytes, at);
    const tab1 = bytes.indexOf(TAB, at);
    const tab2 = tab1 < 0 || tab1 >= end ? -1 : bytes.indexOf(TAB, tab1 + 1);
    const bits = tab1 < 0 || tab1 >= end ? NaN : decimal(bytes, tab1 + 1, tab2 < 0 || tab2 >= end ? end : tab2);
    const count = tab2 < 0 || tab2 >= end ? NaN : decimal(bytes, tab2 + 1, end);
    if (bytes[at] !== 0x50 /* P */ || tab1 !== at + 1 || !(bits === 24 || bits === 28 || bits === 36) || !Number.isInteger(count)) {
      throw new Error(`OUI data: bad block header at line ${line}`);
    }
    at = end + 1;
    line++;
    const prefixes = new Float64Array(count);
    const vendors = new Uint32Array(count);
    let prefix = 0;
    let sorted = true;
    // block lines: "delta<TAB>vendor", both base 36, ~8 bytes each
    for (let n = 0; n < count; n++) {
      if (at >= length) throw new Error(`OUI data: bad block line ${line}`);
      let i = at;
      let delta = 0;
      let c = text.charCodeAt(i);
      // past the end charCodeAt gives NaN, which is no digit: a line without TAB fails either way
      while (c !== TAB && c !== NL) {
        const d = digit36(c);
        if (d < 0) throw new Error(`OUI data: bad block line ${line}`);
        delta = delta * 36 + d;
        c = text.charCodeAt(++i);
      }
      if (i === at || c !== TAB || !Number.isFinite(delta)) throw new Error(`OUI data: bad block line ${line}`);
      const vendorAt = ++i;
      let vendor = 0;
      for (; i < length; i++) {
        c = text.charCodeAt(i);
        if (c === NL) break;
        const d = digit36(c);
        if (d < 0) throw new Error(`OUI data: bad vendor index at line ${line}`);
        vendor = vendor * 36 + d;
      }
      if (i === vendorAt || vendor >= vendorCount) throw new Error(`OUI data: bad vendor index at line ${line}`);
      if (n > 0 && delta === 0) sorted = false;
      prefix += delta;
      prefixes[n] = prefix;
      vendors[n] = vendor;
      at = i + 1;
      line++;
    }
    blocks[bits] = sorted ? { prefixes, vendors } : lastWins(prefixes, vendors);
  }
  return { bytes, vendorStarts, vendorNames: new Array<string | undefined>(vendorCount), blocks };
}

/** Value of a base-36 digit byte (0-9, a-z, A-Z), or -1. */
function digit36(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x7a) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x5a) return c - 0x41 + 10;
  return -1;
}

/** A block listing one prefix twice: the later line wins, as a map would have it. */
function lastWins(prefixes: Float64Array, vendors: Uint32Array): { prefixes: Float64Array; vendors: Uint32Array } {
  const map = new Map<number, number>();
  for (let n = 0; n < prefixes.length; n++) map.set(prefixes[n]!, vendors[n]!);
  const keys = [...map.keys()].sort((a, b) => a - b);
  return { prefixes: Float64Array.from(keys), vendors: Uint32Array.from(keys.map((k) => map.get(k)!)) };
}

function vendorName(t: CompactOuiTable, index: number): string {
  let name = t.vendorNames[index];
  if (name === undefined) {
    const start = t.vendorStarts[index]!;
    name = t.bytes.toString('utf8', start, lineEnd(t.bytes, start));
    t.vendorNames[index] = name;
  }
  return name;
}

/** Vendor index of `prefix` in the block, or -1. */
function findBlock(block: CompactOuiTable['blocks'][24], prefix: number): number {
  const prefixes = block.prefixes;
  let lo = 0;
  let hi = prefixes.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const p = prefixes[mid]!;
    if (p === prefix) return block.vendors[mid]!;
    if (p < prefix) lo = mid + 1;
    else hi = mid;
  }
  return -1;
}

function loadTable(): CompactOuiTable {
  if (table === null) table = parseOuiBytes(gunzipWhole(readFileSync(dataPath)));
  return table;
}

/** Largest output buffer gunzipWhole allocates up front from a size the file itself claims. */
const MAX_PRESIZED_BYTES = 64 * 1024 * 1024;

/**
 * gunzip into one buffer sized from the gzip trailer (ISIZE: the inflated size mod 2^32) rather than into
 * 16 KiB chunks joined by a copy at the end. The size is only a hint: a wrong one still inflates correctly.
 */
function gunzipWhole(gz: Buffer): Buffer {
  const claimed = gz.length >= 18 ? gz.readUInt32LE(gz.length - 4) : 0;
  // one byte of slack: an output buffer filled exactly makes zlib allocate another chunk to find the end
  return claimed > 0 && claimed < MAX_PRESIZED_BYTES ? gunzipSync(gz, { chunkSize: Math.max(64, claimed + 1) }) : gunzipSync(gz);
}

/** For tests and tools: read the registry from another file (takes effect on the next lookup). */
export function setOuiDataPath(path: URL | string): void {
  dataPath = path;
  table = null;
}

/** Number of prefixes per block size in the loaded registry. */
export function ouiStats(): { mal: number; mam: number; mas: number; vendors: number } {
  const t = loadTable();
  return { mal: t.blocks[24].prefixes.length, mam: t.blocks[28].prefixes.length, mas: t.blocks[36].prefixes.length, vendors: t.vendorStarts.length };
}

function toMacNumber(mac: string | number): number | null {
  if (typeof mac === 'number') return Number.isInteger(mac) && mac >= 0 && mac < 2 ** 48 ? mac : null;
  const hex = mac.replace(/[:.-]/g, '');
  if (!/^[0-9a-fA-F]{12}$/.test(hex)) return null;
  return macFromString(mac);
}

/** U/L bit: the address was set by software (VMs, containers, randomised Wi-Fi MACs), not burned in by a vendor. */
export function isLocallyAdministeredMac(mac: string | number): boolean {
  const value = toMacNumber(mac);
  return value !== null && (Math.floor(value / 2 ** 40) & 0x02) !== 0;
}

/** I/G bit: multicast or broadcast. */
export function isGroupMac(mac: string | number): boolean {
  const value = toMacNumber(mac);
  return value !== null && (Math.floor(value / 2 ** 40) & 0x01) !== 0;
}

export interface MacVendorInfo {
  /** registered organisation name as the IEEE lists it; null when unknown, locally administered or group */
  vendor: string | null;
  /** the matching block size: 24 (MA-L), 28 (MA-M), 36 (MA-S/IAB), or null */
  blockBits: 24 | 28 | 36 | null;
  locallyAdministered: boolean;
  group: boolean;
}

/** Longest-prefix match: a MA-S block beats the MA-M block that contains it, which beats MA-L. */
export function describeMac(mac: string | number): MacVendorInfo {
  const value = toMacNumber(mac);
  if (value === null) return { vendor: null, blockBits: null, locallyAdministered: false, group: false };
  const firstOctet = Math.floor(value / 2 ** 40);
  const group = (firstOctet & 0x01) !== 0;
  const locallyAdministered = (firstOctet & 0x02) !== 0;
  if (group || locallyAdministered) return { vendor: null, blockBits: null, locallyAdministered, group };
  const t = loadTable();
  let index = findBlock(t.blocks[36], Math.floor(value / 2 ** 12));
  if (index >= 0) return { vendor: vendorName(t, index), blockBits: 36, locallyAdministered, group };
  index = findBlock(t.blocks[28], Math.floor(value / 2 ** 20));
  if (index >= 0) return { vendor: vendorName(t, index), blockBits: 28, locallyAdministered, group };
  index = findBlock(t.blocks[24], Math.floor(value / 2 ** 24));
  if (index >= 0) return { vendor: vendorName(t, index), blockBits: 24, locallyAdministered, group };
  return { vendor: null, blockBits: null, locallyAdministered, group };
}

/**
 * The registered vendor of a MAC ("aa:bb:cc:dd:ee:ff", "aa-bb-..", "aabb.ccdd.eeff" or a 48-bit number).
 * Null for unknown blocks, malformed input, locally administered and multicast/broadcast addresses.
 */
export function lookupVendor(mac: string | number): string | null {
  return describeMac(mac).vendor;
}
