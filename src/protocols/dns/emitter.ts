/**
 * Event plumbing shared by the name/address-service analyzers (DNS, mDNS, LLMNR, NetBIOS, DHCP, DHCPv6):
 * operation skeletons with the right src/dst for a direction, capped anomaly events, and asset facts
 * de-duplicated per flow with a bounded memory (hitting it is counted, the fact is still emitted).
 */
import type { Endpoint, FactField, OperationEvent, OperationKind, OperationResult, ProtocolName } from '../../events/types.js';
import { classifyIp, isGroupMacText } from '../../model/address-class.js';
import { Dir, type AnalyzerContext, type PacketMeta } from '../analyzer.js';
import { flowEndpoints } from '../common/endpoints.js';

export const MAX_ANOMALY_EVENTS = 50;
/** Distinct facts remembered per flow so that periodic announcements do not repeat them. */
export const MAX_FACTS_REMEMBERED = 256;
/** Longest fact value kept (names, vendor strings); longer ones are cut. */
export const MAX_FACT_CHARS = 255;

export type AnomalyKind = 'malformed' | 'gap' | 'resync' | 'transaction-cap' | 'unexpected-response' | 'buffer-cap';

export class FlowEmitter {
  endpoints: { client: Endpoint; server: Endpoint };
  meta: PacketMeta = { frame: 0, ts: 0 };
  private anomalies = 0;
  private readonly factsSeen = new Set<string>();

  constructor(
    private readonly ctx: AnalyzerContext,
    readonly protocol: ProtocolName,
    private readonly maxFactsRemembered = MAX_FACTS_REMEMBERED,
  ) {
    this.endpoints = flowEndpoints(ctx.flow);
  }

  /** After the flow layer swapped sides. */
  refreshEndpoints(): void {
    this.endpoints = flowEndpoints(this.ctx.flow);
  }

  sender(dir: Dir): Endpoint {
    return dir === Dir.ToServer ? this.endpoints.client : this.endpoints.server;
  }

  receiver(dir: Dir): Endpoint {
    return dir === Dir.ToServer ? this.endpoints.server : this.endpoints.client;
  }

  /** Is the receiving side of `dir` a broadcast/multicast address (so no answer comes back on this flow)? */
  toGroup(dir: Dir): boolean {
    const r = this.receiver(dir);
    if (r.mac !== undefined && isGroupMacText(r.mac)) return true;
    return classifyIp(r.ip) !== 'unicast';
  }

  /** An operation requested by the sender of `requestDir`, stamped with the current packet. */
  operation(requestDir: Dir, kind: OperationKind, code: number, codeName: string, result: OperationResult): OperationEvent {
    return {
      type: 'operation',
      protocol: this.protocol,
      ts: this.meta.ts,
      frame: this.meta.frame,
      captureIndex: this.ctx.captureIndex,
      flowId: this.ctx.flow.id,
      src: this.sender(requestDir),
      dst: this.receiver(requestDir),
      kind,
      code,
      codeName,
      result,
    };
  }

  anomaly(dir: Dir, anomaly: AnomalyKind, detail: string): void {
    if (this.anomalies >= MAX_ANOMALY_EVENTS) return;
    this.anomalies++;
    this.ctx.sink.emit({
      type: 'anomaly',
      protocol: this.protocol,
      ts: this.meta.ts,
      frame: this.meta.frame,
      captureIndex: this.ctx.captureIndex,
      flowId: this.ctx.flow.id,
      src: this.sender(dir),
      dst: this.receiver(dir),
      anomaly,
      detail,
    });
  }

  malformed(dir: Dir, detail: string): void {
    this.ctx.count('malformed');
    this.anomaly(dir, 'malformed', detail);
  }

  /**
   * A fact about the host at ip/mac ('' = unknown). Subjects that are not a host (group MAC, broadcast or
   * multicast IP, 0.0.0.0) are dropped from the subject; with nothing left the fact is not emitted.
   */
  fact(ip: string, mac: string, field: FactField, value: string, confidence: number): void {
    const subjectIp = ip !== '' && classifyIp(ip) === 'unicast' ? ip : '';
    const subjectMac = mac !== '' && !isGroupMacText(mac) ? mac : '';
    if ((subjectIp === '' && subjectMac === '') || value === '') return;
    const text = value.length > MAX_FACT_CHARS ? value.slice(0, MAX_FACT_CHARS) : value;
    const key = `${subjectIp}|${subjectMac}|${field}|${text}`;
    if (this.factsSeen.has(key)) return;
    if (this.factsSeen.size < this.maxFactsRemembered) this.factsSeen.add(key);
    else this.ctx.count('facts-remembered-cap');
    const subject: { ip?: string; mac?: string } = {};
    if (subjectIp !== '') subject.ip = subjectIp;
    if (subjectMac !== '') subject.mac = subjectMac;
    this.ctx.sink.emit({
      type: 'asset-fact',
      protocol: this.protocol,
      ts: this.meta.ts,
      frame: this.meta.frame,
      captureIndex: this.ctx.captureIndex,
      subject,
      field,
      value: text,
      confidence,
    });
  }

  /** A fact about the sender of `dir` (its IP, and its MAC when the frame carried one). */
  senderFact(dir: Dir, field: FactField, value: string, confidence: number): void {
    const s = this.sender(dir);
    this.fact(s.ip, s.mac ?? '', field, value, confidence);
  }
}
