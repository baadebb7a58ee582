/**
 * Cisco Discovery Protocol (802.3 LLC SNAP, OUI 00-00-0C, PID 0x2000, to 01:00:0c:cc:cc:cc): a 4-octet header
 * (version, TTL, checksum) and TLVs whose 16-bit length includes their own 4-octet header. Fills a reused
 * CdpPdu with offsets into the frame; never throws, never reads outside [off, off+len).
 */

export const SNAP_PID_CDP = 0x2000;

export const CdpTlv = {
  DEVICE_ID: 0x0001,
  ADDRESSES: 0x0002,
  PORT_ID: 0x0003,
  CAPABILITIES: 0x0004,
  SOFTWARE_VERSION: 0x0005,
  PLATFORM: 0x0006,
  VTP_DOMAIN: 0x0009,
  NATIVE_VLAN: 0x000a,
  DUPLEX: 0x000b,
  MANAGEMENT_ADDRESSES: 0x0016,
} as const;

export const CdpParse = { OK: 0, TRUNCATED: 1, BAD_VERSION: 2, TLV_OVERRUN: 3, TOO_MANY_TLVS: 4 } as const;
export type CdpParse = (typeof CdpParse)[keyof typeof CdpParse];

const HEADER = 4;

/** Offsets of the TLVs' values (after the 4-octet TLV header); length -1 = absent. The first of each kind wins. */
export class CdpPdu {
  version = 0;
  ttl = 0;
  tlvCount = 0;
  deviceIdOff = 0;
  deviceIdLen = -1;
  portIdOff = 0;
  portIdLen = -1;
  softwareOff = 0;
  softwareLen = -1;
  platformOff = 0;
  platformLen = -1;
  vtpDomainOff = 0;
  vtpDomainLen = -1;
  addressesOff = 0;
  addressesLen = -1;
  mgmtAddressesOff = 0;
  mgmtAddressesLen = -1;
  capabilities = -1;
  nativeVlan = -1;
  duplex = -1;

  reset(): void {
    this.version = 0;
    this.ttl = 0;
    this.tlvCount = 0;
    this.deviceIdLen = -1;
    this.portIdLen = -1;
    this.softwareLen = -1;
    this.platformLen = -1;
    this.vtpDomainLen = -1;
    this.addressesLen = -1;
    this.mgmtAddressesLen = -1;
    this.capabilities = -1;
    this.nativeVlan = -1;
    this.duplex = -1;
  }
}

function u16(buf: Uint8Array, off: number): number {
  return (buf[off]! << 8) | buf[off + 1]!;
}

function u32(buf: Uint8Array, off: number): number {
  return ((buf[off]! << 24) | (buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!) >>> 0;
}

export function parseCdp(buf: Uint8Array, off: number, len: number, out: CdpPdu, maxTlvs = 64): CdpParse {
  out.reset();
  const end = Math.min(off + len, buf.length);
  if (off < 0 || end - off < HEADER) return CdpParse.TRUNCATED;
  out.version = buf[off]!;
  out.ttl = buf[off + 1]!;
  if (out.version !== 1 && out.version !== 2) return CdpParse.BAD_VERSION;
  let p = off + HEADER;
  while (p + 4 <= end) {
    const type = u16(buf, p);
    const tlvLen = u16(buf, p + 2);
    // Trailing Ethernet padding is zeros: a zero-length TLV ends the PDU rather than looping.
    if (tlvLen < 4) {
      if (type === 0 && tlvLen === 0) break;
      return CdpParse.TLV_OVERRUN;
    }
    if (p + tlvLen > end) return CdpParse.TLV_OVERRUN;
    if (out.tlvCount >= maxTlvs) return CdpParse.TOO_MANY_TLVS;
    out.tlvCount++;
    const v = p + 4;
    const vLen = tlvLen - 4;
    switch (type) {
      case CdpTlv.DEVICE_ID:
        if (out.deviceIdLen < 0) {
          out.deviceIdOff = v;
          out.deviceIdLen = vLen;
        }
        break;
      case CdpTlv.PORT_ID:
        if (out.portIdLen < 0) {
          out.portIdOff = v;
          out.portIdLen = vLen;
        }
        break;
      case CdpTlv.SOFTWARE_VERSION:
        if (out.softwareLen < 0) {
          out.softwareOff = v;
          out.softwareLen = vLen;
        }
        break;
      case CdpTlv.PLATFORM:
        if (out.platformLen < 0) {
          out.platformOff = v;
          out.platformLen = vLen;
        }
        break;
      case CdpTlv.VTP_DOMAIN:
        if (out.vtpDomainLen < 0) {
          out.vtpDomainOff = v;
          out.vtpDomainLen = vLen;
        }
        break;
      case CdpTlv.ADDRESSES:
        if (out.addressesLen < 0) {
          out.addressesOff = v;
          out.addressesLen = vLen;
        }
        break;
      case CdpTlv.MANAGEMENT_ADDRESSES:
        if (out.mgmtAddressesLen < 0) {
          out.mgmtAddressesOff = v;
          out.mgmtAddressesLen = vLen;
        }
        break;
      case CdpTlv.CAPABILITIES:
        if (vLen >= 4 && out.capabilities < 0) out.capabilities = u32(buf, v);
        break;
      case CdpTlv.NATIVE_VLAN:
        if (vLen >= 2 && out.nativeVlan < 0) out.nativeVlan = u16(buf, v);
        break;
      case CdpTlv.DUPLEX:
        if (vLen >= 1 && out.duplex < 0) out.duplex = buf[v]!;
        break;
    }
    p += tlvLen;
  }
  return CdpParse.OK;
}

export const CDP_ADDRESS_IPV4 = 4;
export const CDP_ADDRESS_IPV6 = 6;

/**
 * Walks an Addresses / Management Addresses value: a 32-bit count, then (protocol type, protocol length,
 * protocol, address length, address) entries. Calls `visit` with the address family (4 = IPv4 via NLPID 0xCC,
 * 6 = IPv6 via 802.2 SNAP 0x86DD, 0 = other) and the address offset/length; stops at `max` entries or at the
 * first entry that does not fit. Returns the number visited.
 */
export function forEachCdpAddress(
  buf: Uint8Array,
  off: number,
  len: number,
  max: number,
  visit: (family: number, addrOff: number, addrLen: number) => void,
): number {
  const end = Math.min(off + len, buf.length);
  if (off < 0 || end - off < 4) return 0;
  const count = u32(buf, off);
  let p = off + 4;
  let visited = 0;
  for (let i = 0; i < count && visited < max; i++) {
    if (p + 2 > end) break;
    const protoType = buf[p]!;
    const protoLen = buf[p + 1]!;
    const protoOff = p + 2;
    if (protoOff + protoLen + 2 > end) break;
    const addrLen = u16(buf, protoOff + protoLen);
    const addrOff = protoOff + protoLen + 2;
    if (addrOff + addrLen > end) break;
    let family = 0;
    if (protoType === 1 && protoLen === 1 && buf[protoOff] === 0xcc && addrLen === 4) family = CDP_ADDRESS_IPV4;
    else if (protoType === 2 && protoLen === 8 && u16(buf, protoOff + 6) === 0x86dd && addrLen === 16) family = CDP_ADDRESS_IPV6;
    visit(family, addrOff, addrLen);
    visited++;
    p = addrOff + addrLen;
  }
  return visited;
}

/** Capability bits (Cisco CDP specification), in bit order. */
export const CDP_CAPABILITIES: readonly string[] = [
  'router', 'trans_bridge', 'source_route_bridge', 'switch', 'host', 'igmp_capable', 'repeater', 'voip_phone',
  'remotely_managed', 'cvta', 'two_port_mac_relay',
];

export const CdpCap = { ROUTER: 0x01, TRANS_BRIDGE: 0x02, SR_BRIDGE: 0x04, SWITCH: 0x08, HOST: 0x10, REPEATER: 0x40 } as const;
