import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyzeCaptures } from '../engine/analyze.js';
import {
  CAPTURE_TOOL_ENV,
  LiveCapture,
  captureToolArgs,
  describeToolFailure,
  liveOptionsFromArgs,
  resolveCaptureTool,
  type LiveCaptureOptions,
} from './live.js';
import { readBytes, recordEnds, scratchPath } from './test-support/builders.js';
import { CaptureInputError, LinkType, type PacketRecord } from './types.js';
import { PcapngWriter } from './writer.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const FAKE_TOOL = join(here, 'test-support', 'fake-capture-tool.mjs');
const MODBUS = join(here, 'fixtures', 'modbus.pcap'); // 99 packets

/** A pcapng "from dumpcap": the modbus packets on interface eth9, and separately its closing statistics block. */
async function dumpcapLike(dropped: number): Promise<{ capture: string; trailer: string }> {
  const { records: packets } = await readBytes(readFileSync(MODBUS));
  const capture = scratchPath(`dumpcap-like-${dropped}.pcapng`);
  const trailer = `${capture}.isb`;
  if (existsSync(trailer)) return { capture, trailer };
  const writer = new PcapngWriter(capture);
  const id = writer.addInterface({ linkType: LinkType.ETHERNET, name: 'eth9', snapLen: 262144 });
  for (const p of packets) writer.write(id, p.tsSec, p.tsNsec, p.data, p.origLen);
  writer.writeStatistics(id, { received: packets.length + dropped, dropped, osDropped: 0 });
  writer.close();
  const bytes = readFileSync(capture);
  const { ends } = recordEnds(bytes);
  const statisticsStart = ends[ends.length - 2]!;
  writeFileSync(trailer, bytes.subarray(statisticsStart));
  writeFileSync(capture, bytes.subarray(0, statisticsStart));
  return { capture, trailer };
}

function fakeCapture(fake: Record<string, string>, opts: Partial<LiveCaptureOptions> = {}): LiveCapture {
  return new LiveCapture({
    interfaces: ['eth9'],
    tool: { kind: 'dumpcap', command: process.execPath, prefixArgs: [FAKE_TOOL] },
    env: { ...process.env, ...fake },
    signals: null,
    ...opts,
  });
}

/** Resolves once `count` packets went through `onPacket` of a capture read directly. */
function countingReader(): { onPacket: (r: PacketRecord) => void; seen: () => number; reached: (n: number) => Promise<void> } {
  let seen = 0;
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  return {
    onPacket: () => {
      seen++;
      for (const w of waiters) if (seen >= w.n) w.resolve();
    },
    seen: () => seen,
    reached: (n) => new Promise((resolve) => (seen >= n ? resolve() : waiters.push({ n, resolve }))),
  };
}

describe('capture tool arguments', () => {
  test('dumpcap: every interface with the filter, autostop conditions, pcapng to stdout, quiet', () => {
    assert.deepEqual(
      captureToolArgs('dumpcap', { interfaces: ['eth0', 'eth1'], filter: 'not port 22', durationSec: 2.5, maxPackets: 10 }),
      ['-i', 'eth0', '-f', 'not port 22', '-i', 'eth1', '-f', 'not port 22', '-a', 'duration:3', '-c', '10', '-w', '-', '-q'],
    );
    assert.deepEqual(captureToolArgs('dumpcap', { interfaces: ['lo'] }), ['-i', 'lo', '-w', '-', '-q']);
  });

  test('tcpdump: packet-buffered, no name resolution, filter as the expression; one interface only', () => {
    assert.deepEqual(captureToolArgs('tcpdump', { interfaces: ['eth0'], filter: 'udp', maxPackets: 3 }), [
      '-i', 'eth0', '-w', '-', '-U', '-n', '-c', '3', '--', 'udp',
    ]);
    // A filter that looks like an option stays the filter expression.
    assert.deepEqual(captureToolArgs('tcpdump', { interfaces: ['eth0'], filter: '-r /etc/passwd' }).slice(-2), ['--', '-r /etc/passwd']);
    assert.throws(() => captureToolArgs('tcpdump', { interfaces: ['eth0', 'eth1'] }), (e: unknown) => e instanceof CaptureInputError && /dumpcap/.test(e.message));
  });
});

describe('capture tool lookup', () => {
  const fsWith = (paths: string[]) => (p: string): boolean => paths.includes(p);

  test(`${CAPTURE_TOOL_ENV} selects the program; its name says which options it speaks`, () => {
    assert.deepEqual(resolveCaptureTool({ [CAPTURE_TOOL_ENV]: '/opt/x/tcpdump' }, fsWith(['/opt/x/tcpdump'])), { kind: 'tcpdump', command: '/opt/x/tcpdump' });
    assert.deepEqual(resolveCaptureTool({ [CAPTURE_TOOL_ENV]: '/opt/fake' }, fsWith(['/opt/fake'])), { kind: 'dumpcap', command: '/opt/fake' });
    assert.throws(() => resolveCaptureTool({ [CAPTURE_TOOL_ENV]: '/nope' }, fsWith([])), /not an executable/);
  });

  test('dumpcap is preferred over tcpdump wherever they are; sbin directories are searched beyond PATH', () => {
    assert.deepEqual(resolveCaptureTool({ PATH: '/a:/b' }, fsWith(['/a/tcpdump', '/b/dumpcap'])), { kind: 'dumpcap', command: '/b/dumpcap' });
    assert.deepEqual(resolveCaptureTool({ PATH: '/a' }, fsWith(['/usr/sbin/tcpdump'])), { kind: 'tcpdump', command: '/usr/sbin/tcpdump' });
  });

  test('neither installed: one line saying what to install', () => {
    assert.throws(
      () => resolveCaptureTool({ PATH: '/a' }, fsWith([])),
      (e: unknown) => e instanceof CaptureInputError && /install/.test(e.message) && /dumpcap/.test(e.message) && !e.message.includes('\n'),
    );
  });
});

describe('analyze arguments', () => {
  const parseDuration = (t: string): number => {
    const m = /^(\d+)(s|m)?$/.exec(t);
    if (!m) throw new CaptureInputError(`bad duration ${t}`);
    return Number(m[1]) * (m[2] === 'm' ? 60 : 1);
  };

  test('no --interface: not live; live-only options are refused', () => {
    assert.equal(liveOptionsFromArgs({ positionals: ['a.pcap'] }, parseDuration), null);
    for (const extra of [{ filter: 'udp' }, { duration: '5' }, { packets: '5' }]) {
      assert.throws(() => liveOptionsFromArgs({ positionals: ['a.pcap'], ...extra }, parseDuration), /needs --interface/);
    }
  });

  test('interfaces, filter, duration and packets become capture options', () => {
    assert.deepEqual(liveOptionsFromArgs({ interface: ['eth0', 'eth1'], filter: 'udp', duration: '2m', packets: '100', positionals: [] }, parseDuration), {
      interfaces: ['eth0', 'eth1'], filter: 'udp', durationSec: 120, maxPackets: 100,
    });
  });

  test('bad usage is a CaptureInputError (one line, exit 2)', () => {
    const bad: Array<[Parameters<typeof liveOptionsFromArgs>[0], RegExp]> = [
      [{ interface: ['eth0'], positionals: ['a.pcap'] }, /not both/],
      [{ interface: ['eth0', 'eth0'], positionals: [] }, /twice/],
      [{ interface: [''], positionals: [] }, /bad interface/],
      [{ interface: ['-w'], positionals: [] }, /bad interface/],
      [{ interface: ['eth0'], filter: ' ', positionals: [] }, /--filter is empty/],
      [{ interface: ['eth0'], packets: '0', positionals: [] }, /--packets/],
      [{ interface: ['eth0'], packets: '1.5', positionals: [] }, /--packets/],
      [{ interface: ['eth0'], duration: '0', positionals: [] }, /--duration/],
    ];
    for (const [args, message] of bad) assert.throws(() => liveOptionsFromArgs(args, parseDuration), (e: unknown) => e instanceof CaptureInputError && message.test(e.message));
  });
});

describe('capture tool errors', () => {
  test('dumpcap: the error line and its explanation, without the progress chatter', () => {
    const stderr = 'Running as user "root" and group "root". This could be dangerous.\nCapturing on \'nosuchif\'\ndumpcap: There is no device named "nosuchif".\n(No such device exists)\n';
    assert.equal(describeToolFailure('dumpcap', stderr, 1, null), 'dumpcap: There is no device named "nosuchif". (No such device exists)');
  });

  test('permission problems get a hint on capture rights', () => {
    const message = describeToolFailure('tcpdump', "tcpdump: eth0: You don't have permission to capture on that device\n(socket: Operation not permitted)\n", 1, null);
    assert.match(message, /^tcpdump: eth0: You don't have permission .* \(socket: Operation not permitted\) \(capturing needs root/);
  });

  test('nothing on stderr: the exit status', () => {
    assert.equal(describeToolFailure('dumpcap', 'Capturing on \'lo\'\n', 3, null), 'dumpcap exited with code 3');
    assert.equal(describeToolFailure('tcpdump', '', null, 'SIGSEGV'), 'tcpdump was killed by SIGSEGV');
  });
});

describe('live capture through a fake tool', () => {
  test('the tool\'s capture is analysed like a file, under the name live:IFACE', async () => {
    const argvFile = scratchPath('argv.json');
    const live = fakeCapture({ FAKE_CAPTURE_OUTPUT: MODBUS, FAKE_CAPTURE_ARGV: argvFile }, { filter: 'tcp port 502' });
    const files = new Set<string>();
    const { report } = await analyzeCaptures([live], { onEvent: (_e, file) => files.add(file) });
    assert.deepEqual(JSON.parse(readFileSync(argvFile, 'utf8')), ['-i', 'eth9', '-f', 'tcp port 502', '-w', '-', '-q']);
    assert.equal(report.captures.length, 1);
    assert.equal(report.captures[0]!.file, 'live:eth9');
    assert.equal(report.captures[0]!.packets, 99);
    assert.deepEqual(report.captures[0]!.warnings, []);
    assert.ok(report.communications.some((c) => c.protocol === 'modbus' && c.port === 502));
    assert.deepEqual([...files], ['live:eth9']);
    assert.equal(live.stopReason, null);
  });

  test('first SIGINT stops the tool; the rest of its output (statistics) is read and drops become a warning', async () => {
    const out = await dumpcapLike(7);
    const signalLog = scratchPath('signals-1.txt');
    const signals = new EventEmitter();
    const requested: string[] = [];
    const live = fakeCapture(
      { FAKE_CAPTURE_OUTPUT: out.capture, FAKE_CAPTURE_TRAILER: out.trailer, FAKE_CAPTURE_THEN: 'wait', FAKE_CAPTURE_SIGNALS: signalLog },
      { signals, onStopRequested: (r) => requested.push(r) },
    );
    const counter = countingReader();
    const reading = live.read(counter.onPacket);
    await counter.reached(99);
    assert.equal(signals.listenerCount('SIGINT'), 1);
    signals.emit('SIGINT', 'SIGINT');
    const summary = await reading;
    assert.deepEqual(requested, ['SIGINT']);
    assert.equal(readFileSync(signalLog, 'utf8'), 'SIGTERM\n');
    assert.equal(summary.packets, 99);
    assert.equal(summary.format, 'pcapng');
    assert.deepEqual(summary.interfaces[0]!.stats, { received: 106, dropped: 7, osDropped: 0 });
    assert.equal(summary.warnings.length, 1);
    assert.match(summary.warnings[0]!, /^eth9: 7 packets dropped before analysis \(of 106 received\)/);
    assert.equal(signals.listenerCount('SIGINT') + signals.listenerCount('SIGTERM'), 0, 'handlers removed');
  });

  test('a second signal aborts: the tool is killed and the read fails', async () => {
    const out = await dumpcapLike(0);
    const signals = new EventEmitter();
    const aborts: string[] = [];
    const live = fakeCapture(
      { FAKE_CAPTURE_OUTPUT: out.capture, FAKE_CAPTURE_THEN: 'ignore-signals' },
      { signals, onAbort: (s) => aborts.push(s), stopTimeoutMs: 60_000 },
    );
    const counter = countingReader();
    const reading = live.read(counter.onPacket);
    await counter.reached(99);
    signals.emit('SIGTERM', 'SIGTERM');
    signals.emit('SIGINT', 'SIGINT');
    await assert.rejects(reading, (e: unknown) => e instanceof CaptureInputError && /aborted by SIGINT/.test(e.message));
    assert.deepEqual(aborts, ['SIGINT']);
  });

  test('--duration stops the capture', async () => {
    const out = await dumpcapLike(0);
    // Long enough for the fake tool (a node process) to start and write under a loaded test run.
    const live = fakeCapture({ FAKE_CAPTURE_OUTPUT: out.capture, FAKE_CAPTURE_THEN: 'wait' }, { durationSec: 1 });
    const started = Date.now();
    const summary = await live.read(() => {});
    assert.equal(live.stopReason, 'duration');
    assert.equal(summary.packets, 99);
    assert.ok(Date.now() - started < 4000);
  });

  test('--packets stops after N packets even if the tool goes on', async () => {
    const out = await dumpcapLike(0);
    const signalLog = scratchPath('signals-2.txt');
    const live = fakeCapture({ FAKE_CAPTURE_OUTPUT: out.capture, FAKE_CAPTURE_THEN: 'wait', FAKE_CAPTURE_SIGNALS: signalLog }, { maxPackets: 5 });
    assert.deepEqual(live.command.args.slice(-5), ['-c', '5', '-w', '-', '-q']);
    const summary = await live.read(() => {});
    assert.equal(summary.packets, 5);
    assert.equal(live.stopReason, 'packets');
    assert.deepEqual(summary.warnings, []);
  });

  test('a tool that ignores the stop request is killed after the grace period, with a warning', async () => {
    const out = await dumpcapLike(0);
    const live = fakeCapture({ FAKE_CAPTURE_OUTPUT: out.capture, FAKE_CAPTURE_THEN: 'ignore-signals' }, { stopTimeoutMs: 200 });
    const counter = countingReader();
    const reading = live.read(counter.onPacket);
    await counter.reached(99);
    live.stop();
    const summary = await reading;
    assert.equal(live.stopReason, 'stop');
    assert.equal(summary.packets, 99);
    assert.match(summary.warnings.join('\n'), /did not exit within 200 ms and was killed/);
  });

  test('the tool fails before capturing: one-line CaptureInputError from its stderr', async () => {
    const live = fakeCapture({
      FAKE_CAPTURE_STDERR: "Capturing on 'eth9'\ndumpcap: There is no device named \"eth9\".\n(No such device exists)\n",
      FAKE_CAPTURE_EXIT: '1',
    });
    await assert.rejects(live.read(() => {}), (e: unknown) =>
      e instanceof CaptureInputError && e.message === 'live:eth9: dumpcap: There is no device named "eth9". (No such device exists)');
  });

  test('the tool fails after packets: what was captured is analysed, the failure is a warning', async () => {
    const live = fakeCapture({
      FAKE_CAPTURE_OUTPUT: MODBUS,
      FAKE_CAPTURE_STDERR: 'dumpcap: The network adapter on which the capture was being done is no longer running; the capture has stopped.\n',
      FAKE_CAPTURE_EXIT: '2',
    });
    const summary = await live.read(() => {});
    assert.equal(summary.packets, 99);
    assert.deepEqual(summary.warnings, [
      'capture ended early after 99 packets: dumpcap: The network adapter on which the capture was being done is no longer running; the capture has stopped.',
    ]);
  });

  test('a tool that writes nothing and exits 0, or that cannot be started', async () => {
    await assert.rejects(fakeCapture({}).read(() => {}), /live:eth9: dumpcap stopped before writing any capture data/);
    const missing = new LiveCapture({ interfaces: ['eth9'], tool: { kind: 'dumpcap', command: '/nonexistent/dumpcap' }, signals: null });
    await assert.rejects(missing.read(() => {}), (e: unknown) => e instanceof CaptureInputError && /not found; live capture needs/.test(e.message));
  });

  test('store identity: interfaces + start time, never a content hash; distinct per run', async () => {
    const a = fakeCapture({ FAKE_CAPTURE_OUTPUT: MODBUS });
    assert.throws(() => a.identity());
    await a.read(() => {});
    await new Promise((r) => setTimeout(r, 5));
    const b = fakeCapture({ FAKE_CAPTURE_OUTPUT: MODBUS });
    await b.read(() => {});
    const ia = a.identity();
    assert.equal(ia.file, 'live:eth9');
    assert.match(ia.sha256, /^[0-9a-f]{64}$/);
    assert.equal(ia.size, readFileSync(MODBUS).length);
    assert.notEqual(ia.sha256, b.identity().sha256);
    assert.deepEqual(a.identity(), ia, 'stable');
  });
});

test('fixture present', () => assert.ok(existsSync(MODBUS) && existsSync(FAKE_TOOL)));
