/**
 * The decoded view of one packet. One instance is reused for every packet (no per-packet allocation):
 * the decoder resets and fills it, the flow layer and analyzers read it during the same callback.
 *
 * Addresses are numbers where they fit (MAC: 48-bit integer, IPv4: uint32) and offsets into `l3Buf` for
 * IPv6, so that nothing is turned into a string on the hot path. Strings are made once per new flow/asset.
 */

export const IpProto = { ICMP: 1, IGMP: 2, TCP: 6, UDP: 17, GRE: 47, ICMPV6: 58, SCTP: 132 } as const;

export const EtherType = {
  IPV4: 0x0800,
  ARP: 0x0806,
  VLAN: 0x8100,
  QINQ: 0x88a8,
  VLAN_9100: 0x9100,
  IPV6: 0x86dd,
  MPLS: 0x8847,
  MPLS_MC: 0x8848,
  PPPOE_DISC: 0x8863,
  PPPOE_SESS: 0x8864,
  PROFINET: 0x8892,
  LLDP: 0x88cc,
  GOOSE: 0x88b8,
  SV: 0x88ba,
  ERSPAN_II: 0x88be,
  ERSPAN_III: 0x22eb,
  TEB: 0x6558, // transparent Ethernet bridging (GRE)
  ETHERCAT: 0x88a4,
  PTP: 0x88f7,
} as const;

/** Why decoding stopped early. 0 = fully decoded as far as the decoder goes. */
export const DecodeError = {
  NONE: 0,
  TRUNCATED: 1, // a header ran past the captured bytes
  MALFORMED: 2, // a header field is impossible (bad IHL, bad version, ...)
  UNSUPPORTED_LINK: 3,
  TOO_DEEP: 4, // encapsulation nesting beyond the bound
} as const;

export class DecodedPacket {
  // ---- from the capture record
  frame = 0;
  tsSec = 0;
  tsNsec = 0;
  /** epoch seconds as a float (µs-ish precision); convenient for timeouts and reporting. */
  ts = 0;
  /**
   * The buffer holding the captured frame at raw[rawOff .. rawEnd) — usually the reader's chunk buffer, so
   * bytes outside that range belong to other packets: every read must stay within it.
   */
  raw: Buffer = EMPTY;
  rawOff = 0;
  rawEnd = 0;
  wireLen = 0;

  // ---- link layer (innermost Ethernet header when there are tunnels)
  hasEth = false;
  srcMac = 0; // 48-bit integer, 0 when absent
  dstMac = 0;
  /** Innermost VLAN id (0 = untagged). */
  vlan = 0;
  /** Outermost VLAN id. */
  outerVlan = 0;
  vlanDepth = 0;
  mplsDepth = 0;
  /** Number of tunnel encapsulations removed (GRE, ERSPAN, VXLAN). */
  tunnelDepth = 0;
  /** The EtherType (or LLC/SNAP type) of the innermost payload; 0 for 802.3/LLC without SNAP. */
  etherType = 0;
  /** 802.3 LLC frames: DSAP (for STP 0x42 etc), -1 when not LLC. */
  llcDsap = -1;
  /** Offset of the payload after the innermost link header (for L2 protocols: ARP, LLDP, PROFINET, ...). */
  l2PayloadOff = 0;
  l2PayloadLen = 0;

  // ---- network layer
  ipVersion = 0; // 0 = no IP, 4 or 6
  /** Buffer holding the innermost IP header (raw, or a reassembled datagram). */
  l3Buf: Buffer = EMPTY;
  l3Off = 0;
  src4 = 0; // uint32
  dst4 = 0;
  src6Off = 0; // offset of the 16-byte IPv6 source address in l3Buf
  dst6Off = 0;
  ttl = 0;
  ipId = 0;
  /** True when this packet completed an IP fragment reassembly (l4 fields refer to the reassembled datagram). */
  reassembled = false;
  /** True when the packet is a non-final IP fragment (no L4 to look at yet). */
  fragmentPending = false;
  /** The transport protocol number (IpProto), 0 when none. */
  l4Proto = 0;

  // ---- transport layer
  srcPort = 0;
  dstPort = 0;
  tcpFlags = 0;
  tcpSeq = 0;
  tcpAck = 0;
  tcpWindow = 0;
  icmpType = -1;
  icmpCode = -1;
  /** Application payload (TCP/UDP data, or ICMP body) in `l4Buf`. */
  l4Buf: Buffer = EMPTY;
  payloadOff = 0;
  payloadLen = 0;

  // ---- ARP (when etherType === ARP)
  arpOp = 0;
  arpSenderMac = 0;
  arpSenderIp = 0;
  arpTargetMac = 0;
  arpTargetIp = 0;

  /** DecodeError code for this packet. */
  error = 0;

  reset(): void {
    this.hasEth = false;
    this.srcMac = 0;
    this.dstMac = 0;
    this.vlan = 0;
    this.outerVlan = 0;
    this.vlanDepth = 0;
    this.mplsDepth = 0;
    this.tunnelDepth = 0;
    this.etherType = 0;
    this.llcDsap = -1;
    this.l2PayloadOff = 0;
    this.l2PayloadLen = 0;
    this.ipVersion = 0;
    this.l3Buf = EMPTY;
    this.l3Off = 0;
    this.src4 = 0;
    this.dst4 = 0;
    this.src6Off = 0;
    this.dst6Off = 0;
    this.ttl = 0;
    this.ipId = 0;
    this.reassembled = false;
    this.fragmentPending = false;
    this.l4Proto = 0;
    this.srcPort = 0;
    this.dstPort = 0;
    this.tcpFlags = 0;
    this.tcpSeq = 0;
    this.tcpAck = 0;
    this.tcpWindow = 0;
    this.icmpType = -1;
    this.icmpCode = -1;
    this.l4Buf = EMPTY;
    this.payloadOff = 0;
    this.payloadLen = 0;
    this.arpOp = 0;
    this.arpSenderMac = 0;
    this.arpSenderIp = 0;
    this.arpTargetMac = 0;
    this.arpTargetIp = 0;
    this.error = 0;
  }
}

export const EMPTY: Buffer = Buffer.alloc(0);

export const TcpFlag = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20, ECE: 0x40, CWR: 0x80 } as const;
