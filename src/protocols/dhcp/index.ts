import { Probe, type AnalyzerSpec } from '../analyzer.js';
import { isDhcp } from './parser.js';
import { DhcpSession } from './session.js';

export { DhcpSession, parameterList } from './session.js';
export { ExchangeTable, sharedExchanges, DEFAULT_EXCHANGE_LIMITS, type ExchangeLimits } from './exchanges.js';
export { osFromParameterList, osFromVendorClass } from './fingerprint.js';

/** BOOTP op 1/2 with the DHCP magic cookie (RFC 2131 §3): a content match whatever the ports. */
export function probeDhcp(buf: Buffer, off: number, len: number): Probe {
  return isDhcp(buf, off, len) ? Probe.Yes : Probe.No;
}

/** DHCP (RFC 2131) over UDP 67 (server) / 68 (client). */
export const dhcpSpec: AnalyzerSpec = {
  name: 'dhcp',
  transports: ['udp'],
  ports: [67, 68],
  probe: probeDhcp,
  create: (ctx) => new DhcpSession(ctx),
};
