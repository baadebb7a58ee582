import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Dir, Probe } from '../analyzer.js';
import { traceOf } from '../../../test/support/trace.js';
import { assertGolden } from '../../../test/support/golden.js';
import { corpusDir, hasCorpus } from '../../../test/support/cli.js';
import { C, S, assertWellFormed, checkRobustness, fact, ops, replay, type Message } from '../common/test-support.js';
import { probeStratum, stratumSpec } from './index.js';
import { firstArrayString, scalarMember, stringMember } from './json.js';

const SECRET = 'rigpass-77';
const stratumV1: Message[] = [
  [C, '{"id":1,"method":"mining.subscribe","params":["cgminer/4.10.0"]}\n'],
  [S, '{"id":1,"result":[[["mining.notify","ae6812eb4cd7735a302a8a9dd95cf71f"]],"08000002",4],"error":null}\n'],
  [C, `{"id":2,"method":"mining.authorize","params":["wallet.worker1","${SECRET}"]}\n`],
  [S, '{"id":2,"result":true,"error":null}\n{"id":null,"method":"mining.notify","params":["bf","4d16b6f85af6e219"]}\n'],
  [C, '{"id":3,"method":"mining.submit","params":["wallet.worker1","bf","00000001","504e86ed","b2957c02"]}\n'],
  [S, '{"id":3,"result":null,"error":[23,"Low difficulty share",null]}\n'],
  [C, '{"id":4,"method":"mining.submit","params":["wallet.worker1","bf","00000002","504e86ed","b2957c03"]}\n'],
  [S, '{"id":null,"method":"mining.notify","params":["c0"]}\n'],
];
const xmrig: Message[] = [
  [C, `{"id":1,"jsonrpc":"2.0","method":"login","params":{"login":"44AFFq5kSiGBoZ","pass":"${SECRET}","agent":"XMRig/6.21.0 (Linux x86_64) libuv/1.44.2 gcc/12.2.0","algo":["rx/0"]}}\n`],
  [S, '{"id":1,"jsonrpc":"2.0","error":null,"result":{"id":"7a1b","job":{"blob":"0e0e","job_id":"1","target":"b88d0600"},"status":"OK"}}\n'],
  [C, '{"id":2,"jsonrpc":"2.0","method":"submit","params":{"id":"7a1b","job_id":"1","nonce":"ab12","result":"ff"}}\n'],
  [S, '{"id":2,"jsonrpc":"2.0","error":null,"result":{"status":"OK"}}\n'],
  [S, '{"jsonrpc":"2.0","method":"job","params":{"blob":"0e0f","job_id":"2","target":"b88d0600"}}\n'],
];

test('Stratum v1: subscribe/authorize/submit paired by id, rejected share is an exception, worker and agent kept, password not', () => {
  const ctx = replay(stratumSpec, stratumV1, { flow: { serverPort: 3333 } });
  assertWellFormed(ctx.events, SECRET);
  const o = ops(ctx);
  assert.deepEqual(o.map((e) => [e.frame, e.codeName, e.result, e.exceptionName ?? '']), [
    [1, 'mining.subscribe', 'ok', ''],
    [3, 'mining.authorize', 'ok', ''],
    [4, 'mining.notify', 'unknown', ''],
    [5, 'mining.submit', 'exception', 'rejected'],
  ]);
  assert.deepEqual(o[1]!.attributes, { pool: '10.0.0.2:3333', worker: 'wallet.worker1', agent: 'cgminer/4.10.0' });
  assert.equal(ctx.counters['stratum.repeated-requests'], 1);
  assert.equal(ctx.counters['stratum.jobs'], 1);
  assert.deepEqual(fact(ctx, 'role-hint', '10.0.0.1'), ['cryptominer']);
  assert.deepEqual(fact(ctx, 'software', '10.0.0.1'), ['cgminer/4.10.0']);
  assert.deepEqual(replay(stratumSpec, stratumV1, { chunk: 7, flow: { serverPort: 3333 } }).events, ctx.events);
});

test('Monero/xmrig dialect: login (agent, wallet login), submit, job push', () => {
  const ctx = replay(stratumSpec, xmrig);
  assertWellFormed(ctx.events, SECRET);
  assert.deepEqual(ops(ctx).map((e) => [e.codeName, e.result, e.attributes?.worker]), [
    ['login', 'ok', '44AFFq5kSiGBoZ'],
    ['submit', 'ok', '44AFFq5kSiGBoZ'],
    ['job', 'unknown', '44AFFq5kSiGBoZ'],
  ]);
  assert.deepEqual(fact(ctx, 'software', '10.0.0.1'), ['XMRig/6.21.0 (Linux x86_64) libuv/1.44.2 gcc/12.2.0']);
});

test('JSON scanning: top-level id is not a nested "id"; escapes; absent members', () => {
  const s = '{"method":"submit","params":{"id":"999"},"id":7}';
  assert.equal(scalarMember(s, 'id', true), '7');
  assert.equal(scalarMember(s, 'id'), '999');
  assert.equal(stringMember('{"a":"x\\"y\\u0041"}', 'a'), 'x"yA');
  assert.equal(firstArrayString('{"params": [ "w" , "p"]}', 'params'), 'w');
  assert.equal(stringMember('{"a":1}', 'b'), '');
  assert.equal(stringMember('{"a":"unterminated', 'a'), '');
});

test('probe: mining methods Yes, other JSON-RPC No, partial line NeedMore', () => {
  const b = (s: string) => Buffer.from(s);
  assert.equal(probeStratum(b(stratumV1[0]![1] as string), 0, 60, Dir.ToServer), Probe.Yes);
  assert.equal(probeStratum(b('{"jsonrpc":"2.0","method":"eth_blockNumber","id":1}\n'), 0, 50, Dir.ToServer), Probe.No);
  assert.equal(probeStratum(b('{"id":1,"par'), 0, 12, Dir.ToServer), Probe.NeedMore);
  assert.equal(probeStratum(b('GET / HTTP/1.1\r\n'), 0, 16, Dir.ToServer), Probe.No);
});

test('corpus: threats/mining.pcapng (nDPI, LGPL: not copied) — three pools, three dialects', { skip: hasCorpus ? false : 'needs ../shared/corpus' }, async () => {
  const { trace } = await traceOf(join(corpusDir, 'threats', 'mining.pcapng'));
  assertGolden(join(import.meta.dirname, 'fixtures', 'mining.golden.json'), { operations: trace.operations.filter((o) => o[1] === 'stratum'), facts: trace.facts.filter((f) => f[3] === 'stratum') });
  const miners = trace.facts.filter((f) => f[1] === 'role-hint' && f[2] === 'cryptominer').map((f) => f[0]);
  assert.deepEqual(miners.sort(), ['147.229.13.222', '192.168.2.148', '192.168.2.92']);
});

test('property: mutated, truncated, re-segmented sessions and noise never throw', () => {
  checkRobustness(stratumSpec, [...stratumV1, ...xmrig]);
});
