/**
 * The `otwatch` command line. Exit codes: 0 done (warnings allowed), 1 internal error, 2 unusable input or
 * bad usage (one-line message on stderr).
 */
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CaptureInputError } from '../capture/types.js';
import { analyzeCaptures } from '../engine/analyze.js';
import { VERSION } from '../version.js';
import { EventsWriter } from './events-writer.js';
import { ProgressBar } from './progress.js';
import { renderSummary } from './summary.js';

export class UsageError extends Error {}

const HELP = `otwatch ${VERSION} — passive security monitoring for industrial networks

Usage:
  otwatch analyze <capture...> [--json FILE] [--events FILE] [--db FILE] [--zones FILE] [--quiet]
  otwatch analyze --interface IFACE [-i IFACE2 ...] [--filter BPF] [--duration D] [--packets N] [options]
      Analyse pcap/pcapng captures (gzip-compressed too; '-' reads stdin). Prints a summary.
      -i, --interface IFACE  capture live (passively, through dumpcap or tcpdump) until Ctrl-C, --duration
                     or --packets; Ctrl-C finishes the analysis and the report, a second Ctrl-C aborts
      --filter BPF   capture filter (e.g. 'not port 22');  --duration D  e.g. 3600, 90s, 8h;  --packets N
      --json FILE    write the report (schema otwatch.report/v1; '-' for stdout)
      --events FILE  write every event as JSON lines ('-' for stdout)
      --db FILE      accumulate into an SQLite store (re-analysing a capture changes nothing)
      --quiet        no progress bar, no summary
      --zones FILE   zones, Purdue levels and allowed conduits (JSON or YAML, docs/zones.md)
      --learn        record the normal (baseline) into --baseline FILE.json, else into --db
      --learn-window D  learn the first D (e.g. 10m) of the input, check the rest against it
      --baseline FILE   check against (or, with --learn, extend) this baseline instead of the store's
  otwatch alerts --db FILE [--status S] [--severity S] [--rule ID] [--json] [--export jsonl|cef FILE] [--syslog udp://H:P|tcp://H:P]
  otwatch alerts ack|close|reopen ID... --db FILE [--note TEXT]
      List stored alerts with their status, change it, export them (JSON lines, CEF, RFC 5424 syslog).
  otwatch simulate --out FILE.pcap[ng] [--scenario NAME ...] [--duration 10m] [--size 1GB] [--seed N] [--truth FILE.json]
      Generate a deterministic capture of the virtual plant (and its ground truth).
  otwatch simulate --list
      List the incident scenarios.
  otwatch demo
      Generate the demo plant with incidents, analyse it and print the summary.
  otwatch risk <capture...|--report REPORT.json> [--zones FILE] [--top N] [--json] [--policy nft|csv|table]
      Rank the key assets by risk (criticality, exposure, vulnerabilities, threats) with evidence and mitigations;
      --policy prints a least-privilege segmentation policy between zones.
  otwatch vulndb status | import PATH... | match REPORT.json
      The offline vulnerability database (CISA ICS advisories, KEV, SSVC): what is loaded, refresh, match.
  otwatch version | help
`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'analyze':
      case 'analyse':
        return await cmdAnalyze(rest);
      case 'simulate':
        return await cmdSimulate(rest);
      case 'demo':
        return await cmdDemo(rest);
      case 'alerts':
        return await (await import('./alerts.js')).cmdAlerts(rest);
      case 'risk': {
        const { cmdRisk } = await import('./risk.js');
        return await cmdRisk(rest);
      }
      case 'vulndb': {
        const { cmdVulndb } = await import('./vulndb.js');
        return await cmdVulndb(rest);
      }
      case 'version':
      case '--version':
        console.log(VERSION);
        return 0;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(HELP);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command '${command}' (try 'otwatch help')`);
    }
  } catch (err) {
    if (err instanceof Error && (err.name === 'OutputClosedError' || (err as NodeJS.ErrnoException).code === 'EPIPE')) return 0;
    if (err instanceof CaptureInputError || err instanceof UsageError || (err instanceof Error && err.name === "SimulateError")) {
      console.error(`otwatch: ${err.message}`);
      return 2;
    }
    if (err instanceof Error && 'code' in err && typeof (err as { code: unknown }).code === 'string' && (err as { code: string }).code.startsWith('ERR_PARSE_ARGS')) {
      console.error(`otwatch: ${err.message}`);
      return 2;
    }
    throw err;
  }
}

async function cmdAnalyze(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      json: { type: 'string' },
      events: { type: 'string' },
      db: { type: 'string' },
      quiet: { type: 'boolean', short: 'q', default: false },
      'max-flows': { type: 'string' },
      zones: { type: 'string' },
      learn: { type: 'boolean', default: false },
      'learn-window': { type: 'string' },
      baseline: { type: 'string' },
      interface: { type: 'string', short: 'i', multiple: true },
      filter: { type: 'string' },
      duration: { type: 'string' },
      packets: { type: 'string' },
    },
  });
  const quiet = values.quiet === true;
  const { liveOptionsFromArgs, LiveCapture } = await import('../capture/live.js');
  const liveOptions = liveOptionsFromArgs({ ...values, positionals }, parseDuration);
  const live = liveOptions === null ? null : new LiveCapture({
    ...liveOptions,
    onStopRequested: (reason) => {
      if (!quiet && (reason === 'SIGINT' || reason === 'SIGTERM')) {
        process.stderr.write(`\r\x1b[Kotwatch: stopping the capture, finishing the analysis (${reason === 'SIGINT' ? 'Ctrl-C' : reason} again aborts)\n`);
      }
    },
  });
  if (live === null && positionals.length === 0) {
    throw new UsageError('analyze needs at least one capture file (or - for stdin), or --interface IFACE');
  }
  if (positionals.filter((p) => p === '-').length > 1) throw new UsageError('stdin (-) can be given only once');
  const duplicate = positionals.find((p, i) => p !== '-' && positionals.indexOf(p) !== i);
  if (duplicate) throw new UsageError(`${duplicate} is given twice`);
  if (values.db && positionals.includes('-')) {
    throw new UsageError('--db identifies captures by their content hash and cannot take stdin; save the capture to a file first');
  }
  const progress = ProgressBar.enabled(quiet) ? new ProgressBar(process.stderr, live === null ? null : live.name) : null;
  const events = values.events ? new EventsWriter(values.events) : null;
  const maxFlows = values['max-flows'] ? Number(values['max-flows']) : undefined;
  if (maxFlows !== undefined && !(Number.isInteger(maxFlows) && maxFlows > 0)) throw new UsageError('--max-flows must be a positive integer');
  // Read before any capture: a broken zones file is a one-line exit-2 error (ZonesFileError is a CaptureInputError).
  const zones = values.zones ? (await import('../model/zones.js')).loadZonesFile(values.zones) : undefined;
  const detection = (await import('./alerts.js')).prepareDetection(
    { db: values.db, baseline: values.baseline, learn: values.learn, learnWindow: values['learn-window'] }, parseDuration);

  let result;
  try {
    result = await analyzeCaptures(live === null ? positionals : [live], {
      onProgress: progress ? (done, total, packets) => progress.update(done, total, packets) : undefined,
      onEvent: events ? (event, file) => events.write(event, file) : undefined,
      maxFlows,
      zones,
      detectorOptions: detection.detectorOptions,
    });
  } finally {
    progress?.done();
    events?.close();
  }
  const { report } = result;
  detection.applyStatus(report);

  if (values.json) {
    const text = JSON.stringify(report, null, 2) + '\n';
    if (values.json === '-') process.stdout.write(text);
    else writeFileSync(values.json, text);
  }
  if (values.db) {
    const { persistReport, PersistError } = await import('./persist.js');
    try {
      const outcome = await persistReport(values.db, report, live === null ? positionals : [live.identity()]);
      if (!quiet) console.error(`otwatch: store ${values.db}: ${outcome}`);
    } catch (err) {
      if (err instanceof PersistError) throw new UsageError(err.message);
      throw err;
    }
  }
  const learned = detection.saveBaseline();
  if (learned !== null && !quiet) console.error(`otwatch: ${learned}`);
  if (!quiet && values.json !== '-' && values.events !== '-') console.log(renderSummary(report));
  return 0;
}

async function cmdSimulate(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      out: { type: 'string', short: 'o' },
      scenario: { type: 'string', multiple: true },
      duration: { type: 'string', default: '10m' },
      size: { type: 'string' },
      seed: { type: 'string', default: '1' },
      truth: { type: 'string' },
      list: { type: 'boolean', default: false },
    },
  });
  const sim = await import('../sim/index.js');
  if (values.list) {
    for (const s of sim.listScenarios()) console.log(`${s.name.padEnd(24)} ${s.available ? '' : '(not yet available) '}${s.description}`);
    return 0;
  }
  if (!values.out) throw new UsageError('simulate needs --out FILE.pcap or FILE.pcapng');
  const seed = Number(values.seed);
  if (!Number.isInteger(seed)) throw new UsageError('--seed must be an integer');
  const result = await sim.simulate({
    out: values.out,
    scenarios: (values.scenario ?? []).flatMap((s) => s.split(',')).filter(Boolean),
    durationSec: parseDuration(values.duration!),
    sizeBytes: values.size ? parseSize(values.size) : undefined,
    seed,
    truthPath: values.truth,
    format: values.out.endsWith('.pcapng') ? 'pcapng' : 'pcap',
  });
  console.error(`otwatch: wrote ${values.out} (${result.frames} frames, ${result.bytes} bytes)${values.truth ? ` and ${values.truth}` : ''}`);
  return 0;
}

/** Scenarios the demo injects: a representative set of what otwatch detects. */
export const DEMO_SCENARIOS = ['plc-stop', 'program-download', 'modbus-write-storm', 'it-ot-bypass', 'scan', 'cleartext-credentials', 'directory-listing', 'cryptominer'];

async function cmdDemo(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { keep: { type: 'string' }, duration: { type: 'string', default: '2m' } } });
  const sim = await import('../sim/index.js');
  const dir = mkdtempSync(join(tmpdir(), 'otwatch-demo-'));
  const capture = values.keep ?? join(dir, 'demo-plant.pcap');
  const available = new Set(sim.listScenarios().filter((s) => s.available).map((s) => s.name));
  const scenarios = DEMO_SCENARIOS.filter((s) => available.has(s));
  try {
    console.error(`otwatch demo: generating the virtual plant (${scenarios.length ? 'incidents: ' + scenarios.join(', ') : 'baseline'}) ...`);
    await sim.simulate({ out: capture, scenarios, durationSec: parseDuration(values.duration!), seed: 7, format: 'pcap', truthPath: join(dir, 'truth.json') });
    return await cmdAnalyze([capture]);
  } finally {
    if (!values.keep) rmSync(dir, { recursive: true, force: true });
  }
}

export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new UsageError(`bad duration '${text}' (e.g. 90s, 10m, 1h)`);
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return unit === 'ms' ? n / 1000 : unit === 's' ? n : unit === 'm' ? n * 60 : n * 3600;
}

export function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)?$/i.exec(text.trim());
  if (!m) throw new UsageError(`bad size '${text}' (e.g. 500MB, 1GB)`);
  const n = Number(m[1]);
  const unit = (m[2] ?? 'B').toLowerCase();
  const mult: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4 };
  return Math.round(n * mult[unit]!);
}
