import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { traceOf, tsharkFields, hasTshark } from '../../../test/support/trace.js';
import { assertGolden } from '../../../test/support/golden.js';
import { corpusDir } from '../../../test/support/cli.js';
import type { OperationEvent } from '../../events/types.js';
import { isGrease } from './parser.js';

const fixtures = join(import.meta.dirname, 'fixtures');
// openssl s_server on 127.0.0.1:8443; curl --tls-max 1.2 with SNI, curl TLS 1.3 with SNI, curl TLS 1.3 to an IP
const LOOPBACK = join(fixtures, 'tls_loopback.pcap');

test('golden trace: tls_loopback.pcap', async () => {
  const { trace } = await traceOf(LOOPBACK);
  assertGolden(join(fixtures, 'tls_loopback.golden.json'), trace);
});

test('differential with tshark: SNI, cipher and extension lists, negotiated version and cipher per handshake', { skip: hasTshark ? false : 'needs tshark' }, async () => {
  const { events } = await traceOf(LOOPBACK);
  const ops = events.filter((e): e is OperationEvent => e.type === 'operation' && e.protocol === 'tls');
  const hellos = tsharkFields(LOOPBACK, 'tls.handshake.type==1', ['tls.handshake.extensions_server_name', 'tls.handshake.ciphersuite', 'tls.handshake.extension.type', 'tls.handshake.sig_hash_alg']);
  const servers = tsharkFields(LOOPBACK, 'tls.handshake.type==2', ['tls.handshake.ciphersuite', 'tls.handshake.extensions.supported_version', 'tls.handshake.version']);
  assert.deepEqual(ops.map((o) => o.frame), [...hellos.keys()]);
  assert.deepEqual(ops.map((o) => o.responseFrame), [...servers.keys()]);
  const hex = (v: string) => Number(v).toString(16).padStart(4, '0');
  for (const op of ops) {
    const [[sni = ''] = [], ciphers = [], extensions = [], sigs = []] = hellos.get(op.frame)!;
    const [, cipherList, extList, sigList] = String(op.attributes!.ja4_r).split('_');
    assert.equal(op.attributes!.sni ?? '', sni);
    assert.equal(cipherList, ciphers.map(Number).filter((c) => !isGrease(c)).map((c) => hex(String(c))).sort().join(','));
    assert.equal(extList, extensions.map(Number).filter((e) => !isGrease(e) && e !== 0 && e !== 16).map((e) => hex(String(e))).sort().join(','));
    assert.equal(sigList, sigs.map((s) => Number(s).toString(16).padStart(4, '0')).join(','));
    const [[cipher] = [], selected = [], [legacy] = []] = servers.get(op.responseFrame!)!;
    assert.equal(op.attributes!.cipher, hex(cipher!));
    assert.equal(op.code, Number(selected[0] ?? legacy));
  }
});

const lockPlc = join(corpusDir, 'enip', 'EIP-LockPLCAttempt.pcap');
test('corpus: port-443 bytes that are not TLS records are not claimed as TLS', { skip: existsSync(lockPlc) ? false : 'needs ../shared/corpus' }, async () => {
  const { events } = await traceOf(lockPlc);
  assert.equal(events.filter((e) => e.protocol === 'tls').length, 0);
});
