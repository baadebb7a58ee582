/** ioc.indicator: traffic to user-supplied known-bad infrastructure (IP addresses, domains, JA4 fingerprints). */
import type { OperationEvent } from '../../events/types.js';
import type { FlowLike, HitRecorder, RuleFactory } from '../types.js';
import { matchesDomain } from './net-remote-access.js';

export const iocIndicator: RuleFactory = (ctx) => {
  const list = ctx.options.indicators ?? {};
  const ips = new Set((list.ips ?? []).map((s) => s.trim().toLowerCase()).filter(Boolean));
  const domains = (list.domains ?? []).map((s) => s.trim().toLowerCase().replace(/\.$/, '')).filter(Boolean);
  const ja4 = new Set((list.ja4 ?? []).map((s) => s.trim()).filter(Boolean));
  const source = list.source ?? 'user indicator list';
  const hitOn = (hits: HitRecorder, kind: string, value: string, ts: number, src: FlowLike | OperationEvent, file: string, isFlow: boolean): void => {
    const s = isFlow ? { ip: (src as FlowLike).clientIp, mac: (src as FlowLike).clientMac } : (src as OperationEvent).src;
    const t = isFlow ? { ip: (src as FlowLike).serverIp, mac: (src as FlowLike).serverMac } : kind === 'ja4' ? (src as OperationEvent).dst : null;
    const d = hits.hit(`${s.ip}|${kind}|${value}`, ts, s, t, src, file);
    if (d && d.count === 1) {
      d.details.indicator_type = kind;
      d.details.indicator = value;
      d.details.indicator_source = source;
    }
  };
  return {
    meta: {
      id: 'ioc.indicator',
      title: 'Contact with known bad infrastructure',
      category: 'indicator',
      severity: 'high',
      mitre: { ics: ['T0869', 'T0885'], enterprise: ['T1071'] },
      explanation: 'A host contacted an address, domain or TLS client fingerprint on the supplied indicator list.',
      recommendation: 'Confirm the indicator is current, isolate the host and investigate it for compromise; block the indicator at the perimeter.',
    },
    subscribe: {
      flows: ips.size > 0,
      operations: domains.length > 0 || ja4.size > 0 ? { protocols: ['dns', 'tls', 'http'] } : undefined,
    },
    onFlow(f: FlowLike, file: string, hits: HitRecorder): void {
      if (ips.has(f.serverIp)) hitOn(hits, 'ip', f.serverIp, f.firstSeen, f, file, true);
      else if (ips.has(f.clientIp)) hitOn(hits, 'ip', f.clientIp, f.firstSeen, f, file, true);
    },
    onOperation(e: OperationEvent, file: string, hits: HitRecorder): void {
      const a = e.attributes;
      if (ja4.size > 0 && e.protocol === 'tls' && typeof a?.ja4 === 'string' && ja4.has(a.ja4)) hitOn(hits, 'ja4', a.ja4, e.ts, e, file, false);
      if (domains.length === 0) return;
      const name = e.protocol === 'tls' ? a?.sni : e.protocol === 'http' ? a?.host : e.object;
      if (typeof name !== 'string' || name === '') return;
      const m = matchesDomain(name, domains);
      if (m !== null) hitOn(hits, 'domain', m, e.ts, e, file, false);
    },
  };
};
