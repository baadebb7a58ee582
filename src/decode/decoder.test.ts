import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { LinkType } from '../capture/types.js';
import { DecodedPacket, DecodeError, EtherType, IpProto } from './packet.js';
import { PacketDecoder, copyDecodedPacket, describeDecoded } from './decoder.js';
import { ip4FromString, ip6ToString, macFromString } from '../util/addr.js';
import * as F from './fixtures/frames.js';
import { record } from './fixtures/pcap.js';

const MAC_A = '00:11:22:33:44:55';
const MAC_B = '66:77:88:99:aa:bb';
const MAC_C = '02:00:00:00:00:0c';
const MAC_D = '02:00:00:00:00:0d';
const MODBUS_REQUEST = F.hex('000100000006010300000001');

function decode(frame: Buffer, linkType: number = LinkType.ETHERNET, decoder = new PacketDecoder(), tsSec = 1_700_000_000) {
  const pkt = new DecodedPacket();
  const ok = decoder.decode(record(frame, linkType, 1, tsSec), pkt);
  return { ok, pkt, decoder };
}

function payloadOf(pkt: DecodedPacket): Buffer {
  return pkt.l4Buf.subarray(pkt.payloadOff, pkt.payloadOff + pkt.payloadLen);
}

function l2PayloadOf(pkt: DecodedPacket): Buffer {
  return pkt.raw.subarray(pkt.l2PayloadOff, pkt.l2PayloadOff + pkt.l2PayloadLen);
}

function modbusTcp(src = '10.1.1.1', dst = '10.2.2.2'): Buffer {
  return F.ipv4({
    src,
    dst,
    proto: IpProto.TCP,
    id: 0x4242,
    ttl: 63,
    payload: F.tcp({ sport: 40000, dport: 502, seq: 0xfffffff0, ack: 0x80000001, flags: 0x18, window: 1000, payload: MODBUS_REQUEST }),
  });
}

function assertModbusTcp(pkt: DecodedPacket, src = '10.1.1.1', dst = '10.2.2.2'): void {
  assert.equal(pkt.error, DecodeError.NONE, `error ${pkt.error}`);
  assert.equal(pkt.ipVersion, 4);
  assert.equal(pkt.src4, ip4FromString(src));
  assert.equal(pkt.dst4, ip4FromString(dst));
  assert.equal(pkt.ttl, 63);
  assert.equal(pkt.ipId, 0x4242);
  assert.equal(pkt.l4Proto, IpProto.TCP);
  assert.equal(pkt.srcPort, 40000);
  assert.equal(pkt.dstPort, 502);
  assert.equal(pkt.tcpSeq, 0xfffffff0);
  assert.equal(pkt.tcpAck, 0x80000001);
  assert.equal(pkt.tcpFlags, 0x18);
  assert.equal(pkt.tcpWindow, 1000);
  assert.deepEqual(payloadOf(pkt), MODBUS_REQUEST);
}

describe('real frames (embedded from corpus captures)', () => {
  test('Ethernet/IPv4/TCP (modbus.pcap frame 1)', () => {
    const frame = F.hex(
      '0002b3ce705100207800620d080045000028857f4000800661150a0000390a000003095301f6ab638ec491f9de595011fa63eb6f0000000000000000',
    );
    const { ok, pkt } = decode(frame);
    assert.ok(ok);
    assert.equal(pkt.error, DecodeError.NONE);
    assert.equal(pkt.hasEth, true);
    assert.equal(pkt.srcMac, macFromString('00:20:78:00:62:0d'));
    assert.equal(pkt.dstMac, macFromString('00:02:b3:ce:70:51'));
    assert.equal(pkt.etherType, EtherType.IPV4);
    assert.equal(pkt.src4, ip4FromString('10.0.0.57'));
    assert.equal(pkt.dst4, ip4FromString('10.0.0.3'));
    assert.equal(pkt.ttl, 128);
    assert.equal(pkt.ipId, 0x857f);
    assert.equal(pkt.srcPort, 2387);
    assert.equal(pkt.dstPort, 502);
    assert.equal(pkt.tcpSeq, 2875428548);
    assert.equal(pkt.tcpAck, 2449071705);
    assert.equal(pkt.tcpFlags, 0x11);
    assert.equal(pkt.tcpWindow, 64099);
    // 6 bytes of Ethernet padding follow the 40-byte IP datagram: not payload.
    assert.equal(pkt.payloadLen, 0);
    assert.equal(pkt.l3Off, 14);
  });

  test('BSD NULL loopback IPv4/TCP (opcua python minimal frame 4)', () => {
    const frame = F.hex(
      '020000004500004000004000400600007f0000017f00000112e8f6aa5fb3c18212817a75b012fffffe34000002043fd8010303050101080a77c2b4f077c2b4f004020000',
    );
    const { ok, pkt } = decode(frame, LinkType.NULL);
    assert.ok(ok);
    assert.equal(pkt.hasEth, false);
    assert.equal(pkt.etherType, EtherType.IPV4);
    assert.equal(pkt.src4, ip4FromString('127.0.0.1'));
    assert.equal(pkt.srcPort, 4840);
    assert.equal(pkt.dstPort, 63146);
    assert.equal(pkt.tcpSeq, 1605616002);
    assert.equal(pkt.tcpAck, 310475381);
    assert.equal(pkt.tcpFlags, 0x12);
    assert.equal(pkt.tcpWindow, 65535);
    assert.equal(pkt.payloadLen, 0);
    // Same packet with the family in network order (big-endian writer) decodes too.
    const swapped = Buffer.from(frame);
    swapped.writeUInt32BE(2, 0);
    assert.equal(decode(swapped, LinkType.NULL).pkt.srcPort, 4840);
    assert.equal(decode(swapped, LinkType.LOOP).pkt.srcPort, 4840);
    // LOOP is network order only: a little-endian family is not AF_INET there.
    assert.equal(decode(frame, LinkType.LOOP).pkt.error, DecodeError.UNSUPPORTED_LINK);
  });

  test('raw IPv4 HTTP (basic-auth-with-colon frame 4)', () => {
    const frame = F.hex(
      '450000ee44fa400040069144ac1885cdac1885cda8521f4000b58bdcc57036b080180200ebdf00000101080a66c7763a66c7763a474554202f20485454502f312e310d0a486f73743a203137322e32342e3133332e3230353a383030300d0a557365722d4167656e743a20707974686f6e2d72657175657374732f322e33312e300d0a4163636570742d456e636f64696e673a20677a69702c206465666c6174650d0a4163636570743a202a2f2a0d0a436f6e6e656374696f6e3a206b6565702d616c6976650d0a417574686f72697a6174696f6e3a20426173696320206447567a64446f784f6a4d300d0a0d0a',
    );
    for (const lt of [LinkType.RAW, LinkType.IPV4]) {
      const { ok, pkt } = decode(frame, lt);
      assert.ok(ok);
      assert.equal(pkt.src4, ip4FromString('172.24.133.205'));
      assert.equal(pkt.srcPort, 43090);
      assert.equal(pkt.dstPort, 8000);
      assert.equal(pkt.tcpSeq, 11897820);
      assert.equal(pkt.tcpAck, 3312465584);
      assert.equal(pkt.payloadLen, 186);
      assert.equal(payloadOf(pkt).subarray(0, 14).toString(), 'GET / HTTP/1.1');
    }
  });

  test('ARP request (Telnet.pcap frame 44)', () => {
    const frame = F.hex(
      'ffffffffffff001bb9965bc508060001080006040001001bb9965bc5c0a801fe000000000000c0a801bfa8c16eda5018ff2e9c4c000000000055ff53',
    );
    const { ok, pkt } = decode(frame);
    assert.ok(ok);
    assert.equal(pkt.etherType, EtherType.ARP);
    assert.equal(pkt.ipVersion, 0);
    assert.equal(pkt.arpOp, 1);
    assert.equal(pkt.arpSenderMac, macFromString('00:1b:b9:96:5b:c5'));
    assert.equal(pkt.arpSenderIp, ip4FromString('192.168.1.254'));
    assert.equal(pkt.arpTargetMac, 0);
    assert.equal(pkt.arpTargetIp, ip4FromString('192.168.1.191'));
    assert.equal(pkt.l2PayloadOff, 14);
    assert.equal(pkt.l2PayloadLen, frame.length - 14);
  });

  test('802.3/LLC spanning tree BPDU (Telnet.pcap frame 262)', () => {
    const frame = F.hex(
      '0180c200000000134926be5c0027424203000002024c800000134926be5c00000000800000134926be5c80020000140002000f00000089003aa19880',
    );
    const { ok, pkt } = decode(frame);
    assert.ok(ok);
    assert.equal(pkt.llcDsap, 0x42);
    assert.equal(pkt.etherType, 0);
    assert.equal(pkt.srcMac, macFromString('00:13:49:26:be:5c'));
    // 0x27 = 39 bytes of LLC frame: 3-byte LLC header, 36-byte BPDU; the trailing padding is not payload.
    assert.equal(pkt.l2PayloadOff, 17);
    assert.equal(pkt.l2PayloadLen, 36);
    assert.equal(pkt.raw[pkt.l2PayloadOff + 3], 0x02); // BPDU type RST
  });
});

describe('link layers', () => {
  const ipPacket = modbusTcp();

  test('Linux cooked v1 and v2', () => {
    for (const [frame, lt] of [
      [F.sll1(EtherType.IPV4, ipPacket, MAC_C), LinkType.LINUX_SLL],
      [F.sll2(EtherType.IPV4, ipPacket, MAC_C), LinkType.LINUX_SLL2],
    ] as const) {
      const { ok, pkt } = decode(frame, lt);
      assert.ok(ok);
      assertModbusTcp(pkt);
      assert.equal(pkt.srcMac, macFromString(MAC_C));
      assert.equal(pkt.hasEth, false);
      assert.equal(pkt.etherType, EtherType.IPV4);
      assert.equal(pkt.l3Off, lt === LinkType.LINUX_SLL ? 16 : 20);
    }
    // SLL carrying 802.2 LLC (protocol 4).
    const llc = decode(F.sll1(4, F.hex('424203000000'), MAC_C), LinkType.LINUX_SLL).pkt;
    assert.equal(llc.llcDsap, 0x42);
    assert.equal(llc.l2PayloadOff, 19);
    // SLL with a VLAN tag left in-band.
    const tagged = decode(F.sll2(EtherType.VLAN, Buffer.concat([F.hex('0064 0800'), ipPacket])), LinkType.LINUX_SLL2).pkt;
    assert.equal(tagged.vlan, 100);
    assertModbusTcp(tagged);
  });

  test('raw IPv6 link type and version nibble', () => {
    const v6 = F.ipv6({ src: '2001:db8::1', dst: '2001:db8::2', next: IpProto.UDP, payload: F.udp(5000, 47808, F.hex('810a0004')) });
    for (const lt of [LinkType.RAW, LinkType.IPV6]) {
      const { pkt } = decode(v6, lt);
      assert.equal(pkt.ipVersion, 6);
      assert.equal(ip6ToString(pkt.l3Buf, pkt.src6Off), '2001:db8::1');
      assert.equal(ip6ToString(pkt.l3Buf, pkt.dst6Off), '2001:db8::2');
      assert.equal(pkt.dstPort, 47808);
    }
    const bad = decode(F.hex('50000000'), LinkType.RAW);
    assert.equal(bad.ok, false);
    assert.equal(bad.pkt.error, DecodeError.MALFORMED);
  });

  test('BSD NULL IPv6 families 24, 28, 30 and unknown family', () => {
    const v6 = F.ipv6({ src: 'fe80::1', dst: 'ff02::1', next: IpProto.ICMPV6, payload: F.icmp(135, 0, Buffer.alloc(20)) });
    for (const family of [24, 28, 30]) {
      const hdr = Buffer.alloc(4);
      hdr.writeUInt32LE(family);
      const { pkt } = decode(Buffer.concat([hdr, v6]), LinkType.NULL);
      assert.equal(pkt.ipVersion, 6);
      assert.equal(pkt.icmpType, 135);
      assert.equal(pkt.icmpCode, 0);
      assert.equal(pkt.payloadLen, 16);
    }
    const unknown = decode(Buffer.concat([F.hex('07000000'), v6]), LinkType.NULL);
    assert.equal(unknown.ok, false);
    assert.equal(unknown.pkt.error, DecodeError.UNSUPPORTED_LINK);
    assert.equal(unknown.decoder.counters.unsupportedLink, 1);
  });

  test('unsupported link type', () => {
    const { ok, pkt, decoder } = decode(ipPacket, 9999);
    assert.equal(ok, false);
    assert.equal(pkt.error, DecodeError.UNSUPPORTED_LINK);
    assert.equal(decoder.counters.unsupportedLink, 1);
    assert.equal(decoder.counters.undecodable, 1);
  });

  test('record fields are copied', () => {
    const pkt = new DecodedPacket();
    const rec = { ...record(F.ethernet(MAC_B, MAC_A, EtherType.IPV4, ipPacket), LinkType.ETHERNET, 17, 1_700_000_123, 250_000_000), origLen: 1514 };
    new PacketDecoder().decode(rec, pkt);
    assert.equal(pkt.frame, 17);
    assert.equal(pkt.tsSec, 1_700_000_123);
    assert.equal(pkt.tsNsec, 250_000_000);
    assert.equal(pkt.ts, 1_700_000_123.25);
    assert.equal(pkt.wireLen, 1514);
    assert.equal(pkt.raw, rec.data);
  });
});

describe('Ethernet encapsulations', () => {
  test('802.1Q, 802.1ad QinQ, 0x9100 and mixed stacks', () => {
    const cases: Array<[F.VlanTag[], number, number]> = [
      [[{ tpid: EtherType.VLAN, vid: 100, pcp: 5 }], 100, 100],
      [[{ tpid: EtherType.QINQ, vid: 200 }, { tpid: EtherType.VLAN, vid: 10 }], 200, 10],
      [[{ tpid: EtherType.VLAN_9100, vid: 4094 }, { tpid: EtherType.VLAN, vid: 1 }], 4094, 1],
      [[{ tpid: EtherType.QINQ, vid: 7 }, { tpid: EtherType.QINQ, vid: 8 }, { tpid: EtherType.VLAN_9100, vid: 9 }, { tpid: EtherType.VLAN, vid: 11 }], 7, 11],
    ];
    for (const [tags, outer, inner] of cases) {
      const frame = F.ethernet(MAC_B, MAC_A, EtherType.IPV4, modbusTcp(), tags);
      const { pkt } = decode(frame);
      assertModbusTcp(pkt);
      assert.equal(pkt.vlanDepth, tags.length);
      assert.equal(pkt.outerVlan, outer);
      assert.equal(pkt.vlan, inner);
      assert.equal(pkt.l3Off, 14 + 4 * tags.length);
      assert.equal(pkt.l2PayloadOff, 14 + 4 * tags.length);
    }
  });

  test('VLAN depth beyond maxDepth is TOO_DEEP', () => {
    const tags = Array.from({ length: 9 }, (_, i) => ({ tpid: EtherType.VLAN, vid: i + 1 }));
    const frame = F.ethernet(MAC_B, MAC_A, EtherType.IPV4, modbusTcp(), tags);
    const { ok, pkt, decoder } = decode(frame, LinkType.ETHERNET, new PacketDecoder({ maxDepth: 8 }));
    assert.equal(ok, true); // the MACs are still usable
    assert.equal(pkt.error, DecodeError.TOO_DEEP);
    assert.equal(pkt.vlanDepth, 8);
    assert.equal(pkt.ipVersion, 0);
    assert.equal(decoder.counters.tooDeep, 1);
    // Eight tags fit.
    assertModbusTcp(decode(F.ethernet(MAC_B, MAC_A, EtherType.IPV4, modbusTcp(), tags.slice(0, 8)), LinkType.ETHERNET, new PacketDecoder({ maxDepth: 8 })).pkt);
  });

  test('MPLS label stack to bottom of stack, IPv4 and IPv6 payloads', () => {
    const v4 = decode(F.ethernet(MAC_B, MAC_A, EtherType.MPLS, F.mplsStack([16, 17, 18], modbusTcp()))).pkt;
    assertModbusTcp(v4);
    assert.equal(v4.mplsDepth, 3);
    assert.equal(v4.etherType, EtherType.IPV4);
    assert.equal(v4.l3Off, 14 + 12);
    const v6 = decode(
      F.ethernet(MAC_B, MAC_A, EtherType.MPLS_MC, F.mplsStack([100], F.ipv6({ src: '2001:db8::a', dst: '2001:db8::b', next: IpProto.UDP, payload: F.udp(1, 2, Buffer.alloc(4)) }))),
    ).pkt;
    assert.equal(v6.mplsDepth, 1);
    assert.equal(v6.ipVersion, 6);
    assert.equal(v6.dstPort, 2);
    // Unknown first nibble: stays MPLS with the payload for L2 consumers.
    const other = decode(F.ethernet(MAC_B, MAC_A, EtherType.MPLS, F.mplsStack([5], F.hex('99887766')))).pkt;
    assert.equal(other.etherType, EtherType.MPLS);
    assert.deepEqual(l2PayloadOf(other), F.hex('99887766'));
    // Label stack without bottom-of-stack bit running off the end.
    const cut = decode(F.ethernet(MAC_B, MAC_A, EtherType.MPLS, F.hex('00010040 00011040'))).pkt;
    assert.equal(cut.error, DecodeError.TRUNCATED);
    assert.equal(cut.mplsDepth, 2);
  });

  test('MPLS Ethernet pseudowire with control word is a tunnel', () => {
    const inner = F.ethernet(MAC_D, MAC_C, EtherType.IPV4, modbusTcp(), [{ tpid: EtherType.VLAN, vid: 33 }]);
    const outer = F.ethernet(MAC_B, MAC_A, EtherType.MPLS, F.mplsStack([1000, 2000], Buffer.concat([Buffer.alloc(4), inner])), [
      { tpid: EtherType.VLAN, vid: 5 },
    ]);
    const { pkt } = decode(outer);
    assertModbusTcp(pkt);
    assert.equal(pkt.tunnelDepth, 1);
    assert.equal(pkt.srcMac, macFromString(MAC_C));
    assert.equal(pkt.vlan, 33);
    assert.equal(pkt.outerVlan, 33);
    assert.equal(pkt.vlanDepth, 1);
    assert.equal(pkt.mplsDepth, 0);
  });

  test('PPPoE session IPv4 and IPv6; other PPP protocols stay L2', () => {
    const v4 = decode(F.ethernet(MAC_B, MAC_A, EtherType.PPPOE_SESS, F.pppoeSession(0x1234, 0x0021, modbusTcp()))).pkt;
    assertModbusTcp(v4);
    assert.equal(v4.l3Off, 22);
    const v6pkt = F.ipv6({ src: '2001:db8::1', dst: '2001:db8::2', next: IpProto.TCP, payload: F.tcp({ sport: 1, dport: 2 }) });
    const v6 = decode(F.ethernet(MAC_B, MAC_A, EtherType.PPPOE_SESS, F.pppoeSession(1, 0x0057, v6pkt))).pkt;
    assert.equal(v6.ipVersion, 6);
    assert.equal(v6.dstPort, 2);
    const lcp = decode(F.ethernet(MAC_B, MAC_A, EtherType.PPPOE_SESS, F.pppoeSession(1, 0xc021, F.hex('01010004')))).pkt;
    assert.equal(lcp.etherType, EtherType.PPPOE_SESS);
    assert.equal(lcp.ipVersion, 0);
    assert.deepEqual(l2PayloadOf(lcp), F.hex('c02101010004'));
  });

  test('non-IP EtherTypes expose the L2 payload (PROFINET, LLDP, GOOSE), also behind VLAN tags', () => {
    for (const type of [EtherType.PROFINET, EtherType.LLDP, EtherType.GOOSE, EtherType.ETHERCAT]) {
      const body = F.hex('fefe0500aabbccdd');
      const { ok, pkt } = decode(F.ethernet(MAC_B, MAC_A, type, body, [{ tpid: EtherType.VLAN, vid: 0, pcp: 6 }]));
      assert.ok(ok);
      assert.equal(pkt.etherType, type);
      assert.equal(pkt.vlanDepth, 1);
      assert.equal(pkt.vlan, 0);
      assert.equal(pkt.l2PayloadOff, 18);
      assert.deepEqual(l2PayloadOf(pkt), body);
      assert.equal(pkt.ipVersion, 0);
    }
  });

  test('LLC/SNAP continues with the SNAP type; plain LLC keeps DSAP', () => {
    const snapIp = Buffer.concat([F.hex('aaaa03 000000 0800'), modbusTcp()]);
    const { pkt } = decode(F.ieee8023(MAC_B, MAC_A, snapIp));
    assertModbusTcp(pkt);
    assert.equal(pkt.llcDsap, 0xaa);
    assert.equal(pkt.etherType, EtherType.IPV4);
    assert.equal(pkt.l3Off, 22);
    const cdp = decode(F.ieee8023(MAC_B, MAC_A, Buffer.concat([F.hex('aaaa03 00000c 2000'), F.hex('02b4')]))).pkt;
    assert.equal(cdp.etherType, 0x2000);
    assert.deepEqual(l2PayloadOf(cdp), F.hex('02b4'));
    // I-format LLC has a 2-byte control field.
    const iFrame = decode(F.ieee8023(MAC_B, MAC_A, F.hex('f0f0 0000 deadbeef'), 60)).pkt;
    assert.equal(iFrame.llcDsap, 0xf0);
    assert.deepEqual(l2PayloadOf(iFrame), F.hex('deadbeef'));
    // 802.3 length claims more than was captured.
    const cut = F.ieee8023(MAC_B, MAC_A, F.hex('424203000000'));
    cut.writeUInt16BE(100, 12);
    assert.equal(decode(cut).pkt.error, DecodeError.TRUNCATED);
  });

  test('ARP that is not Ethernet/IPv4 keeps arpOp 0; truncated ARP is TRUNCATED', () => {
    const tokenRing = F.ethernet(MAC_B, MAC_A, EtherType.ARP, F.hex('0006 0800 06 04 0001').subarray(0, 8));
    assert.equal(decode(tokenRing).pkt.arpOp, 0);
    const cut = F.ethernet(MAC_B, MAC_A, EtherType.ARP, F.arpPacket(2, MAC_A, '1.2.3.4', MAC_B, '5.6.7.8').subarray(0, 20));
    const r = decode(cut).pkt;
    assert.equal(r.error, DecodeError.TRUNCATED);
    assert.equal(r.arpOp, 0);
    const reply = decode(F.ethernet(MAC_B, MAC_A, EtherType.ARP, F.arpPacket(2, MAC_A, '1.2.3.4', MAC_B, '5.6.7.8'))).pkt;
    assert.equal(reply.arpOp, 2);
    assert.equal(reply.arpTargetMac, macFromString(MAC_B));
    assert.equal(reply.arpTargetIp, ip4FromString('5.6.7.8'));
  });

  test('short Ethernet header', () => {
    const { ok, pkt, decoder } = decode(F.hex('001122334455667788'));
    assert.equal(ok, false);
    assert.equal(pkt.error, DecodeError.TRUNCATED);
    assert.equal(decoder.counters.truncated, 1);
  });
});

describe('IPv4 / IPv6 / transport', () => {
  test('IPv4 options, truncation and padding', () => {
    const withOptions = F.ipv4({
      src: '10.1.1.1',
      dst: '10.2.2.2',
      proto: IpProto.TCP,
      id: 0x4242,
      ttl: 63,
      options: F.hex('01010101'),
      payload: F.tcp({ sport: 40000, dport: 502, seq: 0xfffffff0, ack: 0x80000001, window: 1000, payload: MODBUS_REQUEST }),
    });
    const a = decode(F.ethernet(MAC_B, MAC_A, EtherType.IPV4, withOptions)).pkt;
    assertModbusTcp(a);
    assert.equal(a.payloadOff, 14 + 24 + 20);

    // Snaplen cut inside the payload: addresses and ports survive, error says TRUNCATED.
    const full = F.ethernet(MAC_B, MAC_A, EtherType.IPV4, modbusTcp());
    const cut = decode(full.subarray(0, full.length - 5));
    assert.equal(cut.ok, true);
    assert.equal(cut.pkt.error, DecodeError.TRUNCATED);
    assert.equal(cut.pkt.dstPort, 502);
    assert.equal(cut.pkt.payloadLen, MODBUS_REQUEST.length - 5);
    assert.equal(cut.decoder.counters.truncated, 1);

    // Cut inside the TCP header: ports only.
    const cutTcp = decode(full.subarray(0, 14 + 20 + 10)).pkt;
    assert.equal(cutTcp.error, DecodeError.TRUNCATED);
    assert.equal(cutTcp.srcPort, 40000);
    assert.equal(cutTcp.tcpSeq, 0);
  });

  test('IHL < 5, total length < IHL and wrong version are MALFORMED', () => {
    const d = new PacketDecoder();
    const ihl4 = decode(F.ethernet(MAC_B, MAC_A, EtherType.IPV4, F.ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 6, payload: Buffer.alloc(20), ihl: 4 })), 1, d);
    assert.equal(ihl4.pkt.error, DecodeError.MALFORMED);
    assert.equal(ihl4.pkt.ipVersion, 0);
    const shortTotal = decode(F.ethernet(MAC_B, MAC_A, EtherType.IPV4, F.ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 6, payload: Buffer.alloc(20), totalLength: 12 })), 1, d);
    assert.equal(shortTotal.pkt.error, DecodeError.MALFORMED);
    const v6InV4 = decode(F.ethernet(MAC_B, MAC_A, EtherType.IPV4, F.ipv6({ src: '::1', dst: '::2', next: 59, payload: Buffer.alloc(0) })), 1, d);
    assert.equal(v6InV4.pkt.error, DecodeError.MALFORMED);
    assert.equal(d.counters.malformed, 3);
    // TSO leaves total length 0: the captured length is used.
    const tso = modbusTcp();
    tso.writeUInt16BE(0, 2);
    assertModbusTcp(decode(F.ethernet(MAC_B, MAC_A, EtherType.IPV4, tso)).pkt);
  });

  test('TCP data offset < 5 is MALFORMED, > available is TRUNCATED', () => {
    const bad = decode(F.ethernet(MAC_B, MAC_A, EtherType.IPV4, F.ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 6, payload: F.tcp({ sport: 1, dport: 2, dataOffset: 4 }) }))).pkt;
    assert.equal(bad.error, DecodeError.MALFORMED);
    assert.equal(bad.dstPort, 2);
    assert.equal(bad.payloadLen, 0);
    const big = decode(F.ethernet(MAC_B, MAC_A, EtherType.IPV4, F.ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 6, payload: F.tcp({ sport: 1, dport: 2, dataOffset: 15 }) }))).pkt;
    assert.equal(big.error, DecodeError.TRUNCATED);
  });

  test('UDP length: shorter than IP payload trims, longer is limited to what is there, < 8 is malformed', () => {
    const mk = (len?: number) =>
      decode(F.ethernet(MAC_B, MAC_A, EtherType.IPV4, F.ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 17, payload: F.udp(20000, 2222, F.hex('0102030405060708'), len) }))).pkt;
    const normal = mk();
    assert.equal(normal.payloadLen, 8);
    assert.equal(normal.srcPort, 20000);
    assert.equal(normal.dstPort, 2222);
    assert.deepEqual(payloadOf(mk(12)), F.hex('01020304'));
    assert.equal(mk(200).payloadLen, 8);
    assert.equal(mk(3).error, DecodeError.MALFORMED);
  });

  test('ICMP error: only type/code, the quoted packet is not the flow', () => {
    const quoted = modbusTcp('10.9.9.9', '10.8.8.8').subarray(0, 28);
    const frame = F.ethernet(MAC_B, MAC_A, EtherType.IPV4, F.ipv4({ src: '10.0.0.1', dst: '10.1.1.1', proto: IpProto.ICMP, payload: F.icmp(3, 3, Buffer.concat([Buffer.alloc(4), quoted])) }));
    const { pkt } = decode(frame);
    assert.equal(pkt.icmpType, 3);
    assert.equal(pkt.icmpCode, 3);
    assert.equal(pkt.src4, ip4FromString('10.0.0.1'));
    assert.equal(pkt.srcPort, 0);
    assert.equal(pkt.l4Proto, IpProto.ICMP);
    assert.deepEqual(payloadOf(pkt), quoted);
    assert.equal(pkt.tunnelDepth, 0);
  });

  test('IPv6 extension header chain: hop-by-hop, routing, destination options, AH, mobility, none', () => {
    const tcpSeg = F.tcp({ sport: 4840, dport: 51000, seq: 7, ack: 9, flags: 0x10, window: 77, payload: F.hex('4d534746') });
    // hop-by-hop -> routing -> destination options -> AH -> mobility -> TCP
    const chain = Buffer.concat([F.ip6Ext(43), F.ip6Ext(60, Buffer.alloc(14)), F.ip6Ext(51), F.ip6Ah(135), F.ip6Ext(IpProto.TCP), tcpSeg]);
    const frame = F.ethernet(MAC_B, MAC_A, EtherType.IPV6, F.ipv6({ src: '2001:db8:1::10', dst: '2001:db8:2::20', next: 0, hopLimit: 3, payload: chain }));
    const { pkt } = decode(frame);
    assert.equal(pkt.error, DecodeError.NONE);
    assert.equal(pkt.ipVersion, 6);
    assert.equal(pkt.ttl, 3);
    assert.equal(pkt.l3Off, 14);
    assert.equal(pkt.src6Off, 22);
    assert.equal(pkt.dst6Off, 38);
    assert.equal(ip6ToString(pkt.l3Buf, pkt.src6Off), '2001:db8:1::10');
    assert.equal(pkt.l4Proto, IpProto.TCP);
    assert.equal(pkt.srcPort, 4840);
    assert.equal(pkt.dstPort, 51000);
    assert.equal(pkt.tcpSeq, 7);
    assert.deepEqual(payloadOf(pkt), F.hex('4d534746'));
    assert.equal(pkt.payloadOff, 14 + 40 + 8 + 16 + 8 + 24 + 8 + 20);

    const none = decode(F.ethernet(MAC_B, MAC_A, EtherType.IPV6, F.ipv6({ src: '::1', dst: '::2', next: 0, payload: F.ip6Ext(59) }))).pkt;
    assert.equal(none.error, DecodeError.NONE);
    assert.equal(none.l4Proto, 0);
    // Extension header running past the payload.
    const cut = decode(F.ethernet(MAC_B, MAC_A, EtherType.IPV6, F.ipv6({ src: '::1', dst: '::2', next: 0, payload: F.hex('3b05') }))).pkt;
    assert.equal(cut.error, DecodeError.TRUNCATED);
    // Atomic fragment (offset 0, M = 0) is decoded in place.
    const atomic = decode(F.ethernet(MAC_B, MAC_A, EtherType.IPV6, F.ipv6({ src: '::1', dst: '::2', next: 44, payload: Buffer.concat([F.ip6Frag(17, 0, false, 99), F.udp(7, 8, Buffer.alloc(2))]) }))).pkt;
    assert.equal(atomic.dstPort, 8);
    assert.equal(atomic.ipId, 99);
    assert.equal(atomic.fragmentPending, false);
  });

  test('SCTP ports', () => {
    const sctp = Buffer.concat([F.hex('0b5904d2 00000001 00000000'), F.hex('00030008')]);
    const { pkt } = decode(F.ethernet(MAC_B, MAC_A, EtherType.IPV4, F.ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: IpProto.SCTP, payload: sctp })));
    assert.equal(pkt.srcPort, 2905);
    assert.equal(pkt.dstPort, 1234);
    assert.equal(pkt.payloadLen, 4);
  });
});

// ---------------------------------------------------------------- tunnels

const INNER_TAGS: F.VlanTag[] = [{ tpid: EtherType.VLAN, vid: 42 }];
const innerFrame = () => F.ethernet(MAC_D, MAC_C, EtherType.IPV4, modbusTcp(), INNER_TAGS);
const outerTags: F.VlanTag[] = [{ tpid: EtherType.QINQ, vid: 900 }, { tpid: EtherType.VLAN, vid: 901 }];
const outerIp = (proto: number, payload: Buffer) =>
  F.ethernet(MAC_B, MAC_A, EtherType.IPV4, F.ipv4({ src: '192.0.2.1', dst: '192.0.2.2', proto, id: 1, ttl: 9, payload }), outerTags);

function assertInner(pkt: DecodedPacket, tunnels = 1): void {
  assertModbusTcp(pkt);
  assert.equal(pkt.tunnelDepth, tunnels);
  assert.equal(pkt.hasEth, true);
  assert.equal(pkt.srcMac, macFromString(MAC_C));
  assert.equal(pkt.dstMac, macFromString(MAC_D));
  assert.equal(pkt.vlan, 42);
  assert.equal(pkt.outerVlan, 42);
  assert.equal(pkt.vlanDepth, 1);
  assert.equal(pkt.etherType, EtherType.IPV4);
}

describe('tunnels', () => {
  test('GRE with IPv4 payload and optional C/K/S fields', () => {
    for (const opts of [{}, { checksum: true }, { key: 77 }, { seq: 5 }, { checksum: true, key: 1, seq: 2 }]) {
      const { pkt, decoder } = decode(outerIp(IpProto.GRE, F.gre({ proto: EtherType.IPV4, payload: modbusTcp(), ...opts })));
      assertModbusTcp(pkt);
      assert.equal(pkt.tunnelDepth, 1);
      assert.equal(pkt.hasEth, false);
      assert.equal(pkt.vlan, 0); // outer tags are dropped at tunnel entry
      assert.equal(pkt.vlanDepth, 0);
      assert.equal(pkt.srcMac, 0);
      assert.equal(decoder.counters.tunnels, 1);
    }
  });

  test('GRE transparent Ethernet bridging', () => {
    assertInner(decode(outerIp(IpProto.GRE, F.gre({ proto: EtherType.TEB, key: 3, payload: innerFrame() }))).pkt);
  });

  test('enhanced GRE (PPTP) with uncompressed PPP carrying IPv4', () => {
    for (const ppp of ['ff030021', '0021', '21']) {
      const gre = Buffer.concat([F.hex('3081880b 0030 0001 00000001 00000002'), F.hex(ppp), modbusTcp()]);
      const { pkt } = decode(outerIp(IpProto.GRE, gre));
      assertModbusTcp(pkt);
      assert.equal(pkt.tunnelDepth, 1);
    }
  });

  test('GRE with unknown protocol and with routing stays GRE', () => {
    const { pkt } = decode(outerIp(IpProto.GRE, F.gre({ proto: 0x1234, payload: F.hex('00112233') })));
    assert.equal(pkt.tunnelDepth, 0);
    assert.equal(pkt.l4Proto, IpProto.GRE);
    assert.equal(pkt.src4, ip4FromString('192.0.2.1'));
    assert.equal(pkt.vlan, 901);
    assert.deepEqual(payloadOf(pkt), F.hex('00112233'));
  });

  test('ERSPAN type I, II and III (with and without platform subheader)', () => {
    const variants: Array<[string, Buffer]> = [
      ['I', F.gre({ proto: EtherType.ERSPAN_II, payload: innerFrame() })],
      ['II', F.gre({ proto: EtherType.ERSPAN_II, seq: 1, payload: F.erspan2(innerFrame()) })],
      ['III', F.gre({ proto: EtherType.ERSPAN_III, seq: 1, payload: F.erspan3(innerFrame(), false) })],
      ['III+O', F.gre({ proto: EtherType.ERSPAN_III, seq: 1, payload: F.erspan3(innerFrame(), true) })],
    ];
    for (const [name, gre] of variants) {
      const { pkt } = decode(outerIp(IpProto.GRE, gre));
      assert.doesNotThrow(() => assertInner(pkt), `ERSPAN ${name}`);
    }
  });

  test('VXLAN to inner Ethernet; bad inner frame falls back to plain UDP', () => {
    const { pkt, decoder } = decode(outerIp(IpProto.UDP, F.udp(55555, 4789, F.vxlan(5000, innerFrame()))));
    assertInner(pkt);
    assert.equal(decoder.counters.tunnels, 1);

    // Inner "Ethernet" carrying an IPv4 header with IHL 3: not a VXLAN frame after all.
    const junk = F.ethernet(MAC_D, MAC_C, EtherType.IPV4, F.hex('43000014000000004006000001010101'));
    const vx = F.vxlan(5000, junk);
    const fb = decode(outerIp(IpProto.UDP, F.udp(55555, 4789, vx)));
    assert.equal(fb.pkt.error, DecodeError.NONE);
    assert.equal(fb.pkt.tunnelDepth, 0);
    assert.equal(fb.pkt.src4, ip4FromString('192.0.2.1'));
    assert.equal(fb.pkt.dstPort, 4789);
    assert.equal(fb.pkt.vlan, 901);
    assert.equal(fb.pkt.srcMac, macFromString(MAC_A));
    assert.deepEqual(payloadOf(fb.pkt), vx);
    assert.equal(fb.decoder.counters.tunnels, 0);
    assert.equal(fb.decoder.counters.tunnelFallbacks, 1);

    // I flag clear: plain UDP.
    const noI = decode(outerIp(IpProto.UDP, F.udp(55555, 4789, F.vxlan(5000, innerFrame(), 0)))).pkt;
    assert.equal(noI.tunnelDepth, 0);
    assert.equal(noI.dstPort, 4789);
  });

  test('Geneve with options to Ethernet and to IPv4', () => {
    const eth = decode(outerIp(IpProto.UDP, F.udp(1, 6081, F.geneve(10, EtherType.TEB, innerFrame(), Buffer.alloc(8))))).pkt;
    assertInner(eth);
    const ip = decode(outerIp(IpProto.UDP, F.udp(1, 6081, F.geneve(10, EtherType.IPV4, modbusTcp())))).pkt;
    assertModbusTcp(ip);
    assert.equal(ip.tunnelDepth, 1);
    assert.equal(ip.hasEth, false);
  });

  test('IP-in-IP and nested tunnels (VXLAN inside GRE)', () => {
    const ipip = decode(outerIp(4, modbusTcp())).pkt;
    assertModbusTcp(ipip);
    assert.equal(ipip.tunnelDepth, 1);
    const vxInGre = F.gre({ proto: EtherType.IPV4, payload: F.ipv4({ src: '198.51.100.1', dst: '198.51.100.2', proto: 17, payload: F.udp(1, 4789, F.vxlan(1, innerFrame())) }) });
    assertInner(decode(outerIp(IpProto.GRE, vxInGre)).pkt, 2);
    // Too many nested tunnels hit the depth bound.
    let payload = modbusTcp();
    for (let i = 0; i < 20; i++) payload = F.ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 4, payload });
    const deep = decode(F.ethernet(MAC_B, MAC_A, EtherType.IPV4, payload));
    assert.equal(deep.pkt.error, DecodeError.TOO_DEEP);
    assert.equal(deep.decoder.counters.tooDeep, 1);
  });

  test('equivalence: the same TCP packet untagged, tagged, QinQ, ERSPAN II/III, VXLAN', () => {
    const inner = F.ethernet(MAC_D, MAC_C, EtherType.IPV4, modbusTcp());
    const variants: Buffer[] = [
      inner,
      F.ethernet(MAC_D, MAC_C, EtherType.IPV4, modbusTcp(), [{ tpid: EtherType.VLAN, vid: 12 }]),
      F.ethernet(MAC_D, MAC_C, EtherType.IPV4, modbusTcp(), [{ tpid: EtherType.QINQ, vid: 1 }, { tpid: EtherType.VLAN, vid: 12 }]),
      outerIp(IpProto.GRE, F.gre({ proto: EtherType.ERSPAN_II, seq: 9, payload: F.erspan2(inner) })),
      outerIp(IpProto.GRE, F.gre({ proto: EtherType.ERSPAN_III, seq: 9, payload: F.erspan3(inner, true) })),
      outerIp(IpProto.UDP, F.udp(4000, 4789, F.vxlan(77, inner))),
    ];
    const project = (pkt: DecodedPacket) => ({
      src4: pkt.src4,
      dst4: pkt.dst4,
      srcPort: pkt.srcPort,
      dstPort: pkt.dstPort,
      srcMac: pkt.srcMac,
      dstMac: pkt.dstMac,
      seq: pkt.tcpSeq,
      ack: pkt.tcpAck,
      flags: pkt.tcpFlags,
      payload: payloadOf(pkt).toString('hex'),
      error: pkt.error,
    });
    const expected = project(decode(inner).pkt);
    assert.equal(expected.payload, MODBUS_REQUEST.toString('hex'));
    for (const frame of variants) assert.deepEqual(project(decode(frame).pkt), expected);
  });

  test('outer truncation is still reported through a tunnel', () => {
    const frame = outerIp(IpProto.GRE, F.gre({ proto: EtherType.TEB, payload: innerFrame() }));
    const { pkt } = decode(frame.subarray(0, frame.length - 3));
    assert.equal(pkt.error, DecodeError.TRUNCATED);
    assert.equal(pkt.tunnelDepth, 1);
    assert.equal(pkt.srcPort, 40000);
  });
});

// ---------------------------------------------------------------- fragments

function v4Fragments(payload: Buffer, pieces: Array<[number, number]>, id = 0x77, proto: number = IpProto.UDP): Buffer[] {
  // pieces: [offset, length] in bytes; the last fragment is the one reaching the end.
  return pieces.map(([offset, length]) =>
    F.ethernet(
      MAC_B,
      MAC_A,
      EtherType.IPV4,
      F.ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto, id, ttl: 30, fragOffset: offset, moreFragments: offset + length < payload.length, payload: payload.subarray(offset, offset + length) }),
    ),
  );
}

function feed(decoder: PacketDecoder, frames: Buffer[], tsSec = 1_700_000_000, linkType: number = LinkType.ETHERNET): DecodedPacket[] {
  return frames.map((frame, i) => {
    const pkt = new DecodedPacket();
    decoder.decode(record(frame, linkType, i + 1, tsSec), pkt);
    return pkt;
  });
}

const bigUdp = () => {
  const data = Buffer.alloc(3000);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7 + 3) & 0xff;
  return { data, datagram: F.udp(47808, 47808, data) };
};

describe('IPv4 fragment reassembly', () => {
  const { data, datagram } = bigUdp();
  const split: Array<[number, number]> = [
    [0, 1480],
    [1480, 1480],
    [2960, datagram.length - 2960],
  ];

  test('in order', () => {
    const decoder = new PacketDecoder();
    const out = feed(decoder, v4Fragments(datagram, split));
    assert.deepEqual(out.map((p) => p.fragmentPending), [true, true, false]);
    const last = out[2]!;
    assert.equal(last.reassembled, true);
    assert.equal(last.error, DecodeError.NONE);
    assert.equal(last.l3Off, 0);
    assert.notEqual(last.l3Buf, last.raw);
    assert.equal(last.l3Buf.readUInt16BE(2), 20 + datagram.length);
    assert.equal(last.l3Buf.readUInt16BE(6), 0);
    assert.equal(last.src4, ip4FromString('10.0.0.1'));
    assert.equal(last.srcPort, 47808);
    assert.deepEqual(payloadOf(last), data);
    assert.equal(out[0]!.srcPort, 0); // non-final fragments carry no L4 view
    assert.equal(out[0]!.l4Proto, IpProto.UDP);
    assert.equal(decoder.counters.fragmentsReassembled, 1);
    assert.equal(decoder.counters.fragments, 3);
    assert.equal(decoder.pendingFragmentDatagrams, 0);
  });

  test('out of order and with duplicates', () => {
    const decoder = new PacketDecoder();
    const frags = v4Fragments(datagram, split);
    const out = feed(decoder, [frags[2]!, frags[1]!, frags[1]!, frags[0]!]);
    assert.deepEqual(out.map((p) => p.reassembled), [false, false, false, true]);
    assert.deepEqual(payloadOf(out[3]!), data);
    assert.equal(decoder.counters.fragmentOverlaps, 1);
    assert.equal(decoder.counters.fragmentsDropped, 1);
  });

  test('overlapping fragments: first data wins', () => {
    const decoder = new PacketDecoder();
    const forged = Buffer.from(datagram);
    forged.fill(0xee, 1000, 2000);
    const good = v4Fragments(datagram, [[0, 1480], [2960, datagram.length - 2960]]);
    // Overlapping attacker fragment covering [1000, 2000) with different bytes, then the real middle.
    const overlap = v4Fragments(forged, [[1000, 1000]]);
    const middle = v4Fragments(datagram, [[1480, 1480]]);
    const out = feed(decoder, [good[0]!, overlap[0]!, middle[0]!, good[1]!]);
    const done = out[3]!;
    assert.equal(done.reassembled, true);
    const rebuilt = payloadOf(done);
    // [1000, 1480) came from the first fragment, [1480, 2000) from the forged one (it arrived first there).
    assert.deepEqual(rebuilt.subarray(992, 1472), data.subarray(992, 1472));
    assert.equal(rebuilt[1480 - 8], 0xee);
    assert.equal(decoder.counters.fragmentOverlaps, 2);
  });

  test('missing fragment times out by packet time', () => {
    const decoder = new PacketDecoder({ fragmentTimeoutSec: 30 });
    const frags = v4Fragments(datagram, split);
    feed(decoder, [frags[0]!, frags[2]!], 1_700_000_000);
    assert.equal(decoder.pendingFragmentDatagrams, 1);
    feed(decoder, [F.ethernet(MAC_B, MAC_A, EtherType.ARP, F.arpPacket(1, MAC_A, '1.1.1.1', MAC_B, '2.2.2.2'))], 1_700_000_029);
    assert.equal(decoder.pendingFragmentDatagrams, 1);
    const late = feed(decoder, [frags[1]!], 1_700_000_031);
    assert.equal(decoder.counters.fragmentTimeouts, 1);
    assert.equal(late[0]!.reassembled, false);
    assert.equal(late[0]!.fragmentPending, true);
    assert.equal(decoder.counters.fragmentsDropped, 2);
    // The late middle fragment started a new datagram, which is still pending.
    assert.equal(decoder.pendingFragmentDatagrams, 1);
  });

  test('datagram and byte caps evict the oldest', () => {
    const decoder = new PacketDecoder({ maxFragmentDatagrams: 2 });
    const first = (id: number) => v4Fragments(datagram, split, id)[0]!;
    feed(decoder, [first(1), first(2), first(3)]);
    assert.equal(decoder.pendingFragmentDatagrams, 2);
    assert.equal(decoder.counters.fragmentCapHits, 1);
    // Datagram 1 was evicted: its remaining fragments cannot complete it.
    const rest = v4Fragments(datagram, split, 1);
    const out = feed(decoder, [rest[1]!, rest[2]!]);
    assert.equal(out[1]!.reassembled, false);
    // Datagram 3 still completes.
    const three = v4Fragments(datagram, split, 3);
    assert.equal(feed(decoder, [three[1]!, three[2]!])[1]!.reassembled, true);

    const byBytes = new PacketDecoder({ maxFragmentBytes: 2000 });
    feed(byBytes, [first(10), first(11)]);
    assert.equal(byBytes.pendingFragmentDatagrams, 1);
    assert.ok(byBytes.counters.fragmentCapHits >= 1);
    const eleven = v4Fragments(datagram, split, 11);
    // 1480 + 1480 > 2000: the datagram cannot be held and is given up, counted.
    feed(byBytes, [eleven[1]!]);
    assert.equal(byBytes.pendingFragmentDatagrams, 0);
  });

  test('oversized and misaligned fragments are invalid', () => {
    const decoder = new PacketDecoder();
    const tooFar = F.ethernet(MAC_B, MAC_A, EtherType.IPV4, F.ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 17, fragOffset: 65528, payload: Buffer.alloc(100) }));
    const misaligned = F.ethernet(MAC_B, MAC_A, EtherType.IPV4, F.ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 17, moreFragments: true, payload: Buffer.alloc(13) }));
    const out = feed(decoder, [tooFar, misaligned]);
    assert.ok(out.every((p) => p.fragmentPending && !p.reassembled));
    assert.equal(decoder.counters.fragmentInvalid, 2);
    assert.equal(decoder.pendingFragmentDatagrams, 0);
  });

  test('fragmented GRE carrying a TCP packet: tunnel decoded from the reassembled datagram', () => {
    const gre = F.gre({ proto: EtherType.TEB, payload: F.ethernet(MAC_D, MAC_C, EtherType.IPV4, F.ipv4({ src: '10.1.1.1', dst: '10.2.2.2', proto: 6, id: 0x4242, ttl: 63, payload: F.tcp({ sport: 40000, dport: 502, seq: 0xfffffff0, ack: 0x80000001, window: 1000, payload: Buffer.concat([MODBUS_REQUEST, Buffer.alloc(0)]) }) }), INNER_TAGS) });
    const frags = v4Fragments(gre, [[0, 48], [48, gre.length - 48]], 5, IpProto.GRE);
    const out = feed(new PacketDecoder(), frags);
    assertInner(out[1]!);
    assert.equal(out[1]!.reassembled, true);
    // The inner Ethernet lives in the reassembled buffer, not in raw: no L2 payload offsets.
    assert.equal(out[1]!.l2PayloadLen, 0);
  });

  test('truncated fragment is not buffered', () => {
    const decoder = new PacketDecoder();
    const frag = v4Fragments(datagram, split)[0]!;
    const [pkt] = feed(decoder, [frag.subarray(0, 100)]);
    assert.equal(pkt!.error, DecodeError.TRUNCATED);
    assert.equal(pkt!.fragmentPending, true);
    assert.equal(decoder.pendingFragmentDatagrams, 0);
    assert.equal(decoder.counters.fragmentInvalid, 1);
  });
});

describe('IPv6 fragment reassembly', () => {
  const { data, datagram } = bigUdp();
  const v6Frag = (offset: number, length: number, id = 0xabcdef01, prefix: Buffer = Buffer.alloc(0)) =>
    F.ethernet(
      MAC_B,
      MAC_A,
      EtherType.IPV6,
      F.ipv6({
        src: 'fd00::1',
        dst: 'fd00::2',
        next: prefix.length > 0 ? 0 : 44,
        hopLimit: 5,
        payload: Buffer.concat([prefix, F.ip6Frag(IpProto.UDP, offset, offset + length < datagram.length, id), datagram.subarray(offset, offset + length)]),
      }),
    );

  test('out of order, with a hop-by-hop header before the fragment header', () => {
    const decoder = new PacketDecoder();
    const out = feed(decoder, [v6Frag(1448, 1448, undefined, F.ip6Ext(44)), v6Frag(2896, datagram.length - 2896), v6Frag(0, 1448, undefined, F.ip6Ext(44))]);
    assert.deepEqual(out.map((p) => p.fragmentPending), [true, true, false]);
    assert.equal(out[0]!.ipId, 0xabcdef01);
    assert.equal(out[0]!.l4Proto, IpProto.UDP);
    const done = out[2]!;
    assert.equal(done.reassembled, true);
    assert.equal(done.error, DecodeError.NONE);
    assert.equal(ip6ToString(done.l3Buf, done.src6Off), 'fd00::1');
    assert.equal(ip6ToString(done.l3Buf, done.dst6Off), 'fd00::2');
    assert.equal(done.l3Buf.readUInt16BE(4), datagram.length);
    assert.equal(done.ttl, 5);
    assert.equal(done.srcPort, 47808);
    assert.deepEqual(payloadOf(done), data);
  });

  test('different identifications do not mix; timeout drops', () => {
    const decoder = new PacketDecoder({ fragmentTimeoutSec: 5 });
    const out = feed(decoder, [v6Frag(0, 1448, 1), v6Frag(1448, 1448, 2), v6Frag(2896, datagram.length - 2896, 1)]);
    assert.equal(out[2]!.reassembled, false);
    assert.equal(decoder.pendingFragmentDatagrams, 2);
    feed(decoder, [v6Frag(0, 8, 3)], 1_700_000_010);
    assert.equal(decoder.counters.fragmentTimeouts, 2);
    assert.equal(decoder.pendingFragmentDatagrams, 1);
  });
});

test('describeDecoded gives readable fields', () => {
  const view = describeDecoded(decode(F.ethernet(MAC_B, MAC_A, EtherType.IPV4, modbusTcp(), [{ tpid: EtherType.VLAN, vid: 3 }])).pkt);
  assert.equal(view.src, '10.1.1.1');
  assert.equal(view.dstPort, 502);
  assert.equal(view.srcMac, MAC_A);
  assert.equal(view.vlan, 3);
  assert.equal(view.payload, MODBUS_REQUEST.toString('hex'));
});

test('copyDecodedPacket copies every DecodedPacket field', () => {
  const from = new DecodedPacket();
  const keys = Object.keys(from) as Array<keyof DecodedPacket>;
  keys.forEach((key, i) => {
    const record = from as unknown as Record<string, unknown>;
    const current = record[key];
    record[key] = typeof current === 'number' ? 1000 + i : typeof current === 'boolean' ? !current : Buffer.from([i]);
  });
  const to = new DecodedPacket();
  copyDecodedPacket(from, to);
  for (const key of keys) assert.equal(to[key], from[key], key);
});
