/**
 * Connection-oriented DCE/RPC v5 (C706 chapter 12, MS-RPCE 2.2.2) over one byte stream: a TCP connection
 * (port 135 or a dynamic endpoint) or one SMB named pipe. Frames PDUs, tracks presentation contexts from
 * bind/alter_context and their acks, accounts fragmented requests/responses (first/last flags), and emits one
 * `dcerpc` operation per call (paired with its response or fault by call id) and one per bound interface.
 *
 * Fragments are accounted, not buffered: lengths add up across fragments and arguments are decoded from the
 * first fragment's stub, which holds the leading arguments the analyzer reads (paths, service names).
 */
import type { Endpoint, OperationEvent } from '../../events/types.js';
import { Dir, type AnalyzerContext, type PacketMeta } from '../analyzer.js';
import { StreamBuffer } from '../common/stream-buffer.js';
import { FAULT_NAMES, interfaceName, operationKind, operationName } from './names.js';
import { NdrReader } from './ndr.js';

export const PDU_HEADER = 16;
const PFC_FIRST_FRAG = 0x01;
const PFC_LAST_FRAG = 0x02;
const PFC_OBJECT_UUID = 0x80;
const MAX_ANOMALY_EVENTS = 20;
const MAX_ARGUMENT_CHARS = 256;
/** NetPathCanonicalize paths are read this far to look for traversal sequences (MS08-067 paths are ~1 KB) */
const MAX_PATH_SCAN_CHARS = 4096;

export const PTYPE = {
  REQUEST: 0, RESPONSE: 2, FAULT: 3, BIND: 11, BIND_ACK: 12, BIND_NAK: 13, ALTER_CONTEXT: 14, ALTER_CONTEXT_RESP: 15,
  AUTH3: 16, SHUTDOWN: 17, CO_CANCEL: 18, ORPHANED: 19,
} as const;

export interface DceRpcLimits {
  /** presentation contexts remembered per connection */
  maxContexts: number;
  /** calls whose fragments are still arriving, per direction */
  maxCallsInProgress: number;
  /** bytes of a fragmented request's stub kept to decode its arguments */
  maxStubBytes: number;
}

export const DEFAULT_DCERPC_LIMITS: DceRpcLimits = { maxContexts: 64, maxCallsInProgress: 16, maxStubBytes: 8192 };

/** Where the connection's events come from: the owning analyzer updates `meta` per packet. */
export interface RpcCarrier {
  meta: PacketMeta;
  client: Endpoint;
  server: Endpoint;
}

/**
 * Size of the PDU at buf[off]: > 0 complete, 0 need more, -1 not a CO PDU header (version 5.0/5.1, known
 * packet type, integer representation big/little endian, frag_length ≥ 16 and ≥ auth_length + 16).
 */
export function frameDcerpc(buf: Uint8Array, off: number, len: number): number {
  if (len < 1) return 0;
  if (buf[off] !== 5) return -1;
  if (len < 2) return 0;
  if (buf[off + 1]! > 1) return -1;
  if (len < 3) return 0;
  if (buf[off + 2]! > 19) return -1;
  if (len < 5) return 0;
  const drep0 = buf[off + 4]!;
  if ((drep0 & 0xe0) !== 0 || (drep0 & 0x0f) > 3) return -1;
  if (len < 12) return 0;
  const le = (drep0 & 0x10) !== 0;
  const fragLength = le ? buf[off + 8]! | (buf[off + 9]! << 8) : (buf[off + 8]! << 8) | buf[off + 9]!;
  const authLength = le ? buf[off + 10]! | (buf[off + 11]! << 8) : (buf[off + 10]! << 8) | buf[off + 11]!;
  if (fragLength < PDU_HEADER || authLength + PDU_HEADER > fragLength) return -1;
  return len < fragLength ? 0 : fragLength;
}

interface Context {
  uuid: string;
  version: number;
}

interface Call {
  event: OperationEvent;
  stubBytes: number;
  fragments: number;
  /** fragmented request: the stub's first `maxStubBytes` bytes, decoded when the last fragment arrives */
  stub: Buffer | null;
  stubHave: number;
  uuid: string;
  opnum: number;
  littleEndian: boolean;
}

const textOut = { value: '' };

export class DceRpcConnection {
  private readonly streams: [StreamBuffer, StreamBuffer];
  private readonly contexts = new Map<number, Context>();
  /** bind/alter_context awaiting its ack, by call id: the proposed context ids and one event per interface */
  private readonly binds = new Map<number, { ids: number[]; events: OperationEvent[] }>();
  /** requests being received (fragments) and requests awaiting a response, by call id */
  private readonly inbound = new Map<number, Call>();
  private readonly awaiting = new Map<number, Call>();
  /** response being received, by call id */
  private readonly outbound = new Map<number, Call>();
  private readonly ndr = new NdrReader();
  private readonly inGarbage = [false, false];
  private anomalies = 0;
  /** the PDU being parsed has an encrypted stub: nothing is decoded from it */
  private sealed = false;

  constructor(
    private readonly ctx: AnalyzerContext,
    private readonly carrier: RpcCarrier,
    /** the SMB pipe name ('' over TCP) */
    readonly pipe: string,
    private readonly limits: DceRpcLimits = DEFAULT_DCERPC_LIMITS,
    maxBufferBytes = ctx.maxBufferBytes,
  ) {
    const cap = Math.max(PDU_HEADER, Math.min(maxBufferBytes, 65536 + PDU_HEADER));
    this.streams = [
      new StreamBuffer(cap, (b, o, l) => this.consume(Dir.ToServer, b, o, l)),
      new StreamBuffer(cap, (b, o, l) => this.consume(Dir.ToClient, b, o, l)),
    ];
  }

  feed(dir: Dir, buf: Buffer, off: number, len: number): void {
    const stream = this.streams[dir];
    const before = stream.overflows;
    stream.push(buf, off, len);
    if (stream.overflows !== before) {
      this.ctx.count('dcerpc.buffer-cap');
      this.anomaly(dir, 'buffer-cap', 'partial DCE/RPC PDU exceeded the buffer cap');
    }
  }

  gap(dir: Dir): void {
    this.streams[dir].reset();
    this.ctx.count('dcerpc.gap');
  }

  /** Flushes calls still waiting for their response (result 'no-response'). */
  close(): void {
    for (const b of this.binds.values()) for (const e of b.events) this.ctx.sink.emit(e);
    for (const c of this.awaiting.values()) this.emitCall(c);
    for (const c of this.inbound.values()) this.emitCall(c);
    this.binds.clear();
    this.awaiting.clear();
    this.inbound.clear();
    this.outbound.clear();
  }

  private consume(dir: Dir, buf: Buffer, off: number, len: number): number {
    const n = frameDcerpc(buf, off, len);
    if (n > 0) {
      this.inGarbage[dir] = false;
      this.onPdu(dir, buf, off, n);
      return n;
    }
    if (n === 0) return 0;
    if (!this.inGarbage[dir]) {
      this.inGarbage[dir] = true;
      this.ctx.count('dcerpc.malformed');
      this.anomaly(dir, 'malformed', 'no DCE/RPC PDU header');
    }
    let i = off + 1;
    const end = off + len;
    while (i < end && buf[i] !== 5) i++;
    return i - off;
  }

  private onPdu(dir: Dir, buf: Buffer, off: number, fragLength: number): void {
    const ptype = buf[off + 2]!;
    const flags = buf[off + 3]!;
    const le = (buf[off + 4]! & 0x10) !== 0;
    const authLength = u16(buf, off + 10, le);
    const callId = u32(buf, off + 12, le);
    // The auth verifier (8-byte sec_trailer + auth_length bytes) closes the PDU when present.
    const bodyEnd = off + fragLength - (authLength > 0 ? authLength + 8 : 0);
    // sec_trailer: auth_type, auth_level; level 6 (packet privacy) means the stub is encrypted.
    this.sealed = authLength > 0 && buf[bodyEnd + 1] === 6;
    if (this.sealed) this.ctx.count('dcerpc.sealed-pdus');
    const body = off + PDU_HEADER;
    switch (ptype) {
      case PTYPE.BIND:
      case PTYPE.ALTER_CONTEXT:
        this.onBind(dir, buf, body, bodyEnd, le, ptype, callId);
        return;
      case PTYPE.BIND_ACK:
      case PTYPE.ALTER_CONTEXT_RESP:
      case PTYPE.BIND_NAK:
        this.onBindAck(buf, body, bodyEnd, le, ptype, callId);
        return;
      case PTYPE.REQUEST:
        this.onRequest(dir, buf, body, bodyEnd, le, flags, callId);
        return;
      case PTYPE.RESPONSE:
      case PTYPE.FAULT:
        this.onResponse(buf, body, bodyEnd, le, flags, ptype, callId);
        return;
      default:
        this.ctx.count('dcerpc.other-pdu');
    }
  }

  private onBind(dir: Dir, buf: Buffer, body: number, end: number, le: boolean, ptype: number, callId: number): void {
    // max_xmit_frag, max_recv_frag, assoc_group_id, n_context_elem (+3 reserved)
    if (body + 12 > end) return this.malformed(dir, 'bind shorter than its fixed part');
    const count = buf[body + 8]!;
    let p = body + 12;
    const ids: number[] = [];
    const events: OperationEvent[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < count; i++) {
      if (p + 24 > end) return this.malformed(dir, 'bind context list runs past the PDU');
      const contextId = u16(buf, p, le);
      const transferCount = buf[p + 2]!;
      const uuid = uuidText(buf, p + 4, le);
      const version = u16(buf, p + 20, le);
      ids.push(contextId);
      this.setContext(contextId, uuid, version);
      if (!seen.has(uuid)) {
        seen.add(uuid);
        const event = this.event(dir, ptype === PTYPE.BIND ? 'bind' : 'alter_context', ptype, 'connect', uuid);
        event.attributes!.version = version;
        event.attributes!.context_id = contextId;
        events.push(event);
      }
      p += 24 + 20 * transferCount;
    }
    const previous = this.binds.get(callId);
    if (previous) for (const e of previous.events) this.ctx.sink.emit(e);
    this.binds.set(callId, { ids, events });
    if (this.binds.size > this.limits.maxContexts) this.evictOldest(this.binds, 'dcerpc.bind-cap');
  }

  private onBindAck(buf: Buffer, body: number, end: number, le: boolean, ptype: number, callId: number): void {
    const pending = this.binds.get(callId);
    if (!pending) {
      this.ctx.count('dcerpc.unexpected-response');
      return;
    }
    this.binds.delete(callId);
    const frame = this.carrier.meta.frame;
    if (ptype === PTYPE.BIND_NAK) {
      const reason = body + 2 <= end ? u16(buf, body, le) : 0;
      for (const e of pending.events) this.finish(e, frame, 'exception', reason, 'bind_nak');
      for (const id of pending.ids) this.contexts.delete(id);
      return;
    }
    // max_xmit, max_recv, assoc_group, secondary address (length-prefixed), pad to 4, n_results, results.
    let p = body + 8;
    if (p + 2 > end) {
      for (const e of pending.events) this.finish(e, frame, 'unknown', 0, '');
      return;
    }
    p += 2 + u16(buf, p, le);
    p = body + ((p - body + 3) & ~3);
    const results = p < end ? buf[p]! : 0;
    p += 4;
    for (const e of pending.events) {
      const contextId = e.attributes!.context_id as number;
      const index = pending.ids.indexOf(contextId);
      const at = p + 24 * index;
      if (index < 0 || index >= results || at + 4 > end) {
        this.finish(e, frame, 'unknown', 0, '');
        continue;
      }
      const result = u16(buf, at, le);
      const reason = u16(buf, at + 2, le);
      if (result === 0) this.finish(e, frame, 'ok', 0, '');
      else {
        this.contexts.delete(contextId);
        this.finish(e, frame, 'exception', reason, result === 1 ? 'user_rejection' : 'provider_rejection');
      }
    }
  }

  private onRequest(dir: Dir, buf: Buffer, body: number, end: number, le: boolean, flags: number, callId: number): void {
    if (body + 8 > end) return this.malformed(dir, 'request shorter than its fixed part');
    const contextId = u16(buf, body + 4, le);
    const opnum = u16(buf, body + 6, le);
    const stub = body + 8 + ((flags & PFC_OBJECT_UUID) !== 0 ? 16 : 0);
    const stubLen = end > stub ? end - stub : 0;
    let call = this.inbound.get(callId);
    if ((flags & PFC_FIRST_FRAG) !== 0 || !call) {
      if (call) this.emitCall(call);
      const context = this.contexts.get(contextId);
      const uuid = context ? context.uuid : '';
      const event = this.event(dir, uuid ? operationName(uuid, opnum) : `opnum_${opnum}`, opnum, uuid ? operationKind(uuid, opnum) : 'other', uuid);
      event.attributes!.opnum = opnum;
      event.attributes!.context_id = contextId;
      if (!context) this.ctx.count('dcerpc.unknown-context');
      call = { event, stubBytes: 0, fragments: 0, stub: null, stubHave: 0, uuid, opnum, littleEndian: le };
      if ((flags & PFC_LAST_FRAG) !== 0) {
        if (uuid && stubLen > 0) this.decodeArguments(uuid, opnum, buf, stub, stub + stubLen, le, event);
      } else if (uuid && hasArguments(event.object ?? '', opnum)) call.stub = Buffer.allocUnsafe(this.limits.maxStubBytes);
      this.inbound.set(callId, call);
      if (this.inbound.size > this.limits.maxCallsInProgress) this.evictOldest(this.inbound, 'dcerpc.fragment-cap');
    }
    call.stubBytes += stubLen;
    call.fragments++;
    if (call.stub !== null && stubLen > 0) {
      const room = call.stub.length - call.stubHave;
      if (stubLen > room) this.ctx.count('dcerpc.stub-cap');
      const n = stubLen < room ? stubLen : room;
      buf.copy(call.stub, call.stubHave, stub, stub + n);
      call.stubHave += n;
    }
    if ((flags & PFC_LAST_FRAG) === 0) return;
    this.inbound.delete(callId);
    if (call.stub !== null) {
      this.decodeArguments(call.uuid, call.opnum, call.stub, 0, call.stubHave, call.littleEndian, call.event);
      call.stub = null;
    }
    call.event.attributes!.stub_len = call.stubBytes;
    if (call.fragments > 1) call.event.attributes!.fragments = call.fragments;
    const previous = this.awaiting.get(callId);
    if (previous) this.emitCall(previous);
    this.awaiting.set(callId, call);
    if (this.awaiting.size > this.ctx.maxPendingTransactions) this.evictOldest(this.awaiting, 'dcerpc.transaction-cap');
  }

  private onResponse(buf: Buffer, body: number, end: number, le: boolean, flags: number, ptype: number, callId: number): void {
    const call = this.awaiting.get(callId);
    if (!call) {
      this.ctx.count('dcerpc.unexpected-response');
      return;
    }
    const frame = this.carrier.meta.frame;
    if (ptype === PTYPE.FAULT) {
      this.awaiting.delete(callId);
      this.outbound.delete(callId);
      const status = body + 12 <= end ? u32(buf, body + 8, le) : 0;
      this.finish(call.event, frame, 'exception', status, FAULT_NAMES[status] ?? 'fault');
      return;
    }
    const stub = body + 8;
    const stubLen = end > stub ? end - stub : 0;
    let progress = this.outbound.get(callId);
    if (!progress) {
      progress = { event: call.event, stubBytes: 0, fragments: 0, stub: null, stubHave: 0, uuid: call.uuid, opnum: call.opnum, littleEndian: le };
      this.outbound.set(callId, progress);
    }
    progress.stubBytes += stubLen;
    progress.fragments++;
    if ((flags & PFC_LAST_FRAG) === 0) return;
    this.awaiting.delete(callId);
    this.outbound.delete(callId);
    const attrs = call.event.attributes!;
    attrs.response_stub_len = progress.stubBytes;
    // Most MS-RPC operations end their response with a 32-bit WERROR/NTSTATUS return value.
    if (stubLen >= 4 && !this.sealed) attrs.return_code = u32(buf, end - 4, le);
    this.finish(call.event, frame, 'ok', 0, '');
  }

  /** Leading string arguments of the requests detection rules look at (MS08-067, PsExec, AT jobs). */
  private decodeArguments(uuid: string, opnum: number, buf: Uint8Array, stub: number, end: number, le: boolean, event: OperationEvent): void {
    if (this.sealed) return;
    const r = this.ndr.reset(buf, stub, end, le);
    const attrs = event.attributes!;
    const name = event.object;
    if (name === 'srvsvc' && opnum === 31) {
      // NetprPathCanonicalize(ServerName [unique, string], PathName [string], ...)
      if (r.pointer() !== 0) r.wstring(MAX_ARGUMENT_CHARS, textOut);
      textOut.value = '';
      const pathLen = r.wstring(MAX_PATH_SCAN_CHARS, textOut);
      if (r.ok) {
        attrs.path_len = pathLen;
        attrs.path = printable(textOut.value.slice(0, MAX_ARGUMENT_CHARS));
        attrs.path_traversal = textOut.value.includes('\\..\\') || textOut.value.includes('/../');
      } else this.ctx.count('dcerpc.truncated-arguments');
      return;
    }
    if (name === 'svcctl' && (opnum === 12 || opnum === 16 || opnum === 45)) {
      // RCreateServiceW / RCreateServiceWOW64W / ROpenServiceW: SC handle (20 bytes), lpServiceName [string]
      r.skip(20);
      textOut.value = '';
      r.wstring(MAX_ARGUMENT_CHARS, textOut);
      if (!r.ok) return this.ctx.count('dcerpc.truncated-arguments');
      attrs.service_name = printable(textOut.value);
      if (opnum === 16) return;
      // lpDisplayName [unique, string], dwDesiredAccess, dwServiceType, dwStartType, dwErrorControl, lpBinaryPathName
      if (r.pointer() !== 0) r.wstring(MAX_ARGUMENT_CHARS, textOut);
      r.skip(0);
      r.u32();
      r.u32();
      const startType = r.u32();
      r.u32();
      textOut.value = '';
      r.wstring(MAX_ARGUMENT_CHARS, textOut);
      if (r.ok) {
        attrs.binary_path = printable(textOut.value);
        attrs.start_type = startType;
      }
      return;
    }
    if (name === 'svcctl' && opnum === 11) {
      // RChangeServiceConfigW: handle, dwServiceType, dwStartType, dwErrorControl, lpBinaryPathName [unique, string]
      r.skip(20);
      r.u32();
      r.u32();
      r.u32();
      if (r.pointer() !== 0) {
        textOut.value = '';
        r.wstring(MAX_ARGUMENT_CHARS, textOut);
        if (r.ok) attrs.binary_path = printable(textOut.value);
      }
      return;
    }
    if (name === 'atsvc' && opnum === 0) {
      // NetrJobAdd(ServerName [unique, string], AT_INFO {JobTime, DaysOfMonth, DaysOfWeek, Flags, Command [unique, string]})
      if (r.pointer() !== 0) r.wstring(MAX_ARGUMENT_CHARS, textOut);
      r.u32();
      r.u32();
      r.skip(2);
      if (r.pointer() !== 0) {
        textOut.value = '';
        r.wstring(MAX_ARGUMENT_CHARS, textOut);
        if (r.ok) attrs.command = printable(textOut.value);
      }
      return;
    }
    void uuid;
  }

  private setContext(contextId: number, uuid: string, version: number): void {
    if (!this.contexts.has(contextId) && this.contexts.size >= this.limits.maxContexts) {
      this.ctx.count('dcerpc.context-cap');
      const oldest = this.contexts.keys().next().value as number;
      this.contexts.delete(oldest);
    }
    this.contexts.set(contextId, { uuid, version });
  }

  private evictOldest<T>(map: Map<number, T>, counter: string): void {
    const [key, value] = map.entries().next().value as [number, T];
    map.delete(key);
    this.ctx.count(counter);
    const v = value as unknown as { event?: OperationEvent; events?: OperationEvent[] };
    if (v.event) this.emitCall(v as unknown as Call);
    else if (v.events) for (const e of v.events) this.ctx.sink.emit(e);
  }

  private emitCall(call: Call): void {
    if (call.event.attributes!.stub_len === undefined) call.event.attributes!.stub_len = call.stubBytes;
    this.ctx.sink.emit(call.event);
  }

  private finish(event: OperationEvent, frame: number, result: OperationEvent['result'], code: number, name: string): void {
    event.responseFrame = frame;
    event.result = result;
    if (result === 'exception') {
      event.exceptionCode = code;
      event.exceptionName = name;
    }
    this.ctx.sink.emit(event);
  }

  private event(dir: Dir, codeName: string, code: number, kind: OperationEvent['kind'], uuid: string): OperationEvent {
    const c = this.carrier;
    const event: OperationEvent = {
      type: 'operation',
      protocol: 'dcerpc',
      ts: c.meta.ts,
      frame: c.meta.frame,
      captureIndex: this.ctx.captureIndex,
      flowId: this.ctx.flow.id,
      src: dir === Dir.ToServer ? c.client : c.server,
      dst: dir === Dir.ToServer ? c.server : c.client,
      kind,
      code,
      codeName,
      result: 'no-response',
      attributes: {},
    };
    if (uuid) {
      event.object = interfaceName(uuid);
      event.attributes!.interface = event.object;
      event.attributes!.uuid = uuid;
    }
    if (this.pipe) event.attributes!.pipe = this.pipe;
    return event;
  }

  private malformed(dir: Dir, detail: string): void {
    this.ctx.count('dcerpc.malformed');
    this.anomaly(dir, 'malformed', detail);
  }

  private anomaly(dir: Dir, anomaly: 'malformed' | 'buffer-cap', detail: string): void {
    if (this.anomalies >= MAX_ANOMALY_EVENTS) return;
    this.anomalies++;
    const c = this.carrier;
    this.ctx.sink.emit({
      type: 'anomaly',
      protocol: 'dcerpc',
      ts: c.meta.ts,
      frame: c.meta.frame,
      captureIndex: this.ctx.captureIndex,
      flowId: this.ctx.flow.id,
      src: dir === Dir.ToServer ? c.client : c.server,
      dst: dir === Dir.ToServer ? c.server : c.client,
      anomaly,
      detail,
    });
  }
}

/** The requests whose arguments decodeArguments reads. */
function hasArguments(name: string, opnum: number): boolean {
  return (name === 'srvsvc' && opnum === 31) || (name === 'svcctl' && (opnum === 11 || opnum === 12 || opnum === 16 || opnum === 45)) || (name === 'atsvc' && opnum === 0);
}

function u16(buf: Uint8Array, off: number, le: boolean): number {
  return le ? buf[off]! | (buf[off + 1]! << 8) : (buf[off]! << 8) | buf[off + 1]!;
}

function u32(buf: Uint8Array, off: number, le: boolean): number {
  return le
    ? (buf[off]! | (buf[off + 1]! << 8) | (buf[off + 2]! << 16) | (buf[off + 3]! << 24)) >>> 0
    : ((buf[off]! << 24) | (buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!) >>> 0;
}

const HEX = '0123456789abcdef';
function hex(v: number, digits: number): string {
  let s = '';
  for (let i = digits - 1; i >= 0; i--) s += HEX[(v >>> (i * 4)) & 0xf];
  return s;
}

/** A UUID in the PDU's integer representation (first three fields follow drep), as text. */
export function uuidText(buf: Uint8Array, off: number, le: boolean): string {
  let s = `${hex(u32(buf, off, le), 8)}-${hex(u16(buf, off + 4, le), 4)}-${hex(u16(buf, off + 6, le), 4)}-`;
  for (let i = 8; i < 16; i++) {
    if (i === 10) s += '-';
    s += hex(buf[off + i]!, 2);
  }
  return s;
}

/** Control characters and non-ASCII made visible (\xNN) so exploit strings cannot corrupt logs. */
export function printable(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += c >= 0x20 && c < 0x7f ? s[i] : c < 0x100 ? `\\x${hex(c, 2)}` : `\\u${hex(c, 4)}`;
  }
  return out;
}
