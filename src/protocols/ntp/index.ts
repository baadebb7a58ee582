import { Probe, type AnalyzerSpec, type Dir } from '../analyzer.js';
import { plausibleNtp } from './parser.js';
import { NtpSession } from './session.js';

/**
 * NTP probe: NTP has no magic, only a version (1..4), a mode and a length that fits it, so the best a probe
 * can say is Maybe; port 123 decides.
 */
export function probeNtp(buf: Buffer, off: number, len: number, _dir: Dir): Probe {
  return plausibleNtp(buf, off, len) ? Probe.Maybe : Probe.No;
}

export const ntpSpec: AnalyzerSpec = {
  name: 'ntp',
  transports: ['udp'],
  ports: [123],
  probe: probeNtp,
  create: (ctx) => new NtpSession(ctx),
};
