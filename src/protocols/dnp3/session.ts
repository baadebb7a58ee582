/**
 * Per-flow DNP3 state: link frames (CRC-checked) → transport segments reassembled per direction into
 * application fragments → requests paired with responses by application sequence number. Works over TCP
 * streams and UDP datagrams alike.
 */
import type { OperationEvent } from '../../events/types.js';
import { Dir, type AnalyzerContext, type FlowAnalyzer, type PacketMeta } from '../analyzer.js';
import { DuplexStreams, skipToByte } from '../common/stream-buffer.js';
import { FlowEvents } from '../common/flow-events.js';
import { LinkFrame, frameLink, parseLink } from './link.js';
import { AppFragment, parseAppFragment } from './app.js';
import { FUNCTION_NAMES, expectsNoResponse, iinFailure, operationKind } from './names.js';

/** Largest application fragment we reassemble (IEEE 1815 recommends 2048; allow margin). */
const MAX_FRAGMENT = 8192;

/** First size of a direction's reassembly buffer; it doubles on need up to MAX_FRAGMENT. */
const INITIAL_FRAGMENT_BUFFER = 512;
const EMPTY_FRAGMENT = new Uint8Array(0);

class TransportState {
  /**
   * Segments of a fragment spread over several link frames. Most fragments fit one segment and are parsed in
   * place, so the buffer is made on the first multi-segment fragment and sized to what it holds.
   */
  buffer: Uint8Array = EMPTY_FRAGMENT;
  length = 0;
  active = false;
  nextSeq = -1;
}

/** Object lists remembered per flow; a master polls with the same one or two lists over and over. */
const OBJECT_LIST_CACHE = 4;

/**
 * The "g60v2,g60v3" text of a request's object headers, built once per distinct list and handed back for
 * repeats (no strings per poll). Round-robin replacement over OBJECT_LIST_CACHE entries.
 */
class ObjectListTexts {
  private readonly lists: Uint16Array[] = [];
  private readonly counts: number[] = [];
  private readonly texts: string[] = [];
  private next = 0;

  of(objects: Uint16Array, count: number): string {
    for (let e = 0; e < this.texts.length; e++) {
      if (this.counts[e] !== count) continue;
      const list = this.lists[e]!;
      let i = 0;
      while (i < count && list[i] === objects[i]) i++;
      if (i === count) return this.texts[e]!;
    }
    const parts: string[] = [];
    for (let i = 0; i < count; i++) parts.push(`g${objects[i]! >> 8}v${objects[i]! & 0xff}`);
    const text = parts.join(',');
    const e = this.next;
    this.next = (e + 1) % OBJECT_LIST_CACHE;
    this.lists[e] = objects.slice(0, count);
    this.counts[e] = count;
    this.texts[e] = text;
    return text;
  }
}

function growTransportBuffer(t: TransportState, need: number): void {
  let size = t.buffer.length === 0 ? INITIAL_FRAGMENT_BUFFER : t.buffer.length * 2;
  while (size < need) size *= 2;
  const grown = new Uint8Array(size < MAX_FRAGMENT ? size : MAX_FRAGMENT);
  for (let i = 0; i < t.length; i++) grown[i] = t.buffer[i]!;
  t.buffer = grown;
}

export class Dnp3Session implements FlowAnalyzer {
  private readonly streams: DuplexStreams;
  private readonly transport = [new TransportState(), new TransportState()];
  private readonly link = new LinkFrame();
  private readonly app = new AppFragment();
  private readonly ev: FlowEvents;
  /** Requests by requester direction and application sequence (4 bits): index dir * 16 + seq. */
  private readonly pending: Array<OperationEvent | undefined> = new Array(32);
  private readonly objectsText = new ObjectListTexts();
  /** a flow's transport never changes: read it once, not per packet */
  private readonly datagrams: boolean;

  constructor(private readonly ctx: AnalyzerContext) {
    this.datagrams = ctx.flow.transport === 'udp';
    this.ev = new FlowEvents(ctx, 'dnp3');
    this.streams = new DuplexStreams(ctx.maxBufferBytes, (dir, b, o, l) => this.consume(dir, b, o, l));
  }

  onData(dir: Dir, buf: Buffer, off: number, len: number, meta: PacketMeta): void {
    this.ev.meta = meta;
    if (this.streams.push(dir, buf, off, len)) this.ev.anomalyEvent(dir, 'buffer-cap', 'partial link frame exceeded the buffer cap');
    // A datagram holds whole frames: whatever is left over will never be completed.
    if (this.datagrams && this.streams.dropPartial(dir)) this.ctx.count('dnp3.truncated');
  }

  onGap(dir: Dir, bytes: number, meta: PacketMeta): void {
    this.ev.meta = meta;
    this.streams.reset(dir);
    this.transport[dir]!.active = false;
    this.ev.anomaly(dir, 'gap', `${bytes} bytes missing`);
  }

  onClose(): void {
    let any = false;
    for (let i = 0; i < this.pending.length && !any; i++) any = this.pending[i] !== undefined;
    if (!any) return;
    const open = this.pending.filter((e): e is OperationEvent => e !== undefined).sort((a, b) => a.frame - b.frame);
    for (const e of open) this.ctx.sink.emit(e);
    this.pending.fill(undefined);
  }

  private consume(dir: Dir, buf: Buffer, off: number, len: number): number {
    const n = frameLink(buf, off, len);
    if (n > 0) {
      this.streams.framed(dir);
      parseLink(buf, off, n, this.link);
      this.onLinkFrame(dir);
      return n;
    }
    if (n === 0) return 0;
    if (this.streams.lostSync(dir)) this.ev.anomaly(dir, 'malformed', 'no valid link header (start bytes or header CRC)');
    return skipToByte(buf, off, len, 0x05);
  }

  private onLinkFrame(dir: Dir): void {
    const link = this.link;
    if (link.badCrcBlocks > 0) {
      this.ctx.count('dnp3.crc-error', link.badCrcBlocks);
      this.ev.anomalyEvent(dir, 'malformed', `${link.badCrcBlocks} user-data block(s) with a bad CRC`);
      this.transport[dir]!.active = false;
      return;
    }
    // Only primary frames with user data (function 3 confirmed / 4 unconfirmed) carry transport segments.
    if (!link.primary || (link.linkFunction !== 3 && link.linkFunction !== 4) || link.dataLen < 1) {
      this.ctx.count('dnp3.link-only');
      return;
    }
    const header = link.data[0]!;
    const fin = (header & 0x80) !== 0;
    const fir = (header & 0x40) !== 0;
    const seq = header & 0x3f;
    const t = this.transport[dir]!;
    const payload = link.dataLen - 1;
    if (fir && fin) {
      // A fragment whole in one segment: parsed where it lies (its size is at most a link frame's).
      t.active = false;
      t.nextSeq = (seq + 1) & 0x3f;
      this.onFragment(dir, link.data, 1, payload);
      return;
    }
    if (fir) {
      t.active = true;
      t.length = 0;
    } else if (!t.active || seq !== t.nextSeq) {
      this.ctx.count('dnp3.transport-out-of-sequence');
      t.active = false;
      return;
    }
    t.nextSeq = (seq + 1) & 0x3f;
    const need = t.length + payload;
    if (need > MAX_FRAGMENT) {
      this.ctx.count('dnp3.fragment-cap');
      t.active = false;
      return;
    }
    if (need > t.buffer.length) growTransportBuffer(t, need);
    const buffer = t.buffer;
    const data = link.data;
    for (let i = 0; i < payload; i++) buffer[t.length + i] = data[1 + i]!;
    t.length = need;
    if (!fin) return;
    t.active = false;
    this.onFragment(dir, t.buffer, 0, t.length);
  }

  private onFragment(dir: Dir, data: Uint8Array, off: number, len: number): void {
    if (!parseAppFragment(data, len, this.app, off)) {
      this.ev.anomaly(dir, 'malformed', 'application fragment too short');
      return;
    }
    this.onApplication(dir);
  }

  private onApplication(dir: Dir): void {
    const a = this.app;
    const link = this.link;
    if (a.functionCode === 0) {
      this.ctx.count('dnp3.confirm');
      return;
    }
    if (a.functionCode === 130) {
      this.ctx.count('dnp3.unsolicited');
      return;
    }
    if (a.isResponse) {
      const requestDir = dir === Dir.ToServer ? Dir.ToClient : Dir.ToServer;
      const slot = requestDir * 16 + a.seq;
      const request = this.pending[slot];
      if (!request) {
        // Outstations repeat a response when the master retries or the link layer re-sends; without a request
        // waiting there is nothing to complete, so it is counted and shown as an anomaly, not as an operation.
        this.ev.anomaly(dir, 'unexpected-response', `response with sequence ${a.seq} and no request waiting`);
        return;
      }
      this.pending[slot] = undefined;
      request.responseFrame = this.ev.meta.frame;
      request.responseCode = a.functionCode;
      const failure = iinFailure(a.iin);
      if (failure) {
        request.result = 'exception';
        request.exceptionCode = failure.code;
        request.exceptionName = failure.name;
        this.ctx.sink.emit(request);
        return;
      }
      request.result = 'ok';
      // Answered normally, the event is final: counted without being emitted when nobody reads it individually.
      const sink = this.ctx.sink;
      if (sink.countOperation !== undefined && !sink.wantsOperation!('dnp3', request.kind, 'ok')) {
        sink.countOperation(request.captureIndex, request.flowId, 'dnp3', request.kind, request.src, request.dst);
      } else {
        sink.emit(request);
      }
      return;
    }
    const { kind, detail } = operationKind(a.functionCode, a.firstGroup);
    const object = a.objectCount > 0 ? this.objectsText.of(a.objects, a.objectCount) : '';
    const src = dir === Dir.ToServer ? this.ev.client : this.ev.server;
    const dst = dir === Dir.ToServer ? this.ev.server : this.ev.client;
    const codeName = FUNCTION_NAMES[a.functionCode] ?? `function_${a.functionCode}`;
    const result = expectsNoResponse(a.functionCode) ? 'unknown' : 'no-response';
    let event: OperationEvent;
    if (object !== '' && !detail) {
      // Polls (reads of class data): the event in one allocation, keys in the order of the general path.
      event = {
        type: 'operation',
        protocol: 'dnp3',
        ts: this.ev.meta.ts,
        frame: this.ev.meta.frame,
        captureIndex: this.ctx.captureIndex,
        flowId: this.ctx.flow.id,
        src,
        dst,
        kind,
        code: a.functionCode,
        codeName,
        unit: link.destination,
        result,
        object,
      };
    } else {
      event = {
        type: 'operation',
        protocol: 'dnp3',
        ts: this.ev.meta.ts,
        frame: this.ev.meta.frame,
        captureIndex: this.ctx.captureIndex,
        flowId: this.ctx.flow.id,
        src,
        dst,
        kind,
        code: a.functionCode,
        codeName,
        // The outstation's DNP3 address (the destination of a master's request).
        unit: link.destination,
        result,
      };
      if (object !== '') event.object = object;
      if (detail) event.detail = detail;
    }
    if (expectsNoResponse(a.functionCode)) {
      this.ctx.sink.emit(event);
      return;
    }
    const slot = dir * 16 + a.seq;
    const previous = this.pending[slot];
    if (previous) {
      // Same sequence reused before an answer: the earlier request went unanswered.
      this.ctx.sink.emit(previous);
    }
    this.pending[slot] = event;
  }
}
