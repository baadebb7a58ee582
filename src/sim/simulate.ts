/**
 * `otwatch simulate`: a deterministic capture of a virtual plant plus its ground truth.
 */
import { writeFileSync } from 'node:fs';
import { Plant } from './plant.js';
import { Rng } from './rng.js';
import { GROUP_BASELINE, GROUP_INCIDENT, Scheduler } from './scheduler.js';
import { DEFAULT_REPLAY_TUNING, PeriodRecorder, replayPeriod, type ReplayOutcome, type ReplayTuning } from './replay.js';
import { SimCaptureWriter, type SimCaptureFormat } from './pcap-out.js';
import { spawnBaseline } from './baseline.js';
import type { SimContext } from './context.js';
import { SCENARIOS, type IncidentTruth } from './scenarios/index.js';
import { buildTruth, type SimTruth } from './truth.js';

export interface SimulateOptions {
  out: string;
  /** scenario names; `baseline` is always included */
  scenarios: string[];
  durationSec: number;
  /** when set, keep generating cycles until the file reaches this size (duration is then ignored) */
  sizeBytes?: number;
  seed: number;
  truthPath?: string;
  format?: SimCaptureFormat;
}

export interface SimulateResult {
  out: string;
  format: SimCaptureFormat;
  frames: number;
  bytes: number;
  /** simulated time span, ISO 8601 */
  start: string;
  end: string;
  incidents: IncidentTruth[];
  truth: SimTruth;
}

/** Simulated clock origin: fixed so that the same seed gives the same bytes. */
export const SIM_START = Date.UTC(2026, 2, 2, 6, 0, 0) * 1000;

export interface ScenarioListing {
  name: string;
  description: string;
  available: boolean;
}

export function listScenarios(): ScenarioListing[] {
  return [
    { name: 'baseline', description: 'The plant in normal operation (always included).', available: true },
    ...SCENARIOS.map((s) => ({ name: s.name, description: s.description, available: s.inject !== undefined })),
  ];
}

export class SimulateError extends Error {}

export async function simulate(opts: SimulateOptions): Promise<SimulateResult> {
  return (await runSimulation(opts, DEFAULT_REPLAY_TUNING)).result;
}

/** How a size-driven capture was produced (for tests and benchmarks). */
export interface SimulationRun {
  result: SimulateResult;
  /** undefined for duration-driven runs */
  replay?: { outcome: ReplayOutcome; periodStartUs: number; periodUs: number; periodFrames: number; copies: number; orphanFrames: number };
}

/**
 * simulate() with the replay tuning exposed. Size-driven runs generate a live prologue (start-up and every
 * incident), record one plant period, and replay it until the size is reached (src/sim/replay.ts).
 */
export async function runSimulation(opts: SimulateOptions, tuning: ReplayTuning): Promise<SimulationRun> {
  const format: SimCaptureFormat = opts.format ?? (opts.out.endsWith('.pcapng') ? 'pcapng' : 'pcap');
  const wanted = [...new Set(opts.scenarios.filter((s) => s !== 'baseline'))];
  const chosen = wanted.map((name) => {
    const s = SCENARIOS.find((x) => x.name === name);
    if (s === undefined) {
      throw new SimulateError(`unknown scenario "${name}"; known: ${listScenarios().map((x) => x.name).join(', ')}`);
    }
    if (s.inject === undefined) throw new SimulateError(`scenario "${name}" is not available yet: ${s.description}`);
    return s;
  });
  if (!(opts.durationSec > 0) && opts.sizeBytes === undefined) throw new SimulateError('duration must be > 0');

  const plant = new Plant();
  const rng = new Rng(opts.seed);
  const endUs = opts.sizeBytes !== undefined ? Number.POSITIVE_INFINITY : SIM_START + Math.round(opts.durationSec * 1e6);
  const sched = new Scheduler(SIM_START, endUs);
  const ctx: SimContext = { plant, sched, rng, startUs: SIM_START };
  // Incidents are placed within the first `window` seconds so that they exist in size-driven runs too.
  const windowSec = opts.sizeBytes !== undefined ? Math.max(opts.durationSec, 60) : opts.durationSec;
  spawnBaseline(ctx);
  const incidents: IncidentTruth[] = [];
  sched.spawnGroup = GROUP_INCIDENT;
  chosen.forEach((s, i) => {
    const at = SIM_START + Math.round(windowSec * 1e6 * (0.2 + (0.6 * (i + 0.5)) / chosen.length));
    incidents.push(...s.inject!(ctx, at, rng.fork(i + 1000)));
  });
  sched.spawnGroup = GROUP_BASELINE;

  const writer = new SimCaptureWriter(opts.out, format);
  let lastTs: number;
  let replay: SimulationRun['replay'];
  try {
    if (opts.sizeBytes === undefined) {
      sched.run(writer);
      lastTs = sched.lastTs;
    } else {
      const recorder = new PeriodRecorder(writer, sched, plant, format, opts.seed, tuning,
        SIM_START + Math.round(windowSec * 1e6), opts.sizeBytes);
      sched.run(recorder, opts.sizeBytes, recorder.gate);
      lastTs = sched.lastTs;
      const p = recorder.period;
      replay = { outcome: recorder.outcome, periodStartUs: 0, periodUs: 0, periodFrames: 0, copies: 0, orphanFrames: 0 };
      if (p !== null) {
        // The live run stopped at the period's end; its processes are abandoned there.
        const r = replayPeriod(p, writer, opts.sizeBytes);
        lastTs = r.lastTs;
        replay = { outcome: recorder.outcome, periodStartUs: p.startUs, periodUs: p.periodUs, periodFrames: p.frames,
          copies: r.copies, orphanFrames: p.orphanFrames };
      }
    }
  } finally {
    writer.close();
  }
  const truth = buildTruth(opts.seed, plant, sched.firstTs < 0 ? SIM_START : sched.firstTs, lastTs, incidents);
  if (opts.truthPath !== undefined) writeFileSync(opts.truthPath, JSON.stringify(truth, null, 2) + '\n');
  const result: SimulateResult = {
    out: opts.out, format, frames: writer.frames, bytes: writer.bytesWritten, start: truth.start, end: truth.end,
    incidents, truth,
  };
  return { result, replay };
}
