/**
 * Per-flow OPC UA binary (UACP over TCP) state: frames messages out of each direction's stream, follows the
 * secure channel (policy, mode, token), reassembles chunked messages per request id, decodes the service
 * NodeId and request/response headers of cleartext (None) and signed-only (Sign) channels, pairs requests with
 * responses by request id, and turns sessions, endpoints and identity tokens into asset facts.
 *
 * Requests and responses are told apart by their type NodeId, not by TCP direction, so reverse connections
 * (RHE: the server opens the TCP connection) come out right: src is always the requester.
 *
 * SignAndEncrypt channels: the OPN bodies are asymmetric-encrypted whenever the policy is not None (even for
 * Sign), so the mode is learnt from the first MSG: a body that decodes as a known service NodeId and header is
 * signed-only; otherwise the channel is encrypted, reported once, and its messages only counted.
 */
import type { OperationEvent } from '../../events/types.js';
import { Dir, type AnalyzerContext, type FlowAnalyzer, type PacketMeta } from '../analyzer.js';
import { DuplexStreams } from '../common/stream-buffer.js';
import { FlowEvents } from '../common/flow-events.js';
import { Chunk, HEADER_BYTES, MsgType, Reader, RequestHeader, ResponseHeader, checkHeader, messageTypeOf } from './parser.js';
import {
  CLOSE_SECURE_CHANNEL_REQUEST,
  IDENTITY_TOKENS,
  OPEN_SECURE_CHANNEL_REQUEST,
  POLICY_PREFIX,
  SERVICE_BY_REQUEST,
  SERVICE_BY_RESPONSE,
  SERVICE_FAULT,
  SecurityMode,
  USERNAME_IDENTITY_TOKEN,
  USER_TOKEN_TYPES,
  isGood,
  policyName,
  securityModeName,
  statusName,
  type ServiceInfo,
} from './names.js';
import { PendingRequests } from '../common/pending-requests.js';

export interface OpcuaOptions {
  /** Largest message size accepted in a header; bigger ones are taken for garbage (resync). */
  maxMessageBytes: number;
  /** Chunked messages reassembled at once (per flow); over it the oldest is dropped and counted. */
  maxChunkedMessages: number;
  /** Bytes kept per chunked message; over it the message is dropped and counted. */
  maxReassemblyBytes: number;
  /** Anomaly events per flow (all anomalies are still counted). */
  maxAnomalyEvents: number;
  /** Distinct asset facts per flow. */
  maxFacts: number;
  /** Endpoint descriptions examined per GetEndpoints/CreateSession response. */
  maxEndpoints: number;
}

export const DEFAULT_OPTIONS: Readonly<OpcuaOptions> = {
  maxMessageBytes: 16 << 20,
  maxChunkedMessages: 16,
  maxReassemblyBytes: 1 << 20,
  maxAnomalyEvents: 50,
  maxFacts: 64,
  maxEndpoints: 32,
};

const POLICY_NONE = `${POLICY_PREFIX}None`;

/** What the analyzer knows about the channel's protection. */
const Protection = { Unknown: 0, Clear: 1, Signed: 2, Encrypted: 3 } as const;
type Protection = (typeof Protection)[keyof typeof Protection];

interface ChunkedMessage {
  key: number;
  chunks: Buffer[];
  bytes: number;
}

export class OpcuaSession implements FlowAnalyzer {
  private readonly streams: DuplexStreams;
  private readonly ev: FlowEvents;
  private readonly opts: Readonly<OpcuaOptions>;
  /** bytes of an over-sized message still to be skipped, per direction */
  private readonly skipping = [0, 0];
  private readonly reader = new Reader();
  private readonly requestHeader = new RequestHeader();
  private readonly responseHeader = new ResponseHeader();

  private policyUri = '';
  private protection: Protection = Protection.Unknown;
  private requestedMode = 0;

  /** HEL and OPN are answered by ACK/ERR and the OPN response: one outstanding each. */
  private pendingHello: OperationEvent | null = null;
  /** the direction the pending HEL was sent in (no pair object per connection) */
  private pendingHelloDir: Dir = Dir.ToServer;
  /** the OpenSecureChannel request awaiting its response, and the direction it was sent in (no pair object) */
  private pendingOpen: OperationEvent | null = null;
  private pendingOpenDir: Dir = Dir.ToServer;
  /**
   * Service requests by request id, oldest first. Made on the first one: a short connection (hello, open,
   * close) never has any, and the table's map is the largest part of a session's set-up.
   */
  private pendingTable: PendingRequests<OperationEvent> | null = null;
  /** Chunked messages being reassembled, by request id * 2 + dir; made on the first intermediate chunk. */
  private partials: Map<number, ChunkedMessage> | null = null;
  /** the detail text of the last OpenSecureChannel request and what it was built from (channels repeat it) */
  private static openDetailKey = -1;
  private static openDetailLifetime = -1;
  private static openDetail = '';

  constructor(
    private readonly ctx: AnalyzerContext,
    options?: Partial<OpcuaOptions>,
  ) {
    // Flows made by the spec take the defaults as they are (never mutated): no options object per flow.
    this.opts = options === undefined ? DEFAULT_OPTIONS : { ...DEFAULT_OPTIONS, ...options };
    this.ev = new FlowEvents(ctx, 'opcua', this.opts);
    this.streams = new DuplexStreams(ctx.maxBufferBytes, (dir, b, o, l) => this.consume(dir, b, o, l));
  }

  onData(dir: Dir, buf: Buffer, off: number, len: number, meta: PacketMeta): void {
    this.ev.meta = meta;
    if (this.streams.push(dir, buf, off, len)) this.ev.anomaly(dir, 'buffer-cap', 'partial message exceeded the buffer cap');
  }

  onGap(dir: Dir, bytes: number, meta: PacketMeta): void {
    this.ev.meta = meta;
    this.streams.reset(dir);
    this.skipping[dir] = 0;
    this.ev.anomaly(dir, 'gap', `${bytes} bytes missing`);
  }

  onClose(): void {
    if (this.pendingHello) this.ctx.sink.emit(this.pendingHello);
    if (this.pendingOpen) this.ctx.sink.emit(this.pendingOpen);
    this.pendingHello = this.pendingOpen = null;
    this.pendingTable?.drainTo(this.ctx.sink);
    this.partials?.clear();
  }

  private get pending(): PendingRequests<OperationEvent> {
    return (this.pendingTable ??= new PendingRequests<OperationEvent>());
  }

  // ---- framing ----------------------------------------------------------------------------------------------

  private consume(dir: Dir, buf: Buffer, off: number, len: number): number {
    if (this.skipping[dir] > 0) {
      const n = len < this.skipping[dir] ? len : this.skipping[dir];
      this.skipping[dir] -= n;
      return n;
    }
    const size = checkHeader(buf, off, len, this.opts.maxMessageBytes);
    if (size > 0) {
      this.streams.framed(dir);
      if (size <= len) {
        this.onMessage(dir, buf, off, size);
        return size;
      }
      if (size <= this.ctx.maxBufferBytes) return 0;
      // It can never be buffered whole: skip it rather than resync inside its body.
      this.ctx.count('opcua.oversize-message');
      this.ev.anomalyEvent(dir, 'buffer-cap', `message of ${size} bytes exceeds the buffer cap`);
      this.skipping[dir] = size - len;
      return len;
    }
    if (size === 0) return 0;
    if (this.streams.lostSync(dir)) this.ev.anomaly(dir, 'malformed', `no message header at stream byte 0x${buf[off]!.toString(16).padStart(2, '0')}`);
    // Resync: the next offset where a header (or a prefix of one, at the end) checks out.
    const end = off + len;
    let i = off + 1;
    while (i < end && checkHeader(buf, i, end - i, this.opts.maxMessageBytes) < 0) i++;
    if (i < end) this.ctx.count('opcua.resync');
    return i - off;
  }

  private onMessage(dir: Dir, buf: Buffer, off: number, size: number): void {
    const type = messageTypeOf(buf, off);
    const chunk = buf[off + 3]!;
    const r = this.reader.reset(buf, off + HEADER_BYTES, off + size);
    switch (type) {
      case MsgType.HEL:
        this.onHello(dir, r);
        return;
      case MsgType.ACK:
        this.onAcknowledge(dir, r);
        return;
      case MsgType.ERR:
        this.onError(dir, r);
        return;
      case MsgType.RHE:
        this.onReverseHello(dir, r);
        return;
      case MsgType.OPN:
        this.onOpen(dir, r, chunk);
        return;
      default:
        this.onSymmetric(dir, r, chunk, type);
    }
  }

  // ---- transport messages --------------------------------------------------------------------------------

  private onHello(dir: Dir, r: Reader): void {
    const version = r.u32();
    const receiveBuffer = r.u32();
    const sendBuffer = r.u32();
    r.skip(8); // MaxMessageSize, MaxChunkCount
    const url = r.string(512);
    if (!r.ok) return this.malformed(dir, 'HEL');
    if (this.pendingHello) this.ctx.sink.emit(this.pendingHello);
    const event = this.ev.operation(dir, 'connect', 0, 'hello', 'no-response');
    event.detail = `version ${version}, buffers ${receiveBuffer}/${sendBuffer}`;
    if (url) {
      event.object = url;
      this.ev.fact(this.ev.receiver(dir), 'url', url, 0.9);
    }
    this.pendingHello = event;
    this.pendingHelloDir = dir;
  }

  private onAcknowledge(dir: Dir, r: Reader): void {
    r.skip(20);
    if (!r.ok) return this.malformed(dir, 'ACK');
    const hello = this.pendingHello;
    if (!hello || this.pendingHelloDir === dir) return this.unexpected(dir, 'ACK');
    this.pendingHello = null;
    hello.result = 'ok';
    hello.responseFrame = this.ev.meta.frame;
    this.ev.emitAnswered(hello);
  }

  private onError(dir: Dir, r: Reader): void {
    const code = r.u32();
    const reason = r.string(200);
    if (!r.ok) return this.malformed(dir, 'ERR');
    const hello = this.pendingHello;
    let event: OperationEvent;
    if (hello && this.pendingHelloDir !== dir) {
      this.pendingHello = null;
      event = hello;
      event.responseFrame = this.ev.meta.frame;
    } else {
      // An ERR closing an established connection answers no particular request: report it on its own.
      const other = dir === Dir.ToServer ? Dir.ToClient : Dir.ToServer;
      event = this.ev.operation(other, 'error', 0, 'error', 'exception');
    }
    event.result = 'exception';
    event.exceptionCode = code;
    event.exceptionName = statusName(code);
    if (reason) event.detail = reason;
    this.ctx.sink.emit(event);
  }

  private onReverseHello(dir: Dir, r: Reader): void {
    const serverUri = r.string(256);
    const url = r.string(512);
    if (!r.ok) return this.malformed(dir, 'RHE');
    const event = this.ev.operation(dir, 'connect', 0, 'reverse_hello', 'unknown');
    if (url) {
      event.object = url;
      this.ev.fact(this.ev.sender(dir), 'url', url, 0.9);
    }
    if (serverUri) event.detail = serverUri;
    this.ctx.sink.emit(event);
  }

  // ---- secure channel ------------------------------------------------------------------------------------

  private onOpen(dir: Dir, r: Reader, chunk: number): void {
    const channelId = r.u32();
    const policy = r.string(256) ?? '';
    const certificateBytes = r.skipBytes();
    const thumbprintBytes = r.skipBytes();
    if (!r.ok) return this.malformed(dir, 'OPN');
    if (policy !== this.policyUri) {
      this.policyUri = policy;
      this.protection = policy === POLICY_NONE ? Protection.Clear : Protection.Unknown;
    }
    if (chunk !== Chunk.Final) {
      this.ctx.count('opcua.chunked-opn');
      return;
    }
    if (policy !== POLICY_NONE) return this.onEncryptedOpen(dir, policy, certificateBytes, thumbprintBytes);
    r.skip(8); // sequence header
    r.nodeId();
    const typeId = r.nodeNs === 0 ? r.nodeNumeric : -1;
    if (typeId === OPEN_SECURE_CHANNEL_REQUEST) return this.onOpenRequest(dir, r, policy);
    if (typeId === OPEN_SECURE_CHANNEL_REQUEST + 3 || typeId === SERVICE_FAULT) return this.onOpenResponse(dir, r, typeId, channelId);
    this.malformed(dir, `OPN body of type ${typeId}`);
  }

  /** An OPN under a policy other than None: the body (sequence header included) is asymmetric-encrypted. */
  private onEncryptedOpen(dir: Dir, policy: string, certificateBytes: number, thumbprintBytes: number): void {
    const opening = this.pendingOpen;
    if (opening !== null && this.pendingOpenDir !== dir) {
      this.pendingOpen = null;
      opening.responseFrame = this.ev.meta.frame;
      this.ctx.sink.emit(opening);
      return;
    }
    if (opening) this.ctx.sink.emit(opening);
    const event = this.ev.operation(dir, 'connect', OPEN_SECURE_CHANNEL_REQUEST, 'open_secure_channel', 'unknown');
    event.object = policyName(policy);
    event.detail = `asymmetric-encrypted body; certificate ${certificateBytes < 0 ? 0 : certificateBytes} bytes${thumbprintBytes > 0 ? ', receiver thumbprint' : ''}`;
    this.pendingOpen = event;
    this.pendingOpenDir = dir;
  }

  private onOpenRequest(dir: Dir, r: Reader, policy: string): void {
    if (!this.requestHeader.read(r)) return this.malformed(dir, 'OpenSecureChannel request');
    r.skip(4); // ClientProtocolVersion
    const requestType = r.u32();
    const mode = r.u32();
    r.skipBytes(); // ClientNonce
    const lifetime = r.u32();
    if (!r.ok) return this.malformed(dir, 'OpenSecureChannel request');
    if (this.pendingOpen) this.ctx.sink.emit(this.pendingOpen);
    this.requestedMode = mode;
    const event = this.ev.operation(dir, 'connect', OPEN_SECURE_CHANNEL_REQUEST, 'open_secure_channel', 'no-response');
    event.object = policyName(policy);
    event.detail = OpcuaSession.openRequestDetail(requestType, mode, lifetime);
    this.pendingOpen = event;
    this.pendingOpenDir = dir;
  }

  private onOpenResponse(dir: Dir, r: Reader, typeId: number, channelId: number): void {
    if (!this.responseHeader.read(r)) return this.malformed(dir, 'OpenSecureChannel response');
    const event = this.pendingOpen;
    if (!event || this.pendingOpenDir === dir) return this.unexpected(dir, 'OpenSecureChannel response');
    this.pendingOpen = null;
    event.responseFrame = this.ev.meta.frame;
    this.setResult(event, this.responseHeader.serviceResult);
    if (typeId !== SERVICE_FAULT) {
      r.skip(4); // ServerProtocolVersion
      const channel = r.u32();
      const token = r.u32();
      r.skip(8); // CreatedAt
      const lifetime = r.u32();
      if (r.ok) event.detail = `${event.detail ?? ''}; channel ${channel || channelId}, token ${token}, revised lifetime ${lifetime} ms`;
    }
    if (this.requestedMode === SecurityMode.None || this.requestedMode === 0) this.protection = Protection.Clear;
    this.ev.emitAnswered(event);
  }

  private static openRequestDetail(requestType: number, mode: number, lifetime: number): string {
    const key = (requestType === 1 ? 1 : 0) + mode * 2;
    if (key === OpcuaSession.openDetailKey && lifetime === OpcuaSession.openDetailLifetime) return OpcuaSession.openDetail;
    const detail = `${requestType === 1 ? 'renew' : 'issue'}, mode ${securityModeName(mode)}, lifetime ${lifetime} ms`;
    OpcuaSession.openDetailKey = key;
    OpcuaSession.openDetailLifetime = lifetime;
    OpcuaSession.openDetail = detail;
    return detail;
  }

  // ---- MSG / CLO -----------------------------------------------------------------------------------------

  private onSymmetric(dir: Dir, r: Reader, chunk: number, type: number): void {
    r.skip(8); // SecureChannelId, TokenId
    if (this.protection === Protection.Encrypted) {
      this.ctx.count('opcua.encrypted-messages');
      return;
    }
    r.skip(4); // SequenceNumber
    const requestId = r.u32();
    if (!r.ok) return this.malformed(dir, 'sequence header');
    const key = requestId * 2 + dir;
    if (chunk === Chunk.Abort) {
      this.partials?.delete(key);
      this.ctx.count('opcua.aborted-chunks');
      const code = r.u32();
      const reason = r.string(200);
      const request = this.pendingTable?.get(requestId);
      if (r.ok && request && request.src !== this.ev.sender(dir) && this.protection !== Protection.Unknown) {
        this.pending.delete(requestId);
        request.responseFrame = this.ev.meta.frame;
        this.setResult(request, code);
        request.detail = `aborted${reason ? `: ${reason}` : ''}`;
        this.ev.emitAnswered(request);
      }
      return;
    }
    if (chunk === Chunk.Intermediate) {
      this.keepChunk(dir, key, r.buf, r.pos, r.end);
      return;
    }
    const partial = this.partials?.get(key);
    if (partial) {
      this.partials!.delete(key);
      // Signed chunks each end in a signature, so only a clear channel's chunk bodies join up; the first
      // chunk alone holds the type id and header either way.
      const whole = this.protection === Protection.Clear ? Buffer.concat([...partial.chunks, r.buf.subarray(r.pos, r.end)]) : partial.chunks[0]!;
      this.ctx.count('opcua.reassembled');
      r.reset(whole, 0, whole.length);
    }
    this.onBody(dir, r, requestId, type);
  }

  private keepChunk(dir: Dir, key: number, buf: Buffer, start: number, end: number): void {
    const partials = (this.partials ??= new Map<number, ChunkedMessage>());
    let partial = partials.get(key);
    if (!partial) {
      if (partials.size >= this.opts.maxChunkedMessages) {
        const oldest = partials.keys().next().value as number;
        partials.delete(oldest);
        this.ctx.count('opcua.reassembly-cap');
        this.ev.anomalyEvent(dir, 'buffer-cap', 'too many chunked messages in reassembly');
      }
      partial = { key, chunks: [], bytes: 0 };
      partials.set(key, partial);
    }
    if (partial.bytes + (end - start) > this.opts.maxReassemblyBytes) {
      partials.delete(key);
      this.ctx.count('opcua.reassembly-cap');
      this.ev.anomalyEvent(dir, 'buffer-cap', `chunked message over ${this.opts.maxReassemblyBytes} bytes`);
      return;
    }
    partial.chunks.push(Buffer.from(buf.subarray(start, end)));
    partial.bytes += end - start;
  }

  private onBody(dir: Dir, r: Reader, requestId: number, type: number): void {
    const bodyStart = r.pos;
    r.nodeId();
    const typeId = r.ok && r.nodeNs === 0 ? r.nodeNumeric : -1;
    const request = SERVICE_BY_REQUEST.get(typeId);
    const response = request ? undefined : typeId === SERVICE_FAULT ? null : SERVICE_BY_RESPONSE.get(typeId);
    const headerOk = request ? this.requestHeader.read(r) : response !== undefined ? this.responseHeader.read(r) : false;
    if (this.protection === Protection.Unknown) {
      if (!headerOk) {
        this.protection = Protection.Encrypted;
        this.ctx.count('opcua.encrypted-messages');
        // The vocabulary has no 'encrypted' anomaly: a protocol event says "known protocol, content opaque".
        this.ev.opaque(`encrypted: SignAndEncrypt with ${policyName(this.policyUri)}`);
        return;
      }
      this.protection = Protection.Signed;
    }
    if (!headerOk) {
      r.reset(r.buf, bodyStart, r.end);
      return this.malformed(dir, typeId < 0 ? 'service type id' : `service type id ${typeId} or its header`);
    }
    if (request) this.onRequest(dir, r, requestId, request, type);
    else this.onResponse(dir, r, requestId, response ?? null, typeId);
  }

  private onRequest(dir: Dir, r: Reader, requestId: number, service: ServiceInfo, type: number): void {
    const event = this.ev.operation(dir, service.kind, service.request, service.name, 'no-response');
    this.describeRequest(dir, r, service.request, event);
    if (type === MsgType.CLO || service.request === CLOSE_SECURE_CHANNEL_REQUEST) {
      // CloseSecureChannel has no response: the connection just ends.
      event.result = 'unknown';
      this.ctx.sink.emit(event);
      return;
    }
    const previous = this.pending.get(requestId);
    if (previous) {
      this.pending.delete(requestId);
      this.ctx.count('opcua.duplicate-request-id');
      this.ctx.sink.emit(previous);
    }
    if (this.pending.size >= this.ctx.maxPendingTransactions) {
      const oldestId = this.pending.oldestKey();
      const oldest = this.pending.get(oldestId)!;
      this.pending.delete(oldestId);
      this.ev.anomaly(dir, 'transaction-cap', `more than ${this.ctx.maxPendingTransactions} requests awaiting a response`);
      this.ctx.sink.emit(oldest);
    }
    this.pending.add(requestId, event);
  }

  private onResponse(dir: Dir, r: Reader, requestId: number, service: ServiceInfo | null, typeId: number): void {
    const event = this.pendingTable?.get(requestId);
    if (!event || event.src === this.ev.sender(dir)) return this.unexpected(dir, `response ${typeId} to request id ${requestId}`);
    this.pending.delete(requestId);
    if (service !== null && service.request !== event.code) this.ctx.count('opcua.mismatched-response');
    event.responseFrame = this.ev.meta.frame;
    this.setResult(event, this.responseHeader.serviceResult);
    if (service !== null && isGood(this.responseHeader.serviceResult)) this.describeResponse(dir, r, service.request, event);
    this.ev.emitAnswered(event);
  }


  private setResult(event: OperationEvent, status: number): void {
    if (isGood(status)) {
      event.result = 'ok';
      return;
    }
    event.result = 'exception';
    event.exceptionCode = status;
    event.exceptionName = statusName(status);
  }

  // ---- service bodies ------------------------------------------------------------------------------------

  private describeRequest(dir: Dir, r: Reader, code: number, event: OperationEvent): void {
    switch (code) {
      case 461: // CreateSession
        return this.createSessionRequest(dir, r, event);
      case 467: // ActivateSession
        return this.activateSessionRequest(dir, r, event);
      case 428: {
        // GetEndpoints
        const url = r.string(512);
        if (r.ok && url) event.object = url;
        return;
      }
      case 631: // Read: MaxAge, TimestampsToReturn, ReadValueId[]
        r.skip(12);
        return this.firstNode(r, event);
      case 664: // HistoryRead: HistoryReadDetails, TimestampsToReturn, ReleaseContinuationPoints, nodes
        r.skipExtensionObject();
        r.skip(5);
        return this.firstNode(r, event);
      case 527: // Browse: ViewDescription (ViewId, Timestamp, ViewVersion), RequestedMaxReferencesPerNode
        r.nodeId();
        r.skip(16);
        return this.firstNode(r, event);
      case 712: {
        // Call: CallMethodRequest[] { ObjectId, MethodId, InputArguments }
        const count = r.arrayLength(2);
        if (count > 0) {
          r.nodeId();
          const objectId = r.ok ? r.nodeIdText() : '';
          r.nodeId();
          if (r.ok) {
            event.object = r.nodeIdText();
            event.detail = `on ${objectId}`;
          }
        }
        if (count > 1) event.quantity = count;
        return;
      }
      case 673: // Write
      case 554: // TranslateBrowsePathsToNodeIds
      case 560: // RegisterNodes
      case 566: // UnregisterNodes
      case 500: // DeleteNodes
      case 494: // AddReferences
      case 506: // DeleteReferences
      case 488: // AddNodes (first item: ParentNodeId)
        return this.firstNode(r, event);
      default:
    }
  }

  /** An array of items that each start with a NodeId: count → quantity, first NodeId → object. */
  private firstNode(r: Reader, event: OperationEvent): void {
    const count = r.arrayLength(2);
    if (!r.ok || count < 0) return;
    event.quantity = count;
    if (count === 0) return;
    r.nodeId();
    if (r.ok) event.object = r.nodeIdText();
  }

  private createSessionRequest(dir: Dir, r: Reader, event: OperationEvent): void {
    const client = this.ev.sender(dir);
    const app = this.applicationDescription(r);
    r.skipBytes(); // ServerUri
    const url = r.string(512);
    const sessionName = r.string(128);
    if (!r.ok && app === null) return;
    if (app) {
      if (app.name) this.ev.fact(client, 'product', app.name, 0.9);
      if (app.productUri) this.ev.fact(client, 'software', app.productUri, 0.9);
      if (app.name || app.uri) event.detail = app.name ?? app.uri ?? '';
    }
    if (url) this.ev.fact(this.ev.receiver(dir), 'url', url, 0.9);
    if (sessionName) event.object = sessionName;
  }

  private activateSessionRequest(dir: Dir, r: Reader, event: OperationEvent): void {
    r.skipBytes(); // ClientSignature.Algorithm
    r.skipBytes(); // ClientSignature.Signature
    const certificates = r.arrayLength(8);
    for (let i = 0; i < certificates && r.ok; i++) {
      r.skipBytes();
      r.skipBytes();
    }
    r.skipStringArray(); // LocaleIds
    const bodyLength = r.extensionObject();
    if (!r.ok) return;
    const tokenType = r.nodeNumeric;
    const name = IDENTITY_TOKENS.get(tokenType);
    event.detail = name ?? (bodyLength < 0 ? 'no identity token' : `identity token ${r.nodeNs === 0 ? '' : `ns=${r.nodeNs};`}i=${tokenType}`);
    if (tokenType !== USERNAME_IDENTITY_TOKEN || bodyLength < 0) return;
    // UserNameIdentityToken: PolicyId, UserName, Password (never read), EncryptionAlgorithm.
    const policyId = r.string(128);
    const user = r.string(128);
    if (!r.ok || user === null) return;
    event.object = `user ${user}${policyId ? `, policy ${policyId}` : ''}`;
    this.ev.fact(this.ev.sender(dir), 'user', user, 0.9);
  }

  private describeResponse(dir: Dir, r: Reader, code: number, event: OperationEvent): void {
    if (code === 428) {
      // GetEndpoints response: EndpointDescription[]
      const summary = this.endpointDescriptions(dir, r);
      if (summary) event.detail = summary;
      return;
    }
    if (code === 461) {
      // CreateSession response: SessionId, AuthenticationToken, RevisedSessionTimeout, ServerNonce, ServerCertificate
      r.nodeId();
      r.nodeId();
      r.skip(8);
      r.skipBytes();
      r.skipBytes();
      if (r.ok) this.endpointDescriptions(dir, r);
    }
  }

  /** Walks EndpointDescription[]: server facts from each, and a "policy/mode" + token-type summary. */
  private endpointDescriptions(dir: Dir, r: Reader): string {
    const server = this.ev.sender(dir);
    const count = r.arrayLength(20);
    if (count <= 0) return '';
    const modes: string[] = [];
    const tokens = new Set<string>();
    const n = count < this.opts.maxEndpoints ? count : this.opts.maxEndpoints;
    for (let i = 0; i < n && r.ok; i++) {
      const url = r.string(512);
      const app = this.applicationDescription(r);
      r.skipBytes(); // ServerCertificate
      const mode = r.u32();
      const policy = r.string(256);
      const tokenCount = r.arrayLength(20);
      for (let t = 0; t < tokenCount && r.ok; t++) {
        r.skipBytes(); // PolicyId
        const tokenType = r.u32();
        r.skipBytes(); // IssuedTokenType
        r.skipBytes(); // IssuerEndpointUrl
        r.skipBytes(); // SecurityPolicyUri
        if (r.ok) tokens.add(USER_TOKEN_TYPES[tokenType] ?? `token_${tokenType}`);
      }
      r.skipBytes(); // TransportProfileUri
      r.skip(1); // SecurityLevel
      if (!r.ok) break;
      if (url) this.ev.fact(server, 'url', url, 0.9);
      if (app?.name) this.ev.fact(server, 'product', app.name, 0.9);
      if (app?.productUri) this.ev.fact(server, 'software', app.productUri, 0.9);
      const entry = `${policyName(policy ?? '')}/${securityModeName(mode)}`;
      if (!modes.includes(entry)) modes.push(entry);
    }
    if (count > n) this.ctx.count('opcua.endpoint-cap');
    if (modes.length === 0) return '';
    return `${count} endpoints: ${modes.join(', ')}${tokens.size ? `; tokens: ${[...tokens].join(', ')}` : ''}`;
  }

  private applicationDescription(r: Reader): { uri: string | null; productUri: string | null; name: string | null } | null {
    const uri = r.string(256);
    const productUri = r.string(256);
    const name = r.localizedText(256);
    r.skip(4); // ApplicationType
    r.skipBytes(); // GatewayServerUri
    r.skipBytes(); // DiscoveryProfileUri
    r.skipStringArray(); // DiscoveryUrls
    return r.ok ? { uri, productUri, name } : null;
  }

  // ---- events --------------------------------------------------------------------------------------------

  private malformed(dir: Dir, what: string): void {
    this.ev.anomaly(dir, 'malformed', `undecodable ${what}`);
  }

  private unexpected(dir: Dir, what: string): void {
    this.ev.anomaly(dir, 'unexpected-response', `${what} without a matching request`);
  }
}
