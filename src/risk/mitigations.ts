/**
 * Concrete mitigations tied to what was observed: who may program which controller, which web server lists
 * which directory, which insecure service runs where, which IT/Internet path reaches OT, which firmware fixes
 * which advisory, which host to isolate. Every mitigation names its hosts and carries its evidence.
 */
import type { OperationKind } from '../events/types.js';
import type { AlertReport, AssetReport, AssetRole, CommunicationReport, Mitigation, MitigationPriority } from '../report/types.js';
import { compareVersions, parseVersion, type Version } from '../vuln/version.js';
import { hostLabel, isController, isExternal, isIndustrial, operationsText, plural, portText, primaryAddress, type RiskContext } from './context.js';
import { compareVulnerabilities } from './vulnerabilities.js';

export const MITIGATION_KINDS = [
  'isolate-host', 'remove-internet-path', 'restrict-access', 'remove-it-ot-path', 'apply-remediation',
  'disable-smbv1', 'disable-telnet', 'disable-ftp', 'disable-anonymous-access', 'disable-cleartext-web-login',
  'disable-directory-listing',
] as const;
export type MitigationKind = (typeof MITIGATION_KINDS)[number];

const PRIORITY_RANK: Readonly<Record<MitigationPriority, number>> = { critical: 4, high: 3, medium: 2, low: 1 };

/** Operations that change what a controller runs or whether it runs. */
export const ENGINEERING_OPERATIONS: ReadonlySet<OperationKind> = new Set<OperationKind>([
  'program-download', 'program-upload', 'program-modify', 'mode-change', 'firmware-update', 'restart', 'configuration',
]);
export const WRITE_OPERATIONS: ReadonlySet<OperationKind> = new Set<OperationKind>(['write', 'control']);
/** Roles that legitimately write setpoints/commands to controllers. */
export const WRITER_ROLES: ReadonlySet<AssetRole> = new Set<AssetRole>(['hmi', 'scada-server', 'engineering-workstation', 'opc-server', 'plc', 'rtu', 'ied']);
export const READER_ROLES: ReadonlySet<AssetRole> = new Set<AssetRole>([...WRITER_ROLES, 'historian']);

/** Detection rules that judged a source's operation on a controller untrusted (docs/detection.md). */
const OPERATION_RULES = new Set(['ot.mode-change', 'ot.program-download', 'ot.program-upload', 'ot.program-modify', 'ot.firmware-update', 'ot.restart', 'ot.configuration-change', 'ot.control-command']);

export function priorityRank(p: MitigationPriority): number {
  return PRIORITY_RANK[p];
}

export function compareMitigations(a: Mitigation, b: Mitigation): number {
  return PRIORITY_RANK[b.priority] - PRIORITY_RANK[a.priority]
    || MITIGATION_KINDS.indexOf(a.kind as MitigationKind) - MITIGATION_KINDS.indexOf(b.kind as MitigationKind)
    || a.id.localeCompare(b.id);
}

function mitigation(kind: MitigationKind, target: string, m: Omit<Mitigation, 'id' | 'kind'>): Mitigation {
  return { id: `${kind}@${target}`, kind, ...m };
}

function opsOf(c: CommunicationReport): OperationKind[] {
  return (Object.keys(c.operations) as OperationKind[]).filter((k) => (c.operations[k] ?? 0) > 0);
}

function isOtInternal(a: AssetReport): boolean {
  return !isExternal(a) && a.purdueLevel !== null && a.purdueLevel <= 3;
}

/** An open detection alert says `source`'s operations on `target` came from an untrusted host. */
function flaggedUntrusted(ctx: RiskContext, source: string, target: string): AlertReport | undefined {
  return (ctx.alertsByAsset.get(target) ?? []).find((a) => OPERATION_RULES.has(a.ruleId) && a.source?.asset === source && a.details.trusted_source === false);
}

/**
 * Any open operation alert that found `source` untrusted, on whatever controller. The engineering-workstation
 * role is inferred from behaviour, so a host that programmed or stopped a controller without authority earns
 * it too: such a host must not be allowed to program anything.
 */
function flaggedAnywhere(ctx: RiskContext, source: string): AlertReport | undefined {
  return ctx.report.alerts.find((a) => OPERATION_RULES.has(a.ruleId) && a.source?.asset === source && a.details.trusted_source === false);
}

export interface AccessVerdict {
  engineering: boolean;
  write: boolean;
  read: boolean;
  /** why what it did is not allowed; empty when everything it did is */
  reasons: string[];
}

/**
 * What a client may do to a controller, from its roles and what was observed: programming and mode changes
 * only from an engineering workstation no detection rule flagged; writes from operator/supervisory roles;
 * reads from any OT role; nothing from IT or the Internet.
 */
export function accessVerdict(ctx: RiskContext, client: AssetReport | undefined, controller: AssetReport): AccessVerdict {
  if (client === undefined || isExternal(client)) return { engineering: false, write: false, read: false, reasons: ['a host on the Internet'] };
  if (!isOtInternal(client)) {
    return { engineering: false, write: false, read: false, reasons: [`an IT host (level ${client.purdueLevel ?? 'unknown'}) outside the control system`] };
  }
  const flagged = flaggedUntrusted(ctx, client.id, controller.id);
  const flaggedElsewhere = flagged ?? flaggedAnywhere(ctx, client.id);
  const roles = new Set(client.roles);
  const engineering = roles.has('engineering-workstation') && flaggedElsewhere === undefined;
  const write = [...roles].some((r) => WRITER_ROLES.has(r)) && flagged === undefined;
  const read = [...roles].some((r) => READER_ROLES.has(r));
  const reasons: string[] = [];
  if (flagged) reasons.push(`flagged by ${flagged.ruleId} as an untrusted source`);
  else if (flaggedElsewhere && roles.has('engineering-workstation')) {
    reasons.push(`no engineering access: flagged by ${flaggedElsewhere.ruleId} as an untrusted source on another controller`);
  }
  if (!roles.has('engineering-workstation')) reasons.push(`not an engineering workstation (${client.roles.join(', ')})`);
  return { engineering, write, read, reasons };
}

function restrictAccess(ctx: RiskContext, controller: AssetReport): Mitigation | null {
  const bySource = new Map<string, CommunicationReport[]>();
  for (const c of ctx.inbound.get(controller.id) ?? []) {
    // cyclic I/O (PROFINET RT, GOOSE) is L2 traffic between field devices: no host to restrict by address
    if (!isIndustrial(c.protocol) || c.transport === 'ethernet') continue;
    const list = bySource.get(c.src);
    if (list) list.push(c);
    else bySource.set(c.src, [c]);
  }
  if (bySource.size === 0) return null;
  const programmers: string[] = [];
  const writers: string[] = [];
  const readers: string[] = [];
  const denials: string[] = [];
  const evidence: string[] = [];
  let sawChange = false;
  let deniedChange = false;
  for (const [src, comms] of bySource) {
    const client = ctx.assetById.get(src);
    const verdict = accessVerdict(ctx, client, controller);
    const ops = new Set(comms.flatMap(opsOf));
    const label = hostLabel(ctx, src);
    for (const c of comms) evidence.push(`${label} → ${c.protocol} ${portText(c)}: ${operationsText(c)}`);
    const didEngineering = [...ops].filter((o) => ENGINEERING_OPERATIONS.has(o));
    const didWrite = [...ops].filter((o) => WRITE_OPERATIONS.has(o));
    if (didEngineering.length + didWrite.length > 0) sawChange = true;
    const denied: string[] = [];
    if (didEngineering.length > 0 && !verdict.engineering) denied.push(...didEngineering);
    if (didWrite.length > 0 && !verdict.write) denied.push(...didWrite);
    const deniedAll = !verdict.read;
    if (denied.length > 0 || deniedAll) {
      if (denied.length > 0) deniedChange = true;
      denials.push(`deny ${label}${deniedAll ? ' entirely' : ` ${denied.join('/')}`} (${verdict.reasons.join('; ') || 'not allowed'})`);
    }
    if (verdict.engineering && (didEngineering.length > 0 || client?.roles.includes('engineering-workstation'))) programmers.push(label);
    else if (verdict.write && didWrite.length > 0) writers.push(label);
    else if (verdict.read) readers.push(label);
  }
  if (!sawChange && denials.length === 0) return null;
  const target = hostLabel(ctx, controller.id);
  const parts = [
    programmers.length > 0
      ? `allow programming, mode changes and firmware updates on ${target} only from ${programmers.join(', ')}`
      : `no approved engineering workstation was seen programming ${target}: allow programming only from the designated engineering workstation`,
  ];
  if (writers.length > 0) parts.push(`writes only from ${writers.join(', ')}`);
  if (readers.length > 0) parts.push(`read-only access for ${readers.join(', ')}`);
  parts.push(...denials);
  parts.push('enable the controller\'s own access protection (CPU password / protection level, key switch in RUN) so reaching it is not enough to change it');
  const priority: MitigationPriority = deniedChange ? 'critical' : denials.length > 0 ? 'high' : 'medium';
  return mitigation('restrict-access', primaryAddress(controller), {
    title: `Restrict who may write to and program ${target}`,
    action: `${parts.join('; ')}.`,
    assets: [controller.id],
    evidence,
    priority,
  });
}

function paths(ctx: RiskContext, asset: AssetReport): Mitigation[] {
  const out: Mitigation[] = [];
  const label = hostLabel(ctx, asset.id);
  const inbound = ctx.inbound.get(asset.id) ?? [];
  const fromInternet = inbound.filter((c) => c.internet && (ctx.assetById.get(c.src) === undefined || isExternal(ctx.assetById.get(c.src)!)));
  const ot = asset.purdueLevel !== null && asset.purdueLevel <= 3.5;
  if (fromInternet.length > 0 && ot) {
    out.push(mitigation('remove-internet-path', primaryAddress(asset), {
      title: `Remove the Internet path to ${label}`,
      action: `Block inbound traffic from the Internet to ${label} at the perimeter (${[...new Set(fromInternet.map((c) => `${c.protocol} ${portText(c)}`))].join(', ')}); if remote access is needed, route it through the DMZ jump host with MFA.`,
      assets: [asset.id],
      evidence: fromInternet.map((c) => `${hostLabel(ctx, c.src)} → ${label} ${c.protocol} ${portText(c)}: ${plural(c.flows, 'flow')}, ${operationsText(c)} (${c.firstSeen})`),
      priority: 'critical',
    }));
  }
  const toInternet = ot ? (ctx.outbound.get(asset.id) ?? []).filter((c) => c.internet) : [];
  if (toInternet.length > 0) {
    out.push(mitigation('remove-internet-path', `${primaryAddress(asset)}-outbound`, {
      title: `Stop ${label} reaching the Internet`,
      action: `Block outbound traffic from ${label} to the Internet (${[...new Set(toInternet.map((c) => hostLabel(ctx, c.dst)))].join(', ')}); OT hosts get updates through the DMZ.`,
      assets: [asset.id],
      evidence: toInternet.map((c) => `${label} → ${hostLabel(ctx, c.dst)} ${c.protocol} ${portText(c)}: ${plural(c.flows, 'flow')} (${c.firstSeen})`),
      priority: 'high',
    }));
  }
  const fromIt = inbound.filter((c) => c.crossesItOt && !c.internet && (c.srcLevel ?? 0) >= 4);
  if (fromIt.length > 0) {
    out.push(mitigation('remove-it-ot-path', primaryAddress(asset), {
      title: `Remove the direct IT → OT path to ${label}`,
      action: `Block ${[...new Set(fromIt.map((c) => hostLabel(ctx, c.src)))].join(', ')} from reaching ${label} directly; IT users reach OT data through the DMZ (historian replica, jump host).`,
      assets: [asset.id, ...new Set(fromIt.map((c) => c.src))].filter((id) => ctx.assetById.has(id)),
      evidence: fromIt.map((c) => `${hostLabel(ctx, c.src)} (level ${c.srcLevel}) → ${label} (level ${c.dstLevel}) ${c.protocol} ${portText(c)}: ${plural(c.flows, 'flow')}, ${operationsText(c)}`),
      priority: isController(asset) ? 'critical' : 'high',
    }));
  }
  return out;
}

function frame(ctx: RiskContext, f: { frame: number; captureIndex: number }): string {
  return ctx.report.captures.length > 1 ? `capture ${f.captureIndex} frame ${f.frame}` : `frame ${f.frame}`;
}

function services(ctx: RiskContext, asset: AssetReport): Mitigation[] {
  const out: Mitigation[] = [];
  const label = hostLabel(ctx, asset.id);
  const address = primaryAddress(asset);
  const alerts = ctx.alertsByAsset.get(asset.id) ?? [];
  const ot = asset.purdueLevel !== null && asset.purdueLevel <= 3.5;
  const credentialFacts = (prefix: string) => asset.facts.filter((f) => f.field === 'credential' && f.value.startsWith(prefix));
  const alertLines = (pred: (a: AlertReport) => boolean) => alerts.filter(pred).map((a) => `alert ${a.ruleId} (${a.severity}): ${a.title}${a.evidence[0]?.frame != null ? `, frame ${a.evidence[0].frame}` : ''}`);

  const smb1 = asset.facts.filter((f) => f.field === 'software' && /\bsmb1 server|\bsmb ?(?:v?1|nt lm 0\.12)\b.*server/i.test(f.value));
  if (smb1.length > 0 || alerts.some((a) => a.ruleId === 'net.smbv1')) {
    const kev = (ctx.vulnsByAsset.get(asset.id) ?? []).filter((v) => v.kev && /SMB|MS17-010|MS08-067|MS10-061/i.test(`${v.advisoryId} ${v.title}`));
    out.push(mitigation('disable-smbv1', address, {
      title: `Disable SMBv1 on ${label}`,
      action: `Disable the SMBv1 server on ${label} (Windows: Set-SmbServerConfiguration -EnableSMB1Protocol $false, or remove the SMB1Protocol feature) and apply MS17-010; block 445/tcp and 139/tcp to it from every zone that does not need file sharing.`,
      assets: [asset.id],
      evidence: [...smb1.map((f) => `SMB server speaks SMBv1: "${f.value}" (${frame(ctx, f)})`), ...alertLines((a) => a.ruleId === 'net.smbv1' || a.ruleId === 'malware.eternalblue'),
        ...kev.map((v) => `${v.advisoryId} (KEV): ${v.cves.join(', ')}`)],
      priority: kev.length > 0 ? 'critical' : 'high',
    }));
  }
  const serves = (name: string) => asset.protocols.filter((p) => p.name === name && p.role === 'server');
  for (const [name, kind, replacement] of [['telnet', 'disable-telnet', 'SSH'], ['ftp', 'disable-ftp', 'SFTP/FTPS or the vendor\'s signed transfer tool']] as const) {
    const svc = serves(name);
    if (svc.length === 0) continue;
    const creds = credentialFacts(`${name} `);
    out.push(mitigation(kind, address, {
      title: `Disable ${name === 'ftp' ? 'FTP' : 'Telnet'} on ${label}`,
      action: `Turn off the ${name === 'ftp' ? 'FTP' : 'Telnet'} server on ${label} (port ${svc.flatMap((p) => p.ports).join(', ') || (name === 'ftp' ? 21 : 23)}) and use ${replacement}; change every password that was sent over it.`,
      assets: [asset.id],
      evidence: [
        `serves ${name} (${svc.flatMap((p) => p.ports).map((p) => `${p}/tcp`).join(', ')})`,
        ...creds.map((f) => `cleartext login: ${f.value} (${frame(ctx, f)})`),
        ...alertLines((a) => a.ruleId === 'cred.cleartext' && a.details.protocol === name),
      ],
      priority: creds.length > 0 && ot ? 'high' : 'medium',
    }));
  }
  const anonymous = asset.facts.filter((f) => (f.field === 'role-hint' && f.value === 'anonymous-ftp-server')
    || (f.field === 'credential' && /security type None|without user name or password/i.test(f.value)));
  if (anonymous.length > 0) {
    out.push(mitigation('disable-anonymous-access', address, {
      title: `Disable anonymous access on ${label}`,
      action: `Require authentication on ${label}: ${anonymous.map((f) => f.field === 'role-hint' ? 'disable anonymous FTP' : f.value.startsWith('vnc') ? 'set a VNC password' : 'require MQTT user names and passwords').join('; ')}.`,
      assets: [asset.id],
      evidence: anonymous.map((f) => `${f.field === 'role-hint' ? 'accepts anonymous FTP logins' : f.value} (${frame(ctx, f)})`),
      priority: ot ? 'high' : 'medium',
    }));
  }
  const webLogins = credentialFacts('http basic');
  if (webLogins.length > 0) {
    out.push(mitigation('disable-cleartext-web-login', address, {
      title: `Stop cleartext web logins on ${label}`,
      action: `Serve the web interface of ${label} over HTTPS only (disable port 80 or redirect it) and change the passwords that were sent in clear.`,
      assets: [asset.id],
      evidence: webLogins.map((f) => `${f.value} (${frame(ctx, f)})`),
      priority: ot ? 'high' : 'medium',
    }));
  }
  const listings = new Map<string, string>();
  for (const f of asset.facts) if (f.field === 'directory-listing' && !listings.has(f.value)) listings.set(f.value, `${f.value} listed (${frame(ctx, f)})`);
  for (const a of alerts) {
    if (a.ruleId !== 'web.directory-listing' || a.target?.asset !== asset.id || typeof a.details.url !== 'string') continue;
    if (!listings.has(a.details.url)) listings.set(a.details.url, `${a.details.url} listed (alert ${a.ruleId})`);
  }
  if (listings.size > 0) {
    const urls = [...listings.keys()];
    const server = asset.facts.find((f) => f.field === 'software' && f.protocol === 'http')?.value;
    out.push(mitigation('disable-directory-listing', address, {
      title: `Disable directory listing on ${label} (${urls.join(', ')})`,
      action: `Turn off automatic directory indexes on the web server of ${label}${server ? ` (${server})` : ''} for ${urls.join(', ')} and remove files that must not be published there (logs, recipes, backups, configuration).`,
      assets: [asset.id],
      evidence: [...listings.values(), ...alertLines((a) => a.ruleId === 'web.directory-listing')],
      priority: ot ? 'high' : 'medium',
    }));
  }
  return out;
}

function highestVersion(texts: string[]): string | null {
  let best: { v: Version; text: string } | null = null;
  for (const t of texts.flatMap((s) => s.split(/\s*,\s*/))) {
    const v = parseVersion(t);
    if (v && (best === null || compareVersions(v, best.v) > 0)) best = { v, text: t };
  }
  return best?.text ?? null;
}

function remediation(ctx: RiskContext, asset: AssetReport): Mitigation | null {
  const vulns = (ctx.vulnsByAsset.get(asset.id) ?? []).filter((v) => v.confidence !== 'low').sort(compareVulnerabilities);
  if (vulns.length === 0) return null;
  const label = hostLabel(ctx, asset.id);
  const withFix = vulns.filter((v) => v.fixedIn !== null);
  const without = vulns.filter((v) => v.fixedIn === null);
  const target = highestVersion(withFix.map((v) => v.fixedIn!));
  const identity = [asset.vendor, asset.model].filter(Boolean).join(' ');
  const parts: string[] = [];
  if (withFix.length > 0) {
    parts.push(`update ${label}${identity ? ` (${identity}${asset.firmware ? `, firmware ${asset.firmware}` : ''})` : ''} to ${target ?? withFix[0]!.fixedIn} or later: fixes ${withFix.map((v) => v.advisoryId).join(', ')}`);
  }
  const seen = new Set<string>();
  for (const v of without) {
    // some advisories' first sentence only introduces a list ("… users can apply to reduce the risk:")
    const sentence = v.remediation !== null && !/:\s*$/.test(v.remediation) ? v.remediation : null;
    const text = sentence ?? (v.kev ? `apply the vendor patch for ${v.cves.join(', ')}` : null);
    if (text === null || seen.has(text) || seen.size >= 3) continue;
    seen.add(text);
    parts.push(`${v.advisoryId}: ${text}`);
  }
  if (parts.length === withFix.length && withFix.length === 0) parts.push(`no fixed version is published for ${without.map((v) => v.advisoryId).join(', ')}: apply the advisories' mitigations (network isolation, access protection)`);
  const rest = without.length - seen.size;
  if (rest > 0 && seen.size > 0) parts.push(`${plural(rest, 'more advisory', 'more advisories')} without a fixed version: apply their mitigations`);
  const kev = vulns.some((v) => v.kev);
  const hot = vulns.some((v) => v.confidence === 'high' && (v.ssvc?.exploitation === 'active' || (v.cvss?.score ?? 0) >= 9));
  return mitigation('apply-remediation', primaryAddress(asset), {
    title: `Apply the advisories' remediation to ${label}`,
    action: `${parts.join('; ')}.`,
    assets: [asset.id],
    evidence: vulns.slice(0, 6).map((v) => `${v.advisoryId}${v.kev ? ' (KEV)' : ''} ${v.confidence} confidence: ${v.evidence[0] ?? v.title}`),
    priority: kev ? 'critical' : hot ? 'high' : 'medium',
  });
}

const COMPROMISE_CATEGORIES = new Set(['malware', 'lateral-movement', 'exfiltration', 'indicator']);

function isolate(ctx: RiskContext, asset: AssetReport): Mitigation | null {
  const alerts = (ctx.alertsByAsset.get(asset.id) ?? []).filter((a) => COMPROMISE_CATEGORIES.has(a.category) && a.source?.asset === asset.id);
  if (alerts.length === 0) return null;
  const label = hostLabel(ctx, asset.id);
  return mitigation('isolate-host', primaryAddress(asset), {
    title: `Isolate ${label}`,
    action: `Disconnect ${label} from the network (switch port / VLAN quarantine), preserve memory and disk for forensics, reimage it and reset the credentials used on it before reconnecting.`,
    assets: [asset.id],
    evidence: alerts.map((a) => `alert ${a.ruleId} (${a.severity}): ${a.title}${a.target ? ` → ${a.target.asset ? hostLabel(ctx, a.target.asset) : a.target.ip}` : ''} (×${a.count}, first ${a.firstSeen})`),
    priority: 'critical',
  });
}

/** Every mitigation for the report's internal assets, most urgent first. */
export function deriveMitigations(ctx: RiskContext): Mitigation[] {
  const out: Mitigation[] = [];
  for (const asset of ctx.report.assets) {
    if (isExternal(asset)) continue;
    const iso = isolate(ctx, asset);
    if (iso) out.push(iso);
    out.push(...paths(ctx, asset));
    if (isController(asset)) {
      const r = restrictAccess(ctx, asset);
      if (r) out.push(r);
    }
    const rem = remediation(ctx, asset);
    if (rem) out.push(rem);
    out.push(...services(ctx, asset));
  }
  return out.sort(compareMitigations);
}
