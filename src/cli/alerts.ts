/**
 * `otwatch alerts`: the alerts a store holds, with the analyst's status, and their export.
 *
 *   otwatch alerts --db FILE [--status S] [--severity S] [--rule ID|PREFIX.] [--json]
 *   otwatch alerts --db FILE [filters] --export jsonl|cef FILE|-
 *   otwatch alerts --db FILE [filters] --syslog udp://HOST:PORT|tcp://HOST:PORT
 *   otwatch alerts ack|close|reopen ID... --db FILE [--note TEXT]
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ALERT_SEVERITIES, ALERT_STATUSES, type AlertReport, type AlertSeverity, type AlertStatus, type Report } from '../report/types.js';
import { Baseline, BaselineFormatError, type BaselineData } from '../detect/baseline.js';
import type { DetectorOptions } from '../detect/types.js';
import { parseSyslogTarget, sendSyslog, SyslogTargetError, toCef, toJsonLines, toSyslog5424 } from '../detect/export.js';
import { Store, StoreError, type AlertState } from '../store/store.js';
import { UsageError } from './main.js';

const ACTIONS: Record<string, AlertStatus> = { ack: 'acknowledged', acknowledge: 'acknowledged', close: 'closed', reopen: 'new' };

export interface AlertFilter {
  status?: AlertStatus;
  /** minimum severity */
  severity?: AlertSeverity;
  /** rule id, or a prefix ending in '.' */
  rule?: string;
}

export function filterAlerts(alerts: readonly AlertReport[], f: AlertFilter): AlertReport[] {
  const min = f.severity === undefined ? 0 : ALERT_SEVERITIES.indexOf(f.severity);
  return alerts.filter((a) =>
    (f.status === undefined || a.status === f.status) &&
    ALERT_SEVERITIES.indexOf(a.severity) >= min &&
    (f.rule === undefined || (f.rule.endsWith('.') ? a.ruleId.startsWith(f.rule) : a.ruleId === f.rule)));
}

function party(p: AlertReport['source']): string {
  if (p === null) return '-';
  return p.name ? `${p.ip ?? p.mac ?? '?'} (${p.name})` : (p.ip ?? p.mac ?? '?');
}

/** One line per alert: id, severity, status, rule, source → target, count, last seen, title. */
export function renderAlertTable(alerts: readonly AlertReport[]): string {
  if (alerts.length === 0) return 'no alerts';
  return alerts.map((a) =>
    `${a.id}  ${a.severity.padEnd(8)} ${a.status.padEnd(12)} ${a.ruleId.padEnd(24)} ${party(a.source)} → ${party(a.target)}  ×${a.count}  ${a.lastSeen}  ${a.title}`,
  ).join('\n');
}

function openStore(path: string | undefined): Store {
  if (!path) throw new UsageError('alerts needs --db FILE (the store written by analyze --db)');
  try {
    return Store.open(path);
  } catch (err) {
    if (err instanceof StoreError) throw new UsageError(`${path}: ${err.message}`);
    throw err;
  }
}

function oneOf<T extends string>(name: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}`);
  return value as T;
}

export async function cmdAlerts(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      db: { type: 'string' },
      status: { type: 'string' },
      severity: { type: 'string' },
      rule: { type: 'string' },
      json: { type: 'boolean', default: false },
      export: { type: 'string' },
      syslog: { type: 'string' },
      note: { type: 'string' },
      facility: { type: 'string' },
    },
  });
  const action = positionals[0] !== undefined ? ACTIONS[positionals[0]] : undefined;
  if (positionals[0] !== undefined && action === undefined && values.export === undefined) {
    throw new UsageError(`unknown alerts action '${positionals[0]}' (ack, close, reopen)`);
  }
  const store = openStore(values.db);
  try {
    if (action !== undefined) {
      const ids = positionals.slice(1);
      if (ids.length === 0) throw new UsageError(`alerts ${positionals[0]} needs at least one alert id`);
      let changed: string[];
      try {
        changed = store.setAlertStatus(ids, action, values.note ?? null);
      } catch (err) {
        if (err instanceof StoreError) throw new UsageError(err.message);
        throw err;
      }
      console.error(`otwatch: ${changed.length} alert${changed.length === 1 ? '' : 's'} ${action}`);
      return 0;
    }
    const alerts = filterAlerts(store.alerts(), {
      status: oneOf('status', values.status, ALERT_STATUSES),
      severity: oneOf('severity', values.severity, ALERT_SEVERITIES),
      rule: values.rule,
    });
    if (values.export !== undefined) {
      const format = oneOf('export', values.export, ['jsonl', 'cef'] as const)!;
      const out = positionals[0] ?? '-';
      const text = format === 'jsonl' ? toJsonLines(alerts) : alerts.map((a) => toCef(a) + '\n').join('');
      if (out === '-') process.stdout.write(text);
      else writeFileSync(out, text);
      if (out !== '-') console.error(`otwatch: wrote ${alerts.length} alerts to ${out}`);
    }
    if (values.syslog !== undefined) {
      let target;
      try {
        target = parseSyslogTarget(values.syslog);
      } catch (err) {
        if (err instanceof SyslogTargetError) throw new UsageError(err.message);
        throw err;
      }
      const facility = values.facility === undefined ? undefined : Number(values.facility);
      if (facility !== undefined && !(Number.isInteger(facility) && facility >= 0 && facility <= 23)) throw new UsageError('--facility must be 0-23');
      await sendSyslog(target, alerts.map((a) => toSyslog5424(a, { facility })));
      console.error(`otwatch: sent ${alerts.length} alerts to ${values.syslog}`);
    }
    if (values.export === undefined && values.syslog === undefined) {
      if (values.json) console.log(JSON.stringify(alerts, null, 2));
      else console.log(renderAlertTable(alerts));
    }
    return 0;
  } finally {
    store.close();
  }
}

// ---- analyze: learning mode, baselines and stored alert status (called by cmdAnalyze)

export interface DetectionArgs {
  db?: string;
  baseline?: string;
  learn?: boolean;
  learnWindow?: string;
}

export interface DetectionSetup {
  detectorOptions: DetectorOptions;
  /** gives the report's alerts their stored status (call before the report is written) */
  applyStatus(report: Report): void;
  /** saves a learned baseline (call after the report is stored); returns a line for the user, or null */
  saveBaseline(): string | null;
}

/**
 * --learn records the baseline into --baseline FILE (when given) else the --db store; --learn-window DURATION
 * learns the first part of the input and checks the rest; without learning, a baseline from --baseline FILE or
 * the store turns the learn.* rules on.
 */
export function prepareDetection(args: DetectionArgs, parseDuration: (text: string) => number): DetectionSetup {
  const learning = args.learn === true || args.learnWindow !== undefined;
  if (learning && !args.baseline && !args.db) throw new UsageError('--learn needs --db FILE or --baseline FILE.json to keep the baseline in');
  const windowSec = args.learnWindow === undefined ? undefined : parseDuration(args.learnWindow);
  let baseline: BaselineData | undefined;
  let statuses = new Map<string, AlertState>();
  if (args.baseline && existsSync(args.baseline)) {
    let text: unknown;
    try {
      text = JSON.parse(readFileSync(args.baseline, 'utf8')) as unknown;
    } catch (err) {
      throw new UsageError(`${args.baseline}: not a JSON baseline (${err instanceof Error ? err.message : String(err)})`);
    }
    baseline = checkBaseline(text, args.baseline);
  } else if (args.baseline && !learning) {
    throw new UsageError(`${args.baseline}: no such baseline file (learn one with --learn --baseline ${args.baseline})`);
  }
  if (args.db) {
    const store = openStore(args.db);
    try {
      if (!args.baseline) {
        const stored = store.loadBaseline();
        if (stored !== null) baseline = checkBaseline(stored, `${args.db} (stored baseline)`);
      }
      statuses = store.alertStatuses();
    } finally {
      store.close();
    }
  }
  let learned: BaselineData | null = null;
  const detectorOptions: DetectorOptions = {
    ...(baseline !== undefined ? { baseline } : {}),
    ...(learning ? { learn: { ...(windowSec !== undefined ? { windowSec } : {}), onBaseline: (b: BaselineData) => void (learned = b) } } : {}),
  };
  return {
    detectorOptions,
    applyStatus(report: Report): void {
      for (const a of report.alerts) {
        const s = statuses.get(a.id);
        if (s !== undefined) a.status = s.status;
      }
    },
    saveBaseline(): string | null {
      if (learned === null) return null;
      const b: BaselineData = learned;
      const what = `${b.talkers.length} talkers, ${b.edges.length} edges, ${b.functions.length} functions, ${b.writeTargets.length} write targets, ${b.rates.length} rates`;
      if (args.baseline) {
        writeFileSync(args.baseline, JSON.stringify(b, null, 1) + '\n');
        return `baseline ${args.baseline}: ${what}`;
      }
      const store = openStore(args.db);
      try {
        store.saveBaseline(b);
      } finally {
        store.close();
      }
      return `baseline stored in ${args.db}: ${what}`;
    },
  };
}

function checkBaseline(data: unknown, where: string): BaselineData {
  try {
    return Baseline.fromJSON(data).toJSON();
  } catch (err) {
    if (err instanceof BaselineFormatError) throw new UsageError(`${where}: ${err.message}`);
    throw err;
  }
}
