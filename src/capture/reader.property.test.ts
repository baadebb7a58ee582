/**
 * Robustness: arbitrary bytes and mutated valid captures never make the reader throw anything but
 * CaptureInputError, never hang, and every delivered packet is a verbatim slice of the input.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { fuzzRuns } from '../util/fuzz-budget.js';
import { readCaptureStream } from './reader.js';
import { buildPcap, buildPcapng, frameOf } from './test-support/builders.js';
import { CaptureInputError, type PacketRecord } from './types.js';

const SEEDS = [
  buildPcap({ linkType: 1 }, (w) => {
    for (let i = 0; i < 6; i++) w.write(1000 + i, i * 1000, frameOf(10 + i * 13, i));
  }),
  buildPcap({ linkType: 101, nanosecond: true, bigEndian: true }, (w) => {
    for (let i = 0; i < 6; i++) w.write(1000 + i, i, frameOf(20 + i, i));
  }),
  buildPcapng({}, (w) => {
    w.addInterface({ linkType: 1, name: 'x', tsresol: 9 });
    w.addInterface({ linkType: 113, tsresol: 0x94 });
    w.writeNames([{ address: '10.1.2.3', names: ['plc'] }]);
    for (let i = 0; i < 6; i++) w.write(i % 2, 1000 + i, i, frameOf(9 + i * 11, i));
    w.writeSimple(frameOf(33, 1));
    w.writeStatistics(0, { received: 6, dropped: 0 });
    w.startSection();
    w.addInterface({ linkType: 0 });
    w.write(0, 5, 5, frameOf(12, 7));
  }),
  buildPcapng({ bigEndian: true }, (w) => {
    w.addInterface({ linkType: 1, snapLen: 16 });
    for (let i = 0; i < 6; i++) w.write(0, 1000 + i, i * 1000, frameOf(30, i));
    w.writeBlock(0xbad, Buffer.alloc(5));
  }),
];

const TIME_LIMIT_MS = 5000;

/** Runs the reader; resolves with an error string if it failed in a way other than CaptureInputError. */
async function exercise(input: Buffer, chunkBytes: number, pieceBytes: number, verbatim: boolean): Promise<void> {
  const pieces: Buffer[] = [];
  for (let i = 0; i < input.length; i += pieceBytes) pieces.push(input.subarray(i, i + pieceBytes));
  let delivered = 0;
  const onPacket = (r: PacketRecord): void => {
    delivered++;
    assert.equal(r.frame, delivered);
    assert.equal(r.data.length, r.capLen);
    assert.ok(Number.isInteger(r.tsSec) && Number.isInteger(r.tsNsec) && r.tsNsec >= 0 && r.tsNsec < 1e9);
    if (verbatim) assert.ok(r.capLen === 0 || input.indexOf(r.data) >= 0, 'packet bytes are not a slice of the input');
  };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('reader did not finish in time')), TIME_LIMIT_MS);
  });
  try {
    const summary = await Promise.race([
      readCaptureStream(Readable.from(pieces), 'fuzz', onPacket, {
        chunkBytes,
        maxRecordBytes: 1 << 20,
      }),
      timeout,
    ]);
    assert.equal(summary.packets, delivered);
    if (verbatim) assert.ok(summary.bytes <= input.length);
  } catch (err) {
    if (!(err instanceof CaptureInputError)) throw err;
    assert.ok(!err.message.includes('\n'), 'CaptureInputError messages are one line');
  } finally {
    clearTimeout(timer);
  }
}

const mutation = fc.record({
  seed: fc.nat(SEEDS.length - 1),
  edits: fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), { maxLength: 8 }),
  cut: fc.option(fc.nat(), { nil: undefined }),
  gzip: fc.boolean(),
  chunkBytes: fc.integer({ min: 32, max: 300 }),
  pieceBytes: fc.integer({ min: 8, max: 400 }),
});

describe('reader robustness', () => {
  it('arbitrary bytes (with and without a capture magic in front)', async () => {
    const prefixes = [Buffer.alloc(0), SEEDS[0]!.subarray(0, 4), SEEDS[2]!.subarray(0, 12), SEEDS[3]!.subarray(0, 12)];
    await fc.assert(
      fc.asyncProperty(
        fc.nat(prefixes.length - 1),
        fc.uint8Array({ maxLength: 1500 }),
        fc.integer({ min: 32, max: 300 }),
        fc.integer({ min: 8, max: 400 }),
        async (prefix, body, chunkBytes, pieceBytes) => {
          await exercise(Buffer.concat([prefixes[prefix]!, body]), chunkBytes, pieceBytes, true);
        },
      ),
      { numRuns: fuzzRuns(300) },
    );
  });

  it('mutated, truncated and gzipped valid captures', async () => {
    await fc.assert(
      fc.asyncProperty(mutation, async (m) => {
        const bytes = Buffer.from(SEEDS[m.seed]!);
        for (const edit of m.edits) bytes[edit.at % bytes.length] = edit.value;
        const cut = m.cut === undefined ? bytes : bytes.subarray(0, m.cut % (bytes.length + 1));
        // Tiny pieces of a gzip stream only cost time (one async inflate step each), not coverage.
        await exercise(m.gzip ? gzipSync(cut) : cut, m.chunkBytes, m.gzip ? 4096 : m.pieceBytes, !m.gzip);
      }),
      { numRuns: fuzzRuns(300) },
    );
  });
});

describe('capture time span', () => {
  it('firstSeen/lastSeen are the float minimum/maximum of sec + nsec / 1e9 over the packets', async () => {
    // Seconds from a few close values and nanoseconds clustered near each other, so that distinct pairs often
    // round to the same double: the reader's integer pair comparison must still give the float extremes.
    const stamp = fc.record({
      sec: fc.constantFrom(0, 1, 1_700_000_000, 1_700_000_001, 4_294_967_295),
      nsec: fc.oneof(fc.integer({ min: 0, max: 999_999_999 }), fc.integer({ min: 123_456_700, max: 123_456_900 })),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(stamp, { minLength: 1, maxLength: 20 }), async (stamps) => {
        const bytes = buildPcap({ linkType: 1, nanosecond: true }, (w) => {
          stamps.forEach((s, i) => w.write(s.sec, s.nsec, frameOf(14, i)));
        });
        const floats = stamps.map((s) => s.sec + s.nsec / 1e9);
        const summary = await readCaptureStream(Readable.from([bytes]), 'mem', () => {});
        assert.equal(summary.firstSeen, Math.min(...floats));
        assert.equal(summary.lastSeen, Math.max(...floats));
      }),
      { numRuns: fuzzRuns(200) },
    );
  });
});
