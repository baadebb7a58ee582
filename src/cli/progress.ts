/**
 * Terminal progress bar for `analyze`, redrawn at most 10 times a second on stderr, only when stderr is a
 * terminal. Files: bytes done/total, packets/s and ETA. Live capture (`live` label): packets, the current
 * packet and byte rates and the elapsed time; redrawn every second even when no packet arrives.
 */
export class ProgressBar {
  private lastDraw = 0;
  private readonly started = Date.now();
  private drawn = false;
  private ticker: NodeJS.Timeout | null = null;
  private lastDone = 0;
  private lastPackets = 0;
  /** Rate window for live capture: counters at its start; rates are over the last second or so. */
  private windowStart = Date.now();
  private windowPackets = 0;
  private windowBytes = 0;
  private packetRate = 0;
  private byteRate = 0;

  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly live: string | null = null,
  ) {
    if (live !== null) {
      this.ticker = setInterval(() => this.update(this.lastDone, 0, this.lastPackets), 1000);
      this.ticker.unref();
    }
  }

  static enabled(quiet: boolean): boolean {
    return !quiet && process.stderr.isTTY === true;
  }

  update(done: number, total: number, packets: number): void {
    this.lastDone = done;
    this.lastPackets = packets;
    const now = Date.now();
    if (now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const line = this.live !== null ? this.liveLine(now, done, packets) : this.fileLine(now, done, total, packets);
    this.stream.write(`\r\x1b[K${line}`);
    this.drawn = true;
  }

  private fileLine(now: number, done: number, total: number, packets: number): string {
    const elapsed = Math.max((now - this.started) / 1000, 0.001);
    const rate = done / elapsed;
    const fraction = total > 0 ? Math.min(done / total, 1) : 0;
    const width = 28;
    const filled = Math.round(fraction * width);
    const bar = total > 0 ? `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%` : '[streaming]';
    const eta = total > 0 && rate > 0 ? formatDuration((total - done) / rate) : '--';
    return `${bar} ${formatBytes(done)}${total > 0 ? '/' + formatBytes(total) : ''}  ${formatCount(packets / elapsed)} pkt/s  ${formatBytes(rate)}/s  ETA ${eta}`;
  }

  private liveLine(now: number, done: number, packets: number): string {
    const windowSeconds = (now - this.windowStart) / 1000;
    if (windowSeconds >= 1) {
      this.packetRate = (packets - this.windowPackets) / windowSeconds;
      this.byteRate = (done - this.windowBytes) / windowSeconds;
      this.windowStart = now;
      this.windowPackets = packets;
      this.windowBytes = done;
    }
    const elapsed = formatDuration((now - this.started) / 1000);
    return `[${this.live}] ${formatCount(packets)} packets  ${formatCount(this.packetRate)} pkt/s  ${formatBytes(done)}  ` +
      `${formatBytes(this.byteRate)}/s  elapsed ${elapsed}`;
  }

  done(): void {
    if (this.ticker !== null) clearInterval(this.ticker);
    this.ticker = null;
    if (this.drawn) this.stream.write('\r\x1b[K');
  }
}

export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

export function formatCount(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return n.toFixed(0);
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
