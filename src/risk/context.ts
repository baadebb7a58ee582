/**
 * Indexes over a report that every risk layer reads: assets by id, communications by end, open alerts by the
 * asset they concern, matches by asset. Built once per assessment; everything after is map lookups.
 */
import type { ZonesConfig } from '../model/zones.js';
import { INDUSTRIAL_PROTOCOLS } from '../model/roles.js';
import type { AlertReport, AssetReport, AssetRole, CommunicationReport, Report, VulnerabilityReport } from '../report/types.js';

export const CONTROLLER_ROLES: ReadonlySet<AssetRole> = new Set<AssetRole>(['plc', 'rtu', 'ied']);

/** Alert categories whose *source* is the compromised host (it runs the malware, moves laterally, exfiltrates). */
const SOURCE_IS_COMPROMISED = new Set<string>(['malware', 'lateral-movement', 'exfiltration', 'indicator']);

export interface RiskContext {
  report: Report;
  zones: ZonesConfig | null;
  assetById: Map<string, AssetReport>;
  /** communications by server end (asset id) */
  inbound: Map<string, CommunicationReport[]>;
  /** communications by client end (asset id) */
  outbound: Map<string, CommunicationReport[]>;
  /** open (not closed) alerts by the asset they concern: the target, and the source of compromise categories */
  alertsByAsset: Map<string, AlertReport[]>;
  vulnsByAsset: Map<string, VulnerabilityReport[]>;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

export function buildContext(report: Report, vulnerabilities: VulnerabilityReport[], zones: ZonesConfig | null): RiskContext {
  const assetById = new Map(report.assets.map((a) => [a.id, a]));
  const inbound = new Map<string, CommunicationReport[]>();
  const outbound = new Map<string, CommunicationReport[]>();
  for (const c of report.communications) {
    push(inbound, c.dst, c);
    push(outbound, c.src, c);
  }
  const alertsByAsset = new Map<string, AlertReport[]>();
  for (const a of report.alerts) {
    if (a.status === 'closed') continue;
    const target = a.target?.asset ?? null;
    if (target !== null) push(alertsByAsset, target, a);
    const source = a.source?.asset ?? null;
    if (source !== null && source !== target && SOURCE_IS_COMPROMISED.has(a.category)) push(alertsByAsset, source, a);
  }
  const vulnsByAsset = new Map<string, VulnerabilityReport[]>();
  for (const v of vulnerabilities) push(vulnsByAsset, v.asset, v);
  return { report, zones, assetById, inbound, outbound, alertsByAsset, vulnsByAsset };
}

export function isController(a: AssetReport): boolean {
  return a.roles.some((r) => CONTROLLER_ROLES.has(r));
}

/** Hosts on the public Internet are context, not assets to protect. */
export function isExternal(a: AssetReport): boolean {
  return a.zone === 'internet' || a.purdueLevel === 5;
}

export function isIndustrial(protocol: string): boolean {
  return INDUSTRIAL_PROTOCOLS.has(protocol as never);
}

/** "10.10.10.13 (plc)" or "OFFICE-03 192.168.200.103 (it-workstation)": how evidence names a host. */
export function hostLabel(ctx: RiskContext, assetId: string): string {
  const a = ctx.assetById.get(assetId);
  if (a === undefined) return assetId.replace(/^(ip|mac|broadcast|multicast):/, '');
  const ip = a.ips[0] ?? a.mac ?? a.id;
  const name = a.hostnames[0]?.split('.')[0];
  const role = a.roles[0] !== undefined && a.roles[0] !== 'unknown' ? ` (${a.roles[0]})` : a.zone === 'internet' ? ' (Internet)' : '';
  return `${name && name.toLowerCase() !== ip ? `${name} ` : ''}${ip}${role}`;
}

/** The address a mitigation or rule names the asset by. */
export function primaryAddress(a: AssetReport): string {
  return a.ips[0] ?? a.mac ?? a.id;
}

export function portText(c: Pick<CommunicationReport, 'port' | 'transport'>): string {
  return c.transport === 'tcp' || c.transport === 'udp' ? `${c.port}/${c.transport}` : c.transport;
}

export function operationsText(c: CommunicationReport): string {
  const ops = Object.entries(c.operations).filter(([, n]) => (n ?? 0) > 0).map(([k, n]) => `${k} ×${n}`);
  return ops.length > 0 ? ops.join(', ') : 'no operations decoded';
}

export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}
