/**
 * Conversion of pcapng 64-bit tick counts to (seconds, nanoseconds) without BigInt and without losing
 * precision: a nanosecond timestamp of today is ~1.7e18 ticks, far above 2^53, so the tick count is kept as
 * two 32-bit halves and divided by long division in 16-bit digits (every intermediate stays below 2^53).
 * All set-up work (resolution decoding, pre-scaling) happens once per interface.
 */

const TWO_POW_32 = 4294967296;
/** Below this high word the full tick count is an exact double and one division suffices. */
const FAST_PATH_HIGH_LIMIT = 1 << 21;

/** Ticks per second of a pcapng if_tsresol byte: MSB clear = 10^-n, set = 2^-n. */
export function ticksPerSecondOf(tsresol: number): number {
  const exponent = tsresol & 0x7f;
  return (tsresol & 0x80) !== 0 ? 2 ** exponent : 10 ** exponent;
}

/**
 * Divides the unsigned 64-bit value hi * 2^32 + lo by `divisor` (an integer in [1, 2^36)).
 * Results are left in the fields of `out` so that the per-packet path allocates nothing.
 */
function divide64(hi: number, lo: number, divisor: number, out: DivisionResult): void {
  let quotient = Math.floor(hi / divisor);
  let remainder = hi - quotient * divisor;
  if (remainder < 0) {
    quotient -= 1;
    remainder += divisor;
  }
  const quotientHigh = quotient;

  let current = remainder * 65536 + (lo >>> 16);
  let digit = Math.floor(current / divisor);
  remainder = current - digit * divisor;
  if (remainder < 0) {
    digit -= 1;
    remainder += divisor;
  }
  let quotientLow = digit * 65536;

  current = remainder * 65536 + (lo & 0xffff);
  digit = Math.floor(current / divisor);
  remainder = current - digit * divisor;
  if (remainder < 0) {
    digit -= 1;
    remainder += divisor;
  }
  quotientLow += digit;

  out.quotientHigh = quotientHigh;
  out.quotientLow = quotientLow;
  out.remainder = remainder;
}

interface DivisionResult {
  quotientHigh: number;
  quotientLow: number;
  remainder: number;
}

/** Per-interface converter from 64-bit tick counts to epoch seconds + nanoseconds. */
export class TickConverter {
  /** Outputs of the last `convert` call. */
  sec = 0;
  nsec = 0;
  /** Ticks per second as declared (for the interface summary). */
  readonly declaredTicksPerSecond: number;

  private readonly ticksPerSecond: number;
  private readonly nanosPerTick: number;
  /** Right shift applied first for binary resolutions finer than 2^-30 (sub-nanosecond). */
  private readonly shift: number;
  /** Divisor applied first for decimal resolutions finer than 10^-9 (sub-nanosecond). */
  private readonly preDivisor: number;
  /** Resolutions so fine that every 64-bit count is below one second (10^-20 and finer). */
  private readonly subSecondOnly: boolean;
  private readonly offsetSeconds: number;
  private readonly division: DivisionResult = { quotientHigh: 0, quotientLow: 0, remainder: 0 };

  constructor(tsresol = 6, offsetSeconds = 0) {
    this.declaredTicksPerSecond = ticksPerSecondOf(tsresol);
    this.offsetSeconds = offsetSeconds;
    const exponent = tsresol & 0x7f;
    let shift = 0;
    let preDivisor = 1;
    let subSecondOnly = false;
    let ticksPerSecond: number;
    if ((tsresol & 0x80) !== 0) {
      const effective = Math.min(exponent, 30);
      shift = exponent - effective;
      ticksPerSecond = 2 ** effective;
    } else if (exponent <= 9) {
      ticksPerSecond = 10 ** exponent;
    } else if (exponent <= 19) {
      preDivisor = 10 ** (exponent - 9);
      ticksPerSecond = 1e9;
    } else {
      subSecondOnly = true;
      preDivisor = 10 ** (exponent - 9);
      ticksPerSecond = 1e9;
    }
    this.shift = shift;
    this.preDivisor = preDivisor;
    this.subSecondOnly = subSecondOnly;
    this.ticksPerSecond = ticksPerSecond;
    // Exact as a double: an integer for 10^-n (n <= 9), 1953125 * 2^(9-k) for 2^-k.
    this.nanosPerTick = 1e9 / ticksPerSecond;
  }

  convert(high: number, low: number): void {
    let hi = high >>> 0;
    let lo = low >>> 0;
    if (this.subSecondOnly) {
      this.sec = this.offsetSeconds;
      this.nsec = Math.min(999_999_999, Math.floor((hi * TWO_POW_32 + lo) / this.preDivisor));
      return;
    }
    if (this.shift !== 0) {
      const s = this.shift;
      if (s >= 32) {
        lo = hi >>> (s - 32);
        hi = 0;
      } else {
        lo = ((lo >>> s) | (hi << (32 - s))) >>> 0;
        hi = hi >>> s;
      }
    }
    if (this.preDivisor !== 1) {
      divide64(hi, lo, this.preDivisor, this.division);
      hi = this.division.quotientHigh;
      lo = this.division.quotientLow;
    }
    const tps = this.ticksPerSecond;
    let sec: number;
    let remainder: number;
    if (hi < FAST_PATH_HIGH_LIMIT) {
      const ticks = hi * TWO_POW_32 + lo;
      sec = Math.floor(ticks / tps);
      remainder = ticks - sec * tps;
      if (remainder < 0) {
        sec -= 1;
        remainder += tps;
      }
    } else {
      divide64(hi, lo, tps, this.division);
      sec = this.division.quotientHigh * TWO_POW_32 + this.division.quotientLow;
      remainder = this.division.remainder;
    }
    this.sec = sec + this.offsetSeconds;
    this.nsec = Math.floor(remainder * this.nanosPerTick);
  }
}

/**
 * The inverse conversion, used by the writer: seconds + nanoseconds -> 64-bit tick count (hi, lo), rounding
 * the sub-tick part down. Supports 10^-n for n <= 9 and 2^-k for k <= 30.
 */
export class TickEncoder {
  hi = 0;
  lo = 0;
  readonly ticksPerSecond: number;
  /** Decimal (and 2^-k for k < 9): nanoseconds per tick is an integer. */
  private readonly nanosPerTick: number;
  /** Binary k >= 9: ticks = nsec * 2^(k-9) / 1953125, numerator exact as a double. */
  private readonly binaryScale: number;

  constructor(tsresol = 6) {
    const exponent = tsresol & 0x7f;
    const binary = (tsresol & 0x80) !== 0;
    if ((binary && exponent > 30) || (!binary && exponent > 9)) {
      throw new RangeError(`tsresol 0x${tsresol.toString(16)} is finer than the writer supports`);
    }
    this.ticksPerSecond = ticksPerSecondOf(tsresol);
    this.nanosPerTick = 1e9 % this.ticksPerSecond === 0 ? 1e9 / this.ticksPerSecond : 0;
    this.binaryScale = binary && exponent >= 9 ? 2 ** (exponent - 9) : 0;
  }

  encode(sec: number, nsec: number): void {
    const tps = this.ticksPerSecond;
    let fraction: number;
    if (this.nanosPerTick !== 0) {
      fraction = Math.floor(nsec / this.nanosPerTick);
      if (fraction * this.nanosPerTick > nsec) fraction -= 1;
    } else {
      const numerator = nsec * this.binaryScale;
      fraction = Math.floor(numerator / 1953125);
      if (fraction * 1953125 > numerator) fraction -= 1;
    }
    // sec * tps as X * 65536 + Y where X and Y are exact products below 2^53.
    const secHigh = Math.floor(sec / 65536);
    const secLow = sec - secHigh * 65536;
    const x = secHigh * tps;
    const y = secLow * tps + fraction;
    const xHigh = Math.floor(x / 65536);
    const xLow = x - xHigh * 65536;
    const low = xLow * 65536 + y;
    const carry = Math.floor(low / TWO_POW_32);
    this.hi = (xHigh + carry) >>> 0;
    this.lo = (low - carry * TWO_POW_32) >>> 0;
  }
}
