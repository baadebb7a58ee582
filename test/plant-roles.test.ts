/**
 * Issue 5 acceptance (asset intelligence): on a two-minute baseline of the virtual plant every visible ground-truth
 * asset gets its role and Purdue level; precision and recall per role are printed and must reach 95%; no IT host
 * is classed as a controller. Communications carry the IT/OT crossing flags.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simulate } from '../src/sim/index.js';
import { analyzeCaptures } from '../src/engine/analyze.js';
import type { AssetReport } from '../src/report/types.js';
import { validateReport } from '../src/report/validate.js';

interface TruthAsset {
  name: string;
  ips: string[];
  mac: string;
  roles: string[];
  purdueLevel: number;
  zone: string;
  protocols: unknown[];
}

const CONTROLLERS = ['plc', 'rtu', 'ied'];
const IT_ROLES = ['it-server', 'it-workstation'];
const FLOOR = 0.95;

test('virtual plant: roles (precision/recall per role) and Purdue levels are recovered', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'otwatch-roles-'));
  try {
    const capture = join(tmp, 'baseline.pcap');
    const truthPath = join(tmp, 'truth.json');
    await simulate({ out: capture, scenarios: [], durationSec: 120, seed: 7, truthPath, format: 'pcap' });
    const truth = JSON.parse(readFileSync(truthPath, 'utf8')) as { assets: TruthAsset[] };
    const { report } = await analyzeCaptures([capture]);
    assert.deepEqual(validateReport(JSON.parse(JSON.stringify(report))), []);

    const byMac = new Map(report.assets.filter((a) => a.mac).map((a) => [a.mac!, a]));
    const visible = truth.assets.filter((t) => t.protocols.length > 0 || t.roles.includes('network-device'));
    const pairs: Array<[TruthAsset, AssetReport]> = [];
    for (const t of visible) {
      const asset = byMac.get(t.mac);
      assert.ok(asset, `${t.name} (${t.mac}) not in the report`);
      pairs.push([t, asset]);
    }
    const roles = [...new Set(truth.assets.flatMap((t) => t.roles))].sort();
    const failures: string[] = [];
    for (const role of roles) {
      const truthHas = pairs.filter(([t]) => t.roles.includes(role));
      const reportHas = pairs.filter(([, a]) => a.roles.includes(role as never));
      const tp = truthHas.filter(([, a]) => a.roles.includes(role as never)).length;
      const recall = truthHas.length === 0 ? 1 : tp / truthHas.length;
      const precision = reportHas.length === 0 ? (truthHas.length === 0 ? 1 : 0) : tp / reportHas.length;
      console.log(`# ${role.padEnd(24)} precision ${(precision * 100).toFixed(1)}% (${tp}/${reportHas.length})  recall ${(recall * 100).toFixed(1)}% (${tp}/${truthHas.length})`);
      if (recall < FLOOR || precision < FLOOR) {
        failures.push(`${role}: missed ${truthHas.filter(([, a]) => !a.roles.includes(role as never)).map(([t]) => t.name)}, wrongly ${reportHas.filter(([t]) => !t.roles.includes(role)).map(([t]) => t.name)}`);
      }
    }
    const levelMisses = pairs.filter(([t, a]) => a.purdueLevel !== t.purdueLevel).map(([t, a]) => `${t.name}: level ${a.purdueLevel}, truth ${t.purdueLevel}`);
    const levelAccuracy = (pairs.length - levelMisses.length) / pairs.length;
    console.log(`# purdue level: ${(levelAccuracy * 100).toFixed(1)}% (${pairs.length - levelMisses.length}/${pairs.length})`);
    for (const m of levelMisses) console.log(`#   ${m}`);
    assert.deepEqual(failures, []);
    assert.ok(levelAccuracy >= FLOOR, levelMisses.join('\n'));

    // No IT host is a controller; every asset explains its roles.
    for (const [t, a] of pairs) {
      if (t.roles.some((r) => IT_ROLES.includes(r))) assert.ok(!a.roles.some((r) => CONTROLLERS.includes(r)), `${t.name} classed as ${a.roles}`);
      for (const d of a.roleDetails) if (d.role !== 'unknown') assert.ok(d.reasons.length > 0 && d.confidence > 0, `${t.name}: ${JSON.stringify(d)}`);
      assert.deepEqual(a.roles, a.roleDetails.map((d) => d.role));
      assert.equal(a.purdueInferred, true);
      assert.equal(a.zoneInferred, true);
    }
    // Office workstations browse the Internet; the HMIs polling cell PLCs stay within OT.
    const office = pairs.filter(([t]) => t.roles.includes('it-workstation')).map(([, a]) => a.id);
    assert.ok(report.communications.some((c) => office.includes(c.src) && c.internet && c.dstLevel === 5));
    const hmiIds = pairs.filter(([t]) => t.roles.includes('hmi')).map(([, a]) => a.id);
    const hmiComms = report.communications.filter((c) => hmiIds.includes(c.src) && c.transport !== 'ethernet');
    assert.ok(hmiComms.length > 0);
    for (const c of hmiComms) assert.equal(c.crossesItOt, false, `${c.src} → ${c.dst} ${c.protocol}`);
    // The historian (level 3) reads PLCs (level 1) directly: that skips level 2.
    const hist = pairs.find(([t]) => t.roles.includes('historian'))![1];
    assert.ok(report.communications.some((c) => c.src === hist.id && c.dstLevel === 1 && c.skipsLevels));
    // Windows hosts are recognised as such (DHCP, HTTP User-Agent or TTL).
    for (const [t, a] of pairs) if (t.name.startsWith('office-')) assert.equal(a.os?.family, 'windows', `${t.name}: ${JSON.stringify(a.os)}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
