import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Probe } from '../analyzer.js';
import type { OperationEvent, OtEvent } from '../../events/types.js';
import { s7commSpec } from './index.js';
import { S7commFlow, type S7commOptions } from './session.js';
import { familyFromOrderNumber } from './szl.js';
import { fakeContext, facts, operations } from './test-support/harness.js';
import {
  ack,
  ackData,
  anyItem,
  ascii,
  cr,
  dt,
  job,
  setupAck,
  setupJob,
  userdata,
} from './test-support/frames.js';

type Step = [dir: 0 | 1, bytes: Buffer] | ['gap', dir: 0 | 1, n: number];

/** Feed steps, one onData per step, frame number = step index + 1, and close. */
function run(steps: Step[], limits?: { maxPendingTransactions?: number; maxBufferBytes?: number }, opts?: S7commOptions) {
  const ctx = fakeContext(undefined, limits);
  const a = new S7commFlow(ctx, opts);
  let frame = 0;
  for (const s of steps) {
    frame++;
    if (s[0] === 'gap') a.onGap(s[1], s[2], { frame, ts: frame });
    else a.onData(s[0], s[1], 0, s[1].length, { frame, ts: frame });
  }
  a.onClose({ frame: frame + 1, ts: frame + 1 });
  return ctx;
}

function only(events: OtEvent[]): OperationEvent {
  const ops = operations(events);
  assert.equal(ops.length, 1, JSON.stringify(ops));
  return ops[0]!;
}

const PI_START = [0x28, 0, 0, 0, 0, 0, 0, 0xfd, 0x00, 0x00, 0x09, ...ascii('P_PROGRAM')];
const PLC_STOP = [0x29, 0, 0, 0, 0, 0, 0x09, ...ascii('P_PROGRAM')];

describe('s7comm jobs', () => {
  it('PLC stop → mode-change stop, paired with its ack_data', () => {
    const ctx = run([[0, dt(job(0x0500, PLC_STOP))], [1, dt(ackData(0x0500, [0x29]))]]);
    const op = only(ctx.events);
    assert.equal(op.kind, 'mode-change');
    assert.equal(op.detail, 'stop');
    assert.equal(op.code, 0x29);
    assert.equal(op.codeName, 'plc_stop');
    assert.equal(op.object, 'P_PROGRAM');
    assert.equal(op.result, 'ok');
    assert.equal(op.frame, 1);
    assert.equal(op.responseFrame, 2);
    assert.equal(op.src.ip, '10.0.0.1');
    assert.equal(op.dst.ip, '10.0.0.2');
    assert.equal(op.dst.port, 102);
  });

  it('PI P_PROGRAM → mode-change run; a refused one carries the header error', () => {
    const ctx = run([[0, dt(job(7, PI_START))], [1, dt(ackData(7, [0x28], [], 0xd0ad))]]);
    const op = only(ctx.events);
    assert.equal(op.kind, 'mode-change');
    assert.equal(op.detail, 'run');
    assert.equal(op.codeName, 'pi_service');
    assert.equal(op.result, 'exception');
    assert.equal(op.exceptionCode, 0xd0ad);
    assert.equal(op.exceptionName, 'mode_already_set');
  });

  it('PI _INSE / _DELE → program-modify with the blocks', () => {
    const blocks = [0x02, 0x00, ...ascii('0C00012P'), ...ascii('0800001P')];
    const inse = [0x28, 0, 0, 0, 0, 0, 0, 0xfd, 0x00, blocks.length, ...blocks, 0x05, ...ascii('_INSE')];
    const dele = [0x28, 0, 0, 0, 0, 0, 0, 0xfd, 0x00, 0x0a, 0x01, 0x00, ...ascii('0A00003B'), 0x05, ...ascii('_DELE')];
    const ctx = run([
      [0, dt(job(1, inse))],
      [1, dt(ackData(1, [0x28]))],
      [0, dt(job(2, dele))],
      [1, dt(ackData(2, [0x28]))],
    ]);
    const [a, b] = operations(ctx.events);
    assert.equal(a!.kind, 'program-modify');
    assert.equal(a!.detail, 'insert');
    assert.equal(a!.object, 'FC12,OB1');
    assert.equal(b!.kind, 'program-modify');
    assert.equal(b!.detail, 'delete');
    assert.equal(b!.object, 'DB3');
  });

  it('PI _MODU (compress) → other', () => {
    const modu = [0x28, 0, 0, 0, 0, 0, 0, 0xfd, 0x00, 0x00, 0x05, ...ascii('_MODU')];
    const op = only(run([[0, dt(job(3, modu))], [1, dt(ackData(3, [0x28]))]]).events);
    assert.equal(op.kind, 'other');
    assert.equal(op.object, '_MODU');
    assert.equal(op.detail, 'compress');
  });

  it('download sequence: request download, PLC-sent download blocks, download ended', () => {
    const name = [0x09, ...ascii('_0E00042P')];
    const ctx = run([
      [0, dt(job(0x0e00, [0x1a, 0x00, 0x01, 0, 0, 0, 0, 0, ...name, 0x0d, ...ascii('1000300000200')]))],
      [1, dt(ackData(0x0e00, [0x1a]))],
      // The PLC pulls the block: it sends the Download block jobs, the engineering station answers with data.
      [1, dt(job(0x0100, [0x1b, 0, 0, 0, 0, 0, 0, 0, ...name]))],
      [0, dt(ackData(0x0100, [0x1b, 0x01], [0x00, 0x64, 0x00, 0xfb, ...new Array(100).fill(0x70)]))],
      [1, dt(job(0x0200, [0x1c, 0, 0, 0, 0, 0, 0, 0, ...name]))],
      [0, dt(ackData(0x0200, [0x1c]))],
    ]);
    const ops = operations(ctx.events);
    assert.deepEqual(
      ops.map((o) => [o.frame, o.codeName, o.kind, o.object, o.result, o.responseFrame, o.dataBytes]),
      [
        [1, 'request_download', 'program-download', 'FB42', 'ok', 2, undefined],
        [3, 'download_block', 'program-download', 'FB42', 'ok', 4, 100],
        [5, 'download_ended', 'program-download', 'FB42', 'ok', 6, undefined],
      ],
    );
    // Whoever sends the job, the operation is the engineering station's action on the PLC.
    for (const o of ops) assert.equal(o.dst.ip, '10.0.0.2');
  });

  it('upload sequence: start upload, upload, end upload name the block through the upload id', () => {
    const ctx = run([
      [0, dt(job(1, [0x1d, 0, 0, 0, 0, 0, 0, 0, 0x09, ...ascii('_0800001A')]))],
      [1, dt(ackData(1, [0x1d, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x07, 0x07, ...ascii('0000120')]))],
      [0, dt(job(2, [0x1e, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07]))],
      [1, dt(ackData(2, [0x1e, 0x00], [0x00, 0x78, 0x00, 0xfb, ...new Array(120).fill(0x11)]))],
      [0, dt(job(3, [0x1f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07]))],
      [1, dt(ackData(3, [0x1f]))],
    ]);
    assert.deepEqual(
      operations(ctx.events).map((o) => [o.codeName, o.kind, o.object, o.dataBytes]),
      [
        ['start_upload', 'program-upload', 'OB1', undefined],
        ['upload', 'program-upload', 'OB1', 120],
        ['end_upload', 'program-upload', 'OB1', undefined],
      ],
    );
  });

  it('setup communication → connect with the negotiated PDU size; read/write var items', () => {
    const read = [0x04, 0x02, ...anyItem(0x02, 4, 7, 0x84, 10), ...anyItem(0x01, 1, 0, 0x83, 3)];
    const write = [0x05, 0x01, ...anyItem(0x02, 3, 1, 0x84, 0)];
    const ctx = run([
      [0, dt(setupJob(1, 960))],
      [1, dt(setupAck(1, 240))],
      [0, dt(job(2, read))],
      [1, dt(ackData(2, [0x04, 0x02], [0xff, 0x04, 0x00, 0x20, 1, 2, 3, 4, 0x0a, 0x00, 0x00, 0x00]))],
      [0, dt(job(3, write, [0x00, 0x04, 0x00, 0x18, 9, 8, 7]))],
      [1, dt(ackData(3, [0x05, 0x01], [0xff]))],
    ]);
    const [c, r, w] = operations(ctx.events);
    assert.equal(c!.kind, 'connect');
    assert.equal(c!.detail, 'pdu-size=240');
    assert.equal(r!.kind, 'read');
    assert.equal(r!.object, 'DB7.DBX10.0 BYTE 4,M3.0 BIT 1');
    assert.equal(r!.address, 10);
    assert.equal(r!.quantity, 4);
    assert.equal(r!.result, 'exception');
    assert.equal(r!.exceptionName, 'object_does_not_exist');
    assert.equal(w!.kind, 'write');
    assert.equal(w!.dataBytes, 3);
    assert.equal(w!.result, 'ok');
  });

  it('a job without response is reported as no-response at close; pending cap evicts the oldest', () => {
    const ctx = run(
      [
        [0, dt(job(1, PLC_STOP))],
        [0, dt(job(2, PLC_STOP))],
        [0, dt(job(3, PLC_STOP))],
        [1, dt(ackData(3, [0x29]))],
      ],
      { maxPendingTransactions: 2 },
    );
    const ops = operations(ctx.events);
    assert.deepEqual(ops.map((o) => [o.frame, o.result]), [[1, 'no-response'], [3, 'ok'], [2, 'no-response']]);
    assert.equal(ctx.counters['s7comm.pending-cap'], 1);
  });

  it('Ack without data carries the error class/code', () => {
    const op = only(run([[0, dt(job(9, PLC_STOP))], [1, dt(ack(9, 0x8104))]]).events);
    assert.equal(op.exceptionCode, 0x8104);
    assert.equal(op.exceptionName, 'context_not_supported');
  });
});

describe('s7comm userdata', () => {
  it('security password → authentication; wrong password → exception', () => {
    const ctx = run([
      [0, dt(userdata(0x0300, 4, 5, 1, [0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68]))],
      [1, dt(userdata(0x0300, 8, 5, 1, [], { error: 0xd602 }))],
    ]);
    const op = only(ctx.events);
    assert.equal(op.kind, 'authentication');
    assert.equal(op.code, 1);
    assert.equal(op.codeName, 'plc_password');
    assert.equal(op.subCode, 5);
    assert.equal(op.subCodeName, 'security');
    assert.equal(op.result, 'exception');
    assert.equal(op.exceptionName, 'incorrect_password');
  });

  it('set clock → time-sync with the time set; read clock → read clock', () => {
    const ts = [0x00, 0x19, 0x24, 0x03, 0x15, 0x10, 0x30, 0x45, 0x12, 0x35];
    const ctx = run([
      [0, dt(userdata(1, 4, 7, 2, ts))],
      [1, dt(userdata(1, 8, 7, 2, []))],
      [0, dt(userdata(2, 4, 7, 1, []))],
      [1, dt(userdata(2, 8, 7, 1, ts))],
    ]);
    const [set, read] = operations(ctx.events);
    assert.equal(set!.kind, 'time-sync');
    assert.equal(set!.codeName, 'set_clock');
    assert.equal(set!.detail, '2024-03-15T10:30:45.123');
    assert.equal(set!.result, 'ok');
    assert.equal(read!.kind, 'read');
    assert.equal(read!.object, 'clock');
  });

  it('SZL module identification and component identification → facts about the PLC', () => {
    const mlfb = (s: string): number[] => ascii(s.padEnd(20, ' '));
    const rec11 = (idx: number, order: string, ausbg: number, ausbe: number): number[] => [
      0x00, idx, ...mlfb(order), 0x00, 0xc0, ausbg >> 8, ausbg & 0xff, ausbe >> 8, ausbe & 0xff,
    ];
    const szl11 = [0x00, 0x11, 0x00, 0x00, 0x00, 28, 0x00, 0x03,
      ...rec11(1, '6ES7 214-1AG40-0XB0', 0, 0), ...rec11(6, '6ES7 214-1AG40-0XB0', 5, 0), ...rec11(7, '', 0x5604, 0x0201)];
    const text = (idx: number, s: string): number[] => [0x00, idx, ...ascii(s), ...new Array(32 - s.length).fill(0)];
    const szl1c = [0x00, 0x1c, 0x00, 0x00, 0x00, 34, 0x00, 0x03, ...text(1, 'PLC_LINE3'), ...text(3, 'Plant A'), ...text(5, 'S V-L9B12345')];
    const ctx = run([
      [0, cr('CR', [0x01, 0x00], [0x03, 0x01])],
      [1, cr('CC', [0x01, 0x00], [0x03, 0x01])],
      [0, dt(userdata(1, 4, 4, 1, [0x00, 0x11, 0x00, 0x00]))],
      [1, dt(userdata(1, 8, 4, 1, szl11))],
      [0, dt(userdata(2, 4, 4, 1, [0x00, 0x1c, 0x00, 0x00]))],
      [1, dt(userdata(2, 8, 4, 1, szl1c))],
      [0, dt(userdata(3, 4, 4, 1, [0x04, 0x24, 0x00, 0x00]))],
      [1, dt(userdata(3, 8, 4, 1, [0x04, 0x24, 0x00, 0x00, 0x00, 0x14, 0x00, 0x01, 0x51, 0x44, 0xff, 0x03, ...new Array(16).fill(0)]))],
    ]);
    const got = Object.fromEntries(facts(ctx.events).map((f) => [f.field, f.value]));
    assert.deepEqual(got, {
      'rack-slot': '0/1',
      'order-number': '6ES7 214-1AG40-0XB0',
      vendor: 'Siemens',
      product: 'S7-1200',
      'hardware-revision': '5',
      firmware: 'V4.2.1',
      'device-name': 'PLC_LINE3',
      'plant-name': 'Plant A',
      serial: 'S V-L9B12345',
    });
    for (const f of facts(ctx.events)) assert.equal(f.subject.ip, '10.0.0.2');
    const ops = operations(ctx.events);
    assert.deepEqual(ops.map((o) => [o.kind, o.object]), [['identify', 'szl-0x0011'], ['identify', 'szl-0x001c'], ['diagnostics', 'szl-0x0424']]);
    assert.equal(ops[2]!.detail, 'cpu-mode=stop');
  });

  describe('SZL answers in several userdata parts', () => {
    // Component identification (0x001c), ten 34-byte records as an ET 200 CPU sends them (tshark reassembles
    // s7comm_reading_plc_status.pcap frames 69 + 72 the same way): the fact records come after two that give none.
    const text = (idx: number, s: string): number[] => [0x00, idx, ...ascii(s), ...new Array(32 - s.length).fill(0)];
    const records = [
      text(4, 'Original Siemens Equipment'), text(8, 'MMC 2900FC1A'), text(1, 'IM151-8-CPU'), text(2, 'IM151-8 PN/DP CPU'),
      text(3, 'Plant A'), text(5, 'S C-C6TW74882012'), text(7, 'IM151-8 PN/DP CPU'), text(9, ''), text(10, ''), text(11, ''),
    ];
    const answer = [0x00, 0x1c, 0x00, 0x00, 0x00, 34, 0x00, records.length, ...records.flat()];
    const request = (ref: number) => dt(userdata(ref, 4, 4, 1, [0x00, 0x1c, 0x00, 0x00]));
    const continuation = (ref: number) => dt(userdata(ref, 4, 4, 1, []));
    /** The answer cut at `cuts` (payload offsets), each part with data unit reference 6. */
    function parts(cuts: number[], pduRef = 1): Step[] {
      const bounds = [0, ...cuts, answer.length];
      const steps: Step[] = [[0, request(pduRef)]];
      for (let i = 0; i + 1 < bounds.length; i++) {
        if (i > 0) steps.push([0, continuation(pduRef + i)]);
        const more = i + 2 < bounds.length;
        steps.push([1, dt(userdata(pduRef + i, 8, 4, 1, answer.slice(bounds[i], bounds[i + 1]), { dataUnitRef: 6, moreFollows: more }))]);
      }
      return steps;
    }
    const factRows = (events: OtEvent[]) => facts(events).map((f) => [f.frame, f.field, f.value]);

    it('records cut by part boundaries are completed by the next part: same facts as the answer in one PDU', () => {
      const whole = run([[0, request(1)], [1, dt(userdata(1, 8, 4, 1, answer))]]);
      const expected = [['device-name', 'IM151-8-CPU'], ['module-name', 'IM151-8 PN/DP CPU'], ['plant-name', 'Plant A'],
        ['serial', 'S C-C6TW74882012'], ['model', 'IM151-8 PN/DP CPU']];
      assert.deepEqual(factRows(whole.events).map((r) => r.slice(1)), expected);
      // Part 1 ends 20 bytes into record 3 (the PLC name), part 2 ends 30 bytes into record 6 (the serial).
      const split = run(parts([96, 208]));
      assert.deepEqual(factRows(split.events), [
        [4, 'device-name', 'IM151-8-CPU'], [4, 'module-name', 'IM151-8 PN/DP CPU'], [4, 'plant-name', 'Plant A'],
        [6, 'serial', 'S C-C6TW74882012'], [6, 'model', 'IM151-8 PN/DP CPU'],
      ]);
      assert.equal(split.counters['s7comm.szl-continued-parts'], 2);
      const ops = operations(split.events);
      assert.deepEqual(ops.map((o) => [o.object, o.detail, o.result]), [
        ['szl-0x001c', undefined, 'ok'], ['szl-0x001c', 'continuation', 'ok'], ['szl-0x001c', 'continuation', 'ok'],
      ]);
      // Any cut, including inside the SZL header's records and one byte at a time at the boundary.
      for (const cuts of [[8], [9, 10], [42, 43, 77], [200], [8 + 34 * 9 + 33]]) {
        assert.deepEqual(factRows(run(parts(cuts)).events).map((r) => r.slice(1)), expected, `cuts ${cuts}`);
      }
    });

    it('a continuation part is never read as an SZL header, and caps stop the reassembly (counted)', () => {
      // Without reassembly, part 2 would start with bytes of a record; here it decodes nothing on its own.
      const ctx = run(parts([96, 208]), undefined, { maxSzlParts: 2 });
      assert.equal(ctx.counters['s7comm.szl-parts-cap'], 1);
      assert.deepEqual(factRows(ctx.events), [[4, 'device-name', 'IM151-8-CPU'], [4, 'module-name', 'IM151-8 PN/DP CPU'], [4, 'plant-name', 'Plant A']]);
      const ctx2 = run(parts([96, 208]), undefined, { maxSzlBytes: 150 });
      assert.equal(ctx2.counters['s7comm.szl-bytes-cap'], 1);
      assert.deepEqual(factRows(ctx2.events), []);
    });

    it('a new answer while parts were still expected abandons the old one (counted)', () => {
      const steps = parts([96, 208]).slice(0, 2);
      steps.push(...parts([], 10));
      const ctx = run(steps);
      assert.equal(ctx.counters['s7comm.szl-abandoned'], 1);
      assert.deepEqual(factRows(ctx.events).map((r) => r[1]), ['device-name', 'module-name', 'plant-name', 'serial', 'model']);
    });
  });

  it('facts are reported once per distinct value per flow', () => {
    const req = dt(userdata(1, 4, 4, 1, [0x00, 0x1c, 0x00, 0x01]));
    const resp = dt(userdata(1, 8, 4, 1, [0x00, 0x1c, 0x00, 0x01, 0x00, 34, 0x00, 0x01, 0x00, 0x02, ...ascii('CPU 1516-3 PN/DP'), ...new Array(16).fill(0)]));
    const ctx = run([[0, req], [1, resp], [0, req], [1, resp]]);
    assert.deepEqual(facts(ctx.events).map((f) => [f.field, f.value]), [['module-name', 'CPU 1516-3 PN/DP']]);
  });

  it('block functions name the block list / block info', () => {
    const ctx = run([
      [0, dt(userdata(1, 4, 3, 2, ascii('0E')))],
      [1, dt(userdata(1, 8, 3, 2, [0x00, 0x01, 0x22, 0x05]))],
      [0, dt(userdata(2, 4, 3, 3, ascii('0A00017B')))],
      [1, dt(userdata(2, 8, 3, 3, [], { error: 0xd209 }))],
    ]);
    const [list, info] = operations(ctx.events);
    assert.equal(list!.object, 'block-list:FB');
    assert.equal(list!.codeName, 'list_blocks_of_type');
    assert.equal(info!.object, 'block-info:DB17');
    assert.equal(info!.exceptionCode, 0xd209);
  });

  it('PLC pushes (type 0) are counted, not reported as operations', () => {
    const ctx = run([[1, dt(userdata(0, 0, 4, 0x03, [1, 2, 3, 4]))]]);
    assert.equal(operations(ctx.events).length, 0);
    assert.equal(ctx.counters['s7comm.userdata-push'], 1);
  });
});

describe('s7comm transport', () => {
  const req = dt(job(0x0500, PLC_STOP));
  const resp = dt(ackData(0x0500, [0x29]));

  it('COTP reassembly of an S7 PDU split over several DT TPDUs', () => {
    const pdu = job(0x0500, PLC_STOP);
    const ctx = run([
      [0, dt(pdu.subarray(0, 5), false)],
      [0, dt(pdu.subarray(5, 11), false)],
      [0, dt(pdu.subarray(11), true)],
      [1, resp],
    ]);
    const op = only(ctx.events);
    assert.equal(op.codeName, 'plc_stop');
    assert.equal(op.frame, 3);
    assert.equal(ctx.counters['s7comm.cotp-reassembled'], 1);
  });

  it('COTP reassembly is capped', () => {
    const ctx = fakeContext();
    const a = new S7commFlow(ctx, { maxReassemblyBytes: 16 });
    const pdu = job(0x0500, PLC_STOP);
    const meta = { frame: 1, ts: 1 };
    for (const part of [pdu.subarray(0, 10), pdu.subarray(10, 20), pdu.subarray(20)]) {
      const f = dt(part, part.length < 10 ? true : false);
      a.onData(0, f, 0, f.length, meta);
    }
    a.onData(0, req, 0, req.length, meta); // the stream goes on after the dropped PDU
    a.onClose(meta);
    assert.equal(ctx.counters['s7comm.reassembly-cap'], 1);
    assert.equal(operations(ctx.events).length, 1);
  });

  it('several TPKTs in one segment, and one TPKT split across segments byte by byte', () => {
    const both = Buffer.concat([req, dt(job(0x0600, PI_START))]);
    const steps: Step[] = [[0, both]];
    const resps = Buffer.concat([resp, dt(ackData(0x0600, [0x28]))]);
    for (let i = 0; i < resps.length; i++) steps.push([1, resps.subarray(i, i + 1)]);
    const ops = operations(run(steps).events);
    assert.deepEqual(ops.map((o) => [o.codeName, o.result]), [['plc_stop', 'ok'], ['pi_service', 'ok']]);
  });

  it('garbage then resync', () => {
    const garbage = Buffer.from('GET / HTTP/1.1\r\n\x03\x00\x00', 'latin1');
    const ctx = run([[0, Buffer.concat([garbage, req])], [1, resp]]);
    assert.equal(only(ctx.events).codeName, 'plc_stop');
    assert.equal(ctx.counters['s7comm.resync'], 1);
    assert.ok(ctx.events.some((e) => e.type === 'anomaly' && e.anomaly === 'resync'));
  });

  it('gap then resync: the PDU cut by the gap is lost, the next one is decoded', () => {
    const second = dt(job(0x0700, PI_START));
    const ctx = run([
      [0, req.subarray(0, 10)],
      ['gap', 0, req.length - 10],
      [0, Buffer.concat([Buffer.from([0x41, 0x42]), second])],
      [1, dt(ackData(0x0700, [0x28]))],
    ]);
    const op = only(ctx.events);
    assert.equal(op.codeName, 'pi_service');
    assert.equal(ctx.counters['s7comm.gap'], 1);
  });

  it('S7comm-plus payloads are counted and ignored', () => {
    const ctx = run([[0, dt(Buffer.from([0x72, 0x01, 0x00, 0x10, 0x31, 0x00, 0x00]))]]);
    assert.equal(ctx.events.length, 0);
    assert.equal(ctx.counters['s7comm.s7plus-seen'], 1);
  });

  it('rack/slot from the destination TSAP of an accepted connection', () => {
    const ctx = run([[0, cr('CR', [0x01, 0x00], [0x01, 0x43])], [1, cr('CC', [0x01, 0x00], [0x01, 0x43])]]);
    assert.deepEqual(facts(ctx.events).map((f) => [f.field, f.value]), [['rack-slot', '2/3']]);
  });

  it('a connection confirm seen from the guessed client asks to swap sides', () => {
    const ctx = fakeContext({ ...fakeContext().flow, sidesGuessed: true });
    const a = new S7commFlow(ctx);
    const cc = cr('CC', [0x01, 0x00], [0x01, 0x02]);
    a.onData(0, cc, 0, cc.length, { frame: 1, ts: 1 });
    assert.equal(ctx.swaps, 1);
  });
});

describe('s7comm probe', () => {
  const probe = (b: Buffer) => s7commSpec.probe(b, 0, b.length, 0);
  it('says Yes to S7 DT and S7-style CR, No to S7comm-plus, MMS-style payloads and non-TPKT', () => {
    assert.equal(probe(dt(setupJob(1))), Probe.Yes);
    assert.equal(probe(cr('CR', [0x01, 0x00], [0x01, 0x02])), Probe.Yes);
    assert.equal(probe(dt(Buffer.from([0x72, 0x01, 0x00, 0x10]))), Probe.No);
    assert.equal(probe(dt(Buffer.from([0x01, 0x00, 0x01, 0x00]))), Probe.No);
    assert.equal(probe(Buffer.from('GET / HTTP/1.1\r\n')), Probe.No);
    assert.equal(probe(Buffer.from([0x03, 0x00])), Probe.NeedMore);
    assert.equal(probe(cr('CR', [0x00, 0x01], [0x00, 0x01])), Probe.Maybe);
  });
  it('never reads outside the given window', () => {
    const b = Buffer.concat([Buffer.from([0xaa, 0xbb]), dt(setupJob(1))]);
    assert.equal(s7commSpec.probe(b, 2, b.length - 2, 0), Probe.Yes);
    assert.equal(s7commSpec.probe(b, 2, 5, 0), Probe.NeedMore);
  });
});

describe('s7comm helpers', () => {
  it('derives the S7 family from the order number', () => {
    assert.equal(familyFromOrderNumber('6ES7 315-2EH14-0AB0'), 'S7-300');
    assert.equal(familyFromOrderNumber('6ES7 412-5HK06-0AB0'), 'S7-400');
    assert.equal(familyFromOrderNumber('6ES7 214-1AG40-0XB0'), 'S7-1200');
    assert.equal(familyFromOrderNumber('6ES7 516-3AN01-0AB0'), 'S7-1500');
    assert.equal(familyFromOrderNumber('3RK1 200-0CE00-0AA2'), '');
  });
});
