/** Builders and a driver for HTTP analyzer tests. */
import { Dir } from '../analyzer.js';
import { recordingContext, type RecordingContext } from '../common/test-support.js';
import type { FlowInfo } from '../analyzer.js';
import { HttpSession, type HttpOptions } from './session.js';

export function request(method: string, uri: string, headers: Record<string, string> = {}, body = ''): Buffer {
  const lines = [`${method} ${uri} HTTP/1.1`, ...Object.entries({ Host: 'plc.local', ...headers }).map(([k, v]) => `${k}: ${v}`)];
  if (body && !Object.keys(headers).some((k) => /content-length|transfer-encoding/i.test(k))) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body}`, 'latin1');
}

export function response(status: number, reason: string, headers: Record<string, string> = {}, body: string | Buffer = ''): Buffer {
  const b = typeof body === 'string' ? Buffer.from(body, 'latin1') : body;
  const hasFraming = Object.keys(headers).some((k) => /content-length|transfer-encoding/i.test(k));
  const lines = [`HTTP/1.1 ${status} ${reason}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  if (!hasFraming) lines.push(`Content-Length: ${b.length}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), b]);
}

export function chunked(body: string, chunkSize: number): string {
  let out = '';
  for (let i = 0; i < body.length; i += chunkSize) {
    const part = body.slice(i, i + chunkSize);
    out += `${Buffer.byteLength(part, 'latin1').toString(16)};ext=1\r\n${part}\r\n`;
  }
  return `${out}0\r\nX-Trailer: yes\r\n\r\n`;
}

export interface Exchange {
  dir: Dir;
  bytes: Buffer;
}

/** Feeds exchanges in order, each cut into segments of sizes from `cuts` (cycled; 0 = whole). */
export function run(exchanges: Exchange[], cuts: number[] = [0], flow: Partial<FlowInfo> = {}, options: Partial<HttpOptions> = {}, caps = {}): RecordingContext {
  const ctx = recordingContext({ serverPort: 80, ...flow }, { maxBufferBytes: 65536, maxPendingTransactions: 16, ...caps });
  const session = new HttpSession(ctx, options);
  let frame = 1;
  let c = 0;
  for (const { dir, bytes } of exchanges) {
    for (let pos = 0; pos < bytes.length; ) {
      const cut = cuts[c++ % cuts.length]!;
      const n = cut <= 0 ? bytes.length - pos : Math.min(cut, bytes.length - pos);
      session.onData(dir, bytes, pos, n, { frame: frame++, ts: frame });
      pos += n;
    }
  }
  session.onClose({ frame, ts: frame });
  return ctx;
}

export const up = (bytes: Buffer): Exchange => ({ dir: Dir.ToServer, bytes });
export const down = (bytes: Buffer): Exchange => ({ dir: Dir.ToClient, bytes });
