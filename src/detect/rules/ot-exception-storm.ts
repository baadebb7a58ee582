/**
 * ot.exception-storm: a burst of protocol exceptions between two hosts (≥ `threshold` within `windowSec`):
 * probing of unsupported functions/addresses, a misconfigured master, or a fuzzer.
 */
import type { OperationEvent } from '../../events/types.js';
import type { HitRecorder, RuleFactory } from '../types.js';
import { OT_PROTOCOL_LIST, evictIfFull, windowAdd, type WindowCounter } from './common.js';

export const otExceptionStorm: RuleFactory = (ctx) => {
  const id = 'ot.exception-storm';
  const threshold = ctx.tune(id, 'threshold', 20);
  const windowSec = ctx.tune(id, 'windowSec', 60);
  const maxPairs = ctx.tune(id, 'maxPairs', 4096);
  const windows = new Map<string, WindowCounter>();
  return {
    meta: {
      id,
      title: 'Burst of protocol exceptions',
      category: 'ot-operation',
      severity: 'medium',
      mitre: { ics: ['T0888', 'T0861', 'T0814'] },
      explanation: `A controller answered one host with many protocol exceptions in a short time (${threshold} or more within ${windowSec} s): the host asks for functions or addresses the device does not have — scanning, fuzzing or a broken configuration.`,
      recommendation: 'Identify the requesting host and what it asked for (evidence frames); fix the configuration or isolate the host.',
    },
    subscribe: { operations: { protocols: OT_PROTOCOL_LIST, results: ['exception'] } },
    onOperation(e: OperationEvent, file: string, hits: HitRecorder): void {
      if (e.result !== 'exception') return;
      const key = `${e.src.ip}|${e.dst.ip}|${e.protocol}`;
      const existing = hits.get(key);
      if (existing !== undefined) {
        hits.hit(key, e.ts, e.src, e.dst, e, file);
        return;
      }
      let w = windows.get(key);
      if (w === undefined) {
        if (evictIfFull(windows, maxPairs)) hits.count('pairs-cap');
        w = { start: e.ts, n: 0, alerted: false };
        windows.set(key, w);
      }
      if (windowAdd(w, e.ts, windowSec, threshold)) {
        const d = hits.hit(key, e.ts, e.src, e.dst, e, file);
        if (d) {
          d.count = w.n;
          d.first = w.start;
          d.details.protocol = e.protocol;
        }
        windows.delete(key);
      }
    },
  };
};
