import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fuzzRuns } from '../util/fuzz-budget.js';
import { TickConverter, TickEncoder, ticksPerSecondOf } from './timestamp.js';

/** Reference conversion in BigInt: floor division, sub-nanosecond part truncated. */
function reference(ticks: bigint, tsresol: number, offset: bigint): [number, number] {
  const exponent = BigInt(tsresol & 0x7f);
  const tps = (tsresol & 0x80) !== 0 ? 1n << exponent : 10n ** exponent;
  const sec = ticks / tps + offset;
  const nsec = ((ticks % tps) * 1_000_000_000n) / tps;
  return [Number(sec), Number(nsec)];
}

const RESOLUTIONS = [0, 1, 3, 6, 9, 12, 15, 19, 25, 0x80, 0x8a, 0x94, 0x97, 0x9e, 0xa0, 0xa8, 0xbf];

describe('TickConverter', () => {
  it('matches BigInt arithmetic for every 64-bit tick count and resolution', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        fc.constantFrom(...RESOLUTIONS),
        fc.integer({ min: -1e9, max: 1e9 }),
        (ticks, tsresol, offset) => {
          const converter = new TickConverter(tsresol, offset);
          converter.convert(Number(ticks >> 32n), Number(ticks & 0xffffffffn));
          const [sec, nsec] = reference(ticks, tsresol, BigInt(offset));
          // Seconds beyond 2^53 cannot be represented exactly; those inputs are not timestamps anyway.
          if (Math.abs(sec) < 2 ** 53) assert.equal(converter.sec, sec);
          // Binary resolutions finer than 2^-30 drop sub-nanosecond bits before dividing: may floor 1 ns lower.
          const subNanoBinary = (tsresol & 0x80) !== 0 && (tsresol & 0x7f) > 30;
          const label = `ticks ${ticks} tsresol 0x${tsresol.toString(16)}`;
          if (subNanoBinary) assert.ok(converter.nsec === nsec || converter.nsec === nsec - 1, label);
          else assert.equal(converter.nsec, nsec, label);
        },
      ),
      { numRuns: fuzzRuns(3000) },
    );
  });

  it('is exact on the boundaries of a second', () => {
    for (const tsresol of [6, 9, 0x94, 0x9e]) {
      const tps = BigInt(ticksPerSecondOf(tsresol));
      for (const ticks of [1700000000n * tps - 1n, 1700000000n * tps, 1700000000n * tps + 1n]) {
        const converter = new TickConverter(tsresol);
        converter.convert(Number(ticks >> 32n), Number(ticks & 0xffffffffn));
        assert.deepEqual([converter.sec, converter.nsec], reference(ticks, tsresol, 0n));
      }
    }
  });
});

describe('TickEncoder', () => {
  it('encodes seconds + nanoseconds as floor(time * ticksPerSecond) for writable resolutions', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.integer({ min: 0, max: 999_999_999 }),
        fc.constantFrom(0, 3, 6, 9, 0x80, 0x89, 0x94, 0x9e),
        (sec, nsec, tsresol) => {
          const encoder = new TickEncoder(tsresol);
          encoder.encode(sec, nsec);
          const tps = BigInt(ticksPerSecondOf(tsresol));
          const expected = BigInt(sec) * tps + (BigInt(nsec) * tps) / 1_000_000_000n;
          assert.equal((BigInt(encoder.hi) << 32n) | BigInt(encoder.lo), expected);
        },
      ),
      { numRuns: fuzzRuns(3000) },
    );
  });

  it('refuses sub-nanosecond resolutions it cannot encode exactly', () => {
    assert.throws(() => new TickEncoder(12), RangeError);
    assert.throws(() => new TickEncoder(0x80 | 31), RangeError);
  });
});
