import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Dir, Probe } from '../analyzer.js';
import { recordingContext } from '../common/test-support.js';
import { fuzzRuns } from '../../util/fuzz-budget.js';
import { DcerpcTcpSession, probeDcerpc } from './index.js';
import { SRVSVC_UUID, bind, bindAck, fault, netPathCanonicalizeStub, request, response } from './test-frames.js';

function session() {
  const ctx = recordingContext({ serverPort: 135 });
  const s = new DcerpcTcpSession(ctx);
  let frame = 0;
  const send = (dir: Dir, b: Buffer) => s.onData(dir, b, 0, b.length, { frame: ++frame, ts: frame });
  return { ctx, s, send };
}

const MS08_067_PATH = '\\' + 'A'.repeat(600) + '\\..\\..\\' + 'B'.repeat(40);

test('probe: a client bind is Yes, a mid-stream request Maybe, other bytes No', () => {
  const b = bind(1, 0, SRVSVC_UUID, 3);
  assert.equal(probeDcerpc(b, 0, b.length, Dir.ToServer), Probe.Yes);
  const r = request(2, 0, 15, Buffer.alloc(8));
  assert.equal(probeDcerpc(r, 0, r.length, Dir.ToServer), Probe.Maybe);
  assert.equal(probeDcerpc(Buffer.from('GET / HTTP/1.1\r\n'), 0, 16, Dir.ToServer), Probe.No);
  assert.equal(probeDcerpc(b, 0, 3, Dir.ToServer), Probe.NeedMore);
});

test('bind/bind_ack names the interface; NetPathCanonicalize with an overlong path reports path_len (MS08-067)', () => {
  const { ctx, s, send } = session();
  send(Dir.ToServer, bind(1, 0, SRVSVC_UUID, 3));
  send(Dir.ToClient, bindAck(1, 0));
  send(Dir.ToServer, request(2, 0, 31, netPathCanonicalizeStub('SERVER', MS08_067_PATH)));
  send(Dir.ToClient, response(2, Buffer.from([0, 0, 0, 0, 0x7b, 0, 0, 0])));
  s.onClose({ frame: 9, ts: 9 });
  const ops = ctx.operations();
  assert.equal(ops.length, 2);
  assert.deepEqual([ops[0]!.codeName, ops[0]!.object, ops[0]!.result, ops[0]!.attributes?.uuid, ops[0]!.responseFrame], ['bind', 'srvsvc', 'ok', SRVSVC_UUID, 2]);
  const call = ops[1]!;
  assert.equal(call.codeName, 'srvsvc_netpathcanonicalize');
  assert.equal(call.code, 31);
  assert.equal(call.attributes?.path_len, MS08_067_PATH.length);
  assert.equal(call.attributes?.path_traversal, true);
  assert.equal(call.attributes?.return_code, 0x7b);
  assert.equal(call.responseFrame, 4);
});

test('fragmented request: lengths add up over first..last fragments, arguments come from the first', () => {
  const { ctx, send } = session();
  send(Dir.ToServer, bind(1, 0, SRVSVC_UUID, 3));
  send(Dir.ToClient, bindAck(1, 0));
  const stub = netPathCanonicalizeStub('S', MS08_067_PATH);
  const cut = 700;
  send(Dir.ToServer, request(7, 0, 31, stub.subarray(0, cut), 1));
  send(Dir.ToServer, request(7, 0, 31, stub.subarray(cut), 2));
  send(Dir.ToClient, fault(7, 0x1c010002));
  const call = ctx.operations().find((o) => o.code === 31)!;
  assert.equal(call.attributes?.stub_len, stub.length);
  assert.equal(call.attributes?.fragments, 2);
  assert.equal(call.attributes?.path_len, MS08_067_PATH.length);
  assert.equal(call.result, 'exception');
  assert.equal(call.exceptionName, 'nca_s_op_rng_error');
});

test('rejected bind context is an exception; requests on unknown contexts are counted', () => {
  const { ctx, send } = session();
  send(Dir.ToServer, bind(1, 0, SRVSVC_UUID, 3));
  send(Dir.ToClient, bindAck(1, 2));
  send(Dir.ToServer, request(2, 0, 15, Buffer.alloc(8)));
  assert.equal(ctx.operations()[0]!.result, 'exception');
  assert.equal(ctx.counters['dcerpc.unknown-context'], 1);
});

test('byte-at-a-time delivery yields the same events as whole PDUs', () => {
  const stream = Buffer.concat([bind(1, 0, SRVSVC_UUID, 3), request(2, 0, 31, netPathCanonicalizeStub('S', 'C:\\x'))]);
  const whole = session();
  whole.send(Dir.ToServer, stream);
  whole.s.onClose({ frame: 99, ts: 99 });
  const split = session();
  for (let i = 0; i < stream.length; i++) split.s.onData(Dir.ToServer, stream, i, 1, { frame: 1, ts: 1 });
  split.s.onClose({ frame: 99, ts: 99 });
  const strip = (ctx: typeof whole.ctx) => ctx.operations().map((o) => [o.codeName, o.attributes?.path_len, o.attributes?.stub_len]);
  assert.deepEqual(strip(split.ctx), strip(whole.ctx));
  assert.equal(strip(whole.ctx).length, 2);
});

test('property: random and mutated streams, any segmentation, never throw', () => {
  const base = Buffer.concat([bind(1, 0, SRVSVC_UUID, 3), bindAck(1, 0), request(2, 0, 31, netPathCanonicalizeStub('S', MS08_067_PATH)), response(2, Buffer.alloc(8))]);
  fc.assert(
    fc.property(
      fc.oneof(fc.uint8Array({ maxLength: 600 }), fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 12 }).map((edits) => {
        const b = Buffer.from(base);
        for (const [i, v] of edits) b[i] = v;
        return new Uint8Array(b);
      })),
      fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 8 }),
      (bytes, cuts) => {
        const { s } = session();
        const buf = Buffer.from(bytes);
        let off = 0;
        let i = 0;
        while (off < buf.length) {
          const n = Math.min(cuts[i++ % cuts.length]!, buf.length - off);
          s.onData(i % 3 === 0 ? Dir.ToClient : Dir.ToServer, buf, off, n, { frame: i, ts: i });
          off += n;
        }
        s.onGap(Dir.ToServer, 10, { frame: i, ts: i });
        s.onClose({ frame: i + 1, ts: i + 1 });
      },
    ),
    { numRuns: fuzzRuns(300) },
  );
});
