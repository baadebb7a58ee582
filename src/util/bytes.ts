/**
 * Big/little-endian integer reads for the hot packet path.
 *
 * Plain indexed reads are what V8 inlines best; Buffer#readUInt16BE and friends go through argument
 * validators on every call. Callers check lengths before reading (the decoders' rule), so these do not.
 * An out-of-bounds index would silently read `undefined` (0 after the bit operations) instead of throwing:
 * to keep the property tests able to catch such a bug, OTWATCH_STRICT_BOUNDS=1 (set by the test runner)
 * turns every read into a checked one that throws a RangeError.
 *
 * The mode is chosen once at load time (each export is bound to the plain or the checked variant) rather than
 * tested inside the readers: the plain bodies then stay under V8's small-function size, so TurboFan inlines
 * them everywhere without spending the caller's inlining budget (a strict-mode test inside the body, even
 * constant-folded later, doubles the bytecode and made be16/be32 compete with the decoder's own helpers).
 */

export const STRICT_BOUNDS = process.env.OTWATCH_STRICT_BOUNDS === '1';

function outOfBounds(buf: Uint8Array, off: number, width: number): never {
  throw new RangeError(`read of ${width} bytes at ${off} outside a buffer of ${buf.length}`);
}

/** Throws when buf[off .. off + width) is not inside the buffer; used by the strict variants. */
export function checkBounds(buf: Uint8Array, off: number, width: number): void {
  if (off < 0 || off + width > buf.length) outOfBounds(buf, off, width);
}

type Reader = (buf: Uint8Array, off: number) => number;

function u8Plain(buf: Uint8Array, off: number): number {
  return buf[off]!;
}

function be16Plain(buf: Uint8Array, off: number): number {
  return (buf[off]! << 8) | buf[off + 1]!;
}

function le16Plain(buf: Uint8Array, off: number): number {
  return buf[off]! | (buf[off + 1]! << 8);
}

function be32Plain(buf: Uint8Array, off: number): number {
  return buf[off]! * 16777216 + ((buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!);
}

function le32Plain(buf: Uint8Array, off: number): number {
  return (buf[off]! | (buf[off + 1]! << 8) | (buf[off + 2]! << 16)) + buf[off + 3]! * 16777216;
}

function be48Plain(buf: Uint8Array, off: number): number {
  return ((buf[off]! << 8) | buf[off + 1]!) * 4294967296 + buf[off + 2]! * 16777216 + ((buf[off + 3]! << 16) | (buf[off + 4]! << 8) | buf[off + 5]!);
}

function checked(read: Reader, width: number): Reader {
  return (buf, off) => {
    checkBounds(buf, off, width);
    return read(buf, off);
  };
}

export const u8: Reader = STRICT_BOUNDS ? checked(u8Plain, 1) : u8Plain;
export const be16: Reader = STRICT_BOUNDS ? checked(be16Plain, 2) : be16Plain;
export const le16: Reader = STRICT_BOUNDS ? checked(le16Plain, 2) : le16Plain;
export const be32: Reader = STRICT_BOUNDS ? checked(be32Plain, 4) : be32Plain;
export const le32: Reader = STRICT_BOUNDS ? checked(le32Plain, 4) : le32Plain;
/** 48-bit big-endian (a MAC address) as an exact double. */
export const be48: Reader = STRICT_BOUNDS ? checked(be48Plain, 6) : be48Plain;
