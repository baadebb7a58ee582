/**
 * Per-flow MQTT state: frames control packets in each direction (packets larger than the buffer are skipped by
 * their declared length and counted), pairs CONNECT/CONNACK, PUBLISH (QoS 1/2)/PUBACK|PUBREC,
 * SUBSCRIBE/SUBACK and UNSUBSCRIBE/UNSUBACK, and reports the client's publishes as writes. Publishes the broker
 * delivers to a subscriber are counted, not reported: they are some other client's writes.
 */
import type { OperationEvent } from '../../events/types.js';
import { Dir, type AnalyzerContext, type FlowAnalyzer, type PacketMeta } from '../analyzer.js';
import { StreamBuffer } from '../common/stream-buffer.js';
import { FlowEvents, IT_SESSION_LIMITS } from '../common/flow-events.js';
import { CONNACK_V3_NAMES, PACKET_NAMES, REASON_V5_NAMES, Reader, framePacket, parseConnect } from './parser.js';

/** Topics listed in one SUBSCRIBE event's object (the count goes to quantity). */
const MAX_TOPICS_LISTED = 8;

export class MqttSession implements FlowAnalyzer {
  private readonly ev: FlowEvents;
  private readonly streams: [StreamBuffer, StreamBuffer];
  private readonly reader = new Reader(Buffer.alloc(0));
  private readonly header = { headerLen: 0 };
  /** bytes of an oversized packet still to skip, per direction */
  private readonly skip = [0, 0];
  private readonly bufferCap: number;
  /** protocol level from CONNECT (5 = MQTT 5 properties present); 4 until seen */
  private level = 4;
  private connect: OperationEvent | null = null;
  private connectHadCredentials = false;
  /** requests awaiting an ack, by packet type << 16 | packet id */
  private readonly pending = new Map<number, OperationEvent>();

  constructor(private readonly ctx: AnalyzerContext) {
    this.ev = new FlowEvents(ctx, 'mqtt', IT_SESSION_LIMITS);
    this.bufferCap = ctx.maxBufferBytes;
    this.streams = [
      new StreamBuffer(ctx.maxBufferBytes, (b, o, l) => this.consume(Dir.ToServer, b, o, l)),
      new StreamBuffer(ctx.maxBufferBytes, (b, o, l) => this.consume(Dir.ToClient, b, o, l)),
    ];
  }

  onData(dir: Dir, buf: Buffer, off: number, len: number, meta: PacketMeta): void {
    this.ev.meta = meta;
    this.streams[dir].push(buf, off, len);
  }

  onGap(dir: Dir, bytes: number, meta: PacketMeta): void {
    this.ev.meta = meta;
    this.streams[dir].reset();
    if (this.skip[dir]! >= bytes) {
      this.skip[dir]! -= bytes;
      return;
    }
    // MQTT has no sync marker: after a hole the rest of this direction cannot be framed reliably.
    this.skip[dir] = Number.MAX_SAFE_INTEGER;
    this.ev.anomaly(dir, 'gap', `${bytes} bytes missing; direction no longer followed`);
  }

  onClose(): void {
    if (this.connect) this.ev.emit(this.connect);
    this.connect = null;
    for (const e of this.pending.values()) this.ev.emit(e);
    this.pending.clear();
  }

  private consume(dir: Dir, buf: Buffer, off: number, len: number): number {
    const skip = this.skip[dir]!;
    if (skip > 0) {
      const n = skip < len ? skip : len;
      this.skip[dir] = skip - n;
      return n;
    }
    const total = framePacket(buf, off, len, this.header);
    if (total === 0) return 0;
    if (total < 0 || (buf[off]! >> 4) === 0) {
      this.ev.anomaly(dir, 'malformed', total < 0 ? 'bad remaining length' : 'reserved packet type 0');
      this.skip[dir] = Number.MAX_SAFE_INTEGER;
      return len;
    }
    if (total > this.bufferCap) {
      // Too big to hold: what is here now is handled if it is a PUBLISH header, the rest skipped.
      this.ctx.count('mqtt.oversized');
      if (len >= total) {
        this.onPacket(dir, buf, off, total);
        return total;
      }
      this.skip[dir] = total - len;
      return len;
    }
    if (len < total) return 0;
    this.onPacket(dir, buf, off, total);
    return total;
  }

  private onPacket(dir: Dir, buf: Buffer, off: number, total: number): void {
    const type = buf[off]! >> 4;
    const flags = buf[off]! & 0x0f;
    const r = this.reader.at(buf, off + this.header.headerLen, off + total);
    this.ctx.count('mqtt.packets');
    const fromClient = dir === Dir.ToServer;
    switch (type) {
      case 1:
        if (fromClient) this.onConnect(r);
        else this.unexpectedDirection(dir, type);
        return;
      case 2:
        this.onConnack(r);
        return;
      case 3:
        this.onPublish(dir, r, flags, total - this.header.headerLen);
        return;
      case 4:
      case 5:
        this.onAck(r, 3, type);
        return;
      case 8:
      case 10:
        if (fromClient) this.onSubscribe(r, type);
        else this.unexpectedDirection(dir, type);
        return;
      case 9:
      case 11:
        this.onAck(r, type - 1, type);
        return;
      default:
        this.ctx.count('mqtt.other-packets');
    }
  }

  private onConnect(r: Reader): void {
    const c = parseConnect(r);
    if (c === null) {
      this.ev.anomaly(Dir.ToServer, 'malformed', 'undecodable CONNECT');
      return;
    }
    this.level = c.level;
    const credentials = c.hasUser || c.hasPassword;
    this.connectHadCredentials = credentials;
    const e = this.ev.operation(Dir.ToServer, credentials ? 'authentication' : 'connect', 1, 'connect');
    const attributes: Record<string, string | number | boolean> = {
      protocol_name: c.protocolName,
      protocol_version: c.level,
      client_id: c.clientId,
      keep_alive: c.keepAlive,
      clean_session: (c.flags & 0x02) !== 0,
      password_sent: c.hasPassword,
    };
    if (c.hasUser) attributes.user = c.user;
    if (c.willTopic !== '') attributes.will_topic = c.willTopic;
    e.attributes = attributes;
    if (this.connect) this.ev.emit(this.connect);
    this.connect = e;
    this.ev.fact('server', 'role-hint', 'mqtt-broker', 0.9);
    if (c.hasUser && c.user !== '') this.ev.fact('client', 'user', c.user, 0.9);
    if (c.hasPassword) {
      this.ev.fact('server', 'credential', `mqtt login${c.hasUser ? ` user=${c.user}` : ''} (password sent in cleartext)`, 0.9);
    }
  }

  private onConnack(r: Reader): void {
    const e = this.connect;
    this.connect = null;
    r.u8(); // acknowledge flags (session present)
    const code = r.u8();
    if (code < 0) {
      this.ev.anomaly(Dir.ToClient, 'malformed', 'short CONNACK');
      return;
    }
    if (e === null) {
      this.ctx.count('mqtt.unexpected-response');
      return;
    }
    const ok = code === 0;
    const name = this.level >= 5 ? REASON_V5_NAMES[code] : CONNACK_V3_NAMES[code];
    e.responseCode = 2;
    this.ev.complete(e, ok, code, ok ? undefined : name ?? `code_${code}`);
    e.attributes = { ...e.attributes, success: ok };
    this.ev.emit(e);
    if (ok && !this.connectHadCredentials) this.ev.fact('server', 'credential', 'mqtt broker accepts connections without user name or password', 0.9);
  }

  private onPublish(dir: Dir, r: Reader, flags: number, bodyLen: number): void {
    const qos = (flags >> 1) & 3;
    const topic = r.str(256);
    if (topic === null || qos === 3) {
      this.ev.anomaly(dir, 'malformed', 'undecodable PUBLISH');
      return;
    }
    const packetId = qos > 0 ? r.u16() : 0;
    if (packetId < 0 || (this.level >= 5 && !r.skipProperties())) {
      this.ev.anomaly(dir, 'malformed', 'undecodable PUBLISH');
      return;
    }
    if (dir === Dir.ToClient) {
      this.ctx.count('mqtt.deliveries');
      return;
    }
    const e = this.ev.operation(Dir.ToServer, 'write', 3, 'publish', qos === 0 ? 'unknown' : 'no-response');
    e.object = topic;
    // r.pos is where the payload starts; bodyLen counts from the end of the fixed header.
    e.dataBytes = r.end - r.pos;
    e.attributes = { qos, retain: (flags & 1) !== 0, dup: (flags & 8) !== 0 };
    if (qos === 0 || bodyLen < 0) {
      this.ev.emit(e);
      return;
    }
    this.track((3 << 16) | packetId, e);
  }

  private onSubscribe(r: Reader, type: number): void {
    const packetId = r.u16();
    if (packetId < 0 || (this.level >= 5 && !r.skipProperties())) {
      this.ev.anomaly(Dir.ToServer, 'malformed', `undecodable ${PACKET_NAMES[type]}`);
      return;
    }
    const topics: string[] = [];
    let count = 0;
    while (r.pos < r.end) {
      const t = r.str(256);
      if (t === null || (type === 8 && r.u8() < 0)) {
        this.ev.anomaly(Dir.ToServer, 'malformed', `undecodable ${PACKET_NAMES[type]} topic list`);
        return;
      }
      if (topics.length < MAX_TOPICS_LISTED) topics.push(t);
      count++;
    }
    const e = this.ev.operation(Dir.ToServer, 'subscription', type, PACKET_NAMES[type]!);
    e.object = topics.join(',');
    e.quantity = count;
    if (type === 10) e.detail = 'unsubscribe';
    this.track((type << 16) | packetId, e);
  }

  /** PUBACK/PUBREC (for PUBLISH), SUBACK, UNSUBACK: the request of `requestType` with the same packet id. */
  private onAck(r: Reader, requestType: number, ackType: number): void {
    const packetId = r.u16();
    if (packetId < 0) {
      this.ev.anomaly(Dir.ToClient, 'malformed', `short ${PACKET_NAMES[ackType]}`);
      return;
    }
    const key = (requestType << 16) | packetId;
    const e = this.pending.get(key);
    if (e === undefined) {
      this.ctx.count('mqtt.unexpected-response');
      return;
    }
    this.pending.delete(key);
    // Failure codes: v5 reason codes >= 0x80; SUBACK 3.1.1 uses 0x80 too. Any failing topic fails the request.
    let failure = -1;
    if (ackType === 9 || ackType === 11) {
      if (this.level >= 5 && !r.skipProperties()) failure = -1;
      while (r.pos < r.end) {
        const c = r.u8();
        if (c >= 0x80) failure = c;
      }
    } else if (r.pos < r.end) {
      const c = r.u8();
      if (c >= 0x80) failure = c;
    }
    e.responseCode = ackType;
    this.ev.complete(e, failure < 0, failure, failure < 0 ? undefined : REASON_V5_NAMES[failure] ?? 'failure');
    this.ev.emit(e);
  }

  private track(key: number, e: OperationEvent): void {
    const previous = this.pending.get(key);
    if (previous) {
      this.pending.delete(key);
      this.ev.emit(previous);
    }
    if (this.pending.size >= this.ctx.maxPendingTransactions) {
      const [k, oldest] = this.pending.entries().next().value as [number, OperationEvent];
      this.pending.delete(k);
      this.ev.anomaly(Dir.ToServer, 'transaction-cap', 'pending MQTT requests over the cap');
      this.ev.emit(oldest);
    }
    this.pending.set(key, e);
  }

  private unexpectedDirection(dir: Dir, type: number): void {
    this.ev.anomaly(dir, 'unexpected-response', `${PACKET_NAMES[type]} sent by the broker`);
  }
}
