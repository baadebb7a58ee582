/** ot.program-download: logic or configuration written to a controller. */
import type { RuleFactory } from '../types.js';
import { addBytes, otOperationRule } from './common.js';

export const otProgramDownload: RuleFactory = (ctx) => otOperationRule(ctx, {
  meta: {
    id: 'ot.program-download',
    title: 'Program download to a controller',
    category: 'ot-operation',
    severity: 'critical',
    mitre: { ics: ['T0843', 'T0821'] },
    explanation: 'Control logic was downloaded to a controller, replacing or extending the program that runs the process.',
    recommendation: 'Verify against the change log that the download was authorised; compare the controller\'s program with the approved version and keep the evidence frames.',
  },
  kinds: ['program-download'],
  trusted: 'medium',
  untrusted: 'critical',
  trust: 'engineering',
  record: addBytes,
});
