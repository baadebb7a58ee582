/** Test helpers shared by analyzer tests: a fake AnalyzerContext that records events and counters. */
import type { OtEvent, OperationEvent } from '../../events/types.js';
import type { AnalyzerContext, FlowInfo } from '../analyzer.js';

export interface RecordingContext extends AnalyzerContext {
  events: OtEvent[];
  counters: Record<string, number>;
  operations(): OperationEvent[];
  swaps: number;
  confirmations: number;
  opaque: boolean;
}

export function recordingContext(overrides: Partial<FlowInfo> = {}, caps: { maxPendingTransactions?: number; maxBufferBytes?: number } = {}): RecordingContext {
  const flow: FlowInfo = {
    id: 1,
    transport: 'tcp',
    clientIp: '10.0.0.1',
    serverIp: '10.0.0.2',
    clientPort: 40000,
    serverPort: 2404,
    clientMac: '00:00:00:00:00:01',
    serverMac: '00:00:00:00:00:02',
    vlan: 0,
    sidesGuessed: false,
    ...overrides,
  };
  const ctx: RecordingContext = {
    flow,
    captureIndex: 0,
    maxPendingTransactions: caps.maxPendingTransactions ?? 64,
    maxBufferBytes: caps.maxBufferBytes ?? 65536,
    events: [],
    counters: {},
    swaps: 0,
    confirmations: 0,
    opaque: false,
    sink: { emit: (e) => ctx.events.push(e) },
    count(counter, n = 1) {
      ctx.counters[counter] = (ctx.counters[counter] ?? 0) + n;
    },
    swapSides() {
      ctx.swaps++;
    },
    confirmSides() {
      ctx.confirmations++;
    },
    markOpaque() {
      ctx.opaque = true;
    },
    operations() {
      return ctx.events.filter((e): e is OperationEvent => e.type === 'operation');
    },
  };
  return ctx;
}
