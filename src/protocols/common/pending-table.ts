/**
 * Requests awaiting their response, keyed by a number, in arrival order: the table behind request/response
 * pairing of the Modbus and EtherNet/IP sessions.
 *
 * Why not a Map: pairing inserts and deletes one key per transaction, and V8's ordered hash tables rebuild
 * themselves every few deletions (deleted slots are only reclaimed by a rehash into a new table), so a Map with
 * one request outstanding costs an allocation every couple of transactions and ~300 ns per set/get/delete
 * cycle. This table is intrusive: the entries are the callers' (pooled) records, which carry the hash-chain and
 * arrival-order links, so insertion and removal allocate nothing once the bucket array has grown to the
 * session's high-water mark.
 *
 * The table imposes no cap itself; callers enforce theirs with `size` and `oldest`.
 */

/** Base class of the records a PendingTable holds. A record is in at most one table at a time. */
export class PendingEntry {
  /** the pairing key; integral, any sign, |key| < 2^53 */
  key = 0;
  /** arrival-order links (null at the ends / when not in a table) */
  older: PendingEntry | null = null;
  newer: PendingEntry | null = null;
  /** next record in the same hash bucket */
  chained: PendingEntry | null = null;
}

const INITIAL_BUCKET_BITS = 3;
const TWO_TO_32 = 0x100000000;

export class PendingTable<T extends PendingEntry> {
  private buckets: Array<T | null>;
  private shift: number;
  private head: T | null = null;
  private tail: T | null = null;
  private count = 0;

  constructor() {
    this.buckets = new Array<T | null>(1 << INITIAL_BUCKET_BITS).fill(null);
    this.shift = 32 - INITIAL_BUCKET_BITS;
  }

  get size(): number {
    return this.count;
  }

  /** The record that has waited longest, or null. */
  get oldest(): T | null {
    return this.head;
  }

  /** The record after `entry` in arrival order (null after the newest). */
  newerThan(entry: T): T | null {
    return entry.newer as T | null;
  }

  get(key: number): T | null {
    let e: T | null = this.buckets[this.bucketOf(key)]!;
    while (e !== null && e.key !== key) e = e.chained as T | null;
    return e;
  }

  /** Removes and returns the record under `key` (null when there is none). */
  take(key: number): T | null {
    const index = this.bucketOf(key);
    let e: T | null = this.buckets[index]!;
    let before: T | null = null;
    while (e !== null && e.key !== key) {
      before = e;
      e = e.chained as T | null;
    }
    if (e === null) return null;
    if (before === null) this.buckets[index] = e.chained as T | null;
    else before.chained = e.chained;
    this.unlinkOrder(e);
    return e;
  }

  /** Removes `entry`, which must be in this table. */
  remove(entry: T): void {
    this.take(entry.key);
  }

  /** Adds `entry` as the newest record. Its key must not be in the table already (take the old one first). */
  add(entry: T): void {
    if (this.count >= this.buckets.length) this.grow();
    const index = this.bucketOf(entry.key);
    entry.chained = this.buckets[index]!;
    this.buckets[index] = entry;
    entry.newer = null;
    entry.older = this.tail;
    if (this.tail === null) this.head = entry;
    else this.tail.newer = entry;
    this.tail = entry;
    this.count++;
  }

  /** Forgets every record (their links are left as they were: callers recycle them). */
  clear(): void {
    this.buckets.fill(null);
    this.head = null;
    this.tail = null;
    this.count = 0;
  }

  private unlinkOrder(e: T): void {
    const older = e.older as T | null;
    const newer = e.newer as T | null;
    if (older === null) this.head = newer;
    else older.newer = newer;
    if (newer === null) this.tail = older;
    else newer.older = older;
    e.older = null;
    e.newer = null;
    e.chained = null;
    this.count--;
  }

  /** Fibonacci hashing of the key's two 32-bit halves: top bits of the product index the buckets. */
  private bucketOf(key: number): number {
    const mixed = (key | 0) ^ Math.imul((key / TWO_TO_32) | 0, 0x85ebca6b);
    return Math.imul(mixed, 0x9e3779b1) >>> this.shift;
  }

  private grow(): void {
    const bits = 32 - this.shift + 1;
    this.buckets = new Array<T | null>(1 << bits).fill(null);
    this.shift = 32 - bits;
    for (let e = this.head; e !== null; e = e.newer as T | null) {
      const index = this.bucketOf(e.key);
      e.chained = this.buckets[index]!;
      this.buckets[index] = e;
    }
  }
}
