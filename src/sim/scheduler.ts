/**
 * Merges the simulated processes (HMI poll loops, historian pulls, browsing sessions, incidents) by
 * simulated time. Each process is a generator that writes one frame into its own slot per `yield`; the
 * scheduler always writes the process whose pending frame is earliest (ties broken by process id, so the
 * order is deterministic), then resumes it to build its next frame into the same slot.
 */
import { newSlot, type FrameSlot } from './packets.js';

export type SimProcessFactory = (slot: FrameSlot) => Iterator<void>;

/** Where the scheduler's frames go (the capture writer, or the period recorder in front of it). */
export interface FrameSink {
  readonly bytesWritten: number;
  write(tsUs: number, frame: Buffer, len: number): void;
}

/**
 * Looks at each frame before it is written. Returning false pauses the run: the frame stays pending and
 * run() returns (it may be resumed, or abandoned).
 */
export type FrameGate = (tsUs: number, slot: FrameSlot) => boolean;

/** Process groups: the plant's own cycles, and incidents (which the period replay must not repeat). */
export const GROUP_BASELINE = 0;
export const GROUP_INCIDENT = 1;

interface ProcessEntry {
  id: number;
  group: number;
  slot: FrameSlot;
  it: Iterator<void>;
  /** time of the process's last written frame (-Infinity before its first) */
  lastTs: number;
}

export class Scheduler {
  private heap: ProcessEntry[] = [];
  private nextId = 0;
  /** set once the size target is reached: processes wind down (close their sessions) and end */
  private stopped = false;
  lastTs = 0;
  firstTs = -1;
  /** group given to processes spawned from outside a running process */
  spawnGroup = GROUP_BASELINE;
  /** live incident processes (spawned in GROUP_INCIDENT, or by such a process) */
  liveIncidents = 0;
  private running_: ProcessEntry | null = null;

  constructor(readonly startUs: number, readonly endUs: number) {}

  /** Whether a process should start another cycle at simulated time `t`. */
  running(t: number): boolean {
    return !this.stopped && t < this.endUs;
  }

  /** Makes every process wind down: each closes its sessions and ends. */
  stop(): void {
    this.stopped = true;
  }

  private pending: ProcessEntry[] = [];

  /** Starts a process; one spawned while another runs joins the queue after that process's step. */
  spawn(factory: SimProcessFactory): void {
    const slot = newSlot();
    const group = this.running_ !== null ? this.running_.group : this.spawnGroup;
    const entry: ProcessEntry = { id: this.nextId++, group, slot, it: factory(slot), lastTs: Number.NEGATIVE_INFINITY };
    if (entry.it.next().done) return;
    if (group === GROUP_INCIDENT) this.liveIncidents++;
    if (this.running_ !== null) this.pending.push(entry);
    else this.push(entry);
  }

  /**
   * Whether every process is between two of its transactions at `tsUs`: its last frame and its next one are
   * at least `minGapUs` apart. Request/response exchanges and TCP segments of one message are much closer.
   */
  allQuiet(tsUs: number, minGapUs: number): boolean {
    const heap = this.heap;
    for (let i = 0; i < heap.length; i++) {
      const e = heap[i]!;
      const next = e.slot.ts < tsUs ? tsUs : e.slot.ts;
      if (next - e.lastTs < minGapUs) return false;
    }
    return true;
  }

  /**
   * Writes frames in time order until no process is left, or until `gate` refuses a frame (then the run
   * can be resumed by calling run() again).
   */
  run(sink: FrameSink, sizeBytes?: number, gate?: FrameGate): void {
    const heap = this.heap;
    while (heap.length > 0) {
      const top = heap[0]!;
      const slot = top.slot;
      // A process spawned late may start before the last written frame; never go back in time.
      const ts = slot.ts < this.lastTs ? this.lastTs : slot.ts;
      if (gate !== undefined && !gate(ts, slot)) return;
      if (this.firstTs < 0) this.firstTs = ts;
      sink.write(ts, slot.buf, slot.len);
      this.lastTs = ts;
      top.lastTs = ts;
      if (sizeBytes !== undefined && !this.stopped && sink.bytesWritten >= sizeBytes) this.stopped = true;
      this.running_ = top;
      const done = top.it.next().done;
      this.running_ = null;
      if (done) {
        if (top.group === GROUP_INCIDENT) this.liveIncidents--;
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
