/**
 * The session's own encapsulation framing: messages split across segments, the buffer cap, resync after
 * garbage and datagram truncation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Dir } from '../analyzer.js';
import { recordingContext } from '../common/test-support.js';
import { fuzzRuns } from '../../util/fuzz-budget.js';
import { EnipSession } from './session.js';

const NOP = 0x0000;
const UNREGISTER_SESSION = 0x0066;

function encap(command: number, payloadBytes: number): Buffer {
  const msg = Buffer.alloc(24 + payloadBytes, 0x5a);
  msg.fill(0, 0, 24);
  msg.writeUInt16LE(command, 0);
  msg.writeUInt16LE(payloadBytes, 2);
  return msg;
}

function feed(session: EnipSession, dir: Dir, stream: Buffer, cuts: number[], firstFrame = 1): void {
  let at = 0;
  let frame = firstFrame;
  for (const cut of [...cuts, stream.length]) {
    // The segment sits inside a larger buffer, as a packet's payload does.
    const packet = Buffer.concat([Buffer.alloc(7, 0xee), stream.subarray(at, cut), Buffer.alloc(5, 0xee)]);
    session.onData(dir, packet, 7, cut - at, { frame: frame++, ts: frame });
    at = cut;
  }
}

function kinds(events: ReadonlyArray<{ type: string }>): string[] {
  return events.map((e) => ('anomaly' in e ? `anomaly:${String(e.anomaly)}` : `${e.type}:${'codeName' in e ? String(e.codeName) : ''}`));
}

test('messages split at any points frame as when whole', () => {
  const message = fc.record({ unregister: fc.boolean(), payload: fc.integer({ min: 0, max: 300 }) });
  fc.assert(
    fc.property(fc.array(message, { minLength: 1, maxLength: 12 }), fc.array(fc.nat(), { maxLength: 8 }), (messages, rawCuts) => {
      const stream = Buffer.concat(messages.map((m) => (m.unregister ? encap(UNREGISTER_SESSION, 0) : encap(NOP, m.payload))));
      const cuts = [...new Set(rawCuts.map((c) => c % stream.length))].filter((c) => c > 0).sort((a, b) => a - b);
      const whole = recordingContext({ serverPort: 44818 });
      new EnipSession(whole).onData(Dir.ToServer, stream, 0, stream.length, { frame: 1, ts: 1 });
      const split = recordingContext({ serverPort: 44818 });
      feed(new EnipSession(split), Dir.ToServer, stream, cuts);
      const unregisters = messages.filter((m) => m.unregister).length;
      assert.equal(whole.events.length, unregisters);
      assert.deepEqual(kinds(split.events), kinds(whole.events));
      assert.equal(split.counters['enip.command.nop'] ?? 0, messages.length - unregisters);
    }),
    { numRuns: fuzzRuns(200) },
  );
});

test('a partial message beyond the buffer cap is dropped once, reported after the segment, and framing resumes', () => {
  const ctx = recordingContext({ serverPort: 44818 }, { maxBufferBytes: 100 });
  const session = new EnipSession(ctx);
  const big = encap(NOP, 200);
  const after = encap(UNREGISTER_SESSION, 0);
  // Segment 1 carries a whole message and the start of one that cannot fit the cap: nothing is kept.
  const first = Buffer.concat([after, big.subarray(0, 150)]);
  session.onData(Dir.ToServer, first, 0, first.length, { frame: 1, ts: 1 });
  assert.deepEqual(kinds(ctx.events), ['operation:unregister_session', 'anomaly:buffer-cap']);
  // Segment 2 holds the rest of the dropped message then a whole one: the rest is garbage (reported once),
  // the whole one frames.
  const rest = Buffer.concat([big.subarray(150), after]);
  session.onData(Dir.ToServer, rest, 0, rest.length, { frame: 2, ts: 2 });
  assert.deepEqual(kinds(ctx.events).slice(2), ['anomaly:malformed', 'operation:unregister_session']);
});

test('carried bytes plus a segment beyond the cap: the carried part is dropped and the segment framed afresh', () => {
  const ctx = recordingContext({ serverPort: 44818 }, { maxBufferBytes: 100 });
  const session = new EnipSession(ctx);
  const message = encap(UNREGISTER_SESSION, 0);
  session.onData(Dir.ToServer, message, 0, 10, { frame: 1, ts: 1 });
  assert.equal(ctx.events.length, 0);
  const segment = Buffer.concat([encap(NOP, 40), message, encap(NOP, 20)]);
  session.onData(Dir.ToServer, segment, 0, segment.length, { frame: 2, ts: 2 });
  assert.deepEqual(kinds(ctx.events), ['operation:unregister_session', 'anomaly:buffer-cap']);
  assert.equal(ctx.counters['enip.command.nop'], 2);
});

test('directions are framed apart and a gap forgets only its own direction', () => {
  const ctx = recordingContext({ serverPort: 44818 });
  const session = new EnipSession(ctx);
  const message = encap(UNREGISTER_SESSION, 0);
  session.onData(Dir.ToServer, message, 0, 12, { frame: 1, ts: 1 });
  session.onData(Dir.ToClient, message, 0, 12, { frame: 2, ts: 2 });
  session.onGap(Dir.ToClient, 100, { frame: 3, ts: 3 });
  session.onData(Dir.ToServer, message, 12, 12, { frame: 4, ts: 4 });
  assert.deepEqual(kinds(ctx.events), ['anomaly:gap', 'operation:unregister_session']);
  // After the gap, the client direction's next bytes start a message of their own.
  session.onData(Dir.ToClient, message, 0, message.length, { frame: 5, ts: 5 });
  assert.deepEqual(kinds(ctx.events).slice(2), ['operation:unregister_session']);
});

test('a datagram ending inside a message drops that part and counts it', () => {
  const ctx = recordingContext({ serverPort: 44818, transport: 'udp' });
  const session = new EnipSession(ctx);
  const message = encap(UNREGISTER_SESSION, 0);
  const datagram = Buffer.concat([message, message.subarray(0, 10)]);
  session.onData(Dir.ToServer, datagram, 0, datagram.length, { frame: 1, ts: 1 });
  assert.equal(ctx.counters['enip.truncated'], 1);
  session.onData(Dir.ToServer, message, 0, message.length, { frame: 2, ts: 2 });
  assert.deepEqual(kinds(ctx.events), ['operation:unregister_session', 'operation:unregister_session']);
});
