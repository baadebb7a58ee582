/** ot.configuration-change: device configuration set over the network (PROFINET DCP Set, IP/name change). */
import type { RuleFactory } from '../types.js';
import { otOperationRule } from './common.js';

export const otConfigurationChange: RuleFactory = (ctx) => otOperationRule(ctx, {
  meta: {
    id: 'ot.configuration-change',
    title: 'Device configuration changed',
    category: 'ot-operation',
    severity: 'medium',
    mitre: { ics: ['T0836', 'T0855'] },
    explanation: 'A device\'s network or identity configuration (IP address, station name, parameters) was set over the network. A wrong address or name takes the device off its controller.',
    recommendation: 'Check that commissioning or maintenance was under way; verify the device\'s current address and name.',
  },
  kinds: ['configuration'],
  trusted: 'low',
  untrusted: 'medium',
  trust: 'engineering',
  discriminator: (e) => e.codeName,
  record: (d, e) => {
    if (d.count === 1 && e.detail) d.details.setting = e.detail;
    if (d.count === 1 && e.object) d.details.object = e.object;
  },
});
