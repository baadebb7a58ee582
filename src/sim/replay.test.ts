import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSimulation, SIM_START, type SimulationRun } from './simulate.js';
import { DEFAULT_REPLAY_TUNING, type ReplayTuning } from './replay.js';

const dir = mkdtempSync(join(tmpdir(), 'otwatch-replay-'));
const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
const hasTshark = existsSync('/usr/bin/tshark');
/** A short period so that a few MB hold many period seams. */
const SHORT: ReplayTuning = { ...DEFAULT_REPLAY_TUNING, minPeriodUs: 20_000_000, searchUs: 60_000_000 };
const SIZE = 3_000_000;

async function sized(name: string, seed: number, tuning = SHORT, size = SIZE, scenarios: string[] = []): Promise<[string, SimulationRun]> {
  const out = join(dir, name);
  return [out, await runSimulation({ out, scenarios, durationSec: 0, sizeBytes: size, seed }, tuning)];
}

/** Captures shared by several tests (generated once). */
const shared = new Map<string, Promise<[string, SimulationRun]>>();
function sharedCapture(name: string, seed: number): Promise<[string, SimulationRun]> {
  let p = shared.get(name);
  if (p === undefined) shared.set(name, (p = sized(name, seed)));
  return p;
}

interface Frame { ts: number; b: Buffer }

function readPcap(path: string): Frame[] {
  const f = readFileSync(path);
  assert.equal(f.readUInt32LE(0), 0xa1b2c3d4);
  const out: Frame[] = [];
  for (let o = 24; o < f.length;) {
    const len = f.readUInt32LE(o + 8);
    out.push({ ts: f.readUInt32LE(o) * 1e6 + f.readUInt32LE(o + 4), b: f.subarray(o + 16, o + 16 + len) });
    o += 16 + len;
  }
  return out;
}

function onesSum(b: Buffer, start: number, end: number, sum = 0): number {
  for (let i = start; i < end; i += 2) sum += (b[i]! << 8) | (i + 1 < end ? b[i + 1]! : 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

interface Parsed { l3: number; l4: number; proto: number; src: number; dst: number; sport: number; dport: number; payload: number; end: number }

function parse(b: Buffer): Parsed | null {
  let l3 = 14;
  let et = b.readUInt16BE(12);
  if (et === 0x8100) { et = b.readUInt16BE(16); l3 = 18; }
  if (et !== 0x0800) return null;
  const ihl = (b[l3]! & 15) * 4;
  const end = l3 + b.readUInt16BE(l3 + 2);
  const proto = b[l3 + 9]!;
  const l4 = l3 + ihl;
  const payload = proto === 6 ? l4 + (b[l4 + 12]! >> 4) * 4 : proto === 17 ? l4 + 8 : l4;
  return { l3, l4, proto, src: b.readUInt32BE(l3 + 12), dst: b.readUInt32BE(l3 + 16), sport: b.readUInt16BE(l4), dport: b.readUInt16BE(l4 + 2), payload, end };
}

/**
 * Independent validation of a capture: checksums, time order, and per TCP connection exact sequence
 * continuity, acknowledgements of sent data only, handshake before data, a close for every session, and no
 * reuse of a 4-tuple.
 */
function validate(frames: Frame[]): { sessions: number; ports: Map<number, number> } {
  const conns = new Map<string, { next: [number, number]; client: string; closed: boolean; fin: number }>();
  const used = new Set<string>();
  const ports = new Map<number, number>();
  let last = 0;
  frames.forEach(({ ts, b }, n) => {
    assert.ok(ts >= last, `frame ${n + 1}: time goes back`);
    last = ts;
    const p = parse(b);
    if (p === null) return;
    assert.equal(onesSum(b, p.l3, p.l4), 0xffff, `frame ${n + 1}: IPv4 checksum`);
    if (p.proto !== 6 && p.proto !== 17) return;
    const l4Len = p.end - p.l4;
    const pseudo = (p.src >>> 16) + (p.src & 0xffff) + (p.dst >>> 16) + (p.dst & 0xffff) + p.proto + l4Len;
    assert.equal(onesSum(b, p.l4, p.end, pseudo), 0xffff, `frame ${n + 1}: L4 checksum`);
    const server = Math.min(p.sport, p.dport);
    ports.set(server, (ports.get(server) ?? 0) + 1);
    if (p.proto !== 6) return;
    const flags = b[p.l4 + 13]!;
    const seq = b.readUInt32BE(p.l4 + 4);
    const ack = b.readUInt32BE(p.l4 + 8);
    const me = `${p.src}:${p.sport}`;
    const key = [me, `${p.dst}:${p.dport}`].sort().join('-');
    const len = p.end - p.payload + (flags & 3 ? 1 : 0);
    let c = conns.get(key);
    if ((flags & 0x12) === 0x02) {
      assert.ok(!used.has(key), `frame ${n + 1}: 4-tuple ${key} reused`);
      used.add(key);
      c = { next: [(seq + 1) >>> 0, -1], client: me, closed: false, fin: 0 };
      conns.set(key, c);
      return;
    }
    assert.ok(c !== undefined && !c.closed, `frame ${n + 1}: segment outside a session (${key})`);
    const d = me === c.client ? 0 : 1;
    if (c.next[d] === -1) c.next[d] = seq; // the SYN/ACK
    assert.equal(seq, c.next[d], `frame ${n + 1}: sequence continues (${key})`);
    if (flags & 0x10 && c.next[1 - d] !== -1) assert.equal(ack, c.next[1 - d], `frame ${n + 1}: acknowledges what was sent (${key})`);
    c.next[d] = (seq + len) >>> 0;
    if (flags & 0x04) c.closed = true;
    if (flags & 0x01) c.fin |= 1 << d;
    if (c.fin === 3 && !(flags & 0x01)) c.closed = true;
  });
  for (const [key, c] of conns) assert.ok(c.closed, `session ${key} closed at the end`);
  return { sessions: conns.size, ports };
}

test('--size replays one plant period: several copies, valid checksums, continuous TCP, every session closed', async () => {
  const [out, run] = await sharedCapture('r.pcap', 11);
  assert.equal(run.replay?.outcome, 'replayed');
  assert.ok(run.replay.copies >= 4, `copies ${run.replay.copies}`);
  assert.equal(run.replay.orphanFrames, 0);
  assert.ok(run.result.bytes >= SIZE && run.result.bytes < SIZE + 200_000, String(run.result.bytes));
  assert.equal(statSync(out).size, run.result.bytes);
  const frames = readPcap(out);
  assert.equal(frames.length, run.result.frames);
  const { sessions, ports } = validate(frames);
  assert.ok(sessions > 50, `sessions ${sessions}`);
  // the plant's protocol mix: Modbus the busiest, and every cyclic OT and IT protocol present
  const top = [...ports].sort((a, b) => b[1] - a[1])[0]![0];
  assert.equal(top, 502);
  for (const port of [102, 44818, 20000, 2404, 47808, 4840, 53, 123, 443, 80]) assert.ok(ports.has(port), `port ${port}`);
  // truth spans the whole capture, and the copies continue the simulated clock
  assert.equal(Date.parse(run.result.end) * 1000 >= run.replay.periodStartUs + run.replay.copies * run.replay.periodUs, true);
  assert.ok(frames[frames.length - 1]!.ts - SIM_START > (run.replay.copies * run.replay.periodUs) / 2);
});

test('replayed copies continue IEC 104 N(S), DNP3 transport sequences and client port allocation', async () => {
  const [out, run] = await sharedCapture('r.pcap', 11);
  assert.equal(run.replay?.outcome, 'replayed');
  const frames = readPcap(out);
  const iecNext = new Map<string, number>();
  const dnpNext = new Map<string, number>();
  let iec = 0;
  let dnp = 0;
  const synPorts = new Map<number, Set<number>>();
  for (const { b } of frames) {
    const p = parse(b);
    if (p === null || p.proto !== 6 || p.payload >= p.end) {
      if (p !== null && p.proto === 6 && (b[p.l4 + 13]! & 0x12) === 0x02) {
        const s = synPorts.get(p.src) ?? new Set<number>();
        assert.ok(!s.has(p.sport), 'a client reuses no ephemeral port');
        s.add(p.sport);
        synPorts.set(p.src, s);
      }
      continue;
    }
    const dir = `${p.src}:${p.sport}`;
    if ((p.sport === 2404 || p.dport === 2404) && b[p.payload] === 0x68 && (b[p.payload + 2]! & 1) === 0) {
      const ns = b.readUInt16LE(p.payload + 2) >> 1;
      if (iecNext.has(dir)) assert.equal(ns, iecNext.get(dir), 'IEC 104 N(S) continues');
      iecNext.set(dir, (ns + 1) & 0x7fff);
      iec++;
    }
    if ((p.sport === 20000 || p.dport === 20000) && b[p.payload] === 0x05 && b[p.payload + 1] === 0x64) {
      const tp = b[p.payload + 10]! & 0x3f;
      if (dnpNext.has(dir)) assert.equal(tp, dnpNext.get(dir), 'DNP3 transport sequence continues');
      dnpNext.set(dir, (tp + 1) & 0x3f);
      dnp++;
    }
  }
  assert.ok(iec > 10 && dnp > 20, `iec104 ${iec}, dnp3 ${dnp}`);
});

test('same seed and size give identical bytes (pcap and pcapng); another seed differs', async () => {
  const [a] = await sharedCapture('r.pcap', 11);
  const [b] = await sized('d2.pcap', 11);
  const [c] = await sized('d3.pcap', 12);
  assert.equal(sha(a), sha(b));
  assert.notEqual(sha(a), sha(c));
  const [x] = await sharedCapture('r.pcapng', 11);
  const [y] = await sized('d2.pcapng', 11);
  assert.equal(sha(x), sha(y));
});

test('incidents happen once, in the live prologue, before the replayed period', async () => {
  const [out, run] = await sized('inc.pcap', 13, SHORT, 4_000_000, ['plc-stop', 'scan']);
  assert.equal(run.replay?.outcome, 'replayed');
  for (const inc of run.result.incidents) assert.ok(Date.parse(inc.end) * 1000 <= run.replay.periodStartUs, inc.scenario);
  // S7 STOP (function 0x29 in a job) appears exactly once
  let stops = 0;
  for (const { b } of readPcap(out)) {
    const p = parse(b);
    if (p !== null && p.proto === 6 && p.dport === 102 && p.end - p.payload > 17 && b[p.payload + 7] === 0x32 &&
      b[p.payload + 8] === 1 && b[p.payload + 17] === 0x29) stops++;
  }
  assert.equal(stops, 1);
});

test('falls back to live generation when no period end is found, or when the size is reached first', async () => {
  const [out, run] = await sized('nofit.pcap', 14, { ...SHORT, minPeriodUs: 5_000_000, searchUs: 1, quietGapUs: 10_000_000 });
  assert.notEqual(run.replay?.outcome, 'replayed');
  assert.ok(run.result.bytes >= SIZE);
  validate(readPcap(out));
  const [, small] = await sized('small.pcap', 14, SHORT, 200_000);
  assert.equal(small.replay?.outcome, 'size-reached-live');
  assert.ok(small.result.bytes >= 200_000 && small.result.bytes < 300_000);
});

test('tshark: no malformed frames, no checksum errors, no TCP analysis flags across period seams',
  { skip: !hasTshark && 'tshark not installed' }, async () => {
    for (const name of ['r.pcap', 'r.pcapng']) {
      const [out, run] = await sharedCapture(name, 11);
      assert.equal(run.replay?.outcome, 'replayed');
      const bad = '_ws.malformed || _ws.expert.severity >= error || tcp.analysis.flags';
      const text = execFileSync('tshark', ['-r', out, '-o', 'tcp.check_checksum:TRUE', '-o', 'ip.check_checksum:TRUE',
        '-o', 'udp.check_checksum:TRUE', '-q', '-z', 'io,phs', '-z', `io,stat,0,COUNT(frame)frame && (${bad})`],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 26 });
      assert.match(text, /<> [\d.]+ \|\s+0 \|/, `${name}: zero malformed / checksum / TCP-analysis frames`);
      const frames = Number(/^frame\s+frames:(\d+)/m.exec(text)?.[1]);
      assert.equal(frames, run.result.frames);
      for (const p of ['mbtcp', 's7comm', 'enip', 'dnp3', 'iec60870_104', 'bacnet', 'opcua', 'pn_dcp', 'dns', 'ntp', 'tls', 'http']) {
        assert.match(text, new RegExp(`\\b${p}\\b`), `${name}: ${p} present`);
      }
    }
  });
