/**
 * Per-flow SSH state: each side's identification line (software facts, OS hints), then the cleartext binary
 * packets up to NEWKEYS (KEXINIT → HASSH and the negotiated algorithms), then opaque, counted bytes.
 * One 'connect' operation per connection, emitted once both sides switched keys or when the flow ends.
 */
import type { OperationEvent } from '../../events/types.js';
import type { AnalyzerContext, Dir, FlowAnalyzer, PacketMeta } from '../analyzer.js';
import { FlowEmitter, clean } from '../http/events.js';
import { MAX_BANNER, MAX_PACKET, MSG_KEXINIT, MSG_NEWKEYS, hassh, negotiate, parseBanner, parseKexinit, sshOsHint } from './parser.js';

export interface SshOptions {
  /** lines a server may send before its identification line (RFC 4253 §4.2) */
  maxPreBannerLines: number;
  /** characters kept of each KEXINIT name-list */
  maxListChars: number;
  maxFacts: number;
  maxAnomalyEvents: number;
}

export const DEFAULT_SSH_OPTIONS: SshOptions = { maxPreBannerLines: 32, maxListChars: 2048, maxFacts: 16, maxAnomalyEvents: 20 };

const Phase = { Banner: 0, Packets: 1, Opaque: 2 } as const;
type Phase = (typeof Phase)[keyof typeof Phase];

class Side {
  phase: Phase = Phase.Banner;
  line = Buffer.alloc(MAX_BANNER + 1);
  lineLen = 0;
  lineOverflow = false;
  linesBefore = 0;
  banner = '';
  /** the current packet (length field included) until it is whole */
  packet: Buffer | null = null;
  packetLen = 0;
  kexinit: string[] | null = null;
}

export class SshSession implements FlowAnalyzer {
  private readonly opts: SshOptions;
  private readonly em: FlowEmitter;
  private readonly sides: [Side, Side] = [new Side(), new Side()];
  private event: OperationEvent | null = null;
  private emitted = false;

  constructor(
    private readonly ctx: AnalyzerContext,
    options: Partial<SshOptions> = {},
  ) {
    this.opts = { ...DEFAULT_SSH_OPTIONS, ...options };
    this.em = new FlowEmitter(ctx, 'ssh', this.opts);
  }

  onData(dir: Dir, buf: Buffer, off: number, len: number, meta: PacketMeta): void {
    if (len <= 0 || off < 0 || off + len > buf.length) return;
    this.em.meta = meta;
    const s = this.em.stream(dir);
    const side = this.sides[s];
    let p = off;
    const end = off + len;
    while (p < end) {
      if (side.phase === Phase.Banner) p = this.readLine(s, side, buf, p, end);
      else if (side.phase === Phase.Packets) p = this.readPacket(s, side, buf, p, end);
      else {
        this.ctx.count('encrypted-bytes', end - p);
        return;
      }
    }
  }

  onGap(dir: Dir, bytes: number, meta: PacketMeta): void {
    this.em.meta = meta;
    const s = this.em.stream(dir);
    const side = this.sides[s];
    this.ctx.count('gaps');
    if (side.phase === Phase.Opaque) return;
    this.em.anomaly(s, 'gap', `${bytes} bytes missing before key exchange ended`);
    side.phase = Phase.Opaque;
  }

  onClose(meta: PacketMeta): void {
    this.em.meta = meta;
    this.finish();
  }

  private readLine(s: 0 | 1, side: Side, buf: Buffer, p: number, end: number): number {
    const lf = buf.indexOf(0x0a, p);
    const stop = lf < 0 || lf >= end ? end : lf;
    const n = Math.min(stop - p, side.line.length - side.lineLen);
    buf.copy(side.line, side.lineLen, p, p + n);
    side.lineLen += n;
    if (n < stop - p) side.lineOverflow = true;
    if (stop === end) return end;
    let lineEnd = side.lineLen;
    if (lineEnd > 0 && side.line[lineEnd - 1] === 0x0d) lineEnd--;
    const text = side.line.toString('latin1', 0, lineEnd);
    const overflow = side.lineOverflow;
    side.lineLen = 0;
    side.lineOverflow = false;
    if (!text.startsWith('SSH-')) {
      if (++side.linesBefore > this.opts.maxPreBannerLines) {
        this.em.anomaly(s, 'malformed', 'no SSH identification line');
        side.phase = Phase.Opaque;
      }
      return lf + 1;
    }
    if (overflow) this.em.anomaly(s, 'malformed', `identification line longer than ${MAX_BANNER} bytes`);
    this.onBanner(s, side, text);
    side.phase = Phase.Packets;
    return lf + 1;
  }

  private onBanner(s: 0 | 1, side: Side, text: string): void {
    const line = clean(text, MAX_BANNER);
    side.banner = line;
    const b = parseBanner(line);
    const e = this.operation();
    const client = s === this.em.clientStream;
    e.attributes![client ? 'client_banner' : 'server_banner'] = line;
    if (!client && e.responseFrame === undefined) e.responseFrame = this.em.meta.frame;
    if (b === null) {
      this.em.anomaly(s, 'malformed', 'identification line does not parse');
      return;
    }
    if (client && (b.protoVersion === '2.0' || b.protoVersion === '1.99')) e.code = 2;
    else if (client && e.code === 0) e.code = Number.parseInt(b.protoVersion, 10) || 0;
    const who = this.em.senders[s];
    this.em.fact(who, 'software', b.comments ? `${b.software} ${b.comments}` : b.software, 0.9);
    const hint = sshOsHint(b);
    if (hint.os) this.em.fact(who, 'os', hint.os, hint.confidence);
  }

  private readPacket(s: 0 | 1, side: Side, buf: Buffer, p: number, end: number): number {
    // Whole packet inside this segment: decode in place.
    if (side.packetLen === 0 && end - p >= 4) {
      const total = buf.readUInt32BE(p) + 4;
      if (total > MAX_PACKET + 4 || total < 16) return this.badPacket(s, side, end);
      if (end - p >= total) {
        this.onPacket(s, side, buf, p, total);
        return p + total;
      }
    }
    if (side.packet === null) side.packet = Buffer.allocUnsafe(MAX_PACKET + 4);
    if (side.packetLen < 4) {
      const n = Math.min(4 - side.packetLen, end - p);
      buf.copy(side.packet, side.packetLen, p, p + n);
      side.packetLen += n;
      p += n;
      if (side.packetLen < 4) return p;
      const total = side.packet.readUInt32BE(0) + 4;
      if (total > MAX_PACKET + 4 || total < 16) return this.badPacket(s, side, end);
    }
    const total = side.packet.readUInt32BE(0) + 4;
    const n = Math.min(total - side.packetLen, end - p);
    buf.copy(side.packet, side.packetLen, p, p + n);
    side.packetLen += n;
    p += n;
    if (side.packetLen === total) {
      side.packetLen = 0;
      this.onPacket(s, side, side.packet, 0, total);
    }
    return p;
  }

  private badPacket(s: 0 | 1, side: Side, end: number): number {
    this.em.anomaly(s, 'malformed', 'implausible binary packet length before NEWKEYS');
    side.phase = Phase.Opaque;
    side.packetLen = 0;
    return end;
  }

  private onPacket(s: 0 | 1, side: Side, b: Buffer, off: number, total: number): void {
    const padding = b[off + 4]!;
    const payloadLen = total - 5 - padding;
    if (payloadLen < 1) {
      this.em.anomaly(s, 'malformed', 'binary packet padding exceeds its length');
      return;
    }
    const type = b[off + 5]!;
    this.ctx.count('cleartext-packets');
    if (type === MSG_KEXINIT && side.kexinit === null) {
      const lists = parseKexinit(b, off + 5, payloadLen, this.opts.maxListChars);
      if (lists === null) {
        this.em.anomaly(s, 'malformed', 'KEXINIT does not decode');
        return;
      }
      side.kexinit = lists;
      this.onKexinit();
    } else if (type === MSG_NEWKEYS) {
      side.phase = Phase.Opaque;
      if (this.sides[0].phase === Phase.Opaque && this.sides[1].phase === Phase.Opaque) this.finish();
    }
  }

  private onKexinit(): void {
    const clientSide = this.sides[this.em.clientStream];
    const serverSide = this.sides[this.em.clientStream ^ 1]!;
    const a = this.operation().attributes!;
    if (clientSide.kexinit !== null && a.hassh === undefined) a.hassh = hassh(clientSide.kexinit, false);
    if (serverSide.kexinit !== null && a.hassh_server === undefined) a.hassh_server = hassh(serverSide.kexinit, true);
    const c = clientSide.kexinit;
    const sv = serverSide.kexinit;
    if (c === null || sv === null) return;
    a.kex = negotiate(c[0]!, sv[0]!);
    a.host_key = negotiate(c[1]!, sv[1]!);
    a.cipher = negotiate(c[2]!, sv[2]!);
    // AEAD ciphers carry their own integrity: the MAC list is then not used
    const mac = negotiate(c[4]!, sv[4]!);
    if (mac && !/gcm|poly1305/.test(String(a.cipher))) a.mac = mac;
    a.compression = negotiate(c[6]!, sv[6]!);
  }

  private operation(): OperationEvent {
    if (this.event !== null) return this.event;
    const cs = this.em.clientStream;
    this.event = {
      type: 'operation',
      protocol: 'ssh',
      ts: this.em.meta.ts,
      frame: this.em.meta.frame,
      captureIndex: this.ctx.captureIndex,
      flowId: this.ctx.flow.id,
      src: this.em.senders[cs],
      dst: this.em.senders[cs ^ 1]!,
      kind: 'connect',
      code: 0,
      codeName: 'ssh_session',
      result: 'no-response',
      attributes: {},
    };
    return this.event;
  }

  private finish(): void {
    if (this.emitted || this.event === null) return;
    this.emitted = true;
    const e = this.event;
    const cs = this.em.clientStream;
    const clientBanner = this.sides[cs].banner;
    const serverBanner = this.sides[cs ^ 1]!.banner;
    e.result = clientBanner && serverBanner ? 'ok' : serverBanner ? 'unknown' : 'no-response';
    if (e.code === 0 && serverBanner) {
      const b = parseBanner(serverBanner);
      if (b) e.code = b.protoVersion === '1.99' ? 2 : Number.parseInt(b.protoVersion, 10) || 0;
    }
    this.ctx.sink.emit(e);
  }
}
