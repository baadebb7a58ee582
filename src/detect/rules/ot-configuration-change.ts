/**
 * ot.configuration-change: device configuration set over the network (PROFINET DCP Set, IP/name change), and a
 * controller's clock set (CIP Time Sync set_attribute, S7 set clock): time-stamped events, schedules and
 * certificate checks follow the clock.
 */
import type { RuleFactory } from '../types.js';
import { otOperationRule } from './common.js';

/**
 * Protocols whose masters set the outstation clock as routine (DNP3 write g50, IEC 104 C_CS_NA_1, BACnet
 * time-synchronization broadcasts): reporting those would flag every healthy poll cycle.
 */
const ROUTINE_CLOCK_SYNC: ReadonlySet<string> = new Set(['dnp3', 'iec104', 'bacnet']);

export const otConfigurationChange: RuleFactory = (ctx) => otOperationRule(ctx, {
  meta: {
    id: 'ot.configuration-change',
    title: 'Device configuration changed',
    category: 'ot-operation',
    severity: 'medium',
    mitre: { ics: ['T0836', 'T0855'] },
    explanation: 'A device\'s network or identity configuration (IP address, station name, parameters) or its clock was set over the network. A wrong address or name takes the device off its controller; a wrong clock corrupts event time stamps and schedules.',
    recommendation: 'Check that commissioning or maintenance was under way; verify the device\'s current address and name.',
  },
  kinds: ['configuration', 'time-sync'],
  // time-sync: only setting the clock (never reading it), and not the routine master sync of telecontrol protocols
  // S7comm-plus: every HMI/TIA session sets attributes of its own ServerSession object while connecting.
  accept: (e) => !(e.protocol === 's7comm-plus' && e.object === 'ServerSession') &&
    (e.kind !== 'time-sync' || (!ROUTINE_CLOCK_SYNC.has(e.protocol) && /(^|_)(set|write)/.test(e.codeName))),
  trusted: 'low',
  untrusted: 'medium',
  trust: 'engineering',
  discriminator: (e) => e.codeName,
  record: (d, e) => {
    if (d.count === 1 && e.detail) d.details.setting = e.detail;
    if (d.count === 1 && e.object) d.details.object = e.object;
  },
});
