/** Test helpers: PROFINET frame builders, a minimal pcap writer, and an L2 runner with a recording context. */
import { writeFileSync } from 'node:fs';
import type { OtEvent, OperationEvent, AssetFactEvent } from '../../events/types.js';
import { DecodedPacket } from '../../decode/packet.js';
import { PacketDecoder } from '../../decode/decoder.js';
import { readCapture } from '../../capture/reader.js';
import { macFromString } from '../../util/addr.js';
import type { L2Context } from '../l2.js';
import { ProfinetL2Analyzer, type ProfinetOptions } from './index.js';

export interface RecordingL2Context extends L2Context {
  events: OtEvent[];
  counters: Record<string, number>;
  operations(): OperationEvent[];
  facts(): AssetFactEvent[];
}

export function recordingL2Context(): RecordingL2Context {
  const ctx: RecordingL2Context = {
    captureIndex: 0,
    events: [],
    counters: {},
    sink: { emit: (e) => ctx.events.push(e) },
    count(counter, n = 1) {
      ctx.counters[counter] = (ctx.counters[counter] ?? 0) + n;
    },
    operations: () => ctx.events.filter((e): e is OperationEvent => e.type === 'operation'),
    facts: () => ctx.events.filter((e): e is AssetFactEvent => e.type === 'asset-fact'),
  };
  return ctx;
}

const mac = (text: string): Buffer => Buffer.from(text.replace(/:/g, ''), 'hex');

/** Ethernet II frame with EtherType 0x8892 (padded to 60 octets like a real NIC would). */
export function ethernetFrame(dst: string, src: string, payload: Buffer): Buffer {
  const frame = Buffer.concat([mac(dst), mac(src), Buffer.from([0x88, 0x92]), payload]);
  return frame.length < 60 ? Buffer.concat([frame, Buffer.alloc(60 - frame.length)]) : frame;
}

export function dcpBlock(option: number, suboption: number, data: Buffer): Buffer {
  const header = Buffer.from([option, suboption, data.length >> 8, data.length & 0xff]);
  return Buffer.concat([header, data, Buffer.alloc(data.length & 1)]);
}

export function dcpPdu(frameId: number, serviceId: number, serviceType: number, xid: number, blocks: Buffer[], responseDelay = 0): Buffer {
  const body = Buffer.concat(blocks);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(frameId, 0);
  header[2] = serviceId;
  header[3] = serviceType;
  header.writeUInt32BE(xid >>> 0, 4);
  header.writeUInt16BE(responseDelay, 8);
  header.writeUInt16BE(body.length, 10);
  return Buffer.concat([header, body]);
}

const u16 = (v: number) => Buffer.from([v >> 8, v & 0xff]);
const ip = (text: string) => Buffer.from(text.split('.').map(Number));

/** Blocks of an Identify response: each block's data starts with BlockInfo. */
export function identityBlocks(d: { name: string; typeOfStation: string; vendorId: number; deviceId: number; role: number; ip: string; mask: string; gw: string }): Buffer[] {
  return [
    dcpBlock(2, 1, Buffer.concat([u16(0), Buffer.from(d.typeOfStation)])),
    dcpBlock(2, 2, Buffer.concat([u16(0), Buffer.from(d.name)])),
    dcpBlock(2, 3, Buffer.concat([u16(0), u16(d.vendorId), u16(d.deviceId)])),
    dcpBlock(2, 4, Buffer.concat([u16(0), Buffer.from([d.role, 0])])),
    dcpBlock(1, 2, Buffer.concat([u16(1), ip(d.ip), ip(d.mask), ip(d.gw)])),
  ];
}

export const setName = (name: string, permanent = true) => dcpBlock(2, 2, Buffer.concat([u16(permanent ? 1 : 0), Buffer.from(name)]));
export const setIp = (addr: string, mask: string, gw: string) => dcpBlock(1, 2, Buffer.concat([u16(1), ip(addr), ip(mask), ip(gw)]));
export const setFactoryReset = () => dcpBlock(5, 6, u16(0x0002));
export const setSignal = () => dcpBlock(5, 3, Buffer.concat([u16(0), u16(0x0100)]));
export const startTransaction = () => dcpBlock(5, 1, u16(0));
export const endTransaction = () => dcpBlock(5, 2, u16(0));
export const controlResponse = (option: number, suboption: number, error: number) => dcpBlock(5, 4, Buffer.from([option, suboption, error]));

/** RT cyclic frame: FrameID, `dataLen` IO data octets, CycleCounter, DataStatus, TransferStatus. */
export function rtCyclic(frameId: number, cycle: number, dataLen = 40, dataStatus = 0x35): Buffer {
  const b = Buffer.alloc(2 + dataLen + 4);
  b.writeUInt16BE(frameId, 0);
  b.writeUInt16BE(cycle & 0xffff, 2 + dataLen);
  b[2 + dataLen + 2] = dataStatus;
  return b;
}

/** DATA-RTA-PDU carrying an AlarmNotification block. */
export function rtaAlarm(frameId: number, sendSeq: number, alarmType: number, slot: number, subslot: number): Buffer {
  const body = Buffer.alloc(6 + 20);
  body.writeUInt16BE(frameId === 0xfc01 ? 0x0001 : 0x0002, 0);
  body.writeUInt16BE(body.length - 4, 2);
  body[4] = 1;
  body.writeUInt16BE(alarmType, 6);
  body.writeUInt32BE(0, 8);
  body.writeUInt16BE(slot, 12);
  body.writeUInt16BE(subslot, 14);
  const h = Buffer.alloc(14);
  h.writeUInt16BE(frameId, 0);
  h.writeUInt16BE(0x0001, 2);
  h.writeUInt16BE(0x0002, 4);
  h[6] = 0x11; // version 1, DATA
  h.writeUInt16BE(sendSeq, 8);
  h.writeUInt16BE(0xffff, 10);
  h.writeUInt16BE(body.length, 12);
  return Buffer.concat([h, body]);
}

/** A DecodedPacket for an untagged Ethernet frame built by ethernetFrame(). */
export function packetOf(frame: Buffer, frameNo: number, ts: number, pkt = new DecodedPacket()): DecodedPacket {
  pkt.reset();
  pkt.frame = frameNo;
  pkt.ts = ts;
  pkt.raw = frame;
  pkt.wireLen = frame.length;
  pkt.hasEth = true;
  pkt.dstMac = macFromString(frame.subarray(0, 6).toString('hex'));
  pkt.srcMac = macFromString(frame.subarray(6, 12).toString('hex'));
  pkt.etherType = 0x8892;
  pkt.l2PayloadOff = 14;
  pkt.l2PayloadLen = frame.length - 14;
  return pkt;
}

/** Writes frames as a classic pcap (Ethernet, µs timestamps). */
export function writePcap(path: string, frames: Array<{ ts: number; data: Buffer }>): void {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(1, 20);
  const parts: Buffer[] = [header];
  for (const f of frames) {
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(Math.floor(f.ts), 0);
    rec.writeUInt32LE(Math.round((f.ts % 1) * 1e6), 4);
    rec.writeUInt32LE(f.data.length, 8);
    rec.writeUInt32LE(f.data.length, 12);
    parts.push(rec, f.data);
  }
  writeFileSync(path, Buffer.concat(parts));
}

/**
 * Runs only the PROFINET L2 analyzer over a capture (decoder included) and ends with onCaptureEnd, so that
 * unanswered requests and RT summaries are part of the result.
 */
export async function runL2(file: string, options: Partial<ProfinetOptions> = {}): Promise<RecordingL2Context> {
  const ctx = recordingL2Context();
  const analyzer = new ProfinetL2Analyzer(options);
  const decoder = new PacketDecoder();
  const pkt = new DecodedPacket();
  await readCapture(file, (rec) => {
    if (!decoder.decode(rec, pkt) || pkt.ipVersion !== 0 || pkt.etherType !== 0x8892) return;
    analyzer.onFrame(pkt, ctx);
  });
  analyzer.onCaptureEnd(ctx);
  return ctx;
}
