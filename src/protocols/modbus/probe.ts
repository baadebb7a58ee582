/**
 * Modbus/TCP content probe. The port is never trusted: the MBAP header must check out (protocol id 0, sane
 * length, plausible function code) and its length must account for the bytes seen.
 */
import { Probe, type Dir } from '../analyzer.js';
import { Frame, frameAdu, isPlausibleHeader, MIN_ADU_LEN } from './parser.js';

export function probeModbus(buf: Buffer, off: number, len: number, _dir: Dir): Probe {
  if (len < 0 || off < 0 || off + len > buf.length) return Probe.No;
  if (len < MIN_ADU_LEN) return Probe.NeedMore;
  if (!isPlausibleHeader(buf, off, len)) return Probe.No;
  const total = 6 + ((buf[off + 4]! << 8) | buf[off + 5]!);
  if (total === len) return Probe.Yes;
  // A header that checks but whose ADU is not all here yet: ask for the rest (an ADU is at most 266 bytes).
  if (total > len) return Probe.NeedMore;
  // More than one ADU in the first bytes: the next one must be consistent too.
  const nextOff = off + total;
  const rest = len - total;
  if (rest < MIN_ADU_LEN) return frameAdu(buf, nextOff, rest) === Frame.Malformed ? Probe.No : Probe.Maybe;
  if (!isPlausibleHeader(buf, nextOff, rest)) return Probe.No;
  const nextTotal = 6 + ((buf[nextOff + 4]! << 8) | buf[nextOff + 5]!);
  if (nextTotal <= rest) return Probe.Yes;
  return Probe.Maybe;
}
