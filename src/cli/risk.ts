/**
 * `otwatch risk`: rank the key assets by risk (criticality × exposure × vulnerability × threat, each with its
 * evidence), list the mitigations, or print the segmentation policy (docs/risk.md).
 * Exit codes as the rest of the CLI: 0 done, 2 unusable input or bad usage (one line on stderr).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CaptureInputError } from '../capture/types.js';
import { REPORT_SCHEMA, type Report } from '../report/types.js';
import { assessRisk, renderCsv, renderNftables, renderPolicyTable, renderRisk } from '../risk/index.js';
import { loadVulnDb, VulnDbError } from '../vuln/db.js';
import { VulnMatcher } from '../vuln/matcher.js';

const USAGE = `Usage:
  otwatch risk <capture...|--report REPORT.json> [--zones FILE] [--top N] [--json] [--policy nft|csv|table]
      Rank the key assets by risk with each factor's evidence, then the mitigations.
      --report FILE   use an 'otwatch analyze --json' report instead of analysing captures
      --zones FILE    zones, levels and allowed conduits (docs/zones.md)
      --top N         how many assets to show (default 10)
      --json          vulnerabilities, risk, mitigations and policy as JSON
      --policy FMT    print only the segmentation policy: nft (nftables ruleset), csv, table`;

class RiskUsageError extends Error {}

const POLICY_FORMATS = ['nft', 'csv', 'table'] as const;

export async function cmdRisk(args: string[]): Promise<number> {
  try {
    return await run(args);
  } catch (err) {
    if (err instanceof RiskUsageError || err instanceof CaptureInputError) {
      console.error(`otwatch: ${err.message}`);
      return 2;
    }
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
      console.error(`otwatch: ${(err as Error).message}`);
      return 2;
    }
    throw err;
  }
}

async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      report: { type: 'string' },
      zones: { type: 'string' },
      top: { type: 'string', default: '10' },
      json: { type: 'boolean', default: false },
      policy: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const top = Number(values.top);
  if (!Number.isInteger(top) || top <= 0) throw new RiskUsageError('--top must be a positive integer');
  const policyFormat = values.policy as (typeof POLICY_FORMATS)[number] | undefined;
  if (policyFormat !== undefined && !POLICY_FORMATS.includes(policyFormat)) throw new RiskUsageError(`--policy must be one of ${POLICY_FORMATS.join(', ')}`);
  if (values.report !== undefined && positionals.length > 0) throw new RiskUsageError('give captures or --report, not both');
  if (values.report === undefined && positionals.length === 0) throw new RiskUsageError(`risk needs capture files or --report REPORT.json\n${USAGE}`);

  // A broken zones file is a one-line error before any capture is read (ZonesFileError is a CaptureInputError).
  const zones = values.zones ? (await import('../model/zones.js')).loadZonesFile(values.zones) : null;
  const report = values.report !== undefined
    ? readReport(values.report)
    : (await (await import('../engine/analyze.js')).analyzeCaptures(positionals, { zones: zones ?? undefined })).report;

  let matcher: VulnMatcher | null = null;
  const warnings: string[] = [];
  try {
    matcher = new VulnMatcher(loadVulnDb().db);
  } catch (err) {
    if (!(err instanceof VulnDbError)) throw err;
    warnings.push(`no vulnerability matching: ${err.message}`);
  }
  // Without a database, a saved report's own matches still count.
  const assessment = assessRisk(report, { matcher, zones });
  assessment.warnings.unshift(...warnings);

  if (policyFormat !== undefined) {
    const p = assessment.policy;
    process.stdout.write(policyFormat === 'nft' ? renderNftables(p) : policyFormat === 'csv' ? renderCsv(p) : renderPolicyTable(p));
    return 0;
  }
  if (values.json) {
    process.stdout.write(JSON.stringify({
      vulnerabilities: assessment.vulnerabilities, risk: assessment.risk, mitigations: assessment.mitigations,
      policy: assessment.policy, warnings: assessment.warnings,
    }, null, 2) + '\n');
    return 0;
  }
  process.stdout.write(renderRisk(report, assessment, { top }));
  return 0;
}

function readReport(path: string): Report {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new RiskUsageError(`cannot read report ${path}: ${(err as Error).message.split('\n')[0]}`);
  }
  const r = parsed as Partial<Report> | null;
  if (r === null || typeof r !== 'object' || r.schema !== REPORT_SCHEMA || !Array.isArray(r.assets) || !Array.isArray(r.communications)) {
    throw new RiskUsageError(`${path} is not an otwatch report (schema ${REPORT_SCHEMA})`);
  }
  return { ...r, alerts: r.alerts ?? [], vulnerabilities: r.vulnerabilities ?? [], risk: r.risk ?? [] } as Report;
}
