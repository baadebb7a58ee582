import { Probe, type AnalyzerSpec } from '../analyzer.js';
import { NBSS } from './nbss.js';
import { SmbSession } from './session.js';

/**
 * A NetBIOS session message whose payload starts with an SMB protocol id (0xFF/0xFE/0xFD/0xFC 'SMB'), or a
 * NetBIOS session request (port 139) carrying two encoded names.
 */
export function probeSmb(buf: Buffer, off: number, len: number): Probe {
  if (len < 1) return Probe.NeedMore;
  const type = buf[off]!;
  if (type === NBSS.REQUEST) {
    if (len < 5) return Probe.NeedMore;
    return buf[off + 1] === 0 && buf[off + 3]! >= 68 && buf[off + 4] === 0x20 ? Probe.Yes : Probe.No;
  }
  if (type !== NBSS.MESSAGE) return Probe.No;
  if (len < 5) return Probe.NeedMore;
  const magic = buf[off + 4]!;
  if (magic !== 0xff && magic !== 0xfe && magic !== 0xfd && magic !== 0xfc) return Probe.No;
  if (len < 8) return Probe.NeedMore;
  return buf[off + 5] === 0x53 && buf[off + 6] === 0x4d && buf[off + 7] === 0x42 ? Probe.Yes : Probe.No;
}

export const smbSpec: AnalyzerSpec = {
  name: 'smb',
  transports: ['tcp'],
  ports: [445, 139],
  probe: probeSmb,
  create: (ctx) => new SmbSession(ctx),
};
