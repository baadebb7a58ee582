import { Probe, type AnalyzerSpec, type Dir } from '../analyzer.js';
import { StratumSession, STRATUM_METHODS } from './session.js';

/** Bytes of the first line looked at. */
const PROBE_BYTES = 2048;

/**
 * Stratum probe (any port): the first line is a JSON object whose "method" is a mining method (Stratum v1
 * "mining.*", the Monero/xmrig "login"/"submit"/"job" dialect, Ethereum proxies' "eth_submitLogin"...). A JSON
 * start without the method yet is NeedMore; anything else is No.
 */
export function probeStratum(buf: Buffer, off: number, len: number, _dir: Dir): Probe {
  let i = off;
  const end = off + (len < PROBE_BYTES ? len : PROBE_BYTES);
  while (i < end && (buf[i] === 0x20 || buf[i] === 0x0d || buf[i] === 0x0a)) i++;
  if (i === end) return Probe.NeedMore;
  if (buf[i] !== 0x7b) return Probe.No;
  let lineEnd = i;
  while (lineEnd < end && buf[lineEnd] !== 0x0a) lineEnd++;
  const text = buf.toString('latin1', i, lineEnd);
  const m = /"method"\s*:\s*"([\w.]{1,40})"/.exec(text);
  if (m) return STRATUM_METHODS.has(m[1]!) ? Probe.Yes : Probe.No;
  return lineEnd === end && len < PROBE_BYTES ? Probe.NeedMore : Probe.No;
}

export const stratumSpec: AnalyzerSpec = {
  name: 'stratum',
  transports: ['tcp'],
  ports: [3333, 4444, 5555, 7777, 9999, 14444],
  probe: probeStratum,
  create: (ctx) => new StratumSession(ctx),
};
