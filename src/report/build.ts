/**
 * Assembles the report (src/report/types.ts, docs/report.md) from the capture summaries, engine statistics and
 * the inventory. Pure: the same inputs give the same report, byte for byte, except `generatedAt`.
 */
import type { Inventory } from '../model/inventory.js';
import { VERSION } from '../version.js';
import { isoTime } from './time.js';
import { REPORT_SCHEMA, type AlertReport, type AssetReport, type CaptureReport, type CommunicationReport, type Report, type ReportStats, type RiskReport, type VulnerabilityReport } from './types.js';

export { isoTime } from './time.js';

export interface BuildReportInput {
  captures: CaptureReport[];
  stats: ReportStats;
  inventory: Inventory;
  generatedAt?: Date;
  /** Alerts, or the detector's post-pass over the built model (it needs the assets and communications). */
  alerts?: AlertReport[] | ((model: { assets: AssetReport[]; communications: CommunicationReport[] }) => AlertReport[]);
  vulnerabilities?: VulnerabilityReport[];
  risk?: RiskReport[];
}

function sortedRecord(record: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(record).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
}

/** The inventory is the authority for its own keys: set, not add, so callers that already copied them agree. */
function withInventoryCounts(target: Record<string, number>, inventory: Record<string, number>): Record<string, number> {
  return sortedRecord({ ...target, ...inventory });
}

export function buildReport(input: BuildReportInput): Report {
  const { assets, communications, protocols } = input.inventory.build();
  const stats: ReportStats = {
    ...input.stats,
    // Inventory caps and counters join the engine's, so one place lists every limit that was reached.
    analyzers: withInventoryCounts(input.stats.analyzers, input.inventory.counters),
    capsHit: withInventoryCounts(input.stats.capsHit, input.inventory.capsHit),
  };
  return {
    schema: REPORT_SCHEMA,
    generator: { name: 'otwatch', version: VERSION },
    generatedAt: isoTime((input.generatedAt ?? new Date()).getTime() / 1000),
    captures: input.captures,
    stats,
    assets,
    communications,
    protocols,
    alerts: typeof input.alerts === 'function' ? input.alerts({ assets, communications }) : input.alerts ?? [],
    vulnerabilities: input.vulnerabilities ?? [],
    mitigations: [],
    risk: input.risk ?? [],
  };
}
