import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { traceOf, tsharkFields, hasTshark } from '../../../test/support/trace.js';
import { assertGolden } from '../../../test/support/golden.js';

const fixtures = join(import.meta.dirname, 'fixtures');
const file = join(fixtures, 'ftp-ipv4.pcap');

test('golden trace: ftp-ipv4.pcap (Zeek, BSD)', async () => {
  const { trace } = await traceOf(file);
  assertGolden(join(fixtures, 'ftp-ipv4.golden.json'), trace);
});

test('the anonymous login and the listing are facts with user and frame; the PASS argument never appears', async () => {
  const { events } = await traceOf(file);
  const facts = events.filter((e) => e.type === 'asset-fact' && e.protocol === 'ftp');
  const credential = facts.find((e) => e.type === 'asset-fact' && e.field === 'credential');
  assert.ok(credential && credential.type === 'asset-fact');
  assert.equal(credential.value, 'ftp anonymous login user=anonymous (password sent in cleartext)');
  const listing = facts.find((e) => e.type === 'asset-fact' && e.field === 'directory-listing');
  assert.ok(listing && listing.type === 'asset-fact' && listing.frame === 32 && listing.value.includes('user anonymous'));
  // tshark shows "PASS test" in frame 9.
  assert.ok(!JSON.stringify(events).includes('"test"'));
});

test('differential with tshark: every FTP command frame has our operation with that command', { skip: hasTshark ? false : 'tshark not installed' }, async () => {
  const { events } = await traceOf(file);
  const ours = new Map<number, string>();
  for (const e of events) if (e.type === 'operation' && e.protocol === 'ftp') ours.set(e.frame, e.codeName);
  const theirs = tsharkFields(file, 'ftp.request.command', ['ftp.request.command']);
  let compared = 0;
  for (const [frame, [commands = []]] of theirs) {
    const command = commands[0]!.toLowerCase();
    if (command === 'user') continue; // answered 331: folded into the PASS authentication event
    assert.equal(ours.get(frame), command, `frame ${frame}`);
    compared++;
  }
  assert.equal(compared, 14);
  const replies = tsharkFields(file, 'ftp.response.code', ['ftp.response.code']);
  for (const e of events) {
    if (e.type !== 'operation' || e.responseFrame === undefined) continue;
    // the final reply's code is on the frame where the reply ends (multi-line replies end later)
    const code = [...replies.entries()].filter(([f]) => f <= e.responseFrame!).pop()?.[1][0]?.[0];
    assert.equal(String(e.code), code, `operation at frame ${e.frame}`);
  }
});
