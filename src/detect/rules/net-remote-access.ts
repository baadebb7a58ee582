/**
 * net.remote-access: RDP/VNC sessions into OT assets (VNC without authentication: high), and remote-access
 * tools (TeamViewer, AnyDesk, ...) seen in DNS/TLS SNI from OT hosts.
 */
import type { OperationEvent, ProtocolDetectedEvent } from '../../events/types.js';
import type { AlertDraft, HitRecorder, RuleFactory } from '../types.js';
import type { ModelView } from '../model.js';
import { memoByText } from '../../util/memo.js';
import { describe } from './common.js';

export const REMOTE_ACCESS_DOMAINS = [
  'teamviewer.com', 'anydesk.com', 'net.anydesk.com', 'logmein.com', 'logme.in', 'splashtop.com', 'rustdesk.com',
  'remoteutilities.com', 'screenconnect.com', 'connectwise.com', 'bomgar.com', 'beyondtrustcloud.com', 'ammyy.com',
  'realvnc.com', 'dwservice.net', 'supremocontrol.com', 'zoho.com.assist', 'gotoassist.com', 'ultraviewer.net',
];

/**
 * The first suffix that is the name or one of its parent domains (case-insensitive, trailing dot ignored), or
 * null. Runs for every DNS query and TLS SNI: no string is built per suffix.
 */
export function matchesDomain(name: string, suffixes: readonly string[]): string | null {
  let n = name.toLowerCase();
  if (n.charCodeAt(n.length - 1) === 46) n = n.slice(0, -1);
  const len = n.length;
  for (let i = 0; i < suffixes.length; i++) {
    const s = suffixes[i]!;
    if (s.length > len) continue;
    if (s.length === len ? n === s : n.charCodeAt(len - s.length - 1) === 46 && n.endsWith(s)) return s;
  }
  return null;
}

export const netRemoteAccess: RuleFactory = () => {
  // DNS queries and SNI of a plant repeat a few hundred names.
  const remoteAccessTool = memoByText((name) => matchesDomain(name, REMOTE_ACCESS_DOMAINS));
  return {
    meta: {
      id: 'net.remote-access',
      title: 'Remote access into OT',
      category: 'remote-access',
      severity: 'medium',
      mitre: { ics: ['T0822', 'T0886'], enterprise: ['T1021.001', 'T1021.005', 'T1219'] },
      explanation: 'A remote desktop session (RDP/VNC) reached an OT asset, or an OT host contacted a remote-access service. Remote access into OT must go through the approved, monitored jump host.',
      recommendation: 'Check that the session was approved and went through the jump host; disable unmanaged remote-access tools and require authentication on VNC.',
    },
    subscribe: { detected: ['rdp', 'vnc'], operations: { protocols: ['vnc', 'dns', 'tls'] } },
    onDetected(e: ProtocolDetectedEvent, file: string, hits: HitRecorder): void {
      const d = hits.hit(`${e.src.ip}|${e.dst.ip}|${e.protocol}`, e.ts, e.src, e.dst, e, file);
      if (d && d.count === 1) d.details.protocol = e.protocol;
    },
    onOperation(e: OperationEvent, file: string, hits: HitRecorder): void {
      if (e.protocol === 'vnc') {
        if (e.kind !== 'authentication' || e.attributes?.no_auth !== true) return;
        const d = hits.hit(`${e.src.ip}|${e.dst.ip}|vnc`, e.ts, e.src, e.dst, e, file);
        if (d) {
          d.details.protocol = 'vnc';
          d.details.no_auth = true;
        }
        return;
      }
      const name = e.protocol === 'tls' ? e.attributes?.sni : e.object;
      if (typeof name !== 'string' || name === '') return;
      const tool = remoteAccessTool(name);
      if (tool === null) return;
      const d = hits.hit(`${e.src.ip}|tool|${tool}`, e.ts, e.src, null, e, file);
      if (d && d.count === 1) d.details.tool_domain = tool;
    },
    assess(d: AlertDraft, model: ModelView): boolean {
      const src = model.asset(d.srcIp, d.srcMac);
      const dst = model.asset(d.dstIp, d.dstMac);
      if (d.details.tool_domain !== undefined) {
        if (!model.isOtAsset(src) && !model.isIndustrialClient(src)) return false;
        d.notes.push(`${describe(src, d.srcIp)} contacted ${d.details.tool_domain}.`);
        d.severity = 'high';
        return true;
      }
      const zd = model.zoneOf(d.dstIp);
      const intoOt = model.isOtAsset(dst) || model.isIndustrialClient(dst) || (zd?.purdueLevel != null && zd.purdueLevel <= 3);
      if (!intoOt && !model.isPublicAsset(src)) return false;
      if (d.details.no_auth === true) {
        d.severity = 'high';
        d.notes.push('The VNC server accepted the session without any authentication.');
      }
      if (model.isPublicAsset(src)) {
        d.severity = 'critical';
        d.notes.push('The session came from a public Internet address.');
      }
      return true;
    },
  };
};
