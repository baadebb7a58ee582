import { Probe } from '../analyzer.js';
import { frameApdu } from './parser.js';
import { TYPE_NAMES } from './names.js';

/**
 * IEC 104 content probe: a well-formed APDU at the start of the stream. U/S frames (6 bytes, fixed control
 * octets) and I frames whose ASDU type is a defined one are a strong match; anything else is not 104.
 */
export function probeIec104(buf: Buffer, off: number, len: number): Probe {
  const n = frameApdu(buf, off, len);
  if (n === 0) return Probe.NeedMore;
  if (n < 0) return Probe.No;
  if ((buf[off + 2]! & 0x01) === 0) {
    return TYPE_NAMES[buf[off + 6]!] !== undefined ? Probe.Yes : Probe.Maybe;
  }
  return Probe.Yes;
}
