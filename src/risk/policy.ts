/**
 * Segmentation policy: a least-privilege allow-list between zones, built from the observed flows the zones
 * file (or, without one, the Purdue model) allows, restricted per industrial protocol to the operations the
 * sources' roles justify. Rendered as a readable table, an nftables ruleset and generic CSV rules; every
 * observed flow the policy would block is listed with the reason.
 */
import type { OperationKind, ProtocolName } from '../events/types.js';
import type { CommunicationReport } from '../report/types.js';
import { hostLabel, isExternal, isIndustrial, plural, type RiskContext } from './context.js';
import { accessVerdict, ENGINEERING_OPERATIONS, WRITE_OPERATIONS } from './mitigations.js';

export interface PolicyZone {
  name: string;
  purdueLevel: number | null;
  /** declared CIDRs (zones file); empty for inferred zones */
  cidrs: string[];
}

export interface PolicyRule {
  id: string;
  srcZone: string;
  dstZone: string;
  /** client addresses (only hosts seen using the conduit) */
  sources: string[];
  /** server addresses */
  destinations: string[];
  protocol: ProtocolName;
  transport: 'tcp' | 'udp';
  port: number;
  /** industrial protocols: the operations allowed (enforce with a protocol-aware firewall); null otherwise */
  operations: OperationKind[] | null;
  flows: number;
  basis: 'zones-file' | 'observed';
}

export interface BlockedFlow {
  src: string;
  dst: string;
  srcIp: string;
  dstIp: string;
  srcZone: string;
  dstZone: string;
  protocol: ProtocolName;
  transport: string;
  port: number;
  flows: number;
  /** the flow is allowed but these operations are not (only a protocol-aware firewall can enforce this) */
  operations: OperationKind[] | null;
  reason: string;
}

export interface SegmentationPolicy {
  basis: 'zones-file' | 'observed';
  zones: PolicyZone[];
  rules: PolicyRule[];
  blocked: BlockedFlow[];
  /** declared conduits no observed flow used: candidates for removal */
  unusedConduits: string[];
  defaultAction: 'drop';
}

const CLEARTEXT_ADMIN = new Set<string>(['telnet', 'ftp']);

interface Decision {
  allowed: boolean;
  reason: string;
}

function decide(ctx: RiskContext, c: CommunicationReport): Decision {
  if (c.conduitAllowed === false) return { allowed: false, reason: `no conduit of the zones file allows ${c.srcZone} → ${c.dstZone} ${c.protocol}/${c.port}` };
  const declared = c.conduitAllowed === true;
  const src = ctx.assetById.get(c.src);
  const dst = ctx.assetById.get(c.dst);
  const srcExternal = src !== undefined && isExternal(src);
  const dstExternal = dst !== undefined && isExternal(dst);
  if (declared) return { allowed: true, reason: 'declared conduit' };
  if (srcExternal && !dstExternal) return { allowed: false, reason: 'inbound from the Internet' };
  if (dstExternal && (c.srcLevel ?? 5) <= 3.5) return { allowed: false, reason: 'OT host to the Internet (updates go through the DMZ)' };
  if (c.crossesItOt && c.srcLevel !== 3.5 && c.dstLevel !== 3.5) return { allowed: false, reason: `IT ↔ OT directly (level ${c.srcLevel} → ${c.dstLevel}), bypassing the DMZ` };
  if (CLEARTEXT_ADMIN.has(c.protocol)) return { allowed: false, reason: `${c.protocol} sends logins in clear text across zones: use SSH/SFTP` };
  return { allowed: true, reason: 'observed' };
}

/** Operations of an allowed industrial flow that the client's role does not justify. */
function deniedOperations(ctx: RiskContext, c: CommunicationReport): { allowed: OperationKind[]; denied: OperationKind[]; reason: string } {
  const ops = (Object.keys(c.operations) as OperationKind[]).filter((k) => (c.operations[k] ?? 0) > 0).sort();
  const dst = ctx.assetById.get(c.dst);
  if (dst === undefined) return { allowed: ops, denied: [], reason: '' };
  const verdict = accessVerdict(ctx, ctx.assetById.get(c.src), dst);
  const allowed: OperationKind[] = [];
  const denied: OperationKind[] = [];
  for (const op of ops) {
    const ok = ENGINEERING_OPERATIONS.has(op) ? verdict.engineering : WRITE_OPERATIONS.has(op) ? verdict.write : verdict.read;
    (ok ? allowed : denied).push(op);
  }
  return { allowed, denied, reason: verdict.reasons.join('; ') };
}

function zoneList(ctx: RiskContext): PolicyZone[] {
  const zones = new Map<string, PolicyZone>();
  for (const z of ctx.zones?.zones ?? []) zones.set(z.name, { name: z.name, purdueLevel: z.purdueLevel, cidrs: z.cidrs.map((c) => c.text) });
  for (const a of ctx.report.assets) {
    if (a.zone === null) continue;
    const known = zones.get(a.zone);
    if (known === undefined) zones.set(a.zone, { name: a.zone, purdueLevel: a.purdueLevel, cidrs: /\/\d+$/.test(a.zone) ? [a.zone] : [] });
    else if (known.purdueLevel === null) known.purdueLevel = a.purdueLevel; // a declared zone without a level: its assets' inferred one
  }
  return [...zones.values()].sort((a, b) => (a.purdueLevel ?? 9) - (b.purdueLevel ?? 9) || a.name.localeCompare(b.name));
}

function addressesOf(ctx: RiskContext, id: string): string[] {
  const a = ctx.assetById.get(id);
  if (a !== undefined && a.ips.length > 0) return a.ips;
  const m = /^ip:(.+)$/.exec(id);
  return m ? [m[1]!] : [];
}

export function buildPolicy(ctx: RiskContext): SegmentationPolicy {
  const basis: SegmentationPolicy['basis'] = ctx.zones ? 'zones-file' : 'observed';
  // (zones, protocol, port, source) → destinations and allowed operations, so a merged rule allows exactly the
  // observed client/server pairs and never their cross product.
  interface Draft { key: string; srcZone: string; dstZone: string; protocol: ProtocolName; transport: 'tcp' | 'udp'; port: number; source: string; destinations: Set<string>; ops: Set<OperationKind> | null; flows: number }
  const drafts = new Map<string, Draft>();
  const blocked: BlockedFlow[] = [];
  const usedConduits = new Set<number>();
  for (const c of ctx.report.communications) {
    if (c.srcZone === null || c.dstZone === null || c.srcZone === c.dstZone) continue;
    if ((c.transport !== 'tcp' && c.transport !== 'udp') || c.port <= 0) continue;
    const srcIps = addressesOf(ctx, c.src);
    const dstIps = addressesOf(ctx, c.dst);
    if (srcIps.length === 0 || dstIps.length === 0) continue;
    const decision = decide(ctx, c);
    const base = { src: c.src, dst: c.dst, srcIp: srcIps[0]!, dstIp: dstIps[0]!, srcZone: c.srcZone, dstZone: c.dstZone, protocol: c.protocol, transport: c.transport, port: c.port, flows: c.flows };
    if (!decision.allowed) {
      blocked.push({ ...base, operations: null, reason: decision.reason });
      continue;
    }
    if (ctx.zones) ctx.zones.conduits.forEach((k, i) => { if ((k.from === '*' || k.from === c.srcZone || (k.bidirectional && k.from === c.dstZone)) && (k.to === '*' || k.to === c.dstZone || (k.bidirectional && k.to === c.srcZone))) usedConduits.add(i); });
    let ops: Set<OperationKind> | null = null;
    if (isIndustrial(c.protocol)) {
      const { allowed, denied, reason } = deniedOperations(ctx, c);
      ops = new Set(allowed);
      if (denied.length > 0) blocked.push({ ...base, operations: denied, reason: `${denied.join(', ')} from ${hostLabel(ctx, c.src)}: ${reason}` });
    }
    for (const source of srcIps) {
      const key = `${c.srcZone}\u0000${c.dstZone}\u0000${c.protocol}\u0000${c.transport}\u0000${c.port}\u0000${source}`;
      let d = drafts.get(key);
      if (d === undefined) {
        d = { key, srcZone: c.srcZone, dstZone: c.dstZone, protocol: c.protocol, transport: c.transport, port: c.port, source, destinations: new Set(), ops: ops === null ? null : new Set(), flows: 0 };
        drafts.set(key, d);
      }
      for (const ip of dstIps) d.destinations.add(ip);
      if (ops !== null) for (const o of ops) d.ops?.add(o);
      d.flows += c.flows;
    }
  }
  // merge sources with the same destinations and operations into one rule
  const merged = new Map<string, PolicyRule>();
  for (const d of drafts.values()) {
    const dests = [...d.destinations].sort(compareAddresses);
    const ops = d.ops === null ? null : [...d.ops].sort();
    const key = `${d.srcZone}\u0000${d.dstZone}\u0000${d.protocol}\u0000${d.transport}\u0000${d.port}\u0000${dests.join(',')}\u0000${ops?.join(',') ?? '-'}`;
    const r = merged.get(key);
    if (r) {
      r.sources.push(d.source);
      r.flows += d.flows;
    } else {
      merged.set(key, { id: '', srcZone: d.srcZone, dstZone: d.dstZone, sources: [d.source], destinations: dests, protocol: d.protocol, transport: d.transport, port: d.port, operations: ops, flows: d.flows, basis });
    }
  }
  const zones = zoneList(ctx);
  const levelOf = new Map(zones.map((z) => [z.name, z.purdueLevel ?? 9]));
  const rules = [...merged.values()].sort((a, b) =>
    (levelOf.get(a.dstZone) ?? 9) - (levelOf.get(b.dstZone) ?? 9) || a.dstZone.localeCompare(b.dstZone) || a.srcZone.localeCompare(b.srcZone)
    || a.protocol.localeCompare(b.protocol) || a.port - b.port || a.transport.localeCompare(b.transport) || compareAddresses(a.sources[0]!, b.sources[0]!));
  rules.forEach((r, i) => {
    r.id = `R${i + 1}`;
    r.sources.sort(compareAddresses);
  });
  blocked.sort((a, b) => a.srcZone.localeCompare(b.srcZone) || a.dstZone.localeCompare(b.dstZone) || compareAddresses(a.srcIp, b.srcIp) || compareAddresses(a.dstIp, b.dstIp) || a.port - b.port);
  const unusedConduits = (ctx.zones?.conduits ?? []).flatMap((k, i) => usedConduits.has(i) ? [] : [`${k.from} → ${k.to}${k.protocols.length ? ` ${k.protocols.join('/')}` : ''}${k.ports.length ? ` ports ${k.ports.join(',')}` : ''}`]);
  return { basis, zones, rules, blocked, unusedConduits, defaultAction: 'drop' };
}

/** Numeric order for IPv4 addresses, text order otherwise. */
export function compareAddresses(a: string, b: string): number {
  const pa = a.split('.');
  const pb = b.split('.');
  if (pa.length === 4 && pb.length === 4) {
    for (let i = 0; i < 4; i++) {
      const d = Number(pa[i]) - Number(pb[i]);
      if (d !== 0) return d;
    }
    return 0;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---- renderers --------------------------------------------------------------------------------------------------

function isIp6(ip: string): boolean {
  return ip.includes(':');
}

function nftSet(ips: string[]): string {
  return ips.length === 1 ? ips[0]! : `{ ${ips.join(', ')} }`;
}

/** nft comments are quoted strings up to 128 bytes: no quotes, no control characters. */
function nftComment(text: string): string {
  const clean = text.replace(/["\\\n\r\t]/g, ' ').replace(/↔/g, '<->').replace(/→/g, '->').replace(/[^\x20-\x7e]/g, '');
  return `"${clean.length > 120 ? `${clean.slice(0, 117)}...` : clean}"`;
}

function ruleComment(r: PolicyRule): string {
  return `${r.id} ${r.srcZone} -> ${r.dstZone} ${r.protocol}${r.operations ? ` ops: ${r.operations.join(',') || 'none decoded'}` : ''}`;
}

function nftLines(sources: string[], destinations: string[], transport: string, port: number, verdict: string, comment: string): string[] {
  const out: string[] = [];
  for (const family of ['ip', 'ip6'] as const) {
    const s = sources.filter((ip) => isIp6(ip) === (family === 'ip6'));
    const d = destinations.filter((ip) => isIp6(ip) === (family === 'ip6'));
    if (s.length === 0 || d.length === 0) continue;
    out.push(`    ${family} saddr ${nftSet(s)} ${family} daddr ${nftSet(d)} ${transport} dport ${port} ${verdict} comment ${nftComment(comment)}`);
  }
  return out;
}

export function renderNftables(policy: SegmentationPolicy): string {
  const lines = [
    '#!/usr/sbin/nft -f',
    `# otwatch segmentation policy (${policy.basis === 'zones-file' ? 'observed flows the zones file allows' : 'observed flows, Purdue model'}): least-privilege allow-list.`,
    '# Industrial operations listed in comments need a protocol-aware firewall (or the controller\'s access protection) to enforce.',
    'table inet otwatch_segmentation {',
    '  chain forward {',
    '    type filter hook forward priority filter; policy drop;',
    '    ct state established,related accept',
    '    ct state invalid drop',
  ];
  for (const r of policy.rules) lines.push(...nftLines(r.sources, r.destinations, r.transport, r.port, 'accept', ruleComment(r)));
  const whole = policy.blocked.filter((b) => b.operations === null);
  if (whole.length > 0) lines.push('    # observed flows this policy blocks (logged):');
  for (const b of whole) {
    lines.push(...nftLines([b.srcIp], [b.dstIp], b.transport, b.port, 'log prefix "otwatch-blocked " counter drop', `${b.protocol}: ${b.reason}`));
  }
  for (const b of policy.blocked.filter((x) => x.operations !== null)) {
    lines.push(`    # not enforceable here: ${b.srcIp} -> ${b.dstIp} ${b.protocol} ${b.operations!.join(',')} (${b.reason.replace(/\n/g, ' ')})`);
  }
  lines.push('    log prefix "otwatch-default-drop " counter drop', '  }', '}', '');
  return lines.join('\n');
}

function csvField(value: string | number): string {
  const s = String(value);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const POLICY_CSV_HEADER = ['rule', 'action', 'source_zone', 'destination_zone', 'sources', 'destinations', 'protocol', 'transport', 'port', 'operations', 'flows', 'reason'];

/** RFC 4180 CSV: one row per allow rule, one per blocked observed flow, then the default drop. */
export function renderCsv(policy: SegmentationPolicy): string {
  const rows: Array<Array<string | number>> = [POLICY_CSV_HEADER];
  for (const r of policy.rules) {
    rows.push([r.id, 'allow', r.srcZone, r.dstZone, r.sources.join(' '), r.destinations.join(' '), r.protocol, r.transport, r.port, r.operations?.join(' ') ?? '', r.flows, r.basis === 'zones-file' ? 'observed, declared conduit' : 'observed']);
  }
  policy.blocked.forEach((b, i) => {
    rows.push([`B${i + 1}`, b.operations === null ? 'drop' : 'deny-operations', b.srcZone, b.dstZone, b.srcIp, b.dstIp, b.protocol, b.transport, b.port, b.operations?.join(' ') ?? '', b.flows, b.reason]);
  });
  rows.push(['default', 'drop', '*', '*', 'any', 'any', 'any', 'any', '', '', '', 'not in the allow-list']);
  return rows.map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n';
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd());
}

export function renderPolicyTable(policy: SegmentationPolicy): string {
  const lines = [`Segmentation policy: ${plural(policy.rules.length, 'allow rule')} between zones (${policy.basis === 'zones-file' ? 'observed flows the zones file allows' : 'observed flows, Purdue model'}); everything else between zones is dropped.`];
  if (policy.rules.length > 0) {
    lines.push('', ...table([
      ['rule', 'from → to', 'sources', 'destinations', 'protocol', 'port', 'flows', 'allowed operations'],
      ...policy.rules.map((r) => [r.id, `${r.srcZone} → ${r.dstZone}`, r.sources.join(', '), r.destinations.join(', '), r.protocol, `${r.port}/${r.transport}`, String(r.flows), r.operations === null ? '-' : r.operations.join(', ') || '(none decoded)']),
    ]).map((l) => `  ${l}`));
  }
  lines.push('', `Observed flows the policy blocks: ${policy.blocked.length}`);
  for (const b of policy.blocked) {
    lines.push(`  ${b.srcIp} (${b.srcZone}) → ${b.dstIp} (${b.dstZone}) ${b.protocol} ${b.port}/${b.transport}, ${plural(b.flows, 'flow')}${b.operations ? `: operations ${b.operations.join(', ')} only` : ''} — ${b.reason}`);
  }
  if (policy.unusedConduits.length > 0) {
    lines.push('', 'Declared conduits no observed flow used (candidates for removal):');
    for (const u of policy.unusedConduits) lines.push(`  ${u}`);
  }
  return lines.join('\n') + '\n';
}
