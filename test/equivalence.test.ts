/**
 * The same packets give the same analysis whatever the container (pcap µs/ns in both byte orders, pcapng,
 * gzip) and however the SPAN delivered them (untagged, 802.1Q, QinQ, ERSPAN II/III, VXLAN).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCapture } from '../src/capture/reader.js';
import { analyzeCaptures } from '../src/engine/analyze.js';
import { encapsulate, type Encapsulation } from './support/encap.js';
import { fixture, hasTool } from './support/cli.js';
import { normalise } from './support/report.js';

const tmp = mkdtempSync(join(tmpdir(), 'otwatch-eq-'));

interface Rec {
  tsSec: number;
  tsNsec: number;
  linkType: number;
  data: Buffer;
  origLen: number;
}

async function records(path: string): Promise<Rec[]> {
  const out: Rec[] = [];
  await readCapture(path, (r) => out.push({ tsSec: r.tsSec, tsNsec: r.tsNsec, linkType: r.linkType, data: Buffer.from(r.data), origLen: r.origLen }));
  return out;
}

/** Classic pcap in either byte order and precision, written by hand so the test does not trust our writer. */
function writePcap(path: string, recs: Rec[], opts: { bigEndian: boolean; nano: boolean; linkType?: number }): void {
  const w16 = (b: Buffer, v: number, o: number) => (opts.bigEndian ? b.writeUInt16BE(v, o) : b.writeUInt16LE(v, o));
  const w32 = (b: Buffer, v: number, o: number) => (opts.bigEndian ? b.writeUInt32BE(v >>> 0, o) : b.writeUInt32LE(v >>> 0, o));
  const header = Buffer.alloc(24);
  w32(header, opts.nano ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  w16(header, 2, 4);
  w16(header, 4, 6);
  w32(header, 262144, 16);
  w32(header, opts.linkType ?? recs[0]?.linkType ?? 1, 20);
  const parts: Buffer[] = [header];
  for (const r of recs) {
    const h = Buffer.alloc(16);
    w32(h, r.tsSec, 0);
    w32(h, opts.nano ? r.tsNsec : Math.floor(r.tsNsec / 1000), 4);
    w32(h, r.data.length, 8);
    w32(h, Math.max(r.origLen, r.data.length), 12);
    parts.push(h, r.data);
  }
  writeFileSync(path, Buffer.concat(parts));
}

async function report(files: string[]) {
  return normalise((await analyzeCaptures(files)).report as unknown as Record<string, unknown>);
}

for (const name of ['modbus_example.pcap', 'modbusSmall.pcap']) {
  test(`${name}: pcap in all four magics, pcapng and gzip give identical reports`, async () => {
    const source = fixture(name);
    const recs = await records(source);
    const reference = await report([source]);
    const variants: string[] = [];
    for (const bigEndian of [false, true]) {
      for (const nano of [false, true]) {
        const path = join(tmp, `${name}.${bigEndian ? 'be' : 'le'}.${nano ? 'ns' : 'us'}.pcap`);
        writePcap(path, recs, { bigEndian, nano });
        variants.push(path);
      }
    }
    const gz = join(tmp, `${name}.gz`);
    writeFileSync(gz, gzipSync(readFileSync(source)));
    variants.push(gz);
    if (hasTool('editcap')) {
      const ng = join(tmp, `${name}.pcapng`);
      assert.equal(spawnSync('editcap', ['-F', 'pcapng', source, ng]).status, 0);
      variants.push(ng);
      const nggz = join(tmp, `${name}.pcapng.gz`);
      writeFileSync(nggz, gzipSync(readFileSync(ng)));
      variants.push(nggz);
    } else {
      console.log('# editcap not installed: pcapng conversion skipped');
    }
    for (const v of variants) assert.deepEqual(await report([v]), reference, `variant ${v}`);
  });
}

test('pcapng with two interfaces of different link types gives the same inventory as the captures read separately', async (t) => {
  if (!hasTool('mergecap')) return t.skip('mergecap not installed');
  const eth = fixture('modbus_example.pcap');
  const raw = fixture('raw-ipv4-http.pcap');
  const merged = join(tmp, 'mixed.pcapng');
  assert.equal(spawnSync('mergecap', ['-F', 'pcapng', '-w', merged, eth, raw]).status, 0);
  const together = await report([merged]);
  const apart = await report([eth, raw]);
  // mergecap stores the raw-IP capture's interface as LINKTYPE_IPV4 in pcapng.
  assert.equal(together.captures[0].linkTypes.length, 2);
  assert.ok(together.captures[0].linkTypes.includes('ethernet'));
  // Facts point at frames of their own file, which differ between one merged file and two separate ones.
  assert.deepEqual(together.assets.map(identity), apart.assets.map(identity));
  assert.deepEqual(together.communications, apart.communications);
});

const ENCAPSULATIONS: Encapsulation[] = ['vlan', 'qinq', 'erspan2', 'erspan3', 'vxlan'];

test('802.1Q, QinQ, ERSPAN II/III and VXLAN copies of the traffic yield the same assets as the untagged traffic', async () => {
  const source = fixture('modbus_example.pcap');
  const recs = (await records(source)).filter((r) => r.linkType === 1);
  const plain = join(tmp, 'plain.pcap');
  writePcap(plain, recs, { bigEndian: false, nano: true, linkType: 1 });
  const reference = await report([plain]);
  assert.ok(reference.assets.length > 0);
  for (const how of ENCAPSULATIONS) {
    const path = join(tmp, `${how}.pcap`);
    writePcap(path, recs.map((r, i) => ({ ...r, data: encapsulate(r.data, how, i), origLen: 0 })), { bigEndian: false, nano: true, linkType: 1 });
    const got = await report([path]);
    // Identity is what must not depend on the mirroring; zones legitimately follow the VLAN tags.
    const strip = (assets: Array<Record<string, unknown>>) => assets.map((a) => identity(a));
    assert.deepEqual(strip(got.assets), strip(reference.assets), `assets through ${how}`);
    assert.deepEqual(got.communications.map((c: Record<string, unknown>) => [c.src, c.dst, c.protocol, c.port, c.packets, c.operations]), reference.communications.map((c: Record<string, unknown>) => [c.src, c.dst, c.protocol, c.port, c.packets, c.operations]), `communications through ${how}`);
    assert.equal(got.stats.events, reference.stats.events, `events through ${how}`);
  }
});

/** The fields that identify an asset: independent of how (and in how many files) its traffic was captured. */
function identity(a: Record<string, unknown>): Record<string, unknown> {
  const { id, mac, ips, hostnames, vendor, model, firmware, serial, protocols } = a;
  return { id, mac, ips, hostnames, vendor, model, firmware, serial, protocols };
}
