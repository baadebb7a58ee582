/**
 * Live capture from network interfaces (the permanent sensor on a SPAN/mirror port).
 *
 * otwatch does not open interfaces itself: it runs Wireshark's `dumpcap` (preferred; it captures several
 * interfaces into one pcapng) or `tcpdump` with `-w -` and reads the capture from the tool's stdout through the
 * ordinary streaming reader, so a live capture is analysed exactly like a file. Both tools only listen: they
 * open the interface (promiscuous, as a SPAN port needs) and never transmit, and otwatch asks for no name
 * resolution. Privileges stay with the capture tool (setcap / wireshark group), not with otwatch.
 *
 * Stopping: `stop()`, the first SIGINT/SIGTERM, --duration, or --packets ask the tool to stop (SIGTERM); it
 * flushes and exits, the reader sees the end of the stream and the analysis finishes normally. A second
 * signal aborts at once. A tool that does not exit within `stopTimeoutMs` of the request is killed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants as fsConstants } from 'node:fs';
import { basename, delimiter, join } from 'node:path';
import { readCaptureStream, type ReaderOptions } from './reader.js';
import { CaptureInputError, type CaptureSummary, type PacketCallback } from './types.js';

export type CaptureToolKind = 'dumpcap' | 'tcpdump';

/** The program that captures: `command` is run with `prefixArgs` before the capture arguments (tests). */
export interface CaptureTool {
  kind: CaptureToolKind;
  command: string;
  prefixArgs?: string[];
}

/** Selects the capture program instead of searching for dumpcap/tcpdump (tests; unusual installs). */
export const CAPTURE_TOOL_ENV = 'OTWATCH_CAPTURE_TOOL';

/** Where the tools live besides $PATH: sbin directories are often missing from a user's PATH. */
const EXTRA_TOOL_DIRS = ['/usr/sbin', '/sbin', '/usr/local/sbin', '/usr/bin', '/usr/local/bin', '/Applications/Wireshark.app/Contents/MacOS'];

const INSTALL_HINT =
  'live capture needs Wireshark\'s dumpcap or tcpdump: install one (Debian/Ubuntu: apt install wireshark-common ' +
  'or tcpdump; Fedora/RHEL: dnf install wireshark-cli or tcpdump; macOS: the Wireshark app) or set ' +
  `${CAPTURE_TOOL_ENV} to its path`;

const PERMISSION_HINT =
  'capturing needs root or capture rights for the tool (e.g. the wireshark group, or ' +
  'setcap cap_net_raw,cap_net_admin=eip on dumpcap)';

export interface LiveCaptureOptions {
  interfaces: string[];
  /** BPF capture filter, compiled by the capture tool (applies to every interface). */
  filter?: string;
  /** Stop after this many seconds (> 0). */
  durationSec?: number;
  /** Stop after this many packets (over all interfaces). */
  maxPackets?: number;
  /** The capture program; default: $OTWATCH_CAPTURE_TOOL, else dumpcap, else tcpdump. */
  tool?: CaptureTool;
  /** Environment for the tool lookup and the child (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Source of SIGINT/SIGTERM (default process); tests pass an EventEmitter. null: no signal handling. */
  signals?: SignalSource | null;
  /** Called once when a stop is requested (reason: 'SIGINT', 'SIGTERM', 'duration', 'packets', 'stop'). */
  onStopRequested?: (reason: string) => void;
  /** Called on the second signal after the tool has been killed; default re-raises the signal (process dies). */
  onAbort?: (signal: NodeJS.Signals) => void;
  /** Grace period between asking the tool to stop and killing it. Default 5000 ms. */
  stopTimeoutMs?: number;
  /** Tool stderr kept for error messages (head and tail). Default 16 KiB each. */
  maxStderrBytes?: number;
}

export interface SignalSource {
  on(signal: 'SIGINT' | 'SIGTERM', listener: (signal: NodeJS.Signals) => void): unknown;
  off(signal: 'SIGINT' | 'SIGTERM', listener: (signal: NodeJS.Signals) => void): unknown;
}

/** What --db stores for a live capture: it has no file to hash, so interfaces + start time name it. */
export interface LiveCaptureIdentity {
  file: string;
  sha256: string;
  size: number;
}

const DEFAULT_STOP_TIMEOUT_MS = 5000;
const DEFAULT_MAX_STDERR_BYTES = 16 * 1024;
const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

function isExecutable(path: string): boolean {
  try {
    accessSync(path, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function kindOf(command: string): CaptureToolKind {
  return basename(command).toLowerCase().startsWith('tcpdump') ? 'tcpdump' : 'dumpcap';
}

/**
 * Finds the capture program: $OTWATCH_CAPTURE_TOOL (kind from its name: tcpdump* is tcpdump, anything else
 * speaks dumpcap's options), else dumpcap, else tcpdump on $PATH or in the usual sbin directories.
 */
export function resolveCaptureTool(env: NodeJS.ProcessEnv = process.env, executable: (path: string) => boolean = isExecutable): CaptureTool {
  const chosen = env[CAPTURE_TOOL_ENV];
  if (chosen !== undefined && chosen !== '') {
    if (!executable(chosen)) throw new CaptureInputError(`${CAPTURE_TOOL_ENV}=${chosen}: not an executable file`);
    return { kind: kindOf(chosen), command: chosen };
  }
  const dirs = [...(env.PATH ?? '').split(delimiter).filter(Boolean), ...EXTRA_TOOL_DIRS];
  for (const kind of ['dumpcap', 'tcpdump'] as const) {
    for (const dir of dirs) {
      const candidate = join(dir, kind);
      if (executable(candidate)) return { kind, command: candidate };
    }
  }
  throw new CaptureInputError(INSTALL_HINT);
}

/** The tool's arguments: write the capture to stdout, quietly, listening only. */
export function captureToolArgs(kind: CaptureToolKind, opts: Pick<LiveCaptureOptions, 'interfaces' | 'filter' | 'durationSec' | 'maxPackets'>): string[] {
  const args: string[] = [];
  if (kind === 'dumpcap') {
    // -f after each -i: dumpcap binds a filter to the interface given before it.
    for (const iface of opts.interfaces) {
      args.push('-i', iface);
      if (opts.filter !== undefined) args.push('-f', opts.filter);
    }
    if (opts.durationSec !== undefined) args.push('-a', `duration:${Math.max(1, Math.ceil(opts.durationSec))}`);
    if (opts.maxPackets !== undefined) args.push('-c', String(opts.maxPackets));
    args.push('-w', '-', '-q');
    return args;
  }
  if (opts.interfaces.length !== 1) {
    throw new CaptureInputError(
      `tcpdump captures one interface at a time; install dumpcap (Wireshark) to capture ${opts.interfaces.join(', ')} together`,
    );
  }
  // -U: write each packet as it arrives (tcpdump buffers -w output otherwise); -n: never resolve names.
  args.push('-i', opts.interfaces[0]!, '-w', '-', '-U', '-n');
  if (opts.maxPackets !== undefined) args.push('-c', String(opts.maxPackets));
  // `--` ends the options: a filter starting with '-' must not be read as one (glibc getopt permutes arguments).
  if (opts.filter !== undefined) args.push('--', opts.filter);
  return args;
}

/** Lines the tools print in normal operation; an error message is what is left. */
const NOISE_LINES = [
  /^Capturing on /,
  /^File: /,
  /^Packets captured: /,
  /^Packets received\/dropped /,
  /^Running as user .* This could be dangerous\.$/,
  /^tcpdump: listening on /,
  /^\d+ packets? (captured|received by filter|dropped by kernel|dropped by interface)$/,
  /^See the User's Guide/,
  /^Please check /,
];

/**
 * One line from the tool's stderr: its first meaningful line (without the "dumpcap: " prefix), followed by
 * the explanation the tools print on the next line in parentheses, or by a hint for permission errors.
 */
export function describeToolFailure(kind: CaptureToolKind, stderr: string, code: number | null, signal: NodeJS.Signals | null): string {
  const lines = stderr
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !NOISE_LINES.some((re) => re.test(l)));
  let message: string;
  if (lines.length === 0) {
    message = signal !== null ? `${kind} was killed by ${signal}` : `${kind} exited with code ${code}`;
  } else {
    message = lines[0]!.replace(/^(dumpcap|tcpdump): /, '');
    const next = lines[1];
    if (next !== undefined && (/^\(.*\)\.?$/.test(next) || /^That string isn't a valid capture filter/.test(next))) message += ` ${next}`;
    message = `${kind}: ${message}`;
  }
  message = message.replace(/\s+/g, ' ');
  if (/permission|not permitted|EPERM|EACCES/i.test(message)) message += ` (${PERMISSION_HINT})`;
  return message;
}

/** Bounded stderr keeper: the first and the last `max` bytes (errors come first, tcpdump's drop count last). */
class StderrKeeper {
  private head = '';
  private tail = '';
  private skippedBytes = 0;
  constructor(private readonly max: number) {}

  add(chunk: Buffer): void {
    const text = chunk.toString('utf8');
    if (this.head.length < this.max) {
      const room = this.max - this.head.length;
      this.head += text.slice(0, room);
      if (text.length <= room) return;
      this.tail += text.slice(room);
    } else {
      this.tail += text;
    }
    if (this.tail.length > this.max) {
      this.skippedBytes += this.tail.length - this.max;
      this.tail = this.tail.slice(this.tail.length - this.max);
    }
  }

  text(): string {
    return this.skippedBytes > 0 ? `${this.head}\n${this.tail}` : this.head + this.tail;
  }
}

interface ToolExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  spawnError: Error | null;
}

/** A live capture, read once. Hand it to analyzeCaptures() in place of a file name. */
export class LiveCapture {
  /** "live:eth0" (several: "live:eth0,eth1"): the capture's name in events, evidence and the report. */
  readonly name: string;
  /** Wall-clock time the capture tool was started (null before read()). */
  startedAt: Date | null = null;
  /** Why the capture stopped, once a stop was requested ('SIGINT', 'duration', 'packets', ...). */
  stopReason: string | null = null;
  private child: ChildProcess | null = null;
  private killedAfterGrace = false;
  private abortedBy: NodeJS.Signals | null = null;
  private summary: CaptureSummary | null = null;
  private readonly options: LiveCaptureOptions;
  private readonly tool: CaptureTool;
  private readonly args: string[];

  constructor(options: LiveCaptureOptions) {
    validateLiveOptions(options);
    this.options = options;
    this.name = `live:${options.interfaces.join(',')}`;
    this.tool = options.tool ?? resolveCaptureTool(options.env ?? process.env);
    this.args = captureToolArgs(this.tool.kind, options);
  }

  /** The program and arguments read() runs. */
  get command(): { kind: CaptureToolKind; command: string; args: string[] } {
    return { kind: this.tool.kind, command: this.tool.command, args: [...(this.tool.prefixArgs ?? []), ...this.args] };
  }

  /** Asks the tool to stop; the analysis of what was captured then finishes normally. */
  stop(reason = 'stop'): void {
    if (this.stopReason !== null) return;
    this.stopReason = reason;
    this.options.onStopRequested?.(reason);
    const child = this.child;
    if (child === null || !isRunning(child)) return;
    child.kill('SIGTERM');
    this.killAfterGrace(child);
  }

  private killAfterGrace(child: ChildProcess): void {
    const timer = setTimeout(() => {
      if (isRunning(child)) {
        this.killedAfterGrace = true;
        child.kill('SIGKILL');
      }
    }, this.options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS);
    timer.unref();
    child.once('close', () => clearTimeout(timer));
  }

  /**
   * The store identity (--db): SHA-256 over the interfaces and the start time, so each live run is its own
   * capture; size is the bytes the tool wrote.
   */
  identity(): LiveCaptureIdentity {
    if (this.startedAt === null) throw new Error(`${this.name}: identity() before read()`);
    const sha256 = createHash('sha256')
      .update(`otwatch live capture\0${this.options.interfaces.join('\0')}\0${this.startedAt.toISOString()}`)
      .digest('hex');
    return { file: this.name, sha256, size: this.summary?.fileBytesRead ?? 0 };
  }

  /** Runs the tool and streams its capture into `onPacket` until it stops; resolves with the summary. */
  async read(onPacket: PacketCallback, readOptions: ReaderOptions = {}): Promise<CaptureSummary> {
    if (this.startedAt !== null) throw new Error(`${this.name} has already been read`);
    const opts = this.options;
    const { command, args } = this.command;
    this.startedAt = new Date();
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: opts.env ?? process.env });
    this.child = child;
    const stderr = new StderrKeeper(opts.maxStderrBytes ?? DEFAULT_MAX_STDERR_BYTES);
    child.stderr!.on('data', (chunk: Buffer) => stderr.add(chunk));
    const exited = new Promise<ToolExit>((resolve) => {
      // 'error' also reports failed kills; only an error before the process exists ends the wait.
      child.on('error', (err) => {
        if (child.pid === undefined) resolve({ code: null, signal: null, spawnError: err });
      });
      child.once('close', (code, signal) => resolve({ code, signal, spawnError: null }));
    });
    // Never leave a capture running behind us, whatever happens to this process.
    const killOnExit = (): void => {
      if (isRunning(child)) child.kill('SIGKILL');
    };
    process.once('exit', killOnExit);

    const onSignal = (signal: NodeJS.Signals): void => {
      if (this.stopReason === null) {
        this.stop(signal);
        return;
      }
      // The second signal (or a signal after another stop request that is taking long): abort now.
      this.abortedBy = signal;
      killOnExit();
      removeSignalHandlers();
      (opts.onAbort ?? reraise)(signal);
    };
    const signals = opts.signals === undefined ? process : opts.signals;
    const removeSignalHandlers = (): void => {
      if (signals !== null) for (const s of STOP_SIGNALS) signals.off(s, onSignal);
    };
    if (signals !== null) for (const s of STOP_SIGNALS) signals.on(s, onSignal);
    const durationTimer =
      opts.durationSec !== undefined ? setTimeout(() => this.stop('duration'), opts.durationSec * 1000) : null;

    let summary: CaptureSummary | null = null;
    let readError: unknown = null;
    try {
      try {
        summary = await readCaptureStream(child.stdout!, this.name, onPacket, {
          ...readOptions,
          ...(opts.maxPackets !== undefined ? { maxPackets: opts.maxPackets } : {}),
        });
      } catch (err) {
        readError = err;
      }
      if (isRunning(child)) {
        if (summary !== null && opts.maxPackets !== undefined && summary.packets >= opts.maxPackets) this.stop('packets');
        else if (summary === null || summary.truncated) this.stop('unreadable-output');
        // Otherwise the tool closed its output and is exiting on its own; make sure it does.
        else this.killAfterGrace(child);
      }
      const exit = await exited;
      this.summary = summary;
      return this.conclude(summary, readError, exit, stderr.text());
    } finally {
      if (durationTimer !== null) clearTimeout(durationTimer);
      removeSignalHandlers();
      process.off('exit', killOnExit);
      killOnExit();
    }
  }

  private conclude(summary: CaptureSummary | null, readError: unknown, exit: ToolExit, stderr: string): CaptureSummary {
    const kind = this.tool.kind;
    if (exit.spawnError !== null) {
      const code = (exit.spawnError as NodeJS.ErrnoException).code;
      throw new CaptureInputError(
        code === 'ENOENT' ? `${this.tool.command}: not found; ${INSTALL_HINT}` : `cannot run ${this.tool.command}: ${exit.spawnError.message}`,
      );
    }
    if (this.abortedBy !== null) throw new CaptureInputError(`${this.name}: capture aborted by ${this.abortedBy}`);
    // A tool we asked to stop may die of our signal or of the pipe we closed: that is a normal end.
    const requested = this.stopReason !== null && this.stopReason !== 'unreadable-output';
    const failed =
      (exit.code !== null && exit.code !== 0 && !(requested && summary !== null)) ||
      (exit.signal !== null && !requested && !this.killedAfterGrace && !ENDING_SIGNALS.has(exit.signal));
    if (failed) {
      const message = describeToolFailure(kind, stderr, exit.code, exit.signal);
      if (summary === null || summary.packets === 0) throw new CaptureInputError(`${this.name}: ${message}`);
      summary.warnings.push(`capture ended early after ${summary.packets} packets: ${message}`);
    }
    if (summary === null) {
      if (readError instanceof CaptureInputError && /empty file/.test(readError.message)) {
        throw new CaptureInputError(`${this.name}: ${kind} stopped before writing any capture data`);
      }
      throw readError instanceof Error ? readError : new CaptureInputError(`${this.name}: ${String(readError)}`);
    }
    if (this.killedAfterGrace) {
      summary.warnings.push(`${kind} did not exit within ${this.options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS} ms and was killed`);
    }
    summary.warnings.push(...dropWarnings(summary, kind, stderr));
    return summary;
  }
}

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Signals that end a capture tool normally (the terminal's Ctrl-C reaches it too, a service manager's TERM). */
const ENDING_SIGNALS = new Set<NodeJS.Signals>(['SIGINT', 'SIGTERM', 'SIGHUP']);

function reraise(signal: NodeJS.Signals): void {
  process.kill(process.pid, signal);
}

/** Packets lost before otwatch saw them: dumpcap's interface statistics blocks, tcpdump's closing count. */
function dropWarnings(summary: CaptureSummary, kind: CaptureToolKind, stderr: string): string[] {
  const warnings: string[] = [];
  for (const iface of summary.interfaces) {
    const dropped = (iface.stats?.dropped ?? 0) + (iface.stats?.osDropped ?? 0);
    if (dropped > 0) {
      const received = iface.stats?.received;
      warnings.push(`${iface.name ?? `interface ${iface.id}`}: ${dropped} packets dropped before analysis` +
        (received !== undefined ? ` (of ${received} received)` : '') + ': the sensor could not keep up or its buffer was too small');
    }
  }
  if (kind === 'tcpdump') {
    const m = /^(\d+) packets? dropped by kernel$/m.exec(stderr);
    if (m !== null && Number(m[1]) > 0) warnings.push(`${m[1]} packets dropped by the kernel before analysis`);
  }
  return warnings;
}

/** Checks what the tools would otherwise reject with a less helpful message. */
export function validateLiveOptions(opts: LiveCaptureOptions): void {
  if (opts.interfaces.length === 0) throw new CaptureInputError('live capture needs at least one --interface');
  const seen = new Set<string>();
  for (const iface of opts.interfaces) {
    if (iface === '' || /[\s\0]/.test(iface) || iface.startsWith('-')) throw new CaptureInputError(`bad interface name ${JSON.stringify(iface)}`);
    if (seen.has(iface)) throw new CaptureInputError(`interface ${iface} is given twice`);
    seen.add(iface);
  }
  if (opts.filter !== undefined && opts.filter.trim() === '') throw new CaptureInputError('--filter is empty');
  if (opts.durationSec !== undefined && !(Number.isFinite(opts.durationSec) && opts.durationSec > 0)) {
    throw new CaptureInputError('--duration must be more than 0 seconds');
  }
  if (opts.maxPackets !== undefined && !(Number.isSafeInteger(opts.maxPackets) && opts.maxPackets > 0)) {
    throw new CaptureInputError('--packets must be a positive integer');
  }
}

/**
 * `analyze` arguments → live capture options (everything but the tool and the callbacks). Throws
 * CaptureInputError (a one-line exit-2 error) for bad usage.
 */
export function liveOptionsFromArgs(
  args: { interface?: string[]; filter?: string; duration?: string; packets?: string; positionals: string[] },
  parseDuration: (text: string) => number,
): LiveCaptureOptions | null {
  const interfaces = args.interface ?? [];
  if (interfaces.length === 0) {
    for (const [flag, value] of [['--filter', args.filter], ['--duration', args.duration], ['--packets', args.packets]] as const) {
      if (value !== undefined) throw new CaptureInputError(`${flag} needs --interface (live capture)`);
    }
    return null;
  }
  if (args.positionals.length > 0) {
    throw new CaptureInputError('give capture files or --interface, not both (analyse them in separate runs)');
  }
  const opts: LiveCaptureOptions = { interfaces };
  if (args.filter !== undefined) opts.filter = args.filter;
  if (args.duration !== undefined) opts.durationSec = parseDuration(args.duration);
  if (args.packets !== undefined) {
    if (!/^\d+$/.test(args.packets.trim())) throw new CaptureInputError('--packets must be a positive integer');
    opts.maxPackets = Number(args.packets);
  }
  validateLiveOptions(opts);
  return opts;
}
