import { Probe } from '../analyzer.js';
import { DEFAULT_OPTIONS } from './session.js';
import { MsgType, checkHeader, messageTypeOf } from './parser.js';

/**
 * A UACP message header at the start of the stream: one of the seven message types, a chunk type allowed for
 * it and a size within bounds. A connection normally opens with HEL (or RHE for reverse connect) and the peer
 * answers ACK/ERR: those are a strong match; a flow picked up mid-way starting with OPN/MSG/CLO is too, as
 * the 4 letters plus a bounded size rarely occur by chance.
 */
export function probeOpcua(buf: Buffer, off: number, len: number): Probe {
  const size = checkHeader(buf, off, len, DEFAULT_OPTIONS.maxMessageBytes);
  if (size < 0) return Probe.No;
  if (size === 0) return Probe.NeedMore;
  const type = messageTypeOf(buf, off);
  if (type === MsgType.HEL || type === MsgType.RHE || type === MsgType.ACK) {
    // These carry their whole body in the first segment in practice: a length that disagrees is not UACP.
    return len >= size ? Probe.Yes : Probe.Maybe;
  }
  return Probe.Yes;
}
