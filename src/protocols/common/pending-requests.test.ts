import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fuzzRuns } from '../../util/fuzz-budget.js';
import type { OtEvent } from '../../events/types.js';
import { PendingRequests } from './pending-requests.js';

const ev = (frame: number) => ({ type: 'anomaly', frame }) as unknown as OtEvent;

test('PendingRequests behaves like an insertion-ordered Map (get, delete, oldest, drain order)', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 7 })), { maxLength: 60 }), (ops) => {
      const table = new PendingRequests<OtEvent>();
      const model = new Map<number, OtEvent>();
      let frame = 0;
      for (const [add, key] of ops) {
        if (add && !model.has(key)) {
          const e = ev(++frame);
          table.add(key, e);
          model.set(key, e);
        } else if (!add) {
          table.delete(key);
          model.delete(key);
        }
        assert.equal(table.size, model.size);
        assert.equal(table.get(key), model.get(key));
        assert.equal(table.oldestKey(), model.size > 0 ? model.keys().next().value : -1);
      }
      const drained: OtEvent[] = [];
      table.drainTo({ emit: (e: OtEvent) => void drained.push(e) });
      assert.deepEqual(drained, [...model.values()]);
      assert.equal(table.size, 0);
    }),
    { numRuns: fuzzRuns(300) },
  );
});
