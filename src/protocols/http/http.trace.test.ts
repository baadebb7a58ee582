import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { traceOf, hasTshark } from '../../../test/support/trace.js';
import { assertGolden } from '../../../test/support/golden.js';
import type { AssetFactEvent, OperationEvent } from '../../events/types.js';

const fixtures = join(import.meta.dirname, 'fixtures');
const FILES: Array<[string, string[]]> = [
  ['basic-auth-with-colon.pcap', []],
  // python http.server on port 502 (the Modbus port) driven by curl on loopback
  ['http_port502_loopback.pcap', ['-d', 'tcp.port==502,http']],
];

for (const [name] of FILES) {
  test(`golden trace: ${name}`, async () => {
    const { trace, events } = await traceOf(join(fixtures, name));
    for (const password of ['1:34', 's3cret']) assert.ok(!JSON.stringify(events).includes(password));
    assertGolden(join(fixtures, name.replace(/\.pcap$/, '.golden.json')), trace);
  });
}

test('acceptance: a directory listing and a cleartext login become facts with URL/user and frame number', async () => {
  const { events } = await traceOf(join(fixtures, 'basic-auth-with-colon.pcap'));
  const facts = events.filter((e): e is AssetFactEvent => e.type === 'asset-fact');
  const listing = facts.find((f) => f.field === 'directory-listing')!;
  assert.deepEqual([listing.value, listing.frame, listing.subject.ip], ['http://172.24.133.205:8000/', 8, '172.24.133.205']);
  const credential = facts.find((f) => f.field === 'credential')!;
  assert.equal(credential.value, 'http basic user=test on 172.24.133.205:8000/ (password sent in cleartext)');
  assert.equal(credential.frame, 4);
  assert.ok(!JSON.stringify(events).includes('1:34'), 'the password (which contains a colon) is never kept');
});

test('differential with tshark: method, URI and paired status per request frame', { skip: hasTshark ? false : 'needs tshark' }, async () => {
  for (const [name] of FILES) {
    const file = join(fixtures, name);
    const { events } = await traceOf(file);
    const ours = events
      .filter((e): e is OperationEvent => e.type === 'operation' && e.protocol === 'http')
      .map((o) => [o.frame, o.attributes!.method, o.attributes!.uri, o.code]);
    const theirs = decodeAs(file, name);
    assert.deepEqual(ours, theirs, name);
  }
});

/** tshark's requests [frame, method, uri, status of the response whose request_in is that frame]. */
function decodeAs(file: string, name: string): Array<[number, string, string, number]> {
  const decode = FILES.find(([n]) => n === name)![1];
  const status = new Map<number, number>();
  for (const [requestIn, code] of tshark(file, decode, 'http.response', ['http.request_in', 'http.response.code'])) status.set(Number(requestIn), Number(code));
  return tshark(file, decode, 'http.request', ['frame.number', 'http.request.method', 'http.request.uri']).map(([frame, method, uri]) => [
    Number(frame),
    method!,
    uri!,
    status.get(Number(frame)) ?? 0,
  ]);
}

/** tsharkFields with decode-as arguments (HTTP on a non-HTTP port). */
function tshark(file: string, decode: string[], filter: string, fields: string[]): string[][] {
  const args = ['-r', file, ...decode, '-Y', filter, '-T', 'fields', '-E', 'separator=\t', ...fields.flatMap((f) => ['-e', f])];
  const r = spawnSync('tshark', args, { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter(Boolean).map((l) => l.split('\t'));
}
