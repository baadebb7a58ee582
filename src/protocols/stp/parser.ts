/**
 * Spanning Tree BPDUs (IEEE 802.1D-1998 config/TCN, 802.1w RST, 802.1s/802.1Q MST), carried in 802.3 LLC
 * with DSAP/SSAP 0x42, or by Cisco PVST+ in SNAP (OUI 00-00-0C, PID 0x010B) followed by an originating-VLAN
 * TLV. Fills a reused Bpdu; never throws, never reads outside [off, off+len).
 */

export const LLC_SAP_STP = 0x42;
export const SNAP_OUI_CISCO = 0x00000c;
export const SNAP_PID_PVST = 0x010b;

export const BpduType = { CONFIG: 0x00, RST: 0x02, TCN: 0x80 } as const;
export const BpduFlag = { TC: 0x01, PROPOSAL: 0x02, LEARNING: 0x10, FORWARDING: 0x20, AGREEMENT: 0x40, TCA: 0x80 } as const;

export const BpduParse = { OK: 0, TRUNCATED: 1, NOT_STP: 2, UNKNOWN_TYPE: 3 } as const;
export type BpduParse = (typeof BpduParse)[keyof typeof BpduParse];

const CONFIG_LEN = 35;
const RST_LEN = 36;
const TCN_LEN = 4;
/** Cisco puts the PVST+ originating-VLAN TLV right after the 36-octet BPDU area (a config BPDU is padded). */
const PVST_TLV_OFF = 36;

export class Bpdu {
  version = 0;
  type = 0;
  flags = 0;
  /** root / bridge identifier: 16-bit priority field (4-bit priority << 12 | 12-bit system id extension) + MAC */
  rootPriority = 0;
  rootMac = 0;
  rootPathCost = 0;
  bridgePriority = 0;
  bridgeMac = 0;
  portId = 0;
  /** timers in 1/256 s as sent */
  messageAge = 0;
  maxAge = 0;
  helloTime = 0;
  forwardDelay = 0;
  /** MST: number of MSTI configuration messages */
  mstiCount = 0;
  /** PVST+ originating VLAN (0 when absent) */
  pvstVlan = 0;

  get isTcn(): boolean {
    return this.type === BpduType.TCN;
  }
}

function u16(buf: Uint8Array, off: number): number {
  return (buf[off]! << 8) | buf[off + 1]!;
}

function u32(buf: Uint8Array, off: number): number {
  return ((buf[off]! << 24) | (buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!) >>> 0;
}

/** 48-bit MAC at buf[off] as an integer (exact: < 2^53). */
function mac48(buf: Uint8Array, off: number): number {
  return u16(buf, off) * 0x100000000 + u32(buf, off + 2);
}

/** Parses the BPDU at buf[off..off+len). `pvst`: look for the originating-VLAN TLV after it. */
export function parseBpdu(buf: Uint8Array, off: number, len: number, out: Bpdu, pvst = false): BpduParse {
  out.flags = 0;
  out.mstiCount = 0;
  out.pvstVlan = 0;
  const end = Math.min(off + len, buf.length);
  if (off < 0 || end - off < TCN_LEN) return BpduParse.TRUNCATED;
  if (u16(buf, off) !== 0) return BpduParse.NOT_STP;
  out.version = buf[off + 2]!;
  out.type = buf[off + 3]!;
  if (out.type === BpduType.TCN) return BpduParse.OK;
  if (out.type !== BpduType.CONFIG && out.type !== BpduType.RST) return BpduParse.UNKNOWN_TYPE;
  if (end - off < (out.type === BpduType.RST ? RST_LEN : CONFIG_LEN)) return BpduParse.TRUNCATED;
  out.flags = buf[off + 4]!;
  out.rootPriority = u16(buf, off + 5);
  out.rootMac = mac48(buf, off + 7);
  out.rootPathCost = u32(buf, off + 13);
  out.bridgePriority = u16(buf, off + 17);
  out.bridgeMac = mac48(buf, off + 19);
  out.portId = u16(buf, off + 25);
  out.messageAge = u16(buf, off + 27);
  out.maxAge = u16(buf, off + 29);
  out.helloTime = u16(buf, off + 31);
  out.forwardDelay = u16(buf, off + 33);
  if (out.type === BpduType.RST && out.version >= 3 && end - off >= RST_LEN + 2) {
    // MST: Version 3 Length covers the 64 octets of CIST fields plus 16 per MSTI.
    const v3Len = u16(buf, off + RST_LEN);
    if (v3Len >= 64) out.mstiCount = Math.floor((v3Len - 64) / 16);
  }
  if (pvst && end - off >= PVST_TLV_OFF + 6 && u16(buf, off + PVST_TLV_OFF) === 0 && u16(buf, off + PVST_TLV_OFF + 2) === 2) {
    out.pvstVlan = u16(buf, off + PVST_TLV_OFF + 4) & 0x0fff;
  }
  return BpduParse.OK;
}

export const BPDU_VERSION_NAMES: Readonly<Record<number, string>> = { 0: 'stp', 2: 'rstp', 3: 'mstp', 4: 'spb' };
export const BPDU_TYPE_NAMES: Readonly<Record<number, string>> = { 0x00: 'config', 0x02: 'rst', 0x80: 'tcn' };
