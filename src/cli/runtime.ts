/**
 * V8 settings for a run confined to one CPU (taskset, a one-CPU container or VM, a cgroup quota of one core).
 *
 * V8 compiles hot functions with TurboFan on background threads and runs parts of the GC on helper threads.
 * With several cores that work runs beside the analysis; with one core it only takes turns with it, and the
 * analysis keeps running unoptimised code while compile jobs wait in the queue. Compiling on the main thread
 * (the function is optimised as soon as it is hot) with a single helper thread is 5-10 % faster on one core
 * (BENCHMARKS.md). The flags can only be given when Node starts, so `otwatch analyze` on files relaunches itself
 * with them when it finds a single usable CPU (os.availableParallelism() follows the CPU affinity).
 */
export const SINGLE_CPU_NODE_FLAGS: readonly string[] = ['--no-concurrent-recompilation', '--v8-pool-size=1'];

/** Set in the relaunched process (and by users who want no relaunch). */
export const RUNTIME_TUNED_ENV = 'OTWATCH_RUNTIME_TUNED';

/**
 * The node arguments to relaunch the CLI with, or null to run in this process: only `analyze` of files (a live
 * capture's stop signals must reach one process exactly once), only on a single CPU, only once, and never when
 * the user already chose V8 threading flags.
 */
export function singleCpuRelaunchArgs(
  cpus: number,
  env: NodeJS.ProcessEnv,
  execArgv: readonly string[],
  script: string,
  args: readonly string[],
): string[] | null {
  if (cpus !== 1 || env[RUNTIME_TUNED_ENV] !== undefined) return null;
  if (args[0] !== 'analyze' || args.some((a) => a === '-i' || a.startsWith('--interface') || /^-i./.test(a))) return null;
  if (execArgv.some((a) => /^--(no-)?concurrent-recompilation|^--v8-pool-size|^--single-threaded/.test(a))) return null;
  return [...SINGLE_CPU_NODE_FLAGS, ...execArgv, script, ...args];
}
