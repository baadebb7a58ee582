import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Dir, Probe } from '../analyzer.js';
import { C, S, assertWellFormed, checkRobustness, fact, ops, replay, type Message } from '../common/test-support.js';
import { probeSmtp, smtpSpec } from './index.js';
import { base64Text, plainUser } from './session.js';

const SECRET = 'M41lP4ss';
const b64 = (s: string) => Buffer.from(s).toString('base64');
const session: Message[] = [
  [S, '220 mx.plant.local ESMTP Postfix (Debian)\r\n'],
  [C, 'EHLO historian-01.plant.local\r\n'],
  [S, '250-mx.plant.local\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n'],
  [C, 'AUTH LOGIN\r\n'],
  [S, '334 VXNlcm5hbWU6\r\n'],
  [C, `${b64('alarms')}\r\n`],
  [S, '334 UGFzc3dvcmQ6\r\n'],
  [C, `${b64(SECRET)}\r\n`],
  [S, '235 2.7.0 Authentication successful\r\n'],
  [C, 'MAIL FROM:<alarms@plant.local>\r\n'],
  [S, '250 2.1.0 Ok\r\n'],
  [C, 'RCPT TO:<ops@plant.local>\r\nRCPT TO:<nobody@nowhere>\r\n'],
  [S, '250 2.1.5 Ok\r\n550 5.1.1 unknown\r\n'],
  [C, 'DATA\r\n'],
  [S, '354 End data with <CR><LF>.<CR><LF>\r\n'],
  [C, 'Subject: Tank 3 high\r\n\r\nLevel 97%\r\nEHLO not-a-command\r\n.\r\n'],
  [S, '250 2.0.0 Ok: queued as 4F1\r\n'],
  [C, 'QUIT\r\n'],
  [S, '221 2.0.0 Bye\r\n'],
];

test('greeting, EHLO host name, AUTH LOGIN user (never the password), one mail transaction with its recipients', () => {
  const ctx = replay(smtpSpec, session);
  assertWellFormed(ctx.events, SECRET);
  assertWellFormed(ctx.events, b64(SECRET));
  const o = ops(ctx);
  assert.deepEqual(o.map((e) => [e.frame, e.kind, e.codeName, e.code, e.result]), [
    [2, 'connect', 'ehlo', 250, 'ok'],
    [4, 'authentication', 'auth', 235, 'ok'],
    [10, 'file-transfer', 'mail', 250, 'ok'],
  ]);
  assert.deepEqual(o[1]!.attributes, { method: 'login', cleartext_channel: true, user: 'alarms', success: true });
  assert.deepEqual([o[2]!.attributes?.recipients, o[2]!.dataBytes, o[2]!.responseFrame], [1, 55, 17]);
  assert.deepEqual(fact(ctx, 'hostname', '10.0.0.1'), ['historian-01.plant.local']);
  assert.deepEqual(fact(ctx, 'credential', '10.0.0.2'), ['smtp auth login user=alarms (password sent in cleartext)']);
  assert.deepEqual(fact(ctx, 'software', '10.0.0.2'), ['mx.plant.local ESMTP Postfix (Debian)']);
  assert.deepEqual(replay(smtpSpec, session, { chunk: 5 }).events, ctx.events);
});

test('STARTTLS accepted: opaque from there; AUTH PLAIN user decoded from the initial response', () => {
  const tls = replay(smtpSpec, [[S, '220 x ESMTP\r\n'], [C, 'EHLO a\r\n'], [S, '250 x\r\n'], [C, 'STARTTLS\r\n'], [S, '220 go ahead\r\n'], [C, Buffer.from([0x16, 3, 1, 0, 1, 0])]]);
  assert.equal(tls.opaque, true);
  assert.equal(ops(tls).at(-1)!.codeName, 'starttls');
  const plain = Buffer.from(`\0scada\0${SECRET}`).toString('base64');
  assert.equal(plainUser(plain), 'scada');
  assert.equal(plainUser('!!notbase64'), '');
  assert.equal(base64Text(b64('bob')), 'bob');
  const ctx = replay(smtpSpec, [[S, '220 x ESMTP\r\n'], [C, `AUTH PLAIN ${plain}\r\n`], [S, '535 5.7.8 Error: authentication failed\r\n']]);
  assertWellFormed(ctx.events, SECRET);
  const [e] = ops(ctx);
  assert.deepEqual([e!.result, e!.exceptionCode, e!.attributes?.user], ['exception', 535, 'scada']);
});

test('probe: ESMTP greeting and EHLO Yes, FTP greeting No', () => {
  const b = (s: string) => Buffer.from(s);
  assert.equal(probeSmtp(b('220 mx ESMTP ready\r\n'), 0, 20, Dir.ToClient), Probe.Yes);
  assert.equal(probeSmtp(b('220 ProFTPD ready\r\n'), 0, 19, Dir.ToClient), Probe.No);
  assert.equal(probeSmtp(b('EHLO me\r\n'), 0, 9, Dir.ToServer), Probe.Yes);
  assert.equal(probeSmtp(b('USER x\r\n'), 0, 8, Dir.ToServer), Probe.No);
});

test('property: mutated, truncated, re-segmented sessions and noise never throw', () => {
  checkRobustness(smtpSpec, session);
});
