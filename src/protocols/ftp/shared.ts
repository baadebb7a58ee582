/**
 * Helpers shared by the remote-access / cleartext IT analyzers (FTP, SMTP, Telnet, VNC, RDP, SNMP, Syslog, NTP,
 * Stratum, MQTT): one event stamper per flow and line framing for text protocols. They live here because the
 * analyzers' owner may not edit src/protocols/common/; they belong there.
 */
import type { AssetFactEvent, Endpoint, FactField, OperationEvent, OperationKind, ProtocolName } from '../../events/types.js';
import { Dir, type AnalyzerContext, type PacketMeta } from '../analyzer.js';
import { flowEndpoints } from '../common/endpoints.js';

export type Side = 'client' | 'server';
export type AnomalyName = 'malformed' | 'gap' | 'resync' | 'transaction-cap' | 'unexpected-response' | 'buffer-cap';

/** Most anomaly events one flow emits (the counters keep counting past it). */
export const MAX_ANOMALY_EVENTS = 32;
/** Most distinct facts one flow emits (repeats are dropped; over the cap counted `<protocol>.fact-cap`). */
export const MAX_FACTS_PER_FLOW = 64;

/** Stamps events for one flow: endpoints built once, facts de-duplicated, anomaly events capped. */
export class FlowEvents {
  client: Endpoint;
  server: Endpoint;
  meta: PacketMeta = { frame: 0, ts: 0 };
  private anomalies = 0;
  private readonly factsSeen = new Set<string>();
  private opaqueReported = false;

  constructor(
    readonly ctx: AnalyzerContext,
    readonly protocol: ProtocolName,
  ) {
    const { client, server } = flowEndpoints(ctx.flow);
    this.client = client;
    this.server = server;
  }

  /** After ctx.swapSides(): the analyzer's view of who is client follows. */
  swapped(): void {
    const c = this.client;
    this.client = this.server;
    this.server = c;
  }

  /** A request sent in direction `dir` (src = its sender). */
  operation(dir: Dir, kind: OperationKind, code: number, codeName: string, result: OperationEvent['result'] = 'no-response'): OperationEvent {
    return {
      type: 'operation',
      protocol: this.protocol,
      ts: this.meta.ts,
      frame: this.meta.frame,
      captureIndex: this.ctx.captureIndex,
      flowId: this.ctx.flow.id,
      src: dir === Dir.ToServer ? this.client : this.server,
      dst: dir === Dir.ToServer ? this.server : this.client,
      kind,
      code,
      codeName,
      result,
    };
  }

  emit(event: OperationEvent): void {
    this.ctx.sink.emit(event);
  }

  /** Completes `event` with the response in the current packet. */
  complete(event: OperationEvent, ok: boolean, exceptionCode?: number, exceptionName?: string): void {
    event.responseFrame = this.meta.frame;
    event.result = ok ? 'ok' : 'exception';
    if (!ok && exceptionCode !== undefined) event.exceptionCode = exceptionCode;
    if (!ok && exceptionName !== undefined) event.exceptionName = exceptionName;
  }

  fact(side: Side, field: FactField, value: string, confidence: number): void {
    if (value === '') return;
    const ep = side === 'client' ? this.client : this.server;
    const key = `${ep.ip}|${field}|${value}`;
    if (this.factsSeen.has(key)) return;
    if (this.factsSeen.size >= MAX_FACTS_PER_FLOW) {
      this.ctx.count(`${this.protocol}.fact-cap`);
      return;
    }
    this.factsSeen.add(key);
    const subject: AssetFactEvent['subject'] = { ip: ep.ip };
    if (ep.mac) subject.mac = ep.mac;
    this.ctx.sink.emit({
      type: 'asset-fact',
      protocol: this.protocol,
      ts: this.meta.ts,
      frame: this.meta.frame,
      captureIndex: this.ctx.captureIndex,
      subject,
      field,
      value,
      confidence,
    });
  }

  anomaly(dir: Dir, anomaly: AnomalyName, detail: string): void {
    this.ctx.count(`${this.protocol}.${anomaly}`);
    if (this.anomalies >= MAX_ANOMALY_EVENTS) return;
    this.anomalies++;
    this.ctx.sink.emit({
      type: 'anomaly',
      protocol: this.protocol,
      ts: this.meta.ts,
      frame: this.meta.frame,
      captureIndex: this.ctx.captureIndex,
      flowId: this.ctx.flow.id,
      src: dir === Dir.ToServer ? this.client : this.server,
      dst: dir === Dir.ToServer ? this.server : this.client,
      anomaly,
      detail,
    });
  }

  /** Once per flow: the rest of the session is encrypted (STARTTLS, AUTH TLS, RDP with TLS/CredSSP). */
  opaque(detail: string): void {
    if (this.opaqueReported) return;
    this.opaqueReported = true;
    this.ctx.sink.emit({
      type: 'protocol',
      protocol: this.protocol,
      ts: this.meta.ts,
      frame: this.meta.frame,
      captureIndex: this.ctx.captureIndex,
      flowId: this.ctx.flow.id,
      src: this.client,
      dst: this.server,
      visibility: 'opaque',
      by: 'probe',
      detail,
    });
    this.ctx.markOpaque();
  }
}

/** Index of the first LF in buf[off..end), or -1. */
export function indexOfLf(buf: Buffer, off: number, end: number): number {
  for (let i = off; i < end; i++) if (buf[i] === 0x0a) return i;
  return -1;
}

/** Length of buf[off..off+len) without trailing CR/LF. */
export function trimEol(buf: Buffer, off: number, len: number): number {
  while (len > 0 && (buf[off + len - 1] === 0x0a || buf[off + len - 1] === 0x0d)) len--;
  return len;
}

/** Printable text of buf[off..off+len), at most `max` characters, control bytes as '.', trimmed. */
export function printable(buf: Buffer, off: number, len: number, max = 256): string {
  const n = len < max ? len : max;
  let s = '';
  for (let i = 0; i < n; i++) {
    const b = buf[off + i]!;
    s += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : b === 0x09 ? ' ' : '.';
  }
  return s.trim();
}

/** Case-insensitive: does buf[off..off+len) start with the ASCII `prefix` (upper case letters given)? */
export function startsWithUpper(buf: Buffer, off: number, len: number, prefix: string): boolean {
  if (len < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) {
    let b = buf[off + i]!;
    if (b >= 0x61 && b <= 0x7a) b -= 0x20;
    if (b !== prefix.charCodeAt(i)) return false;
  }
  return true;
}

/** Three ASCII digits at buf[off] as a number, or -1. */
export function replyCode(buf: Buffer, off: number, len: number): number {
  if (len < 3) return -1;
  let code = 0;
  for (let i = 0; i < 3; i++) {
    const b = buf[off + i]!;
    if (b < 0x30 || b > 0x39) return -1;
    code = code * 10 + (b - 0x30);
  }
  return code;
}

/**
 * A line consumer for StreamBuffer: calls `onLine(buf, off, lineLen)` for each LF-terminated line (CR/LF
 * stripped). A line longer than `maxLine` without LF is handed over truncated and counted, so the buffer never
 * holds more than `maxLine` bytes for it.
 */
export function lineConsumer(maxLine: number, onLine: (buf: Buffer, off: number, len: number, truncated: boolean) => void): (buf: Buffer, off: number, len: number) => number {
  return (buf, off, len) => {
    const end = off + len;
    const lf = indexOfLf(buf, off, end);
    if (lf < 0) {
      if (len < maxLine) return 0;
      onLine(buf, off, maxLine, true);
      return maxLine;
    }
    onLine(buf, off, trimEol(buf, off, lf + 1 - off), false);
    return lf + 1 - off;
  };
}

/** Text protocols probe their first line: printable ASCII (with CR/LF/TAB) only. */
export function isTextPrefix(buf: Buffer, off: number, len: number): boolean {
  for (let i = 0; i < len; i++) {
    const b = buf[off + i]!;
    if ((b < 0x20 || b > 0x7e) && b !== 0x0d && b !== 0x0a && b !== 0x09) return false;
  }
  return true;
}

/** Does the ASCII needle (lower case) occur in buf[off..off+len), case-insensitively? */
export function containsLower(buf: Buffer, off: number, len: number, needle: string): boolean {
  const n = needle.length;
  outer: for (let i = 0; i + n <= len; i++) {
    for (let j = 0; j < n; j++) {
      let b = buf[off + i + j]!;
      if (b >= 0x41 && b <= 0x5a) b += 0x20;
      if (b !== needle.charCodeAt(j)) continue outer;
    }
    return true;
  }
  return false;
}
