import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import fc from 'fast-check';
import { Dir, Probe } from '../analyzer.js';
import { recordingContext } from '../common/test-support.js';
import { fuzzRuns } from '../../util/fuzz-budget.js';
import { traceOf, hasTshark } from '../../../test/support/trace.js';
import { assertGolden } from '../../../test/support/golden.js';
import type { AssetFactEvent, OperationEvent } from '../../events/types.js';
import { sshSpec } from './index.js';
import { hassh, parseBanner, probeSsh, sshOsHint } from './parser.js';

const fixture = join(import.meta.dirname, 'fixtures', 'ssh_loopback.pcap');

function packet(payload: Buffer): Buffer {
  // RFC 4253 §6: at least 4 bytes of padding, a multiple of 8 in all, at least 16 bytes
  let padding = 8 - ((payload.length + 5) % 8);
  if (padding < 4) padding += 8;
  if (5 + payload.length + padding < 16) padding += 8;
  const b = Buffer.alloc(5 + payload.length + padding);
  b.writeUInt32BE(1 + payload.length + padding, 0);
  b[4] = padding;
  payload.copy(b, 5);
  return b;
}

function kexinit(lists: string[]): Buffer {
  const parts = [Buffer.from([20]), Buffer.alloc(16, 1)];
  for (const l of lists) {
    const n = Buffer.alloc(4);
    n.writeUInt32BE(l.length);
    parts.push(n, Buffer.from(l));
  }
  parts.push(Buffer.alloc(5));
  return packet(Buffer.concat(parts));
}

const CLIENT_LISTS = ['curve25519-sha256,diffie-hellman-group14-sha256', 'ssh-ed25519,rsa-sha2-512', 'aes128-ctr,chacha20-poly1305@openssh.com', 'aes128-ctr', 'hmac-sha2-256', 'hmac-sha2-256', 'none', 'none', '', ''];
const SERVER_LISTS = ['diffie-hellman-group14-sha256,curve25519-sha256', 'rsa-sha2-512', 'chacha20-poly1305@openssh.com,aes128-ctr', 'aes128-ctr', 'hmac-sha2-256', 'hmac-sha2-256', 'none,zlib@openssh.com', 'none', '', ''];
const client = Buffer.concat([Buffer.from('SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.1\r\n'), kexinit(CLIENT_LISTS), packet(Buffer.from([21])), Buffer.alloc(200, 0x5a)]);
const server = Buffer.concat([Buffer.from('Welcome to the jump host\r\nSSH-2.0-OpenSSH_for_Windows_8.1\r\n'), kexinit(SERVER_LISTS), packet(Buffer.from([21])), Buffer.alloc(300, 0x77)]);

function feed(a: Buffer, b: Buffer, cuts: number[]) {
  const ctx = recordingContext({ serverPort: 22 });
  const s = sshSpec.create(ctx);
  let frame = 1;
  let c = 0;
  for (const [dir, buf] of [[Dir.ToServer, a], [Dir.ToClient, b]] as Array<[Dir, Buffer]>) {
    for (let p = 0; p < buf.length; ) {
      const n = Math.min(buf.length - p, cuts[c++ % cuts.length]!);
      s.onData(dir, buf, p, n, { frame: frame++, ts: 0 });
      p += n;
    }
  }
  s.onClose({ frame, ts: 0 });
  return ctx;
}

test('probe and banner parsing', () => {
  const p = (s: string) => probeSsh(Buffer.from(s), 0, s.length, Dir.ToClient);
  assert.equal(p('SSH-2.0-OpenSSH_9.2\r\n'), Probe.Yes);
  assert.equal(p('SSH-1.99-Cisco-1.25\r\n'), Probe.Yes);
  assert.equal(p('SSH-'), Probe.NeedMore);
  assert.equal(p('SSH-2.'), Probe.NeedMore);
  assert.equal(p('SSH-X.0-a'), Probe.No);
  assert.equal(p('GET / HTTP/1.1'), Probe.No);
  assert.deepEqual(parseBanner('SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.1'), { protoVersion: '2.0', software: 'OpenSSH_8.9p1', comments: 'Ubuntu-3ubuntu0.1', line: 'SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.1' });
  assert.deepEqual(sshOsHint(parseBanner('SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.1')!), { os: 'Ubuntu Linux', confidence: 0.6 });
  assert.equal(sshOsHint(parseBanner('SSH-2.0-dropbear_2019.78')!).os, 'embedded Linux');
});

test('banners, pre-banner lines, KEXINIT negotiation and opaque bytes after NEWKEYS, at any segmentation', () => {
  const summarise = (cuts: number[]) => {
    const ctx = feed(client, server, cuts);
    const facts = ctx.events.filter((e): e is AssetFactEvent => e.type === 'asset-fact').map((f) => [f.subject.ip, f.field, f.value]);
    return { ops: ctx.operations().map((o) => [o.kind, o.code, o.codeName, o.result, o.attributes]), facts, opaque: ctx.counters['encrypted-bytes'] };
  };
  const whole = summarise([1 << 20]);
  assert.deepEqual(whole.ops, [[
    'connect', 2, 'ssh_session', 'ok',
    {
      client_banner: 'SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.1',
      server_banner: 'SSH-2.0-OpenSSH_for_Windows_8.1',
      hassh: hassh(CLIENT_LISTS, false),
      hassh_server: hassh(SERVER_LISTS, true),
      kex: 'curve25519-sha256',
      host_key: 'rsa-sha2-512',
      cipher: 'aes128-ctr',
      mac: 'hmac-sha2-256',
      compression: 'none',
    },
  ]]);
  assert.deepEqual(whole.facts, [
    ['10.0.0.1', 'software', 'OpenSSH_8.9p1 Ubuntu-3ubuntu0.1'],
    ['10.0.0.1', 'os', 'Ubuntu Linux'],
    ['10.0.0.2', 'software', 'OpenSSH_for_Windows_8.1'],
    ['10.0.0.2', 'os', 'Windows'],
  ]);
  assert.equal(whole.opaque, 500);
  fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 10 }), (cuts) => assert.deepEqual(summarise(cuts), whole)), { numRuns: fuzzRuns(40) });
});

test('random and mutated streams never throw and emit at most one operation', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 16 }), fc.array(fc.integer({ min: 1, max: 60 }), { minLength: 1, maxLength: 6 }), (noise, mutations, cuts) => {
      const a = Buffer.concat([client, Buffer.from(noise)]);
      const b = Buffer.from(server);
      for (const [at, v] of mutations) (at % 2 ? a : b)[at % (at % 2 ? a.length : b.length)] = v;
      assert.ok(Object.values(Probe).includes(sshSpec.probe(Buffer.from(noise), 0, noise.length, Dir.ToServer)));
      assert.ok(feed(a, Buffer.concat([b, Buffer.from(noise)]), cuts).operations().length <= 1);
    }),
    { numRuns: fuzzRuns(100) },
  );
});

test('golden trace: ssh_loopback.pcap (OpenSSH client and sshd on 127.0.0.1:2222)', async () => {
  const { trace } = await traceOf(fixture);
  assertGolden(join(import.meta.dirname, 'fixtures', 'ssh_loopback.golden.json'), trace);
});

test('differential with tshark: banners and HASSH values', { skip: hasTshark ? false : 'needs tshark' }, async () => {
  const { events } = await traceOf(fixture);
  const [op] = events.filter((e): e is OperationEvent => e.type === 'operation' && e.protocol === 'ssh');
  const r = spawnSync('tshark', ['-r', fixture, '-d', 'tcp.port==2222,ssh', '-Y', 'ssh', '-T', 'fields', '-e', 'ssh.protocol', '-e', 'ssh.kex.hassh', '-e', 'ssh.kex.hasshserver'], { encoding: 'utf8' });
  const rows = r.stdout.split('\n').map((l) => l.split('\t'));
  const banners = rows.map((c) => c[0]).filter(Boolean);
  assert.deepEqual([op!.attributes!.client_banner, op!.attributes!.server_banner], banners);
  assert.equal(op!.attributes!.hassh, rows.find((c) => c[1])![1]);
  assert.equal(op!.attributes!.hassh_server, rows.find((c) => c[2])![2]);
});
