/** ot.firmware-update: firmware sent to a device. */
import type { RuleFactory } from '../types.js';
import { addBytes, otOperationRule } from './common.js';

export const otFirmwareUpdate: RuleFactory = (ctx) => otOperationRule(ctx, {
  meta: {
    id: 'ot.firmware-update',
    title: 'Firmware update of a device',
    category: 'ot-operation',
    severity: 'critical',
    mitre: { ics: ['T0857', 'T0839'] },
    explanation: 'Firmware was transferred to a field device. Malicious firmware gives an attacker persistent, hidden control of the device.',
    recommendation: 'Verify the firmware version and signature on the device against the vendor release and the maintenance plan.',
  },
  kinds: ['firmware-update'],
  trusted: 'high',
  untrusted: 'critical',
  trust: 'engineering',
  record: addBytes,
});
