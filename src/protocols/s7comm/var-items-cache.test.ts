import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fuzzRuns } from '../../util/fuzz-budget.js';
import { ItemSummary, MAX_CACHED_VAR_PARAM, VarItemsCache, summarizeVarItems } from './parser.js';
import { anyItem } from './test-support/frames.js';

function fresh(param: Buffer): ItemSummary {
  const out = new ItemSummary();
  summarizeVarItems(param, 0, param.length, out);
  return out;
}

function plain(s: ItemSummary) {
  return { count: s.count, object: s.object, address: s.address, quantity: s.quantity, malformed: s.malformed };
}

/** Read Var parameter parts: S7ANY items, other syntaxes, truncated ones, and random bytes. */
const itemArb = fc.oneof(
  fc.tuple(fc.constantFrom(0x01, 0x02, 0x04, 0x1c), fc.nat(40), fc.nat(3), fc.constantFrom(0x81, 0x82, 0x83, 0x84, 28), fc.nat(70)).map(
    ([tsize, count, db, area, addr]) => anyItem(tsize, count, db, area, addr),
  ),
  fc.uint8Array({ minLength: 1, maxLength: 14 }).map((b) => [0x12, b.length, ...b]),
);
const paramArb = fc.oneof(
  fc.array(itemArb, { maxLength: 7 }).map((items) => Buffer.from([0x04, items.length, ...items.flat()])),
  fc.uint8Array({ maxLength: 24 }).map((b) => Buffer.from(b)),
);

describe('VarItemsCache', () => {
  it('gives what summarizeVarItems gives, for repeated, alternating and changing parameter parts', () => {
    fc.assert(
      fc.property(fc.array(paramArb, { minLength: 1, maxLength: 4 }), fc.array(fc.nat(), { minLength: 1, maxLength: 30 }), fc.nat(40), (pool, picks, cap) => {
        // A small cap too, so that parameter parts over it (never cached) mix with cached ones.
        for (const cache of [new VarItemsCache(), new VarItemsCache(cap)]) {
          const out = new ItemSummary();
          for (const pick of picks) {
            const param = pool[pick % pool.length]!;
            // At an offset inside a larger buffer, as the session sees it.
            const framed = Buffer.concat([Buffer.from([0xee, 0xee, 0xee]), param, Buffer.from([0x12, 0x0a])]);
            cache.summarize(framed, 3, param.length, out);
            assert.deepEqual(plain(out), plain(fresh(param)));
          }
        }
      }),
      { numRuns: fuzzRuns(200) },
    );
  });

  it('a byte changed anywhere in the parameter part is a different summary', () => {
    const cache = new VarItemsCache();
    const out = new ItemSummary();
    const a = Buffer.from([0x04, 0x02, ...anyItem(0x02, 16, 1, 0x84, 0), ...anyItem(0x02, 8, 2, 0x84, 4)]);
    cache.summarize(a, 0, a.length, out);
    assert.equal(out.object, 'DB1.DBX0.0 BYTE 16,DB2.DBX4.0 BYTE 8');
    const b = Buffer.from(a);
    b[b.length - 1] = 0x28; // second item's bit address: byte 4 (bit 0x20) → byte 5 (bit 0x28)
    cache.summarize(b, 0, b.length, out);
    assert.equal(out.object, 'DB1.DBX0.0 BYTE 16,DB2.DBX5.0 BYTE 8');
    cache.summarize(a, 0, a.length, out);
    assert.equal(out.object, 'DB1.DBX0.0 BYTE 16,DB2.DBX4.0 BYTE 8');
  });

  it('parameter parts over the cap are summarised afresh (and correctly) every time', () => {
    const items = Array.from({ length: 22 }, (_, i) => anyItem(0x02, 1, i, 0x84, i));
    const big = Buffer.from([0x04, items.length, ...items.flat()]);
    assert.ok(big.length > MAX_CACHED_VAR_PARAM);
    const cache = new VarItemsCache();
    const out = new ItemSummary();
    for (let i = 0; i < 2; i++) {
      cache.summarize(big, 0, big.length, out);
      assert.deepEqual(plain(out), plain(fresh(big)));
      assert.equal(out.object, 'DB0.DBX0.0 BYTE 1,DB1.DBX1.0 BYTE 1,DB2.DBX2.0 BYTE 1,DB3.DBX3.0 BYTE 1,+18');
    }
  });
});
