import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Dir } from '../analyzer.js';
import { recordingContext } from '../common/test-support.js';
import { fuzzRuns } from '../../util/fuzz-budget.js';
import { BacnetSession } from './session.js';
import { probeBacnet } from './probe.js';
import { Tag, readTag, skipElement } from './parser.js';
import { apdu, bvlc, hex } from './test-support.js';

// Valid datagrams covering every decoder path; mutations of them reach deep into the parsers.
const SEEDS: Buffer[] = [
  hex('810a001601240003016cff0203010c0c004000651955'),
  hex('810a001b01080003016c30010c0c0040006519553e4442c800003f'),
  hex('810a001c01240003016cff0203891409001d0900657468657265616c'),
  hex('810a001101080003016c5089149105911a'),
  hex('810b001401001000c4020000002204009100219a'),
  apdu('0205410e 0c0200004d 1e 0979 0946 092c 1f'),
  apdu('3c4100040e 0c0200004d 1e 2979 4e 7505 0041636d65 4f 1f'),
  apdu('00053007 c402800002 0e 3100 650a00010203040506070809 0f'),
  apdu('0005220f 0c00800003 1955 3e 4442910000 3f 4908'),
  apdu('0005100f 0c00800003 1e 0955 2e 4442910000 2f 1f'),
  apdu('00050111 093c 1902'),
  apdu('0003011d 1000 c40200001d 2201e0 9103 220104', '08'),
  bvlc('c0a80069 bac0 0100 1000 c40200007b 2205c0 9103 220104', 0x04),
  bvlc('0180 01 0003 0005', 0x0b),
  bvlc('003c', 0x05),
  bvlc('0030', 0x00),
  apdu('50330c 0e 9102 9120 0f'),
  apdu('1008 0a0001 1a0010'),
];

/** Runs datagrams (each placed at `pad` inside a buffer filled with `fill`) through one session. */
function runAll(datagrams: Uint8Array[], pad: number, fill: number): string {
  const ctx = recordingContext({ transport: 'udp', clientPort: 47808, serverPort: 47808, sidesGuessed: true }, { maxPendingTransactions: 4, maxBufferBytes: 512 });
  const session = new BacnetSession(ctx);
  let frame = 0;
  for (const d of datagrams) {
    const buf = Buffer.alloc(pad + d.length + pad, fill);
    buf.set(d, pad);
    frame++;
    session.onData(frame % 3 === 0 ? Dir.ToClient : Dir.ToServer, buf, pad, d.length, { frame, ts: frame });
    probeBacnet(buf, pad, d.length);
  }
  session.onClose({ frame, ts: frame });
  return JSON.stringify([ctx.events, ctx.counters]);
}

const mutated = fc.tuple(fc.constantFrom(...SEEDS), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.nat()).map(([seed, flips, cut]) => {
  const b = Buffer.from(seed);
  for (const [pos, value] of flips) b[4 + (pos % Math.max(1, b.length - 4))] = value;
  // Keep the BVLC length consistent half of the time so mutations get past the framing check.
  const len = cut % 2 === 0 ? b.length : Math.max(0, b.length - (cut % b.length));
  const out = b.subarray(0, len);
  if (len >= 4 && cut % 4 === 0) out.writeUInt16BE(len, 2);
  return new Uint8Array(out);
});

const randomDatagram = fc.uint8Array({ maxLength: 80 }).map((b) => {
  if (b.length >= 4 && b[0]! % 2 === 0) {
    b[0] = 0x81;
    b[1] = b[1]! % 13;
    b[2] = b.length >> 8;
    b[3] = b.length & 0xff;
    if (b.length > 4) b[4] = 1;
  }
  return b;
});

test('random and mutated datagrams never throw and never read outside their window', () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(mutated, randomDatagram), { minLength: 1, maxLength: 12 }), (datagrams) => {
      // Same datagrams, different surrounding bytes: any read outside [off, off+len) would change the result.
      const a = runAll(datagrams, 7, 0x00);
      const b = runAll(datagrams, 13, 0xff);
      assert.equal(a, b);
    }),
    { numRuns: fuzzRuns(300) },
  );
});

test('tag reader stays inside its window and skipElement terminates', () => {
  const t = new Tag();
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), fc.nat(40), (bytes, cut) => {
      const end = Math.min(bytes.length, cut);
      if (readTag(bytes, 0, end, t)) {
        assert.ok(t.next <= end && t.valueOff + t.valueLen <= end);
      }
      const next = skipElement(bytes, 0, end, t, 64);
      assert.ok(next === -1 || (next > 0 && next <= end));
    }),
    { numRuns: fuzzRuns(500) },
  );
});

test('probe never throws on arbitrary input', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      const b = Buffer.from(bytes);
      const r = probeBacnet(b, 0, b.length);
      assert.ok(r >= 0 && r <= 3);
    }),
    { numRuns: fuzzRuns(500) },
  );
});
