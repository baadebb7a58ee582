import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fuzzRuns } from '../../util/fuzz-budget.js';
import { DecodedPacket } from '../../decode/packet.js';
import { Dir } from '../analyzer.js';
import { recordingContext } from '../common/test-support.js';
import { ProfinetL2Analyzer } from './index.js';
import { PnioCallTable, PnioCmSession } from './cm.js';
import { dcpPdu, ethernetFrame, identityBlocks, packetOf, recordingL2Context, rtaAlarm, setName } from './test-support.js';

const seeds = [
  dcpPdu(0xfeff, 5, 1, 1, identityBlocks({ name: 'a', typeOfStation: 'b', vendorId: 0x2a, deviceId: 1, role: 2, ip: '10.0.0.1', mask: '255.0.0.0', gw: '0.0.0.0' })),
  dcpPdu(0xfefd, 4, 0, 2, [setName('x')]),
  rtaAlarm(0xfe01, 1, 1, 1, 1),
];

/** Frames whose payload is a seed with random bytes overwritten and a random length cut, or pure noise. */
const payloads = fc.oneof(
  fc.uint8Array({ minLength: 0, maxLength: 200 }).map((b) => Buffer.from(b)),
  fc.tuple(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }), fc.nat()).map(([seed, edits, cut]) => {
    const b = Buffer.from(seed);
    for (const [at, v] of edits) b[at % b.length] = v;
    return b.subarray(0, cut % (b.length + 1));
  }),
);

test('L2: random and mutated PROFINET frames never throw; payload lengths beyond the buffer are clamped', () => {
  fc.assert(
    fc.property(fc.array(payloads, { minLength: 1, maxLength: 20 }), (list) => {
      const ctx = recordingL2Context();
      const analyzer = new ProfinetL2Analyzer({ maxPending: 4, maxStreams: 8 });
      const pkt = new DecodedPacket();
      list.forEach((payload, i) => {
        const frame = ethernetFrame('00:00:00:00:00:01', '00:00:00:00:00:02', payload).subarray(0, 14 + payload.length);
        analyzer.onFrame(packetOf(Buffer.from(frame), i + 1, i, pkt), ctx);
        // A packet claiming more payload than the buffer holds must be handled too.
        pkt.l2PayloadLen += 50;
        analyzer.onFrame(pkt, ctx);
      });
      analyzer.onCaptureEnd(ctx);
      // Values read past the buffer would be undefined and turn numbers into NaN.
      for (const e of ctx.events) {
        if (e.type === 'operation') assert.ok(Number.isInteger(e.code) && Number.isInteger(e.subCode ?? 0) && Number.isInteger(e.address ?? 0));
      }
    }),
    { numRuns: fuzzRuns(300) },
  );
});

test('CM: random and mutated DCE/RPC datagrams never throw', () => {
  const base = Buffer.alloc(80 + 84);
  base[0] = 4;
  Buffer.from('dea000016c9711d1827100a02442df7d', 'hex').copy(base, 24);
  base.writeUInt16BE(84, 74);
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.boolean(), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 12 }), fc.nat()), { minLength: 1, maxLength: 10 }), (list) => {
      const ctx = recordingContext({ transport: 'udp', serverPort: 34964, sidesGuessed: true });
      const session = new PnioCmSession(ctx, new PnioCallTable(4));
      list.forEach(([toServer, edits, cut], i) => {
        const b = Buffer.from(base);
        for (const [at, v] of edits) b[at % b.length] = v;
        const d = b.subarray(0, cut % (b.length + 1));
        session.onData(toServer ? Dir.ToServer : Dir.ToClient, Buffer.from(d), 0, d.length, { frame: i + 1, ts: i });
      });
      session.onClose();
    }),
    { numRuns: fuzzRuns(300) },
  );
});
