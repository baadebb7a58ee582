import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasTshark, tsharkFields } from '../../../test/support/trace.js';
import { ProfinetL2Analyzer } from './index.js';
import { DcpPdu, DcpParse, parseDcp } from './dcp.js';
import {
  controlResponse,
  dcpBlock,
  dcpPdu,
  endTransaction,
  ethernetFrame,
  identityBlocks,
  packetOf,
  recordingL2Context,
  rtaAlarm,
  rtCyclic,
  setFactoryReset,
  setIp,
  setName,
  setSignal,
  startTransaction,
  writePcap,
} from './test-support.js';

const CONTROLLER = '00:1b:1b:aa:00:01';
const PLC = '00:1b:1b:11:22:33';
const IO = '00:a0:45:44:55:66';
const MCAST = '01:0e:cf:00:00:00';

/** The exchange used by several tests: an Identify-All answered by two devices, then Set/Get/Hello traffic. */
function scenario(): Array<{ ts: number; data: Buffer }> {
  const t = 1_700_000_000;
  const f = (dt: number, dst: string, src: string, pdu: Buffer) => ({ ts: t + dt, data: ethernetFrame(dst, src, pdu) });
  return [
    f(0, MCAST, CONTROLLER, dcpPdu(0xfefe, 5, 0, 0x1001, [dcpBlock(0xff, 0xff, Buffer.alloc(0))], 1)),
    f(0.01, CONTROLLER, PLC, dcpPdu(0xfeff, 5, 1, 0x1001, identityBlocks({ name: 'plc-1', typeOfStation: 'S7-1500', vendorId: 0x002a, deviceId: 0x010e, role: 0x02, ip: '192.168.0.1', mask: '255.255.255.0', gw: '0.0.0.0' }))),
    f(0.02, CONTROLLER, IO, dcpPdu(0xfeff, 5, 1, 0x1001, identityBlocks({ name: 'io-7', typeOfStation: 'AXL F BK PN', vendorId: 0x00b0, deviceId: 0x0123, role: 0x01, ip: '192.168.0.7', mask: '255.255.255.0', gw: '192.168.0.1' }))),
    // Set name of station (bracketed by a transaction) → success.
    f(1, IO, CONTROLLER, dcpPdu(0xfefd, 4, 0, 0x2002, [startTransaction(), setName('io-8'), endTransaction()])),
    f(1.01, CONTROLLER, IO, dcpPdu(0xfefd, 4, 1, 0x2002, [controlResponse(5, 1, 0), controlResponse(2, 2, 0), controlResponse(5, 2, 0)])),
    // Set IP → refused while in operation.
    f(2, IO, CONTROLLER, dcpPdu(0xfefd, 4, 0, 0x2003, [setIp('192.168.0.8', '255.255.255.0', '192.168.0.1')])),
    f(2.01, CONTROLLER, IO, dcpPdu(0xfefd, 4, 1, 0x2003, [controlResponse(1, 2, 6)])),
    // Factory reset, never answered.
    f(3, PLC, CONTROLLER, dcpPdu(0xfefd, 4, 0, 0x2004, [setFactoryReset()])),
    // Signal (flash LED).
    f(4, IO, CONTROLLER, dcpPdu(0xfefd, 4, 0, 0x2005, [setSignal()])),
    f(4.01, CONTROLLER, IO, dcpPdu(0xfefd, 4, 1, 0x2005, [controlResponse(5, 3, 0)])),
    // Get name of station.
    f(5, PLC, CONTROLLER, dcpPdu(0xfefd, 3, 0, 0x2006, [Buffer.from([2, 2])])),
    f(5.01, CONTROLLER, PLC, dcpPdu(0xfefd, 3, 1, 0x2006, [dcpBlock(2, 2, Buffer.concat([Buffer.from([0, 0]), Buffer.from('plc-1')]))])),
    // Hello from a device after power-on.
    f(6, '01:0e:cf:00:00:01', IO, dcpPdu(0xfefc, 6, 0, 0x3007, identityBlocks({ name: 'io-8', typeOfStation: 'AXL F BK PN', vendorId: 0x00b0, deviceId: 0x0123, role: 0x01, ip: '192.168.0.7', mask: '255.255.255.0', gw: '192.168.0.1' }))),
  ];
}

function run(frames: Array<{ ts: number; data: Buffer }>) {
  const ctx = recordingL2Context();
  const analyzer = new ProfinetL2Analyzer();
  frames.forEach((f, i) => analyzer.onFrame(packetOf(f.data, i + 1, f.ts), ctx));
  analyzer.onCaptureEnd(ctx);
  return { ctx, analyzer };
}

test('an Identify-All answered by two devices yields one identify operation per responder, plus identity facts', () => {
  const { ctx } = run(scenario().slice(0, 3));
  const ops = ctx.operations();
  assert.equal(ops.length, 2);
  for (const op of ops) {
    assert.equal(op.kind, 'identify');
    assert.equal(op.frame, 1);
    assert.equal(op.src.mac, CONTROLLER);
    assert.equal(op.result, 'ok');
    assert.equal(op.codeName, 'identify');
    assert.equal(op.subCode, 0xfefe);
  }
  assert.deepEqual(ops.map((o) => [o.dst.mac, o.dst.ip, o.responseFrame]), [[PLC, '192.168.0.1', 2], [IO, '192.168.0.7', 3]]);
  const facts = Object.fromEntries(ctx.facts().filter((f) => f.subject.mac === PLC).map((f) => [f.field, f.value]));
  assert.deepEqual(facts, {
    'station-name': 'plc-1',
    'vendor-id': '0x002a',
    vendor: 'Siemens AG',
    'product-code': '0x010e',
    model: 'S7-1500',
    product: 'S7-1500',
    'device-type': 'IO-Controller',
    'role-hint': 'plc',
  });
  assert.ok(ctx.facts().every((f) => f.subject.ip === (f.subject.mac === PLC ? '192.168.0.1' : '192.168.0.7')));
  const io = ctx.facts().filter((f) => f.subject.mac === IO);
  assert.equal(io.find((f) => f.field === 'vendor')?.value, 'Phoenix Contact');
  assert.equal(io.find((f) => f.field === 'device-type')?.value, 'IO-Device');
});

test('DCP Set/Get/Hello: configuration, exceptions, factory reset, signal, read', () => {
  const { ctx } = run(scenario());
  const byFrame = new Map(ctx.operations().map((o) => [o.frame, o]));
  const name = byFrame.get(4)!;
  assert.equal(name.kind, 'configuration');
  assert.equal(name.detail, 'name-of-station');
  assert.equal(name.object, 'name-of-station=io-8 (permanent)');
  assert.equal(name.result, 'ok');
  assert.equal(name.responseFrame, 5);
  assert.equal(name.codeName, 'set');
  // The destination endpoint carries the IP the device announced earlier.
  assert.equal(name.dst.ip, '192.168.0.7');

  const ip = byFrame.get(6)!;
  assert.equal(ip.kind, 'configuration');
  assert.equal(ip.detail, 'ip');
  assert.equal(ip.object, 'ip=192.168.0.8/255.255.255.0 gw 192.168.0.1 (permanent)');
  assert.equal(ip.result, 'exception');
  assert.equal(ip.exceptionCode, 6);
  assert.equal(ip.exceptionName, 'set_not_possible_in_operation');

  const reset = byFrame.get(8)!;
  assert.equal(reset.kind, 'restart');
  assert.equal(reset.detail, 'factory-reset');
  assert.equal(reset.result, 'no-response');
  assert.equal(reset.dst.mac, PLC);

  const signal = byFrame.get(9)!;
  assert.equal(signal.kind, 'diagnostics');
  assert.equal(signal.detail, 'signal');
  assert.equal(signal.result, 'ok');

  const get = byFrame.get(11)!;
  assert.equal(get.kind, 'read');
  assert.equal(get.object, 'name-of-station');
  assert.equal(get.responseFrame, 12);

  const hello = byFrame.get(13)!;
  assert.equal(hello.kind, 'identify');
  assert.equal(hello.codeName, 'hello');
  assert.equal(hello.src.mac, IO);
  assert.equal(ctx.facts().find((f) => f.frame === 13 && f.field === 'station-name')?.value, 'io-8');
  assert.equal(ctx.operations().length, 2 + 6);
});

test('an Identify that nobody answers is reported once, as no-response, when it times out or the capture ends', () => {
  const t = 1_700_000_000;
  const req = (dt: number, xid: number) => ({ ts: t + dt, data: ethernetFrame(MCAST, CONTROLLER, dcpPdu(0xfefe, 5, 0, xid, [dcpBlock(2, 2, Buffer.from('x'))])) });
  const ctx = recordingL2Context();
  const analyzer = new ProfinetL2Analyzer({ responseTimeoutSec: 5 });
  analyzer.onFrame(packetOf(req(0, 1).data, 1, t), ctx);
  analyzer.onFrame(packetOf(req(0.5, 1).data, 2, t + 0.5), ctx); // retransmission: same Xid
  assert.equal(ctx.operations().length, 0);
  analyzer.onFrame(packetOf(req(6, 2).data, 3, t + 6), ctx); // expires the first
  assert.deepEqual(ctx.operations().map((o) => [o.frame, o.result]), [[1, 'no-response']]);
  analyzer.onCaptureEnd(ctx);
  assert.deepEqual(ctx.operations().map((o) => [o.frame, o.result, o.object]), [[1, 'no-response', 'name-of-station=x'], [3, 'no-response', 'name-of-station=x']]);
});

test('RT cyclic frames are counted per (source MAC, FrameID) without events; alarms become diagnostics', () => {
  const ctx = recordingL2Context();
  const analyzer = new ProfinetL2Analyzer();
  const t = 1_700_000_000;
  let n = 0;
  for (let i = 0; i < 100; i++) {
    analyzer.onFrame(packetOf(ethernetFrame(CONTROLLER, IO, rtCyclic(0x8001, i)), ++n, t + i * 0.001), ctx);
    analyzer.onFrame(packetOf(ethernetFrame(IO, CONTROLLER, rtCyclic(0xc000, i)), ++n, t + i * 0.001), ctx);
  }
  analyzer.onFrame(packetOf(ethernetFrame(CONTROLLER, IO, rtCyclic(0x0100, 0)), ++n, t), ctx);
  assert.equal(ctx.events.length, 0, 'no per-frame events');
  assert.equal(ctx.counters['profinet-rt.class2'], 100);
  assert.equal(ctx.counters['profinet-rt.class1'], 100);
  assert.equal(ctx.counters['profinet-rt.class3'], 1);
  const streams = [...analyzer.rt.allStreams()].map((s) => [s.frameId, s.frames, s.lastDataStatus]).sort((a, b) => a[0]! - b[0]!);
  assert.deepEqual(streams, [[0x0100, 1, 0x35], [0x8001, 100, 0x35], [0xc000, 100, 0x35]]);

  const alarm = ethernetFrame(CONTROLLER, IO, rtaAlarm(0xfe01, 7, 1, 2, 0x0001));
  analyzer.onFrame(packetOf(alarm, ++n, t + 1), ctx);
  analyzer.onFrame(packetOf(alarm, ++n, t + 1.1), ctx); // retransmitted until acknowledged
  analyzer.onFrame(packetOf(ethernetFrame(CONTROLLER, IO, rtaAlarm(0xfc01, 8, 4, 3, 0x0001)), ++n, t + 2), ctx);
  const ops = ctx.operations();
  assert.deepEqual(ops.map((o) => [o.kind, o.codeName, o.subCodeName, o.address, o.src.mac]), [
    ['diagnostics', 'alarm_low', 'diagnosis', 2, IO],
    ['diagnostics', 'alarm_high', 'plug', 3, IO],
  ]);
  assert.equal(ctx.counters['profinet-rt.alarm'], 3);
  assert.equal(ctx.counters['profinet-rt.alarm-retransmission'], 1);
  analyzer.onCaptureEnd(ctx);
  assert.equal(ctx.events.filter((e) => e.type === 'protocol').length, 3, 'one summary per stream');
  assert.equal([...analyzer.rt.allStreams()].length, 0);
});

test('the RT stream table is capped and the cap is counted', () => {
  const ctx = recordingL2Context();
  const analyzer = new ProfinetL2Analyzer({ maxStreams: 4 });
  for (let i = 0; i < 10; i++) analyzer.onFrame(packetOf(ethernetFrame(CONTROLLER, IO, rtCyclic(0xc000 + i, 0)), i + 1, 1), ctx);
  assert.equal(analyzer.rt.streams, 4);
  assert.equal(ctx.counters['profinet-rt.streams-cap'], 6);
  assert.equal(ctx.counters['profinet-rt.class1'], 10);
});

test('the DCP pending table is capped; evicted requests are reported as no-response', () => {
  const ctx = recordingL2Context();
  const analyzer = new ProfinetL2Analyzer({ maxPending: 2 });
  for (let i = 0; i < 5; i++) analyzer.onFrame(packetOf(ethernetFrame(IO, CONTROLLER, dcpPdu(0xfefd, 3, 0, i, [Buffer.from([2, 2])])), i + 1, 1), ctx);
  assert.equal(ctx.counters['profinet-dcp.pending-cap'], 3);
  assert.deepEqual(ctx.operations().map((o) => o.frame), [1, 2, 3]);
});

test('parseDcp: blocks past DCPDataLength or the frame are not read', () => {
  const pdu = new DcpPdu();
  const good = dcpPdu(0xfefd, 4, 0, 1, [setName('abc')]);
  assert.equal(parseDcp(good, 0, good.length, pdu), DcpParse.OK);
  assert.equal(pdu.blockCount, 1);
  assert.equal(parseDcp(good, 0, good.length - 3, pdu), DcpParse.BLOCK_OVERRUN);
  const lying = Buffer.from(good);
  lying.writeUInt16BE(200, 10);
  assert.equal(parseDcp(lying, 0, lying.length, pdu), DcpParse.TRUNCATED);
  assert.equal(parseDcp(good, 0, 11, pdu), DcpParse.TRUNCATED);
});

test('differential with tshark on the hand-built frames: service id, type, Xid, NameOfStation, option per frame', { skip: hasTshark ? false : 'needs tshark' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'otwatch-pn-'));
  try {
    const frames = scenario();
    const file = join(dir, 'dcp.pcap');
    writePcap(file, frames);
    const theirs = tsharkFields(file, 'pn_dcp', ['pn_dcp.service_id', 'pn_dcp.service_type', 'pn_dcp.xid', 'pn_dcp.suboption_device_nameofstation', 'pn_dcp.suboption_vendor_id', 'pn_dcp.suboption_device_id']);
    assert.equal(theirs.size, frames.length, 'tshark decodes every hand-built frame as DCP');
    const pdu = new DcpPdu();
    frames.forEach((f, i) => {
      assert.equal(parseDcp(f.data, 14, f.data.length - 14, pdu), DcpParse.OK);
      const [[sid] = [], [stype] = [], [xid] = []] = theirs.get(i + 1)!;
      assert.equal(pdu.serviceId, Number(sid), `frame ${i + 1} service id`);
      assert.equal(pdu.serviceType, Number(stype), `frame ${i + 1} service type`);
      assert.equal(pdu.xid, Number(xid), `frame ${i + 1} xid`);
    });
    // What tshark reads as NameOfStation / VendorID / DeviceID is what we report: as facts about the sender of
    // a response or Hello, as the operation's object for a request.
    const { ctx } = run(frames);
    for (const [frame, [, [stype] = [], , names = [], vendors = [], devices = []]] of theirs) {
      const data = frames[frame - 1]!.data;
      const fromDevice = (Number(stype) & 1) === 1 || data[16] === 6;
      const sender = [...data.subarray(6, 12)].map((b) => b.toString(16).padStart(2, '0')).join(':');
      const facts = ctx.facts().filter((f) => f.subject.mac === sender);
      const op = ctx.operations().find((o) => o.frame === frame);
      for (const n of names) {
        if (fromDevice) assert.ok(facts.some((f) => f.field === 'station-name' && f.value === n), `frame ${frame}: ${n}`);
        else assert.ok(op?.object?.includes(`name-of-station=${n}`), `frame ${frame}: ${n} in ${op?.object}`);
      }
      for (const v of vendors) assert.ok(facts.some((f) => f.field === 'vendor-id' && Number(f.value) === Number(v)), `frame ${frame}: vendor ${v}`);
      for (const d of devices) assert.ok(facts.some((f) => f.field === 'product-code' && Number(f.value) === Number(d)), `frame ${frame}: device ${d}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('repeated Identify answers: identical identities state their facts once; a cleared fact set or a new IP states them again', () => {
  const t = 1_700_000_000;
  const plc = (ip: string) => identityBlocks({ name: 'plc-1', typeOfStation: 'S7-1500', vendorId: 0x002a, deviceId: 0x010e, role: 0x02, ip, mask: '255.255.255.0', gw: '0.0.0.0' });
  const frames: Array<{ ts: number; data: Buffer }> = [];
  const exchange = (dt: number, xid: number, ip: string) => {
    frames.push({ ts: t + dt, data: ethernetFrame(MCAST, CONTROLLER, dcpPdu(0xfefe, 5, 0, xid, [dcpBlock(0xff, 0xff, Buffer.alloc(0))], 1)) });
    frames.push({ ts: t + dt + 0.01, data: ethernetFrame(CONTROLLER, PLC, dcpPdu(0xfeff, 5, 1, xid, plc(ip))) });
  };
  exchange(0, 1, '192.168.0.1');
  exchange(1, 2, '192.168.0.1');
  // A Hello moves the device to another address; the next identical Identify answer moves it back.
  frames.push({ ts: t + 2, data: ethernetFrame('01:0e:cf:00:00:01', PLC, dcpPdu(0xfefc, 6, 0, 9, plc('192.168.0.2'))) });
  exchange(3, 3, '192.168.0.1');
  exchange(4, 4, '192.168.0.1');
  const ctx = recordingL2Context();
  const analyzer = new ProfinetL2Analyzer();
  frames.forEach((f, i) => analyzer.onFrame(packetOf(f.data, i + 1, f.ts), ctx));
  const byIp = (ip: string) => ctx.facts().filter((f) => f.subject.ip === ip).length;
  assert.equal(byIp('192.168.0.1'), 8); // frame 2 only
  assert.equal(byIp('192.168.0.2'), 8); // the Hello
  assert.equal(analyzer.dcp.ipOf(Number.parseInt(PLC.replace(/:/g, ''), 16)), '192.168.0.1');
  const ops = ctx.operations();
  assert.equal(ops.length, 5);
  assert.deepEqual(ops.filter((o) => o.codeName === 'identify' && o.result === 'ok').map((o) => o.dst.ip), ['192.168.0.1', '192.168.0.1', '192.168.0.1', '192.168.0.1']);

  // With room for 4 fact keys the set is cleared while each answer states its 8 facts: every answer states
  // them again, as a memo of the earlier answer must not hide them.
  const capped = recordingL2Context();
  const small = new ProfinetL2Analyzer({ maxFactKeys: 4 });
  frames.slice(0, 4).forEach((f, i) => small.onFrame(packetOf(f.data, i + 1, f.ts), capped));
  assert.equal(capped.facts().length, 16);
  assert.ok((capped.counters['profinet-dcp.fact-keys-cap'] ?? 0) > 0);
});
