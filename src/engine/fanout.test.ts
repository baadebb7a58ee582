/**
 * EventFanout: every variant (with or without a detector, with or without callbacks) calls the consumers in
 * the order inventory, detector, callback, with the current file, and counts events.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FlowSummary } from '../decode/flow-types.js';
import type { OtEvent } from '../events/types.js';
import { EventFanout } from './fanout.js';

test('consumers are called in order with the current file, for every combination', () => {
  for (const withDetector of [false, true]) {
    for (const withOnEvent of [false, true]) {
      for (const withOnFlowEnd of [false, true]) {
        const calls: string[] = [];
        const inventory = {
          onEvent: (e: OtEvent) => calls.push(`inventory ${e.type}`),
          onFlowEnd: (s: FlowSummary) => calls.push(`inventory flow ${s.id}`),
          countOperation: () => calls.push('inventory count'),
        };
        const detector = withDetector
          ? {
              onEvent: (e: OtEvent, f: string) => calls.push(`detector ${e.type} ${f}`),
              onFlowEnd: (s: FlowSummary, f: string) => calls.push(`detector flow ${s.id} ${f}`),
              wantsOperation: () => false,
            }
          : null;
        const fanout = new EventFanout(
          inventory, detector,
          withOnEvent ? (e, f) => calls.push(`callback ${e.type} ${f}`) : undefined,
          withOnFlowEnd ? (s, f) => calls.push(`callback flow ${s.id} ${f}`) : undefined,
        );
        fanout.file = 'a.pcap';
        fanout.emit({ type: 'protocol' } as OtEvent);
        fanout.file = 'b.pcap';
        fanout.emit({ type: 'operation' } as OtEvent);
        fanout.flowEnd({ id: 7 } as FlowSummary);
        const expected: string[] = [];
        for (const [type, file] of [['protocol', 'a.pcap'], ['operation', 'b.pcap']] as const) {
          expected.push(`inventory ${type}`);
          if (withDetector) expected.push(`detector ${type} ${file}`);
          if (withOnEvent) expected.push(`callback ${type} ${file}`);
        }
        expected.push('inventory flow 7');
        if (withDetector) expected.push('detector flow 7 b.pcap');
        if (withOnFlowEnd) expected.push('callback flow 7 b.pcap');
        assert.deepEqual(calls, expected, `detector ${withDetector} onEvent ${withOnEvent} onFlowEnd ${withOnFlowEnd}`);
        assert.equal(fanout.events, 2);
      }
    }
  }
});

test('the counting path exists only without an event callback, follows the detector, and counts events', () => {
  const endpoint = { ip: '10.0.0.1', port: 502 };
  for (const withOnEvent of [false, true]) {
    for (const detectorWants of [null, false, true]) {
      const counted: string[] = [];
      const inventory = {
        onEvent: () => {},
        onFlowEnd: () => {},
        countOperation: (ci: number, id: number, protocol: string, kind: string) => counted.push(`${ci}/${id} ${protocol} ${kind}`),
      };
      const asked: string[] = [];
      const detector = detectorWants === null ? null : {
        onEvent: () => {},
        onFlowEnd: () => {},
        wantsOperation: (kind: string, protocol: string, result: string) => (asked.push(`${kind} ${protocol} ${result}`), detectorWants),
      };
      const fanout = new EventFanout(inventory, detector, withOnEvent ? () => {} : undefined, undefined);
      if (withOnEvent) {
        assert.equal(fanout.wantsOperation, undefined);
        assert.equal(fanout.countOperation, undefined);
        continue;
      }
      assert.equal(fanout.wantsOperation!('modbus', 'read', 'ok'), detectorWants === true);
      assert.deepEqual(asked, detector === null ? [] : ['read modbus ok']);
      fanout.countOperation!(1, 42, 'modbus', 'read', endpoint, endpoint);
      assert.deepEqual(counted, ['1/42 modbus read']);
      assert.equal(fanout.events, 1);
    }
  }
});
