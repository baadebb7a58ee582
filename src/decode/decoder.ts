/**
 * Zero-copy packet decoder: link layer -> (tunnels ->) IP -> transport, into one reused DecodedPacket.
 *
 * Hot-path rules: no allocation per packet (numbers and offsets only; MACs and IPv4 addresses as numbers),
 * every read is preceded by a length check against the current layer's end, nothing throws. Encapsulation
 * nesting (VLAN tags, MPLS labels, tunnels, reassembled datagrams) is bounded by `maxDepth`.
 *
 * Tunnels (GRE incl. ERSPAN I/II/III and PPTP/PPP, VXLAN, Geneve, IP-in-IP, MPLS pseudowires) are decoded
 * down to the innermost packet: at tunnel entry every link/network/transport field is reset, so the inner
 * frame's MACs, VLAN tags, addresses and ports win and `tunnelDepth` counts how many were removed.
 *
 * Offsets: `l2PayloadOff/Len` index `out.raw` (they are left 0 when the L2 payload lives in a reassembled
 * datagram, which has no place in `raw`); `l3Off`, `src6Off`, `dst6Off` index `out.l3Buf`; `payloadOff/Len`
 * index `out.l4Buf`.
 */
import { LinkType, type PacketRecord } from '../capture/types.js';
import { DecodedPacket, DecodeError, EtherType, IpProto } from './packet.js';
import { DEFAULT_FRAGMENT_LIMITS, IpFragmentReassembler, type FragmentCounters } from './ip-fragments.js';
import { ip4ToString, ip6ToString, macToString } from '../util/addr.js';
import { be16, be32, be48, checkBounds, le32, STRICT_BOUNDS } from '../util/bytes.js';

export interface PacketDecoderOptions {
  /** Bytes of IP fragment payload buffered at once (all datagrams). Default 4 MiB. */
  maxFragmentBytes?: number;
  /** Incomplete IP datagrams held at once. Default 1024. */
  maxFragmentDatagrams?: number;
  /** Packet-time seconds an incomplete datagram waits for its fragments. Default 30. */
  fragmentTimeoutSec?: number;
  /** Encapsulation headers per packet (VLAN tags + MPLS labels + tunnels + reassemblies). Default 12. */
  maxDepth?: number;
  /** Test hook: false sends every packet through the general path (to compare the common-case one with it). */
  plainFastPath?: boolean;
}

export const DEFAULT_MAX_DEPTH = 12;
/** IPv6 extension headers followed per datagram before giving up (TOO_DEEP). */
export const MAX_IPV6_EXTENSION_HEADERS = 16;

export const UdpPort = { VXLAN: 4789, GENEVE: 6081 } as const;

const GRE_CHECKSUM = 0x8000;
const GRE_ROUTING = 0x4000;
const GRE_KEY = 0x2000;
const GRE_SEQ = 0x1000;
const GRE_ACK = 0x0080; // version 1 (PPTP) only
const GRE_PPP = 0x880b;
const PPP_IPV4 = 0x0021;
const PPP_IPV6 = 0x0057;
const SLL_PROTO_LLC = 0x0004;
const ARPHRD_ETHER = 1;
const ARPHRD_LOOPBACK = 772;
const IPPROTO_IPIP = 4;
const IPPROTO_IPV6 = 41;
const IPPROTO_NONE = 59;
/** Marker for tryTunnel(): the inner payload starts with an Ethernet header rather than an EtherType payload. */
const INNER_ETHERNET = 0;

export class DecoderCounters implements FragmentCounters {
  /** Packets for which decode() returned true. */
  decoded = 0;
  /** Packets for which decode() returned false. */
  undecodable = 0;
  truncated = 0;
  malformed = 0;
  unsupportedLink = 0;
  tooDeep = 0;
  ipv4 = 0;
  ipv6 = 0;
  arp = 0;
  /** 802.3/LLC frames without SNAP. */
  llc = 0;
  /** Frames whose innermost payload is a non-IP, non-ARP EtherType (PROFINET, LLDP, GOOSE, ...). */
  otherEtherType = 0;
  /** Tunnel encapsulations removed. */
  tunnels = 0;
  /** VXLAN/Geneve-looking UDP whose inner frame did not decode, kept as plain UDP. */
  tunnelFallbacks = 0;
  fragments = 0;
  fragmentsReassembled = 0;
  fragmentsDropped = 0;
  fragmentOverlaps = 0;
  fragmentCapHits = 0;
  fragmentTimeouts = 0;
  fragmentInvalid = 0;
}

const readMac = be48;

export class PacketDecoder {
  readonly counters = new DecoderCounters();
  private readonly fragments: IpFragmentReassembler;
  private readonly maxDepth: number;
  private readonly plainFastPath: boolean;
  /** Encapsulation headers consumed so far in the current packet. */
  private depth = 0;
  /** Outer state saved while trying a port-guessed tunnel (VXLAN/Geneve), restored if the inner fails. */
  private readonly saved = new DecodedPacket();

  constructor(opts: PacketDecoderOptions = {}) {
    this.maxDepth = opts.maxDepth ?? DEFAULT_MAX_DEPTH;
    this.plainFastPath = opts.plainFastPath ?? true;
    this.fragments = new IpFragmentReassembler(
      {
        maxBufferedBytes: opts.maxFragmentBytes ?? DEFAULT_FRAGMENT_LIMITS.maxBufferedBytes,
        maxDatagrams: opts.maxFragmentDatagrams ?? DEFAULT_FRAGMENT_LIMITS.maxDatagrams,
        timeoutSec: opts.fragmentTimeoutSec ?? DEFAULT_FRAGMENT_LIMITS.timeoutSec,
      },
      this.counters,
    );
  }

  /** Incomplete datagrams currently buffered. */
  get pendingFragmentDatagrams(): number {
    return this.fragments.size;
  }

  /** Fragment payload bytes currently buffered. */
  get bufferedFragmentBytes(): number {
    return this.fragments.bytes;
  }

  /** Expire incomplete datagrams at packet time `now` (decode() does this itself on every packet). */
  expireFragments(now: number): void {
    this.fragments.expire(now);
  }

  /** End of input: drop whatever is still waiting for fragments (counted as dropped). */
  flushFragments(): void {
    this.fragments.clear();
  }

  /**
   * Decode one captured packet into `out` (reset first). Returns true when something usable was decoded;
   * `out.error` tells why decoding stopped early (it may be set even when true is returned, e.g. an IP
   * packet cut by the snaplen still has its addresses).
   */
  decode(rec: PacketRecord, out: DecodedPacket): boolean {
    out.frame = rec.frame;
    out.tsSec = rec.tsSec;
    out.tsNsec = rec.tsNsec;
    out.ts = rec.tsSec + rec.tsNsec / 1e9;
    // The packet is read in place inside the reader's buffer: offsets below are absolute in `buf`.
    let buf = rec.buf;
    let start = 0;
    let end: number;
    if (buf !== undefined) {
      start = rec.offset ?? 0;
      end = start + rec.capLen;
    } else {
      buf = rec.data;
      end = buf.length;
    }
    out.raw = buf;
    out.rawOff = start;
    out.rawEnd = end;
    out.wireLen = rec.origLen;
    // Only while fragments wait: the call takes the float time, boxed when expire() is not inlined.
    if (this.fragments.size !== 0) this.fragments.expire(out.ts);

    if (rec.linkType === LinkType.ETHERNET && this.plainFastPath && this.plainEthernetIpv4(buf, start, end, out)) {
      this.counters.ipv4++;
      this.counters.decoded++;
      return true;
    }
    out.reset();
    this.depth = 0;

    switch (rec.linkType) {
      case LinkType.ETHERNET:
        this.ethernet(buf, start, end, out);
        break;
      case LinkType.LINUX_SLL:
        this.sll(buf, start, end, out);
        break;
      case LinkType.LINUX_SLL2:
        this.sll2(buf, start, end, out);
        break;
      case LinkType.RAW:
      case LinkType.IPV4:
      case LinkType.IPV6:
        this.ipByVersion(buf, start, end, out);
        break;
      case LinkType.NULL:
        this.loopback(buf, start, end, out, false);
        break;
      case LinkType.LOOP:
        this.loopback(buf, start, end, out, true);
        break;
      default:
        this.fail(out, DecodeError.UNSUPPORTED_LINK);
    }

    const c = this.counters;
    switch (out.error) {
      case DecodeError.TRUNCATED:
        c.truncated++;
        break;
      case DecodeError.MALFORMED:
        c.malformed++;
        break;
      case DecodeError.UNSUPPORTED_LINK:
        c.unsupportedLink++;
        break;
      case DecodeError.TOO_DEEP:
        c.tooDeep++;
        break;
    }
    if (out.ipVersion === 4) c.ipv4++;
    else if (out.ipVersion === 6) c.ipv6++;
    else if (out.etherType === EtherType.ARP) c.arp++;
    else if (out.etherType !== 0) c.otherEtherType++;
    else if (out.llcDsap >= 0) c.llc++;

    const useful =
      out.hasEth || out.srcMac !== 0 || out.ipVersion !== 0 || out.etherType !== 0 || out.llcDsap >= 0 || out.tunnelDepth > 0;
    if (useful) c.decoded++;
    else c.undecodable++;
    return useful;
  }

  /**
   * The common case in one pass: Ethernet II, at most one 802.1Q tag, IPv4 without options or fragmentation,
   * a complete TCP or UDP header, everything inside the captured bytes. It writes every DecodedPacket field
   * itself (instead of reset() and then the layer-by-layer writes) and returns true; any other packet returns
   * false before anything observable differs and takes the general path, which resets what was written.
   * The results are exactly the general path's for the packets it accepts (a property test compares them).
   */
  private plainEthernetIpv4(buf: Buffer, off: number, end: number, out: DecodedPacket): boolean {
    if (end - off < 34) return false;
    if (STRICT_BOUNDS) checkBounds(buf, off, 34);
    let ip = off + 14;
    let vlan = 0;
    let vlanDepth = 0;
    if (buf[off + 12] === 0x81 && buf[off + 13] === 0x00) {
      // One 802.1Q tag (what a SPAN port of a VLAN-segmented plant delivers), if the depth bound allows one.
      if (end - off < 38 || this.maxDepth < 1 || buf[off + 16] !== 0x08 || buf[off + 17] !== 0x00) return false;
      if (STRICT_BOUNDS) checkBounds(buf, off, 38);
      vlan = ((buf[off + 14]! << 8) | buf[off + 15]!) & 0x0fff;
      vlanDepth = 1;
      ip = off + 18;
    } else if (buf[off + 12] !== 0x08 || buf[off + 13] !== 0x00) {
      return false;
    }
    if (buf[ip] !== 0x45) return false;
    const ipEnd = ip + ((buf[ip + 2]! << 8) | buf[ip + 3]!);
    // Total length 0 (TSO), shorter than the header, past the capture, or a fragment: the general path.
    if (ipEnd < ip + 20 || ipEnd > end || (buf[ip + 6]! & 0x3f) !== 0 || buf[ip + 7] !== 0) return false;
    const proto = buf[ip + 9]!;
    const l4 = ip + 20;
    const l4Len = ipEnd - l4;
    let payloadOff: number;
    let payloadLen: number;
    if (proto === IpProto.TCP) {
      if (l4Len < 20) return false;
      if (STRICT_BOUNDS) checkBounds(buf, l4, 20);
      const headerLen = (buf[l4 + 12]! >> 4) * 4;
      if (headerLen < 20 || headerLen > l4Len) return false;
      payloadOff = l4 + headerLen;
      payloadLen = l4Len - headerLen;
      out.tcpSeq = buf[l4 + 4]! * 16777216 + ((buf[l4 + 5]! << 16) | (buf[l4 + 6]! << 8) | buf[l4 + 7]!);
      out.tcpAck = buf[l4 + 8]! * 16777216 + ((buf[l4 + 9]! << 16) | (buf[l4 + 10]! << 8) | buf[l4 + 11]!);
      out.tcpFlags = buf[l4 + 13]!;
      out.tcpWindow = (buf[l4 + 14]! << 8) | buf[l4 + 15]!;
    } else if (proto === IpProto.UDP) {
      if (l4Len < 8) return false;
      if (STRICT_BOUNDS) checkBounds(buf, l4, 8);
      const dstPort = (buf[l4 + 2]! << 8) | buf[l4 + 3]!;
      const udpLen = (buf[l4 + 4]! << 8) | buf[l4 + 5]!;
      // Length 0 or malformed, and the tunnel ports, are the general path's to judge.
      if (udpLen < 8 || dstPort === UdpPort.VXLAN || dstPort === UdpPort.GENEVE) return false;
      payloadOff = l4 + 8;
      payloadLen = (udpLen < l4Len ? udpLen : l4Len) - 8;
      out.tcpSeq = 0;
      out.tcpAck = 0;
      out.tcpFlags = 0;
      out.tcpWindow = 0;
    } else {
      return false;
    }
    out.hasEth = true;
    out.dstMac = ((buf[off]! << 8) | buf[off + 1]!) * 4294967296 + buf[off + 2]! * 16777216 + ((buf[off + 3]! << 16) | (buf[off + 4]! << 8) | buf[off + 5]!);
    out.srcMac = ((buf[off + 6]! << 8) | buf[off + 7]!) * 4294967296 + buf[off + 8]! * 16777216 + ((buf[off + 9]! << 16) | (buf[off + 10]! << 8) | buf[off + 11]!);
    out.vlan = vlan;
    out.outerVlan = vlan;
    out.vlanDepth = vlanDepth;
    out.mplsDepth = 0;
    out.tunnelDepth = 0;
    out.etherType = EtherType.IPV4;
    out.llcDsap = -1;
    out.l2PayloadOff = ip;
    out.l2PayloadLen = end - ip;
    out.ipVersion = 4;
    out.l3Buf = buf;
    out.l3Off = ip;
    out.src4 = buf[ip + 12]! * 16777216 + ((buf[ip + 13]! << 16) | (buf[ip + 14]! << 8) | buf[ip + 15]!);
    out.dst4 = buf[ip + 16]! * 16777216 + ((buf[ip + 17]! << 16) | (buf[ip + 18]! << 8) | buf[ip + 19]!);
    out.src6Off = 0;
    out.dst6Off = 0;
    out.ttl = buf[ip + 8]!;
    out.ipId = (buf[ip + 4]! << 8) | buf[ip + 5]!;
    out.reassembled = false;
    out.fragmentPending = false;
    out.l4Proto = proto;
    out.srcPort = (buf[l4]! << 8) | buf[l4 + 1]!;
    out.dstPort = (buf[l4 + 2]! << 8) | buf[l4 + 3]!;
    out.icmpType = -1;
    out.icmpCode = -1;
    out.l4Buf = buf;
    out.payloadOff = payloadOff;
    out.payloadLen = payloadLen;
    out.arpOp = 0;
    out.arpSenderMac = 0;
    out.arpSenderIp = 0;
    out.arpTargetMac = 0;
    out.arpTargetIp = 0;
    out.error = DecodeError.NONE;
    return true;
  }

  // ------------------------------------------------------------------ helpers

  /** Record the first reason decoding stopped (outer causes explain inner ones). */
  private fail(out: DecodedPacket, code: number): void {
    if (out.error === DecodeError.NONE) out.error = code;
  }

  /** Count one more encapsulation header; false (and TOO_DEEP) past the bound. */
  private enterLayer(out: DecodedPacket): boolean {
    if (++this.depth > this.maxDepth) {
      this.fail(out, DecodeError.TOO_DEEP);
      return false;
    }
    return true;
  }

  /** Forget everything learned about the outer packet; the tunnel's inner packet wins. */
  private enterTunnel(out: DecodedPacket): boolean {
    if (!this.enterLayer(out)) return false;
    const tunnelDepth = out.tunnelDepth + 1;
    const error = out.error;
    const reassembled = out.reassembled;
    out.reset();
    out.tunnelDepth = tunnelDepth;
    out.error = error;
    out.reassembled = reassembled;
    this.counters.tunnels++;
    return true;
  }

  private setL2Payload(buf: Buffer, off: number, end: number, out: DecodedPacket): void {
    if (buf !== out.raw || off > end) return;
    out.l2PayloadOff = off;
    out.l2PayloadLen = end - off;
  }

  // ------------------------------------------------------------------ link layer

  private ethernet(buf: Buffer, off: number, end: number, out: DecodedPacket): void {
    if (end - off < 14) {
      this.fail(out, DecodeError.TRUNCATED);
      return;
    }
    out.hasEth = true;
    if (STRICT_BOUNDS) checkBounds(buf, off, 12);
    // The two MACs read in place rather than through be48: a call here is not inlined and boxes its result.
    out.dstMac = ((buf[off]! << 8) | buf[off + 1]!) * 4294967296 + buf[off + 2]! * 16777216 + ((buf[off + 3]! << 16) | (buf[off + 4]! << 8) | buf[off + 5]!);
    out.srcMac = ((buf[off + 6]! << 8) | buf[off + 7]!) * 4294967296 + buf[off + 8]! * 16777216 + ((buf[off + 9]! << 16) | (buf[off + 10]! << 8) | buf[off + 11]!);
    const typeOrLength = be16(buf, off + 12);
    if (typeOrLength < 0x0600) this.ieee8023(typeOrLength, buf, off + 14, end, out);
    else this.etherType(typeOrLength, buf, off + 14, end, out);
  }

  /** 802.3 length field: the frame is LLC; the length also trims Ethernet padding. */
  private ieee8023(length: number, buf: Buffer, off: number, end: number, out: DecodedPacket): void {
    let llcEnd = off + length;
    if (llcEnd > end) {
      this.fail(out, DecodeError.TRUNCATED);
      llcEnd = end;
    }
    this.llc(buf, off, llcEnd, out);
  }

  private llc(buf: Buffer, off: number, end: number, out: DecodedPacket): void {
    if (end - off < 3) {
      this.fail(out, DecodeError.TRUNCATED);
      return;
    }
    const dsap = buf[off]!;
    const ssap = buf[off + 1]!;
    // U-format control is one byte, I/S-format two.
    const headerLen = (buf[off + 2]! & 3) === 3 ? 3 : 4;
    if (end - off < headerLen) {
      this.fail(out, DecodeError.TRUNCATED);
      return;
    }
    out.llcDsap = dsap;
    if (dsap === 0xaa && ssap === 0xaa && headerLen === 3) {
      // SNAP: 3-byte OUI, then an EtherType to continue with.
      if (end - off < 8) {
        this.fail(out, DecodeError.TRUNCATED);
        return;
      }
      this.etherType(be16(buf, off + 6), buf, off + 8, end, out);
      return;
    }
    out.etherType = 0;
    this.setL2Payload(buf, off + headerLen, end, out);
  }

  /** Everything after an EtherType: VLAN tags, MPLS, PPPoE, IP, ARP, or an L2 protocol payload. */
  private etherType(type: number, buf: Buffer, off: number, end: number, out: DecodedPacket): void {
    for (;;) {
      switch (type) {
        case EtherType.VLAN:
        case EtherType.QINQ:
        case EtherType.VLAN_9100: {
          if (!this.enterLayer(out)) return;
          if (end - off < 4) {
            out.etherType = type;
            this.fail(out, DecodeError.TRUNCATED);
            return;
          }
          const vid = be16(buf, off) & 0x0fff;
          if (out.vlanDepth === 0) out.outerVlan = vid;
          out.vlan = vid;
          out.vlanDepth++;
          type = be16(buf, off + 2);
          off += 4;
          if (type < 0x0600) {
            this.ieee8023(type, buf, off, end, out);
            return;
          }
          continue;
        }
        case EtherType.MPLS:
        case EtherType.MPLS_MC:
          this.mpls(type, buf, off, end, out);
          return;
        case EtherType.PPPOE_SESS:
          this.pppoe(buf, off, end, out);
          return;
        case EtherType.IPV4:
          out.etherType = type;
          this.setL2Payload(buf, off, end, out);
          this.ipv4(buf, off, end, out);
          return;
        case EtherType.IPV6:
          out.etherType = type;
          this.setL2Payload(buf, off, end, out);
          this.ipv6(buf, off, end, out);
          return;
        case EtherType.ARP:
          out.etherType = type;
          this.setL2Payload(buf, off, end, out);
          this.arp(buf, off, end, out);
          return;
        default:
          out.etherType = type;
          this.setL2Payload(buf, off, end, out);
          return;
      }
    }
  }

  private mpls(type: number, buf: Buffer, off: number, end: number, out: DecodedPacket): void {
    out.etherType = type;
    for (;;) {
      if (!this.enterLayer(out)) return;
      if (end - off < 4) {
        this.fail(out, DecodeError.TRUNCATED);
        return;
      }
      out.mplsDepth++;
      const bottomOfStack = (buf[off + 2]! & 1) === 1;
      off += 4;
      if (bottomOfStack) break;
    }
    this.setL2Payload(buf, off, end, out);
    if (off >= end) return;
    // MPLS carries no payload type: guess from the first nibble, as every analyzer does.
    const nibble = buf[off]! >> 4;
    if (nibble === 4) this.etherType(EtherType.IPV4, buf, off, end, out);
    else if (nibble === 6) this.etherType(EtherType.IPV6, buf, off, end, out);
    else if (nibble === 0 && end - off >= 4 + 14) {
      // Ethernet pseudowire with its 4-byte control word.
      if (this.enterTunnel(out)) this.ethernet(buf, off + 4, end, out);
    }
  }

  private pppoe(buf: Buffer, off: number, end: number, out: DecodedPacket): void {
    out.etherType = EtherType.PPPOE_SESS;
    if (end - off < 8) {
      this.fail(out, DecodeError.TRUNCATED);
      return;
    }
    // The PPPoE length covers the PPP frame and trims Ethernet padding.
    let pppEnd = off + 6 + be16(buf, off + 4);
    if (pppEnd > end) {
      this.fail(out, DecodeError.TRUNCATED);
      pppEnd = end;
    }
    this.setL2Payload(buf, off + 6, pppEnd, out);
    if (pppEnd < off + 8) return;
    const pppProto = be16(buf, off + 6);
    if (pppProto === PPP_IPV4) this.etherType(EtherType.IPV4, buf, off + 8, pppEnd, out);
    else if (pppProto === PPP_IPV6) this.etherType(EtherType.IPV6, buf, off + 8, pppEnd, out);
  }

  private arp(buf: Buffer, off: number, end: number, out: DecodedPacket): void {
    if (end - off < 8) {
      this.fail(out, DecodeError.TRUNCATED);
      return;
    }
    const hwType = be16(buf, off);
    const protoType = be16(buf, off + 2);
    if (hwType !== 1 || protoType !== EtherType.IPV4 || buf[off + 4] !== 6 || buf[off + 5] !== 4) return;
    if (end - off < 28) {
      this.fail(out, DecodeError.TRUNCATED);
      return;
    }
    out.arpOp = be16(buf, off + 6);
    out.arpSenderMac = readMac(buf, off + 8);
    out.arpSenderIp = be32(buf, off + 14);
    out.arpTargetMac = readMac(buf, off + 18);
    out.arpTargetIp = be32(buf, off + 24);
  }

  /** Linux cooked capture v1: 16-byte header, protocol last. */
  private sll(buf: Buffer, s: number, end: number, out: DecodedPacket): void {
    if (end - s < 16) {
      this.fail(out, DecodeError.TRUNCATED);
      return;
    }
    const hwType = be16(buf, s + 2);
    if ((hwType === ARPHRD_ETHER || hwType === ARPHRD_LOOPBACK) && be16(buf, s + 4) === 6) out.srcMac = readMac(buf, s + 6);
    this.sllPayload(be16(buf, s + 14), buf, s + 16, end, out);
  }

  /** Linux cooked capture v2: 20-byte header, protocol first. */
  private sll2(buf: Buffer, s: number, end: number, out: DecodedPacket): void {
    if (end - s < 20) {
      this.fail(out, DecodeError.TRUNCATED);
      return;
    }
    const hwType = be16(buf, s + 8);
    if ((hwType === ARPHRD_ETHER || hwType === ARPHRD_LOOPBACK) && buf[s + 11] === 6) out.srcMac = readMac(buf, s + 12);
    this.sllPayload(be16(buf, s), buf, s + 20, end, out);
  }

  private sllPayload(protocol: number, buf: Buffer, off: number, end: number, out: DecodedPacket): void {
    if (protocol >= 0x0600) this.etherType(protocol, buf, off, end, out);
    else if (protocol === SLL_PROTO_LLC) this.llc(buf, off, end, out);
    // Other small values are Linux pseudo-protocols (802.3 raw, CAN, netlink, ...) we do not decode.
    else this.fail(out, DecodeError.UNSUPPORTED_LINK);
  }

  /** BSD NULL (host byte order, either) and OpenBSD LOOP (network order) 4-byte address family. */
  private loopback(buf: Buffer, s: number, end: number, out: DecodedPacket, networkOrder: boolean): void {
    if (end - s < 4) {
      this.fail(out, DecodeError.TRUNCATED);
      return;
    }
    const be = be32(buf, s);
    const family = networkOrder ? be : isLoopbackFamily(be) ? be : le32(buf, s);
    if (family === 2) this.etherType(EtherType.IPV4, buf, s + 4, end, out);
    else if (family === 24 || family === 28 || family === 30) this.etherType(EtherType.IPV6, buf, s + 4, end, out);
    else this.fail(out, DecodeError.UNSUPPORTED_LINK);
  }

  private ipByVersion(buf: Buffer, off: number, end: number, out: DecodedPacket): void {
    if (end - off < 1) {
      this.fail(out, DecodeError.TRUNCATED);
      return;
    }
    const version = buf[off]! >> 4;
    if (version === 4) this.etherType(EtherType.IPV4, buf, off, end, out);
    else if (version === 6) this.etherType(EtherType.IPV6, buf, off, end, out);
    else this.fail(out, DecodeError.MALFORMED);
  }

  // ------------------------------------------------------------------ network layer

  private ipv4(buf: Buffer, off: number, end: number, out: DecodedPacket): void {
    const avail = end - off;
    if (avail < 1) {
      this.fail(out, DecodeError.TRUNCATED);
      return;
    }
    const versionIhl = buf[off]!;
    if (versionIhl >> 4 !== 4) {
      this.fail(out, DecodeError.MALFORMED);
      return;
    }
    if (avail < 20) {
      this.fail(out, DecodeError.TRUNCATED);
      return;
    }
    const headerLen = (versionIhl & 15) * 4;
    if (headerLen < 20) {
      this.fail(out, DecodeError.MALFORMED);
      return;
    }
    if (headerLen > avail) {
      this.fail(out, DecodeError.TRUNCATED);
      return;
    }
    let totalLen = be16(buf, off + 2);
    // Total length 0 is what TCP segmentation offload leaves in locally captured packets: trust the capture.
    if (totalLen === 0) totalLen = avail;
    if (totalLen < headerLen) {
      this.fail(out, DecodeError.MALFORMED);
      return;
    }
    let ipEnd = off + totalLen;
    if (ipEnd > end) {
      this.fail(out, DecodeError.TRUNCATED);
      ipEnd = end;
    }
    out.ipVersion = 4;
    out.l3Buf = buf;
    out.l3Off = off;
    out.ipId = be16(buf, off + 4);
    out.ttl = buf[off + 8]!;
    const proto = buf[off + 9]!;
    out.l4Proto = proto;
    if (STRICT_BOUNDS) checkBounds(buf, off + 12, 8);
    // Addresses read in place: once tcp() is inlined here the budget no longer covers be32, and a be32 call
    // returns most addresses (above 2^31) as a freshly boxed number.
    out.src4 = buf[off + 12]! * 16777216 + ((buf[off + 13]! << 16) | (buf[off + 14]! << 8) | buf[off + 15]!);
    out.dst4 = buf[off + 16]! * 16777216 + ((buf[off + 17]! << 16) | (buf[off + 18]! << 8) | buf[off + 19]!);

    const fragField = be16(buf, off + 6);
    const more = (fragField & 0x2000) !== 0;
    const fragOffset = (fragField & 0x1fff) * 8;
    if (more || fragOffset !== 0) {
      this.ipv4Fragment(buf, off, headerLen, ipEnd, fragOffset, more, out);
      return;
    }
    this.transport(proto, buf, off + headerLen, ipEnd, out);
  }

  private ipv4Fragment(
    buf: Buffer,
    off: number,
    headerLen: number,
    ipEnd: number,
    fragOffset: number,
    more: boolean,
    out: DecodedPacket,
  ): void {
    out.fragmentPending = true;
    if (out.error === DecodeError.TRUNCATED) {
      // Part of this fragment was not captured: it can never complete a datagram.
      this.counters.fragments++;
      this.counters.fragmentInvalid++;
      this.counters.fragmentsDropped++;
      return;
    }
    const key = `4:${out.src4}:${out.dst4}:${out.ipId}:${out.l4Proto}`;
    const datagram = this.fragments.add(
      key,
      out.ts,
      fragOffset,
      more,
      buf,
      off + headerLen,
      ipEnd - off - headerLen,
      buf,
      off,
      headerLen,
      0,
    );
    if (datagram === null) return;
    // The header is the offset-0 fragment's: make it describe the whole, unfragmented datagram.
    datagram.writeUInt16BE(datagram.length, 2);
    datagram[6] = datagram[6]! & 0x40; // keep DF, clear MF and the offset
    datagram[7] = 0;
    out.fragmentPending = false;
    out.reassembled = true;
    if (!this.enterLayer(out)) return;
    this.ipv4(datagram, 0, datagram.length, out);
  }

  private ipv6(buf: Buffer, off: number, end: number, out: DecodedPacket): void {
    const avail = end - off;
    if (avail < 1) {
      this.fail(out, DecodeError.TRUNCATED);
      return;
    }
    if (buf[off]! >> 4 !== 6) {
      this.fail(out, DecodeError.MALFORMED);
      return;
    }
    if (avail < 40) {
      this.fail(out, DecodeError.TRUNCATED);
      return;
    }
    let ipEnd = off + 40 + be16(buf, off + 4);
    if (ipEnd > end) {
      this.fail(out, DecodeError.TRUNCATED);
      ipEnd = end;
    }
    out.ipVersion = 6;
    out.l3Buf = buf;
    out.l3Off = off;
    out.src6Off = off + 8;
    out.dst6Off = off + 24;
    out.ttl = buf[off + 7]!;

    let next = buf[off + 6]!;
    let p = off + 40;
    for (let headers = 0; ; headers++) {
      if (headers > MAX_IPV6_EXTENSION_HEADERS) {
        this.fail(out, DecodeError.TOO_DEEP);
        return;
      }
      switch (next) {
        case 0: // hop-by-hop
        case 43: // routing
        case 60: // destination options
        case 135: // mobility
        case 139: // HIP
        case 140: // shim6
        case 51: {
          // AH counts its length in 4-byte units minus 2; the other extension headers in 8-byte units minus 1.
          if (ipEnd - p < 2) {
            out.l4Proto = next;
            this.fail(out, DecodeError.TRUNCATED);
            return;
          }
          const len = next === 51 ? (buf[p + 1]! + 2) * 4 : (buf[p + 1]! + 1) * 8;
          if (ipEnd - p < len) {
            out.l4Proto = next;
            this.fail(out, DecodeError.TRUNCATED);
            return;
          }
          next = buf[p]!;
          p += len;
          continue;
        }
        case 44: {
          if (ipEnd - p < 8) {
            out.l4Proto = next;
            this.fail(out, DecodeError.TRUNCATED);
            return;
          }
          const fragNext = buf[p]!;
          const fragField = be16(buf, p + 2);
          const fragOffset = fragField & 0xfff8;
          const more = (fragField & 1) !== 0;
          out.ipId = be32(buf, p + 4);
          if (fragOffset === 0 && !more) {
            // Atomic fragment (RFC 6946): the whole datagram, just go on.
            next = fragNext;
            p += 8;
            continue;
          }
          out.l4Proto = fragNext;
          this.ipv6Fragment(buf, off, p, ipEnd, fragNext, fragOffset, more, out);
          return;
        }
        case IPPROTO_NONE:
          return;
        default:
          out.l4Proto = next;
          this.transport(next, buf, p, ipEnd, out);
          return;
      }
    }
  }

  private ipv6Fragment(
    buf: Buffer,
    off: number,
    fragHeaderOff: number,
    ipEnd: number,
    fragNext: number,
    fragOffset: number,
    more: boolean,
    out: DecodedPacket,
  ): void {
    out.fragmentPending = true;
    if (out.error === DecodeError.TRUNCATED) {
      this.counters.fragments++;
      this.counters.fragmentInvalid++;
      this.counters.fragmentsDropped++;
      return;
    }
    const key = `6:${buf.toString('hex', off + 8, off + 40)}:${out.ipId}`;
    const dataOff = fragHeaderOff + 8;
    // The rebuilt datagram is the fixed header + the fragmentable part; the unfragmentable extension
    // headers of the first fragment are not needed by anything downstream and are dropped.
    const datagram = this.fragments.add(key, out.ts, fragOffset, more, buf, dataOff, ipEnd - dataOff, buf, off, 40, fragNext);
    if (datagram === null) return;
    datagram[6] = this.fragments.lastMeta;
    datagram.writeUInt16BE(datagram.length - 40, 4);
    out.fragmentPending = false;
    out.reassembled = true;
    if (!this.enterLayer(out)) return;
    this.ipv6(datagram, 0, datagram.length, out);
  }

  // ------------------------------------------------------------------ transport layer

  private transport(proto: number, buf: Buffer, off: number, end: number, out: DecodedPacket): void {
    out.l4Proto = proto;
    out.l4Buf = buf;
    switch (proto) {
      case IpProto.TCP:
        this.tcp(buf, off, end, out);
        return;
      case IpProto.UDP:
        this.udp(buf, off, end, out);
        return;
      case IpProto.ICMP:
      case IpProto.ICMPV6:
        this.icmp(buf, off, end, out);
        return;
      case IpProto.SCTP:
        this.sctp(buf, off, end, out);
        return;
      case IpProto.GRE:
        this.gre(buf, off, end, out);
        return;
      case IPPROTO_IPIP:
        if (this.enterTunnel(out)) this.etherType(EtherType.IPV4, buf, off, end, out);
        return;
      case IPPROTO_IPV6:
        if (this.enterTunnel(out)) this.etherType(EtherType.IPV6, buf, off, end, out);
        return;
      default:
        out.payloadOff = off;
        out.payloadLen = end - off;
    }
  }

  private tcp(buf: Buffer, off: number, end: number, out: DecodedPacket): void {
    const avail = end - off;
    if (avail >= 4) {
      out.srcPort = be16(buf, off);
      out.dstPort = be16(buf, off + 2);
    }
    if (avail < 20) {
      this.fail(out, DecodeError.TRUNCATED);
      return;
    }
    if (STRICT_BOUNDS) checkBounds(buf, off + 4, 8);
    // In place for the same reason as the IPv4 addresses (a non-inlined be32 boxes most sequence numbers).
    out.tcpSeq = buf[off + 4]! * 16777216 + ((buf[off + 5]! << 16) | (buf[off + 6]! << 8) | buf[off + 7]!);
    out.tcpAck = buf[off + 8]! * 16777216 + ((buf[off + 9]! << 16) | (buf[off + 10]! << 8) | buf[off + 11]!);
    out.tcpFlags = buf[off + 13]!;
    out.tcpWindow = be16(buf, off + 14);
    const headerLen = (buf[off + 12]! >> 4) * 4;
    if (headerLen < 20) {
      this.fail(out, DecodeError.MALFORMED);
      return;
    }
    if (headerLen > avail) {
      this.fail(out, DecodeError.TRUNCATED);
      return;
    }
    out.payloadOff = off + headerLen;
    out.payloadLen = end - off - headerLen;
  }

  private udp(buf: Buffer, off: number, end: number, out: DecodedPacket): void {
    const avail = end - off;
    if (avail >= 4) {
      out.srcPort = be16(buf, off);
      out.dstPort = be16(buf, off + 2);
    }
    if (avail < 8) {
      this.fail(out, DecodeError.TRUNCATED);
      return;
    }
    const udpLen = be16(buf, off + 4);
    let udpEnd = end;
    if (udpLen >= 8) {
      if (off + udpLen < end) udpEnd = off + udpLen;
    } else if (udpLen !== 0) {
      // 0 is legal only for IPv6 jumbograms; trust the IP length then.
      this.fail(out, DecodeError.MALFORMED);
      return;
    }
    out.payloadOff = off + 8;
    out.payloadLen = udpEnd - off - 8;
    if (out.dstPort === UdpPort.VXLAN) this.vxlan(buf, off + 8, udpEnd, out);
    else if (out.dstPort === UdpPort.GENEVE) this.geneve(buf, off + 8, udpEnd, out);
  }

  private icmp(buf: Buffer, off: number, end: number, out: DecodedPacket): void {
    const avail = end - off;
    if (avail < 4) {
      this.fail(out, DecodeError.TRUNCATED);
      return;
    }
    out.icmpType = buf[off]!;
    out.icmpCode = buf[off + 1]!;
    if (avail < 8) {
      this.fail(out, DecodeError.TRUNCATED);
      return;
    }
    // Body after the 8-byte header (for errors: the offending packet's headers, deliberately not decoded).
    out.payloadOff = off + 8;
    out.payloadLen = avail - 8;
  }

  private sctp(buf: Buffer, off: number, end: number, out: DecodedPacket): void {
    const avail = end - off;
    if (avail < 12) {
      this.fail(out, DecodeError.TRUNCATED);
      return;
    }
    out.srcPort = be16(buf, off);
    out.dstPort = be16(buf, off + 2);
    out.payloadOff = off + 12;
    out.payloadLen = avail - 12;
  }

  // ------------------------------------------------------------------ tunnels

  private gre(buf: Buffer, off: number, end: number, out: DecodedPacket): void {
    if (end - off < 4) {
      this.fail(out, DecodeError.TRUNCATED);
      return;
    }
    const flags = be16(buf, off);
    const proto = be16(buf, off + 2);
    const version = flags & 7;
    let headerLen = 4;
    if (version === 0) {
      if ((flags & (GRE_CHECKSUM | GRE_ROUTING)) !== 0) headerLen += 4;
      if ((flags & GRE_KEY) !== 0) headerLen += 4;
      if ((flags & GRE_SEQ) !== 0) headerLen += 4;
    } else if (version === 1) {
      // Enhanced GRE (PPTP): key (payload length + call id) is mandatory.
      headerLen += 4;
      if ((flags & GRE_SEQ) !== 0) headerLen += 4;
      if ((flags & GRE_ACK) !== 0) headerLen += 4;
    } else {
      this.fail(out, DecodeError.MALFORMED);
      return;
    }
    if (end - off < headerLen) {
      this.fail(out, DecodeError.TRUNCATED);
      return;
    }
    let p = off + headerLen;
    out.payloadOff = p;
    out.payloadLen = end - p;
    // RFC 1701 source routing entries are obsolete; keep the packet as plain GRE.
    if (version === 0 && (flags & GRE_ROUTING) !== 0) return;

    switch (proto) {
      case EtherType.IPV4:
      case EtherType.IPV6:
      case EtherType.MPLS:
      case EtherType.MPLS_MC:
        if (version === 0 && this.enterTunnel(out)) this.etherType(proto, buf, p, end, out);
        return;
      case EtherType.TEB:
        if (version === 0 && this.enterTunnel(out)) this.ethernet(buf, p, end, out);
        return;
      case EtherType.ERSPAN_II:
        // Type II has the sequence bit and an 8-byte ERSPAN header; type I has neither.
        if ((flags & GRE_SEQ) !== 0) {
          if (end - p < 8) {
            this.fail(out, DecodeError.TRUNCATED);
            return;
          }
          p += 8;
        }
        if (this.enterTunnel(out)) this.ethernet(buf, p, end, out);
        return;
      case EtherType.ERSPAN_III: {
        if (end - p < 12) {
          this.fail(out, DecodeError.TRUNCATED);
          return;
        }
        // O bit (last bit of the third word): an 8-byte platform-specific subheader follows.
        const hasPlatformSubheader = (buf[p + 11]! & 1) !== 0;
        p += hasPlatformSubheader ? 20 : 12;
        if (p > end) {
          this.fail(out, DecodeError.TRUNCATED);
          return;
        }
        if (this.enterTunnel(out)) this.ethernet(buf, p, end, out);
        return;
      }
      case GRE_PPP:
        this.grePpp(buf, p, end, out);
        return;
      default:
        return;
    }
  }

  /** PPP inside enhanced GRE (PPTP). Compressed/encrypted PPP (the usual case) stays plain GRE. */
  private grePpp(buf: Buffer, off: number, end: number, out: DecodedPacket): void {
    let p = off;
    if (end - p >= 2 && buf[p] === 0xff && buf[p + 1] === 0x03) p += 2;
    if (end - p < 1) return;
    let pppProto: number;
    if ((buf[p]! & 1) === 1) {
      pppProto = buf[p]!; // protocol field compression
      p += 1;
    } else {
      if (end - p < 2) return;
      pppProto = be16(buf, p);
      p += 2;
    }
    if (pppProto === PPP_IPV4) {
      if (this.enterTunnel(out)) this.etherType(EtherType.IPV4, buf, p, end, out);
    } else if (pppProto === PPP_IPV6) {
      if (this.enterTunnel(out)) this.etherType(EtherType.IPV6, buf, p, end, out);
    }
  }

  private vxlan(buf: Buffer, off: number, end: number, out: DecodedPacket): void {
    // Needs the I flag (valid VNI) and room for an inner Ethernet header; otherwise it is just UDP.
    if (end - off < 8 + 14 || (buf[off]! & 0x08) === 0) return;
    this.tryTunnel(INNER_ETHERNET, buf, off + 8, end, out);
  }

  private geneve(buf: Buffer, off: number, end: number, out: DecodedPacket): void {
    if (end - off < 8 || buf[off]! >> 6 !== 0) return;
    const inner = off + 8 + (buf[off]! & 0x3f) * 4;
    if (inner > end) return;
    const proto = be16(buf, off + 2);
    if (proto === EtherType.TEB) this.tryTunnel(INNER_ETHERNET, buf, inner, end, out);
    else if (proto === EtherType.IPV4 || proto === EtherType.IPV6) this.tryTunnel(proto, buf, inner, end, out);
  }

  /**
   * Tunnels recognised only by UDP port: decode the inner packet, and if it does not decode cleanly put
   * the outer UDP view back (the port was a coincidence or the payload is damaged).
   */
  private tryTunnel(inner: number, buf: Buffer, off: number, end: number, out: DecodedPacket): void {
    const saved = this.saved;
    copyDecodedPacket(out, saved);
    const depth = this.depth;
    if (this.enterTunnel(out)) {
      out.error = DecodeError.NONE;
      if (inner === INNER_ETHERNET) this.ethernet(buf, off, end, out);
      else this.etherType(inner, buf, off, end, out);
      if (out.error === DecodeError.NONE) {
        out.error = saved.error;
        return;
      }
      this.counters.tunnels--;
    }
    copyDecodedPacket(saved, out);
    this.depth = depth;
    this.counters.tunnelFallbacks++;
  }
}

/**
 * Field-by-field copy (monomorphic and allocation-free, unlike Object.assign); used to put the outer view
 * back when a port-guessed tunnel does not decode. A test checks it covers every DecodedPacket field.
 */
export function copyDecodedPacket(from: DecodedPacket, to: DecodedPacket): void {
  to.frame = from.frame;
  to.tsSec = from.tsSec;
  to.tsNsec = from.tsNsec;
  to.ts = from.ts;
  to.raw = from.raw;
  to.rawOff = from.rawOff;
  to.rawEnd = from.rawEnd;
  to.wireLen = from.wireLen;
  to.hasEth = from.hasEth;
  to.srcMac = from.srcMac;
  to.dstMac = from.dstMac;
  to.vlan = from.vlan;
  to.outerVlan = from.outerVlan;
  to.vlanDepth = from.vlanDepth;
  to.mplsDepth = from.mplsDepth;
  to.tunnelDepth = from.tunnelDepth;
  to.etherType = from.etherType;
  to.llcDsap = from.llcDsap;
  to.l2PayloadOff = from.l2PayloadOff;
  to.l2PayloadLen = from.l2PayloadLen;
  to.ipVersion = from.ipVersion;
  to.l3Buf = from.l3Buf;
  to.l3Off = from.l3Off;
  to.src4 = from.src4;
  to.dst4 = from.dst4;
  to.src6Off = from.src6Off;
  to.dst6Off = from.dst6Off;
  to.ttl = from.ttl;
  to.ipId = from.ipId;
  to.reassembled = from.reassembled;
  to.fragmentPending = from.fragmentPending;
  to.l4Proto = from.l4Proto;
  to.srcPort = from.srcPort;
  to.dstPort = from.dstPort;
  to.tcpFlags = from.tcpFlags;
  to.tcpSeq = from.tcpSeq;
  to.tcpAck = from.tcpAck;
  to.tcpWindow = from.tcpWindow;
  to.icmpType = from.icmpType;
  to.icmpCode = from.icmpCode;
  to.l4Buf = from.l4Buf;
  to.payloadOff = from.payloadOff;
  to.payloadLen = from.payloadLen;
  to.arpOp = from.arpOp;
  to.arpSenderMac = from.arpSenderMac;
  to.arpSenderIp = from.arpSenderIp;
  to.arpTargetMac = from.arpTargetMac;
  to.arpTargetIp = from.arpTargetIp;
  to.error = from.error;
}

function isLoopbackFamily(family: number): boolean {
  return family === 2 || family === 24 || family === 28 || family === 30;
}

/** Debug/test view of a decoded packet with readable addresses (allocates: never on the hot path). */
export function describeDecoded(pkt: DecodedPacket): Record<string, unknown> {
  const view: Record<string, unknown> = {
    frame: pkt.frame,
    error: pkt.error,
    tunnelDepth: pkt.tunnelDepth,
    etherType: pkt.etherType,
  };
  if (pkt.hasEth || pkt.srcMac !== 0) {
    view.srcMac = macToString(pkt.srcMac);
    view.dstMac = macToString(pkt.dstMac);
  }
  if (pkt.vlanDepth > 0) Object.assign(view, { vlan: pkt.vlan, outerVlan: pkt.outerVlan, vlanDepth: pkt.vlanDepth });
  if (pkt.mplsDepth > 0) view.mplsDepth = pkt.mplsDepth;
  if (pkt.llcDsap >= 0) view.llcDsap = pkt.llcDsap;
  if (pkt.ipVersion === 4) {
    Object.assign(view, { src: ip4ToString(pkt.src4), dst: ip4ToString(pkt.dst4) });
  } else if (pkt.ipVersion === 6) {
    Object.assign(view, { src: ip6ToString(pkt.l3Buf, pkt.src6Off), dst: ip6ToString(pkt.l3Buf, pkt.dst6Off) });
  }
  if (pkt.ipVersion !== 0) {
    Object.assign(view, { ttl: pkt.ttl, ipId: pkt.ipId, l4Proto: pkt.l4Proto });
    if (pkt.reassembled) view.reassembled = true;
    if (pkt.fragmentPending) view.fragmentPending = true;
  }
  if (pkt.l4Proto === IpProto.TCP || pkt.l4Proto === IpProto.UDP || pkt.l4Proto === IpProto.SCTP) {
    Object.assign(view, { srcPort: pkt.srcPort, dstPort: pkt.dstPort });
  }
  if (pkt.l4Proto === IpProto.TCP) {
    Object.assign(view, { seq: pkt.tcpSeq, ack: pkt.tcpAck, flags: pkt.tcpFlags, window: pkt.tcpWindow });
  }
  if (pkt.icmpType >= 0) Object.assign(view, { icmpType: pkt.icmpType, icmpCode: pkt.icmpCode });
  if (pkt.etherType === EtherType.ARP && pkt.arpOp !== 0) {
    Object.assign(view, {
      arpOp: pkt.arpOp,
      arpSenderMac: macToString(pkt.arpSenderMac),
      arpSenderIp: ip4ToString(pkt.arpSenderIp),
      arpTargetMac: macToString(pkt.arpTargetMac),
      arpTargetIp: ip4ToString(pkt.arpTargetIp),
    });
  }
  if (pkt.payloadLen > 0) view.payload = pkt.l4Buf.toString('hex', pkt.payloadOff, pkt.payloadOff + pkt.payloadLen);
  return view;
}
