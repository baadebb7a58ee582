import { Probe, type AnalyzerSpec } from '../analyzer.js';
import { Dhcpv6Session } from './session.js';

export { Dhcpv6Session, duidMac, dhcpv6MessageName } from './session.js';

const MAX_PROBE_OPTIONS = 64;

/**
 * DHCPv6 on one datagram: a defined message type whose options (after the 4-octet header, or the 34-octet
 * relay header) form a TLV chain ending exactly at the datagram's end and include a client/server identifier
 * or a relayed message.
 */
export function probeDhcpv6(buf: Buffer, off: number, len: number): Probe {
  if (len < 8) return Probe.No;
  const type = buf[off]!;
  if (type < 1 || type > 13) return Probe.No;
  const relay = type === 12 || type === 13;
  let p = off + (relay ? 34 : 4);
  const end = off + len;
  if (p + 4 > end) return Probe.No;
  let identified = false;
  for (let n = 0; p < end; n++) {
    if (n >= MAX_PROBE_OPTIONS || p + 4 > end) return Probe.No;
    const code = buf.readUInt16BE(p);
    const olen = buf.readUInt16BE(p + 2);
    if (p + 4 + olen > end) return Probe.No;
    if (code === 1 || code === 2 || (relay && code === 9)) identified = true;
    p += 4 + olen;
  }
  return identified ? Probe.Yes : Probe.No;
}

/** DHCPv6 (RFC 8415): clients on UDP 546, servers and relay agents on 547. */
export const dhcpv6Spec: AnalyzerSpec = {
  name: 'dhcpv6',
  transports: ['udp'],
  ports: [547, 546],
  probe: probeDhcpv6,
  create: (ctx) => new Dhcpv6Session(ctx),
};
