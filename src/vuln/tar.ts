/**
 * Minimal reader for (gzip'd) ustar/pax archives: enough to walk the CSAF feed tarballs CISA and GitHub
 * produce, without a dependency. Regular files only; entries are yielded as whole buffers.
 */
import { gunzipSync } from 'node:zlib';

export interface TarEntry {
  path: string;
  data: Buffer;
}

const BLOCK = 512;

function cString(buf: Buffer, start: number, length: number): string {
  const end = buf.indexOf(0, start);
  return buf.toString('utf8', start, end === -1 || end > start + length ? start + length : end);
}

function octal(buf: Buffer, start: number, length: number): number {
  // GNU base-256 for sizes over 8 GiB: top bit of the first byte set
  if (buf[start]! & 0x80) {
    let n = 0;
    for (let i = start + 1; i < start + length; i++) n = n * 256 + buf[i]!;
    return n;
  }
  const text = cString(buf, start, length).trim();
  return text === '' ? 0 : parseInt(text, 8);
}

function paxPath(data: Buffer): string | undefined {
  const text = data.toString('utf8');
  const m = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(text);
  return m ? m[1] : undefined;
}

/** Iterates the regular files of a tar (or .tar.gz) buffer. Throws on a truncated or malformed archive. */
export function* readTar(input: Buffer): Generator<TarEntry> {
  const buf = input[0] === 0x1f && input[1] === 0x8b ? gunzipSync(input) : input;
  let offset = 0;
  let longName: string | undefined;
  while (offset + BLOCK <= buf.length) {
    const header = buf.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) break;
    const size = octal(header, 124, 12);
    if (!Number.isSafeInteger(size) || size < 0) throw new Error(`tar: bad size at offset ${offset}`);
    const type = String.fromCharCode(header[156] || 0x30);
    const dataStart = offset + BLOCK;
    const dataEnd = dataStart + size;
    if (dataEnd > buf.length) throw new Error(`tar: truncated entry at offset ${offset}`);
    const data = buf.subarray(dataStart, dataEnd);
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'x') { longName = paxPath(data) ?? longName; continue; }
    if (type === 'L') { longName = cString(data, 0, data.length); continue; }
    if (type === 'g') continue;
    const name = cString(header, 0, 100);
    const prefix = header.toString('utf8', 257, 263).startsWith('ustar') ? cString(header, 345, 155) : '';
    const path = longName ?? (prefix ? `${prefix}/${name}` : name);
    longName = undefined;
    if (type === '0' || type === '\0' || type === '7') yield { path, data };
  }
}
