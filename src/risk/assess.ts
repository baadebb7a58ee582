/**
 * assessRisk: report → vulnerabilities, risk ranking, mitigations and segmentation policy. Pure over the report
 * (the matcher is handed in, or the process-wide default is loaded once); each asset is matched once.
 *
 * score = 100 × C × g(E) × g(V) × g(T), g(x) = FLOOR + (1 − FLOOR)·x: criticality scales everything; exposure,
 * vulnerability and threat each raise it, none alone zeroes it (a critical controller with no finding still
 * ranks above an office PC with none).
 */
import type { ZonesConfig } from '../model/zones.js';
import type { AssetReport, Mitigation, Report, RiskReport, VulnerabilityReport } from '../report/types.js';
import type { VulnMatcher } from '../vuln/matcher.js';
import { VulnDbError } from '../vuln/db.js';
import { buildContext, isExternal, type RiskContext } from './context.js';
import { criticalityFactor, exposureFactor, threatFactor, vulnerabilityFactor } from './factors.js';
import { deriveMitigations } from './mitigations.js';
import { buildPolicy, type SegmentationPolicy } from './policy.js';
import { defaultVulnMatcher, matchVulnerabilities } from './vulnerabilities.js';

export const FACTOR_FLOOR = 0.4;

export interface AssessOptions {
  /** undefined: the database in use, loaded once per process; null: reuse report.vulnerabilities, match nothing */
  matcher?: VulnMatcher | null;
  zones?: ZonesConfig | null;
}

export interface RiskAssessment {
  vulnerabilities: VulnerabilityReport[];
  risk: RiskReport[];
  mitigations: Mitigation[];
  policy: SegmentationPolicy;
  /** e.g. the vulnerability database could not be loaded */
  warnings: string[];
}

export function combineScore(criticality: number, exposure: number, vulnerability: number, threat: number): number {
  const g = (x: number): number => FACTOR_FLOOR + (1 - FACTOR_FLOOR) * (x / 100);
  return Math.round(100 * (criticality / 100) * g(exposure) * g(vulnerability) * g(threat));
}

export function assessRisk(report: Report, opts: AssessOptions = {}): RiskAssessment {
  const warnings: string[] = [];
  let vulnerabilities: VulnerabilityReport[] = report.vulnerabilities ?? [];
  if (opts.matcher !== null) {
    let matcher: VulnMatcher | null = opts.matcher ?? null;
    if (matcher === null) {
      try {
        matcher = defaultVulnMatcher();
      } catch (err) {
        if (!(err instanceof VulnDbError)) throw err;
        warnings.push(`no vulnerability matching: ${err.message}`);
      }
    }
    if (matcher !== null) vulnerabilities = matchVulnerabilities(report.assets, matcher);
  }
  const ctx = buildContext(report, vulnerabilities, opts.zones ?? null);
  const mitigations = deriveMitigations(ctx);
  const byAsset = new Map<string, string[]>();
  for (const m of mitigations) {
    for (const a of m.assets) {
      const list = byAsset.get(a);
      if (list) list.push(m.id);
      else byAsset.set(a, [m.id]);
    }
  }
  const risk = rankAssets(ctx, byAsset);
  return { vulnerabilities, risk, mitigations, policy: buildPolicy(ctx), warnings };
}

export function assessAsset(asset: AssetReport, ctx: RiskContext): Omit<RiskReport, 'rank' | 'mitigations'> {
  const criticality = criticalityFactor(asset, ctx);
  const exposure = exposureFactor(asset, ctx);
  const vulnerability = vulnerabilityFactor(ctx.vulnsByAsset.get(asset.id) ?? []);
  const threat = threatFactor(asset, ctx);
  return {
    asset: asset.id,
    score: combineScore(criticality.score, exposure.score, vulnerability.score, threat.score),
    factors: { criticality, exposure, vulnerability, threat },
  };
}

function rankAssets(ctx: RiskContext, mitigationsByAsset: Map<string, string[]>): RiskReport[] {
  const scored = ctx.report.assets.filter((a) => !isExternal(a)).map((a) => assessAsset(a, ctx));
  scored.sort((a, b) => b.score - a.score || b.factors.criticality.score - a.factors.criticality.score || a.asset.localeCompare(b.asset));
  return scored.map((r, i) => ({ ...r, rank: i + 1, mitigations: mitigationsByAsset.get(r.asset) ?? [] }));
}
