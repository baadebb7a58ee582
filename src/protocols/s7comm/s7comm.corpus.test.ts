/**
 * Real captures. Golden files (fixtures/*.golden.json) were generated once by test-support/gen-golden.ts and
 * checked line by line against tshark 4.0 (function/subfunction/SZL id per frame, error codes of the
 * responses, SZL identity strings in `tshark -V`); this test compares the analyzer with them. The differential
 * part compares every S7comm PDU of the corpus with tshark's s7comm.param.func / userdata funcgroup+subfunc.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { goldenView, operations, runCapture } from './test-support/harness.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const fixtures = join(here, 'fixtures');
const repoRoot = join(here, '..', '..', '..');
const corpus = join(repoRoot, '..', 'shared', 'corpus', 'pcaps', 's7comm');

function hasTshark(): boolean {
  try {
    execFileSync('tshark', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('s7comm golden files', () => {
  const pcaps = readdirSync(fixtures).filter((n) => n.endsWith('.pcap'));
  it('has the fixtures', () => assert.ok(pcaps.length >= 6));
  for (const name of pcaps) {
    it(name, () => {
      const golden = JSON.parse(readFileSync(join(fixtures, name.replace(/\.pcap$/, '.golden.json')), 'utf8'));
      const got = goldenView(runCapture(join(fixtures, name)).events);
      assert.deepEqual(got.operations, golden.operations);
      assert.deepEqual(got.facts, golden.facts);
    });
  }
  it('multi-part SZL answers are followed to their last part (tshark reassembles the same parts)', () => {
    // tshark: s7comm.param.userdata.lastdataunit == 1 marks a part with more to follow; the next part with the
    // same data unit reference completes it (plc_status: SZL 0x001c frames 69 + 72 and 0x0000 frames 17 + 20).
    const expected: Record<string, number> = {
      's7comm_reading_plc_status.pcap': 2,
      's7comm_program_blocklist_onlineview.pcap': 1,
      's7comm_reading_setting_plc_time.pcap': 1,
      's7ident.pcap': 0,
    };
    for (const [name, parts] of Object.entries(expected)) {
      const { counters } = runCapture(join(fixtures, name));
      assert.equal(counters['s7comm.szl-continued-parts'] ?? 0, parts, name);
      for (const cap of ['s7comm.szl-orphan-part', 's7comm.szl-abandoned', 's7comm.szl-parts-cap', 's7comm.szl-bytes-cap']) {
        assert.equal(counters[cap], undefined, `${name} ${cap}`);
      }
    }
  });
});

describe('s7comm differential against tshark', () => {
  const skip = !existsSync(corpus) ? `corpus not found at ${corpus}` : !hasTshark() ? 'tshark not installed' : false;
  it('agrees with tshark on the function of ≥ 99% of S7comm PDUs', { skip }, async () => {
    let total = 0;
    let agreed = 0;
    const disagreements: string[] = [];
    const names = skip ? [] : readdirSync(corpus).filter((n) => /\.pcap(ng)?$/.test(n));
    // tshark runs in parallel; our analyzer runs meanwhile.
    const outputs = await Promise.all(names.map((name) => promisify(execFile)(
        'tshark',
        ['-r', join(corpus, name), '-Y', 's7comm', '-T', 'fields', '-E', 'separator=|', '-e', 'frame.number', '-e', 's7comm.header.rosctr',
          '-e', 's7comm.param.func', '-e', 's7comm.param.userdata.type', '-e', 's7comm.param.userdata.funcgroup',
          '-e', 's7comm.param.userdata.subfunc'],
        { encoding: 'utf8', maxBuffer: 64 << 20 },
      ).then((r) => r.stdout)));
    for (const [i, name] of names.entries()) {
      const file = join(corpus, name);
      const out = outputs[i]!;
      // Our side: per frame, the codes of the operations whose request or response is in that frame.
      const ours = new Map<number, string[]>();
      const add = (frame: number, token: string) => {
        const list = ours.get(frame) ?? [];
        list.push(token);
        ours.set(frame, list);
      };
      for (const op of operations(runCapture(file).events)) {
        const token = op.subCode !== undefined ? `u${op.subCode}:${op.code}` : `f${op.code}`;
        add(op.frame, token);
        if (op.responseFrame !== undefined) add(op.responseFrame, token);
      }
      for (const line of out.split('\n')) {
        if (!line) continue;
        const [frameS, , funcs, types, groups, subfuncs] = line.split('|');
        const frame = Number(frameS);
        const expected: string[] = [];
        for (const f of (funcs ?? '').split(',').filter(Boolean)) expected.push(`f${parseInt(f, 16)}`);
        const t = (types ?? '').split(',').filter(Boolean);
        const g = (groups ?? '').split(',');
        const s = (subfuncs ?? '').split(',');
        // PLC-pushed userdata (type 0) is not a request: the analyzer counts it instead of reporting it.
        t.forEach((type, i) => {
          if (type !== '0') expected.push(`u${Number(g[i])}:${Number(s[i])}`);
        });
        const have = [...(ours.get(frame) ?? [])];
        for (const token of expected) {
          total++;
          const at = have.indexOf(token);
          if (at >= 0) {
            agreed++;
            have.splice(at, 1);
          } else {
            disagreements.push(`${name} frame ${frame}: tshark ${token}, ours ${JSON.stringify(ours.get(frame) ?? [])}`);
          }
        }
      }
    }
    if (disagreements.length) console.log(`disagreements (${disagreements.length}):\n  ${disagreements.slice(0, 50).join('\n  ')}`);
    console.log(`s7comm differential: ${agreed}/${total} PDUs agree`);
    assert.ok(total > 1000, `expected a sizeable corpus, got ${total} PDUs`);
    assert.ok(agreed / total >= 0.99, `${agreed}/${total} agree`);
  });
});
