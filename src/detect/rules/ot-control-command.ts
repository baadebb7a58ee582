/** ot.control-command: writes and commands (Modbus/UMAS/CIP/S7 writes, DNP3 operate, IEC 104 commands). */
import type { RuleFactory } from '../types.js';
import { otOperationRule } from './common.js';

export const otControlCommand: RuleFactory = (ctx) => otOperationRule(ctx, {
  meta: {
    id: 'ot.control-command',
    title: 'Control command or write to a controller',
    category: 'ot-operation',
    severity: 'info',
    mitre: { ics: ['T0855', 'T0836', 'T0831'] },
    explanation: 'Process values were written or control commands sent to a controller.',
    recommendation: 'Writes from the controller\'s own HMI/SCADA are normal. From any other host, confirm who sent them and check the written points and the process state.',
  },
  kinds: ['write', 'control'],
  trusted: 'info',
  untrusted: 'high',
  trust: 'master',
  record: (d, e) => {
    if (d.count === 1) {
      if (e.object !== undefined) d.details.first_object = e.object;
      if (e.address !== undefined) d.details.first_address = e.address;
    }
  },
});
