import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fuzzRuns } from '../../util/fuzz-budget.js';
import { Dir } from '../analyzer.js';
import { recordingContext } from '../common/test-support.js';
import { BacnetSession } from './session.js';
import { objectTypeName, propertyName } from './names.js';
import { apdu } from './test-support.js';

interface Ref {
  type: number;
  instance: number;
  /** -1: no property tag */
  property: number;
  /** -1: no array index tag */
  index: number;
}

/** Unsigned as a context tag `n` with the fewest octets (1-4). */
function contextUnsigned(n: number, v: number): string {
  const len = v < 0x100 ? 1 : v < 0x10000 ? 2 : v < 0x1000000 ? 3 : 4;
  return ((n << 4) | 0x08 | len).toString(16).padStart(2, '0') + v.toString(16).padStart(len * 2, '0');
}

/** readProperty request (invoke id `invokeId`) for `ref`. */
function readProperty(invokeId: number, ref: Ref): Buffer {
  const objectId = ((ref.type << 22) | ref.instance) >>> 0;
  let body = `0005${invokeId.toString(16).padStart(2, '0')}0c0c${objectId.toString(16).padStart(8, '0')}`;
  if (ref.property >= 0) body += contextUnsigned(1, ref.property);
  if (ref.property >= 0 && ref.index >= 0) body += contextUnsigned(2, ref.index);
  return apdu(body);
}

/** The object text as the session has always built it. */
function expectedObject(ref: Ref): string {
  let object = `${objectTypeName(ref.type)},${ref.instance}`;
  if (ref.property >= 0) {
    const name = propertyName(ref.property);
    object += name ? ` property ${ref.property} (${name})` : ` property ${ref.property}`;
    if (ref.index >= 0) object += `[${ref.index}]`;
  }
  return object;
}

const refArb: fc.Arbitrary<Ref> = fc.record({
  type: fc.oneof(fc.nat(8), fc.integer({ min: 0, max: 1023 })),
  instance: fc.oneof(fc.nat(4), fc.integer({ min: 0, max: 0x3fffff })),
  property: fc.oneof(fc.constantFrom(-1, 85, 77, 0xffffffff), fc.nat(600), fc.integer({ min: 0, max: 0xffffffff })),
  index: fc.oneof(fc.constant(-1), fc.nat(5), fc.integer({ min: 0, max: 0xffffffff })),
});

test('object texts of polled points stay right whatever the order, repeats and slot collisions', () => {
  fc.assert(
    fc.property(fc.array(refArb, { minLength: 1, maxLength: 40 }), fc.array(fc.nat(), { minLength: 1, maxLength: 60 }), (pool, picks) => {
      const ctx = recordingContext({ transport: 'udp', clientPort: 47808, serverPort: 47808 });
      const session = new BacnetSession(ctx);
      const expected: string[] = [];
      picks.forEach((pick, i) => {
        const ref = pool[pick % pool.length]!;
        expected.push(expectedObject(ref));
        const frame = i + 1;
        session.onData(Dir.ToServer, readProperty(i & 0xff, ref), 0, readProperty(i & 0xff, ref).length, { frame, ts: frame });
      });
      session.onClose({ frame: picks.length + 1, ts: 0 });
      const objects = ctx.operations().sort((a, b) => a.frame - b.frame).map((e) => e.object);
      assert.deepEqual(objects, expected);
    }),
    { numRuns: fuzzRuns(100) },
  );
});

test('a 4-octet property 0xffffffff and an absent property are different object texts', () => {
  const ctx = recordingContext({ transport: 'udp', clientPort: 47808, serverPort: 47808 });
  const session = new BacnetSession(ctx);
  const refs: Ref[] = [
    { type: 0, instance: 1, property: 0xffffffff, index: -1 },
    { type: 0, instance: 1, property: -1, index: -1 },
    { type: 0, instance: 1, property: 85, index: 0xffffffff },
    { type: 0, instance: 1, property: 85, index: -1 },
  ];
  refs.forEach((ref, i) => session.onData(Dir.ToServer, readProperty(i, ref), 0, readProperty(i, ref).length, { frame: i + 1, ts: i + 1 }));
  session.onClose({ frame: 9, ts: 9 });
  const objects = ctx.operations().sort((a, b) => a.frame - b.frame).map((e) => e.object);
  assert.deepEqual(objects, [
    'analog-input,1 property 4294967295',
    'analog-input,1',
    'analog-input,1 property 85 (present-value)[4294967295]',
    'analog-input,1 property 85 (present-value)',
  ]);
});
