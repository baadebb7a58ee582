import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { fuzzRuns } from '../../util/fuzz-budget.js';
import { traceOf, tsharkFields, hasTshark } from '../../../test/support/trace.js';
import { assertGolden } from '../../../test/support/golden.js';
import { corpusDir } from '../../../test/support/cli.js';
import { arpFixture, arpFrame, fixturePath, l2Trace, operationsOf, runCapture, runFrames } from '../lldp/test-support.js';
import { ArpAnalyzer } from './index.js';

const ARP = new Set(['arp']);
const T = 1700000000;

test('fixture: conflict, gratuitous and unsolicited claims are reported once per change (hand-checked against tshark)', () => {
  const ctx = runFrames(arpFixture(), [new ArpAnalyzer()]);
  const ops = operationsOf(ctx.events).map((o) => [o.frame, o.codeName, o.code, o.attributes]);
  assert.deepEqual(ops, [
    [3, 'gratuitous_arp', 1, { ip: '10.0.0.7', new_mac: '02:00:00:00:00:07', gratuitous: true }],
    // The router answered the host at frame 2; 20 s later another MAC claims the router's IP unasked.
    [5, 'ip_conflict', 2, { ip: '10.0.0.1', new_mac: '02:00:00:00:00:66', previous_mac: '02:00:00:00:00:fe', unsolicited: true }],
    [9, 'unsolicited_arp_reply', 2, { ip: '10.0.0.20', new_mac: '02:00:00:00:00:20', unsolicited: true }],
    // Frame 10 re-binds 10.0.0.7 after 8 quiet minutes (no conflict); frame 11 fights it at once, from a spoofed source.
    [11, 'ip_conflict', 2, { ip: '10.0.0.7', new_mac: '02:00:00:00:00:99', previous_mac: '02:00:00:00:00:77', unsolicited: true, eth_src: '02:00:00:00:00:66' }],
  ]);
  assert.equal(ctx.counters['arp.conflict-repeats'], 2); // frames 6 and 7: the same two MACs flipping
  assert.equal(ctx.counters['arp.rebinds'], 1);
  assert.equal(ctx.counters['arp.probes'], 1);
  assert.equal(ctx.counters['arp.sender-mac-mismatch'], 1);
  const e = operationsOf(ctx.events)[1]!;
  assert.equal(e.protocol, 'arp');
  assert.equal(e.kind, 'other');
  assert.equal(e.flowId, 0);
  assert.deepEqual(e.src, { ip: '', port: 0, mac: '02:00:00:00:00:66' });
  assert.deepEqual(e.dst, { ip: '', port: 0, mac: '02:00:00:00:00:05' });
});

test('differential with tshark: every conflict we report is a frame tshark flags as duplicate address use', { skip: hasTshark ? false : 'needs tshark' }, () => {
  const rows = tsharkFields(fixturePath('arp-spoofing.pcap'), 'arp', ['arp.isgratuitous', 'arp.duplicate-address-detected']);
  const gratuitous = [...rows].filter(([, [g = []]]) => g.length > 0).map(([f]) => f);
  const duplicates = [...rows].filter(([, [, d = []]]) => d.length > 0).map(([f]) => f);
  assert.deepEqual(gratuitous, [3, 4]);
  assert.deepEqual(duplicates, [5, 7, 10, 11]);
  const ctx = runFrames(arpFixture(), [new ArpAnalyzer()]);
  for (const o of operationsOf(ctx.events)) {
    if (o.codeName === 'ip_conflict') assert.ok(duplicates.includes(o.frame), `frame ${o.frame}`);
    if (o.codeName === 'gratuitous_arp') assert.ok(gratuitous.includes(o.frame), `frame ${o.frame}`);
  }
});

test('a conflict needs the previous claim to be fresh: the window is configurable', () => {
  const frames = [
    { ts: T, data: arpFrame(1, '02:00:00:00:00:01', '10.0.0.1', '00:00:00:00:00:00', '10.0.0.2') },
    { ts: T + 60, data: arpFrame(1, '02:00:00:00:00:02', '10.0.0.1', '00:00:00:00:00:00', '10.0.0.2') },
  ];
  assert.equal(operationsOf(runFrames(frames, [new ArpAnalyzer()]).events).length, 1);
  const narrow = runFrames(frames, [new ArpAnalyzer({ conflictWindowSec: 30 })]);
  assert.equal(operationsOf(narrow.events).length, 0);
  assert.equal(narrow.counters['arp.rebinds'], 1);
});

test('a storm of poisoning replies from one MAC yields one event, not one per packet', () => {
  const frames = [{ ts: T, data: arpFrame(2, '02:00:00:00:00:01', '10.0.0.1', '02:00:00:00:00:05', '10.0.0.5') }];
  for (let i = 1; i <= 500; i++) frames.push({ ts: T + i * 0.1, data: arpFrame(2, i % 2 ? '02:00:00:00:00:66' : '02:00:00:00:00:01', '10.0.0.1', '02:00:00:00:00:05', '10.0.0.5') });
  const ctx = runFrames(frames, [new ArpAnalyzer()]);
  assert.deepEqual(operationsOf(ctx.events).map((o) => o.codeName), ['unsolicited_arp_reply', 'ip_conflict']);
  assert.equal(ctx.counters['arp.conflict-repeats'], 499);
});

test('caps: bindings and pending requests are bounded, evictions counted', () => {
  const frames = [];
  for (let i = 1; i <= 10; i++) frames.push({ ts: T + i, data: arpFrame(1, `02:00:00:00:00:${i.toString(16).padStart(2, '0')}`, `10.0.0.${i}`, '00:00:00:00:00:00', `10.0.1.${i}`) });
  const analyzer = new ArpAnalyzer({ maxBindings: 4, maxPendingRequests: 3 });
  const ctx = runFrames(frames, [analyzer]);
  assert.equal(ctx.counters['arp.bindings-cap'], 6);
  assert.equal(ctx.counters['arp.requests-cap'], 7);
  // 10.0.0.1 was evicted: a new MAC for it is a first claim, not a conflict.
  runFrames([{ ts: T + 11, data: arpFrame(1, '02:00:00:00:00:aa', '10.0.0.1', '00:00:00:00:00:00', '10.0.0.2') }], [analyzer], ctx);
  assert.equal(operationsOf(ctx.events).length, 0);
});

test('claims do not carry over from one capture file to the next', () => {
  const analyzer = new ArpAnalyzer();
  const first = runFrames([{ ts: T, data: arpFrame(1, '02:00:00:00:00:01', '10.0.0.1', '00:00:00:00:00:00', '10.0.0.2') }], [analyzer]);
  const second = { ...first, captureIndex: 1, events: [] as typeof first.events };
  second.sink = { emit: (e) => second.events.push(e) };
  runFrames([{ ts: T + 1, data: arpFrame(1, '02:00:00:00:00:02', '10.0.0.1', '00:00:00:00:00:00', '10.0.0.2') }], [analyzer], second);
  assert.equal(second.events.length, 0);
});

test('property: random and mutated ARP frames never throw and only emit well-formed events', () => {
  const base = arpFixture().map((f) => f.data);
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(base.length - 1), fc.array(fc.tuple(fc.nat(59), fc.nat(255)), { maxLength: 8 }), fc.nat(100)), { maxLength: 30 }), (recipe) => {
      const frames = recipe.map(([i, flips, dt], n) => {
        const data = Buffer.from(base[i]!);
        for (const [at, v] of flips) if (at >= 12) data[at] = v; // keep the EtherType region mutable but the MACs sane
        return { ts: T + n + dt, data };
      });
      const ctx = runFrames(frames, [new ArpAnalyzer({ maxBindings: 8, maxPendingRequests: 4 })]);
      for (const o of operationsOf(ctx.events)) {
        assert.equal(o.protocol, 'arp');
        assert.match(String(o.attributes?.ip), /^\d+\.\d+\.\d+\.\d+$/);
      }
    }),
    { numRuns: fuzzRuns(200) },
  );
});

const fixture = join(import.meta.dirname, 'fixtures');
const CORPUS = ['enip/EIP-ChangeDateAttempt.pcap', 'threats/20171220_smb_psexec_add_user.pcap', 'threats/eternalblue-failed-patched-win7.pcap'];
for (const rel of CORPUS) {
  const file = join(corpusDir, rel);
  test(`golden trace (ARP view, whole engine): ${rel}`, { skip: existsSync(file) ? false : `needs ${file}` }, async () => {
    const { events } = await traceOf(file);
    assertGolden(join(fixture, rel.replace(/^.*\//, '').replace(/\.pcap(ng)?$/, '.golden.json')), l2Trace(events, ARP));
  });
}

test('golden trace (whole engine): arp-spoofing.pcap', async () => {
  const { events } = await traceOf(fixturePath('arp-spoofing.pcap'));
  assertGolden(join(fixture, 'arp-spoofing.golden.json'), l2Trace(events, ARP));
  // The engine routes ARP frames here as well as to the inventory.
  assert.equal((await runCapture(fixturePath('arp-spoofing.pcap'))).counters['arp.frames'], 11);
});
