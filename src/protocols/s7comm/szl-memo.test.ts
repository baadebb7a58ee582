import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeSzlResponse, SZL_MEMO_MAX_BYTES, type FactSink } from './szl.js';

class Facts implements FactSink {
  readonly got: Array<[string, string, number]> = [];
  fact(field: string, value: string, confidence: number): void {
    this.got.push([field, value, confidence]);
  }
}

function record(index: number, mlfb: string, ausbg: number, ausbe: number): number[] {
  const text = Array.from({ length: 20 }, (_, i) => (i < mlfb.length ? mlfb.charCodeAt(i) : 0x20));
  return [index >> 8, index & 0xff, ...text, 0, 0, ausbg >> 8, ausbg & 0xff, ausbe >> 8, ausbe & 0xff];
}

function moduleIdAnswer(order: string, major: number): Uint8Array {
  const recs = [record(1, order, 0, 0), record(6, order, 3, 0), record(7, '', 0x5600 | major, 0x0203)];
  return Uint8Array.from([0x00, 0x11, 0x00, 0x00, 0x00, 28, 0x00, recs.length, ...recs.flat()]);
}

test('a repeated SZL answer reports the same facts, in the same order, to each sink', () => {
  const a = moduleIdAnswer('6ES7 315-2EH14-0AB0', 3);
  const first = new Facts();
  const second = new Facts();
  assert.equal(decodeSzlResponse(a, 0, a.length, first), -1);
  // The same bytes at another offset of another buffer.
  const shifted = new Uint8Array(a.length + 5);
  shifted.set(a, 5);
  assert.equal(decodeSzlResponse(shifted, 5, a.length, second), -1);
  assert.deepEqual(second.got, first.got);
  assert.deepEqual(first.got.map((f) => f[0]), ['order-number', 'vendor', 'product', 'hardware-revision', 'firmware']);
  assert.equal(first.got.find((f) => f[0] === 'firmware')![1], 'V3.2.3');
});

test('answers differing in one byte are decoded on their own, and the mode of 0x0424 is kept', () => {
  const a = moduleIdAnswer('6ES7 315-2EH14-0AB0', 3);
  const b = moduleIdAnswer('6ES7 315-2EH14-0AB0', 4);
  const fa = new Facts();
  const fb = new Facts();
  decodeSzlResponse(a, 0, a.length, fa);
  decodeSzlResponse(b, 0, b.length, fb);
  assert.equal(fa.got.find((f) => f[0] === 'firmware')![1], 'V3.2.3');
  assert.equal(fb.got.find((f) => f[0] === 'firmware')![1], 'V4.2.3');
  const mode = (m: number) => Uint8Array.from([0x04, 0x24, 0, 0, 0, 4, 0, 1, 0x51, 0x44, 0xff, m]);
  const none = new Facts();
  for (let i = 0; i < 3; i++) {
    assert.equal(decodeSzlResponse(mode(0x08), 0, 12, none), 8);
    assert.equal(decodeSzlResponse(mode(0x04), 0, 12, none), 4);
  }
  assert.equal(none.got.length, 0);
});

test('answers over the memo size are still decoded', () => {
  const recs: number[][] = [];
  for (let i = 0; i < 20; i++) recs.push(record(i === 19 ? 1 : 0x10, '6ES7 414-3XM07-0AB0', 0, 0));
  const big = Uint8Array.from([0x00, 0x11, 0x00, 0x00, 0x00, 28, 0x00, recs.length, ...recs.flat()]);
  assert.ok(big.length > SZL_MEMO_MAX_BYTES);
  for (let i = 0; i < 2; i++) {
    const f = new Facts();
    decodeSzlResponse(big, 0, big.length, f);
    assert.deepEqual(f.got.map((x) => x[1]), ['6ES7 414-3XM07-0AB0', 'Siemens', 'S7-400']);
  }
});
