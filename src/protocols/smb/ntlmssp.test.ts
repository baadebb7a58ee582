import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fuzzRuns } from '../../util/fuzz-budget.js';
import { utf16 } from './ntlmssp.js';

/** The definition: each 16-bit code unit as a character, controls as '?', at most 512 bytes. */
function utf16Reference(buf: Uint8Array, off: number, bytes: number): string {
  let s = '';
  const n = Math.min(bytes, 512);
  for (let i = 0; i + 1 < n; i += 2) {
    const c = (buf[off + i] ?? 0) | ((buf[off + i + 1] ?? 0) << 8);
    s += c >= 0x20 && c !== 0x7f ? String.fromCharCode(c) : '?';
  }
  return s;
}

test('utf16 keeps every code unit (lone surrogates too), masks controls, caps and reads past the end as NULs', () => {
  const units = fc.oneof(fc.integer({ min: 0, max: 0xffff }), fc.constantFrom(0, 0x1f, 0x20, 0x7f, 0xd800, 0xdc00, 0x41));
  fc.assert(
    fc.property(fc.array(units, { maxLength: 300 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: -2, max: 700 }), fc.boolean(), (codes, off, bytes, plain) => {
      const b = Buffer.alloc(off + codes.length * 2 + (bytes & 1));
      codes.forEach((c, i) => b.writeUInt16LE(c, off + i * 2));
      const buf = plain ? new Uint8Array(b) : b;
      assert.equal(utf16(buf, off, bytes), utf16Reference(buf, off, bytes));
    }),
    { numRuns: fuzzRuns(300) },
  );
  assert.equal(utf16(Buffer.from('a\u0001b', 'utf16le'), 0, 6), 'a?b');
});
