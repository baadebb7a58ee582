import type { AnalyzerSpec } from '../analyzer.js';
import { probeBacnet } from './probe.js';
import { BacnetSession } from './session.js';

export { probeBacnet } from './probe.js';
export { BacnetSession } from './session.js';

/** BACnet/IP (ASHRAE 135 Annex J) over UDP 47808 (0xBAC0); other BAC0..BACF ports are claimed by content. */
export const bacnetSpec: AnalyzerSpec = {
  name: 'bacnet',
  transports: ['udp'],
  ports: [47808],
  probe: probeBacnet,
  create: (ctx) => new BacnetSession(ctx),
};
