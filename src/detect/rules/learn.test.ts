import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Baseline, BASELINE_SCHEMA, BaselineFormatError } from '../baseline.js';
import { Detector } from '../engine.js';
import { T0, flow, op, plcModel } from '../test-support.js';
import type { BaselineData } from '../baseline.js';
import type { FlowLike } from '../types.js';
import type { OperationEvent, OtEvent } from '../../events/types.js';

const HMI = '10.0.0.5';
const PLC = '10.0.0.10';
const ROGUE = '10.0.0.66';

function at<T extends { ts?: number; firstSeen?: number }>(x: T, ts: number): T {
  if ('clientIp' in x) return { ...x, firstSeen: ts, lastSeen: ts + 1 };
  return { ...x, ts };
}
const poll = (ts: number, src = HMI, dst = PLC): OperationEvent => at(op({ protocol: 'modbus', kind: 'read', code: 3, codeName: 'read_holding_registers', unit: 1, address: 100 }, src, dst), ts);
const writeReg = (ts: number, address: number, src = HMI): OperationEvent =>
  at(op({ protocol: 'modbus', kind: 'write', code: 6, codeName: 'write_single_register', unit: 1, address }, src, PLC), ts);
const conn = (ts: number, client = HMI, server = PLC, port = 502, protocol = 'modbus'): FlowLike =>
  at(flow({ clientIp: client, serverIp: server, serverPort: port, protocol, tcpState: 'closed', packetsToClient: 5, payloadToServer: 60 }), ts);

/** 10 minutes of normal: a poll every second, a flow per minute, writes to register 200. */
function normal(): Array<OtEvent | FlowLike> {
  const out: Array<OtEvent | FlowLike> = [];
  for (let s = 0; s < 600; s++) out.push(poll(T0 + s));
  for (let m = 0; m < 10; m++) {
    out.push(writeReg(T0 + m * 60 + 0.5, 200));
    out.push(conn(T0 + m * 60));
  }
  return out.sort((a, b) => ts(a) - ts(b));
}
const ts = (x: OtEvent | FlowLike): number => ('clientIp' in x ? x.firstSeen : x.ts);

function feed(d: Detector, xs: Array<OtEvent | FlowLike>): void {
  for (const x of xs) {
    if ('clientIp' in x) d.onFlowEnd(x, 'test.pcap');
    else d.onEvent(x, 'test.pcap');
  }
}

function learn(xs: Array<OtEvent | FlowLike>): BaselineData {
  let out: BaselineData | null = null;
  const d = new Detector({ learn: { onBaseline: (b) => void (out = b) } });
  feed(d, xs);
  d.finish(plcModel());
  assert.ok(out !== null);
  return out;
}

describe('baseline learning', () => {
  test('records talkers, edges, functions, write targets and rates; JSON round-trips and merges', () => {
    const b = learn(normal());
    assert.equal(b.schema, BASELINE_SCHEMA);
    assert.deepEqual(b.talkers, [HMI, PLC].sort());
    assert.deepEqual(b.edges, [{ src: HMI, dst: PLC, protocol: 'modbus', port: 502 }]);
    assert.deepEqual(b.functions.map((f) => `${f.code}:${f.name}`), ['3:read_holding_registers', '6:write_single_register']);
    assert.deepEqual(b.writeTargets, [{ dst: PLC, protocol: 'modbus', target: '1:@200' }]);
    const r = b.rates[0]!;
    assert.equal(r.ops, 610);
    assert.equal(r.windowSec, 60);
    assert.ok(r.maxPerWindow >= 60 && r.maxPerWindow <= 62, `max per window ${r.maxPerWindow}`);
    assert.ok(r.periodSec !== null && r.periodSec > 0.4 && r.periodSec <= 1, `period ${r.periodSec}`);
    assert.equal(b.from, new Date(T0 * 1000).toISOString());

    const loaded = Baseline.fromJSON(JSON.parse(JSON.stringify(b)));
    assert.deepEqual(loaded.toJSON(), b, 'a saved baseline loads back unchanged');
    // learning more into a loaded baseline extends it
    const d = new Detector({ baseline: loaded, learn: {} });
    feed(d, [conn(T0 + 700, ROGUE, PLC), poll(T0 + 701, ROGUE)]);
    d.finish(plcModel());
    const merged = d.learnedBaseline()!;
    assert.deepEqual(merged.talkers, [HMI, ROGUE, PLC].sort());
    assert.equal(merged.rates.find((x) => x.src === HMI)!.ops, 610);
    assert.throws(() => Baseline.fromJSON({ schema: 'nope' }), BaselineFormatError);
  });

  test('caps are counted, not fatal', () => {
    const b = new Baseline({ maxTalkers: 1, maxEdges: 1 });
    b.learnFlow(conn(T0));
    b.learnFlow(conn(T0 + 1, ROGUE, PLC));
    assert.deepEqual(b.size.talkers, 1);
    // PLC in the first flow, then ROGUE and PLC again in the second
    assert.equal(b.counters['talkers-cap'], 3);
    assert.equal(b.counters['edges-cap'], 1);
  });
});

describe('deviation rules', () => {
  const baseline = learn(normal());

  function check(xs: Array<OtEvent | FlowLike>, rules = ['learn.']) {
    const d = new Detector({ baseline, rules });
    feed(d, xs);
    return d.finish(plcModel());
  }

  test('normal traffic again raises nothing', () => {
    const later = normal().map((x) => at(x as never, ts(x) + 3600) as OtEvent | FlowLike);
    assert.deepEqual(check(later), []);
  });

  test('new talker, new edge, new function, new write target', () => {
    const t = T0 + 7200;
    const alerts = check([
      conn(t, ROGUE, PLC),
      at(op({ protocol: 'modbus', kind: 'diagnostics', code: 8, subCode: 4, codeName: 'diagnostics', subCodeName: 'force_listen_only' }, HMI, PLC), t + 1),
      writeReg(t + 2, 200),
      writeReg(t + 3, 201),
      writeReg(t + 4, 202),
      conn(t + 5, HMI, PLC, 80, 'http'),
      conn(t + 6, '224.0.0.251', PLC), // a group address is no talker
      { ...conn(t + 7, HMI, '10.0.0.99', 502), packetsToClient: 0 }, // unanswered: no edge, no talker
    ]);
    const got = alerts.map((a) => `${a.ruleId} ${a.severity} ${a.source?.ip}>${a.target?.ip ?? '-'}`).sort();
    assert.deepEqual(got, [
      `learn.new-edge medium ${HMI}>${PLC}`, // http, but to an OT device
      `learn.new-edge medium ${ROGUE}>${PLC}`,
      `learn.new-function medium ${HMI}>${PLC}`,
      `learn.new-talker medium ${ROGUE}>-`,
      `learn.new-write-target medium ${HMI}>${PLC}`,
    ]);
    const wt = alerts.find((a) => a.ruleId === 'learn.new-write-target')!;
    assert.equal(wt.details.targets, '1:@201, 1:@202');
    assert.equal(wt.count, 2);
    const fn = alerts.find((a) => a.ruleId === 'learn.new-function')!;
    assert.equal(fn.details.function, 'diagnostics/force_listen_only');
    assert.equal(fn.details.code, '8/4');
  });

  test('a new function on a pair the baseline never saw is left to learn.new-edge', () => {
    const alerts = check([poll(T0 + 9000, ROGUE)], ['learn.new-function']);
    assert.deepEqual(alerts, []);
  });

  test('rate anomaly: a flood well above the busiest learned window', () => {
    const t = T0 + 10_000;
    const flood: OtEvent[] = [];
    for (let i = 0; i < 1000; i++) flood.push(poll(t + i * 0.05));
    const alerts = check(flood, ['learn.rate-anomaly']);
    assert.equal(alerts.length, 1);
    const a = alerts[0]!;
    assert.equal(a.severity, 'high');
    assert.ok(Number(a.details.peak_window_ops) > 3 * Number(a.details.limit));
    // the normal rate (one a second) does not trigger it
    const steady: OtEvent[] = [];
    for (let i = 0; i < 300; i++) steady.push(poll(t + i));
    assert.deepEqual(check(steady, ['learn.rate-anomaly']), []);
  });

  test('learning window: the first part learns, the rest is checked; flows that started inside it are learned', () => {
    const xs = normal();
    const t = T0 + 600;
    // a long flow of the known edge that started in the window and ends after the intruder's flow
    const longFlow = { ...conn(T0 + 10), lastSeen: t + 100 };
    const after = [conn(t + 5, ROGUE, PLC), poll(t + 6, ROGUE), longFlow];
    let learned: BaselineData | null = null;
    const d = new Detector({ rules: ['learn.'], learn: { windowSec: 300, onBaseline: (b) => void (learned = b) } });
    feed(d, [...xs, ...after]);
    const alerts = d.finish(plcModel());
    assert.deepEqual(alerts.map((a) => a.ruleId).sort(), ['learn.new-edge', 'learn.new-talker']);
    assert.ok(alerts.every((a) => a.source?.ip === ROGUE));
    assert.equal(learned!.rates[0]!.ops, 305, 'only the first 300 s of polls are learned (+ 5 writes)');
  });

  test('without a baseline the learn rules are silent; --learn alone checks nothing', () => {
    const d = new Detector({ rules: ['learn.'] });
    feed(d, [conn(T0, ROGUE, PLC)]);
    assert.deepEqual(d.finish(plcModel()), []);
    const l = new Detector({ rules: ['learn.'], learn: {} });
    feed(l, [conn(T0, ROGUE, PLC)]);
    assert.deepEqual(l.finish(plcModel()), []);
  });

  test('OT-operation rules: an operation the baseline holds from the same source gets the trusted severity', () => {
    const restart = (t: number, src: string) => at(op({ protocol: 'dnp3', kind: 'restart', code: 14, codeName: 'warm_restart', detail: 'warm' }, src, PLC), t);
    const b = learn([restart(T0, HMI)]);
    const d = new Detector({ baseline: b, rules: ['ot.restart'] });
    feed(d, [restart(T0 + 100, HMI), restart(T0 + 101, ROGUE)]);
    const alerts = d.finish(plcModel());
    const bySrc = new Map(alerts.map((a) => [a.source?.ip, a]));
    assert.equal(bySrc.get(HMI)!.severity, 'high');
    assert.equal(bySrc.get(HMI)!.details.in_baseline, true);
    assert.match(bySrc.get(HMI)!.explanation, /baseline/);
    assert.equal(bySrc.get(ROGUE)!.severity, 'critical');
  });
});
