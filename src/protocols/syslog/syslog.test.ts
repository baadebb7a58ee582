import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Dir, Probe } from '../analyzer.js';
import { C, assertWellFormed, checkRobustness, fact, ops, replay, type Message } from '../common/test-support.js';
import { probeSyslog, syslogSpec } from './index.js';
import { parseSyslog } from './parser.js';

const session: Message[] = [
  [C, '<34>Oct 11 22:14:15 hmi-04 su[231]: \'su root\' failed for lonvick on /dev/pts/8'],
  [C, '<165>1 2003-10-11T22:14:15.003Z HMI-04.plant.local evntslog - ID47 [exampleSDID@32473 iut="3"] An application event'],
  [C, '<13>sshd[88]: no host name here'],
  [C, '<30>Oct  1 02:03:04 hmi-04 systemd: started'],
];

test('counters and one fact set per flow: host name, application names, the receiver is a log collector', () => {
  const ctx = replay(syslogSpec, session, { flow: { transport: 'udp' } });
  assertWellFormed(ctx.events);
  assert.equal(ops(ctx).length, 0);
  assert.equal(ctx.counters['syslog.messages'], 4);
  assert.equal(ctx.counters['syslog.severe'], 1);
  assert.deepEqual(fact(ctx, 'hostname', '10.0.0.1'), ['hmi-04']);
  assert.deepEqual(fact(ctx, 'software', '10.0.0.1'), ['su', 'evntslog', 'sshd', 'systemd']);
  assert.deepEqual(fact(ctx, 'role-hint', '10.0.0.2'), ['log-collector']);
});

test('header parsing: RFC 5424 and 3164, PRI bounds', () => {
  const h = parseSyslog(Buffer.from(session[1]![1] as string), 0, 120)!;
  assert.deepEqual(h, { facility: 20, severity: 5, format: 5424, hostname: 'HMI-04.plant.local', appName: 'evntslog' });
  assert.equal(parseSyslog(Buffer.from('<192>x'), 0, 6), null);
  assert.equal(parseSyslog(Buffer.from('<1a>x'), 0, 5), null);
  assert.equal(probeSyslog(Buffer.from('<34>Oct 11 x'), 0, 12, Dir.ToServer), Probe.Yes);
  assert.equal(probeSyslog(Buffer.from('<13>sshd: x'), 0, 11, Dir.ToServer), Probe.Maybe);
  assert.equal(probeSyslog(Buffer.from('GET /'), 0, 5, Dir.ToServer), Probe.No);
});

test('property: mutated, truncated datagrams and noise never throw', () => {
  checkRobustness(syslogSpec, session, 150);
});
