/** DNP3 application-layer header and object-header walking (IEEE 1815 §4.2, §4.3). Pure, no allocation. */

export class AppFragment {
  fir = false;
  fin = false;
  confirm = false;
  unsolicited = false;
  seq = 0;
  functionCode = 0;
  isResponse = false;
  /** IIN1 << 8 | IIN2 (responses only) */
  iin = 0;
  /** first object header (group/variation), -1 when none */
  firstGroup = -1;
  firstVariation = -1;
  /** up to MAX_OBJECTS object headers as group << 8 | variation (all of them for reads, the first otherwise) */
  readonly objects = new Uint16Array(MAX_OBJECTS);
  objectCount = 0;
  /** false when the headers ran past the fragment */
  wellFormed = true;
}

const MAX_OBJECTS = 16;

/** Bytes taken by the range field of an object header for a qualifier's range specifier; -1 when unknown. */
function rangeSize(rangeSpec: number): number {
  switch (rangeSpec) {
    case 0x00: case 0x03: return 2;
    case 0x01: case 0x04: return 4;
    case 0x02: case 0x05: return 8;
    case 0x06: return 0;
    case 0x07: case 0x0b: return 1;
    case 0x08: return 2;
    case 0x09: return 4;
    default: return -1;
  }
}

/** Parses the fragment in data[off..off+len) (in place: a fragment whole in one segment is never copied). */
export function parseAppFragment(data: Uint8Array, len: number, out: AppFragment, off = 0): boolean {
  out.firstGroup = -1;
  out.firstVariation = -1;
  out.objectCount = 0;
  out.wellFormed = true;
  out.iin = 0;
  if (len < 2) return false;
  const end = off + len;
  const ctl = data[off]!;
  out.fir = (ctl & 0x80) !== 0;
  out.fin = (ctl & 0x40) !== 0;
  out.confirm = (ctl & 0x20) !== 0;
  out.unsolicited = (ctl & 0x10) !== 0;
  out.seq = ctl & 0x0f;
  out.functionCode = data[off + 1]!;
  out.isResponse = out.functionCode >= 129 && out.functionCode <= 131;
  let p = off + 2;
  if (out.isResponse) {
    if (len < 4) return false;
    out.iin = (data[off + 2]! << 8) | data[off + 3]!;
    p = off + 4;
  }
  // Requests without data (read) are a plain list of headers; for the others only the first header is
  // certain without per-object size tables.
  const walkAll = out.functionCode === 1;
  while (p + 3 <= end && out.objectCount < MAX_OBJECTS) {
    const group = data[p]!;
    const variation = data[p + 1]!;
    const qualifier = data[p + 2]!;
    if (out.objectCount === 0) {
      out.firstGroup = group;
      out.firstVariation = variation;
    }
    out.objects[out.objectCount++] = (group << 8) | variation;
    const range = rangeSize(qualifier & 0x0f);
    if (range < 0 || p + 3 + range > end) {
      out.wellFormed = false;
      break;
    }
    p += 3 + range;
    if (!walkAll) break;
  }
  return true;
}
