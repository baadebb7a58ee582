/**
 * Event stamping for the name/address-service analyzers (DNS, mDNS, LLMNR, NetBIOS, DHCP, DHCPv6):
 * common/flow-events.ts plus facts about hosts named by the payload (an address a DHCP server hands out, a
 * name's owner), not only about the flow's endpoints. Those subjects may be group or unspecified addresses,
 * which are dropped; and periodic announcements repeat them, so they are de-duplicated with a bounded memory
 * (hitting it is counted, the fact is still emitted).
 */
import type { Endpoint, FactField, ProtocolName } from '../../events/types.js';
import { classifyIp, isGroupMacText, parseIp4 } from '../../model/address-class.js';
import { ip4ToString } from '../../util/addr.js';
import type { AnalyzerContext, Dir } from '../analyzer.js';
import { FlowEvents } from '../common/flow-events.js';

/** Distinct facts remembered per flow so that periodic announcements do not repeat them. */
export const MAX_FACTS_REMEMBERED = 256;
/** Longest fact value kept (names, vendor strings); longer ones are cut. */
export const MAX_FACT_CHARS = 255;

/**
 * Facts remembered in a flat list (ip, mac, field, value per fact) and compared field by field before the flow
 * switches to a set of joined keys: most flows state one or two facts, for which building and hashing key
 * strings costs more than the comparison.
 */
const LINEAR_FACTS = 8;

/** endpointFlags bits: what an endpoint's addresses are, as facts and toGroup need them. */
const IP_IS_HOST = 1;
const MAC_IS_HOST = 2;
const IS_GROUP = 4;

/** classifyIp(text) === 'unicast', with the IPv4 case decided without parsing by regular expression. */
export function isUnicastText(text: string): boolean {
  const v4 = parseIp4(text);
  if (v4 >= 0) return v4 !== 0 && v4 < 0xe0000000;
  return classifyIp(text) === 'unicast';
}

/**
 * endpointFlags of the last endpoint addresses classified by any flow: consecutive flows mostly talk to the same
 * server (a resolver, a group address), whose text addresses are then compared instead of parsed.
 */
let lastFlagsIp = '';
let lastFlagsMac: string | undefined;
let lastFlags = -1;

function classifyEndpoint(ep: Endpoint): number {
  if (lastFlags >= 0 && ep.ip === lastFlagsIp && ep.mac === lastFlagsMac) return lastFlags;
  const ipUnicast = isUnicastText(ep.ip);
  const macGroup = ep.mac !== undefined && isGroupMacText(ep.mac);
  let flags = 0;
  if (ipUnicast) flags |= IP_IS_HOST;
  if (ep.mac !== undefined && ep.mac !== '' && !macGroup) flags |= MAC_IS_HOST;
  if (macGroup || !ipUnicast) flags |= IS_GROUP;
  lastFlagsIp = ep.ip;
  lastFlagsMac = ep.mac;
  lastFlags = flags;
  return flags;
}

export class NameServiceEvents extends FlowEvents {
  /** The first host fact emitted, in fields: most flows state one or two facts. firstFactField '' = none yet. */
  private firstFactIp = '';
  private firstFactMac = '';
  private firstFactField = '';
  private firstFactValue = '';
  /** the host facts emitted after the first, LINEAR_FACTS - 1 at most, as ip, mac, field, value; made on the second */
  private factList: string[] | null = null;
  /** keys of the host facts emitted, once there are more than LINEAR_FACTS */
  private factKeys: Set<string> | null = null;
  /**
   * Classification of the last two endpoints looked at (the flow's client and server; they change only when the
   * sides are swapped): their text addresses are parsed once per flow, not per message.
   */
  private flagsEndpointA: Endpoint | null = null;
  private flagsA = 0;
  private flagsEndpointB: Endpoint | null = null;
  private flagsB = 0;

  constructor(
    ctx: AnalyzerContext,
    protocol: ProtocolName,
    private readonly maxFactsRemembered = MAX_FACTS_REMEMBERED,
  ) {
    super(ctx, protocol);
  }

  private endpointFlags(ep: Endpoint): number {
    if (ep === this.flagsEndpointA) return this.flagsA;
    if (ep === this.flagsEndpointB) return this.flagsB;
    const flags = classifyEndpoint(ep);
    this.flagsEndpointB = this.flagsEndpointA;
    this.flagsB = this.flagsA;
    this.flagsEndpointA = ep;
    this.flagsA = flags;
    return flags;
  }

  /** Is the receiving side of `dir` a broadcast/multicast address (so no answer comes back on this flow)? */
  toGroup(dir: Dir): boolean {
    return (this.endpointFlags(this.receiver(dir)) & IS_GROUP) !== 0;
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
    const subjectIp = ip !== '' && isUnicastText(ip) ? ip : '';
    const subjectMac = mac !== '' && !isGroupMacText(mac) ? mac : '';
    this.subjectFact(subjectIp, subjectMac, field, value, confidence);
  }

  /**
   * hostFact for an IPv4 address given as a number, with its text when the caller has it ('' = make it if
   * needed): nothing is parsed back from text.
   */
  hostFactIp4(ip: number, ipText: string, mac: string, field: FactField, value: string, confidence: number): void {
    // classifyIp's IPv4 rules: 0.0.0.0 unspecified, 224/4 and up multicast/reserved/broadcast.
    const subjectIp = ip !== 0 && ip < 0xe0000000 ? (ipText !== '' ? ipText : ip4ToString(ip)) : '';
    const subjectMac = mac !== '' && !isGroupMacText(mac) ? mac : '';
    this.subjectFact(subjectIp, subjectMac, field, value, confidence);
  }

  /** A fact about the sender of `dir` (its IP, and its MAC when the frame carried one). */
  senderFact(dir: Dir, field: FactField, value: string, confidence: number): void {
    const s = this.sender(dir);
    const flags = this.endpointFlags(s);
    this.subjectFact((flags & IP_IS_HOST) !== 0 ? s.ip : '', (flags & MAC_IS_HOST) !== 0 ? s.mac! : '', field, value, confidence);
  }

  /** The fact about an already filtered subject ('' = not a host / unknown). */
  private subjectFact(subjectIp: string, subjectMac: string, field: FactField, value: string, confidence: number): void {
    if ((subjectIp === '' && subjectMac === '') || value === '') return;
    const text = value.length > MAX_FACT_CHARS ? value.slice(0, MAX_FACT_CHARS) : value;
    if (!this.rememberFact(subjectIp, subjectMac, field, text)) return;
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

  /** False when the fact was emitted before; otherwise remembers it (within the cap, else counted). */
  private rememberFact(ip: string, mac: string, field: string, value: string): boolean {
    if (this.factKeys === null) {
      if (this.firstFactField === '') {
        if (this.maxFactsRemembered <= 0) {
          this.ctx.count('facts-remembered-cap');
          return true;
        }
        this.firstFactIp = ip;
        this.firstFactMac = mac;
        this.firstFactField = field;
        this.firstFactValue = value;
        return true;
      }
      if (this.firstFactValue === value && this.firstFactField === field && this.firstFactIp === ip && this.firstFactMac === mac) return false;
      const list = this.factList;
      if (list !== null) {
        for (let i = 0; i < list.length; i += 4) {
          if (list[i] === ip && list[i + 1] === mac && list[i + 2] === field && list[i + 3] === value) return false;
        }
      }
      const count = 1 + (list !== null ? list.length >> 2 : 0);
      if (count >= this.maxFactsRemembered) {
        this.ctx.count('facts-remembered-cap');
        return true;
      }
      if (count < LINEAR_FACTS) {
        if (list === null) this.factList = [ip, mac, field, value];
        else list.push(ip, mac, field, value);
        return true;
      }
      const keys = new Set<string>();
      keys.add(factKey(this.firstFactIp, this.firstFactMac, this.firstFactField, this.firstFactValue));
      if (list !== null) for (let i = 0; i < list.length; i += 4) keys.add(factKey(list[i]!, list[i + 1]!, list[i + 2]!, list[i + 3]!));
      this.factKeys = keys;
      this.factList = null;
    }
    const key = factKey(ip, mac, field, value);
    if (this.factKeys.has(key)) return false;
    if (this.factKeys.size < this.maxFactsRemembered) this.factKeys.add(key);
    else this.ctx.count('facts-remembered-cap');
    return true;
  }
}

/** One key per distinct fact: addresses and field names never contain '|', and the value comes last. */
function factKey(ip: string, mac: string, field: string, value: string): string {
  return `${ip}|${mac}|${field}|${value}`;
}
