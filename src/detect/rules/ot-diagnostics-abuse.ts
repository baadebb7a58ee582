/**
 * ot.diagnostics-abuse: Modbus diagnostics that change the device rather than read it — force listen-only
 * (FC 8/4: the device stops answering), restart communications (FC 8/1), clear counters/logs (FC 8/10, 8/20) —
 * and any diagnostics from a host that is not the device's master.
 */
import type { RuleFactory } from '../types.js';
import { otOperationRule } from './common.js';

/** FC 8 sub-functions that change device behaviour or erase its records. */
const DISRUPTIVE: Record<number, string> = {
  1: 'restart communications', 4: 'force listen-only mode', 10: 'clear counters and diagnostic register', 20: 'clear overrun counter',
};

export const otDiagnosticsAbuse: RuleFactory = (ctx) => {
  const rule = otOperationRule(ctx, {
    meta: {
      id: 'ot.diagnostics-abuse',
      title: 'Modbus diagnostics abuse (listen-only, restart, clear counters)',
      category: 'ot-operation',
      severity: 'high',
      mitre: { ics: ['T0814', 'T0816', 'T0872'] },
      explanation: 'Modbus diagnostic functions were used to change the device: force listen-only stops it answering its master, restart communications resets it, clearing counters erases the traces.',
      recommendation: 'Check that the device answers its master again; find and isolate the host that sent the diagnostics.',
    },
    kinds: ['diagnostics', 'mode-change', 'restart'],
    protocols: ['modbus'],
    trusted: 'medium',
    untrusted: 'high',
    trust: 'master',
    accept: (e) => e.code === 8 && e.subCode !== undefined && DISRUPTIVE[e.subCode] !== undefined,
    discriminator: (e) => String(e.subCode),
    record: (d, e) => {
      if (d.count === 1) d.details.sub_function = DISRUPTIVE[e.subCode!]!;
    },
  });
  const assess = rule.assess!;
  rule.assess = (d, model) => {
    assess(d, model);
    // Listen-only takes the device off the network whoever sends it.
    if (d.details.sub_function === 'force listen-only mode') d.severity = d.details.trusted_source ? 'high' : 'critical';
  };
  return rule;
};
