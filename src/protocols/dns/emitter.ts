/**
 * Event stamping for the name/address-service analyzers (DNS, mDNS, LLMNR, NetBIOS, DHCP, DHCPv6):
 * common/flow-events.ts plus facts about hosts named by the payload (an address a DHCP server hands out, a
 * name's owner), not only about the flow's endpoints. Those subjects may be group or unspecified addresses,
 * which are dropped; and periodic announcements repeat them, so they are de-duplicated with a bounded memory
 * (hitting it is counted, the fact is still emitted).
 */
import type { FactField, ProtocolName } from '../../events/types.js';
import { classifyIp, isGroupMacText } from '../../model/address-class.js';
import type { AnalyzerContext, Dir } from '../analyzer.js';
import { FlowEvents } from '../common/flow-events.js';

/** Distinct facts remembered per flow so that periodic announcements do not repeat them. */
export const MAX_FACTS_REMEMBERED = 256;
/** Longest fact value kept (names, vendor strings); longer ones are cut. */
export const MAX_FACT_CHARS = 255;

export class NameServiceEvents extends FlowEvents {
  private readonly hostFactsSeen = new Set<string>();

  constructor(
    ctx: AnalyzerContext,
    protocol: ProtocolName,
    private readonly maxFactsRemembered = MAX_FACTS_REMEMBERED,
  ) {
    super(ctx, protocol);
  }

  /** Is the receiving side of `dir` a broadcast/multicast address (so no answer comes back on this flow)? */
  toGroup(dir: Dir): boolean {
    const r = this.receiver(dir);
    if (r.mac !== undefined && isGroupMacText(r.mac)) return true;
    return classifyIp(r.ip) !== 'unicast';
  }

  /** Counts `malformed` (under the analyzer's protocol) and emits the capped anomaly event. */
  malformed(dir: Dir, detail: string): void {
    this.ctx.count('malformed');
    this.anomalyEvent(dir, 'malformed', detail);
  }

  /**
   * A fact about the host at ip/mac ('' = unknown). Subjects that are not a host (group MAC, broadcast or
   * multicast IP, 0.0.0.0) are dropped from the subject; with nothing left the fact is not emitted.
   */
  hostFact(ip: string, mac: string, field: FactField, value: string, confidence: number): void {
    const subjectIp = ip !== '' && classifyIp(ip) === 'unicast' ? ip : '';
    const subjectMac = mac !== '' && !isGroupMacText(mac) ? mac : '';
    if ((subjectIp === '' && subjectMac === '') || value === '') return;
    const text = value.length > MAX_FACT_CHARS ? value.slice(0, MAX_FACT_CHARS) : value;
    const key = `${subjectIp}|${subjectMac}|${field}|${text}`;
    if (this.hostFactsSeen.has(key)) return;
    if (this.hostFactsSeen.size < this.maxFactsRemembered) this.hostFactsSeen.add(key);
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
    this.hostFact(s.ip, s.mac ?? '', field, value, confidence);
  }
}
