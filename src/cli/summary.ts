/** The human-readable summary `otwatch analyze` prints. */
import type { AssetReport, Report } from '../report/types.js';
import { formatBytes, formatCount } from './progress.js';

export function renderSummary(report: Report): string {
  const out: string[] = [];
  const s = report.stats;
  const totalSec = s.durationMs / 1000;
  out.push('otwatch analysis');
  out.push('================');
  for (const c of report.captures) {
    out.push(
      `capture  ${c.file}  (${c.format}${c.compressed ? ', gzip' : ''}, ${c.linkTypes.join('+') || 'no packets'})  ` +
        `${formatCount(c.packets)} packets, ${formatBytes(c.bytes)}, ${c.firstSeen ?? '-'} .. ${c.lastSeen ?? '-'}`,
    );
  }
  out.push(
    `analysed ${formatCount(s.packets)} packets / ${formatBytes(s.bytes)} in ${totalSec.toFixed(2)} s` +
      (totalSec > 0 ? ` (${formatBytes(s.bytes / totalSec)}/s, ${formatCount(s.packets / totalSec)} pkt/s)` : '') +
      `; ${s.flows} flows, ${s.events} events`,
  );
  out.push('');

  out.push(`Assets: ${report.assets.length}`);
  const byRole = countBy(report.assets, (a) => (a.roles.length ? a.roles : ['unknown']));
  out.push(`  by role:   ${formatCounts(byRole)}`);
  const byVendor = countBy(report.assets, (a) => [a.vendor ?? 'unknown vendor']);
  out.push(`  by vendor: ${formatCounts(byVendor, 8)}`);
  const identified = report.assets.filter((a) => a.model || a.firmware);
  if (identified.length) {
    out.push('  identified devices:');
    for (const a of identified.slice(0, 15)) {
      out.push(`    ${assetLabel(a).padEnd(34)} ${[a.vendor, a.model, a.firmware && `fw ${a.firmware}`, a.serial && `s/n ${a.serial}`].filter(Boolean).join(', ')}`);
    }
    if (identified.length > 15) out.push(`    ... and ${identified.length - 15} more`);
  }
  out.push('');

  out.push('Protocols:');
  const protocols = [...report.protocols].sort((a, b) => b.bytes - a.bytes);
  for (const p of protocols.slice(0, 15)) {
    out.push(`  ${p.name.padEnd(14)} ${formatCount(p.packets).padStart(8)} pkts ${formatBytes(p.bytes).padStart(10)} ${String(p.flows).padStart(7)} flows`);
  }
  if (protocols.length > 15) out.push(`  ... and ${protocols.length - 15} more`);
  out.push('');

  out.push('Top talkers:');
  const talkers = [...report.assets].sort((a, b) => b.bytes - a.bytes).slice(0, 10);
  for (const a of talkers) {
    const speaks = a.protocols.map((p) => `${p.name}/${p.role}`).slice(0, 5).join(' ');
    out.push(`  ${assetLabel(a).padEnd(34)} ${formatBytes(a.bytes).padStart(10)}  ${speaks}`);
  }
  out.push('');

  const ops = new Map<string, number>();
  for (const c of report.communications) for (const [k, v] of Object.entries(c.operations)) ops.set(k, (ops.get(k) ?? 0) + (v ?? 0));
  if (ops.size) {
    out.push(`Operations: ${[...ops.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    out.push('');
  }

  const ranked = ['critical', 'high', 'medium', 'low', 'info'];
  const alerts = [...report.alerts].sort((a, b) => ranked.indexOf(a.severity) - ranked.indexOf(b.severity));
  const bySeverity = ranked.map((s) => [s, alerts.filter((a) => a.severity === s).length] as const).filter(([, n]) => n > 0);
  out.push(`Alerts: ${alerts.length}${bySeverity.length ? ' (' + bySeverity.map(([s, n]) => `${n} ${s}`).join(', ') + ')' : ''}`);
  for (const a of alerts.filter((x) => x.severity !== 'info').slice(0, 20)) {
    const who = [a.source && partyLabel(a.source), a.target && partyLabel(a.target)].filter(Boolean).join(' -> ');
    out.push(`  [${a.severity.toUpperCase().padEnd(8)}] ${a.title}${who ? `  (${who})` : ''}${a.count > 1 ? `  x${a.count}` : ''}`);
  }
  if (alerts.length > 20) out.push(`  ... ${alerts.length - 20} more in the report (--json)`);
  out.push('');

  if (report.risk.length) {
    const byId = new Map(report.assets.map((a) => [a.id, a]));
    out.push(`Key assets by risk (${report.vulnerabilities.length} vulnerability matches, ${report.mitigations.length} mitigations; details: otwatch risk):`);
    for (const r of report.risk.slice(0, 5)) {
      const a = byId.get(r.asset);
      const label = a ? `${assetLabel(a)}${a.model ? ' ' + a.model : ''}` : r.asset;
      const f = r.factors;
      out.push(`  ${String(r.rank).padStart(2)}. ${label.padEnd(48)} score ${r.score.toFixed(0).padStart(3)}  (criticality ${f.criticality.score.toFixed(0)}, exposure ${f.exposure.score.toFixed(0)}, vulnerability ${f.vulnerability.score.toFixed(0)}, threat ${f.threat.score.toFixed(0)})`);
    }
    const urgent = report.mitigations.filter((m) => m.priority === 'critical' || m.priority === 'high').slice(0, 5);
    for (const m of urgent) out.push(`  -> ${m.title}: ${m.action}`);
    out.push('');
  }

  const warnings = report.captures.flatMap((c) => c.warnings.map((w) => `${c.file}: ${w}`));
  if (s.decodeErrors) warnings.push(`${s.decodeErrors} packets could not be fully decoded (truncated or malformed headers)`);
  if (s.unsupportedLink) warnings.push(`${s.unsupportedLink} packets of unsupported link types were skipped`);
  for (const [cap, n] of Object.entries(s.capsHit)) warnings.push(`cap reached: ${cap} (${n} times)`);
  const malformed = Object.entries(s.analyzers).filter(([k]) => k.endsWith('.malformed'));
  for (const [k, n] of malformed) warnings.push(`${n} malformed ${k.split('.')[0]} messages`);
  out.push(warnings.length ? 'Warnings:' : 'Warnings: none');
  for (const w of warnings) out.push(`  - ${w}`);
  return out.join('\n');
}

function assetLabel(a: AssetReport): string {
  const ip = a.ips[0] ?? '';
  return a.hostnames[0] ? `${a.hostnames[0]} (${ip || a.mac})` : ip ? `${ip}${a.mac ? ' ' + a.mac : ''}` : a.mac ?? a.id;
}

function countBy<T>(items: T[], keys: (item: T) => string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) for (const k of keys(item)) counts.set(k, (counts.get(k) ?? 0) + 1);
  return counts;
}

function formatCounts(counts: Map<string, number>, limit = 12): string {
  const sorted = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const shown = sorted.slice(0, limit).map(([k, v]) => `${k} ${v}`);
  if (sorted.length > limit) shown.push(`+${sorted.length - limit} more`);
  return shown.join(', ') || 'none';
}

function partyLabel(p: { ip: string | null; mac: string | null; name: string | null }): string {
  return p.name ? `${p.name} ${p.ip ?? ''}`.trim() : p.ip ?? p.mac ?? '?';
}
