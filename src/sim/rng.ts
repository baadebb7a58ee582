/**
 * Seeded PRNG (sfc32, seeded through splitmix32) for the simulator. Every random choice in src/sim goes
 * through one of these so that a seed fully determines the output bytes: never Math.random, never Date.now.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** Uniform 32-bit unsigned integer. */
  u32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform float in [0, 1). */
  float(): number {
    return this.u32() / 4294967296;
  }

  /** Uniform integer in [min, max] (inclusive). */
  int(min: number, max: number): number {
    return min + Math.floor(this.float() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.float() * items.length)]!;
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  /** A child generator whose stream does not depend on how much the parent is used later. */
  fork(salt: number): Rng {
    return new Rng((this.u32() ^ Math.imul(salt + 1, 0x9e3779b1)) >>> 0);
  }

  /**
   * Fills with pseudo-random bytes. Long runs (ciphertext, program blocks) are copied from a fixed
   * deterministic pool at a random offset: as opaque as needed on the wire, and far cheaper than a draw per byte.
   */
  fill(buf: Buffer, off: number, len: number): void {
    if (len <= 64) {
      for (let i = 0; i < len; i += 4) {
        const v = this.u32();
        for (let k = 0; k < 4 && i + k < len; k++) buf[off + i + k] = (v >>> (k * 8)) & 0xff;
      }
      return;
    }
    const pool = randomPool();
    let done = 0;
    while (done < len) {
      const start = this.u32() % (pool.length >>> 1);
      const n = Math.min(len - done, pool.length - start);
      pool.copy(buf, off + done, start, start + n);
      done += n;
    }
  }
}

/** Stable 32-bit hash of a string, to derive per-asset seeds from names. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

let pool: Buffer | null = null;
function randomPool(): Buffer {
  if (pool === null) {
    pool = Buffer.allocUnsafe(1 << 20);
    const r = new Rng(0x0badc0de);
    for (let i = 0; i < pool.length; i += 4) pool.writeUInt32LE(r.u32(), i);
  }
  return pool;
}
