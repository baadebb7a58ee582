import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Dir, Probe } from '../analyzer.js';
import { ftpSpec, probeFtp } from './index.js';
import { joinPath } from './session.js';
import { C, S, assertWellFormed, checkRobustness, fact, ops, replay, type Message } from '../common/test-support.js';

const SECRET = 'Sup3rS3cret!';
const session: Message[] = [
  [S, '220 plant-ftp FTP server (vsftpd 3.0.3) ready.\r\n'],
  [C, 'USER operator\r\n'],
  [S, '331 Please specify the password.\r\n'],
  [C, 'PASS wrong\r\n'],
  [S, '530 Login incorrect.\r\n'],
  [C, 'USER operator\r\n'],
  [S, '331 Please specify the password.\r\n'],
  [C, `PASS ${SECRET}\r\n`],
  [S, '230-Welcome\r\n230-to the plant\r\n230 Login successful.\r\n'],
  [C, 'SYST\r\n'],
  [S, '215 UNIX Type: L8\r\n'],
  [C, 'CWD /recipes\r\n'],
  [S, '250 Directory successfully changed.\r\n'],
  [C, 'STOR batch7.csv\r\n'],
  [S, '150 Ok to send data.\r\n'],
  [S, '226 Transfer complete.\r\n'],
  [C, 'DELE old.csv\r\n'],
  [S, '550 Delete operation failed.\r\n'],
  [C, 'RNFR a.txt\r\n'],
  [S, '350 Ready for RNTO.\r\n'],
  [C, 'RNTO b.txt\r\n'],
  [S, '250 Rename successful.\r\n'],
  [C, 'NLST -l\r\n'],
  [S, '150 Here comes the directory listing.\r\n226 Directory send OK.\r\n'],
  [C, 'QUIT\r\n'],
  [S, '221 Goodbye.\r\n'],
];

test('login attempts, transfers, file management and listing become events; the password never appears', () => {
  const ctx = replay(ftpSpec, session);
  assertWellFormed(ctx.events, SECRET);
  const o = ops(ctx);
  const auth = o.filter((e) => e.kind === 'authentication');
  assert.deepEqual(auth.map((e) => [e.frame, e.code, e.result, e.responseFrame, e.attributes?.user, e.attributes?.success]), [
    [4, 530, 'exception', 5, 'operator', false],
    [8, 230, 'ok', 9, 'operator', true],
  ]);
  const stor = o.find((e) => e.codeName === 'stor')!;
  assert.deepEqual([stor.kind, stor.detail, stor.object, stor.code, stor.result, stor.attributes?.cwd], ['file-transfer', 'upload', 'batch7.csv', 226, 'ok', '/recipes']);
  const dele = o.find((e) => e.codeName === 'dele')!;
  assert.deepEqual([dele.kind, dele.detail, dele.result, dele.exceptionCode], ['write', 'delete', 'exception', 550]);
  const rnto = o.find((e) => e.codeName === 'rnto')!;
  assert.deepEqual([rnto.detail, rnto.object, rnto.attributes?.from], ['rename', 'b.txt', 'a.txt']);
  assert.equal(o.find((e) => e.codeName === 'nlst')!.kind, 'read');
  assert.deepEqual(fact(ctx, 'software', '10.0.0.2'), ['plant-ftp FTP server (vsftpd 3.0.3) ready.']);
  assert.deepEqual(fact(ctx, 'os', '10.0.0.2'), ['Unix']);
  assert.deepEqual(fact(ctx, 'user', '10.0.0.1'), ['operator']);
  assert.deepEqual(fact(ctx, 'credential', '10.0.0.2'), ['ftp login user=operator (password sent in cleartext)']);
  assert.deepEqual(fact(ctx, 'directory-listing', '10.0.0.2'), ['ftp://10.0.0.2/recipes (user operator)']);
});

test('segmentation is invisible: byte-by-byte delivery gives the same events', () => {
  const whole = replay(ftpSpec, session).events;
  const split = replay(ftpSpec, session, { chunk: 1 }).events;
  assert.deepEqual(split, whole);
});

test('AUTH TLS accepted marks the flow opaque and stops parsing', () => {
  const ctx = replay(ftpSpec, [
    [S, '220 FTP ready\r\n'],
    [C, 'AUTH TLS\r\n'],
    [S, '234 Proceed with negotiation.\r\n'],
    [C, Buffer.from([0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5])],
  ]);
  assert.equal(ctx.opaque, true);
  assert.equal(ctx.counters['ftp.malformed'], undefined);
});

test('probe: FTP greeting Yes, SMTP greeting No, unknown 220 Maybe, client USER Maybe', () => {
  const b = (s: string) => Buffer.from(s);
  assert.equal(probeFtp(b('220 ProFTPD Server ready\r\n'), 0, 26, Dir.ToClient), Probe.Yes);
  assert.equal(probeFtp(b('220 mail.example ESMTP Postfix\r\n'), 0, 32, Dir.ToClient), Probe.No);
  assert.equal(probeFtp(b('220 welcome\r\n'), 0, 13, Dir.ToClient), Probe.Maybe);
  assert.equal(probeFtp(b('220 welc'), 0, 8, Dir.ToClient), Probe.NeedMore);
  assert.equal(probeFtp(b('USER bob\r\n'), 0, 10, Dir.ToServer), Probe.Maybe);
  assert.equal(probeFtp(b('GET / HTTP/1.1\r\n'), 0, 16, Dir.ToServer), Probe.No);
});

test('joinPath resolves CWD arguments', () => {
  assert.equal(joinPath('/a/b', '../c'), '/a/c');
  assert.equal(joinPath('/a', '/x/./y'), '/x/y');
  assert.equal(joinPath('', 'rel'), 'rel');
});

test('property: mutated, truncated, re-segmented sessions and noise never throw', () => {
  checkRobustness(ftpSpec, session);
});
