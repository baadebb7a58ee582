/**
 * Per-flow Stratum (cryptocurrency mining JSON-RPC) state: one JSON object per line each way. Login-type
 * requests (mining.subscribe/authorize, login, eth_submitLogin) are always reported; the repetitive ones
 * (share submissions, work requests, job pushes) once per flow and then counted. Passwords ("pass", the
 * second authorize parameter) are never read; the wallet/worker login is kept as evidence.
 */
import type { OperationEvent } from '../../events/types.js';
import { Dir, type AnalyzerContext, type FlowAnalyzer, type PacketMeta } from '../analyzer.js';
import { StreamBuffer } from '../common/stream-buffer.js';
import { FlowEvents, IT_SESSION_LIMITS } from '../common/flow-events.js';
import { lineConsumer } from '../common/line-stream.js';
import { firstArrayString, hasNonNull, scalarMember, stringMember } from './json.js';

/** Longest JSON line handled (job notifications of some coins run to a few KiB). */
export const STRATUM_MAX_LINE = 16384;

/** Requests whose every occurrence is reported. */
const LOGIN_METHODS = new Set(['mining.subscribe', 'mining.authorize', 'mining.configure', 'mining.extranonce.subscribe', 'login', 'eth_submitLogin']);
/** Server pushes. */
const PUSH_METHODS = new Set(['mining.notify', 'mining.set_difficulty', 'mining.set_target', 'mining.set_extranonce', 'job', 'client.reconnect']);
export const STRATUM_METHODS: ReadonlySet<string> = new Set([
  ...LOGIN_METHODS,
  ...PUSH_METHODS,
  'mining.submit',
  'submit',
  'keepalived',
  'getjob',
  'eth_getWork',
  'eth_submitWork',
  'eth_submitHashrate',
]);

export class StratumSession implements FlowAnalyzer {
  private readonly ev: FlowEvents;
  private readonly streams: [StreamBuffer, StreamBuffer];
  /** requests awaiting a response, by JSON-RPC id */
  private readonly pending = new Map<string, OperationEvent>();
  /** methods already reported once (the repetitive ones) */
  private readonly reported = new Set<string>();
  private readonly pool: string;
  private worker = '';
  private agent = '';

  constructor(private readonly ctx: AnalyzerContext) {
    this.ev = new FlowEvents(ctx, 'stratum', IT_SESSION_LIMITS);
    this.pool = `${ctx.flow.serverIp}:${ctx.flow.serverPort}`;
    const cap = Math.min(ctx.maxBufferBytes, STRATUM_MAX_LINE);
    this.streams = [
      new StreamBuffer(cap, lineConsumer(cap, (b, o, l, t) => this.onLine(Dir.ToServer, b, o, l, t))),
      new StreamBuffer(cap, lineConsumer(cap, (b, o, l, t) => this.onLine(Dir.ToClient, b, o, l, t))),
    ];
  }

  onData(dir: Dir, buf: Buffer, off: number, len: number, meta: PacketMeta): void {
    this.ev.meta = meta;
    if (this.streams[dir].push(buf, off, len)) this.ev.anomaly(dir, 'buffer-cap', 'JSON line exceeded the buffer cap');
  }

  onGap(dir: Dir, bytes: number, meta: PacketMeta): void {
    this.ev.meta = meta;
    this.streams[dir].reset();
    this.ev.anomaly(dir, 'gap', `${bytes} bytes missing`);
  }

  onClose(): void {
    for (const e of this.pending.values()) this.ev.emit(e);
    this.pending.clear();
  }

  private onLine(dir: Dir, buf: Buffer, off: number, len: number, truncated: boolean): void {
    if (truncated) {
      this.ev.anomaly(dir, 'buffer-cap', 'JSON line longer than the line cap');
      return;
    }
    let i = off;
    const end = off + len;
    while (i < end && (buf[i] === 0x20 || buf[i] === 0x09)) i++;
    if (i === end) return;
    if (buf[i] !== 0x7b) {
      this.ev.anomaly(dir, 'malformed', 'line is not a JSON object');
      return;
    }
    const text = buf.toString('latin1', i, end);
    this.ctx.count('stratum.messages');
    const method = stringMember(text, 'method', 64, true);
    const id = scalarMember(text, 'id', true);
    if (method === '') {
      this.onResponse(dir, text, id);
      return;
    }
    if (!STRATUM_METHODS.has(method)) this.ctx.count('stratum.other-methods');
    const fromClient = dir === Dir.ToServer;
    if (fromClient) this.learnIdentity(method, text);
    if (!LOGIN_METHODS.has(method)) {
      if (this.reported.has(method)) {
        this.ctx.count(PUSH_METHODS.has(method) ? 'stratum.jobs' : 'stratum.repeated-requests');
        return;
      }
      if (this.reported.size >= 32) return;
      this.reported.add(method);
    }
    const e = this.ev.operation(dir, 'other', 0, method, 'no-response');
    const attributes: Record<string, string | number | boolean> = { pool: this.pool };
    if (this.worker !== '') attributes.worker = this.worker;
    if (this.agent !== '') attributes.agent = this.agent;
    e.attributes = attributes;
    if (PUSH_METHODS.has(method) || id === null || id === 'null' || !fromClient) {
      e.result = 'unknown';
      this.ev.emit(e);
      return;
    }
    const previous = this.pending.get(id);
    if (previous) {
      this.pending.delete(id);
      this.ev.emit(previous);
    }
    if (this.pending.size >= this.ctx.maxPendingTransactions) {
      const [k, oldest] = this.pending.entries().next().value as [string, OperationEvent];
      this.pending.delete(k);
      this.ev.anomaly(dir, 'transaction-cap', 'pending Stratum requests over the cap');
      this.ev.emit(oldest);
    }
    this.pending.set(id, e);
  }

  private onResponse(dir: Dir, text: string, id: string | null): void {
    if (dir !== Dir.ToClient || id === null) {
      this.ctx.count('stratum.unexpected-response');
      return;
    }
    const e = this.pending.get(id);
    if (e === undefined) {
      // Ethereum getwork proxies push new work as responses with id 0.
      this.ctx.count('stratum.unexpected-response');
      return;
    }
    this.pending.delete(id);
    const failed = hasNonNull(text, 'error') || scalarMember(text, 'result', true) === 'false';
    this.ev.complete(e, !failed, failed ? 1 : undefined, failed ? stringMember(text, 'message', 80) || 'rejected' : undefined);
    this.ev.emit(e);
  }

  /** Worker/wallet login and miner software from the client's requests; never the password. */
  private learnIdentity(method: string, text: string): void {
    let worker = '';
    let agent = '';
    switch (method) {
      case 'login':
        worker = stringMember(text, 'login', 160);
        agent = stringMember(text, 'agent', 96);
        break;
      case 'mining.authorize':
      case 'eth_submitLogin':
        worker = firstArrayString(text, 'params', 160);
        if (method === 'eth_submitLogin' && worker === '') worker = stringMember(text, 'worker', 96);
        break;
      case 'mining.subscribe':
        agent = firstArrayString(text, 'params', 96);
        break;
      default:
        return;
    }
    this.ev.fact('client', 'role-hint', 'cryptominer', 0.9);
    this.ev.fact('server', 'role-hint', 'mining-pool', 0.8);
    if (worker !== '') this.worker = worker;
    if (agent !== '') {
      this.agent = agent;
      this.ev.fact('client', 'software', agent, 0.8);
    }
  }
}
