/**
 * LLDP (IEEE 802.1AB, EtherType 0x88cc): what a device says about itself to its link neighbour — names,
 * software, capabilities, management address, port. PROFINET devices must send LLDP, so on an OT network
 * this is also where station names and the SIMATIC-style system identification show up.
 *
 * A device repeats the same LLDPDU every 30 s on every port: the analyzer hashes the identity-bearing TLVs
 * per sender MAC and reports only new or changed advertisements (one 'identify' operation with the neighbour
 * attributes, plus facts about the sender). Senders are remembered in a capped table (`lldp.senders-cap`).
 */
import { AdvertisementTracker } from '../common/advertisements.js';
import type { DecodedPacket } from '../../decode/packet.js';
import type { AssetFactEvent, FactField, OperationEvent } from '../../events/types.js';
import { ip6ToString, macToString } from '../../util/addr.js';
import type { L2Analyzer, L2Context } from '../l2.js';
import { parseSystemIdentification } from './sysdescr.js';
import {
  CHASSIS_ID_SUBTYPES,
  ETHERTYPE_LLDP,
  IANA_AF_IPV4,
  IANA_AF_IPV6,
  LLDP_CAPABILITIES,
  LldpCap,
  LldpParse,
  LldpPdu,
  PORT_ID_SUBTYPES,
  capabilityNames,
  parseLldp,
} from './parser.js';
import { fnvBytes, fnvNumber, fnvStart, hexAt, ip4At, macAt, printable } from './text.js';

export interface LldpOptions {
  /** Sender MACs whose last advertisement is remembered (oldest evicted when full; `lldp.senders-cap`). */
  maxSenders: number;
  /** TLVs read per LLDPDU (`lldp.tlvs-cap`). */
  maxTlvs: number;
}

export const DEFAULT_LLDP_OPTIONS: LldpOptions = { maxSenders: 16384, maxTlvs: 64 };

/** Confidence of what the device declares about itself, and of what is read out of its free-text description. */
const DECLARED = 0.9;
const DESCRIBED = 0.6;
const L2_FLOW_ID = 0;
const PARSE_COUNTERS: Readonly<Record<number, string>> = {
  [LldpParse.MISSING_MANDATORY]: 'lldp.missing-mandatory',
  [LldpParse.TLV_OVERRUN]: 'lldp.tlv-overrun',
  [LldpParse.TOO_MANY_TLVS]: 'lldp.tlvs-cap',
};
/** PROFINET port ids are "port-xyz.<NameOfStation>" (or "port-xyz-rrrrr.<NameOfStation>" for multi-interface). */
const PROFINET_PORT_ID = /^port-\d{3}(?:-\d{5})?\.(.+)$/;

export class LldpAnalyzer implements L2Analyzer {
  readonly name = 'lldp' as const;
  readonly etherTypes: readonly number[] = [ETHERTYPE_LLDP];
  private readonly options: LldpOptions;
  private readonly pdu = new LldpPdu();
  private readonly senders: AdvertisementTracker;

  constructor(options: Partial<LldpOptions> = {}) {
    this.options = { ...DEFAULT_LLDP_OPTIONS, ...options };
    this.senders = new AdvertisementTracker('lldp', this.options.maxSenders);
  }

  onFrame(pkt: DecodedPacket, ctx: L2Context): void {
    this.senders.startCapture(ctx.captureIndex);
    const buf = pkt.raw;
    const off = pkt.l2PayloadOff;
    const len = Math.min(pkt.l2PayloadLen, buf.length - off);
    ctx.count('lldp.frames');
    const result = parseLldp(buf, off, len, this.pdu, this.options.maxTlvs);
    if (result !== LldpParse.OK) {
      ctx.count(PARSE_COUNTERS[result] ?? 'lldp.malformed');
      return;
    }
    const hash = advertisementHash(buf, this.pdu);
    if (this.senders.changed(ctx, pkt.srcMac, hash)) this.report(pkt, buf, ctx);
  }

  private report(pkt: DecodedPacket, buf: Uint8Array, ctx: L2Context): void {
    const pdu = this.pdu;
    const sender = macToString(pkt.srcMac);
    const chassisId = idText(buf, pdu.chassisSubtype, pdu.chassisOff, pdu.chassisLen, 4, 5);
    const portId = idText(buf, pdu.portSubtype, pdu.portOff, pdu.portLen, 3, 4);
    const attributes: Record<string, string | number | boolean> = {
      chassis_id: chassisId,
      chassis_id_subtype: CHASSIS_ID_SUBTYPES[pdu.chassisSubtype] ?? `subtype_${pdu.chassisSubtype}`,
      port_id: portId,
      port_id_subtype: PORT_ID_SUBTYPES[pdu.portSubtype] ?? `subtype_${pdu.portSubtype}`,
      ttl: pdu.ttl,
    };
    const portDescription = pdu.portDescLen >= 0 ? printable(buf, pdu.portDescOff, pdu.portDescLen) : '';
    const systemName = pdu.sysNameLen >= 0 ? printable(buf, pdu.sysNameOff, pdu.sysNameLen) : '';
    const systemDescription = pdu.sysDescLen >= 0 ? printable(buf, pdu.sysDescOff, pdu.sysDescLen) : '';
    if (portDescription) attributes.port_description = portDescription;
    if (systemName) attributes.system_name = systemName;
    if (systemDescription) attributes.system_description = systemDescription;
    if (pdu.systemCaps >= 0) {
      attributes.capabilities = capabilityNames(pdu.systemCaps, LLDP_CAPABILITIES);
      attributes.enabled_capabilities = capabilityNames(pdu.enabledCaps, LLDP_CAPABILITIES);
    }
    const mgmt4 = pdu.mgmt4Off >= 0 ? ip4At(buf, pdu.mgmt4Off) : '';
    const mgmt6 = pdu.mgmt6Off >= 0 ? ip6ToString(buf, pdu.mgmt6Off) : '';
    if (mgmt4) attributes.management_address = mgmt4;
    if (mgmt6) attributes.management_address_v6 = mgmt6;
    if (pdu.portVlan >= 0) attributes.port_vlan = pdu.portVlan;
    if (pdu.pnChassisMacOff >= 0) attributes.profinet_chassis_mac = macAt(buf, pdu.pnChassisMacOff);
    if (pdu.pnRtClass2Status >= 0) {
      attributes.profinet_rtc2_port_status = pdu.pnRtClass2Status;
      attributes.profinet_rtc3_port_status = pdu.pnRtClass3Status;
    }
    if (pkt.vlan !== 0) attributes.vlan = pkt.vlan;

    const event: OperationEvent = {
      type: 'operation',
      protocol: 'lldp',
      ts: pkt.ts,
      frame: pkt.frame,
      captureIndex: ctx.captureIndex,
      flowId: L2_FLOW_ID,
      src: { ip: '', port: 0, mac: sender },
      dst: { ip: '', port: 0, mac: macToString(pkt.dstMac) },
      kind: 'identify',
      code: 0,
      codeName: pdu.ttl === 0 ? 'lldp_shutdown' : 'lldp_advertisement',
      result: 'unknown',
      attributes,
    };
    if (systemName) event.object = systemName;
    ctx.sink.emit(event);
    if (pdu.ttl === 0) return; // a shutdown LLDPDU withdraws the neighbour; it declares nothing new

    const subject: AssetFactEvent['subject'] = { mac: sender };
    const ip = mgmt4 || mgmt6;
    if (ip) subject.ip = ip;
    const fact = (field: FactField, value: string, confidence: number): void => {
      if (!value) return;
      ctx.sink.emit({ type: 'asset-fact', protocol: 'lldp', ts: pkt.ts, frame: pkt.frame, captureIndex: ctx.captureIndex, subject, field, value, confidence });
    };
    fact('hostname', systemName, DECLARED);
    fact('software', systemDescription, DECLARED);
    const identity = systemDescription ? parseSystemIdentification(systemDescription) : null;
    if (identity) {
      fact('vendor', identity.vendor ?? '', DESCRIBED);
      fact('model', identity.model ?? '', DESCRIBED);
      fact('order-number', identity.orderNumber ?? '', DESCRIBED);
      fact('hardware-revision', identity.hardwareRevision ?? '', DESCRIBED);
      fact('firmware', identity.firmware ?? '', DESCRIBED);
    }
    if (isNetworkDevice(pdu.enabledCaps)) fact('role-hint', 'network-device', 0.8);
    if (pdu.profinetTlvs > 0) fact('station-name', profinetStationName(chassisId, pdu.chassisSubtype, portId, pdu.portSubtype), DECLARED);
  }
}

/** Bridges, routers, access points and repeaters forward others' traffic; a "station only" device does not. */
function isNetworkDevice(enabled: number): boolean {
  if (enabled < 0 || (enabled & LldpCap.STATION_ONLY) !== 0) return false;
  return (enabled & (LldpCap.BRIDGE | LldpCap.ROUTER | LldpCap.WLAN_AP | LldpCap.REPEATER)) !== 0;
}

/**
 * PROFINET (IEC 61158-6-10, LLDP for PN): a named device sends its NameOfStation as a locally assigned
 * Chassis ID, and "port-xyz.<NameOfStation>" as its Port ID. An unnamed device sends its MAC instead.
 */
function profinetStationName(chassisId: string, chassisSubtype: number, portId: string, portSubtype: number): string {
  if (chassisSubtype === 7 && chassisId) return chassisId;
  if (portSubtype === 7) {
    const m = PROFINET_PORT_ID.exec(portId);
    if (m) return m[1]!;
  }
  return '';
}

/** Text of a Chassis/Port ID: a MAC, a network address (IANA family + address), else printable text. */
function idText(buf: Uint8Array, subtype: number, off: number, len: number, macSubtype: number, addressSubtype: number): string {
  if (subtype === macSubtype && len === 6) return macAt(buf, off);
  if (subtype === addressSubtype && len >= 1) {
    if (buf[off] === IANA_AF_IPV4 && len === 5) return ip4At(buf, off + 1);
    if (buf[off] === IANA_AF_IPV6 && len === 17) return ip6ToString(buf, off + 1);
    return hexAt(buf, off, len);
  }
  const text = printable(buf, off, len);
  return text || hexAt(buf, off, len);
}

/** Hash of the TLVs that identify the sender (not the TTL countdown or PROFINET's measured delays). */
function advertisementHash(buf: Uint8Array, pdu: LldpPdu): number {
  let h = fnvStart();
  h = fnvNumber(h, pdu.chassisSubtype);
  h = fnvBytes(h, buf, pdu.chassisOff, pdu.chassisLen);
  h = fnvNumber(h, pdu.portSubtype);
  h = fnvBytes(h, buf, pdu.portOff, pdu.portLen);
  h = fnvNumber(h, pdu.ttl === 0 ? 1 : 0);
  h = fnvNumber(h, pdu.portDescLen);
  if (pdu.portDescLen > 0) h = fnvBytes(h, buf, pdu.portDescOff, pdu.portDescLen);
  h = fnvNumber(h, pdu.sysNameLen);
  if (pdu.sysNameLen > 0) h = fnvBytes(h, buf, pdu.sysNameOff, pdu.sysNameLen);
  h = fnvNumber(h, pdu.sysDescLen);
  if (pdu.sysDescLen > 0) h = fnvBytes(h, buf, pdu.sysDescOff, pdu.sysDescLen);
  h = fnvNumber(h, pdu.systemCaps);
  h = fnvNumber(h, pdu.enabledCaps);
  h = fnvNumber(h, pdu.mgmt4Off < 0 ? 0 : 4);
  if (pdu.mgmt4Off >= 0) h = fnvBytes(h, buf, pdu.mgmt4Off, 4);
  h = fnvNumber(h, pdu.mgmt6Off < 0 ? 0 : 16);
  if (pdu.mgmt6Off >= 0) h = fnvBytes(h, buf, pdu.mgmt6Off, 16);
  h = fnvNumber(h, pdu.portVlan);
  if (pdu.pnChassisMacOff >= 0) h = fnvBytes(h, buf, pdu.pnChassisMacOff, 6);
  h = fnvNumber(h, pdu.pnRtClass2Status);
  h = fnvNumber(h, pdu.pnRtClass3Status);
  return h;
}

export function lldpL2Analyzer(options: Partial<LldpOptions> = {}): LldpAnalyzer {
  return new LldpAnalyzer(options);
}

export { LldpPdu, LldpParse, parseLldp } from './parser.js';
export { parseSystemIdentification } from './sysdescr.js';
