/**
 * ARP (EtherType 0x0806): the security view of IP↔MAC claims. The engine already feeds every binding to the
 * inventory; this analyzer reports what a spoofing detector needs — and only when something changes:
 *
 * - `ip_conflict`: an IP claimed by a second MAC while the first one's claim is still fresh (ARP spoofing,
 *   duplicate address). Reported once per pair of MACs, however often the two keep flipping.
 * - `gratuitous_arp`: an announcement (sender IP == target IP), once per (IP, MAC) binding.
 * - `unsolicited_arp_reply`: a reply nobody asked for (no request for that IP within the request window),
 *   once per (IP, MAC) binding — the classic poisoning primitive.
 *
 * The decoder has already parsed the Ethernet/IPv4 ARP fields into pkt.arp*; nothing here reads bytes.
 * Tables are keyed by the uint32 IP (no strings per packet) and capped; the oldest entry is evicted when full.
 */
import type { DecodedPacket } from '../../decode/packet.js';
import type { OperationEvent } from '../../events/types.js';
import { ip4ToString, macToString } from '../../util/addr.js';
import type { L2Analyzer, L2Context } from '../l2.js';

export const ETHERTYPE_ARP = 0x0806;
export const ARP_REQUEST = 1;
export const ARP_REPLY = 2;

export interface ArpOptions {
  /** IP→MAC bindings remembered (oldest evicted when full; counted `arp.bindings-cap`). */
  maxBindings: number;
  /** Outstanding "who-has" requests remembered for telling solicited from unsolicited replies (`arp.requests-cap`). */
  maxPendingRequests: number;
  /** A second MAC claiming an IP within this many seconds of the first MAC's last claim is a conflict. */
  conflictWindowSec: number;
  /** A reply within this many seconds of a request for the same IP is solicited. */
  requestWindowSec: number;
}

export const DEFAULT_ARP_OPTIONS: ArpOptions = {
  maxBindings: 65536,
  maxPendingRequests: 4096,
  conflictWindowSec: 300,
  requestWindowSec: 10,
};

/** Bits of Binding.reported. */
const REPORTED_GRATUITOUS = 1;
const REPORTED_UNSOLICITED = 2;

/** One IP's current owner. `otherMac` is the MAC of the last conflict reported for this IP (0 = none). */
interface Binding {
  mac: number;
  lastClaim: number;
  otherMac: number;
  /** Reported bits for the current (IP, mac) binding; cleared when the owner changes. */
  reported: number;
}

const L2_FLOW_ID = 0; // events that belong to no IP flow

export class ArpAnalyzer implements L2Analyzer {
  readonly name = 'arp' as const;
  readonly etherTypes: readonly number[] = [ETHERTYPE_ARP];
  private readonly options: ArpOptions;
  private readonly bindings = new Map<number, Binding>();
  /** asked IP → time of the last request for it */
  private readonly requests = new Map<number, number>();
  private captureIndex = -1;

  constructor(options: Partial<ArpOptions> = {}) {
    this.options = { ...DEFAULT_ARP_OPTIONS, ...options };
  }

  onFrame(pkt: DecodedPacket, ctx: L2Context): void {
    const op = pkt.arpOp;
    if (op === 0) {
      // Not Ethernet/IPv4 ARP, or truncated: the decoder left the fields empty.
      ctx.count('arp.unparsed');
      return;
    }
    if (ctx.captureIndex !== this.captureIndex) {
      // Different files are different vantage points or times: claims do not carry over.
      this.captureIndex = ctx.captureIndex;
      this.bindings.clear();
      this.requests.clear();
    }
    ctx.count('arp.frames');
    if (op !== ARP_REQUEST && op !== ARP_REPLY) {
      ctx.count('arp.other-opcode');
      return;
    }
    if (pkt.hasEth && pkt.srcMac !== pkt.arpSenderMac) ctx.count('arp.sender-mac-mismatch');
    const senderIp = pkt.arpSenderIp;
    const targetIp = pkt.arpTargetIp;
    if (senderIp === 0) {
      // RFC 5227 probe: "is anyone using targetIp?" — proves the MAC exists, claims nothing.
      ctx.count('arp.probes');
      if (op === ARP_REQUEST) this.rememberRequest(targetIp, pkt.ts, ctx);
      return;
    }
    const gratuitous = senderIp === targetIp;
    if (op === ARP_REQUEST && !gratuitous) this.rememberRequest(targetIp, pkt.ts, ctx);
    if (gratuitous) ctx.count('arp.gratuitous');

    let unsolicited = false;
    if (op === ARP_REPLY && !gratuitous) {
      const asked = this.requests.get(senderIp);
      unsolicited = asked === undefined || pkt.ts - asked > this.options.requestWindowSec;
      if (unsolicited) ctx.count('arp.unsolicited-replies');
    }
    this.claim(pkt, senderIp, pkt.arpSenderMac, op, gratuitous, unsolicited, ctx);
  }

  private claim(pkt: DecodedPacket, ip: number, mac: number, op: number, gratuitous: boolean, unsolicited: boolean, ctx: L2Context): void {
    const ts = pkt.ts;
    let binding = this.bindings.get(ip);
    if (binding === undefined) {
      if (this.bindings.size >= this.options.maxBindings) {
        ctx.count('arp.bindings-cap');
        this.evictOldest(this.bindings);
      }
      binding = { mac, lastClaim: ts, otherMac: 0, reported: 0 };
      this.bindings.set(ip, binding);
    } else if (binding.mac !== mac) {
      const previous = binding.mac;
      const fresh = ts - binding.lastClaim <= this.options.conflictWindowSec;
      if (mac === binding.otherMac) {
        // The same two MACs fighting over the IP again: already reported.
        ctx.count('arp.conflict-repeats');
        binding.otherMac = previous;
      } else if (fresh) {
        ctx.count('arp.conflicts');
        this.emit(pkt, 'ip_conflict', ip, op, previous, mac, gratuitous, unsolicited, ctx);
        binding.otherMac = previous;
      } else {
        // The old owner went quiet long ago: a device replaced or an address reassigned.
        ctx.count('arp.rebinds');
        binding.otherMac = 0;
      }
      binding.mac = mac;
      binding.reported = 0;
      binding.lastClaim = ts;
      // A conflict already says everything about this claim.
      if (fresh) binding.reported = REPORTED_GRATUITOUS | REPORTED_UNSOLICITED;
    }
    binding.lastClaim = ts;
    if (gratuitous && (binding.reported & REPORTED_GRATUITOUS) === 0) {
      binding.reported |= REPORTED_GRATUITOUS;
      this.emit(pkt, 'gratuitous_arp', ip, op, 0, mac, true, false, ctx);
    } else if (unsolicited && (binding.reported & REPORTED_UNSOLICITED) === 0) {
      binding.reported |= REPORTED_UNSOLICITED;
      this.emit(pkt, 'unsolicited_arp_reply', ip, op, 0, mac, false, true, ctx);
    }
  }

  private rememberRequest(ip: number, ts: number, ctx: L2Context): void {
    if (!this.requests.has(ip) && this.requests.size >= this.options.maxPendingRequests) {
      ctx.count('arp.requests-cap');
      this.evictOldest(this.requests);
    }
    // Re-inserting moves the key to the end of the Map's order, so eviction takes the least recently asked IP.
    this.requests.delete(ip);
    this.requests.set(ip, ts);
  }

  private evictOldest(map: Map<number, unknown>): void {
    for (const key of map.keys()) {
      map.delete(key);
      return;
    }
  }

  private emit(
    pkt: DecodedPacket,
    codeName: string,
    ip: number,
    op: number,
    previousMac: number,
    newMac: number,
    gratuitous: boolean,
    unsolicited: boolean,
    ctx: L2Context,
  ): void {
    const attributes: Record<string, string | number | boolean> = { ip: ip4ToString(ip), new_mac: macToString(newMac) };
    if (previousMac !== 0) attributes.previous_mac = macToString(previousMac);
    if (gratuitous) attributes.gratuitous = true;
    if (unsolicited) attributes.unsolicited = true;
    if (pkt.hasEth && pkt.srcMac !== newMac) attributes.eth_src = macToString(pkt.srcMac);
    if (pkt.vlan !== 0) attributes.vlan = pkt.vlan;
    const event: OperationEvent = {
      type: 'operation',
      protocol: 'arp',
      ts: pkt.ts,
      frame: pkt.frame,
      captureIndex: ctx.captureIndex,
      flowId: L2_FLOW_ID,
      src: { ip: '', port: 0, mac: macToString(pkt.hasEth ? pkt.srcMac : newMac) },
      dst: { ip: '', port: 0, mac: macToString(pkt.hasEth ? pkt.dstMac : pkt.arpTargetMac) },
      kind: 'other',
      code: op,
      codeName,
      result: 'unknown',
      attributes,
    };
    ctx.sink.emit(event);
  }
}

export function arpL2Analyzer(options: Partial<ArpOptions> = {}): ArpAnalyzer {
  return new ArpAnalyzer(options);
}
