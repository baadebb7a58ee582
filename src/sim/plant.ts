/**
 * The virtual plant: assets laid out by Purdue level, with their subnets/VLANs, real vendor OUIs and the
 * identities their protocols reveal on the wire. Protocols and conduits in the truth file are recorded by
 * the traffic generators as they produce traffic, so the truth always matches the capture.
 */
import type { ProtocolName } from '../events/types.js';
import type { AssetRole } from '../report/types.js';
import { Fabric, ipToNum, macToBuf, type SimHost } from './packets.js';
import { hashString } from './rng.js';

export interface Zone {
  name: string;
  vlan: number;
  cidr: string;
  purdueLevel: number;
}

export const ZONES: readonly Zone[] = [
  { name: 'cell-a', vlan: 10, cidr: '10.10.10.0/24', purdueLevel: 1 },
  { name: 'cell-b', vlan: 11, cidr: '10.10.11.0/24', purdueLevel: 1 },
  { name: 'substation', vlan: 20, cidr: '10.10.20.0/24', purdueLevel: 1 },
  { name: 'bms', vlan: 30, cidr: '10.10.30.0/24', purdueLevel: 1 },
  { name: 'supervisory', vlan: 40, cidr: '10.10.40.0/24', purdueLevel: 2 },
  { name: 'operations', vlan: 50, cidr: '10.10.50.0/24', purdueLevel: 3 },
  { name: 'dmz', vlan: 100, cidr: '10.10.100.0/24', purdueLevel: 3.5 },
  { name: 'enterprise', vlan: 200, cidr: '192.168.200.0/24', purdueLevel: 4 },
  { name: 'internet', vlan: 0, cidr: '0.0.0.0/0', purdueLevel: 5 },
];

export type OsFamily = 'windows' | 'linux' | 'embedded';

/** Identity details used by the protocol generators (what the device answers when asked who it is). */
export interface AssetIdentity {
  vendor: string;
  model: string;
  firmware: string;
  serial?: string;
  orderNumber?: string;
  hostname?: string;
  /** EtherNet/IP */
  enipVendorId?: number;
  enipDeviceType?: number;
  enipProductCode?: number;
  /** PROFINET DCP */
  stationName?: string;
  pnVendorId?: number;
  pnDeviceId?: number;
  /** BACnet */
  bacnetVendorId?: number;
  bacnetInstance?: number;
  /** HTTP Server header */
  httpServer?: string;
  /** S7 module name / plant designation (SZL 0x001C) */
  moduleName?: string;
}

export interface AssetDef extends AssetIdentity {
  name: string;
  roles: AssetRole[];
  zone: string;
  ip: string;
  /** OUI (first three bytes) of the NIC vendor; the host part is derived from the name */
  oui: string;
  os: OsFamily;
}

export interface TruthProtocol {
  name: ProtocolName;
  role: 'client' | 'server' | 'peer';
  port: number;
}

export interface PlantAsset extends AssetDef {
  mac: string;
  purdueLevel: number;
  vlan: number;
  host: SimHost;
  protocols: TruthProtocol[];
}

export interface Conduit {
  from: string;
  to: string;
  protocol: ProtocolName;
  port: number;
}

const ROUTER_MAC = '00:1e:bd:4a:10:01'; // Cisco Systems

/** Baseline asset list. Order numbers, firmware and product names are those real devices report. */
export const BASELINE_ASSETS: readonly AssetDef[] = [
  // Level 1, cell A: Siemens and Schneider controllers, PROFINET I/O
  { name: 'plc-s71500-01', roles: ['plc'], zone: 'cell-a', ip: '10.10.10.11', oui: '28:63:36', os: 'embedded',
    vendor: 'Siemens', model: 'CPU 1515-2 PN', orderNumber: '6ES7 515-2AM02-0AB0', firmware: 'V2.9.4',
    serial: 'S C-L4U722842020', stationName: 'plc-s71500-01', pnVendorId: 0x002a, pnDeviceId: 0x0e0e,
    moduleName: 'Line1_Filling' },
  { name: 'plc-s71200-01', roles: ['plc'], zone: 'cell-a', ip: '10.10.10.12', oui: '00:1b:1b', os: 'embedded',
    vendor: 'Siemens', model: 'CPU 1214C DC/DC/DC', orderNumber: '6ES7 214-1AG40-0XB0', firmware: 'V4.5.2',
    serial: 'S C-H6M813522019', stationName: 'plc-s71200-01', pnVendorId: 0x002a, pnDeviceId: 0x010d,
    moduleName: 'Line1_Capping' },
  { name: 'plc-s7300-01', roles: ['plc'], zone: 'cell-a', ip: '10.10.10.13', oui: '00:0e:8c', os: 'embedded',
    vendor: 'Siemens', model: 'CPU 315-2 PN/DP', orderNumber: '6ES7 315-2EH14-0AB0', firmware: 'V3.2.17',
    serial: 'S C-C2UR28922012', stationName: 'plc-s7300-01', pnVendorId: 0x002a, pnDeviceId: 0x0101,
    moduleName: 'Line1_Mixer' },
  { name: 'plc-m340-01', roles: ['plc'], zone: 'cell-a', ip: '10.10.10.21', oui: '00:80:f4', os: 'embedded',
    vendor: 'Schneider Electric', model: 'BMX P34 2020', firmware: 'V3.40', orderNumber: 'BMXP342020' },
  { name: 'plc-m580-01', roles: ['plc'], zone: 'cell-a', ip: '10.10.10.22', oui: '00:00:54', os: 'embedded',
    vendor: 'Schneider Electric', model: 'BME P58 2040', firmware: 'V4.10', orderNumber: 'BMEP582040' },
  { name: 'io-et200sp-01', roles: ['ied'], zone: 'cell-a', ip: '10.10.10.31', oui: '00:1b:1b', os: 'embedded',
    vendor: 'Siemens', model: 'ET 200SP IM 155-6 PN ST', orderNumber: '6ES7 155-6AU01-0BN0', firmware: 'V4.2.1',
    stationName: 'et200sp-filling-01', pnVendorId: 0x002a, pnDeviceId: 0x0313 },
  // Level 1, cell B: Rockwell
  { name: 'plc-clx-01', roles: ['plc'], zone: 'cell-b', ip: '10.10.11.11', oui: '00:00:bc', os: 'embedded',
    vendor: 'Rockwell Automation/Allen-Bradley', model: '1756-L83E/B', firmware: '32.011', serial: '0x60c1a7f2',
    enipVendorId: 1, enipDeviceType: 14, enipProductCode: 166 },
  { name: 'plc-cmpx-01', roles: ['plc'], zone: 'cell-b', ip: '10.10.11.12', oui: '00:1d:9c', os: 'embedded',
    vendor: 'Rockwell Automation/Allen-Bradley', model: '5069-L320ER/A', firmware: '33.011', serial: '0x0fe2d417',
    enipVendorId: 1, enipDeviceType: 14, enipProductCode: 195 },
  // Level 1, substation cell
  { name: 'rtu-dnp3-01', roles: ['rtu'], zone: 'substation', ip: '10.10.20.11', oui: '00:30:a7', os: 'embedded',
    vendor: 'Schweitzer Engineering Laboratories', model: 'SEL-3530 RTAC', firmware: 'R150-V2' },
  { name: 'rtu-iec104-01', roles: ['rtu'], zone: 'substation', ip: '10.10.20.12', oui: '00:03:2c', os: 'embedded',
    vendor: 'ABB', model: 'RTU560 560CMU05', firmware: '13.2.1' },
  // Level 1, building management
  { name: 'bms-ahu-01', roles: ['plc'], zone: 'bms', ip: '10.10.30.11', oui: '00:40:ae', os: 'embedded',
    vendor: 'Delta Controls', model: 'eBCON', firmware: '4.1.8', bacnetVendorId: 8, bacnetInstance: 30011 },
  { name: 'bms-chiller-01', roles: ['plc'], zone: 'bms', ip: '10.10.30.12', oui: '00:10:8d', os: 'embedded',
    vendor: 'Johnson Controls', model: 'FX-PCG2611', firmware: '10.1', bacnetVendorId: 5, bacnetInstance: 30012 },
  // Level 2, supervisory
  { name: 'hmi-01', roles: ['hmi'], zone: 'supervisory', ip: '10.10.40.11', oui: 'f4:8e:38', os: 'windows',
    vendor: 'Dell', model: 'OptiPlex 7090 (WinCC)', firmware: 'Windows 10 IoT', hostname: 'HMI-01' },
  { name: 'hmi-02', roles: ['hmi'], zone: 'supervisory', ip: '10.10.40.12', oui: '3c:52:82', os: 'windows',
    vendor: 'HP', model: 'EliteDesk 800 (Vijeo Designer)', firmware: 'Windows 10 IoT', hostname: 'HMI-02' },
  { name: 'hmi-03', roles: ['hmi'], zone: 'supervisory', ip: '10.10.40.13', oui: 'a4:bb:6d', os: 'windows',
    vendor: 'Dell', model: 'OptiPlex 5080 (FactoryTalk View)', firmware: 'Windows 10 IoT', hostname: 'HMI-03' },
  { name: 'hmi-web-01', roles: ['hmi'], zone: 'supervisory', ip: '10.10.40.21', oui: '00:1b:1b', os: 'embedded',
    vendor: 'Siemens', model: 'TP1200 Comfort', orderNumber: '6AV2 124-0MC01-0AX0', firmware: 'V17.0.0.0',
    httpServer: 'Siemens HMI Web Server', hostname: 'hmi-web-01' },
  { name: 'bms-ws-01', roles: ['hmi'], zone: 'bms', ip: '10.10.30.50', oui: 'd0:67:e5', os: 'windows',
    vendor: 'Dell', model: 'OptiPlex 3080 (BMS front-end)', firmware: 'Windows 10', hostname: 'BMS-WS-01' },
  // Level 3, operations
  { name: 'ews-01', roles: ['engineering-workstation'], zone: 'operations', ip: '10.10.50.11', oui: 'b8:ca:3a',
    os: 'windows', vendor: 'Dell', model: 'Precision 3660 (TIA Portal, Studio 5000)', firmware: 'Windows 10',
    hostname: 'EWS-01' },
  { name: 'hist-01', roles: ['historian'], zone: 'operations', ip: '10.10.50.21', oui: 'ec:b1:d7', os: 'windows',
    vendor: 'HP', model: 'ProLiant DL360 (AVEVA PI)', firmware: 'Windows Server 2019', hostname: 'HIST-01' },
  { name: 'scada-01', roles: ['scada-server'], zone: 'operations', ip: '10.10.50.31', oui: '00:1a:4b',
    os: 'windows', vendor: 'HP', model: 'ProLiant DL380 (SCADA master)', firmware: 'Windows Server 2019',
    hostname: 'SCADA-01' },
  { name: 'opc-01', roles: ['opc-server'], zone: 'operations', ip: '10.10.50.41', oui: 'd0:67:e5', os: 'windows',
    vendor: 'Dell', model: 'PowerEdge R650 (KEPServerEX)', firmware: 'Windows Server 2019', hostname: 'OPC-01' },
  { name: 'dc-01', roles: ['it-server'], zone: 'operations', ip: '10.10.50.5', oui: '00:15:5d', os: 'windows',
    vendor: 'Microsoft', model: 'Hyper-V VM (Domain controller, DNS)', firmware: 'Windows Server 2019',
    hostname: 'DC-01' },
  { name: 'fs-01', roles: ['it-server'], zone: 'operations', ip: '10.10.50.6', oui: '00:15:5d', os: 'windows',
    vendor: 'Microsoft', model: 'Hyper-V VM (File server)', firmware: 'Windows Server 2019', hostname: 'FS-01' },
  { name: 'ntp-01', roles: ['network-device'], zone: 'operations', ip: '10.10.50.4', oui: 'ec:46:70', os: 'linux',
    vendor: 'Meinberg', model: 'LANTIME M300', firmware: '7.06.010', hostname: 'ntp-01' },
  // Level 3.5, DMZ
  { name: 'patch-01', roles: ['it-server'], zone: 'dmz', ip: '10.10.100.10', oui: '00:50:56', os: 'windows',
    vendor: 'VMware', model: 'VM (WSUS patch server)', firmware: 'Windows Server 2019', hostname: 'PATCH-01',
    httpServer: 'Microsoft-IIS/10.0' },
  // Level 4, enterprise
  { name: 'it-dhcp-01', roles: ['it-server'], zone: 'enterprise', ip: '192.168.200.2', oui: '00:50:56',
    os: 'windows', vendor: 'VMware', model: 'VM (DHCP, DNS)', firmware: 'Windows Server 2022', hostname: 'IT-DHCP-01' },
  { name: 'it-fs-01', roles: ['it-server'], zone: 'enterprise', ip: '192.168.200.5', oui: '00:50:56', os: 'windows',
    vendor: 'VMware', model: 'VM (File server)', firmware: 'Windows Server 2022', hostname: 'IT-FS-01' },
  { name: 'office-01', roles: ['it-workstation'], zone: 'enterprise', ip: '192.168.200.101', oui: 'a4:bb:6d',
    os: 'windows', vendor: 'Dell', model: 'Latitude 5430', firmware: 'Windows 11', hostname: 'OFFICE-01' },
  { name: 'office-02', roles: ['it-workstation'], zone: 'enterprise', ip: '192.168.200.102', oui: '3c:52:82',
    os: 'windows', vendor: 'HP', model: 'EliteBook 840', firmware: 'Windows 11', hostname: 'OFFICE-02' },
  { name: 'office-03', roles: ['it-workstation'], zone: 'enterprise', ip: '192.168.200.103', oui: 'b8:ca:3a',
    os: 'windows', vendor: 'Dell', model: 'OptiPlex 7010', firmware: 'Windows 11', hostname: 'OFFICE-03' },
  { name: 'office-04', roles: ['it-workstation'], zone: 'enterprise', ip: '192.168.200.104', oui: 'ec:b1:d7',
    os: 'windows', vendor: 'HP', model: 'ProDesk 600', firmware: 'Windows 10', hostname: 'OFFICE-04' },
  // Network infrastructure (the core L3 switch: router for every VLAN)
  { name: 'core-sw01', roles: ['network-device'], zone: 'operations', ip: '10.10.50.1', oui: '00:1e:bd',
    os: 'embedded', vendor: 'Cisco', model: 'Catalyst 9300', firmware: 'IOS-XE 17.9.4', hostname: 'core-sw01' },
];

function parseCidr(cidr: string): { net: number; prefix: number } {
  const [a, p] = cidr.split('/');
  return { net: ipToNum(a!), prefix: Number(p) };
}

function hostMac(oui: string, name: string): string {
  const h = hashString(name);
  const tail = [(h >>> 16) & 0xff, (h >>> 8) & 0xff, h & 0xff].map((b) => b.toString(16).padStart(2, '0'));
  return `${oui.toLowerCase()}:${tail.join(':')}`;
}

function ttlFor(os: OsFamily): number {
  return os === 'windows' ? 128 : os === 'linux' ? 64 : 30;
}

export class Plant {
  readonly assets: PlantAsset[] = [];
  readonly byName = new Map<string, PlantAsset>();
  readonly conduits = new Map<string, Conduit>();
  readonly fabric = new Fabric(macToBuf(ROUTER_MAC));
  /** Internet hosts by IP (not part of the plant inventory, but recorded as `internet` zone peers). */
  readonly externals = new Map<string, SimHost>();

  constructor(defs: readonly AssetDef[] = BASELINE_ASSETS) {
    for (const d of defs) this.addAsset(d);
  }

  addAsset(def: AssetDef): PlantAsset {
    if (this.byName.has(def.name)) throw new Error(`duplicate asset ${def.name}`);
    const zone = ZONES.find((z) => z.name === def.zone);
    if (zone === undefined) throw new Error(`unknown zone ${def.zone}`);
    const { net, prefix } = parseCidr(zone.cidr);
    // The router's own MAC is the Cisco SVI MAC, so frames it originates match what it routes.
    const mac = def.name === 'core-sw01' ? ROUTER_MAC : hostMac(def.oui, def.name);
    const portMin = def.os === 'windows' ? 49152 : def.os === 'linux' ? 32768 : 49152;
    const portMax = def.os === 'windows' ? 65535 : def.os === 'linux' ? 60999 : 65535;
    const seed = hashString(def.name);
    const host: SimHost = {
      name: def.name, ip: ipToNum(def.ip), mac: macToBuf(mac), vlan: zone.vlan, subnet: net, prefix,
      external: false, ttl: ttlFor(def.os), ipId: seed & 0xffff, portMin, portMax,
      nextPort: portMin + (seed % 2000),
    };
    const asset: PlantAsset = { ...def, mac, purdueLevel: zone.purdueLevel, vlan: zone.vlan, host, protocols: [] };
    this.assets.push(asset);
    this.byName.set(def.name, asset);
    return asset;
  }

  get(name: string): PlantAsset {
    const a = this.byName.get(name);
    if (a === undefined) throw new Error(`no asset named ${name}`);
    return a;
  }

  host(name: string): SimHost {
    return this.get(name).host;
  }

  /** An Internet host (reached through the router). */
  external(ip: string): SimHost {
    let h = this.externals.get(ip);
    if (h === undefined) {
      const seed = hashString(ip);
      h = {
        name: ip, ip: ipToNum(ip), mac: this.fabric.routerMac, vlan: 0, subnet: 0, prefix: 0, external: true,
        ttl: 52, ipId: seed & 0xffff, portMin: 32768, portMax: 60999, nextPort: 32768 + (seed % 4000),
      };
      this.externals.set(ip, h);
    }
    return h;
  }

  private assetOfHost(h: SimHost): PlantAsset | undefined {
    return h.external ? undefined : this.byName.get(h.name);
  }

  private zoneOf(h: SimHost): string {
    return this.assetOfHost(h)?.zone ?? 'internet';
  }

  /** Records that `client` talks `protocol` to `server` on `port` (asset protocols and the conduit). */
  noteFlow(client: SimHost, server: SimHost, protocol: ProtocolName, port: number): void {
    this.noteProtocol(client, protocol, 'client', port);
    this.noteProtocol(server, protocol, 'server', port);
    const from = this.zoneOf(client);
    const to = this.zoneOf(server);
    const key = `${from}|${to}|${protocol}|${port}`;
    if (!this.conduits.has(key)) this.conduits.set(key, { from, to, protocol, port });
  }

  noteProtocol(h: SimHost, protocol: ProtocolName, role: TruthProtocol['role'], port: number): void {
    const a = this.assetOfHost(h);
    if (a === undefined) return;
    if (!a.protocols.some((p) => p.name === protocol && p.role === role && p.port === port)) {
      a.protocols.push({ name: protocol, role, port });
    }
  }
}
