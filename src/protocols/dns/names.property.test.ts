/**
 * Property tests for the name/address-service analyzers: random and mutated datagrams (and TCP byte streams)
 * never throw, probes return a Probe value, events are well-formed; name decoding always terminates within
 * its bounds, whatever the compression pointers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Dir, Probe, type AnalyzerSpec } from '../analyzer.js';
import { recordingContext } from '../common/test-support.js';
import { OPERATION_KINDS } from '../../events/types.js';
import { fuzzRuns } from '../../util/fuzz-budget.js';
import { dnsTcpSpec, dnsUdpSpec, llmnrSpec, mdnsSpec } from './index.js';
import { nbdgmSpec, nbnsSpec } from '../netbios/index.js';
import { dhcpSpec } from '../dhcp/index.js';
import { dhcpv6Spec } from '../dhcpv6/index.js';
import { DnsName, MAX_NAME_WIRE_LEN, readName } from './parser.js';
import { dnsMessage } from './test-frames.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const PROBES = new Set<number>(Object.values(Probe));
const KINDS = new Set<string>(OPERATION_KINDS);
const UDP_SPECS: AnalyzerSpec[] = [dnsUdpSpec, mdnsSpec, llmnrSpec, nbnsSpec, nbdgmSpec, dhcpSpec, dhcpv6Spec];

/** Valid seeds to mutate: a DNS response with compression, an NBNS registration, a DHCP request, a DHCPv6 solicit. */
function seeds(): Buffer[] {
  const dns = dnsMessage({ id: 1, response: true, question: { name: 'a.example.com', type: 1 }, answers: [{ name: [0xc0, 0x0c], type: 1, data: '10.0.0.1' }, { name: [0xc0, 0x0c], type: 5, data: [3, 0x77, 0x77, 0x77, 0xc0, 0x0e] }] });
  const nbName = [0x20, ...Buffer.from('FHEPFCELEHFCEPFFFACACACACACACAAA', 'latin1'), 0];
  const nbns = Buffer.from([0x12, 0x34, 0x29, 0x10, 0, 1, 0, 0, 0, 0, 0, 1, ...nbName, 0, 0x20, 0, 1, 0xc0, 0x0c, 0, 0x20, 0, 1, 0, 0, 0, 60, 0, 6, 0x80, 0, 10, 0, 0, 5]);
  const dhcp = Buffer.alloc(260);
  dhcp[0] = 1;
  dhcp[1] = 1;
  dhcp[2] = 6;
  dhcp.writeUInt32BE(0x63825363, 236);
  Buffer.from([53, 1, 3, 12, 3, 0x61, 0x62, 0x63, 55, 3, 1, 3, 6, 81, 5, 4, 0, 0, 1, 0x61, 255]).copy(dhcp, 240);
  const v6 = Buffer.from([1, 0, 0, 1, 0, 1, 0, 10, 0, 3, 0, 1, 1, 2, 3, 4, 5, 6, 0, 39, 0, 4, 0, 1, 0x61, 0]);
  const file = join(import.meta.dirname, '..', 'netbios', 'fixtures', 'eternalblue-failed-patched-win7.pcap');
  // A browser host announcement taken from the capture (UDP payload of frame 20), when the fixture is present.
  const out = [dns, nbns, dhcp, v6];
  try {
    const pcap = readFileSync(file);
    const at = pcap.indexOf(Buffer.from('\\MAILSLOT\\BROWSE', 'latin1'));
    if (at > 0) out.push(pcap.subarray(at - 120, at + 100));
  } catch {
    // fixture absent: random inputs only
  }
  return out;
}

function runAll(spec: AnalyzerSpec, datagrams: Buffer[]): void {
  const ctx = recordingContext({ transport: 'udp', serverPort: spec.ports[0]!, clientPort: 40000, sidesGuessed: true }, { maxPendingTransactions: 4 });
  const session = spec.create(ctx);
  datagrams.forEach((d, i) => {
    const p = spec.probe(d, 0, d.length, Dir.ToServer);
    assert.ok(PROBES.has(p));
    session.onData(i % 2 === 0 ? Dir.ToServer : Dir.ToClient, d, 0, d.length, { frame: i + 1, ts: i });
  });
  session.onClose({ frame: datagrams.length + 1, ts: datagrams.length });
  for (const e of ctx.events) {
    if (e.type === 'operation') assert.ok(KINDS.has(e.kind));
    if (e.type === 'asset-fact') assert.ok(e.value.length > 0 && e.confidence > 0 && e.confidence <= 1);
  }
}

test('random datagrams never throw in any name/address-service analyzer', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ minLength: 0, maxLength: 400 }), { minLength: 1, maxLength: 6 }), (arrays) => {
      const datagrams = arrays.map((a) => Buffer.from(a));
      for (const spec of UDP_SPECS) runAll(spec, datagrams);
    }),
    { numRuns: fuzzRuns(100) },
  );
});

test('mutated valid datagrams never throw', () => {
  const base = seeds();
  fc.assert(
    fc.property(
      fc.nat(base.length - 1),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
      fc.nat(),
      (which, flips, cut) => {
        const d = Buffer.from(base[which]!);
        for (const [pos, value] of flips) d[pos % d.length] = value;
        const truncated = d.subarray(0, d.length - (cut % 8));
        for (const spec of UDP_SPECS) runAll(spec, [truncated, d]);
      },
    ),
    { numRuns: fuzzRuns(200) },
  );
});

test('DNS over TCP: arbitrary segmentation of random and valid streams never throws', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 20 }), fc.boolean(), (bytes, cuts, gap) => {
      const ctx = recordingContext({ transport: 'tcp', serverPort: 53 });
      const s = dnsTcpSpec.create(ctx);
      const valid = dnsMessage({ id: 5, question: { name: 'x.y', type: 1 } });
      const stream = Buffer.concat([Buffer.from([0, valid.length]), valid, Buffer.from(bytes)]);
      let off = 0;
      for (let i = 0; off < stream.length; i++) {
        const n = Math.min(cuts[i % cuts.length]!, stream.length - off);
        if (gap && i === 2) s.onGap(Dir.ToServer, 10, { frame: i, ts: i });
        s.onData(Dir.ToServer, stream, off, n, { frame: i + 1, ts: i });
        off += n;
      }
      s.onClose({ frame: 999, ts: 999 });
      if (!gap) assert.ok(ctx.operations().length >= 1, "the leading valid query is always decoded");
    }),
    { numRuns: fuzzRuns(100) },
  );
});

test('name decoding terminates within bounds whatever the pointers (loops, chains, forward jumps)', () => {
  const name = new DnsName();
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.nat(), (bytes, start) => {
      // Bias towards pointers: every third octet becomes a pointer into the buffer.
      const b = Buffer.from(bytes);
      for (let i = 0; i + 1 < b.length; i += 3) {
        b[i] = 0xc0 | ((b[i]! >> 6) & 0x01);
      }
      const pos = start % b.length;
      const r = readName(b, pos, 0, b.length, name);
      assert.ok(r < 0 || (r > pos && r <= b.length));
      if (r >= 0) assert.ok(name.length + 1 <= MAX_NAME_WIRE_LEN);
    }),
    { numRuns: fuzzRuns(500) },
  );
});
