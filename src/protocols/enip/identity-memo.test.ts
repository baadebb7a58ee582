import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fuzzRuns } from '../../util/fuzz-budget.js';
import { IdentityMemo, MAX_MEMO_IDENTITY_BYTES } from './identity-memo.js';

/** A CIP identity object: vendor, device type, product code, revision, status, serial, short-string name. */
function identity(vendorId: number, deviceType: number, revision: [number, number], serial: number, name: string): Uint8Array {
  const out = new Uint8Array(15 + name.length);
  const view = new DataView(out.buffer);
  view.setUint16(0, vendorId, true);
  view.setUint16(2, deviceType, true);
  view.setUint16(4, 55, true);
  out[6] = revision[0];
  out[7] = revision[1];
  view.setUint16(8, 0x0030, true);
  view.setUint32(10, serial, true);
  out[14] = name.length;
  for (let i = 0; i < name.length; i++) out[15 + i] = name.charCodeAt(i);
  return out;
}

function at(bytes: Uint8Array, offset: number): Uint8Array {
  const buf = new Uint8Array(offset + bytes.length + 3).fill(0xee);
  buf.set(bytes, offset);
  return buf;
}

function pairs(facts: { fields: readonly string[]; values: readonly string[] }): string[] {
  return facts.fields.map((f, i) => `${f}=${facts.values[i]}`);
}

describe('ENIP identity memo', () => {
  const plc = identity(1, 14, [32, 11], 0x00c0ffee, '1756-L83E/B');

  it('states the identity facts in emission order', () => {
    const facts = new IdentityMemo().factsOf(plc, 0, plc.length)!;
    assert.deepEqual(pairs(facts), [
      'vendor-id=1',
      'product-code=55',
      'firmware=32.011',
      'serial=0x00c0ffee',
      'vendor=Rockwell Automation/Allen-Bradley',
      'device-type=Programmable Logic Controller',
      'product=1756-L83E/B',
      'model=1756-L83E/B',
      'role-hint=plc',
    ]);
  });

  it('answers a repeat at another offset of another buffer from the memo, and a changed byte afresh', () => {
    const memo = new IdentityMemo();
    const first = memo.factsOf(at(plc, 5), 5, 5 + plc.length)!;
    const again = memo.factsOf(at(plc, 40), 40, 40 + plc.length)!;
    assert.equal(again, first, 'the same bytes give the memoised facts');
    const changed = plc.slice();
    changed[7] = 12; // firmware 32.012
    const other = memo.factsOf(changed, 0, changed.length)!;
    assert.notEqual(other, first);
    assert.ok(pairs(other).includes('firmware=32.012'));
    assert.ok(pairs(memo.factsOf(plc, 0, plc.length)!).includes('firmware=32.011'));
  });

  it('gives what a fresh memo gives, whatever else it has seen (collisions only cost a rebuild)', () => {
    const arbIdentity = fc
      .record({
        vendor: fc.integer({ min: 0, max: 0xffff }),
        type: fc.constantFrom(0, 12, 14, 43),
        major: fc.integer({ min: 0, max: 255 }),
        minor: fc.integer({ min: 0, max: 255 }),
        serial: fc.integer({ min: 0, max: 0xffffffff }),
        name: fc.string({ maxLength: 40 }).map((s) => s.replace(/[^\x20-\x7e]/g, 'x')),
      })
      .map((r) => identity(r.vendor, r.type, [r.major, r.minor], r.serial, r.name));
    fc.assert(
      fc.property(fc.array(arbIdentity, { minLength: 1, maxLength: 30 }), (list) => {
        const shared = new IdentityMemo(4); // few slots: many collisions
        for (const bytes of [...list, ...list]) {
          const got = shared.factsOf(bytes, 0, bytes.length)!;
          const fresh = new IdentityMemo().factsOf(bytes, 0, bytes.length)!;
          assert.deepEqual(pairs(got), pairs(fresh));
        }
      }),
      { numRuns: fuzzRuns(60) },
    );
  });

  it('decodes identities too long to remember, and rejects ones too short to be one', () => {
    // The longest name a short string holds, then trailing bytes past what the memo keeps.
    const named = identity(1, 14, [1, 1], 1, 'n'.repeat(255));
    const long = new Uint8Array(MAX_MEMO_IDENTITY_BYTES + 1);
    long.set(named);
    const memo = new IdentityMemo();
    const a = memo.factsOf(long, 0, long.length)!;
    const b = memo.factsOf(long, 0, long.length)!;
    assert.ok(pairs(a).includes(`product=${'n'.repeat(255)}`));
    assert.notEqual(a, b, 'not memoised');
    assert.deepEqual(pairs(a), pairs(b));
    assert.equal(memo.factsOf(plc, 0, 14), null);
  });
});
