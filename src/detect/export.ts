/**
 * Alert export: JSON lines, ArcSight CEF, and RFC 5424 syslog carrying CEF over UDP (one message per datagram,
 * RFC 5426) or TCP (octet-counting framing, RFC 6587 3.4.1).
 */
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { hostname } from 'node:os';
import type { AlertReport, AlertSeverity } from '../report/types.js';
import { VERSION } from '../version.js';

/** CEF severity 0-10. */
export const CEF_SEVERITY: Record<AlertSeverity, number> = { info: 1, low: 3, medium: 5, high: 8, critical: 10 };
/** RFC 5424 severity: critical 2 (crit), high 3 (err), medium 4 (warning), low 5 (notice), info 6 (informational). */
export const SYSLOG_SEVERITY: Record<AlertSeverity, number> = { info: 6, low: 5, medium: 4, high: 3, critical: 2 };
/** facility 4: security/authorization messages */
export const DEFAULT_SYSLOG_FACILITY = 4;

/** Header fields: backslash and pipe escaped; a header cannot hold a line break, so those become spaces. */
export function cefHeaderEscape(s: string): string {
  return s.replace(/[\\|]/g, (c) => `\\${c}`).replace(/\r\n|[\r\n]/g, ' ');
}
/** Extension values: backslash and equals escaped, line breaks as \n / \r. */
export function cefValueEscape(s: string): string {
  return s.replace(/[\\=]/g, (c) => `\\${c}`).replace(/\r/g, '\\r').replace(/\n/g, '\\n');
}

function ms(iso: string): number | null {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t;
}

/** One alert as a CEF:0 record. Keys are CEF dictionary names; custom strings carry labels (cs<n>Label). */
export function toCef(a: AlertReport, version = VERSION): string {
  const ext: Array<[string, string | number | null | undefined]> = [
    ['rt', ms(a.lastSeen)],
    ['start', ms(a.firstSeen)],
    ['end', ms(a.lastSeen)],
    ['cnt', a.count],
    ['src', a.source?.ip],
    ['smac', a.source?.mac],
    ['shost', a.source?.name],
    ['dst', a.target?.ip],
    ['dmac', a.target?.mac],
    ['dhost', a.target?.name],
    ['cat', a.category],
    ['externalId', a.id],
    ['msg', a.explanation],
    ['cs1Label', 'alertId'], ['cs1', a.id],
    ['cs2Label', 'status'], ['cs2', a.status],
    ['cs3Label', 'mitreIcs'], ['cs3', a.mitre.ics.join(',')],
    ['cs4Label', 'mitreEnterprise'], ['cs4', a.mitre.enterprise.join(',')],
    ['cs5Label', 'severity'], ['cs5', a.severity],
    ['cs6Label', 'evidence'], ['cs6', a.evidence[0] ? `${a.evidence[0].file}#${a.evidence[0].frame ?? '-'} ${a.evidence[0].summary}` : ''],
  ];
  const empty = (v: string | number | null | undefined): boolean => v === null || v === undefined || v === '';
  // a custom-string label goes with its value: both or neither
  const extension = ext
    .filter(([k, v], i) => !empty(v) && !(k.endsWith('Label') && empty(ext[i + 1]?.[1])))
    .map(([k, v]) => `${k}=${cefValueEscape(String(v))}`)
    .join(' ');
  const header = ['CEF:0', 'otwatch', 'otwatch', version, a.ruleId, a.title, String(CEF_SEVERITY[a.severity])]
    .map((f, i) => (i === 0 ? f : cefHeaderEscape(f)));
  return `${header.join('|')}|${extension}`;
}

export interface SyslogOptions {
  facility?: number;
  hostname?: string;
  appName?: string;
  procId?: string;
}

/** PRINTUSASCII without spaces, at most `max` characters ('-' when empty): RFC 5424 header fields. */
function headerField(s: string, max: number): string {
  const clean = s.replace(/[^\x21-\x7e]/g, '').slice(0, max);
  return clean.length === 0 ? '-' : clean;
}

/** RFC 5424: <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID - CEF (timestamp: the alert's last occurrence). */
export function toSyslog5424(a: AlertReport, opts: SyslogOptions = {}): string {
  const pri = (opts.facility ?? DEFAULT_SYSLOG_FACILITY) * 8 + SYSLOG_SEVERITY[a.severity];
  const t = ms(a.lastSeen);
  const ts = t === null ? '-' : new Date(t).toISOString();
  return `<${pri}>1 ${ts} ${headerField(opts.hostname ?? hostname(), 255)} ${headerField(opts.appName ?? 'otwatch', 48)} ` +
    `${headerField(opts.procId ?? String(process.pid), 128)} ${headerField(a.ruleId, 32)} - ${toCef(a)}`;
}

export function toJsonLines(alerts: readonly AlertReport[]): string {
  return alerts.map((a) => JSON.stringify(a) + '\n').join('');
}

export interface SyslogTarget {
  transport: 'udp' | 'tcp';
  host: string;
  port: number;
}

export class SyslogTargetError extends Error {
  override name = 'SyslogTargetError';
}

/** Parses udp://host:port or tcp://host:port (IPv6 in brackets); port 514 when absent. */
export function parseSyslogTarget(text: string): SyslogTarget {
  const m = /^(udp|tcp):\/\/(\[[0-9a-fA-F:.]+\]|[^:/\s]+)(?::(\d{1,5}))?\/?$/.exec(text.trim());
  if (!m) throw new SyslogTargetError(`bad syslog target '${text}' (expected udp://HOST:PORT or tcp://HOST:PORT)`);
  const port = m[3] === undefined ? 514 : Number(m[3]);
  if (port < 1 || port > 65535) throw new SyslogTargetError(`bad syslog port in '${text}'`);
  const host = m[2]!.startsWith('[') ? m[2]!.slice(1, -1) : m[2]!;
  return { transport: m[1] as 'udp' | 'tcp', host, port };
}

/** Sends each message; resolves when every one was handed to the network (TCP: written and the socket closed). */
export function sendSyslog(target: SyslogTarget, messages: readonly string[], timeoutMs = 10_000): Promise<void> {
  return target.transport === 'udp' ? sendUdp(target, messages) : sendTcp(target, messages, timeoutMs);
}

function sendUdp(target: SyslogTarget, messages: readonly string[]): Promise<void> {
  const socket = createSocket(target.host.includes(':') ? 'udp6' : 'udp4');
  return new Promise<void>((resolve, reject) => {
    let i = 0;
    const next = (err?: Error | null): void => {
      if (err) {
        socket.close();
        reject(err);
        return;
      }
      if (i === messages.length) {
        socket.close();
        resolve();
        return;
      }
      socket.send(Buffer.from(messages[i++]!, 'utf8'), target.port, target.host, next);
    };
    next();
  });
}

function sendTcp(target: SyslogTarget, messages: readonly string[], timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const socket = connect({ host: target.host, port: target.port });
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`syslog ${target.host}:${target.port}: timed out`)));
    socket.once('error', reject);
    socket.once('connect', () => {
      for (const m of messages) {
        const body = Buffer.from(m, 'utf8');
        socket.write(`${body.length} `);
        socket.write(body);
      }
      socket.end();
    });
    socket.once('close', (hadError) => {
      if (!hadError) resolve();
    });
  });
}
