/** ot.restart: device restart or reset (DNP3 cold/warm restart, CIP reset, BACnet reinitialize, Modbus restart). */
import type { RuleFactory } from '../types.js';
import { otOperationRule } from './common.js';

export const otRestart: RuleFactory = (ctx) => otOperationRule(ctx, {
  meta: {
    id: 'ot.restart',
    title: 'Device restart or reset',
    category: 'ot-operation',
    severity: 'critical',
    mitre: { ics: ['T0816', 'T0814'] },
    explanation: 'A restart/reset was requested from a field device. The device stops controlling or reporting while it restarts; a cold restart also clears its state.',
    recommendation: 'Confirm the restart with operations; if unplanned, find out why the source sent it and check the device came back with the right configuration.',
  },
  kinds: ['restart'],
  trusted: 'high',
  untrusted: 'critical',
  trust: 'engineering',
  // Modbus FC 8 sub-function 1 (restart communications) is reported by ot.diagnostics-abuse.
  accept: (e) => !(e.protocol === 'modbus' && e.code === 8),
  discriminator: (e) => e.detail ?? e.codeName,
  record: (d, e) => {
    if (d.count === 1 && e.detail) d.details.restart = e.detail;
  },
});
