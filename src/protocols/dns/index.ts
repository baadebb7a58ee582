import type { AnalyzerSpec } from '../analyzer.js';
import { probeDnsTcp, probeDnsUdp } from './probe.js';
import { DnsSession } from './session.js';

export { probeDnsTcp, probeDnsUdp, probeDnsMessage } from './probe.js';
export { DnsSession, DEFAULT_DNS_LIMITS, type DnsFlavor, type DnsLimits } from './session.js';

/** DNS over UDP 53 (RFC 1035). */
export const dnsUdpSpec: AnalyzerSpec = {
  name: 'dns',
  transports: ['udp'],
  ports: [53],
  probe: probeDnsUdp,
  create: (ctx) => new DnsSession(ctx, 'dns', false),
};

/** DNS over TCP 53: each message behind a 2-octet length (RFC 1035 §4.2.2, RFC 7766). */
export const dnsTcpSpec: AnalyzerSpec = {
  name: 'dns',
  transports: ['tcp'],
  ports: [53],
  probe: probeDnsTcp,
  create: (ctx) => new DnsSession(ctx, 'dns', true),
};

/** Multicast DNS (RFC 6762), UDP 5353: the DNS message format; responders announce their own names. */
export const mdnsSpec: AnalyzerSpec = {
  name: 'mdns',
  transports: ['udp'],
  ports: [5353],
  probe: probeDnsUdp,
  create: (ctx) => new DnsSession(ctx, 'mdns', false),
};

/** Link-Local Multicast Name Resolution (RFC 4795), UDP 5355. */
export const llmnrSpec: AnalyzerSpec = {
  name: 'llmnr',
  transports: ['udp'],
  ports: [5355],
  probe: probeDnsUdp,
  create: (ctx) => new DnsSession(ctx, 'llmnr', false),
};
