/** Test helpers for the flow layer: hand-built DecodedPackets, fake analyzer specs, recording sinks. */
import { Probe, type AnalyzerContext, type AnalyzerSpec, type Dir, type FlowAnalyzer } from '../protocols/analyzer.js';
import type { EventSink, OtEvent, ProtocolName } from '../events/types.js';
import { ip4FromString } from '../util/addr.js';
import { DecodedPacket, IpProto } from './packet.js';
import { AnalyzerRegistry } from './dispatch.js';
import { FlowTable, type FlowTableOptions } from './flow-table.js';
import type { FlowSummary } from './flow-types.js';

export interface PacketSpec {
  src?: string;
  dst?: string;
  sport?: number;
  dport?: number;
  proto?: number;
  flags?: number;
  seq?: number;
  ack?: number;
  payload?: Buffer | string;
  ts?: number;
  frame?: number;
  vlan?: number;
  srcMac?: number;
  dstMac?: number;
  ttl?: number;
  wireLen?: number;
  icmpType?: number;
}

let frameCounter = 0;

/** A DecodedPacket as the decoder would fill it. IPv6 when an address contains ':' (only full 8-group form). */
export function packet(spec: PacketSpec): DecodedPacket {
  const p = new DecodedPacket();
  const src = spec.src ?? '10.0.0.1';
  const dst = spec.dst ?? '10.0.0.2';
  const payload = typeof spec.payload === 'string' ? Buffer.from(spec.payload, 'latin1') : (spec.payload ?? Buffer.alloc(0));
  p.frame = spec.frame ?? ++frameCounter;
  p.ts = spec.ts ?? 1000;
  p.tsSec = Math.floor(p.ts);
  if (spec.srcMac !== undefined || spec.dstMac !== undefined) {
    p.hasEth = true;
    p.srcMac = spec.srcMac ?? 0;
    p.dstMac = spec.dstMac ?? 0;
  }
  p.vlan = spec.vlan ?? 0;
  if (src.includes(':')) {
    p.ipVersion = 6;
    const l3 = Buffer.alloc(40);
    writeIp6(l3, 8, src);
    writeIp6(l3, 24, dst);
    p.l3Buf = l3;
    p.src6Off = 8;
    p.dst6Off = 24;
  } else {
    p.ipVersion = 4;
    p.src4 = ip4FromString(src);
    p.dst4 = ip4FromString(dst);
  }
  p.ttl = spec.ttl ?? 64;
  p.l4Proto = spec.proto ?? IpProto.TCP;
  p.srcPort = spec.sport ?? 40000;
  p.dstPort = spec.dport ?? 502;
  p.tcpFlags = spec.flags ?? 0x10;
  p.tcpSeq = (spec.seq ?? 0) >>> 0;
  p.tcpAck = (spec.ack ?? 0) >>> 0;
  if (spec.icmpType !== undefined) p.icmpType = spec.icmpType;
  // Put the payload behind a fake header so offsets are exercised.
  const l4 = Buffer.alloc(20 + payload.length);
  payload.copy(l4, 20);
  p.l4Buf = l4;
  p.payloadOff = 20;
  p.payloadLen = payload.length;
  p.wireLen = spec.wireLen ?? 54 + payload.length;
  return p;
}

function writeIp6(buf: Buffer, off: number, text: string): void {
  const groups = text.split(':');
  if (groups.length !== 8) throw new Error(`test helper wants 8 groups: ${text}`);
  groups.forEach((g, i) => buf.writeUInt16BE(parseInt(g, 16), off + 2 * i));
}

export type AnalyzerCall =
  | { kind: 'data'; dir: Dir; bytes: string; frame: number; sameBuffer: Buffer }
  | { kind: 'gap'; dir: Dir; bytes: number }
  | { kind: 'close' };

export interface FakeSpecOptions {
  name: ProtocolName;
  ports?: number[];
  transports?: Array<'tcp' | 'udp'>;
  probe?: (bytes: string, dir: Dir) => Probe;
  portOnly?: boolean;
  /** throw from onData when the chunk contains this text */
  throwOn?: string;
  onCreate?: (ctx: AnalyzerContext) => void;
}

export interface FakeSpec extends AnalyzerSpec {
  readonly calls: AnalyzerCall[];
  readonly contexts: AnalyzerContext[];
  readonly probed: string[];
}

/** A spec whose analyzer records every call (bytes as latin1 text). */
export function fakeSpec(o: FakeSpecOptions): FakeSpec {
  const calls: AnalyzerCall[] = [];
  const contexts: AnalyzerContext[] = [];
  const probed: string[] = [];
  return {
    name: o.name,
    transports: o.transports ?? ['tcp'],
    ports: o.ports ?? [],
    portOnly: o.portOnly,
    calls,
    contexts,
    probed,
    probe(buf: Buffer, off: number, len: number, dir: Dir): Probe {
      const text = buf.toString('latin1', off, off + len);
      probed.push(text);
      return o.probe ? o.probe(text, dir) : Probe.No;
    },
    create(ctx: AnalyzerContext): FlowAnalyzer {
      contexts.push(ctx);
      o.onCreate?.(ctx);
      return {
        onData(dir, buf, off, len, meta) {
          const bytes = buf.toString('latin1', off, off + len);
          if (o.throwOn !== undefined && bytes.includes(o.throwOn)) throw new Error('analyzer bug');
          calls.push({ kind: 'data', dir, bytes, frame: meta.frame, sameBuffer: buf });
        },
        onGap(dir, bytes) {
          calls.push({ kind: 'gap', dir, bytes });
        },
        onClose() {
          calls.push({ kind: 'close' });
        },
      };
    },
  };
}

/** Probe that says Yes when the bytes start with `magic`, NeedMore while they are a prefix of it. */
export function magicProbe(magic: string): (bytes: string) => Probe {
  return (bytes) => {
    if (bytes.startsWith(magic)) return Probe.Yes;
    if (magic.startsWith(bytes)) return Probe.NeedMore;
    return Probe.No;
  };
}

export class RecordingSink implements EventSink {
  readonly events: OtEvent[] = [];
  emit(event: OtEvent): void {
    this.events.push(event);
  }
}

export interface Harness {
  table: FlowTable;
  sink: RecordingSink;
  ended: FlowSummary[];
  registry: AnalyzerRegistry;
}

export function harness(specs: AnalyzerSpec[] = [], opts: Partial<FlowTableOptions> = {}): Harness {
  const registry = new AnalyzerRegistry();
  for (const s of specs) registry.register(s);
  const sink = new RecordingSink();
  const ended: FlowSummary[] = [];
  const table = new FlowTable({ registry, sink, onFlowEnd: (s) => ended.push(s), ...opts });
  return { table, sink, ended, registry };
}

/** Concatenated data of one direction, gaps marked as `<gap N>`. */
export function streamText(calls: AnalyzerCall[], dir: Dir): string {
  let out = '';
  for (const c of calls) {
    if (c.kind === 'data' && c.dir === dir) out += c.bytes;
    else if (c.kind === 'gap' && c.dir === dir) out += `<gap ${c.bytes}>`;
  }
  return out;
}
