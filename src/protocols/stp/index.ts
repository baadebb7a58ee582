/**
 * Spanning Tree (STP/RSTP/MSTP on LLC SAP 0x42, Cisco PVST+ on SNAP 00-00-0C/0x010B): who the bridges are,
 * who is root, and when the tree changes. Bridges send a BPDU every 2 s per port, so nothing is reported per
 * BPDU: each sender MAC yields one 'role-hint' fact, each spanning-tree domain (VLAN for PVST+, the tagged
 * VLAN otherwise) reports a 'root_change' when the advertised root moves to a new bridge and a
 * 'topology_change' once per topology-change episode (TC flag or TCN after a quiet `topologyChangeHoldSec`).
 */
import type { DecodedPacket } from '../../decode/packet.js';
import type { OperationEvent } from '../../events/types.js';
import { macToString } from '../../util/addr.js';
import type { L2Analyzer, L2Context } from '../l2.js';
import {
  BPDU_TYPE_NAMES,
  BPDU_VERSION_NAMES,
  Bpdu,
  BpduFlag,
  BpduParse,
  LLC_SAP_STP,
  SNAP_OUI_CISCO,
  SNAP_PID_PVST,
  parseBpdu,
} from './parser.js';

export interface StpOptions {
  /** Spanning-tree domains tracked (`stp.domains-cap`; a new domain beyond it is not tracked). */
  maxDomains: number;
  /** Sender MACs already reported as bridges (`stp.senders-cap`). */
  maxSenders: number;
  /** TC flags/TCNs closer together than this belong to one topology change (802.1D: max age + forward delay). */
  topologyChangeHoldSec: number;
}

export const DEFAULT_STP_OPTIONS: StpOptions = { maxDomains: 8192, maxSenders: 16384, topologyChangeHoldSec: 35 };

/** What one spanning-tree domain last advertised. */
interface Domain {
  rootPriority: number;
  rootMac: number;
  /** the root it changed from last time (0/-1 = none): flapping between the same two is reported once */
  otherRootPriority: number;
  otherRootMac: number;
  lastTopologyChange: number;
}

const L2_FLOW_ID = 0;
/** PVST+ domains are keyed apart from 802.1Q-tagged IEEE BPDUs of the same VLAN number. */
const PVST_DOMAIN = 0x10000;
const PARSE_COUNTERS: Readonly<Record<number, string>> = {
  [BpduParse.TRUNCATED]: 'stp.truncated',
  [BpduParse.NOT_STP]: 'stp.not-stp',
  [BpduParse.UNKNOWN_TYPE]: 'stp.unknown-type',
};

export class StpAnalyzer implements L2Analyzer {
  readonly name = 'stp' as const;
  /** Ethernet II never carries STP; 0x010B is the PVST+ SNAP PID, for an engine that routes SNAP by PID. */
  readonly etherTypes: readonly number[] = [SNAP_PID_PVST];
  readonly llcDsaps: readonly number[] = [LLC_SAP_STP];
  private readonly options: StpOptions;
  private readonly bpdu = new Bpdu();
  private readonly domains = new Map<number, Domain>();
  private readonly senders = new Set<number>();
  private captureIndex = -1;

  constructor(options: Partial<StpOptions> = {}) {
    this.options = { ...DEFAULT_STP_OPTIONS, ...options };
  }

  onFrame(pkt: DecodedPacket, ctx: L2Context): void {
    if (ctx.captureIndex !== this.captureIndex) {
      this.captureIndex = ctx.captureIndex;
      this.domains.clear();
      this.senders.clear();
    }
    const buf = pkt.raw;
    const off = pkt.l2PayloadOff;
    const len = Math.min(pkt.l2PayloadLen, buf.length - off);
    let pvst = false;
    if (pkt.llcDsap === 0xaa) {
      if (pkt.etherType !== SNAP_PID_PVST || snapOui(buf, off) !== SNAP_OUI_CISCO) {
        ctx.count('stp.not-stp');
        return;
      }
      pvst = true;
    } else if (pkt.llcDsap !== LLC_SAP_STP) {
      ctx.count('stp.not-stp');
      return;
    }
    ctx.count(pvst ? 'stp.pvst-bpdus' : 'stp.bpdus');
    const bpdu = this.bpdu;
    const result = parseBpdu(buf, off, len, bpdu, pvst);
    if (result !== BpduParse.OK) {
      ctx.count(PARSE_COUNTERS[result] ?? 'stp.malformed');
      return;
    }
    this.learnSender(pkt, ctx);
    const domainKey = pvst ? PVST_DOMAIN | (bpdu.pvstVlan || pkt.vlan) : pkt.vlan;
    const domain = this.domain(domainKey, bpdu, ctx);
    if (domain === null) return;
    if (bpdu.isTcn) {
      ctx.count('stp.tcn');
      this.topologyChange(pkt, domain, domainKey, pvst, 'tcn', ctx);
      return;
    }
    if (domain.rootMac !== bpdu.rootMac || domain.rootPriority !== bpdu.rootPriority) this.rootChange(pkt, domain, domainKey, pvst, ctx);
    if ((bpdu.flags & BpduFlag.TC) !== 0) {
      ctx.count('stp.tc-flag');
      this.topologyChange(pkt, domain, domainKey, pvst, 'tc_flag', ctx);
    }
  }

  /** The domain's state; a new domain starts at the root this BPDU advertises (first sight is no change). */
  private domain(key: number, bpdu: Bpdu, ctx: L2Context): Domain | null {
    let domain = this.domains.get(key);
    if (domain !== undefined) return domain;
    if (this.domains.size >= this.options.maxDomains) {
      ctx.count('stp.domains-cap');
      return null;
    }
    // A TCN carries no root: the domain's root is learnt from its first configuration BPDU.
    domain = {
      rootPriority: bpdu.isTcn ? -1 : bpdu.rootPriority,
      rootMac: bpdu.isTcn ? -1 : bpdu.rootMac,
      otherRootPriority: -1,
      otherRootMac: -1,
      lastTopologyChange: -Infinity,
    };
    this.domains.set(key, domain);
    return domain;
  }

  private rootChange(pkt: DecodedPacket, domain: Domain, key: number, pvst: boolean, ctx: L2Context): void {
    const bpdu = this.bpdu;
    const previousPriority = domain.rootPriority;
    const previousMac = domain.rootMac;
    domain.rootPriority = bpdu.rootPriority;
    domain.rootMac = bpdu.rootMac;
    if (previousMac === -1) return; // the domain was first seen through a TCN
    if (bpdu.rootMac === domain.otherRootMac && bpdu.rootPriority === domain.otherRootPriority) {
      // Back to the root it changed from (convergence, or two bridges fighting): already reported.
      ctx.count('stp.root-change-repeats');
    } else {
      ctx.count('stp.root-changes');
      const event = this.event(pkt, key, pvst, 'root_change', ctx);
      event.attributes!.previous_root = bridgeId(previousPriority, previousMac);
      ctx.sink.emit(event);
    }
    domain.otherRootPriority = previousPriority;
    domain.otherRootMac = previousMac;
  }

  private topologyChange(pkt: DecodedPacket, domain: Domain, key: number, pvst: boolean, via: string, ctx: L2Context): void {
    const quiet = pkt.ts - domain.lastTopologyChange > this.options.topologyChangeHoldSec;
    domain.lastTopologyChange = pkt.ts;
    if (!quiet) return;
    ctx.count('stp.topology-changes');
    const event = this.event(pkt, key, pvst, 'topology_change', ctx);
    event.attributes!.signalled_by = via;
    ctx.sink.emit(event);
  }

  private learnSender(pkt: DecodedPacket, ctx: L2Context): void {
    if (this.senders.has(pkt.srcMac)) return;
    if (this.senders.size >= this.options.maxSenders) {
      ctx.count('stp.senders-cap');
      return;
    }
    this.senders.add(pkt.srcMac);
    ctx.sink.emit({
      type: 'asset-fact',
      protocol: 'stp',
      ts: pkt.ts,
      frame: pkt.frame,
      captureIndex: ctx.captureIndex,
      subject: { mac: macToString(pkt.srcMac) },
      field: 'role-hint',
      value: 'network-device',
      // Sending BPDUs is what bridges do; a host running a software bridge is the rare exception.
      confidence: 0.8,
    });
  }

  private event(pkt: DecodedPacket, key: number, pvst: boolean, codeName: string, ctx: L2Context): OperationEvent {
    const bpdu = this.bpdu;
    const attributes: Record<string, string | number | boolean> = {
      bpdu_type: BPDU_TYPE_NAMES[bpdu.type] ?? `type_${bpdu.type}`,
      version: pvst ? 'pvst+' : (BPDU_VERSION_NAMES[bpdu.version] ?? `version_${bpdu.version}`),
    };
    if (!bpdu.isTcn) {
      attributes.root = bridgeId(bpdu.rootPriority, bpdu.rootMac);
      attributes.root_path_cost = bpdu.rootPathCost;
      attributes.bridge = bridgeId(bpdu.bridgePriority, bpdu.bridgeMac);
      attributes.port_id = `0x${bpdu.portId.toString(16).padStart(4, '0')}`;
      attributes.flags = bpdu.flags;
    }
    const vlan = key & 0xffff;
    if (vlan !== 0) attributes.vlan = vlan;
    return {
      type: 'operation',
      protocol: 'stp',
      ts: pkt.ts,
      frame: pkt.frame,
      captureIndex: ctx.captureIndex,
      flowId: L2_FLOW_ID,
      src: { ip: '', port: 0, mac: macToString(pkt.srcMac) },
      dst: { ip: '', port: 0, mac: macToString(pkt.dstMac) },
      kind: 'configuration',
      code: bpdu.type,
      codeName,
      result: 'unknown',
      attributes,
    };
  }
}

/** "priority/system-id-extension/mac", as tshark splits a bridge identifier (stp.root.prio/.ext/.hw). */
export function bridgeId(priorityField: number, mac: number): string {
  return `${priorityField & 0xf000}/${priorityField & 0x0fff}/${macToString(mac)}`;
}

/** The SNAP OUI before a SNAP payload at `payloadOff` (LLC AA AA 03, OUI, PID), -1 when out of range. */
export function snapOui(buf: Uint8Array, payloadOff: number): number {
  const o = payloadOff - 5;
  if (o < 0 || payloadOff > buf.length) return -1;
  return (buf[o]! << 16) | (buf[o + 1]! << 8) | buf[o + 2]!;
}

export function stpL2Analyzer(options: Partial<StpOptions> = {}): StpAnalyzer {
  return new StpAnalyzer(options);
}

export { Bpdu, BpduParse, parseBpdu } from './parser.js';
