/**
 * S7comm-plus content probe (ISO-on-TCP, port 102 shared with S7comm and MMS). Yes for:
 *  - a COTP CR/CC whose TSAP is a "SIMATIC-..." string (S7comm-plus uses "SIMATIC-ROOT-HMI" / "-ES" / "-OTH";
 *    classic S7comm uses 2-byte TSAPs);
 *  - a COTP DT whose payload starts with 0x72 and a known S7comm-plus version byte.
 * The probe sees a direction's accumulated first bytes, so after an undecided CR it also looks at the next TPKT.
 */
import { Probe, type Dir } from '../analyzer.js';
import {
  ConnectionTpdu,
  CotpType,
  cotpPayloadOffset,
  FRAME_PROBE_LEN,
  frameTpkt,
  parseConnectionTpdu,
  TpktFrame,
} from '../s7comm/tpkt-cotp.js';
import { isKnownVersion, S7PLUS_PROTOCOL_ID } from './names.js';

const scratch = new ConnectionTpdu();
/** TPKTs looked at in one probe call */
const MAX_FRAMES = 4;

/** "SIMATIC-" at buf[off] within `len` bytes. */
export function isSimaticTsap(buf: Uint8Array, off: number, len: number): boolean {
  return len >= 8 && buf[off] === 0x53 && buf[off + 1] === 0x49 && buf[off + 2] === 0x4d && buf[off + 3] === 0x41 &&
    buf[off + 4] === 0x54 && buf[off + 5] === 0x49 && buf[off + 6] === 0x43 && buf[off + 7] === 0x2d;
}

export function probeS7commPlus(buf: Buffer, off: number, len: number, _dir: Dir): Probe {
  if (len < 0 || off < 0 || off + len > buf.length) return Probe.No;
  let p = off;
  const end = off + len;
  let verdict: Probe = Probe.NeedMore;
  for (let n = 0; n < MAX_FRAMES; n++) {
    const avail = end - p;
    if (avail <= 0) return verdict;
    const total = frameTpkt(buf, p, avail);
    if (total === TpktFrame.Malformed) return n === 0 ? Probe.No : verdict;
    if (avail < FRAME_PROBE_LEN) return verdict;
    const type = buf[p + 5]! & 0xf0;
    if (type === CotpType.DT) {
      const payload = cotpPayloadOffset(buf, p);
      const tpktLen = (buf[p + 2]! << 8) | buf[p + 3]!;
      if (payload >= p + tpktLen) {
        // Empty DT (seen between S7comm-plus PDUs): no evidence, look further.
        verdict = Probe.Maybe;
        if (total === TpktFrame.Incomplete) return verdict;
        p += total;
        continue;
      }
      if (payload + 2 > end) return Probe.NeedMore;
      if (buf[payload] !== S7PLUS_PROTOCOL_ID) return Probe.No;
      return isKnownVersion(buf[payload + 1]!) ? Probe.Yes : Probe.No;
    }
    if (type === CotpType.CR || type === CotpType.CC) {
      if (total === TpktFrame.Incomplete) return Probe.NeedMore;
      parseConnectionTpdu(buf, p, total, scratch);
      if (scratch.malformed) return Probe.No;
      if (isSimaticTsap(buf, scratch.dstTsapOff, scratch.dstTsapLen) || isSimaticTsap(buf, scratch.srcTsapOff, scratch.srcTsapLen)) {
        return Probe.Yes;
      }
      // Other TSAPs (classic S7comm's 2-byte ones, MMS) stay undecided until a DT shows the payload.
      verdict = Probe.Maybe;
      p += total;
      continue;
    }
    return Probe.Maybe;
  }
  return verdict;
}
