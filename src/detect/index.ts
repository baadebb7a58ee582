/** Threat detection: `new Detector(opts)`, feed events and flow summaries, `finish(model)` → alerts. */
export { Detector, alertId, toEvidence, DEFAULT_MAX_EVIDENCE, DEFAULT_MAX_ALERTS_PER_RULE } from './engine.js';
export { ModelView } from './model.js';
export { ALL_RULES } from './rules/index.js';
export type {
  AlertDraft, ConduitDef, DetectionModel, DetectorOptions, FlowLike, IndicatorList, Rule, RuleFactory, ZoneDef,
} from './types.js';
export { Baseline, BaselineFormatError, BASELINE_SCHEMA } from './baseline.js';
export type { BaselineData, BaselineCaps } from './baseline.js';
export type { LearnOptions } from './types.js';
