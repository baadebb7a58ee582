/** Risk layer (docs/risk.md): vulnerabilities, risk ranking, mitigations, segmentation policy. */
export { assessRisk, combineScore, FACTOR_FLOOR, type AssessOptions, type RiskAssessment } from './assess.js';
export { defaultVulnMatcher, matchVulnerabilities } from './vulnerabilities.js';
export { buildPolicy, renderCsv, renderNftables, renderPolicyTable, type BlockedFlow, type PolicyRule, type SegmentationPolicy } from './policy.js';
export { renderRisk } from './render.js';
