/**
 * S7comm-plus (Siemens S7-1200/1500, TIA Portal) over ISO-on-TCP, TCP port 102. See docs/protocols/s7comm-plus.md.
 */
import type { AnalyzerContext, AnalyzerSpec } from '../analyzer.js';
import { probeS7commPlus } from './probe.js';
import { S7commPlusFlow } from './session.js';

export { S7commPlusFlow, type S7commPlusOptions } from './session.js';
export { probeS7commPlus } from './probe.js';

export const s7commPlusSpec: AnalyzerSpec = {
  name: 's7comm-plus',
  transports: ['tcp'],
  ports: [102],
  probe: probeS7commPlus,
  create: (ctx: AnalyzerContext) => new S7commPlusFlow(ctx),
};
