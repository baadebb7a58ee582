import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Probe } from '../protocols/analyzer.js';
import { fuzzRuns } from '../util/fuzz-budget.js';
import { IpProto } from './packet.js';
import { fakeSpec, harness, packet } from './flow-test-support.js';

const packetArb = fc.record({
  v6: fc.boolean(),
  a: fc.integer({ min: 1, max: 4 }),
  b: fc.integer({ min: 1, max: 4 }),
  sport: fc.constantFrom(502, 20000, 40000, 40001, 47808),
  dport: fc.constantFrom(502, 20000, 40000, 40001, 47808),
  proto: fc.constantFrom(IpProto.TCP, IpProto.TCP, IpProto.UDP, IpProto.ICMP, 47),
  flags: fc.integer({ min: 0, max: 0xff }),
  seq: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 0xffffffff })),
  ack: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 0xffffffff })),
  payload: fc.oneof(fc.constant(''), fc.constantFrom('M', 'MO', 'MODBUS', 'm-maybe', 'BOOM', 'xx'), fc.string({ maxLength: 40 })),
  vlan: fc.constantFrom(0, 0, 7),
  dt: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 30, noNaN: true }), fc.constant(400)),
});

test('property: the flow table never throws, stays within its caps and accounts for every packet', () => {
  fc.assert(
    fc.property(fc.array(packetArb, { maxLength: 120 }), fc.integer({ min: 1, max: 6 }), (pkts, maxFlows) => {
      const probe = (bytes: string) =>
        bytes.startsWith('MODB') ? Probe.Yes : bytes.startsWith('m') ? Probe.Maybe : 'MODB'.startsWith(bytes) ? Probe.NeedMore : Probe.No;
      const specs = [
        fakeSpec({ name: 'modbus', ports: [502], transports: ['tcp', 'udp'], probe, throwOn: 'BOOM' }),
        fakeSpec({ name: 'dnp3', ports: [20000], transports: ['tcp'], probe: (b) => (b.length < 3 ? Probe.NeedMore : Probe.Maybe) }),
        fakeSpec({ name: 'tls', ports: [40001], transports: ['tcp'], portOnly: true }),
      ];
      const h = harness(specs, {
        maxFlows,
        maxOutOfOrderBytes: 64,
        maxOutOfOrderSegments: 3,
        maxProbeBytes: 16,
        tcpClosedTimeoutSec: 5,
        udpIdleTimeoutSec: 60,
        tcpIdleTimeoutSec: 300,
      });
      let ts = 1000;
      let processed = 0;
      for (const p of pkts) {
        ts += p.dt;
        const addr = (n: number) => (p.v6 ? `fe80:0000:0000:0000:0000:0000:0000:000${n}` : `192.168.0.${n}`);
        h.table.process(
          packet({
            src: addr(p.a), dst: addr(p.b), sport: p.sport, dport: p.dport, proto: p.proto, flags: p.flags,
            seq: p.seq, ack: p.ack, payload: p.payload, vlan: p.vlan, ts,
          }),
        );
        processed++;
        assert.ok(h.table.size <= maxFlows, 'flow cap exceeded');
      }
      h.table.flushAll();
      assert.equal(h.table.size, 0);
      assert.equal(h.ended.length, h.table.counters.flows);
      const seen = h.ended.reduce((n, f) => n + f.packetsToServer + f.packetsToClient, 0);
      assert.equal(seen, processed);
      assert.equal(new Set(h.ended.map((f) => f.id)).size, h.ended.length);
      for (const spec of specs) {
        // Analyzers are closed at most once per flow that created one.
        const closes = spec.calls.filter((c) => c.kind === 'close').length;
        assert.ok(closes <= spec.contexts.length);
      }
      const claimed = h.ended.filter((f) => f.claimedBy !== null).length;
      const detected = h.sink.events.filter((e) => e.type === 'protocol').length;
      assert.equal(claimed, detected);
    }),
    { numRuns: fuzzRuns(150) },
  );
});
