import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Dir, Probe } from '../analyzer.js';
import { recordingContext } from '../common/test-support.js';
import { fuzzRuns } from '../../util/fuzz-budget.js';
import { dnp3Spec } from './index.js';
import { dnp3Crc, frameLink } from './link.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** Builds a link frame (header CRC + 16-byte blocks with CRCs) around transport+application bytes. */
function linkFrame(fromMaster: boolean, dest: number, src: number, userData: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header[0] = 0x05;
  header[1] = 0x64;
  header[2] = 5 + userData.length;
  header[3] = (fromMaster ? 0x80 : 0) | 0x40 | 0x04; // DIR, PRM, unconfirmed user data
  header.writeUInt16LE(dest, 4);
  header.writeUInt16LE(src, 6);
  const parts = [header, crc(header)];
  for (let i = 0; i < userData.length; i += 16) {
    const block = userData.subarray(i, i + 16);
    parts.push(block, crc(block));
  }
  return Buffer.concat(parts);
}
function crc(b: Buffer): Buffer {
  const c = dnp3Crc(b, 0, b.length);
  return Buffer.from([c & 0xff, c >>> 8]);
}
/** One transport segment (FIR|FIN, seq) carrying an application fragment. */
const tpdu = (seq: number, app: string) => Buffer.concat([Buffer.from([0xc0 | seq]), hex(app)]);

// read class 0 (g60v1, qualifier 06), app seq 2
const READ = linkFrame(true, 10, 1, tpdu(0, 'c2 01 3c 01 06'));
const READ_RESP = linkFrame(false, 1, 10, tpdu(0, 'c2 81 00 00 1e 01 00 00 00 00 00 00'));
const COLD_RESTART = linkFrame(true, 10, 1, tpdu(1, 'c3 0d'));
const COLD_RESP = linkFrame(false, 1, 10, tpdu(1, 'c3 81 00 00 34 02 07 01 10 27'));
// select CROB g12v1 index 3, then the outstation answers "object unknown" (IIN2 bit 1)
const SELECT = linkFrame(true, 10, 1, tpdu(2, 'c4 03 0c 01 28 01 00 03 00 03 01 64 00 00 00 64 00 00 00 00'));
const SELECT_FAIL = linkFrame(false, 1, 10, tpdu(2, 'c4 81 00 02'));
const DIRECT_NOACK = linkFrame(true, 10, 1, tpdu(3, 'c5 06 0c 01 28 01 00 03 00 03 01 64 00 00 00 64 00 00 00 00'));

function feed(s: ReturnType<typeof dnp3Spec.create>, dir: 0 | 1, b: Buffer, frame: number) {
  s.onData(dir, b, 0, b.length, { frame, ts: 1700000000 + frame });
}

test('link framing checks the header CRC', () => {
  assert.equal(frameLink(READ, 0, READ.length), READ.length);
  assert.equal(frameLink(READ, 0, 9), 0);
  const bad = Buffer.from(READ);
  bad[8] ^= 0xff;
  assert.equal(frameLink(bad, 0, bad.length), -1);
  assert.equal(dnp3Spec.probe(READ, 0, READ.length, Dir.ToServer), Probe.Yes);
  assert.equal(dnp3Spec.probe(bad, 0, bad.length, Dir.ToServer), Probe.No);
  assert.equal(dnp3Spec.probe(Buffer.from('GET / HTTP/1.0\r\n'), 0, 16, Dir.ToServer), Probe.No);
});

test('the tshark-verified frame of dnp3_udp_select_operate.pcap (frame 1) decodes as select g12v1', () => {
  // link frame bytes copied from `tshark -x` of the corpus file; its CRCs are the real ones.
  const real = hex('05 64 1a c4 01 00 64 00 62 27 c7 c9 03 0c 01 28 01 00 01 00 03 01 64 00 00 00 61 19 64 00 00 00 00 00 5b');
  const reply = hex('05 64 1c 44 64 00 01 00 d3 f2 f0 c9 81 90 00 0c 01 28 01 00 01 00 03 01 64 00 23 b1 00 00 64 00 00 00 00 00 5b');
  const ctx = recordingContext({ transport: 'udp', serverPort: 20000 });
  const s = dnp3Spec.create(ctx);
  feed(s, Dir.ToServer, real, 1);
  feed(s, Dir.ToClient, reply, 2);
  const [op] = ctx.operations();
  assert.ok(op);
  assert.deepEqual([op.code, op.codeName, op.kind, op.detail, op.object, op.unit, op.result, op.responseFrame], [3, 'select', 'control', 'select', 'g12v1', 1, 'ok', 2]);
});

test('read, cold restart, failed select and a no-ack direct operate', () => {
  const ctx = recordingContext({ serverPort: 20000 });
  const s = dnp3Spec.create(ctx);
  feed(s, Dir.ToServer, READ, 1);
  feed(s, Dir.ToClient, READ_RESP, 2);
  feed(s, Dir.ToServer, COLD_RESTART, 3);
  feed(s, Dir.ToClient, COLD_RESP, 4);
  feed(s, Dir.ToServer, SELECT, 5);
  feed(s, Dir.ToClient, SELECT_FAIL, 6);
  feed(s, Dir.ToServer, DIRECT_NOACK, 7);
  s.onClose({ frame: 8, ts: 0 });
  assert.deepEqual(
    ctx.operations().map((o) => [o.frame, o.codeName, o.kind, o.detail, o.object, o.result, o.exceptionName]),
    [
      [1, 'read', 'read', undefined, 'g60v1', 'ok', undefined],
      [3, 'cold_restart', 'restart', 'cold', undefined, 'ok', undefined],
      [5, 'select', 'control', 'select', 'g12v1', 'exception', 'object_unknown'],
      [7, 'direct_operate_no_ack', 'control', 'direct-operate', 'g12v1', 'unknown', undefined],
    ],
  );
});

test('an application fragment split over two transport segments and two TCP segments', () => {
  const app = hex('c6 01 3c 02 06 3c 03 06 3c 04 06 3c 01 06');
  const first = linkFrame(true, 10, 1, Buffer.concat([Buffer.from([0x40 | 5]), app.subarray(0, 6)]));
  const second = linkFrame(true, 10, 1, Buffer.concat([Buffer.from([0x80 | 6]), app.subarray(6)]));
  const stream = Buffer.concat([first, second]);
  const ctx = recordingContext();
  const s = dnp3Spec.create(ctx);
  s.onData(Dir.ToServer, stream, 0, 13, { frame: 1, ts: 1 });
  s.onData(Dir.ToServer, stream, 13, stream.length - 13, { frame: 2, ts: 2 });
  s.onClose({ frame: 3, ts: 3 });
  const [op] = ctx.operations();
  assert.equal(op?.object, 'g60v2,g60v3,g60v4,g60v1');
  assert.equal(op?.frame, 2);
});

test('garbage, a bad block CRC and a gap are counted; parsing resumes', () => {
  const ctx = recordingContext();
  const s = dnp3Spec.create(ctx);
  const corrupt = Buffer.from(COLD_RESTART);
  corrupt[11] ^= 0x01; // inside the first data block
  feed(s, Dir.ToServer, Buffer.concat([hex('00 11 22 05 00'), corrupt, READ]), 1);
  s.onGap(Dir.ToServer, 500, { frame: 2, ts: 2 });
  feed(s, Dir.ToServer, Buffer.concat([READ.subarray(4), SELECT]), 3);
  s.onClose({ frame: 4, ts: 4 });
  assert.deepEqual(ctx.operations().map((o) => [o.frame, o.codeName]), [[1, 'read'], [3, 'select']]);
  assert.equal(ctx.counters['dnp3.crc-error'], 1);
  assert.ok((ctx.counters['dnp3.malformed'] ?? 0) >= 1);
  assert.equal(ctx.counters['dnp3.gap'], 1);
});

test('property: arbitrary and mutated input never throws', () => {
  const valid = Buffer.concat([READ, READ_RESP, COLD_RESTART, COLD_RESP, SELECT, SELECT_FAIL]);
  const mutated = fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }).map((edits) => {
    const b = Buffer.from(valid);
    for (const [i, v] of edits) b[i] = v;
    return b;
  });
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 700 }).map((u) => Buffer.from(u)), mutated), fc.nat(700), fc.boolean(), (bytes, cut, udp) => {
      const ctx = recordingContext({ transport: udp ? 'udp' : 'tcp' }, { maxBufferBytes: 400 });
      const s = dnp3Spec.create(ctx);
      dnp3Spec.probe(bytes, 0, bytes.length, Dir.ToServer);
      const c = cut % (bytes.length + 1);
      s.onData(Dir.ToServer, bytes, 0, c, { frame: 1, ts: 0 });
      s.onData(Dir.ToClient, bytes, c, bytes.length - c, { frame: 2, ts: 0 });
      s.onClose({ frame: 3, ts: 0 });
      for (const e of ctx.operations()) assert.equal(typeof e.codeName, 'string');
    }),
    { numRuns: fuzzRuns(400) },
  );
});
