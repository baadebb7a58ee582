import type { AnalyzerSpec } from '../analyzer.js';
import { NbdgmSession } from './nbdgm.js';
import { NbnsSession } from './nbns.js';
import { probeNbdgm, probeNbns } from './probe.js';

export { probeNbdgm, probeNbns } from './probe.js';
export { NbnsSession } from './nbns.js';
export { NbdgmSession } from './nbdgm.js';

/** NetBIOS name service (RFC 1002 §4.2), UDP 137. */
export const nbnsSpec: AnalyzerSpec = {
  name: 'nbns',
  transports: ['udp'],
  ports: [137],
  probe: probeNbns,
  create: (ctx) => new NbnsSession(ctx),
};

/** NetBIOS datagram service (RFC 1002 §4.4), UDP 138, with the browser protocol's mailslot messages. */
export const nbdgmSpec: AnalyzerSpec = {
  name: 'nbdgm',
  transports: ['udp'],
  ports: [138],
  probe: probeNbdgm,
  create: (ctx) => new NbdgmSession(ctx),
};
