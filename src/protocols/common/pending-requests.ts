/**
 * Requests awaiting their answer, by numeric key, in arrival order. The oldest waits in a field and the Map is
 * used only while more than one is outstanding: a client mostly has one request in flight, and a V8 Map that goes
 * back to empty on delete reallocates its table, once per transaction. (For many requests in flight with pooled
 * records see pending-table.ts.)
 */
import type { AnalyzerContext } from '../analyzer.js';
import type { OtEvent } from '../../events/types.js';

export class PendingRequests<T extends OtEvent> {
  /** older than every entry of `rest` (it is only filled while `rest` is empty) */
  private firstKey = -1;
  private first: T | null = null;
  private readonly rest = new Map<number, T>();

  get size(): number {
    return (this.first !== null ? 1 : 0) + this.rest.size;
  }

  get(key: number): T | undefined {
    if (this.first !== null && this.firstKey === key) return this.first;
    return this.rest.size > 0 ? this.rest.get(key) : undefined;
  }

  delete(key: number): void {
    if (this.first !== null && this.firstKey === key) this.first = null;
    else if (this.rest.size > 0) this.rest.delete(key);
  }

  /** Appends a request whose key is not pending. */
  add(key: number, event: T): void {
    if (this.first === null && this.rest.size === 0) {
      this.firstKey = key;
      this.first = event;
    } else this.rest.set(key, event);
  }

  /** The key of the oldest pending request, -1 when none. */
  oldestKey(): number {
    if (this.first !== null) return this.firstKey;
    return this.rest.size > 0 ? (this.rest.keys().next().value as number) : -1;
  }

  /** Removes every pending request, emitting each in arrival order. */
  drainTo(sink: AnalyzerContext['sink']): void {
    if (this.first !== null) sink.emit(this.first);
    for (const e of this.rest.values()) sink.emit(e);
    this.first = null;
    this.rest.clear();
  }
}
