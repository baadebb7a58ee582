/** ot.program-modify: blocks inserted into or deleted from a running program. */
import type { RuleFactory } from '../types.js';
import { otOperationRule } from './common.js';

export const otProgramModify: RuleFactory = (ctx) => otOperationRule(ctx, {
  meta: {
    id: 'ot.program-modify',
    title: 'Controller program modified',
    category: 'ot-operation',
    severity: 'critical',
    mitre: { ics: ['T0889', 'T0843'] },
    explanation: 'Program blocks were inserted into or deleted from a controller\'s program.',
    recommendation: 'Check the change against the approved program version and the change log; restore the approved program if the change is unexplained.',
  },
  kinds: ['program-modify'],
  trusted: 'medium',
  untrusted: 'critical',
  trust: 'engineering',
  discriminator: (e) => e.detail ?? e.codeName,
});
