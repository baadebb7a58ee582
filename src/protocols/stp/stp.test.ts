import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { fuzzRuns } from '../../util/fuzz-budget.js';
import { traceOf, tsharkFields, hasTshark } from '../../../test/support/trace.js';
import { assertGolden } from '../../../test/support/golden.js';
import { corpusDir } from '../../../test/support/cli.js';
import { bpdu, factsOf, fixturePath, l2Trace, operationsOf, runFrames, stpFixture, stpFrame } from '../lldp/test-support.js';
import { CdpAnalyzer } from '../cdp/index.js';
import { Bpdu, BpduParse, StpAnalyzer, bridgeId, parseBpdu } from './index.js';

const STP = new Set(['stp']);
const T = 1700000000;
const A = { rootMac: '00:1e:f6:73:59:80', bridgeMac: '00:1e:f6:73:59:80' };

test('fixture: one root_change per new root, one topology_change per episode, facts once per bridge', () => {
  const ctx = runFrames(stpFixture(), [new StpAnalyzer()]);
  const ops = operationsOf(ctx.events);
  assert.deepEqual(ops.map((o) => [o.frame, o.codeName, o.code, o.kind, o.src.mac]), [
    [3, 'root_change', 2, 'configuration', '02:00:00:00:00:0b'],
    [4, 'topology_change', 2, 'configuration', '00:1e:f6:73:59:81'],
    [8, 'topology_change', 0x80, 'configuration', '00:1e:f6:73:59:81'],
  ]);
  assert.equal(ops[0]!.attributes?.root, '4096/0/02:00:00:00:00:0b');
  assert.equal(ops[0]!.attributes?.previous_root, '32768/0/00:1e:f6:73:59:80');
  assert.equal(ops[1]!.attributes?.signalled_by, 'tc_flag');
  assert.equal(ops[2]!.attributes?.signalled_by, 'tcn');
  assert.deepEqual(ctx.counters, {
    'stp.bpdus': 12, 'stp.root-changes': 1, 'stp.root-change-repeats': 2, 'stp.tc-flag': 3, 'stp.topology-changes': 2, 'stp.tcn': 1,
    'stp.truncated': 1, 'stp.not-stp': 1,
  });
  assert.deepEqual(factsOf(ctx.events).map((f) => [f.frame, f.subject.mac, f.field, f.value]), [
    [1, '00:1e:f6:73:59:81', 'role-hint', 'network-device'],
    [3, '02:00:00:00:00:0b', 'role-hint', 'network-device'],
  ]);
});

test('differential with tshark: root and bridge ids, flags and BPDU types of the fixture', { skip: hasTshark ? false : 'needs tshark' }, () => {
  const rows = tsharkFields(fixturePath('stp-changes.pcap'), 'stp && !_ws.malformed', ['stp.type', 'stp.root.prio', 'stp.root.ext', 'stp.root.hw', 'stp.flags']);
  const bpduOut = new Bpdu();
  stpFixture().forEach((f, i) => {
    const row = rows.get(i + 1);
    // The 802.3 length field bounds the LLC PDU (the rest is Ethernet padding), as in the decoder.
    const lengthOff = f.data[12] === 0x81 ? 16 : 12;
    const result = parseBpdu(f.data, lengthOff + 5, f.data.readUInt16BE(lengthOff) - 3, bpduOut);
    if (!row) {
      assert.notEqual(result, BpduParse.OK, `frame ${i + 1}`);
      return;
    }
    assert.equal(result, BpduParse.OK, `frame ${i + 1}`);
    const [type = [], prio = [], ext = [], hw = [], flags = []] = row;
    assert.equal(bpduOut.type, Number(type[0]));
    if (bpduOut.isTcn) return;
    assert.equal(bridgeId(bpduOut.rootPriority, bpduOut.rootMac), `${prio[0]}/${ext[0]}/${hw[0]}`);
    assert.equal(bpduOut.flags, Number(flags[0]));
  });
});

test('a root bridge on a different VLAN or via PVST+ is a different spanning tree, not a root change', () => {
  const frames = [
    { ts: T, data: stpFrame('00:00:00:00:00:01', A) },
    { ts: T + 1, data: stpFrame('00:00:00:00:00:01', { rootMac: '00:00:00:00:00:99', bridgeMac: '00:00:00:00:00:99' }, 20) },
  ];
  const ctx = runFrames(frames, [new StpAnalyzer()]);
  assert.equal(operationsOf(ctx.events).length, 0);
});

test('caps: domains and senders are bounded and counted', () => {
  const frames = [];
  for (let v = 1; v <= 5; v++) frames.push({ ts: T + v, data: stpFrame(`00:00:00:00:00:0${v}`, A, v) });
  const ctx = runFrames(frames, [new StpAnalyzer({ maxDomains: 2, maxSenders: 3 })]);
  assert.equal(ctx.counters['stp.domains-cap'], 3);
  assert.equal(ctx.counters['stp.senders-cap'], 2);
  assert.equal(factsOf(ctx.events).length, 3);
});

test('a long TC episode (TC flag on for minutes, hello every 2 s) is one event; the hold is configurable', () => {
  const frames = [];
  for (let i = 0; i < 100; i++) frames.push({ ts: T + 2 * i, data: stpFrame('00:00:00:00:00:01', { ...A, flags: 0x3d }) });
  assert.equal(operationsOf(runFrames(frames, [new StpAnalyzer()]).events).length, 1);
  assert.equal(operationsOf(runFrames(frames, [new StpAnalyzer({ topologyChangeHoldSec: 1 })]).events).length, 100);
});

test('property: random and mutated BPDUs never throw and never read outside the given range', () => {
  const base = [bpdu({ ...A }), bpdu({ ...A, type: 0, version: 0 }), bpdu({ ...A, version: 3 }), bpdu({ ...A, type: 0x80 })];
  const out = new Bpdu();
  fc.assert(
    fc.property(fc.nat(base.length - 1), fc.array(fc.tuple(fc.nat(140), fc.nat(255)), { maxLength: 8 }), fc.nat(140), fc.boolean(), (i, flips, cut, pvst) => {
      const src = Buffer.from(base[i]!);
      for (const [at, v] of flips) if (at < src.length) src[at] = v;
      const len = Math.min(cut, src.length);
      const a = Buffer.concat([Buffer.alloc(4, 0), src.subarray(0, len), Buffer.alloc(8, 0)]);
      const b = Buffer.concat([Buffer.alloc(4, 0xff), src.subarray(0, len), Buffer.alloc(8, 0xff)]);
      const ra = parseBpdu(a, 4, len, out, pvst);
      const snapshot = JSON.stringify(out);
      assert.equal(parseBpdu(b, 4, len, out, pvst), ra);
      assert.equal(JSON.stringify(out), snapshot);
      const stp = new StpAnalyzer();
      runFrames([{ ts: T, data: stpFrame('00:00:00:00:00:01', A) }, { ts: T + 1, data: Buffer.concat([stpFrame('00:00:00:00:00:02', A).subarray(0, 17), src]) }], [stp, new CdpAnalyzer({}, stp)]);
    }),
    { numRuns: fuzzRuns(300) },
  );
});

const fixtures = join(import.meta.dirname, 'fixtures');
test('golden trace (whole engine): stp-changes.pcap', async () => {
  const { events } = await traceOf(fixturePath('stp-changes.pcap'));
  assertGolden(join(fixtures, 'stp-changes.golden.json'), l2Trace(events, STP));
});

for (const rel of ['enip/EIP-LockPLCAttempt.pcap', 'threats/Telnet.pcap']) {
  const file = join(corpusDir, rel);
  test(`golden trace (STP view, whole engine): ${rel}`, { skip: existsSync(file) ? false : `needs ${file}` }, async () => {
    const { events } = await traceOf(file);
    assertGolden(join(fixtures, rel.replace(/^.*\//, '').replace(/\.pcap$/, '.golden.json')), l2Trace(events, STP));
    if (!hasTshark) return;
    // Per VLAN (PVST+ originating VLAN, else untagged), tshark sees a single root: so no root_change may be reported.
    const rows = tsharkFields(file, 'stp', ['stp.pvst.origvlan', 'stp.root.hw', 'eth.src']);
    const roots = new Map<string, Set<string>>();
    for (const [, [vlan = [], hw = []]] of rows) {
      const key = vlan[0] ?? 'ieee';
      if (!roots.has(key)) roots.set(key, new Set());
      roots.get(key)!.add(hw[0]!);
    }
    const changes = [...roots.values()].filter((s) => s.size > 1).length;
    assert.equal(operationsOf(events).filter((e) => e.codeName === 'root_change').length, changes);
    const senders = new Set([...rows.values()].map((r) => r[2]![0]));
    assert.deepEqual(new Set(factsOf(events).filter((f) => f.protocol === 'stp').map((f) => f.subject.mac)), senders);
  });
}
