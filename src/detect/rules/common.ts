/** Helpers shared by rule modules: the OT-operation rule shape and its source-trust severity assessment. */
import type { OperationEvent, OperationKind, ProtocolName } from '../../events/types.js';
import type { AlertSeverity, AssetReport } from '../../report/types.js';
import { INDUSTRIAL_PROTOCOLS, raiseSeverity, type ModelView } from '../model.js';
import { isPublicIp } from '../../util/addr.js';
import type { AlertDraft, HitRecorder, Rule, RuleContext, RuleMeta } from '../types.js';
import { functionCode } from '../baseline.js';

export const OT_PROTOCOL_LIST: readonly ProtocolName[] = [...INDUSTRIAL_PROTOCOLS];

/** Who may legitimately do this to a controller. */
export type TrustModel =
  /** an engineering workstation (role) — program, mode, firmware, restart */
  | 'engineering'
  /** the controller's own master: the host that polls it (HMI/SCADA) — writes and commands */
  | 'master';

export interface OtOperationRuleSpec {
  meta: RuleMeta;
  kinds: readonly OperationKind[];
  protocols?: readonly ProtocolName[];
  /** severity when the source is trusted / not */
  trusted: AlertSeverity;
  untrusted: AlertSeverity;
  /** per-draft override of [trusted, untrusted] (e.g. STOP is worse than RUN) */
  levels?: (d: AlertDraft) => [AlertSeverity, AlertSeverity];
  trust: TrustModel;
  /** extra filter on the event */
  accept?: (e: OperationEvent) => boolean;
  /** aggregation discriminator beyond (src, dst, protocol), e.g. the target mode */
  discriminator?: (e: OperationEvent) => string;
  /** details recorded on the draft */
  record?: (d: AlertDraft, e: OperationEvent) => void;
}

export function describe(a: AssetReport | undefined, ip: string | null): string {
  if (!a) return ip ?? 'an unknown host';
  const name = a.hostnames[0];
  const role = a.roles.filter((r) => r !== 'unknown').join('/');
  return `${name ?? ip ?? a.id}${role ? ` (${role})` : ''}`;
}

/**
 * Severity by who did it: trusted sources get `trusted`, others `untrusted`; one step up when it comes from
 * the DMZ or above (level ≥ 3.5) into level ≤ 2, critical when it comes from the Internet.
 */
export function assessSourceTrust(
  d: AlertDraft, model: ModelView, trust: TrustModel, trusted: AlertSeverity, untrusted: AlertSeverity, minPolls: number,
  inBaseline = false,
): void {
  const src = model.asset(d.srcIp, d.srcMac);
  const dst = model.asset(d.dstIp, d.dstMac);
  let ok: boolean;
  if (inBaseline) {
    // The learned normal holds this very operation from this source to this target: expected. The alert stays
    // (at the trusted severity) so the operation remains on record.
    ok = true;
    d.details.in_baseline = true;
    d.notes.push(`The source ${describe(src, d.srcIp)} did the same operation to this target while the baseline was learned.`);
  } else if (trust === 'engineering') {
    ok = d.srcIp !== null && model.engineeringHosts.has(d.srcIp);
    d.notes.push(ok
      ? `The source ${describe(src, d.srcIp)} is an approved engineering host.`
      : `The source ${describe(src, d.srcIp)} is not an approved engineering host.`);
  } else {
    const polls = model.pollCount(src, dst);
    ok = polls >= minPolls;
    d.details.source_polls_target = polls;
    d.notes.push(ok
      ? `The source ${describe(src, d.srcIp)} is this controller's regular master (${polls} reads).`
      : `The source ${describe(src, d.srcIp)} is not a regular master of this controller (${polls} reads seen).`);
  }
  d.details.trusted_source = ok;
  let sev = ok ? trusted : untrusted;
  const zs = model.zoneOf(d.srcIp);
  const zd = model.zoneOf(d.dstIp);
  if (zs?.purdueLevel != null && zd?.purdueLevel != null && zs.purdueLevel >= 3.5 && zd.purdueLevel <= 2) {
    sev = raiseSeverity(sev);
    d.details.source_level = zs.purdueLevel;
    d.details.target_level = zd.purdueLevel;
    d.notes.push(`It crosses from Purdue level ${zs.purdueLevel} (${zs.name}) to level ${zd.purdueLevel} (${zd.name}).`);
  }
  if (model.isPublicAsset(src)) {
    // Both ends public: a plant addressed from public space (universities, old allocations), not a view of the
    // Internet; the address says nothing about where the source is.
    const dstPublic = model.isPublicAsset(dst) || (d.dstIp !== null && isPublicIp(d.dstIp));
    if (!dstPublic) {
      sev = 'critical';
      d.notes.push('The source is a public Internet address.');
    } else {
      d.details.public_addressing = true;
    }
  }
  d.severity = sev;
}

/** The common OT-operation rule: one alert per (source, target, protocol[, discriminator]). */
export function otOperationRule(ctx: RuleContext, spec: OtOperationRuleSpec): Rule {
  const minPolls = ctx.tune(spec.meta.id, 'minPolls', 3);
  const accept = spec.accept;
  const disc = spec.discriminator;
  const record = spec.record;
  return {
    meta: spec.meta,
    subscribe: { operations: { kinds: spec.kinds, protocols: spec.protocols ?? OT_PROTOCOL_LIST } },
    onOperation(e: OperationEvent, file: string, hits: HitRecorder): void {
      if (accept !== undefined && !accept(e)) return;
      const key = disc === undefined ? `${e.src.ip}|${e.dst.ip}|${e.protocol}` : `${e.src.ip}|${e.dst.ip}|${e.protocol}|${disc(e)}`;
      const d = hits.hit(key, e.ts, e.src, e.dst, e, file);
      if (d === null) return;
      const baseline = ctx.checkAt(e.ts);
      if (baseline !== null && baseline.hasFunction(e.src.ip, e.dst.ip, e.protocol, functionCode(e))) {
        d.state = ((d.state as number | undefined) ?? 0) + 1;
      }
      if (d.count === 1) {
        d.details.protocol = e.protocol;
        d.details.operation = e.codeName;
      }
      if (e.result === 'exception') d.details.rejected = ((d.details.rejected as number | undefined) ?? 0) + 1;
      if (record !== undefined) record(d, e);
    },
    assess(d: AlertDraft, model: ModelView): void {
      const [trusted, untrusted] = spec.levels ? spec.levels(d) : [spec.trusted, spec.untrusted];
      // every occurrence was in the baseline (same source, target, protocol and function code)
      const inBaseline = (d.state as number | undefined) === d.count;
      assessSourceTrust(d, model, spec.trust, trusted, untrusted, minPolls, inBaseline);
      const rejected = (d.details.rejected as number | undefined) ?? 0;
      if (rejected > 0 && rejected === d.count) d.notes.push('Every attempt was rejected by the device.');
    },
  };
}

export function addBytes(d: AlertDraft, e: OperationEvent): void {
  if (e.dataBytes !== undefined) d.details.data_bytes = ((d.details.data_bytes as number | undefined) ?? 0) + e.dataBytes;
  if (e.object !== undefined && d.details.first_object === undefined) d.details.first_object = e.object;
}

/** Key part for a counted sliding window: counts within `windowSec` of the window start. */
export interface WindowCounter {
  start: number;
  n: number;
  alerted: boolean;
}

/** Adds one occurrence at `ts`; returns true when the window holds `threshold` occurrences. */
export function windowAdd(w: WindowCounter, ts: number, windowSec: number, threshold: number): boolean {
  if (ts - w.start > windowSec) {
    w.start = ts;
    w.n = 0;
  }
  w.n++;
  return w.n >= threshold;
}

/** Removes the oldest entry of an insertion-ordered map when it is full; returns true when it evicted. */
export function evictIfFull<K, V>(map: Map<K, V>, max: number): boolean {
  if (map.size < max) return false;
  for (const k of map.keys()) {
    map.delete(k);
    return true;
  }
  return false;
}
