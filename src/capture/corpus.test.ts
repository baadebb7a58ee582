/**
 * Differential tests against Wireshark's tools on the shared corpus: packet counts and first/last timestamps
 * from capinfos, and format conversions by editcap (pcap µs/ns, pcapng, gzip, byte-swapped) must all read
 * back as the same packet sequence.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { readCapture } from './reader.js';
import { scratchPath } from './test-support/builders.js';
import type { PacketRecord } from './types.js';
import { PcapWriter, PcapngWriter } from './writer.js';

const repoRoot = new URL('../..', import.meta.url).pathname;
const corpus = join(repoRoot, '..', 'shared', 'corpus', 'pcaps');
const haveCorpus = existsSync(corpus);
const haveTools = existsSync('/usr/bin/capinfos') && existsSync('/usr/bin/editcap');
const noCorpus = !haveCorpus && `corpus not found at ${corpus}`;
const noTools = (!haveCorpus && `corpus not found at ${corpus}`) || (!haveTools && 'capinfos/editcap not installed');

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else out.push(path);
  }
  return out;
}

/** One line per packet: frame, timestamp, interface link type, lengths and a digest of the bytes. */
async function fingerprint(path: string): Promise<string[]> {
  const lines: string[] = [];
  await readCapture(path, (r: PacketRecord) => {
    const digest = createHash('sha1').update(r.data).digest('hex').slice(0, 12);
    lines.push(`${r.frame} ${r.tsSec}.${String(r.tsNsec).padStart(9, '0')} ${r.linkType} ${r.capLen} ${r.origLen} ${digest}`);
  });
  return lines;
}

describe('shared corpus', () => {
  it('reads every corpus file without throwing; counts and time span match capinfos', { skip: noTools }, async () => {
    const files = walk(corpus);
    assert.ok(files.length > 0);
    const table = execFileSync('capinfos', ['-T', '-r', '-M', '-c', '-a', '-e', '-S', ...files], { encoding: 'utf8' });
    const expected = new Map<string, [number, number, number]>();
    for (const line of table.trim().split('\n')) {
      const [file, count, first, last] = line.split('\t');
      expected.set(file!, [Number(count), Number(first), Number(last)]);
    }
    for (const file of files) {
      const summary = await readCapture(file, () => {});
      const [count, first, last] = expected.get(file)!;
      const name = relative(corpus, file);
      assert.equal(summary.packets, count, name);
      assert.ok(Math.abs(summary.firstSeen! - first) < 2e-6, `${name}: first ${summary.firstSeen} vs ${first}`);
      assert.ok(Math.abs(summary.lastSeen! - last) < 2e-6, `${name}: last ${summary.lastSeen} vs ${last}`);
    }
  });

  it('without the tools, still reads every corpus file without throwing', { skip: noCorpus || (haveTools && 'covered by the capinfos comparison') }, async () => {
    let packets = 0;
    for (const file of walk(corpus)) packets += (await readCapture(file, () => {})).packets;
    assert.ok(packets > 0);
  });

  it('pcapng corpus file: every frame matches tshark (time, lengths, interface)', { skip: noTools || (!existsSync('/usr/bin/tshark') && 'tshark not installed') }, async () => {
    const file = join(corpus, 'dnp3', 'ndpi_dnp3.pcap'); // a pcapng despite its name
    const fields = ['frame.number', 'frame.time_epoch', 'frame.cap_len', 'frame.len', 'frame.interface_id'];
    const out = execFileSync('tshark', ['-r', file, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const ours: string[] = [];
    const summary = await readCapture(file, (r) =>
      ours.push([r.frame, `${r.tsSec}.${String(r.tsNsec).padStart(9, '0')}`, r.capLen, r.origLen, r.interfaceId].join('\t')),
    );
    assert.equal(summary.format, 'pcapng');
    assert.deepEqual(ours, out.trim().split('\n'));
  });

  for (const name of ['modbus/modbus.pcap', 'dnp3/ndpi_dnp3.pcap', 'opcua/ndpi_opc-ua.pcap']) {
    it(`${name}: editcap conversions, gzip and byte-swapped copies read as the same packets`, { skip: noTools }, async () => {
      const original = join(corpus, name);
      const reference = await fingerprint(original);
      assert.ok(reference.length > 0);
      const base = scratchPath(name.replace('/', '-'));
      const variants: string[] = [];
      for (const format of ['pcap', 'nsecpcap', 'pcapng']) {
        const out = `${base}.${format}`;
        execFileSync('editcap', ['-F', format, original, out]);
        variants.push(out);
      }
      const gz = `${base}.pcapng.gz`;
      writeFileSync(gz, gzipSync(readFileSync(`${base}.pcapng`)));
      variants.push(gz);

      // Byte-swapped (big-endian) copies written with our writers from what the reader delivered.
      const records: { linkType: number; interfaceId: number; sec: number; nsec: number; data: Buffer; origLen: number }[] = [];
      await readCapture(original, (r) =>
        records.push({ linkType: r.linkType, interfaceId: r.interfaceId, sec: r.tsSec, nsec: r.tsNsec, data: Buffer.from(r.data), origLen: r.origLen }),
      );
      const swappedPcap = `${base}.be.pcap`;
      const swappedNg = `${base}.be.pcapng`;
      const pcap = new PcapWriter(swappedPcap, { linkType: records[0]!.linkType, nanosecond: true, bigEndian: true });
      const ng = new PcapngWriter(swappedNg, { bigEndian: true });
      const interfaces = new Map<number, number>();
      for (const r of records) {
        pcap.write(r.sec, r.nsec, r.data, r.origLen);
        if (!interfaces.has(r.interfaceId)) interfaces.set(r.interfaceId, ng.addInterface({ linkType: r.linkType, tsresol: 9 }));
        ng.write(interfaces.get(r.interfaceId)!, r.sec, r.nsec, r.data, r.origLen);
      }
      pcap.close();
      ng.close();
      variants.push(swappedPcap, swappedNg);

      for (const variant of variants) {
        assert.deepEqual(await fingerprint(variant), reference, relative(scratchPath(''), variant));
      }
    });
  }
});
