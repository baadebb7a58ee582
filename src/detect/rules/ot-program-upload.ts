/** ot.program-upload: logic pulled from a controller (reconnaissance or theft of the process know-how). */
import type { RuleFactory } from '../types.js';
import { addBytes, otOperationRule } from './common.js';

export const otProgramUpload: RuleFactory = (ctx) => otOperationRule(ctx, {
  meta: {
    id: 'ot.program-upload',
    title: 'Program upload from a controller',
    category: 'ot-operation',
    severity: 'high',
    mitre: { ics: ['T0845', 'T0882'] },
    explanation: 'The control program was read out of a controller. Attackers upload programs to learn the process before changing it, or to steal it.',
    recommendation: 'Confirm the upload was made by an engineer for a backup or a change; otherwise treat the source as compromised and check where the program went next.',
  },
  kinds: ['program-upload'],
  trusted: 'low',
  untrusted: 'high',
  trust: 'engineering',
  record: addBytes,
});
