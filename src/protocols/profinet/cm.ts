/**
 * PROFINET IO Context Management over connectionless DCE/RPC (UDP 34964): Connect, Release, Read, Write,
 * Control and Read Implicit on the PNIO device/controller/supervisor/parameter-server interfaces, plus Endpoint
 * Mapper lookups. Calls are paired with their responses by (activity UUID, sequence number); a response whose
 * PNIOStatus is non-zero, or an RPC fault/reject, is an 'exception'. The object UUID of a PNIO call names the
 * target's vendor and device id; I&M0 read responses carry its order number, serial and revisions.
 *
 * DCE/RPC integers follow the sender's data representation (drep); PNIO blocks are always big-endian.
 */
import type { FactField, OperationEvent, OperationKind } from '../../events/types.js';
import { Dir, Probe, type AnalyzerContext, type FlowAnalyzer, type PacketMeta } from '../analyzer.js';
import { flowEndpoints } from '../common/endpoints.js';
import {
  AR_TYPE_NAMES,
  CONTROL_BLOCK_NAMES,
  EPM_OPNUM_NAMES,
  INDEX_IM0,
  INDEX_WRITE_MULTIPLE,
  PNIO_BLOCK,
  PNIO_INTERFACE_NAMES,
  PNIO_OPNUM_NAMES,
  PROFINET_VENDORS,
  RECORD_INDEX_NAMES,
  RPC_PTYPE,
  RPC_PTYPE_NAMES,
  hex4,
  pnioStatusName,
} from './names.js';

export const RPC_CL_HEADER = 80;
/** PNIO stub before the first block: ArgsMaximum or PNIOStatus, ArgsLength, MaximumCount, Offset, ActualCount. */
const PNIO_STUB_HEADER = 20;
const MAX_ANOMALY_EVENTS = 50;

/** Interface a call belongs to: 1..4 the PNIO interfaces (DEA0000x), EPM the endpoint mapper, 0 other. */
export const RpcInterface = { OTHER: 0, PNIO_DEVICE: 1, PNIO_CONTROLLER: 2, PNIO_SUPERVISOR: 3, PNIO_PARAMETER_SERVER: 4, EPM: 16 } as const;

// The constant parts of the PNIO interface UUID DEA0000x-6C97-11D1-8271-00A02442DF7D and of the endpoint
// mapper's E1AF8308-5D1F-11C9-91A4-08002B14A0FA (clock_seq and node are octet strings in any drep).
const PNIO_NODE = [0x82, 0x71, 0x00, 0xa0, 0x24, 0x42, 0xdf, 0x7d];
const EPM_NODE = [0x91, 0xa4, 0x08, 0x00, 0x2b, 0x14, 0xa0, 0xfa];

export class RpcHeader {
  ptype = 0;
  flags1 = 0;
  littleEndian = false;
  iface = 0;
  seq = 0;
  opnum = 0;
  fragLen = 0;
  fragNum = 0;
  stubOff = 0;
  /** stub bytes present (min of the declared fragment length and the datagram) */
  stubLen = 0;
  objectOff = 0;
  activityOff = 0;
}

function u16(buf: Uint8Array, off: number, le: boolean): number {
  return le ? buf[off]! | (buf[off + 1]! << 8) : (buf[off]! << 8) | buf[off + 1]!;
}

function u32(buf: Uint8Array, off: number, le: boolean): number {
  return le
    ? (buf[off]! | (buf[off + 1]! << 8) | (buf[off + 2]! << 16) | (buf[off + 3]! << 24)) >>> 0
    : ((buf[off]! << 24) | (buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!) >>> 0;
}

function sameBytes(buf: Uint8Array, off: number, bytes: readonly number[]): boolean {
  for (let i = 0; i < bytes.length; i++) if (buf[off + i] !== bytes[i]) return false;
  return true;
}

/** Classifies the 16-byte interface UUID at buf[off] (first three fields in drep order). */
export function rpcInterface(buf: Uint8Array, off: number, le: boolean): number {
  const timeLow = u32(buf, off, le);
  const timeMid = u16(buf, off + 4, le);
  const timeHi = u16(buf, off + 6, le);
  if (timeMid === 0x6c97 && timeHi === 0x11d1 && timeLow >= 0xdea00001 && timeLow <= 0xdea00004 && sameBytes(buf, off + 8, PNIO_NODE)) return timeLow - 0xdea00000;
  if (timeLow === 0xe1af8308 && timeMid === 0x5d1f && timeHi === 0x11c9 && sameBytes(buf, off + 8, EPM_NODE)) return RpcInterface.EPM;
  return RpcInterface.OTHER;
}

/**
 * Parses a DCE/RPC connectionless header (version 4). Returns false when buf[off..off+len) is not one.
 * Never reads outside the range.
 */
export function parseRpcHeader(buf: Uint8Array, off: number, len: number, out: RpcHeader): boolean {
  if (len < RPC_CL_HEADER || buf[off] !== 4) return false;
  const ptype = buf[off + 1]!;
  if (ptype > RPC_PTYPE.CANCEL_ACK) return false;
  const drep0 = buf[off + 4]!;
  // Character encoding must be ASCII/EBCDIC (0/1) and the floating point IEEE/VAX/Cray/IBM (0..3).
  if ((drep0 & 0x0e) !== 0 || buf[off + 5]! > 3) return false;
  const le = (drep0 & 0x10) !== 0;
  out.ptype = ptype;
  out.flags1 = buf[off + 2]!;
  out.littleEndian = le;
  out.objectOff = off + 8;
  out.iface = rpcInterface(buf, off + 24, le);
  out.activityOff = off + 40;
  out.seq = u32(buf, off + 64, le);
  out.opnum = u16(buf, off + 68, le);
  out.fragLen = u16(buf, off + 74, le);
  out.fragNum = u16(buf, off + 76, le);
  out.stubOff = off + RPC_CL_HEADER;
  out.stubLen = Math.min(out.fragLen, len - RPC_CL_HEADER);
  return true;
}

const probeHeader = new RpcHeader();

/** A DCE/RPC CL v4 PDU on a PNIO interface is PROFINET CM; the endpoint mapper alone is only a 'maybe'. */
export function probePnioCm(buf: Buffer, off: number, len: number, _dir?: Dir): Probe {
  if (len < 1) return Probe.NeedMore;
  if (buf[off] !== 4) return Probe.No;
  if (!parseRpcHeader(buf, off, len, probeHeader)) return len < RPC_CL_HEADER ? Probe.NeedMore : Probe.No;
  if (probeHeader.iface >= RpcInterface.PNIO_DEVICE && probeHeader.iface <= RpcInterface.PNIO_PARAMETER_SERVER) return Probe.Yes;
  if (probeHeader.iface === RpcInterface.EPM) return Probe.Maybe;
  return Probe.No;
}

/** I&M0 (IEC 61158-6-10 / PROFIBUS I&M): identity of a device or module. */
export interface Im0 {
  vendorId: number;
  orderId: string;
  serial: string;
  hardwareRevision: number;
  softwareRevision: string;
}

function text(buf: Uint8Array, off: number, len: number): string {
  let out = '';
  for (let i = off; i < off + len; i++) {
    const c = buf[i]!;
    if (c === 0) break;
    out += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '?';
  }
  return out.trim();
}

/** Parses an I&M0 block (BlockType 0x0020) at buf[off..end). */
export function parseIm0(buf: Uint8Array, off: number, end: number): Im0 | null {
  if (off + 6 + 46 > end) return null;
  if (((buf[off]! << 8) | buf[off + 1]!) !== PNIO_BLOCK.IM0) return null;
  const p = off + 6;
  const prefix = buf[p + 40]!;
  const prefixChar = prefix >= 0x41 && prefix <= 0x5a ? String.fromCharCode(prefix) : '';
  return {
    vendorId: (buf[p]! << 8) | buf[p + 1]!,
    orderId: text(buf, p + 2, 20),
    serial: text(buf, p + 22, 16),
    hardwareRevision: (buf[p + 38]! << 8) | buf[p + 39]!,
    softwareRevision: `${prefixChar}${buf[p + 41]}.${buf[p + 42]}.${buf[p + 43]}`,
  };
}

interface PendingCall {
  key: string;
  event: OperationEvent;
  /** record index of a read (to interpret the response), -1 otherwise */
  index: number;
  owner: PnioCmSession;
}

/**
 * Calls awaiting a response, shared by all PNIO CM flows of an analysis: a device answers a call sent to
 * UDP 34964 from another (ephemeral) port, so the response travels in a different UDP flow than the request.
 * Each entry belongs to the session that saw the request; that session reports it as unanswered on close.
 */
export class PnioCallTable {
  readonly calls = new Map<string, PendingCall>();
  constructor(readonly maxCalls = 4096) {}
}

interface RequestInfo {
  kind: OperationKind;
  codeName: string;
  detail?: string;
  object?: string;
  address?: number;
  quantity?: number;
  dataBytes?: number;
  index: number;
}

export class PnioCmSession implements FlowAnalyzer {
  private endpoints;
  private readonly header = new RpcHeader();
  /** keys of the calls in the shared table whose request this flow carried */
  private readonly own = new Set<string>();
  private readonly factsSeen = new Set<string>();
  private meta: PacketMeta = { frame: 0, ts: 0 };
  private anomalies = 0;
  private seenData = false;

  constructor(
    private readonly ctx: AnalyzerContext,
    private readonly table: PnioCallTable = new PnioCallTable(),
  ) {
    this.endpoints = flowEndpoints(ctx.flow);
  }

  onData(dir: Dir, buf: Buffer, off: number, len: number, meta: PacketMeta): void {
    this.meta = meta;
    const h = this.header;
    if (!parseRpcHeader(buf, off, len, h)) {
      this.malformed(dir, 'not a DCE/RPC connectionless v4 PDU');
      return;
    }
    if (!this.seenData) {
      this.seenData = true;
      // A flow first seen through a response (device answering from its ephemeral port) has the caller as
      // its real client.
      const isResponse = h.ptype === RPC_PTYPE.RESPONSE || h.ptype === RPC_PTYPE.FAULT || h.ptype === RPC_PTYPE.REJECT || h.ptype === RPC_PTYPE.WORKING;
      if (isResponse && dir === Dir.ToServer && this.ctx.flow.sidesGuessed) {
        this.ctx.swapSides();
        this.endpoints = flowEndpoints(this.ctx.flow);
        dir = Dir.ToClient;
      }
    }
    if (h.fragLen > len - RPC_CL_HEADER) this.ctx.count('profinet-cm.truncated');
    if (h.fragNum !== 0) {
      // Blocks and the PNIO status are in fragment 0; later fragments carry only record data.
      this.ctx.count('profinet-cm.fragments');
      return;
    }
    switch (h.ptype) {
      case RPC_PTYPE.REQUEST:
        this.onRequest(dir, buf, h);
        return;
      case RPC_PTYPE.RESPONSE:
      case RPC_PTYPE.FAULT:
      case RPC_PTYPE.REJECT:
        this.onResponse(dir, buf, h);
        return;
      default:
        this.ctx.count(`profinet-cm.${RPC_PTYPE_NAMES[h.ptype]}`);
    }
  }

  onGap(): void {
    // UDP only: datagrams are whole.
  }

  onClose(): void {
    for (const key of this.own) {
      const call = this.table.calls.get(key);
      if (call === undefined) continue;
      this.table.calls.delete(key);
      this.ctx.sink.emit(call.event);
    }
    this.own.clear();
  }

  /** Activity UUID in canonical form (its first fields follow each sender's drep) + sequence number. */
  private key(buf: Buffer, h: RpcHeader): string {
    const a = h.activityOff;
    const le = h.littleEndian;
    return `${this.ctx.captureIndex}:${u32(buf, a, le).toString(16)}-${u16(buf, a + 4, le).toString(16)}-${u16(buf, a + 6, le).toString(16)}-${buf.toString('hex', a + 8, a + 16)}:${h.seq}`;
  }

  private forget(call: PendingCall): void {
    this.table.calls.delete(call.key);
    call.owner.own.delete(call.key);
  }

  private onRequest(dir: Dir, buf: Buffer, h: RpcHeader): void {
    const info = this.classify(buf, h, true);
    const event = this.event(dir, h, info, 'no-response');
    if (h.iface >= RpcInterface.PNIO_DEVICE && h.iface <= RpcInterface.PNIO_PARAMETER_SERVER) this.objectFacts(dir, buf, h);
    if (h.iface === RpcInterface.PNIO_DEVICE && h.opnum === 0) this.connectFacts(dir, buf, h);
    const key = this.key(buf, h);
    if (this.table.calls.has(key)) {
      // CL RPC retransmits an unanswered call with the same activity and sequence number.
      this.ctx.count('profinet-cm.retransmissions');
      return;
    }
    if (this.own.size >= this.ctx.maxPendingTransactions) {
      const oldest = this.table.calls.get(this.own.values().next().value as string);
      this.ctx.count('profinet-cm.transaction-cap');
      if (oldest !== undefined) {
        this.forget(oldest);
        this.ctx.sink.emit(oldest.event);
      }
    }
    if (this.table.calls.size >= this.table.maxCalls) {
      const oldest = this.table.calls.values().next().value as PendingCall;
      this.ctx.count('profinet-cm.calls-cap');
      this.forget(oldest);
      this.ctx.sink.emit(oldest.event);
    }
    this.table.calls.set(key, { key, event, index: info.index, owner: this });
    this.own.add(key);
  }

  private onResponse(dir: Dir, buf: Buffer, h: RpcHeader): void {
    const key = this.key(buf, h);
    const p = this.table.calls.get(key);
    let event: OperationEvent;
    let index = -1;
    const requestDir = dir === Dir.ToServer ? Dir.ToClient : Dir.ToServer;
    let deviceIp = '';
    let deviceMac: string | undefined;
    if (p !== undefined) {
      this.forget(p);
      event = p.event;
      deviceIp = event.dst.ip;
      deviceMac = event.dst.mac;
      index = p.index;
      event.responseFrame = this.meta.frame;
    } else {
      // The call was not captured; a CL response repeats the interface and opnum, which is enough to classify.
      this.ctx.count('profinet-cm.unmatched-response');
      const info = this.classify(buf, h, false);
      index = info.index;
      event = this.event(requestDir, h, info, 'unknown');
      deviceIp = event.dst.ip;
      deviceMac = event.dst.mac;
    }
    const le = h.littleEndian;
    if (h.ptype === RPC_PTYPE.FAULT || h.ptype === RPC_PTYPE.REJECT) {
      event.result = 'exception';
      event.exceptionCode = h.stubLen >= 4 ? u32(buf, h.stubOff, le) : 0;
      event.exceptionName = h.ptype === RPC_PTYPE.FAULT ? 'rpc_fault' : 'rpc_reject';
    } else if (h.iface >= RpcInterface.PNIO_DEVICE && h.iface <= RpcInterface.PNIO_PARAMETER_SERVER) {
      if (h.stubLen < 4) {
        this.malformed(dir, 'PNIO response shorter than its status');
        event.result = 'unknown';
      } else {
        const status = u32(buf, h.stubOff, le);
        if (status === 0) {
          event.result = 'ok';
          if ((h.opnum === 2 || h.opnum === 5) && index === INDEX_IM0) this.im0Facts(deviceIp, deviceMac, buf, h);
        } else {
          event.result = 'exception';
          event.exceptionCode = status;
          event.exceptionName = pnioStatusName(status);
        }
      }
    } else {
      event.result = 'ok';
    }
    this.ctx.sink.emit(event);
  }

  /** Kind and addressing of a call, from the request's blocks (or the response's, when it is all we have). */
  private classify(buf: Buffer, h: RpcHeader, isRequest: boolean): RequestInfo {
    if (h.iface === RpcInterface.EPM) {
      const codeName = EPM_OPNUM_NAMES[h.opnum] ?? `epm_opnum_${h.opnum}`;
      return { kind: h.opnum === 0 || h.opnum === 1 || h.opnum === 6 ? 'configuration' : 'identify', codeName, index: -1 };
    }
    if (h.iface === RpcInterface.OTHER) return { kind: 'other', codeName: `opnum_${h.opnum}`, index: -1 };
    const codeName = PNIO_OPNUM_NAMES[h.opnum] ?? `opnum_${h.opnum}`;
    // Request stub: ArgsMaximum 4, ArgsLength 4, NDR array header 12; response: PNIOStatus 4, ArgsLength 4, 12.
    const blockOff = h.stubOff + PNIO_STUB_HEADER;
    const end = h.stubOff + h.stubLen;
    const hasBlock = blockOff + 6 <= end;
    const blockType = hasBlock ? (buf[blockOff]! << 8) | buf[blockOff + 1]! : -1;
    switch (h.opnum) {
      case 0: {
        const info: RequestInfo = { kind: 'connect', codeName, index: -1 };
        if (blockType === PNIO_BLOCK.AR_BLOCK_REQ && blockOff + 8 <= end) {
          const arType = (buf[blockOff + 6]! << 8) | buf[blockOff + 7]!;
          info.detail = AR_TYPE_NAMES[arType] ?? `ar-type ${hex4(arType)}`;
        }
        return info;
      }
      case 1:
        return { kind: 'connect', codeName, detail: 'release', index: -1 };
      case 2:
      case 3:
      case 5: {
        const info: RequestInfo = { kind: h.opnum === 3 ? 'write' : 'read', codeName, index: -1 };
        // IODReadReqHeader / IODWriteReqHeader (and their Res forms): SeqNumber 2, ARUUID 16, API 4, Slot 2,
        // Subslot 2, Padding 2, Index 2, RecordDataLength 4.
        if (hasBlock && blockOff + 40 <= end && (blockType & 0x7fff) >= PNIO_BLOCK.WRITE_REQ_HEADER && (blockType & 0x7fff) <= PNIO_BLOCK.READ_REQ_HEADER) {
          const api = ((buf[blockOff + 24]! << 24) | (buf[blockOff + 25]! << 16) | (buf[blockOff + 26]! << 8) | buf[blockOff + 27]!) >>> 0;
          const slot = (buf[blockOff + 28]! << 8) | buf[blockOff + 29]!;
          const subslot = (buf[blockOff + 30]! << 8) | buf[blockOff + 31]!;
          const index = (buf[blockOff + 34]! << 8) | buf[blockOff + 35]!;
          const length = ((buf[blockOff + 36]! << 24) | (buf[blockOff + 37]! << 16) | (buf[blockOff + 38]! << 8) | buf[blockOff + 39]!) >>> 0;
          info.index = index;
          info.address = index;
          const name = RECORD_INDEX_NAMES[index];
          info.object = `api ${api} slot ${slot} subslot ${hex4(subslot)} index ${hex4(index)}${name ? ` (${name})` : ''}`;
          if (h.opnum === 3) {
            info.dataBytes = length;
            if (index === INDEX_WRITE_MULTIPLE) info.detail = 'write-multiple';
          } else if (isRequest) info.quantity = length;
        }
        return info;
      }
      case 4: {
        const info: RequestInfo = { kind: 'control', codeName, index: -1 };
        const name = CONTROL_BLOCK_NAMES[blockType & 0x7fff];
        if (name !== undefined) info.detail = name;
        else if (hasBlock && blockOff + 30 <= end) {
          const command = (buf[blockOff + 28]! << 8) | buf[blockOff + 29]!;
          info.detail = command & 0x0001 ? 'prm-end' : command & 0x0002 ? 'application-ready' : command & 0x0004 ? 'release' : command & 0x0040 ? 'prm-begin' : `command ${hex4(command)}`;
        }
        return info;
      }
      default:
        return { kind: 'other', codeName, index: -1 };
    }
  }

  private event(dir: Dir, h: RpcHeader, info: RequestInfo, result: OperationEvent['result']): OperationEvent {
    const event: OperationEvent = {
      type: 'operation',
      protocol: 'profinet-cm',
      ts: this.meta.ts,
      frame: this.meta.frame,
      captureIndex: this.ctx.captureIndex,
      flowId: this.ctx.flow.id,
      src: dir === Dir.ToServer ? this.endpoints.client : this.endpoints.server,
      dst: dir === Dir.ToServer ? this.endpoints.server : this.endpoints.client,
      kind: info.kind,
      code: h.opnum,
      codeName: info.codeName,
      result,
    };
    const ifaceName = PNIO_INTERFACE_NAMES[h.iface];
    if (ifaceName !== undefined && h.iface !== RpcInterface.PNIO_DEVICE) event.subCodeName = `${ifaceName}-interface`;
    if (info.object !== undefined) event.object = info.object;
    if (info.address !== undefined) event.address = info.address;
    if (info.quantity !== undefined) event.quantity = info.quantity;
    if (info.dataBytes !== undefined) event.dataBytes = info.dataBytes;
    if (info.detail !== undefined) event.detail = info.detail;
    return event;
  }

  /** The PNIO object UUID DEA00000-6C97-11D1-8271-IIII DDDD VVVV names the called device (instance, device, vendor). */
  private objectFacts(dir: Dir, buf: Buffer, h: RpcHeader): void {
    const o = h.objectOff;
    const le = h.littleEndian;
    if (u32(buf, o, le) !== 0xdea00000 || u16(buf, o + 4, le) !== 0x6c97 || u16(buf, o + 6, le) !== 0x11d1) return;
    const deviceId = (buf[o + 12]! << 8) | buf[o + 13]!;
    const vendorId = (buf[o + 14]! << 8) | buf[o + 15]!;
    if (vendorId === 0 && deviceId === 0) return;
    const target = dir === Dir.ToServer ? this.endpoints.server : this.endpoints.client;
    const facts: Array<[FactField, string]> = [['vendor-id', hex4(vendorId)], ['product-code', hex4(deviceId)]];
    const vendor = PROFINET_VENDORS[vendorId];
    if (vendor) facts.push(['vendor', vendor]);
    this.facts(target.ip, target.mac, facts, 0.9);
  }

  /** ARBlockReq: ARType 2, ARUUID 16, SessionKey 2, CMInitiatorMacAdd 6, ObjectUUID 16, ARProperties 4, timeout 2, UDP port 2, name. */
  private connectFacts(dir: Dir, buf: Buffer, h: RpcHeader): void {
    const blockOff = h.stubOff + PNIO_STUB_HEADER;
    const end = h.stubOff + h.stubLen;
    if (blockOff + 58 > end || ((buf[blockOff]! << 8) | buf[blockOff + 1]!) !== PNIO_BLOCK.AR_BLOCK_REQ) return;
    const nameLen = (buf[blockOff + 56]! << 8) | buf[blockOff + 57]!;
    if (nameLen === 0 || blockOff + 58 + nameLen > end) return;
    const name = text(buf, blockOff + 58, Math.min(nameLen, 240));
    const initiator = dir === Dir.ToServer ? this.endpoints.client : this.endpoints.server;
    if (name) this.facts(initiator.ip, initiator.mac, [['station-name', name]], 0.9);
  }

  /** Read response: PNIOStatus 4, ArgsLength 4, array header 12, IODReadResHeader block, then the record data. */
  private im0Facts(deviceIp: string, deviceMac: string | undefined, buf: Buffer, h: RpcHeader): void {
    const blockOff = h.stubOff + PNIO_STUB_HEADER;
    const end = h.stubOff + h.stubLen;
    if (blockOff + 4 > end || ((buf[blockOff]! << 8) | buf[blockOff + 1]!) !== PNIO_BLOCK.READ_RES_HEADER) return;
    const recordOff = blockOff + 4 + ((buf[blockOff + 2]! << 8) | buf[blockOff + 3]!);
    const im0 = parseIm0(buf, recordOff, end);
    if (im0 === null) {
      this.ctx.count('profinet-cm.im0-malformed');
      return;
    }
    const facts: Array<[FactField, string]> = [['vendor-id', hex4(im0.vendorId)]];
    const vendor = PROFINET_VENDORS[im0.vendorId];
    if (vendor) facts.push(['vendor', vendor]);
    if (im0.orderId) facts.push(['order-number', im0.orderId], ['model', im0.orderId]);
    if (im0.serial) facts.push(['serial', im0.serial]);
    facts.push(['hardware-revision', String(im0.hardwareRevision)], ['firmware', im0.softwareRevision]);
    this.facts(deviceIp, deviceMac, facts, 0.95);
  }

  private facts(ip: string, mac: string | undefined, facts: Array<[FactField, string]>, confidence: number): void {
    for (const [field, value] of facts) {
      const key = `${ip}|${field}|${value}`;
      if (this.factsSeen.has(key)) continue;
      this.factsSeen.add(key);
      const subject: { ip: string; mac?: string } = { ip };
      if (mac) subject.mac = mac;
      this.ctx.sink.emit({ type: 'asset-fact', protocol: 'profinet-cm', ts: this.meta.ts, frame: this.meta.frame, captureIndex: this.ctx.captureIndex, subject, field, value, confidence });
    }
  }

  private malformed(dir: Dir, detail: string): void {
    this.ctx.count('profinet-cm.malformed');
    if (this.anomalies >= MAX_ANOMALY_EVENTS) return;
    this.anomalies++;
    this.ctx.sink.emit({
      type: 'anomaly',
      protocol: 'profinet-cm',
      ts: this.meta.ts,
      frame: this.meta.frame,
      captureIndex: this.ctx.captureIndex,
      flowId: this.ctx.flow.id,
      src: dir === Dir.ToServer ? this.endpoints.client : this.endpoints.server,
      dst: dir === Dir.ToServer ? this.endpoints.server : this.endpoints.client,
      anomaly: 'malformed',
      detail,
    });
  }
}
