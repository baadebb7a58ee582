import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseZones } from '../model/zones.js';
import { buildContext } from './context.js';
import { buildPolicy, renderCsv, renderNftables, renderPolicyTable } from './policy.js';
import { alert, asset, comm, external, report } from './test-support.js';

const FIXTURES = new URL('./fixtures/', import.meta.url);

/** Text golden: written when missing (then checked by hand), OTWATCH_UPDATE_GOLDEN=1 rewrites. */
function assertTextGolden(name: string, actual: string): void {
  const path = new URL(name, FIXTURES);
  if (process.env.OTWATCH_UPDATE_GOLDEN === '1' || !existsSync(path)) {
    if (process.env.CI) assert.fail(`golden file ${name} is missing`);
    writeFileSync(path, actual);
    return;
  }
  assert.equal(actual, readFileSync(path, 'utf8'), `differs from fixtures/${name}`);
}

function plant() {
  const cell = (ip: string, roles: Parameters<typeof asset>[1]) => asset(ip, roles, { zone: 'cell-a', purdueLevel: 1 });
  const plc1 = cell('10.10.10.11', ['plc']);
  const plc2 = cell('10.10.10.12', ['plc']);
  const hmi = asset('10.10.40.11', ['hmi'], { zone: 'supervisory', purdueLevel: 2 });
  const rogueHmi = asset('10.10.40.12', ['engineering-workstation', 'hmi'], { zone: 'supervisory', purdueLevel: 2 });
  const ews = asset('10.10.50.11', ['engineering-workstation'], { zone: 'operations', purdueLevel: 3 });
  const dns = asset('10.10.50.5', ['dns-server'], { zone: 'operations', purdueLevel: 3 });
  const office = asset('192.168.200.103', ['it-workstation'], { zone: 'enterprise', purdueLevel: 4 });
  const inet = external('198.51.100.77');
  const comms = [
    comm(hmi, plc1, 's7comm', 102, { ops: { connect: 1, read: 120 } }),
    comm(hmi, plc2, 's7comm', 102, { ops: { connect: 1, read: 60 } }),
    comm(rogueHmi, plc1, 's7comm', 102, { ops: { connect: 1, 'mode-change': 1 } }),
    comm(ews, plc1, 's7comm', 102, { ops: { 'program-download': 1 } }),
    comm(ews, plc2, 'ftp', 21, { ops: { authentication: 1 } }),
    comm(hmi, dns, 'dns', 53, { ops: { read: 7 }, flows: 7 }),
    comm(office, hmi, 'http', 80, { ops: { read: 1 } }),
    comm(inet, plc2, 's7comm', 102, { ops: { identify: 2 } }),
    comm(plc1, plc2, 's7comm', 102, { ops: { read: 3 } }), // same zone: not a firewall matter
  ];
  const alerts = [alert('ot.mode-change', 'critical', 'ot-operation', rogueHmi, plc1, { trusted_source: false })];
  return report([plc1, plc2, hmi, rogueHmi, ews, dns, office, inet], comms, alerts);
}

test('policy: observed pairs only, industrial operations by role, every blocked flow with its reason', () => {
  const r = plant();
  const policy = buildPolicy(buildContext(r, [], null));
  assert.equal(policy.basis, 'observed');
  const s7 = policy.rules.filter((x) => x.protocol === 's7comm');
  assert.deepEqual(s7.map((x) => [x.srcZone, x.dstZone, x.sources, x.destinations, x.operations]), [
    ['operations', 'cell-a', ['10.10.50.11'], ['10.10.10.11'], ['program-download']],
    ['supervisory', 'cell-a', ['10.10.40.11'], ['10.10.10.11', '10.10.10.12'], ['connect', 'read']],
    ['supervisory', 'cell-a', ['10.10.40.12'], ['10.10.10.11'], ['connect']],
  ]);
  assert.ok(!policy.rules.some((x) => x.sources.includes('10.10.10.11')), 'intra-zone traffic makes no rule');
  const reasons = policy.blocked.map((b) => `${b.srcIp}>${b.dstIp} ${b.protocol} ${b.operations?.join(',') ?? '*'}: ${b.reason}`);
  assert.deepEqual(reasons, [
    '192.168.200.103>10.10.40.11 http *: IT ↔ OT directly (level 4 → 2), bypassing the DMZ',
    '198.51.100.77>10.10.10.12 s7comm *: inbound from the Internet',
    '10.10.50.11>10.10.10.12 ftp *: ftp sends logins in clear text across zones: use SSH/SFTP',
    '10.10.40.12>10.10.10.11 s7comm mode-change: mode-change from 10.10.40.12 (engineering-workstation): flagged by ot.mode-change as an untrusted source',
  ]);
});

test('policy with a zones file: declared conduits bound the allow-list; undeclared flows are blocked; unused conduits listed', () => {
  const r = plant();
  const zones = parseZones(JSON.stringify({
    zones: [{ name: 'cell-a', cidrs: ['10.10.10.0/24'] }, { name: 'supervisory', cidrs: ['10.10.40.0/24'] }, { name: 'operations', cidrs: ['10.10.50.0/24'] }],
    conduits: [{ from: 'supervisory', to: 'cell-a', protocols: ['s7comm'] }, { from: 'operations', to: 'cell-a', protocols: ['opcua'] }],
  }));
  // what the inventory sets with a zones file
  for (const c of r.communications) c.conduitAllowed = c.srcZone === c.dstZone || (c.srcZone === 'supervisory' && c.dstZone === 'cell-a' && c.protocol === 's7comm');
  const policy = buildPolicy(buildContext(r, [], zones));
  assert.equal(policy.basis, 'zones-file');
  assert.deepEqual([...new Set(policy.rules.map((x) => `${x.srcZone}>${x.dstZone} ${x.protocol}`))], ['supervisory>cell-a s7comm']);
  assert.ok(policy.blocked.some((b) => b.srcIp === '10.10.50.11' && b.protocol === 's7comm' && /no conduit of the zones file allows operations → cell-a/.test(b.reason)));
  assert.deepEqual(policy.unusedConduits, ['operations → cell-a opcua']);
  assert.deepEqual(policy.zones.slice(0, 3).map((z) => [z.name, z.cidrs]), [['cell-a', ['10.10.10.0/24']], ['supervisory', ['10.10.40.0/24']], ['operations', ['10.10.50.0/24']]]);
});

test('nftables and CSV renderings (golden), table lists the blocked flows', () => {
  const policy = buildPolicy(buildContext(plant(), [], null));
  const nft = renderNftables(policy);
  assertTextGolden('policy.nft', nft);
  assert.match(nft, /type filter hook forward priority filter; policy drop;/);
  assert.ok(!/[^\x20-\x7e\n]/.test(nft), 'nft input stays ASCII');
  const csv = renderCsv(policy);
  assertTextGolden('policy.csv', csv);
  const rows = csv.trimEnd().split('\r\n');
  assert.equal(rows.length, 1 + policy.rules.length + policy.blocked.length + 1);
  assert.ok(rows.every((row) => row.split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/).length === 12), 'every row has 12 fields');
  const table = renderPolicyTable(policy);
  assert.match(table, /Observed flows the policy blocks: 4/);
  assert.match(table, /198\.51\.100\.77 \(internet\) → 10\.10\.10\.12 \(cell-a\) s7comm 102\/tcp, 1 flow — inbound from the Internet/);
});
