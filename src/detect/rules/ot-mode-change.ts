/** ot.mode-change: a controller told to stop, run or change its operating mode. */
import type { RuleFactory } from '../types.js';
import { otOperationRule } from './common.js';

export const otModeChange: RuleFactory = (ctx) => otOperationRule(ctx, {
  meta: {
    id: 'ot.mode-change',
    title: 'Controller operating mode changed (stop/run)',
    category: 'ot-operation',
    severity: 'high',
    mitre: { ics: ['T0858', 'T0881', 'T0816'] },
    explanation: 'A request to change a controller\'s operating mode (e.g. STOP or RUN) was sent. Stopping a controller halts the process it controls.',
    recommendation: 'Confirm with operations that the mode change was planned and made from the engineering workstation; if not, isolate the source and check the controller\'s state and program.',
  },
  kinds: ['mode-change'],
  trusted: 'medium',
  untrusted: 'high',
  levels: (d) => (d.details.mode === 'stop' ? ['high', 'critical'] : ['medium', 'high']),
  trust: 'engineering',
  // Modbus force-listen-only is reported by ot.diagnostics-abuse.
  accept: (e) => !(e.protocol === 'modbus' && e.code === 8),
  discriminator: (e) => e.detail ?? e.codeName,
  record: (d, e) => {
    if (d.count === 1) d.details.mode = e.detail ?? e.codeName;
  },
});
