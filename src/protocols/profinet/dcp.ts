/**
 * PROFINET DCP (Discovery and Configuration Protocol, IEC 61158-6-10 §4.3): the acyclic RT frames 0xFEFC-0xFEFF.
 *
 * Parsing fills a reused DcpPdu (block descriptors are offsets into the frame); strings are made only for the
 * events and facts an exchange produces. Requests are paired with responses by (requester MAC, Xid). A
 * multicast Identify is answered by every matching device: each response is its own 'identify' operation.
 */
import type { FactField, OperationEvent, OperationKind } from '../../events/types.js';
import type { L2Context } from '../l2.js';
import { ip4ToString, isMulticastOrBroadcastMac, macToString } from '../../util/addr.js';
import {
  DCP_BLOCK_ERROR_NAMES,
  DCP_FRAME_NAMES,
  DCP_OPTION,
  DCP_SERVICE,
  DCP_SERVICE_NAMES,
  DCP_SERVICE_TYPE_NOT_SUPPORTED,
  DCP_SERVICE_TYPE_RESPONSE,
  PROFINET_VENDORS,
  dcpBlockName,
  deviceRoleName,
  hex4,
} from './names.js';

export const DCP_HEADER = 12; // FrameID 2, ServiceID 1, ServiceType 1, Xid 4, ResponseDelay/Reserved 2, DCPDataLength 2
const MAX_STRING = 240; // NameOfStation is at most 240 octets

export const DcpParse = { OK: 0, TRUNCATED: 1, BLOCK_OVERRUN: 2, TOO_MANY_BLOCKS: 3 } as const;
export type DcpParse = (typeof DcpParse)[keyof typeof DcpParse];

/** One parsed DCP PDU. Block arrays are preallocated to `maxBlocks`; only [0, blockCount) is valid. */
export class DcpPdu {
  frameId = 0;
  serviceId = 0;
  serviceType = 0;
  xid = 0;
  responseDelay = 0;
  dataLength = 0;
  blockCount = 0;
  readonly option: Uint8Array;
  readonly suboption: Uint8Array;
  /** offset of the block's data (after option, suboption, DCPBlockLength) in the frame buffer */
  readonly dataOff: Uint32Array;
  readonly dataLen: Uint16Array;

  constructor(readonly maxBlocks = 64) {
    this.option = new Uint8Array(maxBlocks);
    this.suboption = new Uint8Array(maxBlocks);
    this.dataOff = new Uint32Array(maxBlocks);
    this.dataLen = new Uint16Array(maxBlocks);
  }

  get isResponse(): boolean {
    return (this.serviceType & DCP_SERVICE_TYPE_RESPONSE) !== 0;
  }
}

/**
 * Parses the DCP PDU at buf[off..off+len) (off = the FrameID). Never throws, never reads outside the range.
 * A Get request lists bare (option, suboption) pairs; every other PDU carries TLV blocks padded to even length.
 */
export function parseDcp(buf: Uint8Array, off: number, len: number, out: DcpPdu): DcpParse {
  out.blockCount = 0;
  if (len < DCP_HEADER) return DcpParse.TRUNCATED;
  out.frameId = (buf[off]! << 8) | buf[off + 1]!;
  out.serviceId = buf[off + 2]!;
  out.serviceType = buf[off + 3]!;
  out.xid = ((buf[off + 4]! << 24) | (buf[off + 5]! << 16) | (buf[off + 6]! << 8) | buf[off + 7]!) >>> 0;
  out.responseDelay = (buf[off + 8]! << 8) | buf[off + 9]!;
  out.dataLength = (buf[off + 10]! << 8) | buf[off + 11]!;
  let p = off + DCP_HEADER;
  // Ethernet padding may follow the PDU; DCPDataLength bounds the blocks.
  const declaredEnd = p + out.dataLength;
  const end = Math.min(declaredEnd, off + len);
  const bare = out.serviceId === DCP_SERVICE.GET && !out.isResponse;
  while (p + 2 <= end) {
    if (out.blockCount >= out.maxBlocks) return DcpParse.TOO_MANY_BLOCKS;
    const i = out.blockCount;
    out.option[i] = buf[p]!;
    out.suboption[i] = buf[p + 1]!;
    if (bare) {
      out.dataOff[i] = p + 2;
      out.dataLen[i] = 0;
      out.blockCount++;
      p += 2;
      continue;
    }
    if (p + 4 > end) return DcpParse.BLOCK_OVERRUN;
    const blockLen = (buf[p + 2]! << 8) | buf[p + 3]!;
    if (p + 4 + blockLen > end) return DcpParse.BLOCK_OVERRUN;
    out.dataOff[i] = p + 4;
    out.dataLen[i] = blockLen;
    out.blockCount++;
    p += 4 + blockLen + (blockLen & 1);
  }
  return declaredEnd > off + len ? DcpParse.TRUNCATED : DcpParse.OK;
}

/** What a device says about itself in an Identify/Get response or a Hello. */
export interface DcpIdentity {
  ip?: number;
  mask?: number;
  gateway?: number;
  typeOfStation?: string;
  nameOfStation?: string;
  vendorId?: number;
  deviceId?: number;
  role?: number;
  aliasName?: string;
  instance?: number;
  oemVendorId?: number;
  oemDeviceId?: number;
}

/** Printable text of a DCP string field: NULs and control characters end/replace, length capped. */
export function dcpString(buf: Uint8Array, off: number, len: number): string {
  let out = '';
  const end = off + Math.min(len, MAX_STRING);
  for (let i = off; i < end; i++) {
    const c = buf[i]!;
    if (c === 0) break;
    out += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '?';
  }
  return out;
}

function u16(buf: Uint8Array, off: number): number {
  return (buf[off]! << 8) | buf[off + 1]!;
}

function u32(buf: Uint8Array, off: number): number {
  return ((buf[off]! << 24) | (buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!) >>> 0;
}

/**
 * Reads the identity blocks of a response/Hello PDU. Each block's data begins with BlockInfo (2 octets) —
 * except Control/Response (5/4), which is handled by the caller.
 */
export function readIdentity(buf: Uint8Array, pdu: DcpPdu): DcpIdentity {
  const id: DcpIdentity = {};
  for (let i = 0; i < pdu.blockCount; i++) {
    const key = (pdu.option[i]! << 8) | pdu.suboption[i]!;
    const off = pdu.dataOff[i]! + 2;
    const len = pdu.dataLen[i]! - 2;
    if (len < 0) continue;
    switch (key) {
      case 0x0102:
      case 0x0103:
        if (len >= 12) {
          id.ip = u32(buf, off);
          id.mask = u32(buf, off + 4);
          id.gateway = u32(buf, off + 8);
        }
        break;
      case 0x0201:
        id.typeOfStation = dcpString(buf, off, len);
        break;
      case 0x0202:
        id.nameOfStation = dcpString(buf, off, len);
        break;
      case 0x0203:
        if (len >= 4) {
          id.vendorId = u16(buf, off);
          id.deviceId = u16(buf, off + 2);
        }
        break;
      case 0x0204:
        if (len >= 1) id.role = buf[off]!;
        break;
      case 0x0206:
        id.aliasName = dcpString(buf, off, len);
        break;
      case 0x0207:
        if (len >= 2) id.instance = u16(buf, off);
        break;
      case 0x0208:
        if (len >= 4) {
          id.oemVendorId = u16(buf, off);
          id.oemDeviceId = u16(buf, off + 2);
        }
        break;
    }
  }
  return id;
}

/** First non-zero BlockError of the Control/Response (5/4) blocks of a Set/Get response, 0 when all succeeded. */
export function responseBlockError(buf: Uint8Array, pdu: DcpPdu): number {
  for (let i = 0; i < pdu.blockCount; i++) {
    if (pdu.option[i] !== DCP_OPTION.CONTROL || pdu.suboption[i] !== 4 || pdu.dataLen[i]! < 3) continue;
    const error = buf[pdu.dataOff[i]! + 2]!;
    if (error !== 0) return error;
  }
  return 0;
}

export interface SetSummary {
  kind: OperationKind;
  detail: string;
  object: string;
}

/** What a Set request does: the blocks carry a BlockQualifier (bit 0: save permanently) before their value. */
export function describeSet(buf: Uint8Array, pdu: DcpPdu): SetSummary {
  const what: string[] = [];
  const values: string[] = [];
  let factoryReset = false;
  let signal = false;
  for (let i = 0; i < pdu.blockCount; i++) {
    const option = pdu.option[i]!;
    const suboption = pdu.suboption[i]!;
    const off = pdu.dataOff[i]!;
    const len = pdu.dataLen[i]!;
    const permanent = len >= 2 && (buf[off + 1]! & 1) === 1 ? ' (permanent)' : '';
    const key = (option << 8) | suboption;
    if (key === 0x0501 || key === 0x0502) continue; // transaction brackets
    if (key === 0x0503) {
      signal = true;
      continue;
    }
    if (key === 0x0505 || key === 0x0506) {
      factoryReset = true;
      if (len >= 2) values.push(`${dcpBlockName(option, suboption)} mode ${u16(buf, off)}`);
      continue;
    }
    if (key === 0x0102 || key === 0x0103) {
      if (!what.includes('ip')) what.push('ip');
      if (len >= 14) values.push(`ip=${ip4ToString(u32(buf, off + 2))}/${ip4ToString(u32(buf, off + 6))} gw ${ip4ToString(u32(buf, off + 10))}${permanent}`);
      continue;
    }
    if (key === 0x0202) {
      what.push('name-of-station');
      values.push(`name-of-station=${len >= 2 ? dcpString(buf, off + 2, len - 2) : ''}${permanent}`);
      continue;
    }
    const name = option === DCP_OPTION.DHCP ? 'dhcp' : dcpBlockName(option, suboption);
    if (!what.includes(name)) what.push(name);
  }
  if (factoryReset) return { kind: 'restart', detail: 'factory-reset', object: values.join('; ') };
  if (what.length) return { kind: 'configuration', detail: what.join(','), object: values.join('; ') };
  if (signal) return { kind: 'diagnostics', detail: 'signal', object: '' };
  return { kind: 'configuration', detail: 'transaction', object: '' };
}

/** Block names of a Get request or an Identify request's filter (with the filter's value when it is a name). */
export function describeRequestBlocks(buf: Uint8Array, pdu: DcpPdu): string {
  const parts: string[] = [];
  for (let i = 0; i < pdu.blockCount; i++) {
    const option = pdu.option[i]!;
    const suboption = pdu.suboption[i]!;
    const name = dcpBlockName(option, suboption);
    const off = pdu.dataOff[i]!;
    const len = pdu.dataLen[i]!;
    if (option === DCP_OPTION.DEVICE && (suboption === 1 || suboption === 2 || suboption === 6) && len > 0) parts.push(`${name}=${dcpString(buf, off, len)}`);
    else if (option === DCP_OPTION.DEVICE && suboption === 3 && len >= 4) parts.push(`${name}=${hex4(u16(buf, off))}/${hex4(u16(buf, off + 2))}`);
    else if (option === DCP_OPTION.IP && suboption === 2 && len >= 4) parts.push(`${name}=${ip4ToString(u32(buf, off))}`);
    else parts.push(name);
  }
  return parts.join(',');
}

// ---------------------------------------------------------------- exchange tracking

export interface DcpOptions {
  /** requests awaiting responses (Identify, Get, Set); over it the oldest is completed */
  maxPending: number;
  /** seconds after which a request with no response is reported as 'no-response' */
  responseTimeoutSec: number;
  /** MAC → IP learned from DCP IP blocks, used to fill event endpoints */
  maxKnownHosts: number;
  /** (device, field, value) triples already reported; the set is cleared when full */
  maxFactKeys: number;
}

export const DEFAULT_DCP_OPTIONS: DcpOptions = { maxPending: 1024, responseTimeoutSec: 10, maxKnownHosts: 65536, maxFactKeys: 65536 };

interface PendingRequest {
  key: string;
  serviceId: number;
  frameId: number;
  requester: number;
  target: number;
  frame: number;
  ts: number;
  captureIndex: number;
  responses: number;
  kind: OperationKind;
  object: string;
  detail: string;
}

const L2_FLOW_ID = 0; // flows are numbered from 1: 0 marks an event that belongs to no IP flow

/**
 * Slots of the memo of each device's last identity blocks (direct-mapped by MAC; a collision only means the
 * facts are worked out again). Every multicast Identify is answered by every device with the same blocks.
 */
const IDENTITY_MEMO_SLOTS = 64;

function identityMemoSlot(mac: number): number {
  return (Math.imul((mac % 0x1000000) ^ Math.floor(mac / 0x1000000), 0x9e3779b1) >>> 26) & (IDENTITY_MEMO_SLOTS - 1);
}

export class DcpTracker {
  private readonly pdu = new DcpPdu();
  private readonly pending = new Map<string, PendingRequest>();
  private readonly hosts = new Map<number, string>();
  private readonly factsSeen = new Set<string>();
  /** bumped each time factsSeen is cleared (the cap): a memo from an older generation proves nothing */
  private factsGeneration = 0;
  /**
   * Per slot: the device, its last response's identity blocks, the IP text they announce ('' none) and the
   * factsSeen generation in which all their facts were seen. Identical blocks from the same device then yield
   * no new fact: they are neither decoded nor keyed again.
   */
  private readonly memoMac = new Float64Array(IDENTITY_MEMO_SLOTS).fill(-1);
  private readonly memoBlocks: Array<Uint8Array | null> = new Array<Uint8Array | null>(IDENTITY_MEMO_SLOTS).fill(null);
  private readonly memoBlocksLen = new Int32Array(IDENTITY_MEMO_SLOTS);
  private readonly memoIp: string[] = new Array<string>(IDENTITY_MEMO_SLOTS).fill('');
  private readonly memoGeneration = new Int32Array(IDENTITY_MEMO_SLOTS);

  constructor(private readonly options: DcpOptions = DEFAULT_DCP_OPTIONS) {}

  /** A DCP frame: buf[off..off+len) starts at the FrameID. */
  onFrame(buf: Uint8Array, off: number, len: number, srcMac: number, dstMac: number, frame: number, ts: number, ctx: L2Context): void {
    this.expire(ts, ctx);
    if (len < DCP_HEADER) {
      ctx.count('profinet-dcp.truncated');
      return;
    }
    const pdu = this.pdu;
    const status = parseDcp(buf, off, len, pdu);
    // Whatever blocks parsed before the damage are still used.
    if (status !== DcpParse.OK) ctx.count(status === DcpParse.TOO_MANY_BLOCKS ? 'profinet-dcp.blocks-cap' : 'profinet-dcp.malformed');
    const name = DCP_SERVICE_NAMES[pdu.serviceId];
    if (name === undefined) {
      ctx.count('profinet-dcp.unknown-service');
      return;
    }
    if (pdu.serviceId === DCP_SERVICE.HELLO) {
      this.onHello(buf, srcMac, dstMac, frame, ts, ctx);
      return;
    }
    if (pdu.isResponse) this.onResponse(buf, off, len, srcMac, dstMac, frame, ts, ctx);
    else this.onRequest(buf, srcMac, dstMac, frame, ts, ctx);
  }

  /** The IP a MAC announced in a DCP IP block, '' when none was seen. */
  ipOf(mac: number): string {
    return this.hosts.get(mac) ?? '';
  }

  /** Reports every request still waiting (end of capture) and forgets them. */
  flush(ctx: L2Context): void {
    for (const p of this.pending.values()) this.completeUnanswered(p, ctx);
    this.pending.clear();
  }

  private onRequest(buf: Uint8Array, srcMac: number, dstMac: number, frame: number, ts: number, ctx: L2Context): void {
    const pdu = this.pdu;
    let kind: OperationKind = 'identify';
    let object = '';
    let detail = '';
    if (pdu.serviceId === DCP_SERVICE.SET) {
      const set = describeSet(buf, pdu);
      kind = set.kind;
      object = set.object;
      detail = set.detail;
    } else {
      if (pdu.serviceId === DCP_SERVICE.GET) kind = 'read';
      object = describeRequestBlocks(buf, pdu);
    }
    const key = `${srcMac}:${pdu.xid}`;
    const previous = this.pending.get(key);
    if (previous !== undefined) {
      // A retransmission (same Xid) keeps the first request; a new service under an old Xid replaces it.
      if (previous.serviceId === pdu.serviceId) return;
      this.pending.delete(key);
      this.completeUnanswered(previous, ctx);
    }
    if (this.pending.size >= this.options.maxPending) {
      const oldest = this.pending.values().next().value as PendingRequest;
      this.pending.delete(oldest.key);
      ctx.count('profinet-dcp.pending-cap');
      this.completeUnanswered(oldest, ctx);
    }
    this.pending.set(key, {
      key,
      serviceId: pdu.serviceId,
      frameId: pdu.frameId,
      requester: srcMac,
      target: dstMac,
      frame,
      ts,
      captureIndex: ctx.captureIndex,
      responses: 0,
      kind,
      object,
      detail,
    });
  }

  private onResponse(buf: Uint8Array, off: number, len: number, srcMac: number, dstMac: number, frame: number, ts: number, ctx: L2Context): void {
    const pdu = this.pdu;
    // The identity is a function of the blocks, which DCPDataLength bounds (cut at the frame's end).
    const blocksOff = off + DCP_HEADER;
    const blocksLen = Math.min(pdu.dataLength, len - DCP_HEADER);
    const slot = identityMemoSlot(srcMac);
    if (this.sameIdentityAsBefore(slot, srcMac, buf, blocksOff, blocksLen)) {
      const ip = this.memoIp[slot]!;
      if (ip !== '') this.learnHost(srcMac, ip, ctx);
    } else {
      const identity = readIdentity(buf, pdu);
      const ip = identity.ip !== undefined && identity.ip !== 0 ? ip4ToString(identity.ip) : '';
      if (ip !== '') this.learnHost(srcMac, ip, ctx);
      const generation = this.factsGeneration;
      this.identityFacts(srcMac, identity, frame, ts, ctx);
      // A clear during the facts may have dropped some of them again: remember only a complete generation.
      if (generation === this.factsGeneration) this.rememberIdentity(slot, srcMac, buf, blocksOff, blocksLen, ip);
    }

    const key = `${dstMac}:${pdu.xid}`;
    const p = this.pending.get(key);
    const matches = p !== undefined && p.serviceId === pdu.serviceId && p.captureIndex === ctx.captureIndex && (p.target === srcMac || isMulticastOrBroadcastMac(p.target));
    const notSupported = (pdu.serviceType & DCP_SERVICE_TYPE_NOT_SUPPORTED) !== 0;
    const blockError = notSupported ? 0 : responseBlockError(buf, pdu);
    let event: OperationEvent;
    if (matches) {
      event = this.event(p.kind, pdu.serviceId, p.frameId, dstMac, srcMac, p.frame, p.ts, 'ok', ctx);
      if (p.object) event.object = p.object;
      if (p.detail) event.detail = p.detail;
      event.responseFrame = frame;
      p.responses++;
      // A multicast Identify collects responses until it times out; a unicast request is done.
      if (!isMulticastOrBroadcastMac(p.target)) this.pending.delete(key);
    } else {
      ctx.count('profinet-dcp.unmatched-response');
      const kind: OperationKind = pdu.serviceId === DCP_SERVICE.GET ? 'read' : pdu.serviceId === DCP_SERVICE.SET ? 'configuration' : 'identify';
      event = this.event(kind, pdu.serviceId, pdu.frameId, dstMac, srcMac, frame, ts, 'ok', ctx);
    }
    if (notSupported) {
      event.result = 'exception';
      event.exceptionCode = pdu.serviceType;
      event.exceptionName = 'request_not_supported';
    } else if (blockError !== 0) {
      event.result = 'exception';
      event.exceptionCode = blockError;
      event.exceptionName = DCP_BLOCK_ERROR_NAMES[blockError] ?? `block_error_${blockError}`;
    }
    ctx.sink.emit(event);
  }

  private sameIdentityAsBefore(slot: number, mac: number, buf: Uint8Array, off: number, len: number): boolean {
    const blocks = this.memoBlocks[slot];
    if (this.memoMac[slot] !== mac || blocks == null || this.memoBlocksLen[slot] !== len || this.memoGeneration[slot] !== this.factsGeneration) return false;
    for (let i = 0; i < len; i++) if (blocks[i] !== buf[off + i]) return false;
    return true;
  }

  private rememberIdentity(slot: number, mac: number, buf: Uint8Array, off: number, len: number, ip: string): void {
    let blocks = this.memoBlocks[slot];
    if (blocks == null || blocks.length < len) blocks = this.memoBlocks[slot] = new Uint8Array(len < 256 ? 256 : len);
    blocks.set(buf.subarray(off, off + len));
    this.memoMac[slot] = mac;
    this.memoBlocksLen[slot] = len;
    this.memoIp[slot] = ip;
    this.memoGeneration[slot] = this.factsGeneration;
  }

  private onHello(buf: Uint8Array, srcMac: number, dstMac: number, frame: number, ts: number, ctx: L2Context): void {
    const identity = readIdentity(buf, this.pdu);
    if (identity.ip !== undefined && identity.ip !== 0) this.learnHost(srcMac, ip4ToString(identity.ip), ctx);
    this.identityFacts(srcMac, identity, frame, ts, ctx);
    const event = this.event('identify', DCP_SERVICE.HELLO, this.pdu.frameId, srcMac, dstMac, frame, ts, 'unknown', ctx);
    if (identity.nameOfStation) event.object = `name-of-station=${identity.nameOfStation}`;
    ctx.sink.emit(event);
  }

  private expire(now: number, ctx: L2Context): void {
    for (const p of this.pending.values()) {
      if (p.captureIndex === ctx.captureIndex && now - p.ts <= this.options.responseTimeoutSec) break;
      this.pending.delete(p.key);
      this.completeUnanswered(p, ctx);
    }
  }

  private completeUnanswered(p: PendingRequest, ctx: L2Context): void {
    if (p.responses > 0) return; // each response was reported as it came
    const event = this.event(p.kind, p.serviceId, p.frameId, p.requester, p.target, p.frame, p.ts, 'no-response', ctx);
    event.captureIndex = p.captureIndex;
    if (p.object) event.object = p.object;
    if (p.detail) event.detail = p.detail;
    ctx.sink.emit(event);
  }

  private event(kind: OperationKind, serviceId: number, frameId: number, requester: number, responder: number, frame: number, ts: number, result: OperationEvent['result'], ctx: L2Context): OperationEvent {
    return {
      type: 'operation',
      protocol: 'profinet-dcp',
      ts,
      frame,
      captureIndex: ctx.captureIndex,
      flowId: L2_FLOW_ID,
      src: { ip: this.hosts.get(requester) ?? '', port: 0, mac: macToString(requester) },
      dst: { ip: this.hosts.get(responder) ?? '', port: 0, mac: macToString(responder) },
      kind,
      code: serviceId,
      codeName: DCP_SERVICE_NAMES[serviceId] ?? `service_${serviceId}`,
      subCode: frameId,
      subCodeName: DCP_FRAME_NAMES[frameId] ?? `frame_${hex4(frameId)}`,
      result,
    };
  }

  private learnHost(mac: number, ip: string, ctx: L2Context): void {
    if (this.hosts.get(mac) === ip) return;
    if (!this.hosts.has(mac) && this.hosts.size >= this.options.maxKnownHosts) {
      ctx.count('profinet-dcp.known-hosts-cap');
      return;
    }
    this.hosts.set(mac, ip);
  }

  private identityFacts(mac: number, id: DcpIdentity, frame: number, ts: number, ctx: L2Context): void {
    const facts: Array<[FactField, string]> = [];
    if (id.nameOfStation) facts.push(['station-name', id.nameOfStation]);
    if (id.vendorId !== undefined) {
      facts.push(['vendor-id', hex4(id.vendorId)]);
      const vendor = PROFINET_VENDORS[id.vendorId];
      if (vendor) facts.push(['vendor', vendor]);
    }
    if (id.deviceId !== undefined) facts.push(['product-code', hex4(id.deviceId)]);
    if (id.typeOfStation) facts.push(['model', id.typeOfStation], ['product', id.typeOfStation]);
    if (id.role !== undefined) {
      const role = deviceRoleName(id.role);
      if (role) facts.push(['device-type', role]);
      if (id.role & 0x02) facts.push(['role-hint', 'plc']);
    }
    if (facts.length === 0) return;
    const macText = macToString(mac);
    const subject: { ip?: string; mac?: string } = { mac: macText };
    if (id.ip !== undefined && id.ip !== 0) subject.ip = ip4ToString(id.ip);
    for (const [field, value] of facts) {
      const key = `${macText}|${subject.ip ?? ''}|${field}|${value}`;
      if (this.factsSeen.has(key)) continue;
      if (this.factsSeen.size >= this.options.maxFactKeys) {
        ctx.count('profinet-dcp.fact-keys-cap');
        this.factsSeen.clear();
        this.factsGeneration++;
      }
      this.factsSeen.add(key);
      ctx.sink.emit({ type: 'asset-fact', protocol: 'profinet-dcp', ts, frame, captureIndex: ctx.captureIndex, subject, field, value, confidence: 0.95 });
    }
  }
}
