/**
 * Change tracking for periodic L2 discovery advertisements (LLDP, CDP): a device repeats the same
 * advertisement every 30-60 s, so only a sender's first advertisement and the ones that change are reported.
 * Each sender is remembered by a hash of what it advertised, in a capped table (oldest evicted when full),
 * forgotten when a new capture starts.
 */
import type { L2Context } from '../l2.js';

export class AdvertisementTracker {
  /** sender MAC → hash of its last reported advertisement */
  private readonly senders = new Map<number, number>();
  private captureIndex = -1;
  private readonly repeatsCounter: string;
  private readonly sendersCapCounter: string;
  private readonly newCounter: string;
  private readonly changedCounter: string;

  /** Counters: `<protocol>.repeats`, `.senders-cap`, `.advertisements`, `.changed-advertisements`. */
  constructor(
    protocol: string,
    private readonly maxSenders: number,
  ) {
    this.repeatsCounter = `${protocol}.repeats`;
    this.sendersCapCounter = `${protocol}.senders-cap`;
    this.newCounter = `${protocol}.advertisements`;
    this.changedCounter = `${protocol}.changed-advertisements`;
  }

  /** Senders of an earlier capture are not remembered into the next one. */
  startCapture(captureIndex: number): void {
    if (captureIndex === this.captureIndex) return;
    this.captureIndex = captureIndex;
    this.senders.clear();
  }

  /** Records `sender`'s advertisement; true when it is new or changed (to be reported), false for a repeat. */
  changed(ctx: L2Context, sender: number, hash: number): boolean {
    const previous = this.senders.get(sender);
    if (previous === hash) {
      ctx.count(this.repeatsCounter);
      return false;
    }
    if (previous === undefined && this.senders.size >= this.maxSenders) {
      ctx.count(this.sendersCapCounter);
      for (const key of this.senders.keys()) {
        this.senders.delete(key);
        break;
      }
    }
    this.senders.set(sender, hash);
    ctx.count(previous === undefined ? this.newCounter : this.changedCounter);
    return true;
  }
}
