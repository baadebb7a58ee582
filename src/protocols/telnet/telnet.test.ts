import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Dir, Probe } from '../analyzer.js';
import { traceOf, hasTshark } from '../../../test/support/trace.js';
import { assertGolden } from '../../../test/support/golden.js';
import { corpusDir, hasCorpus } from '../../../test/support/cli.js';
import { C, S, assertWellFormed, checkRobustness, fact, ops, replay, type Message } from '../common/test-support.js';
import { probeTelnet, telnetSpec } from './index.js';

const IAC_DO_ECHO = Buffer.from([0xff, 0xfd, 0x01, 0xff, 0xfb, 0x03, 0xff, 0xfa, 0x18, 0x01, 0xff, 0xf0]);
const SECRET = 'hunter22';
/** Character-at-a-time client with server echo, a failed and a successful login. */
function session(): Message[] {
  const m: Message[] = [[S, IAC_DO_ECHO], [C, Buffer.from([0xff, 0xfc, 0x01])], [S, '\r\nplc-gw login: ']];
  for (const ch of 'roo\x7ft') {
    m.push([C, ch]);
    m.push([S, ch === '\x7f' ? '\b \b' : ch]);
  }
  m.push([C, '\r\n'], [S, '\r\nPassword: ']);
  for (const ch of 'wrong') m.push([C, ch]);
  m.push([C, '\r'], [S, '\r\nLogin incorrect\r\nplc-gw login: ']);
  m.push([C, 'admin\r'], [S, 'admin\r\nPassword: ']);
  for (const ch of SECRET) m.push([C, ch]);
  m.push([C, '\r\n'], [S, '\r\nLast login: Mon\r\nadmin@plc-gw:~$ ']);
  return m;
}

test('login prompts and keystrokes become authentication operations; the password is never kept', () => {
  const ctx = replay(telnetSpec, session());
  assertWellFormed(ctx.events, SECRET);
  assertWellFormed(ctx.events, 'wrong');
  const o = ops(ctx);
  assert.deepEqual(o.map((e) => [e.kind, e.codeName, e.result, e.attributes?.user, e.attributes?.success]), [
    ['authentication', 'login', 'exception', 'rot', false],
    ['authentication', 'login', 'ok', 'admin', true],
  ]);
  assert.deepEqual(fact(ctx, 'credential', '10.0.0.2'), ['telnet login user=rot (password sent in cleartext)', 'telnet login user=admin (password sent in cleartext)']);
  assert.deepEqual(fact(ctx, 'user', '10.0.0.1'), ['admin']);
  assert.ok(ctx.counters['telnet.iac-commands']! >= 4);
  // IAC state survives any segmentation
  assert.deepEqual(replay(telnetSpec, session(), { chunk: 1 }).events.map((e) => e.type === 'operation' && e.result), ctx.events.map((e) => e.type === 'operation' && e.result));
});

test('probe: option negotiation Yes, printable banner Maybe, binary No', () => {
  assert.equal(probeTelnet(IAC_DO_ECHO, 0, IAC_DO_ECHO.length, Dir.ToClient), Probe.Yes);
  assert.equal(probeTelnet(Buffer.from('\r\nUser name: '), 0, 13, Dir.ToClient), Probe.Maybe);
  assert.equal(probeTelnet(Buffer.from([0x16, 3, 1, 0, 5]), 0, 5, Dir.ToServer), Probe.No);
  assert.equal(probeTelnet(Buffer.from([0xff, 0x01, 0x02]), 0, 3, Dir.ToServer), Probe.No);
});

test('corpus: threats/Telnet.pcap (no licence stated: not copied) — three logins seen, as tshark shows them', { skip: hasCorpus ? false : 'needs ../shared/corpus' }, async () => {
  const file = join(corpusDir, 'threats', 'Telnet.pcap');
  const { trace } = await traceOf(file);
  const telnet = { operations: trace.operations.filter((o) => o[1] === 'telnet'), facts: trace.facts.filter((f) => f[3] === 'telnet') };
  assertGolden(join(import.meta.dirname, 'fixtures', 'Telnet.golden.json'), telnet);
  // `tshark -Y telnet` shows: 192.168.1.194 "login: " → user "test" (typed one key per frame), 10.100.16.1
  // "Username: " → "admin", 192.168.0.1 (OpenBSD) "login: " → "fake" twice; each followed by a shell prompt.
  const users = telnet.operations.map((o) => o[4]);
  assert.equal(users.length, 4);
  assert.ok(telnet.facts.some((f) => f[1] === 'user' && f[2] === 'test'));
  assert.ok(telnet.facts.some((f) => f[1] === 'user' && f[2] === 'admin'));
  assert.ok(telnet.facts.some((f) => f[1] === 'user' && f[2] === 'fake'));
  void hasTshark;
});

test('property: mutated, truncated, re-segmented sessions and noise never throw', () => {
  checkRobustness(telnetSpec, session());
});
