/**
 * Big/little-endian integer reads for the hot packet path.
 *
 * Plain indexed reads are what V8 inlines best; Buffer#readUInt16BE and friends go through argument
 * validators on every call. Callers check lengths before reading (the decoders' rule), so these do not.
 * An out-of-bounds index would silently read `undefined` (0 after the bit operations) instead of throwing:
 * to keep the property tests able to catch such a bug, OTWATCH_STRICT_BOUNDS=1 (set by the test runner)
 * turns every read into a checked one that throws a RangeError.
 */

export const STRICT_BOUNDS = process.env.OTWATCH_STRICT_BOUNDS === '1';
const STRICT = STRICT_BOUNDS;

function outOfBounds(buf: Uint8Array, off: number, width: number): never {
  throw new RangeError(`read of ${width} bytes at ${off} outside a buffer of ${buf.length}`);
}

export function u8(buf: Uint8Array, off: number): number {
  if (STRICT && (off < 0 || off + 1 > buf.length)) outOfBounds(buf, off, 1);
  return buf[off]!;
}

export function be16(buf: Uint8Array, off: number): number {
  if (STRICT && (off < 0 || off + 2 > buf.length)) outOfBounds(buf, off, 2);
  return (buf[off]! << 8) | buf[off + 1]!;
}

export function le16(buf: Uint8Array, off: number): number {
  if (STRICT && (off < 0 || off + 2 > buf.length)) outOfBounds(buf, off, 2);
  return buf[off]! | (buf[off + 1]! << 8);
}

export function be32(buf: Uint8Array, off: number): number {
  if (STRICT && (off < 0 || off + 4 > buf.length)) outOfBounds(buf, off, 4);
  return buf[off]! * 16777216 + ((buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!);
}

export function le32(buf: Uint8Array, off: number): number {
  if (STRICT && (off < 0 || off + 4 > buf.length)) outOfBounds(buf, off, 4);
  return (buf[off]! | (buf[off + 1]! << 8) | (buf[off + 2]! << 16)) + buf[off + 3]! * 16777216;
}

/** 48-bit big-endian (a MAC address) as an exact double. */
export function be48(buf: Uint8Array, off: number): number {
  if (STRICT && (off < 0 || off + 6 > buf.length)) outOfBounds(buf, off, 6);
  return ((buf[off]! << 8) | buf[off + 1]!) * 4294967296 + buf[off + 2]! * 16777216 + ((buf[off + 3]! << 16) | (buf[off + 4]! << 8) | buf[off + 5]!);
}
