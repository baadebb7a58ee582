/**
 * Merges the simulated processes (HMI poll loops, historian pulls, browsing sessions, incidents) by
 * simulated time. Each process is a generator that writes one frame into its own slot per `yield`; the
 * scheduler always writes the process whose pending frame is earliest (ties broken by process id, so the
 * order is deterministic), then resumes it to build its next frame into the same slot.
 */
import { newSlot, type FrameSlot } from './packets.js';
import type { SimCaptureWriter } from './pcap-out.js';

export type SimProcessFactory = (slot: FrameSlot) => Iterator<void>;

interface ProcessEntry {
  id: number;
  slot: FrameSlot;
  it: Iterator<void>;
}

export class Scheduler {
  private heap: ProcessEntry[] = [];
  private nextId = 0;
  /** set once the size target is reached: processes wind down (close their sessions) and end */
  private stopped = false;
  lastTs = 0;
  firstTs = -1;

  constructor(readonly startUs: number, readonly endUs: number) {}

  /** Whether a process should start another cycle at simulated time `t`. */
  running(t: number): boolean {
    return !this.stopped && t < this.endUs;
  }

  private inRun = false;
  private pending: ProcessEntry[] = [];

  /** Starts a process; one spawned while another runs joins the queue after that process's step. */
  spawn(factory: SimProcessFactory): void {
    const slot = newSlot();
    const entry: ProcessEntry = { id: this.nextId++, slot, it: factory(slot) };
    if (entry.it.next().done) return;
    if (this.inRun) this.pending.push(entry);
    else this.push(entry);
  }

  run(writer: SimCaptureWriter, sizeBytes?: number): void {
    const heap = this.heap;
    this.inRun = true;
    while (heap.length > 0) {
      const top = heap[0]!;
      const slot = top.slot;
      // A process spawned late may start before the last written frame; never go back in time.
      const ts = slot.ts < this.lastTs ? this.lastTs : slot.ts;
      if (this.firstTs < 0) this.firstTs = ts;
      writer.write(ts, slot.buf, slot.len);
      this.lastTs = ts;
      if (sizeBytes !== undefined && !this.stopped && writer.bytesWritten >= sizeBytes) this.stopped = true;
      if (top.it.next().done) {
        const last = heap.pop()!;
        if (heap.length > 0) {
          heap[0] = last;
          this.siftDown(0);
        }
      } else {
        this.siftDown(0);
      }
      while (this.pending.length > 0) this.push(this.pending.shift()!);
    }
    this.inRun = false;
  }

  private less(a: ProcessEntry, b: ProcessEntry): boolean {
    return a.slot.ts < b.slot.ts || (a.slot.ts === b.slot.ts && a.id < b.id);
  }

  private push(e: ProcessEntry): void {
    const heap = this.heap;
    heap.push(e);
    let i = heap.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(heap[i]!, heap[p]!)) break;
      [heap[i], heap[p]] = [heap[p]!, heap[i]!];
      i = p;
    }
  }

  private siftDown(i: number): void {
    const heap = this.heap;
    const n = heap.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.less(heap[l]!, heap[m]!)) m = l;
      if (r < n && this.less(heap[r]!, heap[m]!)) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
  }
}
