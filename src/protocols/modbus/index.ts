/** Modbus/TCP analyzer (with Schneider UMAS over FC 90): the reference implementation of AnalyzerSpec. */
import type { AnalyzerContext, AnalyzerSpec, FlowAnalyzer } from '../analyzer.js';
import { probeModbus } from './probe.js';
import { ModbusSession } from './session.js';

export const modbusSpec: AnalyzerSpec = {
  name: 'modbus',
  transports: ['tcp'],
  ports: [502],
  probe: probeModbus,
  create(ctx: AnalyzerContext): FlowAnalyzer {
    return new ModbusSession(ctx);
  },
};

export { probeModbus } from './probe.js';
export { ModbusSession } from './session.js';
