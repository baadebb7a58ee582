/**
 * MAC address → vendor, from the bundled IEEE registries (MA-L 24-bit, MA-M 28-bit, MA-S and IAB 36-bit) in
 * data/oui/oui.bin (regenerate with scripts/update-oui.mjs; the format is described below).
 * The table is loaded on the first lookup and kept for the life of the process. Lookups are per asset, not per
 * packet.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { endianness } from 'node:os';
import * as zlib from 'node:zlib';
import { macFromString } from '../util/addr.js';

export const DEFAULT_OUI_DATA_PATH = new URL('../../data/oui/oui.bin', import.meta.url);

/**
 * Binary layout of data/oui/oui.bin (written by encodeOuiData; all integers little-endian). The registry has
 * ~50,000 blocks and ~32,000 names and a run looks up a few dozen MACs, so nothing is parsed up front: the first
 * lookup reads the header and the "search" part (~210 KB) in one read and binary-searches typed-array views of
 * it in place; a vendor name is read from the file (two small positional reads) the first time a lookup returns
 * it. Reading and checksumming bytes is the main cost here, hence the split and the compact search part.
 *
 *   0  "OTWOUI" u16 version (1)
 *   8  u32 vendor count V    12 u32 name bytes N    16 u32 CRC-32 of the search part    20 u32 CRC-32 of the names part
 *  24  per block size (MA-L 24, MA-M 28, MA-S 36 bits): u32 prefix count, u32 group count
 *  48  search part, per block size in that order: prefixes are grouped by their bits above the low 16 ("high"):
 *        group highs    u32 x groups, strictly ascending
 *        group starts   u32 x (groups + 1): group g holds entries [start[g], start[g+1])
 *        entry lows     u16 x count, the low 16 bits, strictly ascending within a group (padded to 4 bytes)
 *        entry vendors  u16 x count when V <= 65536, else u32 (padded to 4 bytes)
 *      names part: name offsets u32 x (V + 1) (name i is names[offset[i], offset[i+1])), then N bytes of UTF-8
 * Prefixes are the top 24/28/36 bits of the MAC. The search part's checksum is verified on load; a name is
 * bounds-checked when read (parseOuiData, for tools and tests, verifies both checksums and the ordering).
 */
const MAGIC = 'OTWOUI';
const FORMAT_VERSION = 1;
const HEADER_BYTES = 48;
/** Longest vendor name a lookup accepts from the file (the IEEE registry's longest is ~110 bytes). */
const MAX_NAME_BYTES = 1024;
const LOW_BITS = 2 ** 16;
const BLOCK_SIZES = [24, 28, 36] as const;

type BlockBits = 24 | 28 | 36;

interface Block {
  highs: Uint32Array;
  starts: Uint32Array;
  lows: Uint16Array;
  vendors: Uint16Array | Uint32Array;
}

/** Reads `length` bytes at `position` of the table file (exactly, or throws). */
type ReadAt = (position: number, length: number) => Buffer;

interface OuiTableView {
  vendorNames: Array<string | undefined>;
  blocks: Record<BlockBits, Block>;
  /** file offset of the name offsets, and of the names */
  nameOffsetsAt: number;
  namesAt: number;
  namesBytes: number;
  readAt: ReadAt;
}

/** The registry spelled out, for tests and tools (building it decodes every name: not for the lookup path). */
export interface OuiTable {
  vendors: string[];
  /** prefix value (top 24/28/36 bits of the MAC) → index into `vendors` */
  byMal: Map<number, number>;
  byMam: Map<number, number>;
  byMas: Map<number, number>;
}

export interface OuiEntry {
  bits: BlockBits;
  /** the top `bits` bits of the MAC */
  prefix: number;
  vendor: string;
}

interface Layout {
  vendorCount: number;
  namesBytes: number;
  indexBytes: 2 | 4;
  counts: Record<BlockBits, { entries: number; groups: number }>;
  /** end of the search part = start of the names part */
  searchEnd: number;
  fileBytes: number;
}

let table: OuiTableView | null = null;
/** descriptor of the file `table` reads names from (null for none or an in-memory table) */
let openFd: number | null = null;
let dataPath: URL | string = DEFAULT_OUI_DATA_PATH;

const align4 = (n: number): number => (n + 3) & ~3;

function layoutOf(vendorCount: number, namesBytes: number, counts: Layout['counts']): Layout {
  const indexBytes = vendorCount > 0x10000 ? 4 : 2;
  let searchEnd = HEADER_BYTES;
  for (const bits of BLOCK_SIZES) {
    const { entries, groups } = counts[bits];
    searchEnd += (2 * groups + 1) * 4 + align4(entries * 2) + align4(entries * indexBytes);
  }
  return { vendorCount, namesBytes, indexBytes, counts, searchEnd, fileBytes: searchEnd + (vendorCount + 1) * 4 + namesBytes };
}

/**
 * The file for a registry. Vendors are deduplicated and sorted; a prefix listed twice for one block size, a
 * prefix out of range or an empty vendor name is an error (the caller decides which source wins).
 */
export function encodeOuiData(entries: readonly OuiEntry[]): Buffer {
  const vendors = [...new Set(entries.map((e) => e.vendor))].sort();
  const vendorIndex = new Map(vendors.map((v, i) => [v, i]));
  const byBits: Record<BlockBits, OuiEntry[]> = { 24: [], 28: [], 36: [] };
  for (const e of entries) {
    if (!(e.bits === 24 || e.bits === 28 || e.bits === 36)) throw new Error(`OUI data: bad block size ${String(e.bits)}`);
    if (!Number.isInteger(e.prefix) || e.prefix < 0 || e.prefix >= 2 ** e.bits) throw new Error(`OUI data: bad prefix ${e.prefix}`);
    if (e.vendor === '') throw new Error('OUI data: empty vendor name');
    byBits[e.bits].push(e);
  }
  const groupHighs: Record<BlockBits, number[]> = { 24: [], 28: [], 36: [] };
  const groupStarts: Record<BlockBits, number[]> = { 24: [], 28: [], 36: [] };
  for (const bits of BLOCK_SIZES) {
    const list = byBits[bits].sort((a, b) => a.prefix - b.prefix);
    for (let n = 0; n < list.length; n++) {
      if (n > 0 && list[n]!.prefix === list[n - 1]!.prefix) throw new Error(`OUI data: prefix ${list[n]!.prefix.toString(16)}/${bits} listed twice`);
      const high = Math.floor(list[n]!.prefix / LOW_BITS);
      if (groupHighs[bits].at(-1) !== high) { groupHighs[bits].push(high); groupStarts[bits].push(n); }
    }
    groupStarts[bits].push(list.length);
  }
  const names = vendors.map((v) => Buffer.from(v, 'utf8'));
  for (const name of names) if (name.length > MAX_NAME_BYTES) throw new Error(`OUI data: vendor name over ${MAX_NAME_BYTES} bytes`);
  const counts = { 24: { entries: 0, groups: 0 }, 28: { entries: 0, groups: 0 }, 36: { entries: 0, groups: 0 } };
  for (const bits of BLOCK_SIZES) counts[bits] = { entries: byBits[bits].length, groups: groupHighs[bits].length };
  const layout = layoutOf(vendors.length, names.reduce((sum, b) => sum + b.length, 0), counts);
  const out = Buffer.alloc(layout.fileBytes);
  out.write(MAGIC, 0, 'latin1');
  out.writeUInt16LE(FORMAT_VERSION, 6);
  out.writeUInt32LE(layout.vendorCount, 8);
  out.writeUInt32LE(layout.namesBytes, 12);
  let at = 24;
  for (const bits of BLOCK_SIZES) {
    out.writeUInt32LE(counts[bits].entries, at);
    out.writeUInt32LE(counts[bits].groups, at + 4);
    at += 8;
  }
  for (const bits of BLOCK_SIZES) {
    for (const high of groupHighs[bits]) { out.writeUInt32LE(high, at); at += 4; }
    for (const start of groupStarts[bits]) { out.writeUInt32LE(start, at); at += 4; }
    for (const e of byBits[bits]) { out.writeUInt16LE(e.prefix % LOW_BITS, at); at += 2; }
    at = align4(at);
    for (const e of byBits[bits]) {
      const v = vendorIndex.get(e.vendor)!;
      if (layout.indexBytes === 4) out.writeUInt32LE(v, at); else out.writeUInt16LE(v, at);
      at += layout.indexBytes;
    }
    at = align4(at);
  }
  let nameAt = 0;
  for (const name of names) { out.writeUInt32LE(nameAt, at); at += 4; nameAt += name.length; }
  out.writeUInt32LE(nameAt, at);
  at += 4;
  for (const name of names) at += name.copy(out, at);
  out.writeUInt32LE(crc32(out.subarray(HEADER_BYTES, layout.searchEnd)), 16);
  out.writeUInt32LE(crc32(out.subarray(layout.searchEnd)), 20);
  return out;
}

/** The layout a header announces, checked against the file size. Throws on a corrupt file (a packaging bug). */
function readHeader(header: Buffer, fileBytes: number): Layout {
  if (header.length < HEADER_BYTES || header.toString('latin1', 0, 6) !== MAGIC) throw new Error('OUI data: not an otwatch OUI table (bad magic)');
  const version = header.readUInt16LE(6);
  if (version !== FORMAT_VERSION) throw new Error(`OUI data: format version ${version}, expected ${FORMAT_VERSION}`);
  const counts = { 24: { entries: 0, groups: 0 }, 28: { entries: 0, groups: 0 }, 36: { entries: 0, groups: 0 } };
  let at = 24;
  for (const bits of BLOCK_SIZES) {
    counts[bits] = { entries: header.readUInt32LE(at), groups: header.readUInt32LE(at + 4) };
    at += 8;
  }
  const layout = layoutOf(header.readUInt32LE(8), header.readUInt32LE(12), counts);
  if (fileBytes !== layout.fileBytes) throw new Error(`OUI data: truncated or oversized table (${fileBytes} bytes, header says ${layout.fileBytes})`);
  return layout;
}

/**
 * Views over the search part. `search` holds the file's bytes [0, layout.searchEnd) and starts at offset 0 of
 * its own ArrayBuffer (typed-array views need their element alignment).
 */
function openSearchPart(search: Buffer, layout: Layout, readAt: ReadAt): OuiTableView {
  if (crc32(search.subarray(HEADER_BYTES, layout.searchEnd)) !== search.readUInt32LE(16)) throw new Error('OUI data: checksum mismatch (corrupt file)');
  const littleEndian = endianness() === 'LE';
  let at = search.byteOffset + HEADER_BYTES;
  const u32 = (count: number): Uint32Array => {
    const view = littleEndian ? new Uint32Array(search.buffer, at, count) : readSwapped(search, at - search.byteOffset, count, 4);
    at += count * 4;
    return view;
  };
  const u16 = (count: number): Uint16Array => {
    const view = littleEndian ? new Uint16Array(search.buffer, at, count) : readSwapped(search, at - search.byteOffset, count, 2);
    at += align4(count * 2);
    return view;
  };
  const block = (bits: BlockBits): Block => {
    const { entries, groups } = layout.counts[bits];
    const highs = u32(groups);
    const starts = u32(groups + 1);
    const lows = u16(entries);
    return { highs, starts, lows, vendors: layout.indexBytes === 4 ? u32(entries) : u16(entries) };
  };
  const mal = block(24);
  const mam = block(28);
  const mas = block(36);
  return {
    vendorNames: new Array<string | undefined>(layout.vendorCount),
    blocks: { 24: mal, 28: mam, 36: mas },
    nameOffsetsAt: layout.searchEnd,
    namesAt: layout.searchEnd + (layout.vendorCount + 1) * 4,
    namesBytes: layout.namesBytes,
    readAt,
  };
}

/** Big-endian hosts only: a native-order copy of a little-endian section. */
function readSwapped<W extends 2 | 4>(bytes: Buffer, offset: number, count: number, width: W): W extends 4 ? Uint32Array : Uint16Array {
  const out = width === 4 ? new Uint32Array(count) : new Uint16Array(count);
  for (let n = 0; n < count; n++) out[n] = width === 4 ? bytes.readUInt32LE(offset + n * 4) : bytes.readUInt16LE(offset + n * 2);
  return out as W extends 4 ? Uint32Array : Uint16Array;
}

/** A copy starting at offset 0 of its own ArrayBuffer, unless `bytes` already does (pooled Buffers may not). */
function ownBuffer(bytes: Buffer): Buffer {
  return bytes.byteOffset === 0 ? bytes : Buffer.from(Uint8Array.from(bytes).buffer);
}

function openInMemory(file: Buffer): OuiTableView {
  const bytes = ownBuffer(file);
  const layout = readHeader(bytes, bytes.length);
  return openSearchPart(bytes, layout, (position, length) => bytes.subarray(position, position + length));
}

/**
 * The search part is read at once; names are read from the same open file when a lookup returns one. The
 * descriptor stays open with the table (one per process): reopening per name would cost more, and could meet
 * a different file if the package was updated meanwhile (its names would not match this search part).
 */
function openFile(path: URL | string): OuiTableView {
  const fd = openSync(path, 'r');
  try {
    const fileBytes = fstatSync(fd).size;
    if (fileBytes < HEADER_BYTES) throw new Error(`OUI data: truncated table (${fileBytes} bytes, shorter than its header)`);
    const header = Buffer.alloc(HEADER_BYTES);
    readExactly(fd, header, 0);
    const layout = readHeader(header, fileBytes);
    const search = Buffer.allocUnsafeSlow(layout.searchEnd);
    readExactly(fd, search, 0);
    const readAt: ReadAt = (position, length) => {
      const out = Buffer.allocUnsafe(length);
      readExactly(fd, out, position);
      return out;
    };
    const view = openSearchPart(search, layout, readAt);
    openFd = fd;
    return view;
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

function readExactly(fd: number, into: Buffer, position: number): void {
  let done = 0;
  while (done < into.length) {
    const n = readSync(fd, into, done, into.length - done, position + done);
    if (n === 0) throw new Error('OUI data: file shorter than its header says (truncated)');
    done += n;
  }
}

let crcTable: Uint32Array | null = null;

/** zlib's CRC-32 (native from Node 20.15; a table-driven fallback before that). */
function crc32(data: Uint8Array): number {
  if (typeof zlib.crc32 === 'function') return zlib.crc32(data) >>> 0;
  if (crcTable === null) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = crcTable[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** The whole registry of a file as maps (tests and tools). Verifies checksums and ordering; throws on a corrupt file. */
export function parseOuiData(file: Buffer): OuiTable {
  const t = openInMemory(file);
  if (crc32(file.subarray(t.nameOffsetsAt)) !== file.readUInt32LE(20)) throw new Error('OUI data: names checksum mismatch (corrupt file)');
  const result: OuiTable = { vendors: [], byMal: new Map(), byMam: new Map(), byMas: new Map() };
  for (let v = 0; v < t.vendorNames.length; v++) result.vendors.push(vendorName(t, v));
  const fill = (target: Map<number, number>, block: Block): void => {
    const bad = (): never => { throw new Error('OUI data: bad block table'); };
    if (block.starts[0] !== 0 || block.starts[block.highs.length] !== block.lows.length) bad();
    for (let g = 0; g < block.highs.length; g++) {
      if (g > 0 && block.highs[g - 1]! >= block.highs[g]!) bad();
      const from = block.starts[g]!;
      const to = block.starts[g + 1]!;
      if (to <= from || to > block.lows.length) bad();
      for (let n = from; n < to; n++) {
        const vendor = block.vendors[n]!;
        if (vendor >= t.vendorNames.length || (n > from && block.lows[n - 1]! >= block.lows[n]!)) bad();
        target.set(block.highs[g]! * LOW_BITS + block.lows[n]!, vendor);
      }
    }
  };
  fill(result.byMal, t.blocks[24]);
  fill(result.byMam, t.blocks[28]);
  fill(result.byMas, t.blocks[36]);
  return result;
}

function vendorName(t: OuiTableView, index: number): string {
  let name = t.vendorNames[index];
  if (name === undefined) {
    // the search part's checksum vouches for the index, the names part is only bounds-checked: never read past it
    if (index >= t.vendorNames.length) throw new Error(`OUI data: bad vendor index ${index}`);
    const offsets = t.readAt(t.nameOffsetsAt + index * 4, 8);
    const start = offsets.readUInt32LE(0);
    const end = offsets.readUInt32LE(4);
    if (end < start || end > t.namesBytes || end - start > MAX_NAME_BYTES) throw new Error(`OUI data: bad vendor name offsets at ${index}`);
    name = t.readAt(t.namesAt + start, end - start).toString('utf8');
    t.vendorNames[index] = name;
  }
  return name;
}

/**
 * Vendor index of `prefix` in the block, or -1. Group bounds come from the (checksummed) file; a typed-array
 * read past a view's end yields undefined, which matches nothing, so even a bad bound cannot read outside it.
 */
function findBlock(block: Block, prefix: number): number {
  const high = Math.floor(prefix / LOW_BITS);
  const highs = block.highs;
  let lo = 0;
  let hi = highs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const h = highs[mid]!;
    if (h === high) { lo = mid; hi = -1; break; }
    if (h < high) lo = mid + 1;
    else hi = mid;
  }
  if (hi !== -1) return -1;
  const low = prefix % LOW_BITS;
  const lows = block.lows;
  let from = block.starts[lo]!;
  let to = Math.min(block.starts[lo + 1]!, lows.length);
  while (from < to) {
    const mid = (from + to) >>> 1;
    const l = lows[mid]!;
    if (l === low) return block.vendors[mid]!;
    if (l < low) from = mid + 1;
    else to = mid;
  }
  return -1;
}

function loadTable(): OuiTableView {
  if (table === null) table = openFile(dataPath);
  return table;
}

/** For tests and tools: read the registry from another file (takes effect on the next lookup). */
export function setOuiDataPath(path: URL | string): void {
  dataPath = path;
  table = null;
  if (openFd !== null) closeSync(openFd);
  openFd = null;
}

/** Number of prefixes per block size in the loaded registry. */
export function ouiStats(): { mal: number; mam: number; mas: number; vendors: number } {
  const t = loadTable();
  return { mal: t.blocks[24].lows.length, mam: t.blocks[28].lows.length, mas: t.blocks[36].lows.length, vendors: t.vendorNames.length };
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
