/**
 * Differential test against tshark's conversation tables on real captures: every TCP/UDP conversation tshark
 * sees is one of our flows (summed over 5-tuple reuse) with the same number of frames.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCapture } from '../capture/reader.js';
import { PacketDecoder } from './decoder.js';
import { DecodedPacket } from './packet.js';
import { harness } from './flow-test-support.js';

const repoRoot = resolve(fileURLToPath(import.meta.url), '../../..');
const corpus = resolve(repoRoot, '../shared/corpus/pcaps');
const TSHARK = '/usr/bin/tshark';
const MERGECAP = '/usr/bin/mergecap';
const FILES = [
  'modbus/modbus.pcap',
  'modbus/modbusSmall.pcap',
  'dnp3/dnp3_udp_select_operate.pcap',
  'dnp3/read_and_response.pcap',
  'bacnet/bacnet_services.pcap',
  'enip/enip_test.pcap',
  'iec104',
  's7comm',
];

function corpusFiles(): string[] {
  const out: string[] = [];
  for (const entry of FILES) {
    const path = join(corpus, entry);
    if (!existsSync(path)) continue;
    if (entry.includes('.')) out.push(path);
    else out.push(...readdirSync(path).filter((n) => /\.(pcap|pcapng|cap)$/.test(n)).slice(0, 2).map((n) => join(path, n)));
  }
  return out;
}

function key(a: string, pa: number, b: string, pb: number, t: string): string {
  const x = `${a}|${pa}`;
  const y = `${b}|${pb}`;
  return x < y ? `${t} ${x} ${y}` : `${t} ${y} ${x}`;
}

function tsharkConversations(file: string): Map<string, number> {
  const text = execFileSync(TSHARK, ['-n', '-r', file, '-q', '-z', 'conv,tcp', '-z', 'conv,udp'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const out = new Map<string, number>();
  let transport = '';
  for (const line of text.split('\n')) {
    if (line.startsWith('TCP Conversations')) transport = 'tcp';
    else if (line.startsWith('UDP Conversations')) transport = 'udp';
    const m = /^(\S+):(\d+)\s+<->\s+(\S+):(\d+)\s+\d+\s+\S+\s+(?:bytes|[kMG]B)\s+\d+\s+\S+\s+(?:bytes|[kMG]B)\s+(\d+)\s/.exec(line);
    if (m === null || transport === '') continue;
    const k = key(m[1]!, Number(m[2]), m[3]!, Number(m[4]), transport);
    out.set(k, (out.get(k) ?? 0) + Number(m[5]));
  }
  return out;
}

const haveTools = existsSync(TSHARK) && existsSync(MERGECAP) && existsSync(corpus);

test('flow table agrees with tshark conversation tables on corpus captures', { skip: haveTools ? false : 'tshark/mergecap or ../shared/corpus not available' }, async () => {
  const files = corpusFiles();
  assert.ok(files.length > 0, 'no corpus files found');
  // One merged capture: tshark's start-up dominates, so it runs once.
  const dir = mkdtempSync(join(tmpdir(), 'otwatch-flow-'));
  const merged = join(dir, 'merged.pcapng');
  try {
    execFileSync(MERGECAP, ['-F', 'pcapng', '-w', merged, ...files], { stdio: 'ignore' });
    const h = harness([], { udpIdleTimeoutSec: 1e9, tcpIdleTimeoutSec: 1e9, tcpClosedTimeoutSec: 1e9 });
    const decoder = new PacketDecoder();
    const pkt = new DecodedPacket();
    await readCapture(merged, (rec) => {
      if (decoder.decode(rec, pkt)) h.table.process(pkt);
    });
    h.table.flushAll();
    const ours = new Map<string, number>();
    for (const f of h.ended) {
      if (f.transport !== 'tcp' && f.transport !== 'udp') continue;
      const k = key(f.clientIp, f.clientPort, f.serverIp, f.serverPort, f.transport);
      ours.set(k, (ours.get(k) ?? 0) + f.packetsToServer + f.packetsToClient);
    }
    const theirs = tsharkConversations(merged);
    assert.ok(theirs.size > 10, `tshark saw only ${theirs.size} conversations`);
    assert.deepEqual(new Map([...ours].sort()), new Map([...theirs].sort()));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
