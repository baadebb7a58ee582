import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { AssetFactEvent, OperationEvent, OperationKind, ProtocolName } from '../events/types.js';
import type { AssetReport } from '../report/types.js';
import { fuzzRuns } from '../util/fuzz-budget.js';
import { Inventory, type FlowEnd } from './inventory.js';

const T0 = 1_700_000_000;
const ROUTER = '00:00:0c:07:ac:01'; // Cisco OUI
const PLC_MAC = '00:1b:1b:11:22:33'; // Siemens
const HMI_MAC = '00:0c:29:aa:bb:cc'; // VMware

let nextFlowId = 1;
function flow(overrides: Partial<FlowEnd>): FlowEnd {
  return {
    id: nextFlowId++,
    captureIndex: 0,
    transport: 'tcp',
    ipProto: 6,
    clientIp: '10.0.0.10',
    serverIp: '10.0.0.20',
    clientPort: 50000,
    serverPort: 502,
    clientMac: HMI_MAC,
    serverMac: PLC_MAC,
    protocol: 'modbus',
    firstSeen: T0,
    lastSeen: T0 + 1,
    packetsToServer: 5,
    packetsToClient: 4,
    bytesToServer: 500,
    bytesToClient: 400,
    tcpState: 'closed',
    sidesGuessed: false,
    ...overrides,
  } as FlowEnd;
}

function operation(f: FlowEnd, kind: OperationKind, protocol: ProtocolName = f.protocol): OperationEvent {
  return {
    type: 'operation',
    protocol,
    ts: f.firstSeen,
    frame: 1,
    captureIndex: f.captureIndex,
    flowId: f.id,
    src: { ip: f.clientIp, port: f.clientPort },
    dst: { ip: f.serverIp, port: f.serverPort },
    kind,
    code: 3,
    codeName: 'read_holding_registers',
    result: 'ok',
  };
}

function fact(subject: { ip?: string; mac?: string }, field: AssetFactEvent['field'], value: string, protocol: ProtocolName, confidence = 0.9, ts = T0): AssetFactEvent {
  return { type: 'asset-fact', protocol, ts, frame: 7, captureIndex: 0, subject, field, value, confidence };
}

function byId(assets: AssetReport[], id: string): AssetReport {
  const asset = assets.find((a) => a.id === id);
  assert.ok(asset, `no asset ${id}; have ${assets.map((a) => a.id).join(', ')}`);
  return asset;
}

test('hosts on the segment are keyed by MAC with vendor from the OUI', () => {
  const inv = new Inventory();
  inv.onFlowEnd(flow({}));
  const { assets, communications } = inv.build();
  assert.deepEqual(assets.map((a) => a.id), [`mac:${HMI_MAC}`, `mac:${PLC_MAC}`]);
  const plc = byId(assets, `mac:${PLC_MAC}`);
  assert.deepEqual(plc.ips, ['10.0.0.20']);
  assert.equal(plc.vendor, 'Siemens');
  assert.equal(plc.vendorSource, 'oui');
  assert.equal(plc.packets, 9);
  assert.equal(plc.bytes, 900);
  assert.equal(plc.firstSeen, '2023-11-14T22:13:20.000000Z');
  assert.deepEqual(plc.protocols, [{ name: 'modbus', role: 'server', ports: [502] }]);
  assert.deepEqual(plc.roles, ['plc']);
  const hmi = byId(assets, `mac:${HMI_MAC}`);
  assert.deepEqual(hmi.protocols, [{ name: 'modbus', role: 'client', ports: [502] }]);
  assert.deepEqual(hmi.roles, ['unknown']);
  assert.equal(communications.length, 1);
  assert.deepEqual(
    { ...communications[0], firstSeen: undefined, lastSeen: undefined },
    {
      src: `mac:${HMI_MAC}`, dst: `mac:${PLC_MAC}`, protocol: 'modbus', transport: 'tcp', port: 502, packets: 9, bytes: 900, flows: 1, operations: {}, firstSeen: undefined, lastSeen: undefined,
      // One /24, one zone; the PLC decides its level, the unclassified client takes the zone's.
      srcLevel: 1, dstLevel: 1, srcZone: '10.0.0.0/24', dstZone: '10.0.0.0/24', crossesItOt: false, skipsLevels: false, internet: false, conduitAllowed: null,
    },
  );
});

test('a router MAC carrying 300 IPs is not merged: it is a network device, remote IPs are IP-keyed assets', () => {
  const inv = new Inventory();
  inv.observeArp(ROUTER, '10.0.0.1', T0, 1, 0, 2);
  for (let i = 0; i < 300; i++) {
    const remote = `172.16.${Math.floor(i / 250)}.${(i % 250) + 1}`;
    inv.onFlowEnd(flow({ clientIp: '10.0.0.10', clientMac: HMI_MAC, serverIp: remote, serverMac: ROUTER, serverPort: 443, protocol: 'tls' }));
  }
  const { assets, communications } = inv.build();
  const router = byId(assets, `mac:${ROUTER}`);
  assert.deepEqual(router.ips, ['10.0.0.1']);
  assert.deepEqual(router.roles, ['network-device']);
  assert.equal(router.vendor, 'Cisco');
  const ipAssets = assets.filter((a) => a.id.startsWith('ip:'));
  assert.equal(ipAssets.length, 300);
  for (const a of ipAssets) {
    assert.equal(a.mac, null);
    assert.equal(a.vendor, null);
    assert.deepEqual(a.ips, [a.id.slice(3)]);
  }
  // IP-keyed assets sort numerically, not as text.
  assert.deepEqual(ipAssets.slice(0, 3).map((a) => a.id), ['ip:172.16.0.1', 'ip:172.16.0.2', 'ip:172.16.0.3']);
  assert.equal(communications.length, 300);
  assert.ok(communications.every((c) => c.src === `mac:${HMI_MAC}` && c.dst.startsWith('ip:172.16.')));
});

test('a router is recognised from few IPs when they span subnets or lie outside its ARP-announced subnet', () => {
  const spread = new Inventory();
  for (const ip of ['192.168.5.9', '10.9.9.9', '172.20.1.1']) {
    spread.onFlowEnd(flow({ serverIp: ip, serverMac: ROUTER }));
  }
  assert.deepEqual(byId(spread.build().assets, `mac:${ROUTER}`).roles, ['network-device']);
  assert.ok(spread.build().assets.some((a) => a.id === 'ip:10.9.9.9'));

  const viaArp = new Inventory();
  viaArp.observeArp(ROUTER, '10.0.0.1', T0, 1, 0, 1);
  viaArp.onFlowEnd(flow({ serverIp: '8.8.8.8', serverMac: ROUTER, serverPort: 53, transport: 'udp', protocol: 'dns' }));
  const { assets } = viaArp.build();
  assert.deepEqual(byId(assets, `mac:${ROUTER}`).ips, ['10.0.0.1']);
  assert.equal(byId(assets, 'ip:8.8.8.8').mac, null);

  // A host with two addresses in its own subnet is not a router.
  const host = new Inventory();
  host.onFlowEnd(flow({ serverIp: '10.0.0.20' }));
  host.onFlowEnd(flow({ serverIp: '10.0.0.21' }));
  const built = host.build().assets;
  assert.deepEqual(byId(built, `mac:${PLC_MAC}`).ips, ['10.0.0.20', '10.0.0.21']);
  assert.deepEqual(byId(built, `mac:${PLC_MAC}`).roles, ['plc']);
});

test('ARP binds IP to MAC authoritatively, also for hosts also seen through the router', () => {
  const inv = new Inventory();
  // 10.0.0.20 was seen via the router's MAC (routed traffic) and via its own MAC; the ARP reply decides.
  for (let i = 0; i < 10; i++) inv.onFlowEnd(flow({ clientIp: `10.${i}.1.1`, clientMac: ROUTER, serverIp: '10.0.0.20', serverMac: PLC_MAC }));
  inv.onFlowEnd(flow({ clientIp: '10.0.0.30', clientMac: ROUTER, serverIp: '10.0.0.40', serverMac: ROUTER, serverPort: 80, protocol: 'http' }));
  inv.observeArp(PLC_MAC, '10.0.0.20', T0, 3, 0, 2);
  inv.observeArp(HMI_MAC, '10.0.0.40', T0, 4, 0, 2);
  const { assets, communications } = inv.build();
  assert.deepEqual(byId(assets, `mac:${PLC_MAC}`).ips, ['10.0.0.20']);
  // 10.0.0.40 only ever appeared behind the router MAC, but ARP says it is HMI_MAC's.
  assert.deepEqual(byId(assets, `mac:${HMI_MAC}`).ips, ['10.0.0.40']);
  assert.ok(communications.some((c) => c.src === 'ip:10.0.0.30' && c.dst === `mac:${HMI_MAC}` && c.protocol === 'http'));
  assert.equal(assets.filter((a) => a.ips.includes('10.0.0.40')).length, 1);
});

test('IPv4 and IPv6 of one MAC are one asset', () => {
  const inv = new Inventory();
  inv.onFlowEnd(flow({}));
  inv.onFlowEnd(flow({ clientIp: 'fe80::20c:29ff:feaa:bbcc', serverIp: 'fe80::21b:1bff:fe11:2233', transport: 'udp', serverPort: 161, protocol: 'snmp' }));
  inv.onFlowEnd(flow({ clientIp: '2001:db8::10', serverIp: '2001:db8::20', serverPort: 502 }));
  const { assets } = inv.build();
  assert.equal(assets.length, 2);
  assert.deepEqual(byId(assets, `mac:${PLC_MAC}`).ips, ['10.0.0.20', '2001:db8::20', 'fe80::21b:1bff:fe11:2233']);
});

test('multicast, broadcast and unspecified addresses are not assets but appear as communication endpoints', () => {
  const inv = new Inventory();
  inv.onFlowEnd(flow({ transport: 'udp', serverIp: '224.0.0.251', serverMac: '01:00:5e:00:00:fb', serverPort: 5353, clientPort: 5353, protocol: 'mdns', packetsToClient: 0 }));
  inv.onFlowEnd(flow({ transport: 'udp', clientIp: '0.0.0.0', serverIp: '255.255.255.255', serverMac: 'ff:ff:ff:ff:ff:ff', clientPort: 68, serverPort: 67, protocol: 'dhcp', packetsToClient: 0 }));
  inv.onFlowEnd(flow({ transport: 'udp', serverIp: '10.0.0.255', serverMac: 'ff:ff:ff:ff:ff:ff', clientPort: 137, serverPort: 137, protocol: 'nbns', packetsToClient: 0 }));
  inv.onFlowEnd(flow({ transport: 'udp', serverIp: 'ff02::1:2', serverMac: '33:33:00:01:00:02', clientIp: 'fe80::1', serverPort: 547, clientPort: 546, protocol: 'dhcpv6', packetsToClient: 0 }));
  inv.observeL2(PLC_MAC, '01:0e:cf:00:00:00', 0x8892, 1, 60, T0, T0);
  const { assets, communications } = inv.build();
  assert.deepEqual(assets.map((a) => a.id), [`mac:${HMI_MAC}`, `mac:${PLC_MAC}`]);
  assert.deepEqual(byId(assets, `mac:${HMI_MAC}`).ips, ['10.0.0.10', 'fe80::1']);
  const pairs = communications.map((c) => `${c.src} > ${c.dst} ${c.protocol}`);
  assert.deepEqual(pairs, [
    `mac:${HMI_MAC} > broadcast:10.0.0.255 nbns`,
    `mac:${HMI_MAC} > broadcast:255.255.255.255 dhcp`,
    `mac:${HMI_MAC} > multicast:224.0.0.251 mdns`,
    `mac:${HMI_MAC} > multicast:ff02::1:2 dhcpv6`,
    `mac:${PLC_MAC} > multicast:01:0e:cf:00:00:00 profinet-rt`,
  ]);
  const pn = communications.find((c) => c.protocol === 'profinet-rt')!;
  assert.equal(pn.transport, 'ethernet');
  assert.equal(pn.flows, 0);
  assert.deepEqual(byId(assets, `mac:${PLC_MAC}`).protocols, [{ name: 'profinet-rt', role: 'peer', ports: [0] }]);
});

test('protocol roles: industrial servers are PLCs/RTUs, refused connections do not make a server', () => {
  const inv = new Inventory();
  const rtuMac = '00:50:c2:00:10:00';
  inv.onFlowEnd(flow({ serverIp: '10.0.0.30', serverMac: rtuMac, serverPort: 20000, protocol: 'dnp3' }));
  inv.onFlowEnd(flow({ serverIp: '10.0.0.31', serverMac: '00:0e:8c:00:00:31', serverPort: 4840, protocol: 'opcua' }));
  inv.onFlowEnd(flow({ serverIp: '10.0.0.32', serverMac: '00:0e:8c:00:00:32', serverPort: 102, protocol: 's7comm', tcpState: 'rejected', packetsToClient: 1 }));
  inv.onFlowEnd(flow({ serverIp: '10.0.0.33', serverMac: '00:0e:8c:00:00:33', serverPort: 44818, protocol: 'enip', tcpState: 'syn-only', packetsToClient: 0 }));
  const { assets } = inv.build();
  assert.deepEqual(byId(assets, `mac:${rtuMac}`).roles, ['rtu']);
  assert.deepEqual(byId(assets, 'mac:00:0e:8c:00:00:31').roles, ['opc-server']);
  assert.deepEqual(byId(assets, 'mac:00:0e:8c:00:00:32').roles, ['unknown']);
  assert.deepEqual(byId(assets, 'mac:00:0e:8c:00:00:32').protocols, []);
  assert.deepEqual(byId(assets, 'mac:00:0e:8c:00:00:33').roles, ['unknown']);
  const hmi = byId(assets, `mac:${HMI_MAC}`);
  assert.deepEqual(hmi.protocols.map((p) => `${p.name}/${p.role}/${p.ports.join(',')}`), [
    'dnp3/client/20000', 'enip/client/44818', 'opcua/client/4840', 's7comm/client/102',
  ]);
});

test('protocol facts override the OUI vendor; best fact by confidence then recency', () => {
  const inv = new Inventory();
  inv.onFlowEnd(flow({}));
  inv.onEvent(fact({ ip: '10.0.0.20' }, 'vendor', 'Schneider Electric', 'modbus', 0.9));
  inv.onEvent(fact({ ip: '10.0.0.20' }, 'model', 'BMX P34 2020', 'modbus', 0.9, T0));
  inv.onEvent(fact({ ip: '10.0.0.20' }, 'model', 'guess', 'modbus', 0.5, T0 + 10));
  inv.onEvent(fact({ ip: '10.0.0.20' }, 'firmware', 'v2.1', 'modbus', 0.9, T0));
  inv.onEvent(fact({ ip: '10.0.0.20' }, 'firmware', 'v2.7', 'modbus', 0.9, T0 + 5));
  inv.onEvent(fact({ ip: '10.0.0.20' }, 'firmware', 'v2.7', 'modbus', 0.9, T0 + 6)); // duplicate
  inv.onEvent(fact({ ip: '10.0.0.20' }, 'hostname', 'plc-1', 'nbns', 0.8));
  inv.onEvent(fact({ mac: HMI_MAC }, 'station-name', 'hmi-1', 'profinet-dcp', 0.95));
  const { assets } = inv.build();
  const plc = byId(assets, `mac:${PLC_MAC}`);
  assert.equal(plc.vendor, 'Schneider Electric');
  assert.equal(plc.vendorSource, 'modbus');
  assert.equal(plc.model, 'BMX P34 2020');
  assert.equal(plc.firmware, 'v2.7');
  assert.equal(plc.serial, null);
  assert.deepEqual(plc.hostnames, ['plc-1']);
  assert.equal(plc.facts.filter((f) => f.field === 'firmware').length, 2);
  assert.deepEqual(plc.facts[0], { field: 'vendor', value: 'Schneider Electric', protocol: 'modbus', frame: 7, captureIndex: 0 });
  const hmi = byId(assets, `mac:${HMI_MAC}`);
  assert.equal(hmi.vendorSource, 'oui');
  // A PROFINET DCP identity (station name) alone does not make a controller: IO devices answer DCP too.
  assert.ok(!hmi.roles.includes('plc'));
  assert.ok(hmi.facts.some((f) => f.field === 'station-name' && f.value === 'hmi-1'));
});

test('operations are counted on the edge of the flow that carried them (UMAS on the Modbus edge)', () => {
  const inv = new Inventory();
  const f1 = flow({});
  const f2 = flow({ clientPort: 50001 });
  inv.onEvent(operation(f1, 'read'));
  inv.onEvent(operation(f1, 'read'));
  inv.onEvent(operation(f1, 'write'));
  inv.onEvent(operation(f2, 'program-download', 'umas'));
  inv.onFlowEnd(f1);
  inv.onFlowEnd(f2);
  const { assets, communications } = inv.build();
  assert.equal(communications.length, 1);
  assert.equal(communications[0]!.flows, 2);
  assert.deepEqual(communications[0]!.operations, { 'program-download': 1, read: 2, write: 1 });
  const plc = byId(assets, `mac:${PLC_MAC}`);
  assert.deepEqual(plc.protocols.map((p) => `${p.name}/${p.role}`), ['modbus/server', 'umas/server']);
  assert.deepEqual(inv.counters, {});
});

test('operations of flows still open at build() go to the matching edge or are counted', () => {
  const inv = new Inventory();
  const ended = flow({});
  inv.onFlowEnd(ended);
  const open = flow({ clientPort: 50009 });
  inv.onEvent(operation(open, 'write'));
  const stray = flow({ serverIp: '10.0.0.99', serverPort: 20000, protocol: 'dnp3' });
  inv.onEvent(operation(stray, 'restart'));
  const { communications } = inv.build();
  assert.deepEqual(communications[0]!.operations, { write: 1 });
  assert.deepEqual(inv.counters, { 'inventory.operations-without-flow': 1 });
  // build() is repeatable and does not double count.
  assert.deepEqual(inv.build().communications[0]!.operations, { write: 1 });
});

test('caps are enforced and counted', () => {
  const inv = new Inventory({ maxHosts: 3, maxCommunications: 2, maxFactsPerAsset: 2, maxPortsPerProtocol: 2 });
  for (let i = 0; i < 5; i++) inv.onFlowEnd(flow({ serverIp: `10.0.0.${100 + i}`, serverMac: `00:0e:8c:00:01:0${i}` }));
  for (let i = 0; i < 4; i++) inv.onEvent(fact({ ip: '10.0.0.10' }, 'hostname', `h${i}`, 'dns'));
  for (let port = 1; port <= 4; port++) inv.onFlowEnd(flow({ serverIp: '10.0.0.100', serverMac: '00:0e:8c:00:01:00', serverPort: port, protocol: 'tcp' }));
  const { assets, communications } = inv.build();
  assert.equal(assets.filter((a) => a.ips.length > 0).length, 3);
  assert.equal(communications.length, 2);
  assert.equal(byId(assets, `mac:${HMI_MAC}`).facts.length, 2);
  const caps = inv.capsHit;
  assert.equal(caps['inventory.hosts'], 3);
  assert.ok(caps['inventory.communications']! >= 3);
  assert.equal(caps['inventory.facts-per-asset'], 2);
  assert.ok(caps['inventory.ports-per-protocol']! >= 1);
});

test('L2 traffic feeds MAC assets and edges; single frames and aggregates add up alike', () => {
  const inv = new Inventory();
  for (let i = 0; i < 10; i++) inv.observeL2(PLC_MAC, HMI_MAC, 0x8892, 1, 64, T0 + i, T0 + i);
  inv.observeL2(PLC_MAC, HMI_MAC, 0x8892, 990, 990 * 64, T0 + 10, T0 + 20, 0);
  inv.observeL2(HMI_MAC, '01:80:c2:00:00:0e', 0x88cc, 1, 120, T0, T0);
  inv.observeL2(HMI_MAC, '01:80:c2:00:00:00', 38, 1, 60, T0, T0);
  inv.observeL2('01:00:00:00:00:01', HMI_MAC, 0x88cc, 1, 60, T0, T0); // group source: counted, no asset
  const { assets, communications, protocols } = inv.build();
  assert.equal(assets.length, 2);
  assert.equal(byId(assets, `mac:${PLC_MAC}`).packets, 1000);
  assert.equal(byId(assets, `mac:${PLC_MAC}`).lastSeen, '2023-11-14T22:13:40.000000Z');
  assert.equal(byId(assets, `mac:${HMI_MAC}`).packets, 1002);
  assert.deepEqual(communications.map((c) => `${c.protocol}:${c.packets}`), ['stp:1', 'lldp:1', 'profinet-rt:1000']);
  assert.deepEqual(protocols, [
    { name: 'lldp', packets: 2, bytes: 180, flows: 0 },
    { name: 'profinet-rt', packets: 1000, bytes: 64000, flows: 0 },
    { name: 'stp', packets: 1, bytes: 60, flows: 0 },
  ]);
});

test('locally administered MACs get no OUI vendor', () => {
  const inv = new Inventory();
  inv.onFlowEnd(flow({ clientMac: '02:1b:1b:00:00:01' }));
  assert.equal(byId(inv.build().assets, 'mac:02:1b:1b:00:00:01').vendor, null);
});

test('output is deterministic whatever the feeding order', () => {
  const flows: FlowEnd[] = [];
  for (let i = 0; i < 12; i++) {
    flows.push(flow({ clientIp: `10.0.${i % 3}.${i + 1}`, clientMac: i % 4 === 0 ? ROUTER : `00:0e:8c:00:00:${(i + 16).toString(16)}`, serverIp: `10.0.0.${200 + (i % 2)}`, serverMac: i % 2 ? PLC_MAC : HMI_MAC, serverPort: 502 + (i % 3), firstSeen: T0 + i, lastSeen: T0 + i + 1 }));
  }
  const reference = (() => {
    const inv = new Inventory();
    for (const f of flows) inv.onFlowEnd(f);
    return JSON.stringify(inv.build());
  })();
  fc.assert(
    fc.property(fc.shuffledSubarray(flows, { minLength: flows.length, maxLength: flows.length }), (order) => {
      const inv = new Inventory();
      for (const f of order) inv.onFlowEnd(f);
      assert.equal(JSON.stringify(inv.build()), reference);
    }),
    { numRuns: fuzzRuns(30) },
  );
});

test('interleaved operations of flows sharing a cache slot, and of another capture, stay apart', () => {
  const inv = new Inventory();
  // Flow ids 64 apart (and the same id in capture 1) land in the same slot of the pending-operations cache.
  const a = flow({ id: 1000, serverIp: '10.0.0.20' });
  const b = flow({ id: 1064, serverIp: '10.0.0.30', serverMac: '00:1b:1b:11:22:34' });
  const c = flow({ id: 1000, captureIndex: 1, serverIp: '10.0.0.40', serverMac: '00:1b:1b:11:22:35' });
  for (const [f, kind] of [[a, 'read'], [b, 'write'], [c, 'read'], [a, 'read'], [b, 'write'], [a, 'write']] as const) inv.onEvent(operation(f, kind));
  inv.onFlowEnd(a);
  // An operation reported after its flow ended is held apart, then added to the flow's edge by build().
  inv.onEvent(operation(a, 'restart'));
  inv.onFlowEnd(b);
  inv.onFlowEnd(c);
  const ops = inv.build().communications.map((e) => e.operations);
  assert.deepEqual(ops, [{ read: 2, restart: 1, write: 1 }, { write: 2 }, { read: 1 }]);
  assert.deepEqual(inv.counters, {});
});
