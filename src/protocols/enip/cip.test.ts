/** EPATH decoding through the per-flow path cache, and request/reply pairing on a long-lived session. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fuzzRuns } from '../../util/fuzz-budget.js';
import { CipPath, describePath, parseEpath, PathCache } from './cip.js';
import { enipSpec } from './index.js';
import { C, S, ops, recordingContext } from '../common/test-support.js';
import type { Dir } from '../analyzer.js';

/** EPATH segments: logical (8/16/32-bit class, instance, member, attribute), ANSI symbolic, port, junk. */
const segmentArb: fc.Arbitrary<number[]> = fc.oneof(
  fc.tuple(fc.constantFrom(0x20, 0x24, 0x28, 0x30), fc.integer({ min: 0, max: 255 })).map(([t, v]) => [t, v]),
  fc.tuple(fc.constantFrom(0x21, 0x25, 0x29, 0x31), fc.integer({ min: 0, max: 0xffff })).map(([t, v]) => [t, 0, v & 0xff, v >> 8]),
  fc.tuple(fc.constantFrom(0x22, 0x26), fc.integer({ min: 0, max: 0xffffffff })).map(([t, v]) => [t, 0, v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24]),
  fc.string({ minLength: 1, maxLength: 12 }).map((s) => {
    const name = [...Buffer.from(s, 'latin1')];
    return [0x91, name.length, ...name, ...(name.length & 1 ? [0] : [])];
  }),
  fc.integer({ min: 0, max: 255 }).map((link) => [0x01, link]),
  fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 3 }),
);

function fresh(buf: Uint8Array, off: number, bytes: number): [CipPath, string] {
  const path = new CipPath();
  parseEpath(buf, off, bytes, path);
  return [path, describePath(path)];
}

test('PathCache answers exactly what parseEpath + describePath do, also on repeats, evictions and reused buffers', () => {
  fc.assert(
    fc.property(
      fc.array(fc.array(segmentArb, { maxLength: 6 }), { minLength: 1, maxLength: 8 }),
      fc.array(fc.nat(), { minLength: 1, maxLength: 40 }),
      fc.constantFrom(1, 2, 4, 64),
      (paths, picks, slots) => {
        const cache = new PathCache(slots);
        const out = new CipPath();
        // One buffer for every lookup, overwritten each time as a packet buffer is.
        const buf = Buffer.alloc(160);
        for (const pick of picks) {
          const path = paths[pick % paths.length]!.flat();
          const off = 5 + (pick % 3);
          buf.fill(0xa5);
          Buffer.from(path).copy(buf, off);
          const bytes = Math.min(path.length, buf.length - off);
          const description = cache.decode(buf, off, bytes, out);
          const [want, wantDescription] = fresh(buf, off, bytes);
          assert.equal(description, wantDescription);
          assert.deepEqual({ ...out }, { ...want });
        }
      },
    ),
    { numRuns: fuzzRuns(150) },
  );
});

test('PathCache: a path longer than the cache keeps is still decoded', () => {
  const name = Buffer.from('Program:MainProgram.A_very_long_structure_member_name_over_64_bytes_long');
  const path = Buffer.concat([Buffer.from([0x91, name.length]), name, Buffer.alloc(name.length & 1)]);
  const cache = new PathCache(8);
  const out = new CipPath();
  for (let i = 0; i < 2; i++) assert.equal(cache.decode(path, 0, path.length, out), name.toString('latin1'));
  assert.equal(out.symbol, name.toString('latin1'));
});

/** SendRRData with one unconnected data item holding `cip`, sender context `context`. */
function sendRR(cip: Buffer, context: number): Buffer {
  const cpf = Buffer.alloc(16);
  cpf.writeUInt16LE(2, 6);
  cpf.writeUInt16LE(0x00b2, 12);
  cpf.writeUInt16LE(cip.length, 14);
  const header = Buffer.alloc(24);
  header.writeUInt16LE(0x006f, 0);
  header.writeUInt16LE(cpf.length + cip.length, 2);
  header.writeUInt32LE(0x11223344, 4);
  header.writeUInt32LE(context, 12);
  header.writeUInt32LE(0xabc00000 + (context & 0xff), 16);
  return Buffer.concat([header, cpf, cip]);
}

function readTag(tag: string, context: number): Buffer {
  const name = Buffer.from(tag, 'latin1');
  const path = Buffer.concat([Buffer.from([0x91, name.length]), name, Buffer.alloc(name.length & 1)]);
  return sendRR(Buffer.concat([Buffer.from([0x4c, path.length / 2]), path, Buffer.from([0x01, 0x00])]), context);
}

function readTagReply(context: number, status = 0): Buffer {
  return sendRR(Buffer.from([0xcc, 0x00, status, 0x00, 0xc4, 0x00, 1, 2, 3, 4]), context);
}

test('a long polling session: many tags, replies out of order, one packet buffer reused for every message', () => {
  const ctx = recordingContext({ serverPort: 44818, transport: 'tcp' }, { maxPendingTransactions: 1000 });
  const analyzer = enipSpec.create(ctx);
  const packet = Buffer.alloc(256);
  let frame = 0;
  const send = (dir: Dir, message: Buffer): void => {
    packet.fill(0x5a);
    message.copy(packet, 11);
    frame++;
    analyzer.onData(dir, packet, 11, message.length, { frame, ts: frame });
  };
  // More distinct tags than the path cache has slots, so entries are evicted and decoded again.
  const tags = Array.from({ length: 150 }, (_, i) => `Area${i % 7}_Tag_${i}`);
  const want: Array<[string, number, number, string]> = [];
  let context = 1;
  for (let round = 0; round < 3; round++) {
    // Three requests outstanding, answered newest first (a reordering gateway) on every other round.
    for (let i = 0; i < tags.length; i += 3) {
      const batch = tags.slice(i, i + 3).map((tag) => ({ tag, context: context++, frame: 0 }));
      for (const r of batch) {
        send(C, readTag(r.tag, r.context));
        r.frame = frame;
      }
      const order = round % 2 === 1 ? [...batch].reverse() : batch;
      for (const r of order) {
        send(S, readTagReply(r.context, r.context % 10 === 0 ? 0x04 : 0));
        want.push([r.tag, r.frame, frame, r.context % 10 === 0 ? 'exception' : 'ok']);
      }
    }
  }
  analyzer.onClose({ frame: frame + 1, ts: frame + 1 });
  const got = ops(ctx).map((o) => [o.object, o.frame, o.responseFrame, o.result]);
  assert.equal(got.length, want.length);
  assert.deepEqual(got, want);
  assert.ok(ops(ctx).every((o) => o.codeName === 'read_tag' && o.kind === 'read'));
});

test('pending requests over the cap go out oldest first, unanswered, and the rest still pair', () => {
  const ctx = recordingContext({ serverPort: 44818, transport: 'tcp' }, { maxPendingTransactions: 4 });
  const analyzer = enipSpec.create(ctx);
  let frame = 0;
  const send = (dir: Dir, message: Buffer): void => {
    frame++;
    analyzer.onData(dir, message, 0, message.length, { frame, ts: frame });
  };
  for (let c = 1; c <= 6; c++) send(C, readTag(`T${c}`, c));
  for (let c = 6; c >= 1; c--) send(S, readTagReply(c));
  analyzer.onClose({ frame: frame + 1, ts: frame + 1 });
  assert.deepEqual(
    ops(ctx).map((o) => [o.object, o.result, o.responseFrame]),
    [
      ['T1', 'no-response', undefined],
      ['T2', 'no-response', undefined],
      ['T6', 'ok', 7],
      ['T5', 'ok', 8],
      ['T4', 'ok', 9],
      ['T3', 'ok', 10],
      // The replies to T2 and T1 find no request: the reply alone tells what was done.
      ['', 'ok', 11],
      ['', 'ok', 12],
    ].map(([object, result, responseFrame]) => [object === '' ? undefined : object, result, responseFrame]),
  );
  assert.equal(ctx.counters['enip.transaction-cap'], 2);
});
