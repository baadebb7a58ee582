/**
 * Test support: a fake AnalyzerContext that collects events and counters, and drivers that feed the S7comm
 * analyzer from a capture (through pcap-flows) or from hand-built byte streams.
 */
import type { AnalyzerContext, FlowAnalyzer, FlowInfo } from '../../analyzer.js';
import type { AssetFactEvent, OperationEvent, OtEvent } from '../../../events/types.js';
import { S7commFlow, type S7commOptions } from '../session.js';
import { captureStreams } from './pcap-flows.js';

export interface Collected {
  events: OtEvent[];
  counters: Record<string, number>;
  swaps: number;
}

export const TEST_FLOW: FlowInfo = {
  id: 1,
  transport: 'tcp',
  clientIp: '10.0.0.1',
  serverIp: '10.0.0.2',
  clientPort: 49152,
  serverPort: 102,
  clientMac: '00:11:22:33:44:55',
  serverMac: '00:1b:1b:00:00:02',
  vlan: 0,
  sidesGuessed: false,
};

export function fakeContext(
  flow: FlowInfo = TEST_FLOW,
  limits: { maxPendingTransactions?: number; maxBufferBytes?: number } = {},
): AnalyzerContext & Collected {
  const events: OtEvent[] = [];
  const counters: Record<string, number> = {};
  const ctx = {
    flow,
    events,
    counters,
    swaps: 0,
    sink: { emit: (e: OtEvent) => events.push(e) },
    captureIndex: 0,
    maxPendingTransactions: limits.maxPendingTransactions ?? 64,
    maxBufferBytes: limits.maxBufferBytes ?? 65536,
    count(counter: string, n = 1) {
      counters[counter] = (counters[counter] ?? 0) + n;
    },
    swapSides() {
      ctx.swaps++;
    },
    confirmSides() {},
    markOpaque() {},
  };
  return ctx;
}

/** Run the analyzer over every TCP flow of a capture; flows are closed at their last frame. */
export function runCapture(file: string, opts?: S7commOptions): Collected {
  const { flows, chunks } = captureStreams(file);
  const all: Collected = { events: [], counters: {}, swaps: 0 };
  const analyzers = new Map<number, FlowAnalyzer>();
  for (const f of flows) {
    const info: FlowInfo = { ...f, transport: 'tcp', vlan: 0 };
    const ctx: AnalyzerContext = {
      ...fakeContext(info),
      sink: { emit: (e: OtEvent) => all.events.push(e) },
      count: (c: string, n = 1) => {
        all.counters[c] = (all.counters[c] ?? 0) + n;
      },
    };
    analyzers.set(f.id, new S7commFlow(ctx, opts));
  }
  for (const c of chunks) {
    const a = analyzers.get(c.flow)!;
    const meta = { frame: c.frame, ts: c.ts };
    if (c.kind === 'gap') a.onGap(c.dir, c.bytes, meta);
    else a.onData(c.dir, c.data, 0, c.data.length, meta);
  }
  for (const f of flows) analyzers.get(f.id)!.onClose({ frame: f.lastFrame, ts: f.lastTs });
  return all;
}

export function operations(events: OtEvent[]): OperationEvent[] {
  return events.filter((e): e is OperationEvent => e.type === 'operation');
}

export function facts(events: OtEvent[]): AssetFactEvent[] {
  return events.filter((e): e is AssetFactEvent => e.type === 'asset-fact');
}

/** The golden-file view of a run: what a person checks against tshark. */
export function goldenView(events: OtEvent[]): { operations: unknown[]; facts: unknown[] } {
  return {
    operations: operations(events)
      .sort((a, b) => a.frame - b.frame)
      .map((o) => {
        const v: Record<string, unknown> = { frame: o.frame, kind: o.kind, code: o.code, codeName: o.codeName };
        if (o.subCode !== undefined) v.subCode = o.subCode;
        if (o.object !== undefined) v.object = o.object;
        if (o.detail !== undefined) v.detail = o.detail;
        v.result = o.result;
        if (o.exceptionCode !== undefined) v.exception = `0x${o.exceptionCode.toString(16)} ${o.exceptionName}`;
        if (o.responseFrame !== undefined) v.responseFrame = o.responseFrame;
        if (o.dataBytes !== undefined) v.dataBytes = o.dataBytes;
        return v;
      }),
    facts: facts(events).map((f) => ({ frame: f.frame, subject: f.subject.ip, field: f.field, value: f.value })),
  };
}
