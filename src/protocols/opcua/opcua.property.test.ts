/** Property tests: random, mutated and re-segmented streams never throw, never hang, never read out of bounds. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Dir, Probe } from '../analyzer.js';
import { OPERATION_KINDS } from '../../events/types.js';
import { recordingContext } from '../common/test-support.js';
import { fuzzRuns } from '../../util/fuzz-budget.js';
import { opcuaSpec } from './index.js';
import { POLICY_NONE, ack, hello, msg, numericNodeId, openRequest, openResponse, readNodes, serviceRequest, serviceResponse, stringNodeId } from './test-support.js';

const KINDS = new Set<string>(OPERATION_KINDS);
const PROBES = new Set<number>(Object.values(Probe));

function conversation(n: number): [Buffer, Buffer] {
  const up = [hello('opc.tcp://plc:4840'), openRequest(POLICY_NONE, 1)];
  const down = [ack(), openResponse(POLICY_NONE, 1)];
  for (let i = 0; i < n; i++) {
    up.push(msg(10 + i, serviceRequest(numericNodeId(631), i, readNodes([stringNodeId(1, `tag${i}`)]))));
    down.push(msg(10 + i, serviceResponse(numericNodeId(634), i)));
  }
  return [Buffer.concat(up), Buffer.concat(down)];
}

/** Feeds the requests, then the responses, each cut into segments of sizes taken from `cuts`. */
function feed(up: Buffer, down: Buffer, cuts: number[]) {
  const ctx = recordingContext({ serverPort: 4840 }, { maxBufferBytes: 4096, maxPendingTransactions: 8 });
  const session = opcuaSpec.create(ctx);
  let frame = 1;
  let c = 0;
  for (const [dir, b] of [[Dir.ToServer, up], [Dir.ToClient, down]] as Array<[Dir, Buffer]>) {
    for (let pos = 0; pos < b.length; ) {
      const n = Math.min(b.length - pos, (cuts[c++ % cuts.length] ?? 7) + 1);
      session.onData(dir, b, pos, n, { frame: frame++, ts: 0 });
      pos += n;
    }
  }
  session.onClose({ frame, ts: 0 });
  return ctx;
}

test('segmentation is invisible: any re-cut of a conversation yields the same operations', () => {
  const [up, down] = conversation(5);
  const whole = feed(up, down, [1 << 20]).operations().map((o) => [o.codeName, o.object, o.result]);
  assert.equal(whole.length, 7);
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 200 }), { minLength: 1, maxLength: 20 }), (cuts) => {
      assert.deepEqual(feed(up, down, cuts).operations().map((o) => [o.codeName, o.object, o.result]), whole);
    }),
    { numRuns: fuzzRuns(40) },
  );
});

test('random bytes and mutated conversations never throw and only produce well-formed events', () => {
  const [up, down] = conversation(3);
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 600 }),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 12 }),
      fc.array(fc.integer({ min: 0, max: 64 }), { minLength: 1, maxLength: 8 }),
      (noise, flips, cuts) => {
        for (const buf of [Buffer.from(noise), Buffer.concat([up.subarray(0, 40), Buffer.from(noise), up.subarray(40)])]) {
          assert.ok(PROBES.has(opcuaSpec.probe(buf, 0, buf.length, Dir.ToServer)));
          const mutatedUp = Buffer.from(up);
          const mutatedDown = Buffer.from(down);
          for (const [at, v] of flips) (at % 2 ? mutatedDown : mutatedUp)[at % mutatedUp.length % (at % 2 ? mutatedDown.length : mutatedUp.length)] = v;
          for (const ctx of [feed(buf, mutatedDown, cuts), feed(mutatedUp, buf, cuts)]) {
            for (const e of ctx.events) {
              if (e.type === 'operation') {
                assert.ok(KINDS.has(e.kind));
                assert.ok(Number.isInteger(e.code) && e.code >= 0);
              }
            }
          }
        }
      },
    ),
    { numRuns: fuzzRuns(60) },
  );
});

test('a gap mid-message resyncs on the next header', () => {
  const [up, down] = conversation(2);
  const ctx = recordingContext({ serverPort: 4840 });
  const session = opcuaSpec.create(ctx);
  session.onData(Dir.ToServer, up, 0, 100, { frame: 1, ts: 0 });
  session.onGap(Dir.ToServer, 20, { frame: 2, ts: 0 });
  session.onData(Dir.ToServer, up, 120, up.length - 120, { frame: 3, ts: 0 });
  session.onData(Dir.ToClient, down, 0, down.length, { frame: 4, ts: 0 });
  session.onClose({ frame: 5, ts: 0 });
  assert.equal(ctx.counters['opcua.gap'], 1);
  assert.ok(ctx.operations().filter((o) => o.codeName === 'read' && o.result === 'ok').length >= 1);
});
