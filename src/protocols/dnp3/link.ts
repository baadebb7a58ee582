/**
 * DNP3 data-link framing (IEEE 1815 §9): 0x05 0x64, length, control, destination, source, header CRC, then user
 * data in blocks of up to 16 bytes, each followed by its CRC. Pure functions, no allocation.
 */

const CRC_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i;
    for (let j = 0; j < 8; j++) crc = crc & 1 ? (crc >>> 1) ^ 0xa6bc : crc >>> 1;
    table[i] = crc;
  }
  return table;
})();

export function dnp3Crc(buf: Uint8Array, off: number, len: number): number {
  let crc = 0;
  for (let i = off; i < off + len; i++) crc = (crc >>> 8) ^ CRC_TABLE[(crc ^ buf[i]!) & 0xff]!;
  return ~crc & 0xffff;
}

function crcMatches(buf: Uint8Array, off: number, len: number): boolean {
  const crc = dnp3Crc(buf, off, len);
  return buf[off + len] === (crc & 0xff) && buf[off + len + 1] === crc >>> 8;
}

/** Total on-the-wire size of a link frame whose length octet is `length`. */
export function frameSize(length: number): number {
  const data = length - 5;
  return 10 + data + 2 * Math.ceil(data / 16);
}

/**
 * Size of the link frame at buf[off] when it is complete and its header CRC checks, 0 when more bytes are
 * needed, -1 when no frame starts here.
 */
export function frameLink(buf: Uint8Array, off: number, len: number): number {
  if (len < 1) return 0;
  if (buf[off] !== 0x05) return -1;
  if (len < 2) return 0;
  if (buf[off + 1] !== 0x64) return -1;
  if (len < 10) return 0;
  const length = buf[off + 2]!;
  if (length < 5) return -1;
  if (!crcMatches(buf, off, 8)) return -1;
  const size = frameSize(length);
  return len < size ? 0 : size;
}

export class LinkFrame {
  /** DIR: 1 when sent by the master */
  fromMaster = false;
  primary = false;
  linkFunction = 0;
  destination = 0;
  source = 0;
  /** user data (CRCs removed) copied into `data[0..dataLen)` */
  dataLen = 0;
  badCrcBlocks = 0;
  readonly data = new Uint8Array(250);
}

/** Decodes the framed link frame at buf[off..off+size) into `out`, stripping the block CRCs. */
export function parseLink(buf: Uint8Array, off: number, size: number, out: LinkFrame): void {
  const control = buf[off + 3]!;
  out.fromMaster = (control & 0x80) !== 0;
  out.primary = (control & 0x40) !== 0;
  out.linkFunction = control & 0x0f;
  out.destination = buf[off + 4]! | (buf[off + 5]! << 8);
  out.source = buf[off + 6]! | (buf[off + 7]! << 8);
  out.dataLen = 0;
  out.badCrcBlocks = 0;
  let p = off + 10;
  const end = off + size;
  while (p < end) {
    const block = Math.min(16, end - p - 2);
    if (block <= 0) break;
    if (!crcMatches(buf, p, block)) out.badCrcBlocks++;
    for (let i = 0; i < block; i++) out.data[out.dataLen + i] = buf[p + i]!;
    out.dataLen += block;
    p += block + 2;
  }
}
