import type { AnalyzerSpec } from '../analyzer.js';
import { probeTls } from './parser.js';
import { TlsSession } from './session.js';

export { TlsSession, DEFAULT_TLS_OPTIONS, type TlsOptions } from './session.js';
export { ja4, ja4s } from './ja4.js';

/**
 * TLS on any port by content (a ClientHello/ServerHello record); other record types are a Maybe that the
 * well-known TLS ports decide. S7comm-plus and OPC UA over TLS are claimed by their own analyzers first.
 */
export const tlsSpec: AnalyzerSpec = {
  name: 'tls',
  transports: ['tcp'],
  ports: [443, 465, 636, 853, 990, 993, 995, 3269, 5061, 5986, 8443],
  probe: probeTls,
  create: (ctx) => new TlsSession(ctx),
};
