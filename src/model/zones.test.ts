import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaptureInputError } from '../capture/types.js';
import { conduitAllows, declaredZoneOf, loadZonesFile, parseCidr, parseYamlSubset, parseZones, ZonesFileError } from './zones.js';

const YAML = `# plant zones
zones:
  - name: cell-a        # PLCs
    cidrs: [10.10.10.0/24, "2001:db8:10::/64"]
    vlans: [10]
    purdueLevel: 1
    criticality: high
  - name: supervisory
    cidrs:
      - 10.10.40.0/24
    purdueLevel: 2
  - name: dmz
    cidrs: [10.10.100.0/24]
    purdueLevel: 3.5
    criticality: 'medium'
conduits:
  - from: supervisory
    to: cell-a
    protocols: [modbus, s7comm]
    ports: [502, 102]
  - from: dmz
    to: internet
    bidirectional: true
`;

test('YAML subset and JSON give the same zones', () => {
  const fromYaml = parseZones(YAML, 'z.yaml');
  const json = JSON.stringify(parseYamlSubset(YAML));
  assert.deepEqual(parseZones(json, 'z.json'), fromYaml);
  assert.deepEqual(fromYaml.zones.map((z) => [z.name, z.purdueLevel, z.criticality]), [['cell-a', 1, 'high'], ['supervisory', 2, null], ['dmz', 3.5, 'medium']]);
  assert.deepEqual(fromYaml.zones[0]!.vlans, [10]);
  assert.deepEqual(fromYaml.zones[0]!.cidrs.map((c) => c.text), ['10.10.10.0/24', '2001:db8:10::/64']);
  assert.deepEqual(fromYaml.conduits[0], { from: 'supervisory', to: 'cell-a', protocols: ['modbus', 's7comm'], ports: [502, 102], bidirectional: false });
  assert.equal(fromYaml.conduits[1]!.bidirectional, true);
});

test('zone lookup: VLAN first, then longest prefix; conduits by direction, protocol and port', () => {
  const z = parseZones(YAML + `  - from: supervisory\n    to: dmz\n`, 'z.yaml');
  assert.equal(declaredZoneOf(z, ['10.10.10.5'], null)?.name, 'cell-a');
  assert.equal(declaredZoneOf(z, ['2001:db8:10::5'], null)?.name, 'cell-a');
  assert.equal(declaredZoneOf(z, ['10.10.40.9'], 10)?.name, 'cell-a');
  assert.equal(declaredZoneOf(z, ['10.10.41.9'], null), null);
  assert.equal(conduitAllows(z, 'supervisory', 'cell-a', 'modbus', 502), true);
  assert.equal(conduitAllows(z, 'supervisory', 'cell-a', 'modbus', 503), false);
  assert.equal(conduitAllows(z, 'supervisory', 'cell-a', 'enip', 502), false);
  assert.equal(conduitAllows(z, 'cell-a', 'supervisory', 'modbus', 502), false);
  assert.equal(conduitAllows(z, 'internet', 'dmz', 'tls', 443), true);
  assert.equal(conduitAllows(z, 'cell-a', 'cell-a', 'http', 80), true);
  assert.equal(parseCidr('10.1.2.3/8')?.text, '10.0.0.0/8');
  assert.equal(parseCidr('10.1.2.3/33'), null);
});

test('bad zones files are one-line errors (CaptureInputError: exit code 2) that say where', () => {
  const cases: Array<[string, RegExp]> = [
    ['zones:\n  - name: a\n    cidrs: [10.0.0.0/24\n', /line 3: unterminated flow sequence/],
    ['zones:\n  - name: a\n    cidrs: [10.0.0.0/99]\n', /zones\[0\]\.cidrs\[0\]: "10\.0\.0\.0\/99" is not/],
    ['zones:\n  - name: a\n    vlans: [10]\n    purdueLevel: 2.5\n', /purdueLevel: must be one of 0, 1, 2, 3, 3\.5, 4, 5/],
    ['zones:\n  - name: a\n    vlans: [10]\n    criticality: extreme\n', /criticality: must be one of low, medium, high, critical/],
    ['zones:\n  - name: a\n', /needs "cidrs" or "vlans"/],
    ['zones:\n  - name: a\n    vlans: [1]\n  - name: a\n    vlans: [2]\n', /duplicate zone "a"/],
    ['zones:\n  - name: a\n    vlans: [1]\nconduits:\n  - from: a\n    to: b\n', /conduits\[0\]\.to: must name a zone/],
    ['zones:\n  - name: a\n    vlans: [1]\nconduits:\n  - from: a\n    to: a\n    protocols: [modbuss]\n', /unknown protocol "modbuss"/],
    ['zones:\n\t- name: a\n', /line 2: tabs are not allowed/],
    ['zones:\n  - name: a\n     vlans: [1]\n', /line 3: unexpected indentation/],
    ['{"zones": [', /invalid JSON/],
    ['zonez: []\n', /zonez: unknown key/],
    ['zones:\n  - name: &anchor a\n', /unsupported YAML syntax "&"/],
  ];
  for (const [text, expected] of cases) {
    assert.throws(() => parseZones(text, 'z.yaml'), (err: Error) => {
      assert.ok(err instanceof ZonesFileError && err instanceof CaptureInputError, String(err));
      assert.match(err.message, /^z\.yaml: /);
      assert.match(err.message, expected);
      assert.ok(!err.message.includes('\n'), err.message);
      return true;
    }, text);
  }
  const dir = mkdtempSync(join(tmpdir(), 'otwatch-zones-'));
  try {
    assert.throws(() => loadZonesFile(join(dir, 'missing.yaml')), /cannot read zones file .*missing\.yaml: ENOENT/);
    writeFileSync(join(dir, 'z.yaml'), YAML);
    assert.equal(loadZonesFile(join(dir, 'z.yaml')).zones.length, 3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('otwatch analyze --zones: a broken file exits 2 with one line; a good one places the assets', async () => {
  const { main } = await import('../cli/main.js');
  const capture = new URL('../../test/fixtures/modbusSmall.pcap', import.meta.url).pathname;
  const dir = mkdtempSync(join(tmpdir(), 'otwatch-zones-cli-'));
  const errors: string[] = [];
  const originalError = console.error;
  console.error = (...args: unknown[]) => void errors.push(args.join(' '));
  try {
    writeFileSync(join(dir, 'bad.yaml'), 'zones:\n  - name: a\n    purdueLevel: 7\n    vlans: [1]\n');
    assert.equal(await main(['analyze', capture, '--zones', join(dir, 'bad.yaml'), '--quiet']), 2);
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, /^otwatch: .*bad\.yaml: zones\[0\]\.purdueLevel: must be one of/);
    writeFileSync(join(dir, 'all.json'), JSON.stringify({ zones: [{ name: 'everything', cidrs: ['0.0.0.0/0'], purdueLevel: 2, criticality: 'low' }] }));
    const out = join(dir, 'r.json');
    assert.equal(await main(['analyze', capture, '--zones', join(dir, 'all.json'), '--json', out, '--quiet']), 0);
    const report = JSON.parse((await import('node:fs')).readFileSync(out, 'utf8')) as { assets: Array<{ zone: string; purdueLevel: number; zoneInferred: boolean }>; communications: Array<{ conduitAllowed: boolean | null }> };
    assert.ok(report.assets.length > 0);
    for (const a of report.assets) assert.deepEqual([a.zone, a.purdueLevel, a.zoneInferred], ['everything', 2, false]);
    assert.ok(report.communications.every((c) => c.conduitAllowed === true));
  } finally {
    console.error = originalError;
    rmSync(dir, { recursive: true, force: true });
  }
});
