/**
 * net.it-ot-bypass: industrial protocol traffic that skips the Purdue levels or violates the zones file's
 * conduits. With zones: a client at level ≥ 3.5 (DMZ, enterprise, Internet) talking an industrial protocol to
 * level ≤ 2, or, when conduits are given, zone-to-zone traffic no conduit allows. Without zones: a host that
 * talks to the Internet (an IT host) and drives a controller directly.
 */
import type { FlowLike, HitRecorder, RuleFactory } from '../types.js';
import { ICS_PORTS, INDUSTRIAL_PROTOCOLS, type ModelView } from '../model.js';
import type { AlertDraft, ConduitDef } from '../types.js';
import { describe } from './common.js';

function conduitAllows(conduits: ConduitDef[], from: string, to: string, protocol: string, port: number): boolean {
  return conduits.some((c) => c.from === from && c.to === to && (c.protocol === undefined || c.protocol === protocol) && (!c.port || c.port === port));
}

export const netItOtBypass: RuleFactory = (ctx) => {
  const conduits = ctx.options.conduits;
  // The last flow's client, server, protocol and port and their draft: a poller's connections repeat them, so
  // the next one needs no key string (drafts of this rule are never dropped during the pass).
  let lastClientIp = '';
  let lastServerIp = '';
  let lastProtocol = '';
  let lastPort = -1;
  let lastDraft: AlertDraft | null = null;
  return {
    meta: {
      id: 'net.it-ot-bypass',
      title: 'IT/OT segmentation bypass',
      category: 'segmentation',
      severity: 'high',
      mitre: { ics: ['T0886', 'T0866'], enterprise: ['T1021'] },
      explanation: 'Industrial protocol traffic crossed the IT/OT boundary without going through the DMZ or an allowed conduit. A compromised office host could then reach the controllers directly.',
      recommendation: 'Block the path on the firewall between the zones; route legitimate needs through the DMZ (jump host, historian replica).',
    },
    subscribe: { flows: true },
    onFlow(f: FlowLike, file: string, hits: HitRecorder): void {
      // Industrial protocol, or data to an industrial port (refused scan probes are net.scan's).
      if (!INDUSTRIAL_PROTOCOLS.has(f.protocol as never) && !(ICS_PORTS.has(f.serverPort) && (f.payloadToServer ?? 0) > 0)) return;
      if (lastDraft !== null && f.serverPort === lastPort && f.clientIp === lastClientIp && f.serverIp === lastServerIp && f.protocol === lastProtocol) {
        hits.again(lastDraft, f.firstSeen, f, file);
        return;
      }
      const d = hits.hit(`${f.clientIp}|${f.serverIp}|${f.protocol}|${f.serverPort}`, f.firstSeen,
        { ip: f.clientIp, mac: f.clientMac }, { ip: f.serverIp, mac: f.serverMac }, f, file);
      if (d === null) return;
      lastClientIp = f.clientIp;
      lastServerIp = f.serverIp;
      lastProtocol = f.protocol;
      lastPort = f.serverPort;
      lastDraft = d;
      if (d.count === 1) {
        d.details.protocol = f.protocol;
        d.details.port = f.serverPort;
      }
    },
    assess(d: AlertDraft, model: ModelView): boolean {
      const zs = model.zoneOf(d.srcIp);
      const zd = model.zoneOf(d.dstIp);
      const src = model.asset(d.srcIp, d.srcMac);
      const dst = model.asset(d.dstIp, d.dstMac);
      // Internet ends (either side) are net.internet-exposure's.
      if (model.isPublicAsset(src) || model.isPublicAsset(dst)) return false;
      if (zs?.purdueLevel != null && zd?.purdueLevel != null) {
        d.details.source_zone = zs.name;
        d.details.target_zone = zd.name;
        if (zs.purdueLevel >= 3.5 && zd.purdueLevel <= 2) {
          d.notes.push(`${describe(src, d.srcIp)} (level ${zs.purdueLevel}, ${zs.name}) talks ${d.details.protocol} directly to ${describe(dst, d.dstIp)} (level ${zd.purdueLevel}, ${zd.name}).`);
          d.details.reason = 'purdue-skip';
          return true;
        }
        if (conduits !== undefined && zs.name !== zd.name && !conduitAllows(conduits, zs.name, zd.name, String(d.details.protocol), Number(d.details.port))) {
          d.notes.push(`No conduit allows ${d.details.protocol}/${d.details.port} from ${zs.name} to ${zd.name}.`);
          d.details.reason = 'no-conduit';
          d.severity = 'medium';
          return true;
        }
        // Levels from a zones file are authoritative; inferred ones fall through to the heuristic.
        if (ctx.options.zones !== undefined && ctx.options.zones.length > 0) return false;
      }
      if (model.talksToInternet(src) && !model.isOtAsset(src) && model.isOtDevice(dst)) {
        d.notes.push(`${describe(src, d.srcIp)} also talks to the Internet (an IT host) and drives ${describe(dst, d.dstIp)} directly. No zones file was given: configure zones for exact checks.`);
        d.details.reason = 'internet-host';
        return true;
      }
      return false;
    },
  };
};
