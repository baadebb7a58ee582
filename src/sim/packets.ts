/**
 * Frame builders for the simulator: Ethernet (+802.1Q), ARP, IPv4, TCP, UDP, ICMP, all with correct lengths
 * and checksums, written in place into a reusable per-process frame slot (no allocation per frame).
 *
 * The capture point is one SPAN port on the core L3 switch, which sees every frame as it enters the switch:
 * a frame between two hosts of one subnet carries both hosts' MACs; a frame crossing subnets carries the
 * sender's MAC and the router's MAC as destination (tagged with the sender's VLAN); a frame from the
 * Internet carries the router's MAC as source and the receiver's VLAN.
 */
import { copyBytes } from './bytes.js';

export interface SimHost {
  name: string;
  ip: number;
  mac: Buffer;
  vlan: number;
  /** network address and prefix length of the host's subnet */
  subnet: number;
  prefix: number;
  /** outside the plant (Internet): reached through the router */
  external: boolean;
  ttl: number;
  ipId: number;
  nextPort: number;
  portMin: number;
  portMax: number;
}

/** One frame under construction; each simulated process owns one. ts is µs since the Unix epoch. */
export interface FrameSlot {
  buf: Buffer;
  len: number;
  ts: number;
}

export const MAX_FRAME = 1518;
const MIN_FRAME = 60;

export function newSlot(): FrameSlot {
  return { buf: Buffer.alloc(MAX_FRAME + 64), len: 0, ts: 0 };
}

export function ipToNum(s: string): number {
  const p = s.split('.');
  return ((+p[0]! << 24) | (+p[1]! << 16) | (+p[2]! << 8) | +p[3]!) >>> 0;
}

export function numToIp(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

export function macToBuf(s: string): Buffer {
  return Buffer.from(s.split(':').map((h) => parseInt(h, 16)));
}

export function macToStr(b: Buffer): string {
  const parts: string[] = [];
  for (let i = 0; i < 6; i++) parts.push(b[i]!.toString(16).padStart(2, '0'));
  return parts.join(':');
}

export const BROADCAST_MAC = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

export function sameSubnet(a: SimHost, b: SimHost): boolean {
  if (a.external || b.external) return false;
  const mask = a.prefix === 0 ? 0 : (0xffffffff << (32 - a.prefix)) >>> 0;
  return ((a.ip & mask) >>> 0) === a.subnet && ((b.ip & mask) >>> 0) === a.subnet;
}

/** Ones' complement sum of buf[start, end) added to `sum` (not folded). */
export function sumBytes(buf: Buffer, start: number, end: number, sum: number): number {
  let i = start;
  for (; i + 1 < end; i += 2) sum += (buf[i]! << 8) | buf[i + 1]!;
  if (i < end) sum += buf[i]! << 8;
  return sum;
}

export function foldChecksum(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 65536);
  return ~sum & 0xffff;
}

/** The router (core L3 switch) whose MAC is the L2 next hop of every routed frame. */
export class Fabric {
  constructor(readonly routerMac: Buffer) {}

  /** Writes the Ethernet (+ 802.1Q) header for an IP frame from `src` to `dst`; returns the L3 offset. */
  ethForIp(buf: Buffer, src: SimHost, dst: SimHost | null): number {
    let dstMac: Buffer;
    let srcMac: Buffer;
    let vlan: number;
    if (dst === null) {
      dstMac = BROADCAST_MAC;
      srcMac = src.mac;
      vlan = src.vlan;
    } else if (src.external) {
      dstMac = dst.mac;
      srcMac = this.routerMac;
      vlan = dst.vlan;
    } else if (sameSubnet(src, dst)) {
      dstMac = dst.mac;
      srcMac = src.mac;
      vlan = src.vlan;
    } else {
      dstMac = this.routerMac;
      srcMac = src.mac;
      vlan = src.vlan;
    }
    return writeEth(buf, dstMac, srcMac, vlan, 0x0800);
  }
}

export function writeEth(buf: Buffer, dstMac: Buffer, srcMac: Buffer, vlan: number, etherType: number): number {
  copyBytes(dstMac, 0, buf, 0, 6);
  copyBytes(srcMac, 0, buf, 6, 6);
  if (vlan > 0) {
    buf[12] = 0x81;
    buf[13] = 0x00;
    buf[14] = (vlan >>> 8) & 0x0f;
    buf[15] = vlan & 0xff;
    buf[16] = etherType >>> 8;
    buf[17] = etherType & 0xff;
    return 18;
  }
  buf[12] = etherType >>> 8;
  buf[13] = etherType & 0xff;
  return 14;
}

/** Writes a 20-byte IPv4 header (DF set, checksum computed); returns the L4 offset. */
export function writeIpv4(buf: Buffer, off: number, src: SimHost, dstIp: number, proto: number, l4Len: number): number {
  const total = 20 + l4Len;
  buf[off] = 0x45;
  buf[off + 1] = 0;
  buf[off + 2] = total >>> 8;
  buf[off + 3] = total & 0xff;
  src.ipId = (src.ipId + 1) & 0xffff;
  buf[off + 4] = src.ipId >>> 8;
  buf[off + 5] = src.ipId & 0xff;
  buf[off + 6] = 0x40;
  buf[off + 7] = 0;
  buf[off + 8] = src.ttl;
  buf[off + 9] = proto;
  buf[off + 10] = 0;
  buf[off + 11] = 0;
  buf.writeUInt32BE(src.ip, off + 12);
  buf.writeUInt32BE(dstIp, off + 16);
  const c = foldChecksum(sumBytes(buf, off, off + 20, 0));
  buf[off + 10] = c >>> 8;
  buf[off + 11] = c & 0xff;
  return off + 20;
}

function pseudoSum(srcIp: number, dstIp: number, proto: number, l4Len: number): number {
  return (srcIp >>> 16) + (srcIp & 0xffff) + (dstIp >>> 16) + (dstIp & 0xffff) + proto + l4Len;
}

function finishFrame(slot: FrameSlot, end: number): void {
  if (end < MIN_FRAME) {
    slot.buf.fill(0, end, MIN_FRAME);
    end = MIN_FRAME;
  }
  slot.len = end;
}

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;

/** Writes a complete Ethernet/IPv4/TCP frame. `mss` > 0 adds the MSS option (SYN and SYN/ACK). */
export function writeTcpFrame(
  slot: FrameSlot, fab: Fabric, src: SimHost, dst: SimHost, sport: number, dport: number,
  seq: number, ack: number, flags: number, window: number, mss: number,
  payload: Buffer | null, pOff: number, pLen: number,
): void {
  const buf = slot.buf;
  const l3 = fab.ethForIp(buf, src, dst);
  const hdrLen = mss > 0 ? 24 : 20;
  const l4Len = hdrLen + pLen;
  const t = writeIpv4(buf, l3, src, dst.ip, 6, l4Len);
  buf[t] = sport >>> 8;
  buf[t + 1] = sport & 0xff;
  buf[t + 2] = dport >>> 8;
  buf[t + 3] = dport & 0xff;
  buf.writeUInt32BE(seq >>> 0, t + 4);
  buf.writeUInt32BE(ack >>> 0, t + 8);
  buf[t + 12] = (hdrLen / 4) << 4;
  buf[t + 13] = flags;
  buf[t + 14] = window >>> 8;
  buf[t + 15] = window & 0xff;
  buf[t + 16] = 0;
  buf[t + 17] = 0;
  buf[t + 18] = 0;
  buf[t + 19] = 0;
  if (mss > 0) {
    buf[t + 20] = 2;
    buf[t + 21] = 4;
    buf[t + 22] = mss >>> 8;
    buf[t + 23] = mss & 0xff;
  }
  if (pLen > 0 && payload !== null) copyBytes(payload, pOff, buf, t + hdrLen, pLen);
  const c = foldChecksum(sumBytes(buf, t, t + l4Len, pseudoSum(src.ip, dst.ip, 6, l4Len)));
  buf[t + 16] = c >>> 8;
  buf[t + 17] = c & 0xff;
  finishFrame(slot, t + l4Len);
}

/** Writes a complete Ethernet/IPv4/UDP frame; `dst === null` means IPv4 broadcast to `dstIp`. */
export function writeUdpFrame(
  slot: FrameSlot, fab: Fabric, src: SimHost, dst: SimHost | null, dstIp: number, sport: number, dport: number,
  payload: Buffer, pOff: number, pLen: number,
): void {
  const buf = slot.buf;
  const l3 = fab.ethForIp(buf, src, dst);
  const l4Len = 8 + pLen;
  const u = writeIpv4(buf, l3, src, dstIp, 17, l4Len);
  buf[u] = sport >>> 8;
  buf[u + 1] = sport & 0xff;
  buf[u + 2] = dport >>> 8;
  buf[u + 3] = dport & 0xff;
  buf[u + 4] = l4Len >>> 8;
  buf[u + 5] = l4Len & 0xff;
  buf[u + 6] = 0;
  buf[u + 7] = 0;
  copyBytes(payload, pOff, buf, u + 8, pLen);
  let c = foldChecksum(sumBytes(buf, u, u + l4Len, pseudoSum(src.ip, dstIp, 17, l4Len)));
  if (c === 0) c = 0xffff;
  buf[u + 6] = c >>> 8;
  buf[u + 7] = c & 0xff;
  finishFrame(slot, u + l4Len);
}

/** ICMP echo request (type 8) or reply (type 0) with `dataLen` bytes of pattern data. */
export function writeIcmpEcho(
  slot: FrameSlot, fab: Fabric, src: SimHost, dst: SimHost, type: 0 | 8, ident: number, seq: number, dataLen: number,
): void {
  const buf = slot.buf;
  const l3 = fab.ethForIp(buf, src, dst);
  const l4Len = 8 + dataLen;
  const o = writeIpv4(buf, l3, src, dst.ip, 1, l4Len);
  buf[o] = type;
  buf[o + 1] = 0;
  buf[o + 2] = 0;
  buf[o + 3] = 0;
  buf.writeUInt16BE(ident, o + 4);
  buf.writeUInt16BE(seq, o + 6);
  for (let i = 0; i < dataLen; i++) buf[o + 8 + i] = 0x61 + (i % 23);
  const c = foldChecksum(sumBytes(buf, o, o + l4Len, 0));
  buf[o + 2] = c >>> 8;
  buf[o + 3] = c & 0xff;
  finishFrame(slot, o + l4Len);
}

/** ARP request (op 1, broadcast) or reply (op 2, unicast to `targetMac`). */
export function writeArp(
  slot: FrameSlot, op: 1 | 2, vlan: number, senderMac: Buffer, senderIp: number, targetMac: Buffer | null,
  targetIp: number,
): void {
  const buf = slot.buf;
  const o = writeEth(buf, op === 1 || targetMac === null ? BROADCAST_MAC : targetMac, senderMac, vlan, 0x0806);
  buf.writeUInt16BE(1, o);
  buf.writeUInt16BE(0x0800, o + 2);
  buf[o + 4] = 6;
  buf[o + 5] = 4;
  buf.writeUInt16BE(op, o + 6);
  senderMac.copy(buf, o + 8, 0, 6);
  buf.writeUInt32BE(senderIp, o + 14);
  if (op === 1 || targetMac === null) buf.fill(0, o + 18, o + 24);
  else targetMac.copy(buf, o + 18, 0, 6);
  buf.writeUInt32BE(targetIp, o + 24);
  finishFrame(slot, o + 28);
}

/** A raw Ethernet frame with the given payload (PROFINET DCP and other L2 protocols). */
export function writeRawEth(
  slot: FrameSlot, dstMac: Buffer, srcMac: Buffer, vlan: number, etherType: number, payload: Buffer, pLen: number,
): void {
  const o = writeEth(slot.buf, dstMac, srcMac, vlan, etherType);
  copyBytes(payload, 0, slot.buf, o, pLen);
  finishFrame(slot, o + pLen);
}

/** Picks the next ephemeral source port of a host (deterministic, wraps within its OS range). */
export function ephemeralPort(h: SimHost): number {
  const p = h.nextPort;
  h.nextPort = p >= h.portMax ? h.portMin : p + 1;
  return p;
}

/** Wire time of `bytes` at 1 Gbit/s, in µs, at least 1. */
export function wireUs(bytes: number): number {
  return 1 + Math.floor(bytes / 125);
}

/**
 * One TCP connection between a client and a server: handshake, data both ways with correct sequence and
 * acknowledgement numbers (segmented over the MSS, receiver ACKs every second segment), and FIN close.
 * Each generator method yields once per frame written into the slot; `t` is the conversation clock (µs).
 */
export class TcpConversation {
  private cSeq: number;
  private sSeq: number;
  /** segments received since the last ACK, per direction */
  private unackedByServer = 0;
  private unackedByClient = 0;
  mss = 1460;
  window = 64240;
  /** half the round trip, µs: time between a frame and the peer's reaction */
  halfRttUs: number;

  constructor(
    readonly fab: Fabric, readonly slot: FrameSlot, readonly client: SimHost, readonly server: SimHost,
    readonly cport: number, readonly sport: number, public t: number, isn: number, halfRttUs = 150,
  ) {
    this.cSeq = isn >>> 0;
    this.sSeq = (Math.imul(isn ^ 0x5bd1e995, 0x27d4eb2d) ^ (isn >>> 7)) >>> 0;
    this.halfRttUs = halfRttUs;
  }

  private emit(fromClient: boolean, flags: number, mss: number, payload: Buffer | null, off: number, len: number): void {
    const s = this.slot;
    s.ts = this.t;
    // Any segment from one side acknowledges everything that side has received.
    if (fromClient) this.unackedByClient = 0;
    else this.unackedByServer = 0;
    if (fromClient) {
      writeTcpFrame(s, this.fab, this.client, this.server, this.cport, this.sport, this.cSeq,
        flags & TCP_ACK ? this.sSeq : 0, flags, this.window, mss, payload, off, len);
      this.cSeq = (this.cSeq + len + (flags & (TCP_SYN | TCP_FIN) ? 1 : 0)) >>> 0;
    } else {
      writeTcpFrame(s, this.fab, this.server, this.client, this.sport, this.cport, this.sSeq,
        this.cSeq, flags, this.window, mss, payload, off, len);
      this.sSeq = (this.sSeq + len + (flags & (TCP_SYN | TCP_FIN) ? 1 : 0)) >>> 0;
    }
  }

  *open(): Generator<void> {
    this.emit(true, TCP_SYN, this.mss, null, 0, 0);
    yield;
    this.t += this.halfRttUs;
    this.emit(false, TCP_SYN | TCP_ACK, this.mss, null, 0, 0);
    yield;
    this.t += this.halfRttUs;
    this.emit(true, TCP_ACK, 0, null, 0, 0);
    yield;
  }

  /** A SYN nobody answers (no host at the address, or a filtering firewall), for scans. */
  *unanswered(): Generator<void> {
    this.emit(true, TCP_SYN, this.mss, null, 0, 0);
    yield;
  }

  /** A SYN answered by RST (closed port), for scans. */
  *refused(): Generator<void> {
    this.emit(true, TCP_SYN, this.mss, null, 0, 0);
    yield;
    this.t += this.halfRttUs;
    this.emit(false, TCP_RST | TCP_ACK, 0, null, 0, 0);
    yield;
  }

  /** SYN, SYN/ACK, then the client's RST (a half-open "SYN scan" probe of an open port). */
  *halfOpen(): Generator<void> {
    this.emit(true, TCP_SYN, this.mss, null, 0, 0);
    yield;
    this.t += this.halfRttUs;
    this.emit(false, TCP_SYN | TCP_ACK, this.mss, null, 0, 0);
    yield;
    this.t += this.halfRttUs;
    this.emit(true, TCP_RST, 0, null, 0, 0);
    yield;
  }

  /**
   * Sends `len` bytes of `data` from one side, segmented over the MSS with PSH on the last segment; the
   * receiver ACKs every second full segment (keeping bytes in flight well under the window).
   */
  *send(fromClient: boolean, data: Buffer, len: number): Generator<void> {
    let off = 0;
    while (off < len) {
      const n = Math.min(this.mss, len - off);
      const last = off + n >= len;
      this.emit(fromClient, TCP_ACK | (last ? TCP_PSH : 0), 0, data, off, n);
      yield;
      this.t += wireUs(n + 54);
      off += n;
      if (fromClient) this.unackedByServer++;
      else this.unackedByClient++;
      if (!last && (fromClient ? this.unackedByServer : this.unackedByClient) >= 2) {
        this.t += this.halfRttUs;
        yield* this.ack(!fromClient);
      }
    }
  }

  /** A pure ACK from one side of everything received so far (only when something is unacknowledged). */
  *ack(fromClient: boolean): Generator<void> {
    if ((fromClient ? this.unackedByClient : this.unackedByServer) === 0) return;
    this.emit(fromClient, TCP_ACK, 0, null, 0, 0);
    if (fromClient) this.unackedByClient = 0;
    else this.unackedByServer = 0;
    yield;
  }

  /** Request from the client, response from the server after `serverUs`, then the client's ACK. */
  *exchange(req: Buffer, reqLen: number, resp: Buffer, respLen: number, serverUs: number): Generator<void> {
    yield* this.send(true, req, reqLen);
    this.t += this.halfRttUs + serverUs;
    this.unackedByServer = 0; // the response carries the ACK
    yield* this.send(false, resp, respLen);
    this.t += this.halfRttUs;
    yield* this.ack(true);
  }

  /** Same as exchange() but initiated by the server (e.g. S7 download-block jobs sent by the PLC). */
  *reverseExchange(req: Buffer, reqLen: number, resp: Buffer, respLen: number, clientUs: number): Generator<void> {
    yield* this.send(false, req, reqLen);
    this.t += this.halfRttUs + clientUs;
    this.unackedByClient = 0;
    yield* this.send(true, resp, respLen);
    this.t += this.halfRttUs;
    yield* this.ack(false);
  }

  /** Active close by the client (or the server): FIN/ACK, FIN/ACK, ACK. */
  *close(byClient = true): Generator<void> {
    this.emit(byClient, TCP_FIN | TCP_ACK, 0, null, 0, 0);
    yield;
    this.t += this.halfRttUs;
    this.emit(!byClient, TCP_FIN | TCP_ACK, 0, null, 0, 0);
    yield;
    this.t += this.halfRttUs;
    this.emit(byClient, TCP_ACK, 0, null, 0, 0);
    this.unackedByClient = 0;
    this.unackedByServer = 0;
    yield;
  }
}
