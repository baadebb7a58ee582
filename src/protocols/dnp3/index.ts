import { Probe, type AnalyzerSpec } from '../analyzer.js';
import { frameLink } from './link.js';
import { Dnp3Session } from './session.js';

/** A DNP3 link header with a valid header CRC is a strong match (the CRC makes false positives negligible). */
export function probeDnp3(buf: Buffer, off: number, len: number): Probe {
  const n = frameLink(buf, off, Math.min(len, 10));
  if (n < 0) return Probe.No;
  if (len < 10) return Probe.NeedMore;
  return Probe.Yes;
}

export const dnp3Spec: AnalyzerSpec = {
  name: 'dnp3',
  transports: ['tcp', 'udp'],
  ports: [20000],
  probe: probeDnp3,
  create: (ctx) => new Dnp3Session(ctx),
};
