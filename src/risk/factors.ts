/**
 * The four risk factors of an asset, each 0..100 with one evidence sentence per reason (docs/risk.md).
 * Weights are deliberately few and round: an analyst must be able to recompute a score from its evidence.
 */
import type { AlertReport, AlertSeverity, AssetReport, AssetRole, Criticality, RiskFactor, VulnerabilityReport } from '../report/types.js';
import { hostLabel, isController, isExternal, isIndustrial, operationsText, plural, portText, type RiskContext } from './context.js';
import { compareVulnerabilities, matchWeight } from './vulnerabilities.js';

/** How much the asset matters to the process by what it is (the strongest of its roles). */
export const ROLE_WEIGHT: Readonly<Record<AssetRole, number>> = {
  plc: 0.9, rtu: 0.9, ied: 0.75, 'engineering-workstation': 0.8, 'scada-server': 0.8, hmi: 0.7, 'opc-server': 0.65,
  historian: 0.55, 'domain-controller': 0.6, 'remote-access': 0.55, 'network-device': 0.5, 'file-server': 0.4,
  'database-server': 0.4, 'dns-server': 0.35, 'dhcp-server': 0.35, 'ntp-server': 0.35, 'web-server': 0.35,
  'mail-server': 0.3, 'it-server': 0.3, 'it-workstation': 0.2, printer: 0.15, camera: 0.2, unknown: 0.2,
};

export const LEVEL_WEIGHT: ReadonlyMap<number, number> = new Map([[0, 1], [1, 0.95], [2, 0.8], [3, 0.65], [3.5, 0.55], [4, 0.35], [5, 0.1]]);
const UNPLACED_LEVEL_WEIGHT = 0.5;

export const CRITICALITY_WEIGHT: Readonly<Record<Criticality, number>> = { critical: 1, high: 0.8, medium: 0.55, low: 0.3 };

/** Each controller that depends on the asset adds this much, up to DEPENDENT_CAP. */
const DEPENDENT_BONUS = 0.04;
const DEPENDENT_CAP = 0.2;

export const EXPOSURE_WEIGHT = {
  internetInbound: 0.55,
  internetOutbound: 0.25,
  itInbound: 0.35,
  conduitViolation: 0.2,
  remoteAccess: 0.2,
  insecureService: 0.1,
  insecureServiceCap: 0.3,
  credential: 0.15,
  credentialCap: 0.3,
  directoryListing: 0.15,
  directoryListingCap: 0.25,
} as const;

export const SEVERITY_WEIGHT: Readonly<Record<AlertSeverity, number>> = { info: 0.05, low: 0.15, medium: 0.35, high: 0.6, critical: 0.85 };
/** An acknowledged alert is still open but someone is on it. */
const ACKNOWLEDGED_FACTOR = 0.5;

/** Services that carry logins or data in clear text. */
const CLEARTEXT_SERVICES: Readonly<Record<string, string>> = {
  telnet: 'Telnet (cleartext logins)', ftp: 'FTP (cleartext logins and files)', http: 'HTTP without TLS',
  vnc: 'VNC', snmp: 'SNMP (community strings in clear)', mqtt: 'MQTT without TLS',
};
const REMOTE_ACCESS_PROTOCOLS = new Set(['rdp', 'vnc']);
const MAX_EVIDENCE_LINES = 8;

const pct = (x: number): number => Math.max(0, Math.min(100, Math.round(x * 100)));

function factor(score: number, evidence: string[]): RiskFactor {
  const kept = evidence.slice(0, MAX_EVIDENCE_LINES);
  if (evidence.length > MAX_EVIDENCE_LINES) kept.push(`… and ${evidence.length - MAX_EVIDENCE_LINES} more`);
  return { score: pct(score), evidence: kept };
}

function frameRef(f: { frame: number; captureIndex: number }, ctx: RiskContext): string {
  const file = ctx.report.captures[f.captureIndex]?.file;
  const base = file ? file.split('/').pop() : undefined;
  return base && ctx.report.captures.length > 1 ? `${base} frame ${f.frame}` : `frame ${f.frame}`;
}

/** Distinct controllers (other than the asset) it exchanges industrial traffic with, either direction. */
export function dependentControllers(asset: AssetReport, ctx: RiskContext): AssetReport[] {
  const out = new Map<string, AssetReport>();
  for (const c of [...(ctx.inbound.get(asset.id) ?? []), ...(ctx.outbound.get(asset.id) ?? [])]) {
    if (!isIndustrial(c.protocol)) continue;
    const other = ctx.assetById.get(c.src === asset.id ? c.dst : c.src);
    if (other !== undefined && other.id !== asset.id && isController(other)) out.set(other.id, other);
  }
  return [...out.values()];
}

export function criticalityFactor(asset: AssetReport, ctx: RiskContext): RiskFactor {
  const evidence: string[] = [];
  let role: AssetRole = 'unknown';
  for (const r of asset.roles) if (ROLE_WEIGHT[r] > ROLE_WEIGHT[role]) role = r;
  const detail = asset.roleDetails.find((d) => d.role === role);
  evidence.push(`role ${role}${detail ? ` (confidence ${detail.confidence.toFixed(2)}${detail.reasons[0] ? `: ${detail.reasons[0]}` : ''})` : ''}`);
  const levelWeight = asset.purdueLevel === null ? UNPLACED_LEVEL_WEIGHT : LEVEL_WEIGHT.get(asset.purdueLevel) ?? UNPLACED_LEVEL_WEIGHT;
  evidence.push(asset.purdueLevel === null
    ? 'Purdue level unknown'
    : `Purdue level ${asset.purdueLevel} (${asset.purdueInferred ? 'inferred' : 'zones file'})${asset.zone ? ` in zone ${asset.zone}` : ''}`);
  let critWeight = levelWeight;
  if (asset.criticality !== null) {
    critWeight = CRITICALITY_WEIGHT[asset.criticality];
    evidence.push(`criticality ${asset.criticality} (${asset.zoneInferred ? 'inferred from role and level' : `zones file, zone ${asset.zone}`})`);
  }
  const dependents = dependentControllers(asset, ctx);
  const bonus = Math.min(DEPENDENT_CAP, DEPENDENT_BONUS * dependents.length);
  if (dependents.length > 0) {
    const names = dependents.slice(0, 4).map((d) => hostLabel(ctx, d.id)).join(', ');
    evidence.push(`${plural(dependents.length, 'controller')} linked to it by industrial traffic: ${names}${dependents.length > 4 ? ', …' : ''}`);
  }
  return factor(Math.min(1, 0.45 * ROLE_WEIGHT[role] + 0.3 * levelWeight + 0.25 * critWeight + bonus), evidence);
}

function flowLine(ctx: RiskContext, c: { src: string; dst: string; protocol: string; port: number; transport: string; flows: number }, ops?: string): string {
  return `${hostLabel(ctx, c.src)} → ${hostLabel(ctx, c.dst)} ${c.protocol} ${portText(c as never)} (${plural(c.flows, 'flow')}${ops ? `; ${ops}` : ''})`;
}

export function exposureFactor(asset: AssetReport, ctx: RiskContext): RiskFactor {
  const W = EXPOSURE_WEIGHT;
  const evidence: string[] = [];
  let score = 0;
  const inbound = ctx.inbound.get(asset.id) ?? [];
  const outbound = ctx.outbound.get(asset.id) ?? [];
  const ot = asset.purdueLevel !== null && asset.purdueLevel <= 3.5;

  const fromInternet = inbound.filter((c) => c.internet && ctx.assetById.get(c.src) !== undefined && isExternal(ctx.assetById.get(c.src)!));
  if (fromInternet.length > 0) {
    score += W.internetInbound;
    for (const c of fromInternet) evidence.push(`reached from the Internet: ${flowLine(ctx, c, operationsText(c))}`);
  }
  if (ot) {
    const toInternet = outbound.filter((c) => c.internet);
    if (toInternet.length > 0) {
      score += W.internetOutbound;
      for (const c of toInternet) evidence.push(`talks to the Internet: ${flowLine(ctx, c)}`);
    }
  }
  const fromIt = inbound.filter((c) => c.crossesItOt && !c.internet && (c.srcLevel ?? 0) >= 4);
  if (fromIt.length > 0) {
    score += W.itInbound;
    for (const c of fromIt) evidence.push(`reachable from IT (level ${c.srcLevel} → ${c.dstLevel}, no DMZ in between): ${flowLine(ctx, c, operationsText(c))}`);
  }
  const violations = inbound.filter((c) => c.conduitAllowed === false);
  if (violations.length > 0) {
    score += W.conduitViolation;
    for (const c of violations) evidence.push(`inbound flow no conduit of the zones file allows: ${flowLine(ctx, c)}`);
  }
  const remote = inbound.filter((c) => REMOTE_ACCESS_PROTOCOLS.has(c.protocol));
  const remoteAlerts = (ctx.alertsByAsset.get(asset.id) ?? []).filter((a) => a.ruleId === 'net.remote-access' && a.target?.asset === asset.id);
  if (remote.length > 0 || remoteAlerts.length > 0) {
    score += W.remoteAccess;
    for (const c of remote) evidence.push(`remote access into it: ${flowLine(ctx, c)}`);
    if (remote.length === 0) for (const a of remoteAlerts) evidence.push(`remote access into it: ${a.explanation.split('. ')[0]}`);
  }

  let services = 0;
  for (const p of asset.protocols) {
    const what = CLEARTEXT_SERVICES[p.name];
    if (p.role !== 'server' || what === undefined) continue;
    services += W.insecureService;
    evidence.push(`serves ${what} on ${p.ports.map((n) => `${n}`).join(', ') || 'its port'}`);
  }
  const smb1 = asset.facts.find((f) => f.field === 'software' && /\bsmb1 server|\bsmb ?(?:v?1|nt lm 0\.12)\b.*server/i.test(f.value));
  if (smb1 !== undefined) {
    services += W.insecureService;
    evidence.push(`serves SMBv1 ("${smb1.value}", ${frameRef(smb1, ctx)})`);
  }
  score += Math.min(W.insecureServiceCap, services);

  let creds = 0;
  for (const f of asset.facts) {
    const anonymous = f.field === 'role-hint' && f.value === 'anonymous-ftp-server';
    if (f.field !== 'credential' && !anonymous) continue;
    creds += W.credential;
    evidence.push(anonymous ? `accepts anonymous FTP logins (${frameRef(f, ctx)})` : `cleartext credential: ${f.value} (${frameRef(f, ctx)})`);
  }
  score += Math.min(W.credentialCap, creds);

  let listings = 0;
  const urls = new Set<string>();
  for (const f of asset.facts) {
    if (f.field !== 'directory-listing' || urls.has(f.value)) continue;
    urls.add(f.value);
    listings += W.directoryListing;
    evidence.push(`serves a directory listing at ${f.value} (${frameRef(f, ctx)})`);
  }
  score += Math.min(W.directoryListingCap, listings);
  return factor(Math.min(1, score), evidence);
}

/** The strongest match counts whole; every further match adds 1 point, up to 10. */
export function vulnerabilityFactor(vulns: readonly VulnerabilityReport[]): RiskFactor {
  if (vulns.length === 0) return factor(0, []);
  const sorted = [...vulns].sort(compareVulnerabilities);
  const top = matchWeight(sorted[0]!);
  const score = Math.min(1, top + Math.min(0.1, 0.01 * (sorted.length - 1)));
  const kev = sorted.filter((v) => v.kev).length;
  const high = sorted.filter((v) => v.confidence === 'high').length;
  const evidence = [`${plural(sorted.length, 'advisory', 'advisories')} match (${kev} with a KEV-listed CVE, ${high} with high confidence)`];
  for (const v of sorted.slice(0, 3)) {
    const why: string[] = [];
    if (v.kev) why.push('KEV: known exploited');
    if (v.ssvc) why.push(`SSVC exploitation ${v.ssvc.exploitation}, automatable ${v.ssvc.automatable}, impact ${v.ssvc.technicalImpact}`);
    if (v.cvss?.score != null) why.push(`CVSS ${v.cvss.score.toFixed(1)}`);
    why.push(`${v.confidence} confidence`);
    evidence.push(`${v.advisoryId} ${v.title}: ${why.join(', ')}; ${v.evidence[0] ?? 'matched'}${v.fixedIn ? `; fixed in ${v.fixedIn}` : ''}`);
  }
  return factor(score, evidence);
}

/** Open alerts combine like independent probabilities: 1 − Π(1 − w). */
export function threatFactor(asset: AssetReport, ctx: RiskContext): RiskFactor {
  const alerts = ctx.alertsByAsset.get(asset.id) ?? [];
  if (alerts.length === 0) return factor(0, []);
  const sorted = [...alerts].sort((a, b) => SEVERITY_WEIGHT[b.severity] - SEVERITY_WEIGHT[a.severity] || a.ruleId.localeCompare(b.ruleId));
  let keep = 1;
  const evidence: string[] = [];
  for (const a of sorted) {
    keep *= 1 - SEVERITY_WEIGHT[a.severity] * (a.status === 'acknowledged' ? ACKNOWLEDGED_FACTOR : 1);
    evidence.push(alertLine(a, asset, ctx));
  }
  return factor(1 - keep, evidence);
}

function alertLine(a: AlertReport, asset: AssetReport, ctx: RiskContext): string {
  const asSource = a.source?.asset === asset.id && a.target?.asset !== asset.id;
  const other = asSource ? a.target : a.source;
  const otherText = other ? (other.asset ? hostLabel(ctx, other.asset) : other.ip ?? other.mac ?? '?') : null;
  const ev = a.evidence[0];
  const where = ev ? (ev.frame !== null ? `, frame ${ev.frame}` : `, ${ev.ts}`) : '';
  const detail = typeof a.details.operation === 'string' ? ` ${a.details.operation}` : typeof a.details.url === 'string' ? ` ${a.details.url}` : typeof a.details.credential === 'string' ? ` ${a.details.credential}` : '';
  return `${a.severity} ${a.ruleId}${detail}${otherText ? (asSource ? ` to ${otherText}` : ` from ${otherText}`) : ''} (${a.status}, ×${a.count}${where})`;
}
