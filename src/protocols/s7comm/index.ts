/**
 * S7comm (Siemens S7 over ISO-on-TCP: TPKT / COTP / S7comm), TCP port 102. See docs/protocols/s7comm.md.
 */
import type { AnalyzerContext, AnalyzerSpec, FlowAnalyzer } from '../analyzer.js';
import { probeS7comm } from './probe.js';
import { S7commFlow, type S7commOptions } from './session.js';

export { S7commFlow, type S7commOptions } from './session.js';
export { probeS7comm } from './probe.js';

export function createS7commAnalyzer(ctx: AnalyzerContext, opts?: S7commOptions): FlowAnalyzer {
  return new S7commFlow(ctx, opts);
}

export const s7commSpec: AnalyzerSpec = {
  name: 's7comm',
  transports: ['tcp'],
  ports: [102],
  probe: probeS7comm,
  create: (ctx: AnalyzerContext) => new S7commFlow(ctx),
};
