/**
 * The counting path for routine operations (EventSink.wantsOperation/countOperation): without an event callback,
 * analyzers count the operations nobody reads individually instead of emitting them. The report must be exactly
 * the one the full event path gives (operation counts per communication, roles, alerts, stats.events), and the
 * counting path must really be taken (fewer operation events reach the inventory).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simulate } from '../src/sim/index.js';
import { analyzeCaptures } from '../src/engine/analyze.js';
import { Inventory } from '../src/model/inventory.js';
import type { OtEvent } from '../src/events/types.js';
import { normalise } from './support/report.js';

const tmp = mkdtempSync(join(tmpdir(), 'otwatch-counting-'));

test('counting routine operations gives the same report as emitting every event', async () => {
  const capture = join(tmp, 'plant.pcap');
  // Scenarios whose operations are subscribed to by rules (writes, program transfer, stop, restart, commands)
  // next to the baseline's routine polling, which no rule reads.
  await simulate({
    out: capture, durationSec: 40, seed: 7, format: 'pcap',
    scenarios: ['modbus-write-storm', 'plc-stop', 'program-download', 'dnp3-cold-restart', 'iec104-command', 'it-ot-bypass'],
  });

  const proto = Inventory.prototype;
  const originalOnEvent = proto.onEvent;
  const originalCount = proto.countOperation;
  let operationEvents = 0;
  let counted = 0;
  proto.onEvent = function (this: Inventory, e: OtEvent) {
    if (e.type === 'operation') operationEvents++;
    return originalOnEvent.call(this, e);
  };
  proto.countOperation = function (this: Inventory, ...args: Parameters<Inventory['countOperation']>) {
    counted++;
    return originalCount.apply(this, args);
  };
  try {
    let callbackEvents = 0;
    const withEvents = await analyzeCaptures([capture], { onEvent: () => { callbackEvents++; } });
    const eventPath = { operationEvents, counted };
    operationEvents = 0;
    counted = 0;
    const withoutEvents = await analyzeCaptures([capture]);
    const countingPath = { operationEvents, counted };

    // The event path: every operation is an event, each one counted once through onEvent.
    assert.equal(eventPath.counted, eventPath.operationEvents);
    assert.equal(withEvents.report.stats.events, callbackEvents);
    // The counting path: the same operations counted, most of them without an event.
    assert.equal(countingPath.counted, eventPath.counted);
    assert.ok(countingPath.operationEvents < eventPath.operationEvents / 2,
      `routine operations still emitted as events: ${countingPath.operationEvents} of ${eventPath.operationEvents}`);
    assert.ok(withoutEvents.report.alerts.length > 0, 'the scenarios raise alerts');
    assert.deepEqual(normalise(withoutEvents.report), normalise(withEvents.report));
  } finally {
    proto.onEvent = originalOnEvent;
    proto.countOperation = originalCount;
  }
});
