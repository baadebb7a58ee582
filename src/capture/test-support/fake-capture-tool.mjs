#!/usr/bin/env node
// A stand-in for dumpcap/tcpdump in the live-capture tests (no privileges, no network). Driven by env:
//   FAKE_CAPTURE_ARGV=FILE      write the argument list (JSON) to FILE
//   FAKE_CAPTURE_STDERR=TEXT    write TEXT to stderr first (a tool's messages)
//   FAKE_CAPTURE_OUTPUT=FILE    copy FILE to stdout (the capture)
//   FAKE_CAPTURE_TRAILER=FILE   copy FILE to stdout when stopped by SIGINT/SIGTERM (e.g. statistics blocks)
//   FAKE_CAPTURE_THEN=exit|wait|ignore-signals
//                               exit after the output (default); wait until signalled; wait and ignore signals
//   FAKE_CAPTURE_EXIT=N         exit code (default 0)
//   FAKE_CAPTURE_SIGNALS=FILE   append each signal received to FILE
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';

const env = process.env;
if (env.FAKE_CAPTURE_ARGV) writeFileSync(env.FAKE_CAPTURE_ARGV, JSON.stringify(process.argv.slice(2)));
if (env.FAKE_CAPTURE_STDERR) process.stderr.write(env.FAKE_CAPTURE_STDERR);
const exitCode = Number(env.FAKE_CAPTURE_EXIT ?? '0');
const then = env.FAKE_CAPTURE_THEN ?? 'exit';

function write(file, done) {
  if (!file) return done();
  process.stdout.write(readFileSync(file), done);
}

function onSignal(signal) {
  if (env.FAKE_CAPTURE_SIGNALS) appendFileSync(env.FAKE_CAPTURE_SIGNALS, `${signal}\n`);
  if (then === 'ignore-signals') return;
  write(env.FAKE_CAPTURE_TRAILER, () => process.exit(exitCode));
}
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
// A closed reader is the tool's cue to stop, as for the real tools (EPIPE).
process.stdout.on('error', () => process.exit(exitCode === 0 ? 1 : exitCode));

write(env.FAKE_CAPTURE_OUTPUT, () => {
  if (then === 'exit') process.exit(exitCode);
  setInterval(() => {}, 1 << 30);
});
