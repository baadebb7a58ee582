/**
 * Issue 3 acceptance: analysing a `baseline` capture of the virtual plant recovers every ground-truth asset
 * that the analyzers can see, with the right IPs, MAC, vendor, role and protocols. Prints precision and recall.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simulate } from '../src/sim/index.js';
import { analyzeCaptures } from '../src/engine/analyze.js';
import { registry } from './support/analyzers.js';
import type { AssetReport } from '../src/report/types.js';

interface TruthAsset {
  name: string;
  ips: string[];
  mac: string | null;
  vendor: string;
  model: string | null;
  firmware: string | null;
  roles: string[];
  protocols: Array<{ name: string; role: string; port: number }>;
}

/** Roles the inventory infers (src/model/roles.ts): every role the plant's truth uses. */
const INFERRED_ROLES = new Set([
  'plc', 'rtu', 'ied', 'hmi', 'engineering-workstation', 'historian', 'scada-server', 'opc-server', 'network-device',
  'it-server', 'it-workstation',
]);
/** Protocols that carry a device's model and firmware on the wire (DNP3 and IEC 104 do not). */
const IDENTITY_PROTOCOLS = new Set(['modbus', 's7comm', 'enip', 'bacnet', 'profinet-dcp']);

const tmp = mkdtempSync(join(tmpdir(), 'otwatch-plant-'));

test('baseline plant: every visible ground-truth asset is recovered with its identity', async () => {
  const capture = join(tmp, 'baseline.pcap');
  const truthPath = join(tmp, 'truth.json');
  await simulate({ out: capture, scenarios: [], durationSec: 60, seed: 42, truthPath, format: 'pcap' });
  const truth = JSON.parse(readFileSync(truthPath, 'utf8')) as { assets: TruthAsset[] };
  const { report } = await analyzeCaptures([capture]);
  const analyzed = registry();

  const byMac = new Map(report.assets.filter((a) => a.mac).map((a) => [a.mac!, a]));
  const byIp = new Map<string, AssetReport>();
  for (const a of report.assets) for (const ip of a.ips) byIp.set(ip, a);

  let found = 0;
  const misses: string[] = [];
  const checks = { ips: [0, 0], vendor: [0, 0], model: [0, 0], firmware: [0, 0], role: [0, 0], protocols: [0, 0] };
  const score = (k: keyof typeof checks, ok: boolean, what: string) => {
    checks[k][1]++;
    if (ok) checks[k][0]++;
    else misses.push(what);
  };
  const visible = truth.assets.filter((t) => t.protocols.length > 0 || t.roles.includes('network-device'));
  for (const t of truth.assets.filter((a) => !visible.includes(a))) console.log(`# not in the capture (no traffic generated): ${t.name}`);
  for (const t of visible) {
    const asset = (t.mac && byMac.get(t.mac)) || t.ips.map((ip) => byIp.get(ip)).find(Boolean);
    if (!asset) {
      misses.push(`${t.name}: not found`);
      continue;
    }
    found++;
    if (t.roles.includes('network-device') && t.protocols.length === 0) {
      // A router answers for one gateway address per subnet; the truth names one of them.
      score('role', asset.roles.includes('network-device'), `${t.name}: not recognised as a network device (${asset.roles})`);
    } else {
      score('ips', t.ips.every((ip) => asset.ips.includes(ip)), `${t.name}: ips ${asset.ips} vs ${t.ips}`);
    }
    score('vendor', !!asset.vendor && sameVendor(asset.vendor, t.vendor), `${t.name}: vendor ${asset.vendor} vs ${t.vendor}`);
    if (t.model && t.protocols.some((p) => p.role === 'server' && analyzed.has(p.name) && IDENTITY_PROTOCOLS.has(p.name))) {
      score('model', asset.model === t.model, `${t.name}: model ${asset.model} vs ${t.model}`);
      if (t.firmware) score('firmware', asset.firmware === t.firmware, `${t.name}: firmware ${asset.firmware} vs ${t.firmware}`);
    }
    for (const role of t.roles.filter((r) => INFERRED_ROLES.has(r))) score('role', asset.roles.includes(role as never), `${t.name}: role ${role} not in ${asset.roles}`);
    for (const p of t.protocols.filter((p) => analyzed.has(p.name))) {
      score('protocols', asset.protocols.some((q) => q.name === p.name && q.role === p.role), `${t.name}: ${p.name}/${p.role} not in ${asset.protocols.map((q) => `${q.name}/${q.role}`)}`);
    }
  }
  // Precision over the assets of the plant's own networks (Internet hosts are not truth assets).
  const plantAssets = report.assets.filter((a) => a.mac !== null);
  const truthMacs = new Set(truth.assets.map((t) => t.mac).filter(Boolean));
  const truePositives = plantAssets.filter((a) => truthMacs.has(a.mac!)).length;
  const recall = found / visible.length;
  const precision = truePositives / plantAssets.length;
  console.log(`# plant assets: recall ${(recall * 100).toFixed(1)}% (${found}/${visible.length}), precision ${(precision * 100).toFixed(1)}% (${truePositives}/${plantAssets.length})`);
  for (const [k, [ok, n]] of Object.entries(checks)) console.log(`#   ${k}: ${ok}/${n}`);
  for (const m of misses) console.log(`#   miss: ${m}`);
  assert.equal(recall, 1, misses.join('\n'));
  assert.equal(precision, 1, `assets not in the truth: ${plantAssets.filter((a) => !truthMacs.has(a.mac!)).map((a) => a.id)}`);
  for (const [k, [ok, n]] of Object.entries(checks)) assert.equal(ok, n, `${k}: ${misses.join('\n')}`);
});

/** "Siemens" ~ "Siemens AG"; "SEL" ~ "Schweitzer Engineering Laboratories" (initials). */
function sameVendor(a: string, b: string): boolean {
  const norm = (s: string) => s.toLowerCase().replace(/[^a-z]/g, '');
  const initials = (s: string) => s.split(/[^A-Za-z]+/).filter(Boolean).map((w) => w[0]!.toLowerCase()).join('');
  return norm(a).includes(norm(b)) || norm(b).includes(norm(a)) || norm(a) === initials(b) || norm(b) === initials(a);
}
