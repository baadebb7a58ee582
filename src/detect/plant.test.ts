/**
 * Acceptance on the virtual plant: every incident scenario raises its expected alert (rule id, source and
 * target from the truth file), and the baseline alone raises nothing above low. The zones come from the
 * truth's address plan (the zones file a site would supply); conduits are not given (the truth records the
 * incidents' traffic as conduits too).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listScenarios, simulate } from '../sim/index.js';
import { analyzeCaptures } from '../engine/analyze.js';
import type { AlertParty, AlertReport } from '../report/types.js';
import { Detector } from './engine.js';
import type { ZoneDef } from './types.js';
import { severityRank } from './model.js';
import { validateReport } from '../report/validate.js';

interface Truth {
  assets: Array<{ name: string; ips: string[]; mac: string; zone: string; purdueLevel: number }>;
  incidents: Array<{ scenario: string; source: string; sourceIp: string; target: string; targetIp: string; expectedAlert: { ruleId: string } }>;
}

const tmp = mkdtempSync(join(tmpdir(), 'otwatch-detect-'));
const AVAILABLE = listScenarios().filter((s) => s.available && s.name !== 'baseline').map((s) => s.name);

function zonesOf(truth: Truth): ZoneDef[] {
  const zones = new Map<string, { cidrs: Set<string>; level: number }>();
  for (const a of truth.assets) {
    let z = zones.get(a.zone);
    if (!z) zones.set(a.zone, (z = { cidrs: new Set(), level: a.purdueLevel }));
    for (const ip of a.ips) z.cidrs.add(ip.replace(/\.\d+$/, '.0/24'));
  }
  return [...zones].map(([name, z]) => ({ name, cidrs: [...z.cidrs], purdueLevel: z.level }));
}

async function detect(scenarios: string[], seed: number): Promise<{ truth: Truth; alerts: AlertReport[]; errors: string[] }> {
  const capture = join(tmp, `${scenarios.length ? 'incidents' : 'baseline'}.pcap`);
  const truthPath = `${capture}.json`;
  await simulate({ out: capture, scenarios, durationSec: 60, seed, truthPath, format: 'pcap' });
  const truth = JSON.parse(readFileSync(truthPath, 'utf8')) as Truth;
  const detector = new Detector({ zones: zonesOf(truth) });
  const { report } = await analyzeCaptures([capture], {
    onEvent: (e, file) => detector.onEvent(e, file),
    onFlowEnd: (f, file) => detector.onFlowEnd(f, file),
  });
  const alerts = detector.finish(report);
  // The report with its alerts must satisfy docs/report.schema.json.
  return { truth, alerts, errors: validateReport({ ...report, alerts }) };
}

function sameHost(p: AlertParty | null, ip: string, mac: string | undefined): boolean {
  return p !== null && (p.ip === ip || (mac !== undefined && p.mac === mac));
}

test('every incident scenario raises its expected alert with the truth source and target', async () => {
  const { truth, alerts, errors } = await detect(AVAILABLE, 11);
  assert.deepEqual(errors, []);
  const macOf = new Map(truth.assets.map((a) => [a.name, a.mac]));
  assert.ok(truth.incidents.length >= AVAILABLE.length);
  const missing: string[] = [];
  for (const inc of truth.incidents) {
    const hit = alerts.find((a) => a.ruleId === inc.expectedAlert.ruleId &&
      sameHost(a.source, inc.sourceIp, macOf.get(inc.source)) && sameHost(a.target, inc.targetIp, macOf.get(inc.target)));
    if (!hit) missing.push(`${inc.scenario}: ${inc.expectedAlert.ruleId} ${inc.source} → ${inc.target}`);
    else {
      assert.ok(hit.evidence.length > 0, `${inc.scenario}: evidence`);
      // Every evidence line points at a frame, flow-based ones (scans, exposure) at the flow's first frame.
      for (const ev of hit.evidence) assert.ok(typeof ev.frame === 'number' && ev.frame > 0, `${inc.scenario}: evidence frame ${ev.summary}`);
      assert.ok(hit.explanation.length > 0 && hit.recommendation.length > 0);
    }
  }
  for (const a of alerts) console.log(`# ${a.severity.padEnd(8)} ${a.ruleId.padEnd(24)} ×${a.count} ${a.source?.name ?? a.source?.ip} → ${a.target?.name ?? a.target?.ip ?? '-'}`);
  assert.deepEqual(missing, []);
});

test('the baseline alone raises no alert above low', async () => {
  const { alerts, errors } = await detect([], 12);
  assert.deepEqual(errors, []);
  const loud = alerts.filter((a) => severityRank(a.severity) > severityRank('low'));
  assert.deepEqual(loud.map((a) => `${a.severity} ${a.ruleId} ${a.source?.ip} → ${a.target?.ip}: ${a.explanation}`), []);
});
