/** What every traffic generator and scenario receives. */
import type { Plant, PlantAsset } from './plant.js';
import type { Rng } from './rng.js';
import type { Scheduler } from './scheduler.js';
import { ephemeralPort, TcpConversation, type FrameSlot, type SimHost } from './packets.js';
import type { ProtocolName } from '../events/types.js';

export interface SimContext {
  plant: Plant;
  sched: Scheduler;
  rng: Rng;
  /** simulated start, µs since the Unix epoch */
  startUs: number;
}

export const MS = 1000;
export const SEC = 1_000_000;

/** Opens a client→server TCP conversation on a fresh ephemeral port and records the flow in the truth. */
export function connect(
  ctx: SimContext, slot: FrameSlot, client: SimHost, server: SimHost, port: number, t: number,
  protocol: ProtocolName,
): TcpConversation {
  ctx.plant.noteFlow(client, server, protocol, port);
  const halfRtt = client.external || server.external ? 12_000 : 120 + (ctx.rng.u32() % 200);
  return new TcpConversation(ctx.plant.fabric, slot, client, server, ephemeralPort(client), port, t, ctx.rng.u32(),
    halfRtt);
}

export function hostOf(a: PlantAsset | SimHost): SimHost {
  return 'host' in a ? a.host : a;
}

/** Writes an ASCII string into `buf` at `off`; returns the new offset. */
export function putAscii(buf: Buffer, off: number, s: string): number {
  return off + buf.write(s, off, 'latin1');
}

/** Writes `s` padded with spaces (or NULs) to exactly `len` bytes. */
export function putFixed(buf: Buffer, off: number, s: string, len: number, pad = 0x20): number {
  buf.fill(pad, off, off + len);
  buf.write(s.slice(0, len), off, 'latin1');
  return off + len;
}

import { writeUdpFrame } from './packets.js';

/** Writes one UDP datagram into the slot at time t (the caller yields). `dst === null` = broadcast to dstIp. */
export function udpFrame(
  ctx: SimContext, slot: FrameSlot, src: SimHost, dst: SimHost | null, dstIp: number, sport: number, dport: number,
  payload: Buffer, len: number, t: number,
): void {
  slot.ts = t;
  writeUdpFrame(slot, ctx.plant.fabric, src, dst, dstIp, sport, dport, payload, 0, len);
}
