/**
 * CDP (Cisco Discovery Protocol): the Cisco counterpart of LLDP — device id, addresses, port, capabilities,
 * software version, platform, native VLAN. Reported like LLDP: once per new or changed advertisement per
 * sender MAC (an 'identify' operation with the neighbour attributes, plus facts about the sender).
 *
 * Routing: CDP is 802.3 LLC SNAP (DSAP 0xAA, OUI 00-00-0C, PID 0x2000). The decoder sets llcDsap = 0xAA and
 * etherType = the SNAP PID, and the engine routes every LLC frame by DSAP, so this analyzer receives all SNAP
 * frames. It keeps CDP and hands Cisco PVST+ BPDUs (PID 0x010B) to the STP analyzer given as `pvst`.
 */
import { AdvertisementTracker } from '../common/advertisements.js';
import type { DecodedPacket } from '../../decode/packet.js';
import type { AssetFactEvent, FactField, OperationEvent } from '../../events/types.js';
import { ip6ToString, macToString } from '../../util/addr.js';
import type { L2Analyzer, L2Context } from '../l2.js';
import { fnvBytes, fnvNumber, fnvStart, ip4At, printable } from '../lldp/text.js';
import { SNAP_OUI_CISCO, SNAP_PID_PVST } from '../stp/parser.js';
import { snapOui } from '../stp/index.js';
import {
  CDP_ADDRESS_IPV4,
  CDP_ADDRESS_IPV6,
  CDP_CAPABILITIES,
  CdpCap,
  CdpParse,
  CdpPdu,
  SNAP_PID_CDP,
  forEachCdpAddress,
  parseCdp,
} from './parser.js';

export interface CdpOptions {
  /** Sender MACs whose last advertisement is remembered (oldest evicted when full; `cdp.senders-cap`). */
  maxSenders: number;
  /** TLVs read per PDU (`cdp.tlvs-cap`). */
  maxTlvs: number;
  /** Addresses listed per advertisement (`cdp.addresses-cap`). */
  maxAddresses: number;
}

export const DEFAULT_CDP_OPTIONS: CdpOptions = { maxSenders: 16384, maxTlvs: 64, maxAddresses: 16 };

const LLC_SAP_SNAP = 0xaa;
const DECLARED = 0.9;
const L2_FLOW_ID = 0;
const PARSE_COUNTERS: Readonly<Record<number, string>> = {
  [CdpParse.TRUNCATED]: 'cdp.truncated',
  [CdpParse.BAD_VERSION]: 'cdp.bad-version',
  [CdpParse.TLV_OVERRUN]: 'cdp.tlv-overrun',
  [CdpParse.TOO_MANY_TLVS]: 'cdp.tlvs-cap',
};
const DUPLEX_NAMES: Readonly<Record<number, string>> = { 0: 'half', 1: 'full' };
const FORWARDING = CdpCap.ROUTER | CdpCap.TRANS_BRIDGE | CdpCap.SR_BRIDGE | CdpCap.SWITCH | CdpCap.REPEATER;

export class CdpAnalyzer implements L2Analyzer {
  readonly name = 'cdp' as const;
  /** 0x2000 is the SNAP PID, for an engine that routes SNAP frames by PID rather than by DSAP. */
  readonly etherTypes: readonly number[] = [SNAP_PID_CDP];
  readonly llcDsaps: readonly number[] = [LLC_SAP_SNAP];
  private readonly options: CdpOptions;
  private readonly pdu = new CdpPdu();
  private readonly senders: AdvertisementTracker;

  constructor(options: Partial<CdpOptions> = {}, private readonly pvst?: L2Analyzer) {
    this.options = { ...DEFAULT_CDP_OPTIONS, ...options };
    this.senders = new AdvertisementTracker('cdp', this.options.maxSenders);
  }

  onFrame(pkt: DecodedPacket, ctx: L2Context): void {
    const buf = pkt.raw;
    const off = pkt.l2PayloadOff;
    if (pkt.llcDsap !== LLC_SAP_SNAP || snapOui(buf, off) !== SNAP_OUI_CISCO) {
      ctx.count('cdp.snap-other');
      return;
    }
    if (pkt.etherType === SNAP_PID_PVST && this.pvst !== undefined) {
      this.pvst.onFrame(pkt, ctx);
      return;
    }
    if (pkt.etherType !== SNAP_PID_CDP) {
      ctx.count('cdp.snap-other');
      return;
    }
    this.senders.startCapture(ctx.captureIndex);
    ctx.count('cdp.frames');
    const len = Math.min(pkt.l2PayloadLen, buf.length - off);
    const result = parseCdp(buf, off, len, this.pdu, this.options.maxTlvs);
    if (result !== CdpParse.OK) {
      ctx.count(PARSE_COUNTERS[result] ?? 'cdp.malformed');
      return;
    }
    const hash = advertisementHash(buf, this.pdu);
    if (this.senders.changed(ctx, pkt.srcMac, hash)) this.report(pkt, buf, ctx);
  }

  private report(pkt: DecodedPacket, buf: Uint8Array, ctx: L2Context): void {
    const pdu = this.pdu;
    const sender = macToString(pkt.srcMac);
    const text = (o: number, l: number): string => (l >= 0 ? printable(buf, o, l) : '');
    const deviceId = text(pdu.deviceIdOff, pdu.deviceIdLen);
    const portId = text(pdu.portIdOff, pdu.portIdLen);
    const platform = text(pdu.platformOff, pdu.platformLen);
    // The software TLV is a multi-line banner; its first line names the image and version.
    const software = pdu.softwareLen >= 0 ? firstLine(buf, pdu.softwareOff, pdu.softwareLen) : '';
    const vtpDomain = text(pdu.vtpDomainOff, pdu.vtpDomainLen);
    const addresses = this.addresses(buf, pdu.addressesOff, pdu.addressesLen, ctx);
    const mgmtAddresses = this.addresses(buf, pdu.mgmtAddressesOff, pdu.mgmtAddressesLen, ctx);

    const attributes: Record<string, string | number | boolean> = { ttl: pdu.ttl, cdp_version: pdu.version };
    if (deviceId) attributes.device_id = deviceId;
    if (portId) attributes.port_id = portId;
    if (platform) attributes.platform = platform;
    if (software) attributes.software_version = software;
    if (pdu.capabilities >= 0) attributes.capabilities = capabilityNames(pdu.capabilities);
    if (addresses.length) attributes.addresses = addresses.join(',');
    if (mgmtAddresses.length) attributes.management_addresses = mgmtAddresses.join(',');
    if (pdu.nativeVlan >= 0) attributes.native_vlan = pdu.nativeVlan;
    if (pdu.duplex >= 0) attributes.duplex = DUPLEX_NAMES[pdu.duplex] ?? `duplex_${pdu.duplex}`;
    if (vtpDomain) attributes.vtp_domain = vtpDomain;
    if (pkt.vlan !== 0) attributes.vlan = pkt.vlan;
    const event: OperationEvent = {
      type: 'operation',
      protocol: 'cdp',
      ts: pkt.ts,
      frame: pkt.frame,
      captureIndex: ctx.captureIndex,
      flowId: L2_FLOW_ID,
      src: { ip: '', port: 0, mac: sender },
      dst: { ip: '', port: 0, mac: macToString(pkt.dstMac) },
      kind: 'identify',
      code: pdu.version,
      codeName: 'cdp_advertisement',
      result: 'unknown',
      attributes,
    };
    if (deviceId) event.object = deviceId;
    ctx.sink.emit(event);

    const subject: AssetFactEvent['subject'] = { mac: sender };
    const ip = firstIpv4(mgmtAddresses) ?? firstIpv4(addresses) ?? mgmtAddresses[0] ?? addresses[0];
    if (ip) subject.ip = ip;
    const fact = (field: FactField, value: string, confidence: number): void => {
      if (!value) return;
      ctx.sink.emit({ type: 'asset-fact', protocol: 'cdp', ts: pkt.ts, frame: pkt.frame, captureIndex: ctx.captureIndex, subject, field, value, confidence });
    };
    fact('hostname', deviceId, DECLARED);
    fact('software', software, DECLARED);
    if (platform) {
      // "cisco WS-C2960-24TT-L", "Cisco IP Phone 7960": the vendor word is a prefix, the rest the model.
      const m = /^cisco\s+(.+)$/i.exec(platform);
      if (m) fact('vendor', 'Cisco', 0.8);
      fact('model', m ? m[1]! : platform, DECLARED);
    }
    const version = /\bVersion\s+([^\s,]+)/.exec(software);
    if (version) fact('firmware', version[1]!, 0.8);
    if (pdu.capabilities >= 0 && (pdu.capabilities & FORWARDING) !== 0) fact('role-hint', 'network-device', 0.8);
  }

  private addresses(buf: Uint8Array, off: number, len: number, ctx: L2Context): string[] {
    const out: string[] = [];
    if (len < 0) return out;
    const max = this.options.maxAddresses;
    const visited = forEachCdpAddress(buf, off, len, max, (family, addrOff) => {
      if (family === CDP_ADDRESS_IPV4) out.push(ip4At(buf, addrOff));
      else if (family === CDP_ADDRESS_IPV6) out.push(ip6ToString(buf, addrOff));
    });
    if (visited >= max && len >= 4 && ((buf[off]! << 24) | (buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!) >>> 0 > max) ctx.count('cdp.addresses-cap');
    return out;
  }
}

function firstIpv4(list: string[]): string | undefined {
  return list.find((a) => !a.includes(':'));
}

function firstLine(buf: Uint8Array, off: number, len: number): string {
  let end = off;
  const limit = Math.min(off + len, buf.length);
  while (end < limit && buf[end] !== 0x0a && buf[end] !== 0x0d) end++;
  return printable(buf, off, end - off);
}

function capabilityNames(bits: number): string {
  let out = '';
  for (let i = 0; i < 32; i++) {
    if ((bits & (1 << i)) === 0) continue;
    if (out) out += ',';
    out += CDP_CAPABILITIES[i] ?? `bit${i}`;
  }
  return out;
}

/** Hash of the identity-bearing TLVs (the TTL countdown excluded). */
function advertisementHash(buf: Uint8Array, pdu: CdpPdu): number {
  let h = fnvStart();
  h = fnvNumber(h, pdu.version);
  h = fnvNumber(h, pdu.deviceIdLen);
  if (pdu.deviceIdLen > 0) h = fnvBytes(h, buf, pdu.deviceIdOff, pdu.deviceIdLen);
  h = fnvNumber(h, pdu.portIdLen);
  if (pdu.portIdLen > 0) h = fnvBytes(h, buf, pdu.portIdOff, pdu.portIdLen);
  h = fnvNumber(h, pdu.softwareLen);
  if (pdu.softwareLen > 0) h = fnvBytes(h, buf, pdu.softwareOff, pdu.softwareLen);
  h = fnvNumber(h, pdu.platformLen);
  if (pdu.platformLen > 0) h = fnvBytes(h, buf, pdu.platformOff, pdu.platformLen);
  h = fnvNumber(h, pdu.vtpDomainLen);
  if (pdu.vtpDomainLen > 0) h = fnvBytes(h, buf, pdu.vtpDomainOff, pdu.vtpDomainLen);
  h = fnvNumber(h, pdu.addressesLen);
  if (pdu.addressesLen > 0) h = fnvBytes(h, buf, pdu.addressesOff, pdu.addressesLen);
  h = fnvNumber(h, pdu.mgmtAddressesLen);
  if (pdu.mgmtAddressesLen > 0) h = fnvBytes(h, buf, pdu.mgmtAddressesOff, pdu.mgmtAddressesLen);
  h = fnvNumber(h, pdu.capabilities);
  h = fnvNumber(h, pdu.nativeVlan);
  return fnvNumber(h, pdu.duplex);
}

/** `pvst`: the STP analyzer that should receive Cisco PVST+ BPDUs (they arrive here, on the SNAP DSAP). */
export function cdpL2Analyzer(options: Partial<CdpOptions> = {}, pvst?: L2Analyzer): CdpAnalyzer {
  return new CdpAnalyzer(options, pvst);
}

export { CdpPdu, CdpParse, parseCdp, forEachCdpAddress } from './parser.js';
