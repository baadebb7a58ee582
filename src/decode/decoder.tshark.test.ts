/**
 * Differential tests against tshark: per frame, the innermost IP addresses, ports and VLAN id we decode
 * must match what tshark dissects (last occurrence of each field = innermost layer). Runs on synthetic
 * frames covering the encapsulations the corpus lacks plus a sample of corpus captures (every corpus
 * capture with OTWATCH_CORPUS_ALL=1). Skips when tshark is missing; without the corpus, synthetic only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LinkType } from '../capture/types.js';
import { DecodedPacket, EtherType, IpProto } from './packet.js';
import { PacketDecoder } from './decoder.js';
import { ip4ToString, ip6ToString } from '../util/addr.js';
import * as F from './fixtures/frames.js';
import { readCapture, writePcap } from './fixtures/pcap.js';
import type { PacketRecord } from '../capture/types.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CORPUS = resolve(REPO_ROOT, '../shared/corpus/pcaps');
const TSHARK = '/usr/bin/tshark';
const HAVE_TSHARK = existsSync(TSHARK);

const FIELDS = [
  'frame.number',
  'ip.src',
  'ip.dst',
  'ipv6.src',
  'ipv6.dst',
  'tcp.srcport',
  'tcp.dstport',
  'udp.srcport',
  'udp.dstport',
  'vlan.id',
  'icmp.type',
  'icmpv6.type',
  '_ws.malformed',
  'ip.flags.mf',
  'ip.frag_offset',
] as const;

interface TsharkRow {
  src: string;
  dst: string;
  srcPort: string;
  dstPort: string;
  vlan: string;
  icmp: boolean;
  malformed: boolean;
  fragment: boolean;
}

function last(field: string | undefined): string {
  if (!field) return '';
  const parts = field.split(',');
  return parts[parts.length - 1]!;
}

function tsharkRows(file: string): Map<number, TsharkRow> {
  const args = ['-r', file, '-n', '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=a'];
  for (const f of FIELDS) args.push('-e', f);
  const text = execFileSync(TSHARK, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] });
  const rows = new Map<number, TsharkRow>();
  for (const line of text.split('\n')) {
    if (!line) continue;
    const c = line.split('\t');
    // Neither the corpus nor the synthetic set mixes IPv4 and IPv6 layers in one frame: v6 only without v4.
    const useV6 = last(c[1]) === '' && last(c[3]) !== '';
    rows.set(Number(c[0]), {
      src: useV6 ? last(c[3]) : last(c[1]),
      dst: useV6 ? last(c[4]) : last(c[2]),
      srcPort: last(c[5]) || last(c[7]),
      dstPort: last(c[6]) || last(c[8]),
      vlan: last(c[9]),
      icmp: (c[10] ?? '') !== '' || (c[11] ?? '') !== '',
      malformed: (c[12] ?? '') !== '',
      fragment: (c[13] ?? '').split(',').includes('1') || (c[14] ?? '').split(',').some((v) => v !== '' && v !== '0'),
    });
  }
  return rows;
}

interface Mismatch {
  frame: number;
  field: string;
  ours: string;
  tshark: string;
}

function ours(pkt: DecodedPacket): { src: string; dst: string; srcPort: string; dstPort: string; vlan: string } {
  let src = '';
  let dst = '';
  if (pkt.ipVersion === 4) {
    src = ip4ToString(pkt.src4);
    dst = ip4ToString(pkt.dst4);
  } else if (pkt.ipVersion === 6) {
    src = ip6ToString(pkt.l3Buf, pkt.src6Off);
    dst = ip6ToString(pkt.l3Buf, pkt.dst6Off);
  }
  const hasPorts = (pkt.l4Proto === IpProto.TCP || pkt.l4Proto === IpProto.UDP) && !pkt.fragmentPending && (pkt.srcPort !== 0 || pkt.dstPort !== 0);
  return {
    src,
    dst,
    srcPort: hasPorts ? String(pkt.srcPort) : '',
    dstPort: hasPorts ? String(pkt.dstPort) : '',
    vlan: pkt.vlanDepth > 0 ? String(pkt.vlan) : '',
  };
}

function compare(file: string, records: PacketRecord[]): { ipFrames: number; mismatches: Mismatch[] } {
  const rows = tsharkRows(file);
  const decoder = new PacketDecoder();
  const pkt = new DecodedPacket();
  const mismatches: Mismatch[] = [];
  let ipFrames = 0;
  for (const rec of records) {
    decoder.decode(rec, pkt);
    const theirs = rows.get(rec.frame);
    if (!theirs) continue;
    const mine = ours(pkt);
    // ICMP errors: tshark dissects the quoted packet as the last ip layer; we deliberately keep the outer.
    // Frames tshark calls malformed: it may stop anywhere; compare only the addresses it did produce.
    if (theirs.icmp) continue;
    if (theirs.src !== '') ipFrames++;
    const fields: Array<keyof typeof mine> = theirs.malformed ? ['src', 'dst'] : ['src', 'dst', 'srcPort', 'dstPort', 'vlan'];
    for (const field of fields) {
      if (theirs.malformed && theirs[field] === '') continue;
      // tshark still shows ports of a first fragment it could not reassemble; we hold L4 until reassembly.
      if (theirs.fragment && (field === 'srcPort' || field === 'dstPort') && mine[field] === '') continue;
      if (mine[field] !== theirs[field]) mismatches.push({ frame: rec.frame, field, ours: mine[field], tshark: theirs[field] });
    }
  }
  return { ipFrames, mismatches };
}

const CORPUS_SAMPLE = [
  'modbus/modbus.pcap',
  'opcua/python_opcua-client-server_minimal.pcap',
  'threats/basic-auth-with-colon.pcap',
  'threats/Telnet.pcap',
  'malformed/fuzz-1011.pcap',
  'malformed/DNP3-Malformed.pcap',
  'profinet/PROFINET-RT.pcap',
  'ads/addroute.pcapng',
  'enip/EIP-ChangeDateAttempt.pcap',
];
const MERGECAP = '/usr/bin/mergecap';

function syntheticCaptures(dir: string): string[] {
  const A = '00:11:22:33:44:55';
  const B = '66:77:88:99:aa:bb';
  const innerTcp = F.ipv4({ src: '10.1.1.1', dst: '10.2.2.2', proto: 6, payload: F.tcp({ sport: 40000, dport: 502, payload: F.hex('000100000006010300000001') }) });
  const innerEth = F.ethernet('02:00:00:00:00:0d', '02:00:00:00:00:0c', EtherType.IPV4, innerTcp, [{ tpid: EtherType.VLAN, vid: 42 }]);
  const outer = (proto: number, payload: Buffer) => F.ethernet(B, A, EtherType.IPV4, F.ipv4({ src: '192.0.2.1', dst: '192.0.2.2', proto, payload }));
  const bigUdp = F.udp(47808, 47808, Buffer.alloc(2000, 0x5a));
  const frag = (off: number, len: number) =>
    F.ethernet(B, A, EtherType.IPV4, F.ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 17, id: 99, fragOffset: off, moreFragments: off + len < bigUdp.length, payload: bigUdp.subarray(off, off + len) }));
  const ethernetFrames = [
    F.ethernet(B, A, EtherType.IPV4, innerTcp, [{ tpid: EtherType.VLAN, vid: 100 }]),
    F.ethernet(B, A, EtherType.IPV4, innerTcp, [{ tpid: EtherType.QINQ, vid: 200 }, { tpid: EtherType.VLAN, vid: 10 }]),
    F.ethernet(B, A, EtherType.MPLS, F.mplsStack([16, 17], innerTcp)),
    F.ethernet(B, A, EtherType.PPPOE_SESS, F.pppoeSession(7, 0x21, innerTcp)),
    F.ethernet(B, A, EtherType.IPV6, F.ipv6({ src: '2001:db8::1', dst: '2001:db8::2', next: 0, payload: Buffer.concat([F.ip6Ext(60), F.ip6Ext(17), F.udp(1000, 2000, Buffer.alloc(4))]) })),
    outer(47, F.gre({ proto: EtherType.IPV4, key: 5, payload: innerTcp })),
    outer(47, F.gre({ proto: EtherType.TEB, payload: innerEth })),
    outer(47, F.gre({ proto: EtherType.ERSPAN_II, seq: 1, payload: F.erspan2(innerEth) })),
    outer(47, F.gre({ proto: EtherType.ERSPAN_III, seq: 1, payload: F.erspan3(innerEth, false) })),
    outer(17, F.udp(50000, 4789, F.vxlan(100, innerEth))),
    outer(17, F.udp(50000, 6081, F.geneve(100, EtherType.TEB, innerEth))),
    frag(0, 1000),
    frag(1000, bigUdp.length - 1000),
  ];
  const files: Array<[string, number, Buffer[]]> = [
    ['synthetic-eth.pcap', LinkType.ETHERNET, ethernetFrames],
    ['synthetic-sll.pcap', LinkType.LINUX_SLL, [F.sll1(EtherType.IPV4, innerTcp)]],
    ['synthetic-sll2.pcap', LinkType.LINUX_SLL2, [F.sll2(EtherType.IPV4, innerTcp)]],
  ];
  return files.map(([name, linkType, frames]) => {
    const path = join(dir, name);
    writePcap(path, linkType, frames);
    return path;
  });
}

// One tshark run over everything (its start-up dominates): synthetic captures and corpus sample merged.
test('differential vs tshark: innermost addresses, ports and VLAN per frame', (t) => {
  if (!HAVE_TSHARK || !existsSync(MERGECAP)) return t.skip('tshark/mergecap not installed');
  const dir = mkdtempSync(join(tmpdir(), 'otwatch-decoder-'));
  try {
    const synthetic = syntheticCaptures(dir);
    const corpus = existsSync(CORPUS) ? CORPUS_SAMPLE.map((f) => join(CORPUS, f)).filter(existsSync) : [];
    if (corpus.length === 0) t.diagnostic(`corpus not found at ${CORPUS}: synthetic frames only`);
    const merged = join(dir, 'merged.pcapng');
    execFileSync(MERGECAP, ['-a', '-F', 'pcapng', '-w', merged, ...synthetic, ...corpus], { stdio: 'ignore' });
    const syntheticFrames = synthetic.reduce((n, f) => n + readCapture(f).length, 0);
    const { ipFrames, mismatches } = compare(merged, readCapture(merged));
    assert.deepEqual(mismatches.slice(0, 10), [], `${mismatches.length} mismatching fields`);
    assert.ok(ipFrames >= syntheticFrames + (corpus.length > 0 ? 1000 : 0), `compared ${ipFrames} IP frames`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('whole corpus vs tshark (OTWATCH_CORPUS_ALL=1; slow)', (t) => {
  if (process.env.OTWATCH_CORPUS_ALL !== '1') return t.skip('set OTWATCH_CORPUS_ALL=1 to compare every corpus capture');
  if (!HAVE_TSHARK) return t.skip('tshark not installed');
  if (!existsSync(CORPUS)) return t.skip(`corpus not found at ${CORPUS}`);
  for (const dirName of readdirSync(CORPUS)) {
    for (const name of readdirSync(join(CORPUS, dirName))) {
      const file = join(CORPUS, dirName, name);
      const { mismatches } = compare(file, readCapture(file));
      assert.deepEqual(mismatches.slice(0, 5), [], `${file}: ${mismatches.length} mismatching fields`);
    }
  }
});

test('corpus GRE/PPTP frames stay GRE (compressed PPP is not decoded further)', (t) => {
  const file = join(CORPUS, 'threats/Telnet.pcap');
  if (!existsSync(file)) return t.skip(`corpus not found at ${CORPUS}`);
  const decoder = new PacketDecoder();
  const pkt = new DecodedPacket();
  const rec = readCapture(file).find((r) => r.frame === 36)!;
  decoder.decode(rec, pkt);
  assert.equal(pkt.l4Proto, IpProto.GRE);
  assert.equal(pkt.tunnelDepth, 0);
  assert.equal(ip4ToString(pkt.src4), '89.250.85.38');
  assert.equal(pkt.payloadLen, rec.data.length - 14 - 20 - 12);
});
