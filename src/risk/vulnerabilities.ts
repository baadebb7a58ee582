/**
 * Asset → advisories: each internal asset is matched once against the offline database (src/vuln/) and the
 * matches become report records, ordered as the risk model weighs them: KEV first, then SSVC exploitation,
 * then CVSS, each weighted by match confidence.
 */
import type { AssetReport, VulnConfidence, VulnerabilityReport } from '../report/types.js';
import { loadVulnDb } from '../vuln/db.js';
import { VulnMatcher, type VulnMatch } from '../vuln/matcher.js';
import { isExternal } from './context.js';

const CONFIDENCE_WEIGHT: Record<VulnConfidence, number> = { high: 1, medium: 0.6, low: 0.25 };

let defaultMatcher: VulnMatcher | null = null;

/** The matcher over the database in use (user refresh, else shipped), loaded and indexed once per process. */
export function defaultVulnMatcher(): VulnMatcher {
  if (defaultMatcher === null) defaultMatcher = new VulnMatcher(loadVulnDb().db);
  return defaultMatcher;
}

export function toVulnerabilityReport(asset: string, m: VulnMatch): VulnerabilityReport {
  return {
    asset,
    advisoryId: m.advisoryId,
    title: m.title,
    cves: m.cves,
    cvss: m.cvss,
    kev: m.kev,
    ssvc: m.ssvc ? { cve: m.ssvc.cve, exploitation: m.ssvc.exploitation, automatable: m.ssvc.automatable, technicalImpact: m.ssvc.technicalImpact } : null,
    confidence: m.confidence,
    evidence: m.evidence,
    fixedIn: m.fixedIn ?? null,
    remediation: m.remediation ?? null,
    needsReview: m.needsReview === true,
    url: m.url ?? null,
  };
}

/**
 * How much one match weighs, 0..1, before confidence: a KEV entry is known to be exploited (1.0); SSVC
 * "active" exploitation next (0.9), a public proof of concept (0.75); otherwise the CVSS base score maps to at
 * most 0.7, so no unexploited bug outranks an exploited one.
 */
export function matchSeverity(v: Pick<VulnerabilityReport, 'kev' | 'ssvc' | 'cvss'>): number {
  if (v.kev) return 1;
  if (v.ssvc?.exploitation === 'active') return 0.9;
  if (v.ssvc?.exploitation === 'poc') return 0.75;
  const cvss = v.cvss?.score;
  const base = typeof cvss === 'number' ? 0.2 + 0.05 * cvss : 0.35;
  const ssvcBoost = v.ssvc !== null && v.ssvc !== undefined && v.ssvc.automatable === 'yes' && v.ssvc.technicalImpact === 'total' ? 0.05 : 0;
  return Math.min(0.7, base + ssvcBoost);
}

export function matchWeight(v: VulnerabilityReport): number {
  return matchSeverity(v) * CONFIDENCE_WEIGHT[v.confidence];
}

/** KEV first, then SSVC exploitation, then CVSS; confidence breaks ties; then the id, for stable output. */
export function compareVulnerabilities(a: VulnerabilityReport, b: VulnerabilityReport): number {
  return matchWeight(b) - matchWeight(a) || (b.cvss?.score ?? 0) - (a.cvss?.score ?? 0) || a.advisoryId.localeCompare(b.advisoryId);
}

/** Every internal asset matched once; Internet hosts carry no identity worth matching. */
export function matchVulnerabilities(assets: readonly AssetReport[], matcher: VulnMatcher): VulnerabilityReport[] {
  const out: VulnerabilityReport[] = [];
  for (const a of assets) {
    if (isExternal(a)) continue;
    const matches = matcher.matchAsset({
      vendor: a.vendor, model: a.model, firmware: a.firmware, os: a.os?.value ?? null,
      roles: a.roles, protocols: a.protocols, facts: a.facts,
    });
    const records = matches.map((m) => toVulnerabilityReport(a.id, m)).sort(compareVulnerabilities);
    out.push(...records);
  }
  return out;
}
