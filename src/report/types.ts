/**
 * The report, `schema: "otwatch.report/v1"`. docs/report.schema.json is its JSON Schema and tests validate
 * every report the CLI writes against it. Times are ISO 8601 UTC strings.
 */
import type { OperationKind, ProtocolName } from '../events/types.js';

export const REPORT_SCHEMA = 'otwatch.report/v1';

export const ASSET_ROLES = [
  'plc', 'rtu', 'ied', 'hmi', 'engineering-workstation', 'historian', 'scada-server', 'opc-server',
  'network-device', 'it-server', 'it-workstation', 'unknown',
] as const;
export type AssetRole = (typeof ASSET_ROLES)[number];

export interface CaptureReport {
  file: string;
  format: 'pcap' | 'pcapng';
  compressed: boolean;
  /** link type names, e.g. "ethernet", "linux-sll", "raw", "null" */
  linkTypes: string[];
  packets: number;
  bytes: number;
  firstSeen: string | null;
  lastSeen: string | null;
  warnings: string[];
}

export interface ReportStats {
  packets: number;
  bytes: number;
  decodeErrors: number;
  /** packets whose link type we cannot decode */
  unsupportedLink: number;
  flows: number;
  flowsEvicted: number;
  flowsTimedOut: number;
  ipFragmentsReassembled: number;
  ipFragmentsDropped: number;
  tcpGaps: number;
  tcpOutOfOrderDropped: number;
  tcpRetransmissions: number;
  events: number;
  /** analyzer counters (e.g. "modbus.malformed", "modbus.transaction-cap") */
  analyzers: Record<string, number>;
  /** every cap that was hit, with how often (flow table, reassembly buffers, transactions, assets, ...) */
  capsHit: Record<string, number>;
  durationMs: number;
}

export interface AssetProtocol {
  name: ProtocolName;
  role: 'client' | 'server' | 'peer';
  ports: number[];
}

export interface AssetReport {
  id: string;
  mac: string | null;
  ips: string[];
  hostnames: string[];
  vendor: string | null;
  /** where the vendor came from: "oui" or a protocol name */
  vendorSource: string | null;
  model: string | null;
  firmware: string | null;
  serial: string | null;
  roles: AssetRole[];
  purdueLevel: number | null;
  zone: string | null;
  protocols: AssetProtocol[];
  firstSeen: string;
  lastSeen: string;
  packets: number;
  bytes: number;
  /** raw identity facts with their source (protocol, frame) */
  facts: Array<{ field: string; value: string; protocol: string; frame: number; captureIndex: number }>;
}

export interface CommunicationReport {
  src: string; // asset id (client / initiator)
  dst: string; // asset id (server / responder)
  protocol: ProtocolName;
  transport: 'tcp' | 'udp' | 'icmp' | 'ethernet' | 'other';
  port: number;
  packets: number;
  bytes: number;
  flows: number;
  firstSeen: string;
  lastSeen: string;
  operations: Partial<Record<OperationKind, number>>;
}

export interface Report {
  schema: typeof REPORT_SCHEMA;
  generator: { name: 'otwatch'; version: string };
  generatedAt: string;
  captures: CaptureReport[];
  stats: ReportStats;
  assets: AssetReport[];
  communications: CommunicationReport[];
  protocols: Array<{ name: ProtocolName; packets: number; bytes: number; flows: number }>;
  alerts: unknown[];
  vulnerabilities: unknown[];
  risk: unknown[];
}
