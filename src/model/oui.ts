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

let table: OuiTable | null = null;
let dataPath: URL | string = DEFAULT_OUI_DATA_PATH;

/** Parses the bundled format. Throws on a corrupt file: that is a packaging bug, not bad input. */
export function parseOuiData(text: string): OuiTable {
  const lines = text.split('\n');
  let i = 0;
  while (i < lines.length && lines[i]!.startsWith('#')) i++;
  const vendorHeader = lines[i++]?.split('\t');
  if (!vendorHeader || vendorHeader[0] !== 'V') throw new Error('OUI data: missing vendor section');
  const vendorCount = Number(vendorHeader[1]);
  const vendors = lines.slice(i, i + vendorCount);
  if (vendors.length !== vendorCount) throw new Error('OUI data: truncated vendor section');
  i += vendorCount;
  const result: OuiTable = { vendors, byMal: new Map(), byMam: new Map(), byMas: new Map() };
  while (i < lines.length && lines[i] !== '') {
    const header = lines[i++]!.split('\t');
    const bits = Number(header[1]);
    const count = Number(header[2]);
    const target = bits === 24 ? result.byMal : bits === 28 ? result.byMam : bits === 36 ? result.byMas : null;
    if (header[0] !== 'P' || !target || !Number.isInteger(count)) throw new Error(`OUI data: bad block header at line ${i}`);
    let prefix = 0;
    for (let n = 0; n < count; n++) {
      const line = lines[i++];
      const tab = line === undefined ? -1 : line.indexOf('\t');
      if (tab < 0) throw new Error(`OUI data: bad block line ${i}`);
      prefix += parseInt(line!.slice(0, tab), 36);
      const vendor = parseInt(line!.slice(tab + 1), 36);
      if (!(vendor >= 0 && vendor < vendorCount)) throw new Error(`OUI data: bad vendor index at line ${i}`);
      target.set(prefix, vendor);
    }
  }
  return result;
}

function loadTable(): OuiTable {
  if (table === null) table = parseOuiData(gunzipSync(readFileSync(dataPath)).toString('utf8'));
  return table;
}

/** For tests and tools: read the registry from another file (takes effect on the next lookup). */
export function setOuiDataPath(path: URL | string): void {
  dataPath = path;
  table = null;
}

/** Number of prefixes per block size in the loaded registry. */
export function ouiStats(): { mal: number; mam: number; mas: number; vendors: number } {
  const t = loadTable();
  return { mal: t.byMal.size, mam: t.byMam.size, mas: t.byMas.size, vendors: t.vendors.length };
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
  let index = t.byMas.get(Math.floor(value / 2 ** 12));
  if (index !== undefined) return { vendor: t.vendors[index]!, blockBits: 36, locallyAdministered, group };
  index = t.byMam.get(Math.floor(value / 2 ** 20));
  if (index !== undefined) return { vendor: t.vendors[index]!, blockBits: 28, locallyAdministered, group };
  index = t.byMal.get(Math.floor(value / 2 ** 24));
  if (index !== undefined) return { vendor: t.vendors[index]!, blockBits: 24, locallyAdministered, group };
  return { vendor: null, blockBits: null, locallyAdministered, group };
}

/**
 * The registered vendor of a MAC ("aa:bb:cc:dd:ee:ff", "aa-bb-..", "aabb.ccdd.eeff" or a 48-bit number).
 * Null for unknown blocks, malformed input, locally administered and multicast/broadcast addresses.
 */
export function lookupVendor(mac: string | number): string | null {
  return describeMac(mac).vendor;
}
