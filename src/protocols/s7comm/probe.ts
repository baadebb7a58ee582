/**
 * S7comm content probe. The port (102) is never trusted on its own: ISO-on-TCP also carries MMS (IEC 61850)
 * and S7comm-plus. A DT whose payload starts with the S7comm protocol id 0x32 is S7comm; S7comm-plus (0x72)
 * and other payloads are not. A connection request/confirm with an S7-style 2-byte TSAP (connection type
 * 1..3 or a LOGO/S7-200 TSAP, rack/slot byte) is S7comm; other TSAPs ("SIMATIC-ROOT-HMI" of S7comm-plus,
 * MMS's 0x0001) leave it to other probes and the port.
 */
import { Probe, type Dir } from '../analyzer.js';
import { S7_PROTOCOL_ID } from './names.js';
import {
  ConnectionTpdu,
  CotpType,
  cotpPayloadOffset,
  FRAME_PROBE_LEN,
  frameTpkt,
  parseConnectionTpdu,
  TpktFrame,
} from './tpkt-cotp.js';

const scratch = new ConnectionTpdu();

export function probeS7comm(buf: Buffer, off: number, len: number, _dir: Dir): Probe {
  if (len < 0 || off < 0 || off + len > buf.length) return Probe.No;
  const total = frameTpkt(buf, off, len);
  if (total === TpktFrame.Malformed) return Probe.No;
  if (len < FRAME_PROBE_LEN) return Probe.NeedMore;
  const tpktLen = (buf[off + 2]! << 8) | buf[off + 3]!;
  // The TPKT length should account for the bytes seen: all of them, or the first of several TPKTs.
  if (total > 0 && total < len && frameTpkt(buf, off + total, len - total) === TpktFrame.Malformed) return Probe.No;
  const type = buf[off + 5]! & 0xf0;
  if (type === CotpType.DT) {
    const payload = cotpPayloadOffset(buf, off);
    if (payload >= off + tpktLen) return Probe.Maybe; // empty DT: no evidence either way
    if (payload >= off + len) return Probe.NeedMore;
    return buf[payload] === S7_PROTOCOL_ID ? Probe.Yes : Probe.No;
  }
  if (type === CotpType.CR || type === CotpType.CC) {
    if (total === TpktFrame.Incomplete) return Probe.NeedMore;
    parseConnectionTpdu(buf, off, total, scratch);
    if (scratch.malformed) return Probe.No;
    // S7comm-plus names its TSAP ("SIMATIC-ROOT-HMI", "SIMATIC-ROOT-ES") and pairs it with a 2-byte one:
    // a textual TSAP is never classic S7comm.
    if (startsWithSimatic(buf, scratch.dstTsapOff, scratch.dstTsapLen) || startsWithSimatic(buf, scratch.srcTsapOff, scratch.srcTsapLen)) return Probe.No;
    if (scratch.dstTsapLen === 2 || scratch.srcTsapLen === 2) {
      const tsapOff = scratch.dstTsapLen === 2 ? scratch.dstTsapOff : scratch.srcTsapOff;
      // S7 TSAPs: first byte = connection type (1 PG, 2 OP, 3 S7 basic, 0x10+ for LOGO/S7-200 and others).
      return buf[tsapOff]! !== 0 ? Probe.Yes : Probe.Maybe;
    }
    return Probe.Maybe;
  }
  return Probe.Maybe;
}

function startsWithSimatic(buf: Buffer, off: number, len: number): boolean {
  return len >= 8 && off >= 0 && off + 8 <= buf.length && buf.toString('latin1', off, off + 8) === 'SIMATIC-';
}
