import type { AnalyzerSpec } from '../analyzer.js';
import { probeOpcua } from './probe.js';
import { OpcuaSession } from './session.js';

export { OpcuaSession, DEFAULT_OPTIONS, type OpcuaOptions } from './session.js';
export { probeOpcua } from './probe.js';

export const opcuaSpec: AnalyzerSpec = {
  name: 'opcua',
  transports: ['tcp'],
  ports: [4840],
  probe: probeOpcua,
  create: (ctx) => new OpcuaSession(ctx),
};
