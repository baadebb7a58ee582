/**
 * net.scan: per-source fan-out over flow summaries. A "probe" is a flow that exchanged no application data
 * (TCP SYN unanswered/refused/reset or handshake only, UDP without reply, ICMP). Within `windowSec`:
 * horizontal = probes to ≥ `horizontalHosts` hosts; vertical = probes to ≥ `verticalPorts` ports of one host.
 * Severity: medium; high when industrial ports are swept or the source or target is an OT asset.
 */
import type { FlowLike, HitRecorder, RuleFactory } from '../types.js';
import { ICS_PORTS } from '../model.js';
import { evictIfFull } from './common.js';

interface SourceState {
  start: number;
  hosts: Set<string>;
  /** target → ports probed */
  ports: Map<string, Set<number>>;
  icsPorts: Set<number>;
}

export function isUnicastIp(ip: string): boolean {
  if (ip.includes(':')) return !ip.toLowerCase().startsWith('ff');
  const first = parseInt(ip, 10);
  return first > 0 && first < 224 && !ip.endsWith('.255');
}

export function isProbeFlow(f: FlowLike): boolean {
  if (f.transport === 'icmp') return f.protocol === 'icmp' || f.protocol === 'icmpv6';
  if (f.transport === 'tcp') return f.payloadToServer === 0 && (f.payloadToClient ?? 0) === 0;
  if (f.transport === 'udp') return f.packetsToClient === 0 && (f.packetsToServer ?? 1) <= 2;
  return false;
}

export const netScan: RuleFactory = (ctx) => {
  const id = 'net.scan';
  const horizontalHosts = ctx.tune(id, 'horizontalHosts', 20);
  const verticalPorts = ctx.tune(id, 'verticalPorts', 10);
  const windowSec = ctx.tune(id, 'windowSec', 300);
  const maxSources = ctx.tune(id, 'maxSources', 4096);
  const maxTargetsPerSource = ctx.tune(id, 'maxTargetsPerSource', 4096);
  const sources = new Map<string, SourceState>();

  const sweep = (hits: HitRecorder, key: string, f: FlowLike, file: string, src: string, dst: string | null, kind: string, n: number, st: SourceState): void => {
    const d = hits.hit(key, f.firstSeen, { ip: src, mac: f.clientMac }, dst === null ? null : { ip: dst, mac: f.serverMac }, f, file);
    if (d === null) return;
    d.details.kind = kind;
    d.details[kind === 'horizontal' ? 'hosts' : 'ports'] = n;
    if (st.icsPorts.size > 0) d.details.ics_ports = [...st.icsPorts].sort((a, b) => a - b).join(',');
    if (kind === 'horizontal' && f.transport === 'icmp') d.details.icmp = true;
  };

  return {
    meta: {
      id,
      title: 'Network scan',
      category: 'reconnaissance',
      severity: 'medium',
      mitre: { ics: ['T0846', 'T0888'], enterprise: ['T1046', 'T1018'] },
      explanation: 'One host probed many addresses (horizontal scan) or many ports of one host (vertical scan) without exchanging data: network discovery, often the first step of an attack or of a worm.',
      recommendation: 'Find out whether an authorised scan was scheduled; otherwise isolate the scanning host and look for compromise on it.',
    },
    subscribe: { flows: true },
    onFlow(f: FlowLike, file: string, hits: HitRecorder): void {
      if (!isProbeFlow(f) || !isUnicastIp(f.serverIp)) return;
      const src = f.clientIp;
      let st = sources.get(src);
      if (st === undefined || f.firstSeen - st.start > windowSec) {
        if (st === undefined && evictIfFull(sources, maxSources)) hits.count('sources-cap');
        st = { start: f.firstSeen, hosts: new Set(), ports: new Map(), icsPorts: new Set() };
        sources.set(src, st);
      }
      const dst = f.serverIp;
      if (st.hosts.size < maxTargetsPerSource) st.hosts.add(dst);
      else hits.count('targets-cap');
      if (f.transport !== 'icmp') {
        let ports = st.ports.get(dst);
        if (ports === undefined) {
          ports = new Set();
          if (st.ports.size < maxTargetsPerSource) st.ports.set(dst, ports);
        }
        ports.add(f.serverPort);
        if (ICS_PORTS.has(f.serverPort)) st.icsPorts.add(f.serverPort);
        if (ports.size >= verticalPorts) sweep(hits, `${src}|${dst}|vertical`, f, file, src, dst, 'vertical', ports.size, st);
      }
      if (st.hosts.size >= horizontalHosts) sweep(hits, `${src}|horizontal`, f, file, src, null, 'horizontal', st.hosts.size, st);
    },
    assess(d, model): void {
      const ics = d.details.ics_ports !== undefined;
      const src = model.asset(d.srcIp, d.srcMac);
      const dst = model.asset(d.dstIp, d.dstMac);
      if (ics) d.notes.push(`Industrial ports were probed (${d.details.ics_ports}).`);
      if (model.isOtAsset(src) || model.isOtAsset(dst)) d.notes.push('The scan involves OT assets.');
      if (ics || model.isOtAsset(src) || model.isOtAsset(dst) || model.isIndustrialClient(src)) d.severity = 'high';
    },
  };
};
