import { Probe, type AnalyzerSpec } from '../analyzer.js';
import { ENCAP_HEADER, EnipSession, frameEncap } from './session.js';

/**
 * A known encapsulation command with zero options, whose declared length matches what follows (or, for a
 * stream, is not contradicted by it).
 */
export function probeEnip(buf: Buffer, off: number, len: number): Probe {
  const n = frameEncap(buf, off, len);
  if (n < 0) return Probe.No;
  if (len < ENCAP_HEADER) return Probe.NeedMore;
  if (n === 0) return Probe.Maybe; // header plausible, body still arriving
  return Probe.Yes;
}

export const enipSpec: AnalyzerSpec = {
  name: 'enip',
  transports: ['tcp', 'udp'],
  ports: [44818],
  probe: probeEnip,
  create: (ctx) => new EnipSession(ctx),
};
