import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Detector, alertId } from './engine.js';
import { op, plcModel } from './test-support.js';
import type { Rule, RuleFactory } from './types.js';

const write = (src: string) => op({ protocol: 'modbus', kind: 'write', codeName: 'write_single_register' }, src, '10.0.0.10');

test('rule selection by id and by prefix', () => {
  assert.deepEqual(new Detector({ rules: ['ot.restart'] }).rules.map((r) => r.meta.id), ['ot.restart']);
  const ot = new Detector({ rules: ['ot.'] }).rules.map((r) => r.meta.id);
  assert.ok(ot.length >= 10 && ot.every((id) => id.startsWith('ot.')));
  assert.ok(new Detector().rules.length >= 28);
});

test('dispatch: a rule sees only the kinds and protocols it subscribed to', () => {
  const seen: string[] = [];
  const spy: RuleFactory = () => ({
    meta: { id: 'test.spy', title: 't', category: 'ot-operation', severity: 'low', mitre: {}, explanation: 'e', recommendation: 'r' },
    subscribe: { operations: { kinds: ['write'], protocols: ['modbus'] } },
    onOperation: (e) => void seen.push(`${e.protocol}/${e.kind}`),
  } satisfies Rule);
  const d = new Detector({}, [spy]);
  d.onEvent(write('10.0.0.5'), 'f');
  d.onEvent(op({ protocol: 'modbus', kind: 'read', codeName: 'read_coils' }), 'f');
  d.onEvent(op({ protocol: 'cip', kind: 'write', codeName: 'write_tag' }), 'f');
  assert.deepEqual(seen, ['modbus/write']);
});

test('aggregation: one alert per key with count, first/last time, bounded evidence; stable ids; minSeverity filter', () => {
  const d = new Detector({ rules: ['ot.control-command'], maxEvidence: 3 });
  const events = [write('10.0.0.66'), write('10.0.0.66'), write('10.0.0.66'), write('10.0.0.66'), write('10.0.0.5')];
  for (const e of events) d.onEvent(e, 'cap.pcap');
  const alerts = d.finish(plcModel());
  assert.equal(alerts.length, 2);
  const rogue = alerts.find((a) => a.source?.ip === '10.0.0.66')!;
  assert.equal(rogue.count, 4);
  assert.equal(rogue.evidence.length, 3);
  assert.equal(rogue.evidenceOmitted, 1);
  assert.equal(rogue.evidence[0]!.file, 'cap.pcap');
  assert.equal(rogue.evidence[0]!.frame, events[0]!.frame);
  assert.match(rogue.evidence[0]!.summary, /modbus write_single_register 10\.0\.0\.66:50000 → 10\.0\.0\.10:502/);
  assert.ok(rogue.firstSeen < rogue.lastSeen);
  assert.equal(rogue.status, 'new');
  assert.equal(rogue.id, alertId('ot.control-command', '10.0.0.66|10.0.0.10|modbus'));
  assert.equal(alerts[0]!.severity, 'high'); // sorted: severity first
  const quiet = new Detector({ rules: ['ot.control-command'], minSeverity: 'low' });
  for (const e of events) quiet.onEvent(e, 'cap.pcap');
  assert.deepEqual(quiet.finish(plcModel()).map((a) => a.source?.ip), ['10.0.0.66']);
  assert.throws(() => d.finish(plcModel()), /twice/);
});

test('the per-rule draft cap drops further keys and counts them', () => {
  const d = new Detector({ rules: ['ot.control-command'], maxAlertsPerRule: 2 });
  for (const src of ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4']) d.onEvent(write(src), 'f');
  assert.equal(d.finish(plcModel()).length, 2);
  assert.equal(d.counters['ot.control-command.alerts-cap'], 2);
});

test('dispatch: result filters, many interleaved combinations, and baseline-only rules without a baseline', () => {
  const seen: string[] = [];
  const meta = { title: 't', category: 'ot-operation', severity: 'low', mitre: {}, explanation: 'e', recommendation: 'r' } as const;
  const onlyExceptions: RuleFactory = () => ({
    meta: { id: 'test.exceptions', ...meta },
    subscribe: { operations: { results: ['exception'] } },
    onOperation: (e) => void seen.push(`x:${e.protocol}/${e.kind}/${e.result}`),
  });
  const everything: RuleFactory = () => ({
    meta: { id: 'test.all', ...meta },
    subscribe: { operations: {} },
    onOperation: (e) => void seen.push(`a:${e.protocol}/${e.kind}/${e.result}`),
  });
  let baselineCalls = 0;
  const baselineOnly: RuleFactory = (ctx) => ({
    meta: { id: 'test.baseline', ...meta },
    subscribe: { operations: {}, flows: true, baselineOnly: true },
    onOperation: (e) => {
      baselineCalls++;
      assert.notEqual(ctx.checkAt(e.ts), null);
    },
    onFlow: () => void baselineCalls++,
  });
  const d = new Detector({}, [onlyExceptions, everything, baselineOnly]);
  const protocols = ['modbus', 'cip', 's7comm', 'dnp3', 'iec104', 'bacnet', 'opcua', 'dns', 'tls', 'smb'] as const;
  const results = ['ok', 'exception', 'no-response', 'unknown'] as const;
  const want: string[] = [];
  // More live combinations than the engine remembers, revisited in a different order.
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < protocols.length * results.length; i++) {
      const protocol = protocols[(i * (round + 1)) % protocols.length]!;
      const result = results[(i + round) % results.length]!;
      const kind = i % 3 === 0 ? 'write' : 'read';
      d.onEvent(op({ protocol, kind, codeName: 'c', result }), 'f');
      if (result === 'exception') want.push(`x:${protocol}/${kind}/${result}`);
      want.push(`a:${protocol}/${kind}/${result}`);
    }
  }
  d.onFlowEnd({ clientIp: '10.0.0.1', serverIp: '10.0.0.2', serverPort: 502, transport: 'tcp', protocol: 'modbus', firstSeen: 1 }, 'f');
  assert.deepEqual(seen, want);
  assert.equal(baselineCalls, 0);
  // With a baseline (here: learning one) the baseline-only rule is called again.
  const learning = new Detector({ learn: { windowSec: 0 } }, [baselineOnly]);
  learning.onEvent(op({ protocol: 'modbus', kind: 'read', codeName: 'c' }), 'f');
  assert.equal(baselineCalls, 1);
});
