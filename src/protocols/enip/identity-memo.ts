/**
 * The asset facts a CIP identity object states, worked out once per distinct identity and shared by every
 * EtherNet/IP session.
 *
 * Scanners send ListIdentity as a UDP datagram from a fresh port each time, so every reply lands in a flow of its
 * own and the per-session "same reply as last time" check never fires: without this memo each reply would parse
 * the identity, look up two registries and format four numbers again. The facts are a pure function of the
 * identity bytes (the emitting session still de-duplicates them per flow), so a memo hit yields exactly what a
 * fresh decode would. Direct-mapped on a hash of the bytes and bounded by its slot count: a miss overwrites the
 * slot, which only means that identity is worked out again next time.
 */
import type { FactField } from '../../events/types.js';
import { registryName } from '../../util/registries.js';
import { parseIdentity } from './cip.js';

/** Distinct identities remembered (a plant has a few dozen EtherNet/IP devices). */
export const IDENTITY_MEMO_SLOTS = 256;
/** Identity objects longer than this (34 bytes plus a product name of up to 255) are decoded every time. */
export const MAX_MEMO_IDENTITY_BYTES = 288;

/** One identity's facts, in the order they are emitted, and their de-duplication keys for the last IP asked. */
export class IdentityFacts {
  /** the de-duplication keys (`ip|field|value`) for `keysIp`, built on first use per IP */
  keys: string[] = [];
  keysIp = '';

  constructor(
    readonly bytes: Uint8Array,
    readonly fields: readonly FactField[],
    readonly values: readonly string[],
  ) {}

  /** The session's fact keys for `ip` (the same strings while the identity keeps coming from one IP). */
  keysFor(ip: string): readonly string[] {
    if (ip !== this.keysIp || this.keys.length !== this.fields.length) {
      const keys: string[] = [];
      for (let i = 0; i < this.fields.length; i++) keys.push(`${ip}|${this.fields[i]}|${this.values[i]}`);
      this.keys = keys;
      this.keysIp = ip;
    }
    return this.keys;
  }
}

export class IdentityMemo {
  private readonly mask: number;
  private readonly slots: Array<IdentityFacts | null>;

  /** `slots` is rounded up to a power of two (at least 1). */
  constructor(slots = IDENTITY_MEMO_SLOTS) {
    let n = 1;
    while (n < slots) n *= 2;
    this.mask = n - 1;
    this.slots = new Array<IdentityFacts | null>(n).fill(null);
  }

  /**
   * The facts of the identity object at buf[off..end), or null when it is too short to be one (parseIdentity).
   * The caller checks the bounds of the buffer: off <= end <= buf.length.
   */
  factsOf(buf: Uint8Array, off: number, end: number): IdentityFacts | null {
    const n = end - off;
    if (n < 0 || n > MAX_MEMO_IDENTITY_BYTES) return buildFacts(buf, off, end);
    let hash = 0x811c9dc5 ^ n;
    for (let i = 0; i < n; i++) hash = Math.imul(hash ^ buf[off + i]!, 0x01000193);
    const slot = (hash ^ (hash >>> 16)) & this.mask;
    const cached = this.slots[slot]!;
    if (cached !== null && cached.bytes.length === n) {
      const known = cached.bytes;
      let i = 0;
      while (i < n && known[i] === buf[off + i]) i++;
      if (i === n) return cached;
    }
    const built = buildFacts(buf, off, end);
    if (built !== null) this.slots[slot] = built;
    return built;
  }
}

function buildFacts(buf: Uint8Array, off: number, end: number): IdentityFacts | null {
  const id = parseIdentity(buf, off, end);
  if (id === null) return null;
  const vendor = registryName('cip-vendors', id.vendorId);
  const deviceType = registryName('cip-device-types', id.deviceType);
  // Firmware as Rockwell writes it (and CISA advisories quote it): major.minor with three minor digits,
  // "32.011" (tshark shows the same revision as "32.11").
  const fields: FactField[] = ['vendor-id', 'product-code', 'firmware', 'serial'];
  const values: string[] = [
    String(id.vendorId),
    String(id.productCode),
    `${id.revisionMajor}.${String(id.revisionMinor).padStart(3, '0')}`,
    `0x${id.serial.toString(16).padStart(8, '0')}`,
  ];
  if (vendor) {
    fields.push('vendor');
    values.push(vendor);
  }
  if (deviceType) {
    fields.push('device-type');
    values.push(deviceType);
  }
  if (id.productName) {
    fields.push('product', 'model');
    values.push(id.productName, id.productName);
  }
  if (id.deviceType === 14) {
    fields.push('role-hint');
    values.push('plc');
  }
  const bytes = new Uint8Array(end - off);
  for (let i = 0; i < bytes.length; i++) bytes[i] = buf[off + i]!;
  return new IdentityFacts(bytes, fields, values);
}
