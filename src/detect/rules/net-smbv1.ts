/** net.smbv1: SMB version 1 in use between two hosts (EternalBlue/WannaCry attack surface). */
import type { OperationEvent } from '../../events/types.js';
import type { HitRecorder, RuleFactory } from '../types.js';

export const netSmbv1: RuleFactory = () => ({
  meta: {
    id: 'net.smbv1',
    title: 'SMBv1 in use',
    category: 'misconfiguration',
    severity: 'medium',
    mitre: { ics: ['T0866'], enterprise: ['T1210'] },
    explanation: 'Hosts exchanged SMB version 1 messages. SMBv1 is obsolete and is what EternalBlue (WannaCry, NotPetya) exploits.',
    recommendation: 'Disable SMBv1 on both hosts (or isolate legacy systems that need it) and make sure MS17-010 is installed.',
  },
  subscribe: { operations: { protocols: ['smb'] } },
  onOperation(e: OperationEvent, file: string, hits: HitRecorder): void {
    const a = e.attributes;
    if (a?.smb_version !== 1) return;
    // A client offering SMB1 dialects that the server answers in SMB2 is not SMB1 use.
    if (a.response_smb_version === 2) return;
    const d = hits.hit(`${e.src.ip}|${e.dst.ip}`, e.ts, e.src, e.dst, e, file);
    if (d && d.count === 1 && typeof a.dialect === 'string') d.details.dialect = a.dialect;
  },
  assess(d, model): void {
    if (model.isOtAsset(model.asset(d.dstIp, d.dstMac)) || model.isOtAsset(model.asset(d.srcIp, d.srcMac))) d.notes.push('One side is an OT asset.');
  },
});
