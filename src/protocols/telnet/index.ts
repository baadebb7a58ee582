import { Probe, type AnalyzerSpec, type Dir } from '../analyzer.js';
import { isTextPrefix } from '../common/ascii.js';
import { TelnetSession } from './session.js';

/**
 * Telnet probe: option negotiation (IAC WILL/WONT/DO/DONT <option>, IAC SB) at the start of either direction
 * is a Yes; a printable text start (a banner or a prompt from a server that negotiates nothing) is a Maybe,
 * which port 23 turns into a claim.
 */
export function probeTelnet(buf: Buffer, off: number, len: number, _dir: Dir): Probe {
  if (len === 0) return Probe.NeedMore;
  if (buf[off] === 0xff) {
    if (len < 3) return Probe.NeedMore;
    const command = buf[off + 1]!;
    if ((command >= 0xfb && command <= 0xfe) || command === 0xfa) return Probe.Yes;
    return Probe.No;
  }
  const n = len < 64 ? len : 64;
  return isTextPrefix(buf, off, n) ? Probe.Maybe : Probe.No;
}

export const telnetSpec: AnalyzerSpec = {
  name: 'telnet',
  transports: ['tcp'],
  ports: [23],
  probe: probeTelnet,
  create: (ctx) => new TelnetSession(ctx),
};
