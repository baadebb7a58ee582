/** Small report builders for the risk tests: only the fields the risk layer reads are meaningful. */
import type { OperationKind, ProtocolName } from '../events/types.js';
import { REPORT_SCHEMA, type AlertReport, type AssetReport, type AssetRole, type CommunicationReport, type Report, type VulnerabilityReport } from '../report/types.js';

const T = '2026-03-02T06:00:00.000000Z';

export function asset(ip: string, roles: AssetRole[], over: Partial<AssetReport> = {}): AssetReport {
  const level = over.purdueLevel !== undefined ? over.purdueLevel : roles.some((r) => r === 'plc' || r === 'rtu' || r === 'ied') ? 1 : 2;
  return {
    id: `ip:${ip}`, mac: null, ips: [ip], hostnames: [], vendor: null, vendorSource: null, model: null, firmware: null, serial: null,
    identity: {}, identityConflicts: [], os: null, domain: null, users: [], roles,
    roleDetails: roles.map((role) => ({ role, confidence: 0.9, reasons: [`test says ${role}`] })),
    purdueLevel: level, purdueInferred: true, zone: `zone-${level}`, zoneInferred: true, criticality: level !== null && level <= 1 ? 'high' : 'medium',
    protocols: [], firstSeen: T, lastSeen: T, packets: 10, bytes: 1000, facts: [],
    ...over,
  };
}

export function external(ip: string): AssetReport {
  return asset(ip, ['unknown'], { purdueLevel: 5, zone: 'internet', criticality: null });
}

export function comm(src: AssetReport, dst: AssetReport, protocol: ProtocolName, port: number, over: Partial<CommunicationReport> & { ops?: Partial<Record<OperationKind, number>> } = {}): CommunicationReport {
  const { ops, ...rest } = over;
  const sl = src.purdueLevel;
  const dl = dst.purdueLevel;
  const it = (l: number | null) => l !== null && l >= 4;
  const otl = (l: number | null) => l !== null && l <= 3;
  return {
    src: src.id, dst: dst.id, protocol, transport: protocol === 'dns' || protocol === 'ntp' ? 'udp' : 'tcp', port, packets: 10, bytes: 1000, flows: 1,
    firstSeen: T, lastSeen: T, operations: ops ?? {}, srcLevel: sl, dstLevel: dl, srcZone: src.zone, dstZone: dst.zone,
    crossesItOt: (it(sl) && otl(dl)) || (otl(sl) && it(dl)),
    skipsLevels: sl !== null && dl !== null && Math.abs(sl - dl) > 1,
    internet: src.zone === 'internet' || dst.zone === 'internet', conduitAllowed: null,
    ...rest,
  };
}

let alertSeq = 0;
export function alert(ruleId: string, severity: AlertReport['severity'], category: AlertReport['category'], source: AssetReport | null, target: AssetReport | null, details: AlertReport['details'] = {}): AlertReport {
  const party = (a: AssetReport | null) => a && { asset: a.id, ip: a.ips[0] ?? null, mac: a.mac, name: null };
  return {
    id: (++alertSeq).toString(16).padStart(16, '0'), ruleId, title: ruleId, severity, category, status: 'new', mitre: { ics: [], enterprise: [] },
    source: party(source), target: party(target), firstSeen: T, lastSeen: T, count: 1,
    evidence: [{ file: 'test.pcap', frame: 42, ts: T, protocol: 'test', summary: ruleId }], evidenceOmitted: 0,
    explanation: `${ruleId} happened. More text.`, recommendation: 'fix it', details,
  };
}

export function fact(field: string, value: string, protocol = 'http', frame = 7): AssetReport['facts'][number] {
  return { field, value, protocol, frame, captureIndex: 0 };
}

export function vuln(a: AssetReport, over: Partial<VulnerabilityReport> = {}): VulnerabilityReport {
  return {
    asset: a.id, advisoryId: 'ICSA-00-000-00', title: 'Test advisory', cves: ['CVE-2020-0001'], cvss: { version: '3.1', score: 7.5, vector: '' },
    kev: false, ssvc: null, confidence: 'high', evidence: ['order number listed'], fixedIn: null, remediation: null, needsReview: false, url: null,
    ...over,
  };
}

export function report(assets: AssetReport[], communications: CommunicationReport[] = [], alerts: AlertReport[] = [], vulnerabilities: VulnerabilityReport[] = []): Report {
  return {
    schema: REPORT_SCHEMA, generator: { name: 'otwatch', version: 'test' }, generatedAt: T,
    captures: [{ file: 'test.pcap', format: 'pcap', compressed: false, linkTypes: ['ethernet'], packets: 1, bytes: 1, firstSeen: T, lastSeen: T, warnings: [] }],
    stats: { packets: 1, bytes: 1, decodeErrors: 0, unsupportedLink: 0, flows: 0, flowsEvicted: 0, flowsTimedOut: 0, ipFragmentsReassembled: 0, ipFragmentsDropped: 0, tcpGaps: 0, tcpOutOfOrderDropped: 0, tcpRetransmissions: 0, events: 0, analyzers: {}, capsHit: {}, durationMs: 0 },
    assets, communications, protocols: [], alerts, vulnerabilities, risk: [], mitigations: [],
  };
}
