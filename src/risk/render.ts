/** Text output of `otwatch risk`: the ranked key assets with every factor's evidence, then the mitigations. */
import type { Report } from '../report/types.js';
import type { RiskAssessment } from './assess.js';
import { buildContext, hostLabel } from './context.js';

const FACTORS = ['criticality', 'exposure', 'vulnerability', 'threat'] as const;

export interface RenderOptions {
  top: number;
}

export function renderRisk(report: Report, assessment: RiskAssessment, opts: RenderOptions): string {
  const ctx = buildContext(report, assessment.vulnerabilities, null);
  const shown = assessment.risk.slice(0, opts.top);
  const lines: string[] = [`Risk ranking: top ${shown.length} of ${assessment.risk.length} assets (score 0-100 = criticality × exposure × vulnerability × threat)`];
  const mitigationIds = new Set<string>();
  for (const r of shown) {
    const a = ctx.assetById.get(r.asset);
    const identity = a ? [a.vendor, a.model, a.firmware].filter(Boolean).join(' ') : '';
    const place = a ? [a.zone, a.purdueLevel !== null ? `level ${a.purdueLevel}` : null].filter(Boolean).join(', ') : '';
    lines.push('', `${String(r.rank).padStart(2)}. ${hostLabel(ctx, r.asset)}${identity ? ` — ${identity}` : ''}${place ? ` [${place}]` : ''}   risk ${r.score}/100`);
    for (const f of FACTORS) {
      const factor = r.factors[f];
      lines.push(`    ${f.padEnd(13)} ${String(factor.score).padStart(3)}${factor.evidence.length === 0 ? '  (nothing observed)' : ''}`);
      for (const e of factor.evidence) lines.push(`        - ${e}`);
    }
    if (r.mitigations.length > 0) lines.push(`    mitigations: ${r.mitigations.join(', ')}`);
    for (const m of r.mitigations) mitigationIds.add(m);
  }
  const mitigations = assessment.mitigations.filter((m) => mitigationIds.has(m.id));
  lines.push('', `Mitigations for these assets (${mitigations.length} of ${assessment.mitigations.length}, most urgent first):`);
  for (const m of mitigations) {
    lines.push('', `  [${m.priority}] ${m.id}: ${m.title}`, `      ${m.action}`);
    for (const e of m.evidence.slice(0, 6)) lines.push(`      · ${e}`);
    if (m.evidence.length > 6) lines.push(`      · … and ${m.evidence.length - 6} more`);
  }
  for (const w of assessment.warnings) lines.push('', `warning: ${w}`);
  return lines.join('\n') + '\n';
}
