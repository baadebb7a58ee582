/**
 * Fast path of `simulate --size`: one plant period is generated live and recorded, then replayed as many
 * times as the size needs, each copy patched so that the capture stays a valid, continuing plant:
 *
 * - timestamps shift by the period;
 * - TCP sessions that stay open across the period (the pollers) continue: each direction's sequence numbers
 *   (and the peer's acknowledgements) advance by the bytes that direction sent in one period;
 * - sessions opened and closed inside the period get the client's next ephemeral ports (as the host's OS
 *   would allocate them) and a fresh initial sequence number per copy;
 * - IPv4 identification advances per sending host by the number of datagrams it sent in one period;
 * - DNP3 transport/application sequence numbers and IEC 104 N(S)/N(R) continue (those are checked by
 *   monitors); NTP timestamps follow the capture clock;
 * - IPv4/TCP/UDP checksums are updated incrementally (RFC 1624, eqn. 3), or recomputed for the few frames
 *   whose payload is patched.
 *
 * The period is cut where every simulated process is between two transactions and no short-lived session
 * is open, so each copy holds whole exchanges only; its end is chosen where the same long-lived sessions are
 * open as at its start. Incidents run in the live prologue before the period and are never repeated.
 */
import type { Plant } from './plant.js';
import type { FrameSlot, SimHost } from './packets.js';
import { foldChecksum, sumBytes } from './packets.js';
import { putRecord, recordBytes, recordFrameOffset, type SimCaptureFormat, type SimCaptureWriter } from './pcap-out.js';
import type { Scheduler } from './scheduler.js';
import { dnp3Crc } from './protocols/dnp3.js';
import { copyBytes } from './bytes.js';

export interface ReplayTuning {
  /** shortest period, µs: long enough for every cyclic exchange of the plant to occur at least once */
  minPeriodUs: number;
  /** how long past minPeriodUs to look for the period's end before giving up (generation then stays live) */
  searchUs: number;
  /** a process is between transactions when its frames on both sides of a cut are at least this far apart */
  quietGapUs: number;
  /** sessions open at the period's start must be at least this old (the plant's long-lived sessions) */
  longLivedUs: number;
  /** cap of the recorded period (bytes of capture records); reaching it gives up the replay */
  maxPeriodBytes: number;
}

export const DEFAULT_REPLAY_TUNING: ReplayTuning = {
  // the slowest plant cycle is the engineering diagnostics (every 120 s); 240 s holds every cycle a whole
  // number of times (10, 15, 30, 60, 120 s), so the replayed capture keeps the plant's protocol mix
  minPeriodUs: 240_000_000,
  searchUs: 120_000_000,
  quietGapUs: 30_000,
  longLivedUs: 30_000_000,
  maxPeriodBytes: 256 << 20,
};

/** Why the replay did not happen (generation then continued live, which is correct but slower). */
export type ReplayOutcome = 'replayed' | 'size-reached-live' | 'no-period-end' | 'period-too-large';

const ETH_IPV4 = 0x0800;
const PROTO_TCP = 6;
const PROTO_UDP = 17;
const TCP_FIN = 0x01;
const TCP_SYN = 0x02;
const TCP_RST = 0x04;
const TCP_ACK = 0x10;
const DNP3_PORT = 20000;
const IEC104_PORT = 2404;
const NTP_PORT = 123;
/** UDP client ports drawn at random (not from the host's sequence): moved by a fixed odd stride per copy */
const UDP_RANDOM_BASE = 49152;
const UDP_RANDOM_STRIDE = 7919;

const APP_NONE = 0;
const APP_DNP3 = 1;
const APP_IEC104 = 2;
const APP_NTP = 3;

/** Header fields of one frame, parsed into a reused object. */
class ParsedFrame {
  l3 = -1;
  l4 = -1;
  proto = 0;
  srcIp = 0;
  dstIp = 0;
  sport = 0;
  dport = 0;
  seq = 0;
  ack = 0;
  flags = 0;
  payloadOff = 0;
  payloadLen = 0;

  parse(b: Buffer, len: number): boolean {
    this.l3 = -1;
    this.l4 = -1;
    if (len < 14) return false;
    let l3 = 14;
    let et = (b[12]! << 8) | b[13]!;
    if (et === 0x8100) {
      if (len < 18) return false;
      et = (b[16]! << 8) | b[17]!;
      l3 = 18;
    }
    if (et !== ETH_IPV4 || len < l3 + 20 || b[l3]! >> 4 !== 4) return false;
    const ihl = (b[l3]! & 15) * 4;
    const total = (b[l3 + 2]! << 8) | b[l3 + 3]!;
    if (ihl < 20 || total < ihl || l3 + total > len) return false;
    this.l3 = l3;
    this.proto = b[l3 + 9]!;
    this.srcIp = b.readUInt32BE(l3 + 12);
    this.dstIp = b.readUInt32BE(l3 + 16);
    const l4 = l3 + ihl;
    const end = l3 + total;
    if (this.proto === PROTO_TCP && end - l4 >= 20) {
      const doff = (b[l4 + 12]! >> 4) * 4;
      if (doff < 20 || l4 + doff > end) return true;
      this.l4 = l4;
      this.sport = (b[l4]! << 8) | b[l4 + 1]!;
      this.dport = (b[l4 + 2]! << 8) | b[l4 + 3]!;
      this.seq = b.readUInt32BE(l4 + 4);
      this.ack = b.readUInt32BE(l4 + 8);
      this.flags = b[l4 + 13]!;
      this.payloadOff = l4 + doff;
      this.payloadLen = end - l4 - doff;
    } else if (this.proto === PROTO_UDP && end - l4 >= 8) {
      this.l4 = l4;
      this.sport = (b[l4]! << 8) | b[l4 + 1]!;
      this.dport = (b[l4 + 2]! << 8) | b[l4 + 3]!;
      this.flags = 0;
      this.payloadOff = l4 + 8;
      this.payloadLen = end - l4 - 8;
    }
    return true;
  }
}

/** One TCP session seen by the recorder. Direction 0 is client → server. */
class TcpSession {
  open = true;
  finMask = 0;
  /** open when the period started */
  atStart = false;
  /** next sequence number per direction (after the last frame seen), and its value at the period start */
  readonly next = [0, 0];
  readonly nextAtStart = [0, 0];
  /** Ethernet+IPv4+TCP header of the last frame per direction, template of the closing frames */
  readonly header: [Buffer, Buffer] = [Buffer.alloc(0), Buffer.alloc(0)];
  /** I-frames (IEC 104) or fragments (DNP3) per direction, and DNP3 requests, in the period */
  readonly appCount = [0, 0];
  appRequests = 0;

  constructor(
    readonly index: number, readonly clientIp: number, readonly clientPort: number, readonly serverIp: number,
    readonly serverPort: number, readonly openedAt: number,
  ) {}
}

/** The ephemeral ports a host used in the period (rotated per copy as its OS would allocate them). */
interface PortRotation {
  ip: number;
  /** lowest port used in the period, and the extent of the block */
  base: number;
  used: number;
  /** rotation space: [base, portMax] (ports below base belong to sessions opened before the period) */
  span: number;
}

/** The recorded period: capture records in the output format plus per-frame patch descriptors. */
export interface RecordedPeriod {
  format: SimCaptureFormat;
  block: Buffer;
  bytes: number;
  frames: number;
  startUs: number;
  periodUs: number;
  recOff: Uint32Array;
  tsUs: Float64Array;

  /** absolute offsets in `block` (-1: none) */
  ipOff: Int32Array;
  l4Off: Int32Array;
  /** 0 none, 6 TCP, 17 UDP */
  l4Proto: Uint8Array;
  /** index into the per-copy tables (-1: not patched) */
  idHost: Int32Array;
  seqDir: Int32Array;
  ackDir: Int32Array;
  portRot: Int32Array;
  /** 1: source port rotates, 2: destination port */
  portSide: Uint8Array;
  appKind: Uint8Array;
  /** per frame: DNP3/IEC 104 session direction index (session * 2 + dir) */
  appDir: Int32Array;
  /** per host: IPv4 datagrams sent in one period */
  idStep: Uint32Array;
  /** per session direction: sequence advance per copy */
  seqStep: Float64Array;
  rotations: PortRotation[];
  /** per session direction: DNP3 fragments / IEC 104 I-frames sent per period; per session: DNP3 requests */
  appStep: Uint32Array;
  appRequestStep: Uint32Array;
  /** frame indices before which a copy may end cleanly (every process idle, only long-lived sessions open) */
  cleanCuts: Int32Array;
  /** long-lived sessions (open across the period) */
  sessions: TcpSession[];
  allSessions: TcpSession[];
  /** frames of sessions neither long-lived nor opened in the period (should be 0) */
  orphanFrames: number;
}

function sessionKey(aIp: number, aPort: number, bIp: number, bPort: number): number {
  // collisions are resolved by comparing the tuple
  return ((Math.imul(aIp ^ Math.imul(bIp, 0x9e3779b1), 0x85ebca6b) ^ (aPort << 16 | bPort)) >>> 0);
}

/**
 * Sits between the scheduler and the capture writer: forwards every live frame, tracks TCP sessions, finds
 * the period's start and end cuts (as the scheduler's gate) and records the frames in between.
 */
export class PeriodRecorder {
  outcome: ReplayOutcome = 'size-reached-live';
  period: RecordedPeriod | null = null;
  private state: 'prologue' | 'recording' | 'live' | 'done' = 'prologue';
  private readonly parsed = new ParsedFrame();
  private readonly sessions = new Map<number, TcpSession[]>();
  private readonly sessionList: TcpSession[] = [];
  private openCount = 0;
  private openAtStartCount = 0;
  private startSessions = 0;
  /** sessions opened long enough ago to be the plant's long-lived ones (start cut) */
  private startUs = 0;
  private block: Buffer = Buffer.alloc(0);
  private used = 0;
  private readonly frameOff: number[] = [];
  private readonly frameTs: number[] = [];
  private readonly frameSession: number[] = [];
  private readonly cuts: number[] = [];
  private readonly hostsAtStart = new Map<number, { host: SimHost }>();
  private candidateCut = false;

  constructor(
    private readonly writer: SimCaptureWriter, private readonly sched: Scheduler, private readonly plant: Plant,
    private readonly format: SimCaptureFormat, private readonly seed: number, private readonly tuning: ReplayTuning,
    private readonly notBeforeUs: number, private readonly sizeBytes: number,
  ) {}

  get bytesWritten(): number {
    return this.writer.bytesWritten;
  }

  /** Scheduler gate: decides the cuts. Returns false at the period's end (the live run is abandoned there). */
  readonly gate = (ts: number, _slot: FrameSlot): boolean => {
    if (this.state === 'live' || this.state === 'done') return true;
    if (this.writer.bytesWritten >= this.sizeBytes) {
      this.giveUp('size-reached-live');
      return true;
    }
    if (this.state === 'prologue') {
      if (ts >= this.notBeforeUs && this.sched.liveIncidents === 0 && this.openCount > 0 &&
        this.sched.allQuiet(ts, this.tuning.quietGapUs) && this.allOpenAreOlderThan(ts - this.tuning.longLivedUs)) {
        this.beginPeriod(ts);
      }
      return true;
    }
    // recording
    const clean = this.onlyStartSessionsOpen() && this.sched.allQuiet(ts, this.tuning.quietGapUs);
    if (clean && ts - this.startUs >= this.tuning.minPeriodUs) {
      this.endPeriod(ts);
      return false;
    }
    this.candidateCut = clean;
    if (ts - this.startUs > this.tuning.minPeriodUs + this.tuning.searchUs) this.giveUp('no-period-end');
    return true;
  };

  write(ts: number, frame: Buffer, len: number): void {
    this.writer.write(ts, frame, len);
    if (this.state === 'live' || this.state === 'done') return;
    const session = this.track(ts, frame, len);
    if (this.state !== 'recording') return;
    if (this.candidateCut) this.cuts.push(this.frameOff.length);
    this.candidateCut = false;
    const need = recordBytes(this.format, len);
    if (this.used + need > this.block.length) {
      if (this.used + need > this.tuning.maxPeriodBytes) {
        this.giveUp('period-too-large');
        return;
      }
      const grown = Buffer.allocUnsafe(Math.min(this.tuning.maxPeriodBytes, Math.max(this.block.length * 2, 1 << 20, this.used + need)));
      this.block.copy(grown, 0, 0, this.used);
      this.block = grown;
    }
    this.frameOff.push(this.used);
    this.frameTs.push(ts);
    this.frameSession.push(session);
    this.used = putRecord(this.format, this.block, this.used, ts, frame, len);
  }

  private giveUp(why: ReplayOutcome): void {
    this.state = 'live';
    this.outcome = why;
    this.block = Buffer.alloc(0);
  }

  private allOpenAreOlderThan(t: number): boolean {
    for (const s of this.sessionList) if (s.open && s.openedAt > t) return false;
    return true;
  }

  /** Exactly the sessions open at the period's start are open. */
  private onlyStartSessionsOpen(): boolean {
    return this.openCount === this.openAtStartCount && this.openAtStartCount === this.startSessions;
  }

  private beginPeriod(ts: number): void {
    this.state = 'recording';
    this.startUs = ts;
    // Closed sessions are forgotten: a later session may reuse their tuple.
    for (const s of this.sessionList) {
      if (!s.open) continue;
      s.atStart = true;
      s.nextAtStart[0] = s.next[0]!;
      s.nextAtStart[1] = s.next[1]!;
      this.openAtStartCount++;
    }
    this.startSessions = this.openAtStartCount;
    for (const a of this.plant.assets) this.hostsAtStart.set(a.host.ip, { host: a.host });
    this.block = Buffer.allocUnsafe(4 << 20);
  }

  /** Updates the session table with one live frame; returns its session direction (index * 2 + dir) or -1. */
  private track(ts: number, b: Buffer, len: number): number {
    const p = this.parsed;
    if (!p.parse(b, len) || p.l4 < 0 || p.proto !== PROTO_TCP) return -1;
    let s = this.find(p.srcIp, p.sport, p.dstIp, p.dport);
    if ((p.flags & (TCP_SYN | TCP_ACK)) === TCP_SYN) {
      if (s === null || !s.open) {
        s = new TcpSession(this.sessionList.length, p.srcIp, p.sport, p.dstIp, p.dport, ts);
        const key = sessionKey(p.srcIp, p.sport, p.dstIp, p.dport);
        const list = this.sessions.get(key);
        if (list === undefined) this.sessions.set(key, [s]);
        else list.push(s);
        this.sessionList.push(s);
        this.openCount++;
      }
    }
    if (s === null) return -1;
    const dir = p.srcIp === s.clientIp && p.sport === s.clientPort ? 0 : 1;
    s.next[dir] = (p.seq + p.payloadLen + (p.flags & TCP_SYN ? 1 : 0) + (p.flags & TCP_FIN ? 1 : 0)) >>> 0;
    const hdrLen = p.l4 + 20;
    if (s.header[dir]!.length !== hdrLen) s.header[dir] = Buffer.alloc(hdrLen);
    copyBytes(b, 0, s.header[dir]!, 0, hdrLen);
    if (this.state === 'recording' && p.payloadLen > 0) this.countApp(s, dir, b, p);
    if (s.open) {
      if (p.flags & TCP_RST) this.close(s);
      else if (p.flags & TCP_FIN) {
        s.finMask |= 1 << dir;
        if (s.finMask === 3) this.close(s);
      }
    }
    return s.index * 2 + dir;
  }

  private countApp(s: TcpSession, dir: number, b: Buffer, p: ParsedFrame): void {
    const o = p.payloadOff;
    if (s.serverPort === DNP3_PORT && p.payloadLen >= 13 && b[o] === 0x05 && b[o + 1] === 0x64) {
      s.appCount[dir]!++;
      if (dir === 0) s.appRequests++;
    } else if (s.serverPort === IEC104_PORT && p.payloadLen >= 6 && b[o] === 0x68 && (b[o + 2]! & 1) === 0) {
      s.appCount[dir]!++;
    }
  }

  private close(s: TcpSession): void {
    s.open = false;
    this.openCount--;
    if (s.atStart) this.openAtStartCount--;
  }

  private find(aIp: number, aPort: number, bIp: number, bPort: number): TcpSession | null {
    let list = this.sessions.get(sessionKey(aIp, aPort, bIp, bPort));
    if (list !== undefined) {
      for (let i = list.length - 1; i >= 0; i--) {
        const s = list[i]!;
        if (s.clientIp === aIp && s.clientPort === aPort && s.serverIp === bIp && s.serverPort === bPort) return s;
      }
    }
    list = this.sessions.get(sessionKey(bIp, bPort, aIp, aPort));
    if (list !== undefined) {
      for (let i = list.length - 1; i >= 0; i--) {
        const s = list[i]!;
        if (s.clientIp === bIp && s.clientPort === bPort && s.serverIp === aIp && s.serverPort === aPort) return s;
      }
    }
    return null;
  }

  /** Builds the patch descriptors of the recorded frames. */
  private endPeriod(ts: number): void {
    this.state = 'done';
    this.outcome = 'replayed';
    const n = this.frameOff.length;
    const f = this.format;
    const fo = recordFrameOffset(f);
    const block = this.block;
    // Client ports of the sessions opened in the period, per client host. Hosts allocate ephemeral ports in
    // sequence (often well before the SYN), so these form one block per host; copy k moves it k blocks on.
    const rotations: PortRotation[] = [];
    const rotationOf = new Map<number, number>();
    const low = new Map<number, number>();
    const high = new Map<number, number>();
    for (const s of this.sessionList) {
      if (s.atStart || s.openedAt < this.startUs) continue;
      low.set(s.clientIp, Math.min(low.get(s.clientIp) ?? 65536, s.clientPort));
      high.set(s.clientIp, Math.max(high.get(s.clientIp) ?? -1, s.clientPort));
    }
    for (const [ip, lo] of low) {
      const portMax = this.hostsAtStart.get(ip)?.host.portMax ?? 65535;
      const used = high.get(ip)! - lo + 1;
      const span = portMax - lo + 1;
      // a block that wrapped around the host's range (or fills it) is left unrotated: its ports repeat per copy
      if (used * 2 > span) continue;
      rotationOf.set(ip, rotations.length);
      rotations.push({ ip, base: lo, used, span });
    }
    const udpRot = rotations.length;
    rotations.push({ ip: 0, base: UDP_RANDOM_BASE, used: UDP_RANDOM_STRIDE, span: 65536 - UDP_RANDOM_BASE });
    const hostIndex = new Map<number, number>();
    const idCounts: number[] = [];
    const period: RecordedPeriod = {
      format: f, block, bytes: this.used, frames: n, startUs: this.startUs, periodUs: ts - this.startUs,
      recOff: Uint32Array.from(this.frameOff), tsUs: Float64Array.from(this.frameTs),
      ipOff: new Int32Array(n).fill(-1), l4Off: new Int32Array(n).fill(-1), l4Proto: new Uint8Array(n),
      idHost: new Int32Array(n).fill(-1), seqDir: new Int32Array(n).fill(-1), ackDir: new Int32Array(n).fill(-1),
      portRot: new Int32Array(n).fill(-1), portSide: new Uint8Array(n), appKind: new Uint8Array(n),
      appDir: new Int32Array(n).fill(-1), idStep: new Uint32Array(0), seqStep: new Float64Array(this.sessionList.length * 2),
      rotations, appStep: new Uint32Array(this.sessionList.length * 2), appRequestStep: new Uint32Array(this.sessionList.length),
      cleanCuts: Int32Array.from(this.cuts), sessions: this.sessionList.filter((s) => s.atStart),
      allSessions: this.sessionList, orphanFrames: 0,
    };
    for (const s of this.sessionList) {
      for (let d = 0; d < 2; d++) {
        const sd = s.index * 2 + d;
        // Long-lived: continue where the period ends. Opened in the period: a fresh ISN per copy.
        period.seqStep[sd] = s.atStart
          ? (s.next[d]! - s.nextAtStart[d]!) >>> 0
          : (Math.imul(s.index * 2 + d + 1, 0x9e3779b1) ^ Math.imul(this.seed | 1, 0x85ebca6b)) >>> 0;
        period.appStep[sd] = s.appCount[d]!;
      }
      period.appRequestStep[s.index] = s.appRequests;
    }
    const p = this.parsed;
    for (let i = 0; i < n; i++) {
      const r = period.recOff[i]! + fo;
      const len = block.readUInt32LE(period.recOff[i]! + (f === 'pcap' ? 8 : 20));
      if (!p.parse(block.subarray(r, r + len), len)) continue;
      period.ipOff[i] = r + p.l3;
      let h = hostIndex.get(p.srcIp);
      if (h === undefined) {
        h = idCounts.length;
        hostIndex.set(p.srcIp, h);
        idCounts.push(0);
      }
      idCounts[h]!++;
      period.idHost[i] = h;
      if (p.l4 < 0) continue;
      period.l4Off[i] = r + p.l4;
      period.l4Proto[i] = p.proto;
      if (p.proto === PROTO_UDP) {
        // random client ports (DNS, ENIP discovery): a different one per copy, as a resolver would pick
        if (p.sport >= UDP_RANDOM_BASE && p.dport < UDP_RANDOM_BASE) {
          period.portRot[i] = udpRot;
          period.portSide[i] = 1;
        } else if (p.dport >= UDP_RANDOM_BASE && p.sport < UDP_RANDOM_BASE) {
          period.portRot[i] = udpRot;
          period.portSide[i] = 2;
        }
      }
      if (p.proto === PROTO_UDP && (p.sport === NTP_PORT || p.dport === NTP_PORT) && p.payloadLen >= 48) {
        period.appKind[i] = APP_NTP;
      }
      if (p.proto !== PROTO_TCP) continue;
      const sd = this.frameSession[i]!;
      if (sd < 0) continue;
      const s = this.sessionList[sd >> 1]!;
      if (!s.atStart && s.openedAt < this.startUs) {
        period.orphanFrames++;
        continue;
      }
      period.seqDir[i] = sd;
      const rot = s.atStart ? undefined : rotationOf.get(s.clientIp);
      if (rot !== undefined) {
        period.portRot[i] = rot;
        period.portSide[i] = (sd & 1) === 0 ? 1 : 2;
      }
      if (p.flags & TCP_ACK) period.ackDir[i] = sd ^ 1;
      if (p.payloadLen > 0) {
        if (s.serverPort === DNP3_PORT) period.appKind[i] = APP_DNP3;
        else if (s.serverPort === IEC104_PORT) period.appKind[i] = APP_IEC104;
        if (period.appKind[i] !== APP_NONE) period.appDir[i] = sd;
      }
    }
    period.idStep = Uint32Array.from(idCounts);
    this.period = period;
  }
}

/** RFC 1624 eqn. 3: checksum `hc` after a 16-bit word changed from `oldWord` to `newWord`, as a running sum. */
function csumAdd(acc: number, oldWord: number, newWord: number): number {
  return acc + (~oldWord & 0xffff) + newWord;
}

function csumFinish(acc: number): number {
  acc = (acc & 0xffff) + (acc >>> 16);
  acc = (acc & 0xffff) + (acc >>> 16);
  return ~acc & 0xffff;
}

/** What one more copy adds to each patched field, indexed like the period's tables. */
class StepTables {
  readonly idAdd: Uint16Array;
  readonly seqAdd: Uint32Array;
  readonly portAdd: Uint32Array;
  readonly rotBase: Uint32Array;
  readonly rotSpan: Uint32Array;
  /** DNP3 fragments / IEC 104 I-frames per session direction; DNP3 requests per session */
  readonly appAdd: Uint32Array;
  readonly appReqAdd: Uint32Array;

  constructor(p: RecordedPeriod) {
    this.idAdd = Uint16Array.from(p.idStep, (m) => m % 65536);
    this.seqAdd = Uint32Array.from(p.seqStep, (d) => d % 4294967296);
    this.rotBase = Uint32Array.from(p.rotations, (r) => r.base);
    this.rotSpan = Uint32Array.from(p.rotations, (r) => r.span);
    this.portAdd = Uint32Array.from(p.rotations, (r) => r.used % r.span);
    this.appAdd = Uint32Array.from(p.appStep, (n) => n % 32768);
    this.appReqAdd = Uint32Array.from(p.appRequestStep, (n) => n % 16);
  }
}

/**
 * Turns frames [0, end) of the block, in place, from one copy of the period into the next. Every patch is an
 * addition (modulo its field), so applying the step k times gives copy k, and the block is written out as
 * it is: no copy of the frames. The per-frame work is a few field rewrites and incremental checksum
 * updates; no allocation.
 */
function advanceCopy(p: RecordedPeriod, t: StepTables, dv: DataView, end: number): void {
  const pcap = p.format === 'pcap';
  // timestamps as two 32-bit words: (seconds, µs) in pcap, (high, low) of the µs count in pcapng
  const unit = pcap ? 1e6 : 4294967296;
  const shiftHi = Math.floor(p.periodUs / unit);
  const shiftLo = p.periodUs - shiftHi * unit;
  const tsAt = pcap ? 0 : 12;
  const { recOff, ipOff, l4Off, l4Proto, idHost, seqDir, ackDir, portRot, portSide, appKind } = p;
  const { idAdd, seqAdd, portAdd, rotBase, rotSpan } = t;
  for (let i = 0; i < end; i++) {
    const r = recOff[i]! + tsAt;
    let lo = dv.getUint32(r + 4, true) + shiftLo;
    let hi = dv.getUint32(r, true) + shiftHi;
    if (lo >= unit) {
      lo -= unit;
      hi++;
    }
    dv.setUint32(r, hi, true);
    dv.setUint32(r + 4, lo, true);
    const ip = ipOff[i]!;
    if (ip < 0) continue;
    const oldId = dv.getUint16(ip + 4);
    const newId = (oldId + idAdd[idHost[i]!]!) & 0xffff;
    dv.setUint16(ip + 4, newId);
    dv.setUint16(ip + 10, csumFinish(csumAdd(~dv.getUint16(ip + 10) & 0xffff, oldId, newId)));
    const l4 = l4Off[i]!;
    if (l4 < 0) continue;
    const proto = l4Proto[i]!;
    const sumAt = proto === PROTO_TCP ? l4 + 16 : l4 + 6;
    const oldSum = dv.getUint16(sumAt);
    // a zero UDP checksum means "none": keep it so
    if (proto === PROTO_UDP && oldSum === 0) continue;
    let acc = ~oldSum & 0xffff;
    const rot = portRot[i]!;
    if (rot >= 0) {
      const at = l4 + (portSide[i] === 1 ? 0 : 2);
      const oldPort = dv.getUint16(at);
      const rb = rotBase[rot]!;
      const newPort = rb + ((oldPort - rb + portAdd[rot]!) % rotSpan[rot]!);
      dv.setUint16(at, newPort);
      acc = csumAdd(acc, oldPort, newPort);
    }
    const sd = seqDir[i]!;
    if (sd >= 0) {
      const oldSeq = dv.getUint32(l4 + 4);
      const newSeq = (oldSeq + seqAdd[sd]!) >>> 0;
      dv.setUint32(l4 + 4, newSeq);
      acc = csumAdd(csumAdd(acc, oldSeq >>> 16, newSeq >>> 16), oldSeq & 0xffff, newSeq & 0xffff);
      const ad = ackDir[i]!;
      if (ad >= 0) {
        const oldAck = dv.getUint32(l4 + 8);
        const newAck = (oldAck + seqAdd[ad]!) >>> 0;
        dv.setUint32(l4 + 8, newAck);
        acc = csumAdd(csumAdd(acc, oldAck >>> 16, newAck >>> 16), oldAck & 0xffff, newAck & 0xffff);
      }
    }
    let sum = csumFinish(acc);
    if (proto === PROTO_UDP && sum === 0) sum = 0xffff;
    dv.setUint16(sumAt, sum);
    if (appKind[i] !== APP_NONE) advanceApp(p, t, i, p.block, ip, l4);
  }
}

/** Payload counters and clocks of the few frames that carry them, one copy on; the L4 checksum is recomputed. */
function advanceApp(p: RecordedPeriod, t: StepTables, i: number, out: Buffer, ip: number, l4: number): void {
  const shiftUs = p.periodUs;
  const kind = p.appKind[i]!;
  const proto = p.l4Proto[i]!;
  const l4Len = ((out[ip + 2]! << 8) | out[ip + 3]!) - (out[ip]! & 15) * 4;
  const payload = proto === PROTO_TCP ? l4 + (out[l4 + 12]! >> 4) * 4 : l4 + 8;
  const end = l4 + l4Len;
  if (kind === APP_DNP3) {
    const sd = p.appDir[i]!;
    const tpAdd = t.appAdd[sd]! % 64;
    const appAdd = t.appReqAdd[sd >> 1]!;
    // link header (10 bytes incl. CRC), then the first user data block: transport and application control
    const user = payload + 10;
    const userLen = out[payload + 2]! - 5;
    if (userLen < 2 || user + userLen > end) return;
    const blockLen = Math.min(16, userLen);
    if (user + blockLen + 2 > end) return;
    out[user] = (out[user]! & 0xc0) | (((out[user]! & 0x3f) + tpAdd) & 0x3f);
    out[user + 1] = (out[user + 1]! & 0xf0) | (((out[user + 1]! & 0x0f) + appAdd) & 0x0f);
    out.writeUInt16LE(dnp3Crc(out, user, user + blockLen), user + blockLen);
  } else if (kind === APP_IEC104) {
    const sd = p.appDir[i]!;
    const ctrl = payload + 2;
    if (ctrl + 4 > end) return;
    if ((out[ctrl]! & 1) === 0) {
      const ns = ((out.readUInt16LE(ctrl) >>> 1) + t.appAdd[sd]!) & 0x7fff;
      out.writeUInt16LE(ns << 1, ctrl);
    }
    if ((out[ctrl]! & 3) !== 3) {
      const nr = ((out.readUInt16LE(ctrl + 2) >>> 1) + t.appAdd[sd ^ 1]!) & 0x7fff;
      out.writeUInt16LE(nr << 1, ctrl + 2);
    }
  } else if (kind === APP_NTP) {
    // reference, originate, receive and transmit timestamps (seconds since 1900 + 2^-32 fractions)
    const sec = Math.floor(shiftUs / 1e6);
    const frac = Math.round(((shiftUs - sec * 1e6) * 4294967296) / 1e6);
    for (let o = payload + 16; o + 8 <= payload + 48; o += 8) {
      const s0 = out.readUInt32BE(o);
      const f0 = out.readUInt32BE(o + 4);
      if (s0 === 0 && f0 === 0) continue;
      const f1 = f0 + frac;
      out.writeUInt32BE((s0 + sec + (f1 >= 4294967296 ? 1 : 0)) >>> 0, o);
      out.writeUInt32BE(f1 >>> 0, o + 4);
    }
  }
  recomputeL4Checksum(out, ip, l4, l4Len, proto);
}

function recomputeL4Checksum(b: Buffer, ip: number, l4: number, l4Len: number, proto: number): void {
  const at = proto === PROTO_TCP ? l4 + 16 : l4 + 6;
  b[at] = 0;
  b[at + 1] = 0;
  const pseudo = sumBytes(b, ip + 12, ip + 20, proto + l4Len);
  let c = foldChecksum(sumBytes(b, l4, l4 + l4Len, pseudo));
  if (proto === PROTO_UDP && c === 0) c = 0xffff;
  b[at] = c >>> 8;
  b[at + 1] = c & 0xff;
}

export interface ReplayStats {
  copies: number;
  /** time of the last frame written */
  lastTs: number;
}

/**
 * Writes copies 1, 2, … of the period until the capture reaches `sizeBytes` (the last copy ends at the first
 * clean cut past the size), then closes the long-lived sessions. The recorded block is patched in place.
 */
export function replayPeriod(p: RecordedPeriod, writer: SimCaptureWriter, sizeBytes: number): ReplayStats {
  const dv = new DataView(p.block.buffer, p.block.byteOffset, p.block.length);
  const step = new StepTables(p);
  let k = 0;
  let endFrame = p.frames;
  let lastTs = p.startUs + p.periodUs;
  while (writer.bytesWritten < sizeBytes) {
    k++;
    const left = sizeBytes - writer.bytesWritten;
    endFrame = p.bytes > left ? lastCopyEnd(p, left) : p.frames;
    advanceCopy(p, step, dv, endFrame);
    writer.writeRecords(p.block, endFrame === p.frames ? p.bytes : p.recOff[endFrame]!, endFrame);
    if (endFrame > 0) lastTs = p.tsUs[endFrame - 1]! + k * p.periodUs;
  }
  lastTs = closeSessions(p, endFrame, writer, lastTs);
  return { copies: k, lastTs };
}

/** The first clean cut at which a partial copy reaches `need` bytes (or the whole period). */
function lastCopyEnd(p: RecordedPeriod, need: number): number {
  const cuts = p.cleanCuts;
  for (let i = 0; i < cuts.length; i++) if (p.recOff[cuts[i]!]! >= need) return cuts[i]!;
  return p.frames;
}

/**
 * FIN/ACK, FIN/ACK, ACK on every long-lived session, continuing its sequence numbers and its hosts' IP
 * identifications. The block holds the last copy in frames [0, end) and the one before it after `end`.
 */
function closeSessions(p: RecordedPeriod, end: number, writer: SimCaptureWriter, lastTs: number): number {
  const next = new Float64Array(p.seqStep.length).fill(-1);
  const lastId = new Map<number, number>();
  const parsed = new ParsedFrame();
  const fo = recordFrameOffset(p.format);
  const lenAt = p.format === 'pcap' ? 8 : 20;
  for (let n = 0; n < p.frames; n++) {
    const i = (end + n) % p.frames;
    const r = p.recOff[i]!;
    const len = p.block.readUInt32LE(r + lenAt);
    if (!parsed.parse(p.block.subarray(r + fo, r + fo + len), len)) continue;
    lastId.set(parsed.srcIp, p.block.readUInt16BE(r + fo + parsed.l3 + 4));
    const sd = p.seqDir[i]!;
    if (sd >= 0) next[sd] = (parsed.seq + parsed.payloadLen + (parsed.flags & (TCP_SYN | TCP_FIN) ? 1 : 0)) >>> 0;
  }
  const frame = Buffer.alloc(64);
  let ts = lastTs;
  for (const s of p.sessions) {
    const seq = [0, 1].map((d) => {
      const sd = s.index * 2 + d;
      // a long-lived session sends in both directions every period; if not, continue from the period's start
      return next[sd]! >= 0 ? next[sd]! : (s.nextAtStart[d]! + p.seqStep[sd]!) >>> 0;
    });
    ts += 1000;
    const steps: Array<[number, number]> = [[0, TCP_FIN | TCP_ACK], [1, TCP_FIN | TCP_ACK], [0, TCP_ACK]];
    for (const [d, flags] of steps) {
      const ip = d === 0 ? s.clientIp : s.serverIp;
      const id = ((lastId.get(ip) ?? 0) + 1) & 0xffff;
      lastId.set(ip, id);
      const len = buildSegment(frame, s.header[d]!, id, seq[d]!, seq[d ^ 1]!, flags);
      writer.write(ts, frame, len);
      if (flags & TCP_FIN) seq[d] = (seq[d]! + 1) >>> 0;
      ts += 200;
    }
    ts -= 200;
  }
  return ts;
}

/** An empty TCP segment built on a session's Ethernet+IPv4+TCP header template; returns the frame length. */
function buildSegment(out: Buffer, template: Buffer, ipId: number, seq: number, ack: number, flags: number): number {
  const l4 = template.length - 20;
  template.copy(out, 0, 0, l4 + 20);
  const ip = (out[12] === 0x81 && out[13] === 0x00) ? 18 : 14;
  const ihl = (out[ip]! & 15) * 4;
  const tcp = ip + ihl;
  out.writeUInt16BE(ihl + 20, ip + 2);
  out.writeUInt16BE(ipId, ip + 4);
  out.writeUInt16BE(0, ip + 10);
  out.writeUInt16BE(foldChecksum(sumBytes(out, ip, ip + ihl, 0)), ip + 10);
  out.writeUInt32BE(seq, tcp + 4);
  out.writeUInt32BE(ack, tcp + 8);
  out[tcp + 12] = 5 << 4;
  out[tcp + 13] = flags;
  out.writeUInt16BE(0, tcp + 18);
  recomputeL4Checksum(out, ip, tcp, 20, PROTO_TCP);
  let end = tcp + 20;
  if (end < 60) {
    out.fill(0, end, 60);
    end = 60;
  }
  return end;
}
