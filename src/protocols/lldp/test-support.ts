/**
 * Test helpers for the L2 discovery/topology analyzers (ARP, LLDP, CDP, STP): frame builders, a runner that
 * decodes frames with the real decoder and routes them the way src/engine/analyze.ts does, and the
 * generator of the hand-built fixture captures (regenerate with `node --import tsx src/protocols/lldp/test-support.ts`).
 */
import { join } from 'node:path';
import type { AssetFactEvent, OperationEvent, OtEvent } from '../../events/types.js';
import { DecodedPacket } from '../../decode/packet.js';
import { PacketDecoder } from '../../decode/decoder.js';
import { readCapture } from '../../capture/reader.js';
import type { L2Analyzer } from '../l2.js';
import { recordingL2Context, writePcap, type RecordingL2Context } from '../profinet/test-support.js';
import { defaultL2Analyzers } from '../registry.js';

export { recordingL2Context, writePcap, type RecordingL2Context };

const mac = (text: string): Buffer => Buffer.from(text.replace(/:/g, ''), 'hex');
const u16 = (v: number): Buffer => Buffer.from([(v >> 8) & 0xff, v & 0xff]);
const u32 = (v: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0);
  return b;
};
const ip4 = (text: string): Buffer => Buffer.from(text.split('.').map(Number));

function pad60(frame: Buffer): Buffer {
  return frame.length < 60 ? Buffer.concat([frame, Buffer.alloc(60 - frame.length)]) : frame;
}

export function ethernet(dst: string, src: string, etherType: number, payload: Buffer, vlan = 0): Buffer {
  const tag = vlan ? Buffer.concat([u16(0x8100), u16(vlan)]) : Buffer.alloc(0);
  return pad60(Buffer.concat([mac(dst), mac(src), tag, u16(etherType), payload]));
}

/** 802.3 frame with an LLC header (U-format, control 0x03). */
export function llcFrame(dst: string, src: string, dsap: number, ssap: number, payload: Buffer, vlan = 0): Buffer {
  const llc = Buffer.concat([Buffer.from([dsap, ssap, 0x03]), payload]);
  const tag = vlan ? Buffer.concat([u16(0x8100), u16(vlan)]) : Buffer.alloc(0);
  return pad60(Buffer.concat([mac(dst), mac(src), tag, u16(llc.length), llc]));
}

export function snapFrame(dst: string, src: string, oui: number, pid: number, payload: Buffer, vlan = 0): Buffer {
  const snap = Buffer.concat([Buffer.from([(oui >> 16) & 0xff, (oui >> 8) & 0xff, oui & 0xff]), u16(pid), payload]);
  return llcFrame(dst, src, 0xaa, 0xaa, snap, vlan);
}

// ---- ARP

export function arpFrame(op: number, senderMac: string, senderIp: string, targetMac: string, targetIp: string, ethSrc = senderMac, ethDst = op === 1 ? 'ff:ff:ff:ff:ff:ff' : targetMac): Buffer {
  const body = Buffer.concat([u16(1), u16(0x0800), Buffer.from([6, 4]), u16(op), mac(senderMac), ip4(senderIp), mac(targetMac), ip4(targetIp)]);
  return ethernet(ethDst, ethSrc, 0x0806, body);
}

// ---- LLDP

export const LLDP_MULTICAST = '01:80:c2:00:00:0e';

export function lldpTlv(type: number, value: Buffer): Buffer {
  return Buffer.concat([u16((type << 9) | value.length), value]);
}

export const lldp = {
  chassisMac: (m: string) => lldpTlv(1, Buffer.concat([Buffer.from([4]), mac(m)])),
  chassisLocal: (name: string) => lldpTlv(1, Buffer.concat([Buffer.from([7]), Buffer.from(name)])),
  portLocal: (name: string) => lldpTlv(2, Buffer.concat([Buffer.from([7]), Buffer.from(name)])),
  portMac: (m: string) => lldpTlv(2, Buffer.concat([Buffer.from([3]), mac(m)])),
  ttl: (s: number) => lldpTlv(3, u16(s)),
  portDescription: (t: string) => lldpTlv(4, Buffer.from(t)),
  systemName: (t: string) => lldpTlv(5, Buffer.from(t)),
  systemDescription: (t: string) => lldpTlv(6, Buffer.from(t)),
  capabilities: (system: number, enabled: number) => lldpTlv(7, Buffer.concat([u16(system), u16(enabled)])),
  mgmtIpv4: (a: string) => lldpTlv(8, Buffer.concat([Buffer.from([5, 1]), ip4(a), Buffer.from([2]), u32(1), Buffer.from([0])])),
  mgmtIpv6: (hex: string) => lldpTlv(8, Buffer.concat([Buffer.from([17, 2]), Buffer.from(hex, 'hex'), Buffer.from([2]), u32(2), Buffer.from([0])])),
  portVlan: (vid: number) => lldpTlv(127, Buffer.concat([Buffer.from([0x00, 0x80, 0xc2, 1]), u16(vid)])),
  pnDelay: () => lldpTlv(127, Buffer.concat([Buffer.from([0x00, 0x0e, 0xcf, 1]), Buffer.alloc(20)])),
  pnPortStatus: (rtc2: number, rtc3: number) => lldpTlv(127, Buffer.concat([Buffer.from([0x00, 0x0e, 0xcf, 2]), u16(rtc2), u16(rtc3)])),
  pnChassisMac: (m: string) => lldpTlv(127, Buffer.concat([Buffer.from([0x00, 0x0e, 0xcf, 5]), mac(m)])),
  end: () => lldpTlv(0, Buffer.alloc(0)),
};

export function lldpFrame(src: string, tlvs: Buffer[], vlan = 0): Buffer {
  return ethernet(LLDP_MULTICAST, src, 0x88cc, Buffer.concat(tlvs), vlan);
}

// ---- CDP

export const CDP_MULTICAST = '01:00:0c:cc:cc:cc';

export function cdpTlv(type: number, value: Buffer): Buffer {
  return Buffer.concat([u16(type), u16(value.length + 4), value]);
}

export function cdpAddresses(...ips: string[]): Buffer {
  return Buffer.concat([u32(ips.length), ...ips.map((a) => Buffer.concat([Buffer.from([1, 1, 0xcc]), u16(4), ip4(a)]))]);
}

/** Internet checksum over the CDP PDU, as Cisco computes it (odd trailing octet added as is). */
function cdpChecksum(pdu: Buffer): number {
  let sum = 0;
  for (let i = 0; i + 1 < pdu.length; i += 2) sum += pdu.readUInt16BE(i);
  if (pdu.length & 1) sum += pdu[pdu.length - 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export function cdpFrame(src: string, tlvs: Buffer[], version = 2, ttl = 180): Buffer {
  const pdu = Buffer.concat([Buffer.from([version, ttl, 0, 0]), ...tlvs]);
  pdu.writeUInt16BE(cdpChecksum(pdu), 2);
  return snapFrame(CDP_MULTICAST, src, 0x00000c, 0x2000, pdu);
}

// ---- STP

export const STP_MULTICAST = '01:80:c2:00:00:00';
export const PVST_MULTICAST = '01:00:0c:cc:cc:cd';

export interface BpduSpec {
  type?: number; // 0x00 config, 0x02 RST, 0x80 TCN
  version?: number;
  flags?: number;
  rootPriority?: number;
  rootMac: string;
  cost?: number;
  bridgePriority?: number;
  bridgeMac: string;
  port?: number;
}

export function bpdu(s: BpduSpec): Buffer {
  const type = s.type ?? 0x02;
  const version = s.version ?? (type === 0x02 ? 2 : 0);
  if (type === 0x80) return Buffer.from([0, 0, 0, 0x80]);
  const body = Buffer.concat([
    u16(0), Buffer.from([version, type, s.flags ?? 0x3c]),
    u16(s.rootPriority ?? 32768), mac(s.rootMac), u32(s.cost ?? 0),
    u16(s.bridgePriority ?? 32768), mac(s.bridgeMac), u16(s.port ?? 0x8001),
    u16(0), u16(20 * 256), u16(2 * 256), u16(15 * 256),
  ]);
  if (type !== 0x02) return body;
  if (version < 3) return Buffer.concat([body, Buffer.from([0])]);
  // MSTP: version 1 length 0, version 3 length 64 + 16 per MSTI (one MSTI here), config id and CIST fields.
  const cist = Buffer.concat([Buffer.from([0]), Buffer.alloc(32), u16(0), Buffer.alloc(16), u32(0), u16(32768), mac(s.bridgeMac), Buffer.from([20])]);
  return Buffer.concat([body, Buffer.from([0]), u16(64 + 16), cist, Buffer.alloc(16)]);
}

export function stpFrame(src: string, spec: BpduSpec, vlan = 0): Buffer {
  return llcFrame(STP_MULTICAST, src, 0x42, 0x42, bpdu(spec), vlan);
}

/** Cisco PVST+: SNAP 00-00-0C/0x010B, the RST BPDU, then the originating-VLAN TLV. */
export function pvstFrame(src: string, spec: BpduSpec, originVlan: number, tag = originVlan): Buffer {
  const body = Buffer.concat([bpdu({ ...spec, type: spec.type ?? 0x02 }), u16(0), u16(2), u16(originVlan)]);
  return snapFrame(PVST_MULTICAST, src, 0x00000c, 0x010b, body, tag === 1 ? 0 : tag);
}

// ---- running

/** Runs frames (Ethernet, frame numbers from 1) through the decoder and the given L2 analyzers, routed like the engine. */
export function runFrames(frames: Array<{ ts: number; data: Buffer }>, analyzers: L2Analyzer[], ctx = recordingL2Context()): RecordingL2Context {
  const route = router(analyzers);
  const decoder = new PacketDecoder();
  const pkt = new DecodedPacket();
  frames.forEach((f, i) => {
    const tsSec = Math.floor(f.ts);
    const rec = { frame: i + 1, tsSec, tsNsec: Math.round((f.ts - tsSec) * 1e9), linkType: 1, interfaceId: 0, data: f.data, capLen: f.data.length, origLen: f.data.length };
    if (!decoder.decode(rec, pkt)) return;
    route(pkt, ctx);
  });
  return ctx;
}

/** Runs a capture file through the decoder and the given analyzers (default: all registered L2 analyzers). */
export async function runCapture(file: string, analyzers: L2Analyzer[] = defaultL2Analyzers()): Promise<RecordingL2Context> {
  const ctx = recordingL2Context();
  const route = router(analyzers);
  const decoder = new PacketDecoder();
  const pkt = new DecodedPacket();
  await readCapture(file, (rec) => {
    if (decoder.decode(rec, pkt)) route(pkt, ctx);
  });
  return ctx;
}

function router(analyzers: L2Analyzer[]): (pkt: DecodedPacket, ctx: RecordingL2Context) => void {
  const byType = new Map<number, L2Analyzer>();
  const byDsap = new Map<number, L2Analyzer>();
  for (const a of analyzers) {
    for (const t of a.etherTypes) byType.set(t, a);
    for (const d of a.llcDsaps ?? []) byDsap.set(d, a);
  }
  return (pkt, ctx) => {
    if (pkt.ipVersion !== 0 || !pkt.hasEth) return;
    const a = pkt.llcDsap >= 0 ? byDsap.get(pkt.llcDsap) : byType.get(pkt.etherType);
    a?.onFrame(pkt, ctx);
  };
}

/** A compact, reviewable form of what the L2 analyzers reported (for golden files). */
export function l2Trace(events: OtEvent[], protocols: ReadonlySet<string>): { operations: unknown[]; facts: unknown[] } {
  const operations: unknown[] = [];
  const facts = new Set<string>();
  for (const e of events) {
    if (!protocols.has(e.protocol)) continue;
    if (e.type === 'operation') operations.push([e.frame, e.protocol, e.kind, e.code, e.codeName, e.src.mac ?? '', JSON.stringify(e.attributes ?? {})]);
    else if (e.type === 'asset-fact') facts.add(JSON.stringify([e.subject.ip ?? '', e.subject.mac ?? '', e.field, e.value, e.protocol, e.confidence]));
  }
  return { operations, facts: [...facts].sort().map((f) => JSON.parse(f)) };
}

export const operationsOf = (events: OtEvent[]): OperationEvent[] => events.filter((e): e is OperationEvent => e.type === 'operation');
export const factsOf = (events: OtEvent[]): AssetFactEvent[] => events.filter((e): e is AssetFactEvent => e.type === 'asset-fact');

// ---- fixture captures

const T0 = 1700000000;

export function arpFixture(): Array<{ ts: number; data: Buffer }> {
  const host = '02:00:00:00:00:05';
  const router = '02:00:00:00:00:fe';
  const attacker = '02:00:00:00:00:66';
  return [
    { ts: T0, data: arpFrame(1, host, '10.0.0.5', '00:00:00:00:00:00', '10.0.0.1') }, // 1 who-has router
    { ts: T0 + 0.001, data: arpFrame(2, router, '10.0.0.1', host, '10.0.0.5') }, // 2 solicited reply
    { ts: T0 + 1, data: arpFrame(1, '02:00:00:00:00:07', '10.0.0.7', '00:00:00:00:00:00', '10.0.0.7') }, // 3 gratuitous
    { ts: T0 + 2, data: arpFrame(1, '02:00:00:00:00:07', '10.0.0.7', '00:00:00:00:00:00', '10.0.0.7') }, // 4 gratuitous again
    { ts: T0 + 20, data: arpFrame(2, attacker, '10.0.0.1', host, '10.0.0.5') }, // 5 poisoning: unsolicited claim of the router IP
    { ts: T0 + 21, data: arpFrame(2, router, '10.0.0.1', host, '10.0.0.5') }, // 6 router re-asserts (unsolicited too)
    { ts: T0 + 22, data: arpFrame(2, attacker, '10.0.0.1', host, '10.0.0.5') }, // 7 attacker again
    { ts: T0 + 23, data: arpFrame(1, '02:00:00:00:00:09', '0.0.0.0', '00:00:00:00:00:00', '10.0.0.9') }, // 8 RFC 5227 probe
    { ts: T0 + 24, data: arpFrame(2, '02:00:00:00:00:20', '10.0.0.20', host, '10.0.0.5') }, // 9 unsolicited reply, new IP
    { ts: T0 + 500, data: arpFrame(1, '02:00:00:00:00:77', '10.0.0.7', '00:00:00:00:00:00', '10.0.0.1') }, // 10 10.0.0.7 moved after 8 min
    { ts: T0 + 501, data: arpFrame(2, '02:00:00:00:00:99', '10.0.0.7', host, '10.0.0.5', '02:00:00:00:00:66') }, // 11 conflict, sender MAC ≠ Ethernet source
  ];
}

const SCALANCE_DESC = 'Siemens, SIMATIC NET, SCALANCE X208, 6GK5 208-0BA10-2AA3, HW: 7, FW: V4.1.0';
const CPU_DESC = 'Siemens, SIMATIC S7, CPU 1516-3 PN/DP, 6ES7 516-3AN01-0AB0, HW: 3, FW: V2.8.3';

export function lldpFixture(): Array<{ ts: number; data: Buffer }> {
  const sw = '00:1b:1b:10:20:33';
  const cpuPort = '28:63:36:aa:bb:02';
  const scalance = [
    lldp.chassisMac('00:1b:1b:10:20:30'), lldp.portLocal('port-003'), lldp.ttl(20), lldp.portDescription('Siemens, SIMATIC NET, Ethernet Port, X1 P3'),
    lldp.systemName('scalance-x208'), lldp.systemDescription(SCALANCE_DESC), lldp.capabilities(0x04, 0x04), lldp.mgmtIpv4('192.168.0.250'),
    lldp.portVlan(1), lldp.pnPortStatus(0, 0), lldp.pnChassisMac('00:1b:1b:10:20:30'), lldp.end(),
  ];
  const cpu = (name: string, delay: boolean) => [
    lldp.chassisLocal(name), lldp.portLocal(`port-001.${name}`), lldp.ttl(20), ...(delay ? [lldp.pnDelay()] : []), lldp.pnPortStatus(0, 2),
    lldp.pnChassisMac('28:63:36:aa:bb:01'), lldp.systemDescription(CPU_DESC), lldp.capabilities(0x80, 0x80), lldp.mgmtIpv4('192.168.0.10'), lldp.end(),
  ];
  return [
    { ts: T0, data: lldpFrame(sw, scalance) }, // 1 switch
    { ts: T0 + 30, data: lldpFrame(sw, scalance) }, // 2 repeat: nothing new
    { ts: T0 + 31, data: lldpFrame(cpuPort, cpu('plc-line-1', true)) }, // 3 PROFINET CPU
    { ts: T0 + 36, data: lldpFrame(cpuPort, cpu('plc-line-1', false)) }, // 4 repeat, delay TLV absent: nothing new
    { ts: T0 + 60, data: lldpFrame(cpuPort, cpu('plc-line-2', true)) }, // 5 renamed (DCP Set NameOfStation): changed
    {
      ts: T0 + 61,
      data: lldpFrame('52:54:00:12:34:56', [
        lldp.chassisMac('52:54:00:12:34:56'), lldp.portMac('52:54:00:12:34:56'), lldp.ttl(120), lldp.systemName('eng-ws-01'),
        lldp.systemDescription('Ubuntu 22.04.3 LTS Linux 5.15.0-91-generic #101-Ubuntu SMP x86_64'), lldp.capabilities(0x9c, 0x80),
        lldp.mgmtIpv6('fe80000000000000505400fffe123456'), lldp.end(),
      ], 20),
    }, // 6 Linux host (lldpd), VLAN 20, IPv6 management address
    { ts: T0 + 62, data: lldpFrame('02:00:00:00:00:bb', [lldp.chassisMac('02:00:00:00:00:bb'), lldp.portLocal('x'), lldpTlv(3, Buffer.alloc(0))]) }, // 7 malformed TTL
    { ts: T0 + 63, data: lldpFrame('02:00:00:00:00:bc', [lldp.chassisMac('02:00:00:00:00:bc'), Buffer.from([0x04, 0x40, 0x07])]) }, // 8 Port ID overruns the frame? (padded: 64-byte TLV)
    { ts: T0 + 90, data: lldpFrame(sw, [lldp.chassisMac('00:1b:1b:10:20:30'), lldp.portLocal('port-003'), lldp.ttl(0), lldp.end()]) }, // 9 shutdown
  ];
}

export function cdpFixture(): Array<{ ts: number; data: Buffer }> {
  const sw = '00:1a:a1:0b:0c:18';
  const switchTlvs = [
    cdpTlv(1, Buffer.from('sw-core-1.plant.local')),
    cdpTlv(2, cdpAddresses('10.0.0.2')),
    cdpTlv(3, Buffer.from('GigabitEthernet1/0/24')),
    cdpTlv(4, u32(0x29)), // router, switch, IGMP
    cdpTlv(5, Buffer.from('Cisco IOS Software, C3750E Software (C3750E-UNIVERSALK9-M), Version 15.0(2)SE11, RELEASE SOFTWARE (fc3)\nTechnical Support: http://www.cisco.com/techsupport\nCopyright (c) 1986-2017 by Cisco Systems, Inc.')),
    cdpTlv(6, Buffer.from('cisco WS-C3750X-48P')),
    cdpTlv(9, Buffer.from('PLANT')),
    cdpTlv(0x0a, u16(10)),
    cdpTlv(0x0b, Buffer.from([1])),
    cdpTlv(0x16, cdpAddresses('10.0.0.2')),
  ];
  const phone = [
    cdpTlv(1, Buffer.from('SEP001122334455')),
    cdpTlv(2, cdpAddresses('10.0.20.31')),
    cdpTlv(3, Buffer.from('Port 1')),
    cdpTlv(4, u32(0x490)), // host, VoIP phone, two-port MAC relay
    cdpTlv(5, Buffer.from('SCCP75.9-4-2SR3S')),
    cdpTlv(6, Buffer.from('Cisco IP Phone 7975')),
    cdpTlv(0x0b, Buffer.from([1])),
  ];
  return [
    { ts: T0, data: cdpFrame(sw, switchTlvs) }, // 1 switch
    { ts: T0 + 60, data: cdpFrame(sw, switchTlvs, 2, 179) }, // 2 repeat (TTL differs): nothing new
    { ts: T0 + 61, data: cdpFrame('00:11:22:33:44:55', phone) }, // 3 IP phone
    { ts: T0 + 62, data: pvstFrame(sw, { rootMac: '00:1a:a1:0b:0c:00', bridgeMac: '00:1a:a1:0b:0c:00', rootPriority: 32768 + 10, bridgePriority: 32768 + 10 }, 10) }, // 4 PVST+ on the same DSAP
    { ts: T0 + 63, data: snapFrame('01:00:0c:cc:cc:cc', sw, 0x00000c, 0x2004, Buffer.alloc(30)) }, // 5 DTP: another Cisco SNAP protocol
    { ts: T0 + 64, data: cdpFrame(sw, [cdpTlv(1, Buffer.from('x')), Buffer.from([0x00, 0x03, 0x01, 0x00])]) }, // 6 TLV overrun
  ];
}

export function stpFixture(): Array<{ ts: number; data: Buffer }> {
  const a = '00:1e:f6:73:59:81'; // port MAC of bridge A (bridge id ...:80)
  const rogue = '02:00:00:00:00:0b';
  const A = { rootMac: '00:1e:f6:73:59:80', bridgeMac: '00:1e:f6:73:59:80' };
  const R = { rootMac: '02:00:00:00:00:0b', bridgeMac: '02:00:00:00:00:0b', rootPriority: 4096, bridgePriority: 4096 };
  return [
    { ts: T0, data: stpFrame(a, A) }, // 1 A is root
    { ts: T0 + 2, data: stpFrame(a, A) }, // 2 hello
    { ts: T0 + 3, data: stpFrame(rogue, R) }, // 3 rogue claims root with priority 4096 → root_change
    { ts: T0 + 4, data: stpFrame(a, { ...A, flags: 0x3d }) }, // 4 A still claims root, TC set → back-flap (repeat) + topology_change
    { ts: T0 + 5, data: stpFrame(rogue, R) }, // 5 flap again: repeat, no event
    { ts: T0 + 6, data: stpFrame(a, { ...R, bridgeMac: A.bridgeMac, cost: 4, flags: 0x3d }) }, // 6 A accepted R; TC in the same episode
    { ts: T0 + 8, data: stpFrame(a, { ...R, bridgeMac: A.bridgeMac, cost: 4, flags: 0x3d }) }, // 7 TC still on: same episode
    { ts: T0 + 100, data: stpFrame(a, { ...R, bridgeMac: A.bridgeMac, cost: 4, type: 0x80 }) }, // 8 TCN after a quiet minute: new episode
    { ts: T0 + 101, data: stpFrame(a, { ...A, version: 3 }, 30) }, // 9 MSTP on VLAN 30 (own domain): first sight
    { ts: T0 + 102, data: stpFrame(a, { ...A, type: 0x00, version: 0 }, 30) }, // 10 legacy config BPDU
    { ts: T0 + 103, data: llcFrame(STP_MULTICAST, a, 0x42, 0x42, Buffer.from([0, 0, 2])) }, // 11 truncated
    { ts: T0 + 104, data: llcFrame(STP_MULTICAST, a, 0x42, 0x42, Buffer.from([0, 1, 0, 0])) }, // 12 wrong protocol id
  ];
}

export const FIXTURES = { 'arp-spoofing.pcap': arpFixture, 'lldp-profinet.pcap': lldpFixture, 'cdp.pcap': cdpFixture, 'stp-changes.pcap': stpFixture } as const;

export const FIXTURE_DIRS: Record<keyof typeof FIXTURES, string> = {
  'arp-spoofing.pcap': '../arp/fixtures',
  'lldp-profinet.pcap': 'fixtures',
  'cdp.pcap': '../cdp/fixtures',
  'stp-changes.pcap': '../stp/fixtures',
};

export function fixturePath(name: keyof typeof FIXTURES): string {
  return join(import.meta.dirname, FIXTURE_DIRS[name], name);
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  for (const name of Object.keys(FIXTURES) as Array<keyof typeof FIXTURES>) writePcap(fixturePath(name), FIXTURES[name]());
  console.log('fixtures written');
}
