/** PendingTable behaves as an insertion-ordered Map of numeric keys (the model it replaces). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fuzzRuns } from '../../util/fuzz-budget.js';
import { PendingEntry, PendingTable } from './pending-table.js';

class Entry extends PendingEntry {
  constructor(readonly label: number) {
    super();
  }
}

function contents(table: PendingTable<Entry>): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let e = table.oldest; e !== null; e = table.newerThan(e)) out.push([e.key, e.label]);
  return out;
}

// Keys as the sessions make them (Modbus tid*256+unit, EtherNet/IP contexts, negative encapsulation keys),
// from small pools so that operations hit present keys and share buckets.
const keyArb = fc.oneof(
  fc.integer({ min: 0, max: 40 }).map((t) => t * 256 + 1),
  fc.integer({ min: 0, max: 40 }).map((c) => c * 0x100000 + 0xfffff),
  fc.integer({ min: 0, max: 40 }).map((c) => -0x100000000 * 0x64 - c),
  fc.constantFrom(0, -1, 2 ** 52, -(2 ** 52)),
);

type Op = { op: 'add' | 'take' | 'get' | 'evict' | 'clear'; key: number };
const opArb: fc.Arbitrary<Op> = fc.record({
  op: fc.constantFrom<Op['op']>('add', 'add', 'add', 'take', 'take', 'get', 'evict', 'clear'),
  key: keyArb,
});

test('PendingTable matches an insertion-ordered Map under random adds, takes, evictions and clears', () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 300 }), (ops) => {
      const table = new PendingTable<Entry>();
      const model = new Map<number, number>();
      let label = 0;
      for (const { op, key } of ops) {
        if (op === 'add') {
          // The sessions' protocol: take a previous holder of the key first, then add the new record.
          const previous = table.take(key);
          assert.equal(previous?.label, model.get(key));
          model.delete(key);
          const e = new Entry(label++);
          e.key = key;
          table.add(e);
          model.set(key, e.label);
        } else if (op === 'take') {
          assert.equal(table.take(key)?.label, model.get(key));
          model.delete(key);
        } else if (op === 'get') {
          assert.equal(table.get(key)?.label, model.get(key));
        } else if (op === 'evict') {
          const oldest = table.oldest;
          const first = model.entries().next();
          assert.equal(oldest?.label, first.done ? undefined : first.value[1]);
          if (oldest !== null) {
            table.remove(oldest);
            model.delete(oldest.key);
          }
        } else {
          table.clear();
          model.clear();
        }
        assert.equal(table.size, model.size);
      }
      assert.deepEqual(contents(table), [...model.entries()]);
    }),
    { numRuns: fuzzRuns(200) },
  );
});

test('PendingTable keeps every record reachable after growing past its initial buckets', () => {
  const table = new PendingTable<Entry>();
  const n = 1000;
  for (let i = 0; i < n; i++) {
    const e = new Entry(i);
    e.key = i * 256 + 7;
    table.add(e);
  }
  assert.equal(table.size, n);
  for (let i = 0; i < n; i++) assert.equal(table.get(i * 256 + 7)?.label, i);
  // Take every other one, then the arrival order of the rest is intact.
  for (let i = 0; i < n; i += 2) assert.equal(table.take(i * 256 + 7)?.label, i);
  const labels = contents(table).map(([, label]) => label);
  assert.deepEqual(labels, Array.from({ length: n / 2 }, (_, i) => 2 * i + 1));
  assert.equal(table.get(0 * 256 + 7), null);
});

test('a record taken out of one table can be recycled into it under another key', () => {
  const table = new PendingTable<Entry>();
  const a = new Entry(1);
  a.key = 10;
  table.add(a);
  assert.equal(table.take(10), a);
  a.key = 20;
  table.add(a);
  assert.equal(table.get(10), null);
  assert.equal(table.get(20), a);
  assert.deepEqual(contents(table), [[20, 1]]);
});
