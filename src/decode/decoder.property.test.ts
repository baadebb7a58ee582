import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LinkType, type PacketRecord } from '../capture/types.js';
import { DecodedPacket, DecodeError, EtherType, IpProto } from './packet.js';
import { PacketDecoder } from './decoder.js';
import { fuzzRuns } from '../util/fuzz-budget.js';
import * as F from './fixtures/frames.js';
import { record } from './fixtures/pcap.js';

const LINK_TYPES = [
  LinkType.ETHERNET,
  LinkType.LINUX_SLL,
  LinkType.LINUX_SLL2,
  LinkType.RAW,
  LinkType.IPV4,
  LinkType.IPV6,
  LinkType.NULL,
  LinkType.LOOP,
];
const MAX_DEPTH = 6;

function checkInvariants(pkt: DecodedPacket, frame: Buffer): void {
  assert.ok(pkt.error >= DecodeError.NONE && pkt.error <= DecodeError.TOO_DEEP);
  assert.equal(pkt.raw, frame);
  assert.ok(pkt.payloadLen >= 0 && pkt.payloadOff >= 0);
  assert.ok(pkt.payloadOff + pkt.payloadLen <= pkt.l4Buf.length, 'payload inside l4Buf');
  assert.ok(pkt.l2PayloadLen >= 0 && pkt.l2PayloadOff >= 0);
  assert.ok(pkt.l2PayloadOff + pkt.l2PayloadLen <= pkt.raw.length, 'L2 payload inside raw');
  if (pkt.ipVersion === 4) assert.ok(pkt.l3Off + 20 <= pkt.l3Buf.length);
  if (pkt.ipVersion === 6) {
    assert.ok(pkt.src6Off + 16 <= pkt.l3Buf.length && pkt.dst6Off + 16 <= pkt.l3Buf.length);
  }
  assert.ok(pkt.tunnelDepth <= MAX_DEPTH && pkt.vlanDepth <= MAX_DEPTH && pkt.mplsDepth <= MAX_DEPTH);
  assert.ok(Number.isInteger(pkt.srcMac) && pkt.srcMac >= 0 && pkt.srcMac < 2 ** 48);
  assert.ok(pkt.src4 >= 0 && pkt.src4 <= 0xffffffff && pkt.tcpSeq >= 0 && pkt.tcpSeq <= 0xffffffff);
  assert.ok(!(pkt.reassembled && pkt.fragmentPending));
}

function decodeChecked(decoder: PacketDecoder, pkt: DecodedPacket, frame: Buffer, linkType: number, ts: number): void {
  decoder.decode(record(frame, linkType, 1, ts), pkt);
  checkInvariants(pkt, frame);
}

const A = '00:11:22:33:44:55';
const B = '66:77:88:99:aa:bb';

/** Valid seed frames per link type, covering every encapsulation the decoder knows. */
function seeds(): Array<[number, Buffer]> {
  const tcpSeg = F.tcp({ sport: 1234, dport: 502, payload: F.hex('000100000006010300000001') });
  const v4 = F.ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: IpProto.TCP, payload: tcpSeg });
  const v6 = F.ipv6({ src: '2001:db8::1', dst: '2001:db8::2', next: 0, payload: Buffer.concat([F.ip6Ext(51), F.ip6Ah(IpProto.UDP), F.udp(1, 2, Buffer.alloc(5))]) });
  const inner = F.ethernet(B, A, EtherType.IPV4, v4, [{ tpid: EtherType.VLAN, vid: 7 }]);
  const outer = (proto: number, payload: Buffer) => F.ethernet(B, A, EtherType.IPV4, F.ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto, payload }));
  const frag = F.ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: IpProto.UDP, id: 5, moreFragments: true, payload: Buffer.alloc(16, 1) });
  const v6frag = F.ipv6({ src: '::1', dst: '::2', next: 44, payload: Buffer.concat([F.ip6Frag(IpProto.UDP, 8, false, 3), Buffer.alloc(10)]) });
  const eth: Buffer[] = [
    F.ethernet(B, A, EtherType.IPV4, v4, [{ tpid: EtherType.QINQ, vid: 1 }, { tpid: EtherType.VLAN, vid: 2 }]),
    F.ethernet(B, A, EtherType.IPV6, v6),
    F.ethernet(B, A, EtherType.MPLS, F.mplsStack([1, 2], v4)),
    F.ethernet(B, A, EtherType.MPLS, F.mplsStack([1], Buffer.concat([Buffer.alloc(4), inner]))),
    F.ethernet(B, A, EtherType.PPPOE_SESS, F.pppoeSession(1, 0x21, v4)),
    F.ethernet(B, A, EtherType.ARP, F.arpPacket(1, A, '1.2.3.4', B, '5.6.7.8')),
    F.ethernet(B, A, EtherType.PROFINET, F.hex('fefe05000102030400000000')),
    F.ieee8023(B, A, Buffer.concat([F.hex('aaaa03000000 0800'), v4])),
    F.ieee8023(B, A, F.hex('424203000000000000'), 60),
    outer(IpProto.GRE, F.gre({ proto: EtherType.TEB, key: 1, seq: 2, checksum: true, payload: inner })),
    outer(IpProto.GRE, F.gre({ proto: EtherType.ERSPAN_II, seq: 2, payload: F.erspan2(inner) })),
    outer(IpProto.GRE, F.gre({ proto: EtherType.ERSPAN_III, seq: 2, payload: F.erspan3(inner, true) })),
    // Enhanced GRE (PPTP) with key, sequence and ack, PPP with address/control and IPv4.
    outer(IpProto.GRE, Buffer.concat([F.hex('3081880b 0030 0001 00000001 00000002 ff03 0021'), v4])),
    outer(IpProto.UDP, F.udp(1, 4789, F.vxlan(1, inner))),
    outer(IpProto.UDP, F.udp(1, 6081, F.geneve(1, EtherType.TEB, inner, Buffer.alloc(4)))),
    outer(4, v4),
    outer(IpProto.ICMP, F.icmp(3, 1, Buffer.concat([Buffer.alloc(4), v4.subarray(0, 28)]))),
    F.ethernet(B, A, EtherType.IPV4, frag),
    F.ethernet(B, A, EtherType.IPV6, v6frag),
  ];
  const family = (n: number, le: boolean) => {
    const b = Buffer.alloc(4);
    if (le) b.writeUInt32LE(n);
    else b.writeUInt32BE(n);
    return b;
  };
  return [
    ...eth.map((f): [number, Buffer] => [LinkType.ETHERNET, f]),
    [LinkType.LINUX_SLL, F.sll1(EtherType.IPV4, v4)],
    [LinkType.LINUX_SLL, F.sll1(EtherType.VLAN, Buffer.concat([F.hex('00070800'), v4]))],
    [LinkType.LINUX_SLL2, F.sll2(EtherType.IPV6, v6)],
    [LinkType.RAW, v4],
    [LinkType.IPV4, v4],
    [LinkType.IPV6, v6],
    [LinkType.NULL, Buffer.concat([family(2, true), v4])],
    [LinkType.NULL, Buffer.concat([family(30, false), v6])],
    [LinkType.LOOP, Buffer.concat([family(24, false), v6])],
  ];
}

test('random bytes on every link type: no throw, offsets in bounds', () => {
  const decoder = new PacketDecoder({ maxDepth: MAX_DEPTH, maxFragmentDatagrams: 16, maxFragmentBytes: 64 * 1024 });
  const pkt = new DecodedPacket();
  fc.assert(
    fc.property(fc.constantFrom(...LINK_TYPES), fc.uint8Array({ maxLength: 200 }), fc.integer({ min: 0, max: 100 }), (lt, bytes, ts) => {
      decodeChecked(decoder, pkt, Buffer.from(bytes), lt, 1_700_000_000 + ts);
    }),
    { numRuns: fuzzRuns(1500) },
  );
});

test('mutated valid frames (flips, truncation, spliced bytes): no throw, offsets in bounds', () => {
  const all = seeds();
  const decoder = new PacketDecoder({ maxDepth: MAX_DEPTH, maxFragmentDatagrams: 16, maxFragmentBytes: 64 * 1024 });
  const pkt = new DecodedPacket();
  // Seeds decode cleanly to begin with (otherwise the mutations would test less than they seem to).
  for (const [lt, frame] of all) {
    decodeChecked(decoder, pkt, frame, lt, 1_700_000_000);
    assert.equal(pkt.error, DecodeError.NONE, `seed ${frame.toString('hex').slice(0, 60)}`);
  }
  const mutation = fc.record({
    flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
    cut: fc.option(fc.nat(), { nil: undefined }),
    extra: fc.uint8Array({ maxLength: 16 }),
  });
  fc.assert(
    fc.property(fc.integer({ min: 0, max: all.length - 1 }), mutation, fc.nat({ max: 60 }), (index, m, ts) => {
      const [lt, seed] = all[index]!;
      let frame = Buffer.from(seed);
      for (const [pos, value] of m.flips) frame[pos % frame.length] = value;
      if (m.cut !== undefined) frame = frame.subarray(0, m.cut % (frame.length + 1));
      if (m.extra.length > 0) frame = Buffer.concat([frame, m.extra]);
      decodeChecked(decoder, pkt, frame, lt, 1_700_000_000 + ts);
    }),
    { numRuns: fuzzRuns(1500) },
  );
  assert.ok(decoder.pendingFragmentDatagrams <= 16);
});

test('any split, order and duplication of fragments reassembles to the original datagram', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 9, max: 400 }),
      fc.uniqueArray(fc.integer({ min: 1, max: 49 }), { maxLength: 8 }),
      fc.array(fc.nat(), { maxLength: 12 }),
      fc.boolean(),
      (size, cutUnits, shuffle, v6) => {
        const body = Buffer.alloc(size);
        for (let i = 0; i < size; i++) body[i] = (i * 31 + size) & 0xff;
        const datagram = F.udp(3000, 4000, body);
        const cuts = [...new Set(cutUnits.map((u) => u * 8).filter((c) => c < datagram.length))].sort((a, b) => a - b);
        const bounds = [0, ...cuts, datagram.length];
        const frames: Buffer[] = [];
        for (let i = 0; i + 1 < bounds.length; i++) {
          const off = bounds[i]!;
          const more = i + 2 < bounds.length;
          const piece = datagram.subarray(off, bounds[i + 1]!);
          frames.push(
            v6
              ? F.ethernet(B, A, EtherType.IPV6, F.ipv6({ src: 'fd00::1', dst: 'fd00::2', next: 44, payload: Buffer.concat([F.ip6Frag(IpProto.UDP, off, more, 77), piece]) }))
              : F.ethernet(B, A, EtherType.IPV4, F.ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: IpProto.UDP, id: 77, fragOffset: off, moreFragments: more, payload: piece })),
          );
        }
        // Random order, with duplicates appended (duplicates arriving after completion start a new datagram).
        const order = frames.map((_, i) => i);
        for (let i = 0; i < shuffle.length && order.length > 1; i++) {
          const a = shuffle[i]! % order.length;
          const b = (shuffle[i]! >> 3) % order.length;
          [order[a], order[b]] = [order[b]!, order[a]!];
        }
        const dupes = shuffle.slice(0, 2).map((s) => order[s % order.length]!);
        const decoder = new PacketDecoder();
        const pkt = new DecodedPacket();
        let completed = 0;
        const sequence = [...order.slice(0, -1), ...dupes.filter((d) => d !== order[order.length - 1]), order[order.length - 1]!];
        for (const i of sequence) {
          decoder.decode(record(frames[i]!, LinkType.ETHERNET), pkt);
          if (pkt.reassembled) {
            completed++;
            assert.equal(pkt.srcPort, 3000);
            assert.deepEqual(pkt.l4Buf.subarray(pkt.payloadOff, pkt.payloadOff + pkt.payloadLen), body);
          }
        }
        assert.equal(completed, frames.length > 1 ? 1 : 0);
        assert.equal(decoder.pendingFragmentDatagrams, 0);
      },
    ),
    { numRuns: fuzzRuns(300) },
  );
});

test('random fragment floods stay within the caps', () => {
  const maxBytes = 20_000;
  const maxDatagrams = 8;
  const decoder = new PacketDecoder({ maxFragmentBytes: maxBytes, maxFragmentDatagrams: maxDatagrams, fragmentTimeoutSec: 5 });
  const pkt = new DecodedPacket();
  fc.assert(
    fc.property(
      fc.array(fc.record({ id: fc.integer({ min: 0, max: 20 }), unit: fc.integer({ min: 0, max: 8000 }), len: fc.integer({ min: 0, max: 1500 }), more: fc.boolean(), dt: fc.integer({ min: 0, max: 2 }) }), { maxLength: 40 }),
      (fragments) => {
        let ts = 1_700_000_000;
        for (const f of fragments) {
          ts += f.dt;
          const frame = F.ethernet(B, A, EtherType.IPV4, F.ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: IpProto.UDP, id: f.id, fragOffset: f.unit * 8, moreFragments: f.more, payload: Buffer.alloc(f.len, f.id) }));
          decoder.decode(record(frame, LinkType.ETHERNET, 1, ts), pkt);
          checkInvariants(pkt, frame);
          assert.ok(decoder.pendingFragmentDatagrams <= maxDatagrams);
          assert.ok(decoder.bufferedFragmentBytes <= maxBytes);
        }
      },
    ),
    { numRuns: fuzzRuns(200) },
  );
  const c = decoder.counters;
  assert.ok(c.fragments > 0);
  assert.ok(c.fragmentCapHits > 0, 'the flood reached the caps');
});

test('the Ethernet/IPv4/TCP|UDP fast path gives exactly the general path\'s packet and counters', () => {
  const payload = F.hex('000100000006010300000001');
  const tcpV4 = (opts: Record<string, unknown> = {}) =>
    F.ipv4({ src: '10.0.0.1', dst: '192.168.200.2', proto: IpProto.TCP, payload: F.tcp({ sport: 50123, dport: 502, payload }), ...opts });
  const common: Buffer[] = [
    F.ethernet(B, A, EtherType.IPV4, tcpV4()),
    F.ethernet(B, A, EtherType.IPV4, tcpV4({ ttl: 1, id: 0xffff, dontFragment: true })),
    F.ethernet(B, A, EtherType.IPV4, F.ipv4({ src: '255.255.255.255', dst: '10.0.0.2', proto: IpProto.UDP, payload: F.udp(53, 40000, Buffer.alloc(30, 7)) })),
    F.ethernet(B, A, EtherType.IPV4, F.ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: IpProto.UDP, payload: F.udp(1, 4789, Buffer.alloc(30)) })),
    F.ethernet(B, A, EtherType.IPV4, F.ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: IpProto.ICMP, payload: F.icmp(8, 0, Buffer.alloc(8)) })),
    F.ethernet(B, A, EtherType.IPV4, tcpV4(), [{ tpid: EtherType.VLAN, vid: 4095 }]),
    F.ethernet(B, A, EtherType.IPV4, tcpV4({ dontFragment: true }), [{ tpid: EtherType.VLAN, vid: 10 }]),
    F.ethernet(B, A, EtherType.IPV4, F.ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: IpProto.UDP, payload: F.udp(47808, 47808, Buffer.alloc(9)) }), [{ tpid: EtherType.VLAN, vid: 3 }]),
    F.ethernet(B, A, EtherType.IPV4, tcpV4(), [{ tpid: EtherType.QINQ, vid: 1 }, { tpid: EtherType.VLAN, vid: 2 }]),
  ];
  // Previous packets of other shapes leave fields set that the fast path must overwrite.
  const others = seeds().map(([lt, frame]) => [lt, frame] as [number, Buffer]);
  // A depth bound of 0 makes even one VLAN tag too deep: the fast path must leave such packets alone.
  for (const maxDepth of [0, 1, 12]) {
    const fast = new PacketDecoder({ maxFragmentDatagrams: 16, maxDepth });
    const general = new PacketDecoder({ maxFragmentDatagrams: 16, maxDepth, plainFastPath: false });
    const fastPkt = new DecodedPacket();
    const generalPkt = new DecodedPacket();
    const keys = Object.keys(fastPkt) as Array<keyof DecodedPacket>;
    let cleanTcp = 0;
    const mutation = fc.record({
      // Flips land in the headers (Ethernet type, IPv4, TCP/UDP), where the fast path's conditions are.
      flips: fc.array(fc.tuple(fc.integer({ min: 12, max: 64 }), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
      cut: fc.option(fc.nat(), { nil: undefined }),
      padding: fc.nat({ max: 20 }),
    });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: common.length - 1 }), fc.integer({ min: 0, max: others.length - 1 }), mutation, (index, before, m) => {
        const [beforeLt, beforeFrame] = others[before]!;
        fast.decode(record(beforeFrame, beforeLt), fastPkt);
        general.decode(record(beforeFrame, beforeLt), generalPkt);
        let frame = Buffer.concat([common[index]!, Buffer.alloc(m.padding)]);
        for (const [pos, value] of m.flips) if (pos < frame.length) frame[pos] = value;
        if (m.cut !== undefined) frame = frame.subarray(0, m.cut % (frame.length + 1));
        // In place inside a larger buffer, as the reader hands packets over: bytes past the record must not count.
        const chunk = Buffer.concat([Buffer.alloc(7, 0xee), frame, Buffer.alloc(40, 0x45)]);
        const rec: PacketRecord = { ...record(frame, LinkType.ETHERNET), buf: chunk, offset: 7 };
        assert.equal(fast.decode(rec, fastPkt), general.decode(rec, generalPkt));
        for (const key of keys) assert.equal(fastPkt[key], generalPkt[key], key);
        if (fastPkt.l4Proto === IpProto.TCP && fastPkt.error === DecodeError.NONE) cleanTcp++;
      }),
      { numRuns: fuzzRuns(600) },
    );
    assert.deepEqual({ ...fast.counters }, { ...general.counters });
    assert.ok(cleanTcp > 0, 'some packets were plain IPv4/TCP');
  }
});
