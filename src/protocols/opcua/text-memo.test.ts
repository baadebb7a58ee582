import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fuzzRuns } from '../../util/fuzz-budget.js';
import { Reader } from './parser.js';

/** What Reader.string returns for these bytes: UTF-8 text (at most maxChars bytes) with control characters as '?'. */
function reference(bytes: Uint8Array, maxChars: number): string {
  // eslint-disable-next-line no-control-regex
  return Buffer.from(bytes.subarray(0, maxChars)).toString('utf8').replace(/[\x00-\x1f\x7f]/g, '?');
}

function encoded(bytes: Uint8Array): Buffer {
  const out = Buffer.alloc(4 + bytes.length);
  out.writeInt32LE(bytes.length, 0);
  out.set(bytes, 4);
  return out;
}

// Short strings sharing length, first and last byte (same memo slot), near-identical ones, control bytes,
// broken UTF-8 and strings around and over the memo's length limit.
const bytesArb = fc.oneof(
  fc.uint8Array({ minLength: 0, maxLength: 6 }).map((mid) => Uint8Array.from([0x61, ...mid, 0x7a])),
  fc.string({ maxLength: 40 }).map((s) => new Uint8Array(Buffer.from(s, 'utf8'))),
  fc.uint8Array({ maxLength: 160 }),
  fc.constantFrom('opc.tcp://OPC-01:4840', 'opc.tcp://OPC-01:4841', 'http://opcfoundation.org/UA/SecurityPolicy#None').map((s) => new Uint8Array(Buffer.from(s))),
);

test('strings read again (from the memo) are the same as decoded afresh', () => {
  fc.assert(
    fc.property(fc.array(bytesArb, { minLength: 1, maxLength: 8 }), fc.array(fc.tuple(fc.nat(), fc.constantFrom(256, 128, 5)), { minLength: 1, maxLength: 40 }), (pool, picks) => {
      const r = new Reader();
      for (const [pick, maxChars] of picks) {
        const bytes = pool[pick % pool.length]!;
        const buf = encoded(bytes);
        r.reset(buf, 0, buf.length);
        assert.equal(r.string(maxChars), reference(bytes, maxChars));
        assert.ok(r.ok);
      }
    }),
    { numRuns: fuzzRuns(200) },
  );
});

test('a one-byte difference in a repeated URL is seen', () => {
  const r = new Reader();
  const read = (s: string) => {
    const buf = encoded(new Uint8Array(Buffer.from(s)));
    return r.reset(buf, 0, buf.length).string(512);
  };
  assert.equal(read('opc.tcp://plc-a:4840'), 'opc.tcp://plc-a:4840');
  assert.equal(read('opc.tcp://plc-b:4840'), 'opc.tcp://plc-b:4840');
  assert.equal(read('opc.tcp://plc-a:4840'), 'opc.tcp://plc-a:4840');
  assert.equal(read('opc.tcp://plc-a:4840\u0001'.slice(0, 20) + '\u0001'), 'opc.tcp://plc-a:4840?');
});
