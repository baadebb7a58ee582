/**
 * LLDPDU parser (IEEE 802.1AB-2016 §8): a sequence of TLVs, 7-bit type and 9-bit length, ending with an End
 * TLV or the frame. Fills a reused LldpPdu with offsets into the frame; never throws, never reads outside
 * [off, off+len). Organisation-specific TLVs kept: IEEE 802.1 Port VLAN ID, PROFINET (OUI 00-0E-CF) port
 * status and chassis MAC.
 */

export const ETHERTYPE_LLDP = 0x88cc;

export const LldpTlv = {
  END: 0,
  CHASSIS_ID: 1,
  PORT_ID: 2,
  TTL: 3,
  PORT_DESCRIPTION: 4,
  SYSTEM_NAME: 5,
  SYSTEM_DESCRIPTION: 6,
  SYSTEM_CAPABILITIES: 7,
  MANAGEMENT_ADDRESS: 8,
  ORGANIZATION_SPECIFIC: 127,
} as const;

export const OUI_IEEE_8021 = 0x0080c2;
export const OUI_PROFINET = 0x000ecf;

export const LldpParse = {
  OK: 0,
  /** fewer than the three mandatory TLVs' worth of bytes, or they are not first and in order */
  MISSING_MANDATORY: 1,
  /** a TLV's length runs past the frame */
  TLV_OVERRUN: 2,
  /** more TLVs than `maxTlvs` */
  TOO_MANY_TLVS: 3,
} as const;
export type LldpParse = (typeof LldpParse)[keyof typeof LldpParse];

/** IANA address family numbers used in Chassis/Port ID "network address" and Management Address TLVs. */
export const IANA_AF_IPV4 = 1;
export const IANA_AF_IPV6 = 2;

/** One parsed LLDPDU. Offsets are into the frame buffer; a length of -1 means the TLV was absent. */
export class LldpPdu {
  tlvCount = 0;
  chassisSubtype = 0;
  chassisOff = 0;
  chassisLen = -1;
  portSubtype = 0;
  portOff = 0;
  portLen = -1;
  ttl = -1;
  portDescOff = 0;
  portDescLen = -1;
  sysNameOff = 0;
  sysNameLen = -1;
  sysDescOff = 0;
  sysDescLen = -1;
  /** System Capabilities TLV: -1 when absent */
  systemCaps = -1;
  enabledCaps = -1;
  /** first IPv4 / IPv6 management address (offset of the 4/16 address octets) */
  mgmt4Off = -1;
  mgmt6Off = -1;
  /** IEEE 802.1 Port VLAN ID, -1 when absent */
  portVlan = -1;
  /** PROFINET TLVs seen (any subtype) */
  profinetTlvs = 0;
  /** PROFINET Chassis MAC (subtype 5): offset of 6 octets, -1 when absent */
  pnChassisMacOff = -1;
  /** PROFINET Port Status (subtype 2): RTClass2/RTClass3 port status, -1 when absent */
  pnRtClass2Status = -1;
  pnRtClass3Status = -1;
  /** true when the End TLV was found (frames may also just stop) */
  ended = false;

  reset(): void {
    this.tlvCount = 0;
    this.chassisSubtype = 0;
    this.chassisOff = 0;
    this.chassisLen = -1;
    this.portSubtype = 0;
    this.portOff = 0;
    this.portLen = -1;
    this.ttl = -1;
    this.portDescOff = 0;
    this.portDescLen = -1;
    this.sysNameOff = 0;
    this.sysNameLen = -1;
    this.sysDescOff = 0;
    this.sysDescLen = -1;
    this.systemCaps = -1;
    this.enabledCaps = -1;
    this.mgmt4Off = -1;
    this.mgmt6Off = -1;
    this.portVlan = -1;
    this.profinetTlvs = 0;
    this.pnChassisMacOff = -1;
    this.pnRtClass2Status = -1;
    this.pnRtClass3Status = -1;
    this.ended = false;
  }
}

function u16(buf: Uint8Array, off: number): number {
  return (buf[off]! << 8) | buf[off + 1]!;
}

/**
 * Parses the LLDPDU at buf[off..off+len). The mandatory Chassis ID, Port ID and TTL TLVs must come first, in
 * that order (§8.2); later TLVs are read in any order, the first of each kind wins.
 */
export function parseLldp(buf: Uint8Array, off: number, len: number, out: LldpPdu, maxTlvs = 64): LldpParse {
  out.reset();
  const end = Math.min(off + len, buf.length);
  let p = Math.max(off, 0);
  while (p + 2 <= end) {
    const header = u16(buf, p);
    const type = header >> 9;
    const tlvLen = header & 0x1ff;
    const v = p + 2;
    if (type === LldpTlv.END) {
      out.ended = true;
      break;
    }
    if (v + tlvLen > end) return LldpParse.TLV_OVERRUN;
    if (out.tlvCount >= maxTlvs) return LldpParse.TOO_MANY_TLVS;
    const index = out.tlvCount++;
    if (index === 0 && type !== LldpTlv.CHASSIS_ID) return LldpParse.MISSING_MANDATORY;
    if (index === 1 && type !== LldpTlv.PORT_ID) return LldpParse.MISSING_MANDATORY;
    if (index === 2 && type !== LldpTlv.TTL) return LldpParse.MISSING_MANDATORY;
    switch (type) {
      case LldpTlv.CHASSIS_ID:
        if (index !== 0) break;
        if (tlvLen < 2) return LldpParse.MISSING_MANDATORY;
        out.chassisSubtype = buf[v]!;
        out.chassisOff = v + 1;
        out.chassisLen = tlvLen - 1;
        break;
      case LldpTlv.PORT_ID:
        if (index !== 1) break;
        if (tlvLen < 2) return LldpParse.MISSING_MANDATORY;
        out.portSubtype = buf[v]!;
        out.portOff = v + 1;
        out.portLen = tlvLen - 1;
        break;
      case LldpTlv.TTL:
        if (index !== 2) break;
        if (tlvLen < 2) return LldpParse.MISSING_MANDATORY;
        out.ttl = u16(buf, v);
        break;
      case LldpTlv.PORT_DESCRIPTION:
        if (out.portDescLen < 0) {
          out.portDescOff = v;
          out.portDescLen = tlvLen;
        }
        break;
      case LldpTlv.SYSTEM_NAME:
        if (out.sysNameLen < 0) {
          out.sysNameOff = v;
          out.sysNameLen = tlvLen;
        }
        break;
      case LldpTlv.SYSTEM_DESCRIPTION:
        if (out.sysDescLen < 0) {
          out.sysDescOff = v;
          out.sysDescLen = tlvLen;
        }
        break;
      case LldpTlv.SYSTEM_CAPABILITIES:
        if (tlvLen >= 4 && out.systemCaps < 0) {
          out.systemCaps = u16(buf, v);
          out.enabledCaps = u16(buf, v + 2);
        }
        break;
      case LldpTlv.MANAGEMENT_ADDRESS:
        readManagementAddress(buf, v, tlvLen, out);
        break;
      case LldpTlv.ORGANIZATION_SPECIFIC:
        readOrganizationSpecific(buf, v, tlvLen, out);
        break;
    }
    p = v + tlvLen;
  }
  return out.tlvCount >= 3 ? LldpParse.OK : LldpParse.MISSING_MANDATORY;
}

/** Address string length (covers the subtype octet), subtype, address, interface subtype/number, OID. */
function readManagementAddress(buf: Uint8Array, v: number, tlvLen: number, out: LldpPdu): void {
  if (tlvLen < 2) return;
  const addrStringLen = buf[v]!;
  if (addrStringLen < 2 || 1 + addrStringLen > tlvLen) return;
  const family = buf[v + 1]!;
  const addrLen = addrStringLen - 1;
  if (family === IANA_AF_IPV4 && addrLen === 4 && out.mgmt4Off < 0) out.mgmt4Off = v + 2;
  else if (family === IANA_AF_IPV6 && addrLen === 16 && out.mgmt6Off < 0) out.mgmt6Off = v + 2;
}

function readOrganizationSpecific(buf: Uint8Array, v: number, tlvLen: number, out: LldpPdu): void {
  if (tlvLen < 4) return;
  const oui = (buf[v]! << 16) | (buf[v + 1]! << 8) | buf[v + 2]!;
  const subtype = buf[v + 3]!;
  const d = v + 4;
  const dataLen = tlvLen - 4;
  if (oui === OUI_IEEE_8021) {
    if (subtype === 1 && dataLen >= 2 && out.portVlan < 0) out.portVlan = u16(buf, d);
  } else if (oui === OUI_PROFINET) {
    out.profinetTlvs++;
    if (subtype === 2 && dataLen >= 4 && out.pnRtClass2Status < 0) {
      out.pnRtClass2Status = u16(buf, d);
      out.pnRtClass3Status = u16(buf, d + 2);
    } else if (subtype === 5 && dataLen >= 6 && out.pnChassisMacOff < 0) {
      out.pnChassisMacOff = d;
    }
  }
}

export const CHASSIS_ID_SUBTYPES: Readonly<Record<number, string>> = {
  1: 'chassis_component',
  2: 'interface_alias',
  3: 'port_component',
  4: 'mac_address',
  5: 'network_address',
  6: 'interface_name',
  7: 'locally_assigned',
};

export const PORT_ID_SUBTYPES: Readonly<Record<number, string>> = {
  1: 'interface_alias',
  2: 'port_component',
  3: 'mac_address',
  4: 'network_address',
  5: 'interface_name',
  6: 'agent_circuit_id',
  7: 'locally_assigned',
};

/** System capability bits (§8.5.8.1), in bit order. */
export const LLDP_CAPABILITIES: readonly string[] = [
  'other', 'repeater', 'bridge', 'wlan_access_point', 'router', 'telephone', 'docsis', 'station_only',
  'c_vlan', 's_vlan', 'tpmr',
];

export const LldpCap = { REPEATER: 0x02, BRIDGE: 0x04, WLAN_AP: 0x08, ROUTER: 0x10, STATION_ONLY: 0x80 } as const;

export function capabilityNames(bits: number, names: readonly string[]): string {
  let out = '';
  for (let i = 0; i < 16; i++) {
    if ((bits & (1 << i)) === 0) continue;
    if (out) out += ',';
    out += names[i] ?? `bit${i}`;
  }
  return out;
}
