/**
 * `--events FILE`: every event as one JSON object per line, the raw material for SIEMs and for the
 * differential tests against tshark. Buffered synchronous writes: the pipeline calls this from inside the
 * packet callback, where it cannot await.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { Endpoint, OtEvent } from '../events/types.js';
import { isoTime } from '../report/build.js';

const FLUSH_AT = 1 << 20;

export class EventsWriter {
  private readonly fd: number;
  private pending: string[] = [];
  private pendingBytes = 0;
  written = 0;

  constructor(path: string) {
    this.fd = path === '-' ? 1 : openSync(path, 'w');
  }

  write(event: OtEvent, file: string): void {
    const line = JSON.stringify(eventRecord(event, file)) + '\n';
    this.pending.push(line);
    this.pendingBytes += line.length;
    this.written++;
    if (this.pendingBytes >= FLUSH_AT) this.flush();
  }

  flush(): void {
    if (this.pending.length === 0) return;
    const data = Buffer.from(this.pending.join(''));
    this.pending = [];
    this.pendingBytes = 0;
    if (this.outputClosed) return;
    try {
      writeFully(this.fd, data);
    } catch (err) {
      if (err instanceof OutputClosedError) this.outputClosed = true;
      throw err;
    }
  }

  /** Set once the reader of our output went away; later writes are dropped. */
  private outputClosed = false;

  close(): void {
    if (!this.outputClosed) this.flush();
    if (this.fd !== 1) closeSync(this.fd);
  }
}

/**
 * writeSync may write only part of the buffer, or fail with EAGAIN, when the descriptor is a non-blocking
 * pipe (stdout piped into another program): keep writing until everything is out.
 */
function writeFully(fd: number, data: Buffer): void {
  let off = 0;
  while (off < data.length) {
    try {
      off += writeSync(fd, data, off, data.length - off);
    } catch (err) {
      // The reader went away (`otwatch ... --events - | head`): nothing more can be delivered.
      if ((err as NodeJS.ErrnoException).code === 'EPIPE') throw new OutputClosedError();
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      Atomics.wait(PAUSE, 0, 0, 2); // the reader is behind: wait a moment instead of spinning
    }
  }
}
const PAUSE = new Int32Array(new SharedArrayBuffer(4));

/** The consumer of our output closed it; the CLI ends quietly with success, as Unix tools do. */
export class OutputClosedError extends Error {
  override name = 'OutputClosedError';
}

/** ip:port, [v6]:port, or the MAC for layer-2 endpoints that have no IP. */
function endpointText(e: Endpoint): string {
  if (!e.ip) return e.mac ?? '';
  return e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`;
}

/** The JSON-lines shape of an event: flat, stable key order, ISO time, file name instead of index. */
export function eventRecord(event: OtEvent, file: string): Record<string, unknown> {
  const base: Record<string, unknown> = {
    type: event.type,
    protocol: event.protocol,
    file,
    frame: event.frame,
    ts: isoTime(event.ts),
  };
  if (event.type === 'asset-fact') {
    base.subject = event.subject;
    base.field = event.field;
    base.value = event.value;
    base.confidence = event.confidence;
    return base;
  }
  base.src = endpointText(event.src);
  base.dst = endpointText(event.dst);
  if (event.src.mac) base.srcMac = event.src.mac;
  if (event.dst.mac) base.dstMac = event.dst.mac;
  base.flowId = event.flowId;
  const { type: _t, protocol: _p, ts: _ts, frame: _f, captureIndex: _c, flowId: _id, src: _s, dst: _d, ...rest } = event;
  return Object.assign(base, rest);
}
