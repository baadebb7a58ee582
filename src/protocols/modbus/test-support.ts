/**
 * Test helpers for the Modbus analyzer while the engine is built in parallel: a minimal classic-pcap reader,
 * Ethernet(/VLAN)/IPv4/TCP payload extraction, an in-order per-direction stream replayer (retransmission trim,
 * gap signalling) and a fake AnalyzerContext that collects events and counters. Test-only code.
 */
import { readFileSync } from 'node:fs';
import { Dir, type AnalyzerContext, type AnalyzerSpec, type FlowAnalyzer, type FlowInfo } from '../analyzer.js';
import type { AssetFactEvent, OperationEvent, OtEvent, ProtocolAnomalyEvent } from '../../events/types.js';

export interface TcpSegment {
  frame: number;
  ts: number;
  srcIp: string;
  dstIp: string;
  srcPort: number;
  dstPort: number;
  srcMac: string;
  dstMac: string;
  seq: number;
  /** TCP flags byte */
  flags: number;
  payload: Buffer;
}

const TCP_SYN = 0x02;
const TCP_ACK = 0x10;

function mac(buf: Buffer, off: number): string {
  const parts: string[] = [];
  for (let i = 0; i < 6; i++) parts.push(buf[off + i]!.toString(16).padStart(2, '0'));
  return parts.join(':');
}

/** TCP segments (with or without payload) of an Ethernet classic pcap, in frame order. */
export function readTcpSegments(path: string): TcpSegment[] {
  const file = readFileSync(path);
  const magic = file.readUInt32LE(0);
  let le: boolean;
  let nanos = false;
  if (magic === 0xa1b2c3d4) le = true;
  else if (magic === 0xd4c3b2a1) le = false;
  else if (magic === 0xa1b23c4d) (le = true), (nanos = true);
  else if (magic === 0x4d3cb2a1) (le = false), (nanos = true);
  else throw new Error(`${path}: not a classic pcap file`);
  const u32 = (at: number) => (le ? file.readUInt32LE(at) : file.readUInt32BE(at));
  const linktype = u32(20) & 0xffff;
  if (linktype !== 1) throw new Error(`${path}: linktype ${linktype} unsupported by this test helper`);
  const out: TcpSegment[] = [];
  let at = 24;
  let frame = 0;
  while (at + 16 <= file.length) {
    const sec = u32(at);
    const frac = u32(at + 4);
    const capLen = u32(at + 8);
    const data = file.subarray(at + 16, Math.min(file.length, at + 16 + capLen));
    at += 16 + capLen;
    frame++;
    const ts = sec + frac / (nanos ? 1e9 : 1e6);
    let off = 12;
    if (data.length < 14) continue;
    let etherType = data.readUInt16BE(off);
    while ((etherType === 0x8100 || etherType === 0x88a8) && data.length >= off + 6) {
      off += 4;
      etherType = data.readUInt16BE(off);
    }
    off += 2;
    if (etherType !== 0x0800 || data.length < off + 20) continue;
    const ihl = (data[off]! & 0x0f) * 4;
    const totalLen = data.readUInt16BE(off + 2);
    if (data[off + 9] !== 6) continue;
    const fragment = data.readUInt16BE(off + 6) & 0x3fff;
    if (fragment !== 0) continue;
    const srcIp = `${data[off + 12]}.${data[off + 13]}.${data[off + 14]}.${data[off + 15]}`;
    const dstIp = `${data[off + 16]}.${data[off + 17]}.${data[off + 18]}.${data[off + 19]}`;
    const ipEnd = Math.min(data.length, off + totalLen);
    const tcp = off + ihl;
    if (ipEnd < tcp + 20) continue;
    const dataOff = (data[tcp + 12]! >> 4) * 4;
    if (ipEnd < tcp + dataOff) continue;
    out.push({
      frame,
      ts,
      srcIp,
      dstIp,
      srcPort: data.readUInt16BE(tcp),
      dstPort: data.readUInt16BE(tcp + 2),
      srcMac: mac(data, 6),
      dstMac: mac(data, 0),
      seq: data.readUInt32BE(tcp + 4),
      flags: data[tcp + 13]!,
      payload: data.subarray(tcp + dataOff, ipEnd),
    });
  }
  return out;
}

export interface Collected {
  events: OtEvent[];
  counters: Map<string, number>;
  swaps: number;
  ops(): OperationEvent[];
  facts(): AssetFactEvent[];
  anomalies(): ProtocolAnomalyEvent[];
  counter(name: string): number;
}

export type FakeFlow = { -readonly [K in keyof FlowInfo]: FlowInfo[K] };

export function defaultFlow(overrides: Partial<FakeFlow> = {}): FakeFlow {
  return {
    id: 1,
    transport: 'tcp',
    clientIp: '10.0.0.1',
    serverIp: '10.0.0.2',
    clientPort: 40000,
    serverPort: 502,
    clientMac: '00:00:00:00:00:01',
    serverMac: '00:00:00:00:00:02',
    vlan: 0,
    sidesGuessed: false,
    ...overrides,
  };
}

/** A context whose sink collects events; swapSides flips the flow's sides (when guessed) like the engine. */
export function fakeContext(
  flow: FakeFlow = defaultFlow(),
  limits: { maxPendingTransactions?: number; maxBufferBytes?: number } = {},
): { ctx: AnalyzerContext; out: Collected } {
  const events: OtEvent[] = [];
  const counters = new Map<string, number>();
  const out: Collected = {
    events,
    counters,
    swaps: 0,
    ops: () => events.filter((e): e is OperationEvent => e.type === 'operation'),
    facts: () => events.filter((e): e is AssetFactEvent => e.type === 'asset-fact'),
    anomalies: () => events.filter((e): e is ProtocolAnomalyEvent => e.type === 'anomaly'),
    counter: (name) => counters.get(name) ?? 0,
  };
  const ctx: AnalyzerContext = {
    flow,
    sink: { emit: (e) => events.push(e) },
    captureIndex: 0,
    maxPendingTransactions: limits.maxPendingTransactions ?? 1024,
    maxBufferBytes: limits.maxBufferBytes ?? 65536,
    count: (name, n = 1) => counters.set(name, (counters.get(name) ?? 0) + n),
    swapSides: () => {
      if (!flow.sidesGuessed) return;
      out.swaps++;
      [flow.clientIp, flow.serverIp] = [flow.serverIp, flow.clientIp];
      [flow.clientPort, flow.serverPort] = [flow.serverPort, flow.clientPort];
      [flow.clientMac, flow.serverMac] = [flow.serverMac, flow.clientMac];
      flow.sidesGuessed = false;
    },
    confirmSides: () => {
      flow.sidesGuessed = false;
    },
    markOpaque: () => {},
  };
  return { ctx, out };
}

export interface ReplayedFlow {
  key: string;
  flow: FakeFlow;
  out: Collected;
  /** frames that carried payload, per direction as finally resolved (client→server first) */
  payloadFrames: number[];
}

/**
 * Replay every TCP flow of a pcap through `spec`: the client is the SYN sender, else (no SYN seen) the side not
 * on one of spec.ports, flagged as guessed. Flows whose first payload the probe rejects are skipped.
 */
export function replayPcap(
  path: string,
  spec: AnalyzerSpec,
  limits: { maxPendingTransactions?: number; maxBufferBytes?: number } = {},
): ReplayedFlow[] {
  const segments = readTcpSegments(path);
  interface State {
    flow: FakeFlow;
    ctx: AnalyzerContext;
    out: Collected;
    analyzer: FlowAnalyzer | null;
    rejected: boolean;
    nextSeq: Map<string, number>;
    payloadFrames: number[];
    lastFrame: number;
    lastTs: number;
  }
  const flows = new Map<string, State>();
  const order: string[] = [];
  for (const seg of segments) {
    const a = `${seg.srcIp}:${seg.srcPort}`;
    const b = `${seg.dstIp}:${seg.dstPort}`;
    const key = a < b ? `${a}-${b}` : `${b}-${a}`;
    let st = flows.get(key);
    if (st === undefined) {
      const syn = (seg.flags & (TCP_SYN | TCP_ACK)) === TCP_SYN;
      const synAck = (seg.flags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK);
      let fromClient = syn || (!synAck && !spec.ports.includes(seg.srcPort));
      if (synAck) fromClient = false;
      const flow = defaultFlow({
        id: flows.size + 1,
        clientIp: fromClient ? seg.srcIp : seg.dstIp,
        serverIp: fromClient ? seg.dstIp : seg.srcIp,
        clientPort: fromClient ? seg.srcPort : seg.dstPort,
        serverPort: fromClient ? seg.dstPort : seg.srcPort,
        clientMac: fromClient ? seg.srcMac : seg.dstMac,
        serverMac: fromClient ? seg.dstMac : seg.srcMac,
        sidesGuessed: !syn && !synAck,
      });
      const { ctx, out } = fakeContext(flow, limits);
      st = { flow, ctx, out, analyzer: null, rejected: false, nextSeq: new Map(), payloadFrames: [], lastFrame: 0, lastTs: 0 };
      flows.set(key, st);
      order.push(key);
    }
    const side = `${seg.srcIp}:${seg.srcPort}`;
    if (seg.flags & TCP_SYN) {
      st.nextSeq.set(side, (seg.seq + 1) >>> 0);
      continue;
    }
    if (seg.payload.length === 0 || st.rejected) continue;
    const dir = seg.srcIp === st.flow.clientIp && seg.srcPort === st.flow.clientPort ? Dir.ToServer : Dir.ToClient;
    if (st.analyzer === null) {
      const verdict = spec.probe(seg.payload, 0, seg.payload.length, dir);
      if (verdict === 0) {
        st.rejected = true;
        continue;
      }
      st.analyzer = spec.create(st.ctx);
    }
    const meta = { frame: seg.frame, ts: seg.ts };
    st.lastFrame = seg.frame;
    st.lastTs = seg.ts;
    let payload = seg.payload;
    const expected = st.nextSeq.get(side);
    if (expected !== undefined) {
      const delta = (seg.seq - expected) | 0;
      if (delta < 0) {
        if (-delta >= payload.length) continue; // retransmission
        payload = payload.subarray(-delta);
      } else if (delta > 0) {
        st.analyzer.onGap(dir, delta, meta);
      }
    }
    st.nextSeq.set(side, (seg.seq + seg.payload.length) >>> 0);
    st.payloadFrames.push(seg.frame);
    // Hand the analyzer a view into a larger buffer so out-of-range reads would show up as wrong values.
    const view = Buffer.concat([Buffer.from([0xee, 0xee]), payload, Buffer.from([0xee])]);
    // The direction may have flipped if the analyzer swapped sides on earlier data.
    const liveDir = seg.srcIp === st.flow.clientIp && seg.srcPort === st.flow.clientPort ? Dir.ToServer : Dir.ToClient;
    st.analyzer.onData(liveDir, view, 2, payload.length, meta);
  }
  const result: ReplayedFlow[] = [];
  for (const key of order) {
    const st = flows.get(key)!;
    if (st.analyzer === null) continue;
    st.analyzer.onClose({ frame: st.lastFrame, ts: st.lastTs });
    result.push({ key, flow: st.flow, out: st.out, payloadFrames: st.payloadFrames });
  }
  return result;
}

// ------------------------------------------------------------------------------------------ frame builders

/** Build a Modbus/TCP ADU: MBAP header (length computed) + PDU bytes. */
export function adu(tid: number, unit: number, pdu: readonly number[]): Buffer {
  const out = Buffer.alloc(7 + pdu.length);
  out.writeUInt16BE(tid, 0);
  out.writeUInt16BE(0, 2);
  out.writeUInt16BE(pdu.length + 1, 4);
  out[6] = unit;
  Buffer.from(pdu).copy(out, 7);
  return out;
}

/** Big-endian u16 as two bytes. */
export function be16(v: number): [number, number] {
  return [(v >> 8) & 0xff, v & 0xff];
}

/** Bytes of an ASCII string. */
export function ascii(text: string): number[] {
  return [...Buffer.from(text, 'latin1')];
}
