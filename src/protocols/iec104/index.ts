import type { AnalyzerSpec } from '../analyzer.js';
import { probeIec104 } from './probe.js';
import { Iec104Session } from './session.js';

export const iec104Spec: AnalyzerSpec = {
  name: 'iec104',
  transports: ['tcp'],
  ports: [2404],
  probe: probeIec104,
  create: (ctx) => new Iec104Session(ctx),
};
