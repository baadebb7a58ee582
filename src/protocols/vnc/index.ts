import { Probe, type AnalyzerSpec, type Dir } from '../analyzer.js';
import { VncSession, parseVersion } from './session.js';

/** RFB probe: the 12-byte ProtocolVersion "RFB xxx.yyy\n" that both sides send first. */
export function probeVnc(buf: Buffer, off: number, len: number, _dir: Dir): Probe {
  const prefix = 'RFB ';
  for (let i = 0; i < 4 && i < len; i++) if (buf[off + i] !== prefix.charCodeAt(i)) return Probe.No;
  if (len < 12) return Probe.NeedMore;
  return parseVersion(buf, off) === null ? Probe.No : Probe.Yes;
}

export const vncSpec: AnalyzerSpec = {
  name: 'vnc',
  transports: ['tcp'],
  ports: [5900, 5901, 5902, 5903],
  probe: probeVnc,
  create: (ctx) => new VncSession(ctx),
};
