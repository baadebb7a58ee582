#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm run build` (run automatically by `npm install`).
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { RUNTIME_TUNED_ENV, singleCpuRelaunchArgs } from '../dist/cli/runtime.js';

const args = process.argv.slice(2);
// On a single CPU, `analyze` runs faster with V8 compiling on the main thread (src/cli/runtime.ts); those flags
// only take effect at start-up, so the launcher starts Node once more with them.
const relaunch = singleCpuRelaunchArgs(availableParallelism(), process.env, process.execArgv, fileURLToPath(import.meta.url), args);
if (relaunch !== null) {
  const child = spawn(process.execPath, relaunch, { stdio: 'inherit', env: { ...process.env, [RUNTIME_TUNED_ENV]: '1' } });
  // A terminal's Ctrl-C reaches both processes; a signal sent to this one alone is passed on.
  const forward = (signal) => { if (child.exitCode === null && child.signalCode === null) child.kill(signal); };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, forward);
  child.on('error', (err) => { console.error(`otwatch: cannot start node: ${err.message}`); process.exitCode = 1; });
  child.on('exit', (code, signal) => {
    if (signal !== null) {
      for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.removeListener(s, forward);
      process.kill(process.pid, signal);
    } else {
      process.exitCode = code ?? 1;
    }
  });
} else {
  const { main } = await import('../dist/cli/main.js');
  // `otwatch ... | head`: a closed stdout ends the program quietly, as Unix tools do.
  process.stdout.on('error', (err) => {
    if (err && err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  main(args).then(
    (code) => { process.exitCode = code; },
    (err) => { console.error(`otwatch: internal error: ${err && err.stack ? err.stack : err}`); process.exitCode = 1; },
  );
}
