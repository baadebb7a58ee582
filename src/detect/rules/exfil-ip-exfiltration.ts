/**
 * exfil.ip-exfiltration: intellectual-property theft. A program upload from a controller (or a large pull of
 * data from an OT server) by host H, followed within `windowSec` by H sending at least `minRatio` of that volume
 * (and ≥ `minBytes`) to the Internet or to a host in a higher zone — linked in one alert with both halves as
 * evidence. Source = H, target = the receiving host.
 */
import type { OperationEvent } from '../../events/types.js';
import { isPublicIp } from '../../util/addr.js';
import type { AlertEvidence } from '../../report/types.js';
import type { FlowLike, HitRecorder, RuleFactory } from '../types.js';
import { toEvidence } from '../evidence.js';
import { OT_PROTOCOL_LIST, describe, evictIfFull } from './common.js';

interface Pull {
  first: number;
  last: number;
  bytes: number;
  from: string;
  fromMac: string | undefined;
  kind: 'program-upload' | 'bulk-pull';
  evidence: AlertEvidence[];
}

interface Send {
  flow: FlowLike;
  file: string;
}

export const exfilIpExfiltration: RuleFactory = (ctx) => {
  const id = 'exfil.ip-exfiltration';
  const windowSec = ctx.tune(id, 'windowSec', 3600);
  const minBytes = ctx.tune(id, 'minBytes', 100_000);
  const minRatio = ctx.tune(id, 'minRatio', 0.5);
  const bulkPullBytes = ctx.tune(id, 'bulkPullBytes', 5_000_000);
  const maxHosts = ctx.tune(id, 'maxHosts', 4096);
  const maxSendsPerHost = ctx.tune(id, 'maxSendsPerHost', 64);
  const pulls = new Map<string, Pull[]>();
  const sends = new Map<string, Send[]>();
  let capped = 0;

  const addPull = (client: string, p: Pull): void => {
    let list = pulls.get(client);
    if (list === undefined) {
      if (evictIfFull(pulls, maxHosts)) capped++;
      pulls.set(client, (list = []));
    }
    const same = list.find((x) => x.from === p.from && x.kind === p.kind && p.first - x.last <= windowSec);
    if (same) {
      same.last = Math.max(same.last, p.last);
      same.bytes += p.bytes;
      if (same.evidence.length < 5) same.evidence.push(...p.evidence.slice(0, 5 - same.evidence.length));
    } else if (list.length < 64) list.push(p);
  };

  return {
    meta: {
      id,
      title: 'Program or data pulled from OT, then sent out',
      category: 'exfiltration',
      severity: 'critical',
      mitre: { ics: ['T0845', 'T0882', 'T0811'], enterprise: ['T1041', 'T1048', 'T1567'] },
      explanation: 'A host pulled a controller program (or a large amount of data from an OT server) and soon after sent a similar or larger volume out to the Internet or the IT network: theft of the process know-how.',
      recommendation: 'Isolate the host, identify what was sent and to whom (proxy/firewall logs); treat the uploaded program as disclosed.',
    },
    subscribe: { operations: { kinds: ['program-upload'], protocols: OT_PROTOCOL_LIST }, flows: true },
    onOperation(e: OperationEvent, file: string): void {
      addPull(e.src.ip, {
        first: e.ts, last: e.ts, bytes: e.dataBytes ?? 0, from: e.dst.ip, fromMac: e.dst.mac, kind: 'program-upload',
        evidence: [toEvidence(e, file)],
      });
    },
    onFlow(f: FlowLike, file: string): void {
      const out = f.payloadToServer ?? 0;
      if (out >= minBytes) {
        let list = sends.get(f.clientIp);
        if (list === undefined) {
          if (evictIfFull(sends, maxHosts)) capped++;
          sends.set(f.clientIp, (list = []));
        }
        if (list.length < maxSendsPerHost) list.push({ flow: f, file });
        else capped++;
      }
      if ((f.payloadToClient ?? 0) >= bulkPullBytes && !isPublicIp(f.serverIp)) {
        addPull(f.clientIp, {
          first: f.firstSeen, last: f.lastSeen ?? f.firstSeen, bytes: f.payloadToClient!, from: f.serverIp, fromMac: f.serverMac,
          kind: 'bulk-pull', evidence: [toEvidence(f, file)],
        });
      }
    },
    finish(model, hits: HitRecorder): void {
      if (capped > 0) hits.count('cap', capped);
      for (const [client, list] of pulls) {
        const out = sends.get(client);
        if (out === undefined) continue;
        for (const p of list) {
          const origin = model.asset(p.from, p.fromMac ?? null);
          // A bulk pull counts only from an OT server; program uploads always do.
          if (p.kind === 'bulk-pull' && !model.isOtAsset(origin)) continue;
          const zOrigin = model.zoneOf(p.from);
          for (const { flow, file } of out) {
            if (flow.serverIp === p.from || flow.firstSeen < p.first || flow.firstSeen - p.last > windowSec) continue;
            const sent = flow.payloadToServer ?? 0;
            if (sent < Math.max(minBytes, p.bytes * minRatio)) continue;
            const zDst = model.zoneOf(flow.serverIp);
            const outward = isPublicIp(flow.serverIp) ||
              (zOrigin?.purdueLevel != null && zDst?.purdueLevel != null && zDst.purdueLevel >= 3.5 && zDst.purdueLevel > zOrigin.purdueLevel);
            if (!outward) continue;
            const d = hits.hit(`${client}|${flow.serverIp}`, p.first, { ip: client }, { ip: flow.serverIp, mac: flow.serverMac }, null, file);
            if (d === null) continue;
            if (d.evidence.length === 0) d.evidence.push(...p.evidence, toEvidence(flow, file));
            if (flow.firstSeen > d.last) d.last = flow.lastSeen ?? flow.firstSeen;
            d.details.pulled_from = p.from;
            d.details.pull_kind = p.kind;
            d.details.pulled_bytes = p.bytes;
            d.details.sent_bytes = ((d.details.sent_bytes as number | undefined) ?? 0) + sent;
            d.details.sent_to = flow.serverIp;
            d.details.sent_protocol = flow.protocol;
            if (d.notes.length === 0) {
              d.notes.push(`${describe(model.asset(client, null), client)} pulled ${p.bytes > 0 ? `${p.bytes} bytes` : 'a program'} from ${describe(origin, p.from)}, then sent ${sent} bytes over ${flow.protocol} to ${flow.serverIp} ${Math.round(flow.firstSeen - p.last)} s later.`);
            }
          }
        }
      }
    },
  };
};
