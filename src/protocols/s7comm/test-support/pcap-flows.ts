/**
 * Test support: a small pcap/pcapng reader that turns a capture into the per-flow, per-direction TCP byte
 * stream the flow layer would deliver (in frame order, with frame numbers), so analyzers can be fed real
 * captures without the engine. Ethernet (with 802.1Q tags) or raw IPv4, IPv4/TCP only. Retransmitted bytes
 * are trimmed, a sequence jump becomes a gap. Not for production use: it allocates freely.
 */
import { readFileSync } from 'node:fs';

export interface StreamChunk {
  kind: 'data' | 'gap';
  flow: number;
  /** 0 = from the client (SYN sender, else first sender), 1 = to the client */
  dir: 0 | 1;
  frame: number;
  ts: number;
  data: Buffer;
  /** gap size */
  bytes: number;
}

export interface FlowDesc {
  id: number;
  clientIp: string;
  serverIp: string;
  clientPort: number;
  serverPort: number;
  clientMac: string;
  serverMac: string;
  sidesGuessed: boolean;
  lastFrame: number;
  lastTs: number;
}

export interface CaptureStreams {
  flows: FlowDesc[];
  chunks: StreamChunk[];
}

interface RawPacket {
  frame: number;
  ts: number;
  linkType: number;
  data: Buffer;
}

function readPackets(file: string): RawPacket[] {
  const buf = readFileSync(file);
  const out: RawPacket[] = [];
  const magic = buf.readUInt32LE(0);
  if (magic === 0x0a0d0d0a) {
    // pcapng
    let off = 0;
    let le = true;
    const ifLink: number[] = [];
    const ifRes: number[] = [];
    let frame = 0;
    while (off + 12 <= buf.length) {
      const type = le ? buf.readUInt32LE(off) : buf.readUInt32BE(off);
      if (type === 0x0a0d0d0a) le = buf.readUInt32LE(off + 8) === 0x1a2b3c4d;
      const len = le ? buf.readUInt32LE(off + 4) : buf.readUInt32BE(off + 4);
      if (len < 12 || off + len > buf.length) break;
      const r32 = (o: number): number => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
      const r16 = (o: number): number => (le ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
      if (type === 1) {
        ifLink.push(r16(off + 8));
        let res = 1e6;
        let o = off + 16;
        while (o + 4 <= off + len - 4) {
          const code = r16(o);
          const olen = r16(o + 2);
          if (code === 0) break;
          if (code === 9 && olen === 1) {
            const v = buf[o + 4]!;
            res = v & 0x80 ? 2 ** (v & 0x7f) : 10 ** v;
          }
          o += 4 + ((olen + 3) & ~3);
        }
        ifRes.push(res);
      } else if (type === 6) {
        const ifId = r32(off + 8);
        const tsHigh = r32(off + 12);
        const tsLow = r32(off + 16);
        const capLen = r32(off + 20);
        const res = ifRes[ifId] ?? 1e6;
        frame++;
        out.push({
          frame,
          ts: (tsHigh * 2 ** 32 + tsLow) / res,
          linkType: ifLink[ifId] ?? 1,
          data: buf.subarray(off + 28, off + 28 + capLen),
        });
      } else if (type === 3) {
        frame++;
        const capLen = Math.min(r32(off + 8), len - 16);
        out.push({ frame, ts: 0, linkType: ifLink[0] ?? 1, data: buf.subarray(off + 12, off + 12 + capLen) });
      }
      off += len;
    }
    return out;
  }
  let le: boolean;
  let nano = false;
  if (magic === 0xa1b2c3d4) le = true;
  else if (magic === 0xa1b23c4d) (le = true), (nano = true);
  else if (magic === 0xd4c3b2a1) le = false;
  else if (magic === 0x4d3cb2a1) (le = false), (nano = true);
  else throw new Error(`${file}: not a pcap/pcapng file`);
  const r32 = (o: number): number => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const linkType = r32(20) & 0xffff;
  let off = 24;
  let frame = 0;
  while (off + 16 <= buf.length) {
    const sec = r32(off);
    const frac = r32(off + 4);
    const capLen = r32(off + 8);
    if (off + 16 + capLen > buf.length) break;
    frame++;
    out.push({ frame, ts: sec + frac / (nano ? 1e9 : 1e6), linkType, data: buf.subarray(off + 16, off + 16 + capLen) });
    off += 16 + capLen;
  }
  return out;
}

function mac(b: Buffer, o: number): string {
  const parts: string[] = [];
  for (let i = 0; i < 6; i++) parts.push(b[o + i]!.toString(16).padStart(2, '0'));
  return parts.join(':');
}

function ip4(b: Buffer, o: number): string {
  return `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
}

interface DirSeq {
  next: number;
  init: boolean;
}

/** Read a capture and reassemble every IPv4/TCP flow's byte streams. */
export function captureStreams(file: string): CaptureStreams {
  const flows: FlowDesc[] = [];
  const chunks: StreamChunk[] = [];
  const byKey = new Map<string, { desc: FlowDesc; seq: [DirSeq, DirSeq] }>();
  for (const pkt of readPackets(file)) {
    const d = pkt.data;
    let o = 0;
    let srcMac = '';
    let dstMac = '';
    if (pkt.linkType === 1) {
      if (d.length < 14) continue;
      dstMac = mac(d, 0);
      srcMac = mac(d, 6);
      let et = d.readUInt16BE(12);
      o = 14;
      while ((et === 0x8100 || et === 0x88a8) && o + 4 <= d.length) {
        et = d.readUInt16BE(o + 2);
        o += 4;
      }
      if (et !== 0x0800) continue;
    } else if (pkt.linkType !== 101 && pkt.linkType !== 228) continue;
    if (o + 20 > d.length || d[o]! >> 4 !== 4) continue;
    const ihl = (d[o]! & 0x0f) * 4;
    if (d[o + 9] !== 6) continue;
    const ipLen = d.readUInt16BE(o + 2);
    const fragOff = d.readUInt16BE(o + 6) & 0x3fff;
    if (fragOff !== 0) continue;
    const srcIp = ip4(d, o + 12);
    const dstIp = ip4(d, o + 16);
    const t = o + ihl;
    if (t + 20 > d.length) continue;
    const sport = d.readUInt16BE(t);
    const dport = d.readUInt16BE(t + 2);
    const seqNo = d.readUInt32BE(t + 4);
    const flags = d[t + 13]!;
    const dataOff = t + (d[t + 12]! >> 4) * 4;
    const ipEnd = Math.min(d.length, o + (ipLen > 0 ? ipLen : d.length - o));
    const payload = dataOff < ipEnd ? d.subarray(dataOff, ipEnd) : Buffer.alloc(0);
    const a = `${srcIp}:${sport}`;
    const b = `${dstIp}:${dport}`;
    const key = a < b ? `${a}|${b}` : `${b}|${a}`;
    let f = byKey.get(key);
    if (!f) {
      const syn = (flags & 0x12) === 0x02;
      const synAck = (flags & 0x12) === 0x12;
      // Without a handshake, the lower port is the server (102 here), as a flow layer would guess.
      const fromClient = syn || (!synAck && sport > dport);
      const desc: FlowDesc = {
        id: flows.length + 1,
        clientIp: fromClient ? srcIp : dstIp,
        serverIp: fromClient ? dstIp : srcIp,
        clientPort: fromClient ? sport : dport,
        serverPort: fromClient ? dport : sport,
        clientMac: fromClient ? srcMac : dstMac,
        serverMac: fromClient ? dstMac : srcMac,
        sidesGuessed: !syn && !synAck,
        lastFrame: pkt.frame,
        lastTs: pkt.ts,
      };
      flows.push(desc);
      f = { desc, seq: [{ next: 0, init: false }, { next: 0, init: false }] };
      byKey.set(key, f);
    }
    f.desc.lastFrame = pkt.frame;
    f.desc.lastTs = pkt.ts;
    const dir: 0 | 1 = srcIp === f.desc.clientIp && sport === f.desc.clientPort ? 0 : 1;
    const s = f.seq[dir];
    if (flags & 0x02) {
      s.next = (seqNo + 1) >>> 0;
      s.init = true;
      continue;
    }
    if (payload.length === 0) continue;
    if (!s.init) {
      s.next = seqNo;
      s.init = true;
    }
    let delta = (seqNo - s.next) | 0;
    let data = payload;
    if (delta < 0) {
      if (-delta >= data.length) continue; // retransmission
      data = data.subarray(-delta);
      delta = 0;
    }
    if (delta > 0) chunks.push({ kind: 'gap', flow: f.desc.id, dir, frame: pkt.frame, ts: pkt.ts, data: Buffer.alloc(0), bytes: delta });
    chunks.push({ kind: 'data', flow: f.desc.id, dir, frame: pkt.frame, ts: pkt.ts, data, bytes: data.length });
    s.next = (seqNo + (payload.length)) >>> 0;
  }
  return { flows, chunks };
}
