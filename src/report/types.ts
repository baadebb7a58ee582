/**
 * The report, `schema: "otwatch.report/v1"`. docs/report.schema.json is its JSON Schema and tests validate
 * every report the CLI writes against it. Times are ISO 8601 UTC strings.
 */
import type { OperationKind, ProtocolName } from '../events/types.js';

export const REPORT_SCHEMA = 'otwatch.report/v1';

export const ASSET_ROLES = [
  'plc', 'rtu', 'ied', 'hmi', 'engineering-workstation', 'historian', 'scada-server', 'opc-server',
  'network-device', 'domain-controller', 'dns-server', 'dhcp-server', 'ntp-server', 'file-server', 'web-server',
  'database-server', 'mail-server', 'remote-access', 'it-server', 'it-workstation', 'printer', 'camera', 'unknown',
] as const;
export type AssetRole = (typeof ASSET_ROLES)[number];

export const CRITICALITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Criticality = (typeof CRITICALITIES)[number];

/** A role with how sure the inference is (0..1) and the evidence, one short sentence per reason. */
export interface RoleDetail {
  role: AssetRole;
  confidence: number;
  reasons: string[];
}

/** Where an identity claim was stated: frame 0 for derived claims (protocol "oui" or "ttl"). */
export interface IdentitySource {
  protocol: string;
  frame: number;
  captureIndex: number;
}

/** One value claimed for an identity field, with the strongest confidence any source gave it. */
export interface IdentityClaim {
  value: string;
  confidence: number;
  /** strongest first, capped */
  sources: IdentitySource[];
}

export interface OsSummary {
  value: string;
  confidence: number;
  /** protocol that stated it, or "ttl" for the initial-TTL guess */
  source: string;
  /** windows, macos, ios, android, linux, unix, network-os, rtos, other */
  family: string;
}

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
  /** merged identity: every claimed value per field, best first (vendor, model, firmware, serial, os, hostname, domain, user) */
  identity: Partial<Record<'vendor' | 'model' | 'firmware' | 'serial' | 'os' | 'hostname' | 'domain' | 'user', IdentityClaim[]>>;
  /** identity fields whose claims contradict each other (e.g. two OS families, two vendors) */
  identityConflicts: string[];
  os: OsSummary | null;
  domain: string | null;
  users: string[];
  /** role tokens, most confident first (same order as roleDetails); ["unknown"] when no rule applies */
  roles: AssetRole[];
  roleDetails: RoleDetail[];
  /** 0..5, 3.5 for the IT/OT DMZ; null when nothing places the asset */
  purdueLevel: number | null;
  /** true unless the level comes from a zones file */
  purdueInferred: boolean;
  zone: string | null;
  /** true unless the zone comes from a zones file */
  zoneInferred: boolean;
  criticality: Criticality | null;
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
  /** Purdue level / zone of each end (null for broadcast/multicast ends and unplaced assets) */
  srcLevel: number | null;
  dstLevel: number | null;
  srcZone: string | null;
  dstZone: string | null;
  /** one end at level 4-5 (IT, Internet), the other at 0-3 (OT) */
  crossesItOt: boolean;
  /** the ends are more than one level apart (3.5 counts as a level: 4 → 3 bypasses the DMZ) */
  skipsLevels: boolean;
  /** one end is a public (Internet) address */
  internet: boolean;
  /** with a zones file: whether a declared conduit (or the same zone) allows it; null without one or for group ends */
  conduitAllowed: boolean | null;
}

// ---- Alerts (detection, src/detect/; docs/detection.md) ----

export const ALERT_SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

export const ALERT_CATEGORIES = [
  'ot-operation', 'reconnaissance', 'mitm', 'asset-change', 'credentials', 'misconfiguration', 'exposure',
  'segmentation', 'malware', 'exploitation', 'lateral-movement', 'exfiltration', 'indicator', 'impact',
  'remote-access', 'baseline-deviation',
] as const;
export type AlertCategory = (typeof ALERT_CATEGORIES)[number];

/** Kept across runs in the store; every alert of a fresh analysis is 'new'. */
export const ALERT_STATUSES = ['new', 'acknowledged', 'closed'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

/** One side of an alert: the inventory asset when the address belongs to one, else the bare address. */
export interface AlertParty {
  /** AssetReport.id, null for hosts outside the inventory */
  asset: string | null;
  ip: string | null;
  mac: string | null;
  /** first hostname of the asset, when known */
  name: string | null;
}

/** A frame (or, for flow-level rules, a flow) that shows the alert's behaviour. */
export interface AlertEvidence {
  file: string;
  /** frame number in `file`; null for flow-level evidence (flow summaries carry no frame number) */
  frame: number | null;
  ts: string;
  protocol: string;
  /** one line saying what the frame shows, e.g. "s7comm plc_stop 10.0.0.5 → 10.0.0.10" */
  summary: string;
}

export interface AlertReport {
  /** stable across runs for the same rule and aggregation key (store status is kept by it) */
  id: string;
  ruleId: string;
  title: string;
  severity: AlertSeverity;
  category: AlertCategory;
  status: AlertStatus;
  /** MITRE ATT&CK technique ids: ICS (T0xxx) and Enterprise (T1xxx) */
  mitre: { ics: string[]; enterprise: string[] };
  source: AlertParty | null;
  target: AlertParty | null;
  firstSeen: string;
  lastSeen: string;
  /** occurrences aggregated into this alert */
  count: number;
  /** the first occurrences (bounded); `evidenceOmitted` counts the rest */
  evidence: AlertEvidence[];
  evidenceOmitted: number;
  explanation: string;
  recommendation: string;
  /** rule-specific facts (counts, names, ports), flat */
  details: Record<string, string | number | boolean>;
}

// ---- Vulnerabilities and risk (src/risk/; docs/risk.md) ----

export const VULN_CONFIDENCES = ['high', 'medium', 'low'] as const;
export type VulnConfidence = (typeof VULN_CONFIDENCES)[number];

/** One advisory (or OS-level KEV entry) matched to one asset (src/vuln/matcher.ts). */
export interface VulnerabilityReport {
  /** AssetReport.id */
  asset: string;
  /** "ICSA-23-012-08", or the OS rule ("MS17-010") */
  advisoryId: string;
  title: string;
  cves: string[];
  /** highest base score among the matched CVEs; score null when only a vector is known */
  cvss: { version: string; score: number | null; vector: string } | null;
  /** one of the CVEs is in the CISA Known Exploited Vulnerabilities catalog */
  kev: boolean;
  /** the worst CISA SSVC decision points among the CVEs; null when none is assessed */
  ssvc: { cve: string; exploitation: string; automatable: string; technicalImpact: string } | null;
  confidence: VulnConfidence;
  /** which identity field matched which product text and version range */
  evidence: string[];
  /** first fixed version for the asset's firmware line; null when the advisory names none */
  fixedIn: string | null;
  /** the advisory's first remediation sentence; null when it gives none */
  remediation: string | null;
  /** the version range could not be read: an analyst should check it */
  needsReview: boolean;
  url: string | null;
}

/** One risk factor: 0..100 and why, one short sentence per reason (empty evidence only when the score is 0). */
export interface RiskFactor {
  score: number;
  evidence: string[];
}

export interface RiskReport {
  /** AssetReport.id */
  asset: string;
  /** 1 = highest risk */
  rank: number;
  /** 0..100: criticality × exposure × vulnerability × threat (docs/risk.md) */
  score: number;
  factors: { criticality: RiskFactor; exposure: RiskFactor; vulnerability: RiskFactor; threat: RiskFactor };
  /** Mitigation ids that concern this asset, most urgent first */
  mitigations: string[];
}

export const MITIGATION_PRIORITIES = ['critical', 'high', 'medium', 'low'] as const;
export type MitigationPriority = (typeof MITIGATION_PRIORITIES)[number];

/** A concrete action tied to what was observed (report.mitigations; `otwatch risk` prints them). */
export interface Mitigation {
  /** stable and readable: "<kind>@<target>", e.g. "disable-directory-listing@10.10.40.21" */
  id: string;
  kind: string;
  title: string;
  /** what to do, concretely (hosts, URLs, ports, versions) */
  action: string;
  /** AssetReport ids concerned */
  assets: string[];
  evidence: string[];
  priority: MitigationPriority;
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
  alerts: AlertReport[];
  /** advisory matches per asset: KEV first, then SSVC exploitation, then CVSS (src/risk/) */
  vulnerabilities: VulnerabilityReport[];
  /** concrete mitigations tied to evidence; risk[].mitigations names them by id */
  mitigations: Mitigation[];
  /** assets ranked by risk, highest first (src/risk/) */
  risk: RiskReport[];
}
