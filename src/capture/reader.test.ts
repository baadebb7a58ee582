import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { readCapture, walkRecords } from './reader.js';
import { linkTypeName } from './link-types.js';
import {
  buildPcap,
  buildPcapng,
  copyRecords,
  frameOf,
  raw,
  readBytes,
  recordEnds,
  scratchPath,
  type CopiedRecord,
} from './test-support/builders.js';
import { CaptureInputError, LinkType } from './types.js';

const SAMPLE = [
  { sec: 1600000000, nsec: 123456000, len: 60 },
  { sec: 1600000001, nsec: 999999000, len: 1514 },
  { sec: 1599999999, nsec: 0, len: 42 },
];

function samplePcap(nanosecond: boolean, bigEndian: boolean): Buffer {
  return buildPcap({ linkType: LinkType.ETHERNET, nanosecond, bigEndian }, (w) => {
    SAMPLE.forEach((p, i) => w.write(p.sec, p.nsec + (nanosecond ? 7 : 0), frameOf(p.len, i)));
  });
}

function assertSample(records: CopiedRecord[], nanosecond: boolean): void {
  assert.equal(records.length, SAMPLE.length);
  SAMPLE.forEach((p, i) => {
    const r = records[i]!;
    assert.equal(r.frame, i + 1);
    assert.equal(r.tsSec, p.sec);
    assert.equal(r.tsNsec, p.nsec + (nanosecond ? 7 : 0));
    assert.equal(r.capLen, p.len);
    assert.equal(r.origLen, p.len);
    assert.equal(r.linkType, LinkType.ETHERNET);
    assert.deepEqual(r.data, frameOf(p.len, i));
  });
}

describe('pcap', () => {
  it('reads a hand-built little-endian microsecond file', async () => {
    const bytes = Buffer.from(
      'd4c3b2a1' + '0200' + '0400' + '00000000' + '00000000' + 'ffff0000' + '01000000' +
        '00105e5f' + '40e20100' + '04000000' + '3c000000' + 'deadbeef',
      'hex',
    );
    const { records, summary } = await readBytes(bytes);
    assert.equal(records.length, 1);
    assert.equal(records[0]!.tsSec, 0x5f5e1000);
    assert.equal(records[0]!.tsNsec, 123456000);
    assert.equal(records[0]!.capLen, 4);
    assert.equal(records[0]!.origLen, 60);
    assert.deepEqual(records[0]!.data, Buffer.from('deadbeef', 'hex'));
    assert.equal(summary.format, 'pcap');
    assert.deepEqual(summary.linkTypes, [1]);
    assert.equal(summary.interfaces[0]!.snapLen, 65535);
    assert.equal(summary.bytes, 4);
    assert.equal(summary.truncated, false);
  });

  for (const nanosecond of [false, true]) {
    for (const bigEndian of [false, true]) {
      it(`reads ${nanosecond ? 'ns' : 'µs'} ${bigEndian ? 'big' : 'little'}-endian`, async () => {
        const bytes = samplePcap(nanosecond, bigEndian);
        const magic = nanosecond ? 'a1b23c4d' : 'a1b2c3d4';
        const expectedHead = bigEndian ? magic : Buffer.from(magic, 'hex').reverse().toString('hex');
        assert.equal(bytes.subarray(0, 4).toString('hex'), expectedHead);
        const { records, summary } = await readBytes(bytes);
        assertSample(records, nanosecond);
        assert.equal(summary.interfaces[0]!.tsResolution, nanosecond ? 1e9 : 1e6);
        assert.equal(summary.firstSeen, 1599999999);
        assert.equal(summary.lastSeen, 1600000001 + (999999000 + (nanosecond ? 7 : 0)) / 1e9);
        assert.equal(summary.packets, 3);
        assert.equal(summary.bytes, 60 + 1514 + 42);
      });
    }
  }

  it('stops at a record whose captured length is impossible, keeping what came before', async () => {
    const bytes = Buffer.from(samplePcap(false, false));
    const secondRecord = 24 + 16 + 60;
    bytes.writeUInt32LE(0x7fffffff, secondRecord + 8);
    const { records, summary } = await readBytes(bytes);
    assert.equal(records.length, 1);
    assert.equal(summary.truncated, true);
    assert.equal(summary.counters.oversizedRecords, 1);
    assert.match(summary.warnings[0]!, new RegExp(`byte offset ${secondRecord}\\b`));
  });

  it('masks FCS bits out of the link-type field and counts unknown link types', async () => {
    const bytes = buildPcap({ linkType: 147 | (1 << 26) }, (w) => w.write(1, 0, frameOf(10, 1)));
    const { records, summary } = await readBytes(bytes);
    assert.equal(records[0]!.linkType, 147);
    assert.equal(summary.counters.unknownLinkTypePackets, 1);
    assert.ok(summary.warnings.some((w) => w.includes('linktype-147')));
  });
});

describe('pcapng', () => {
  it('reads two sections of opposite byte order and numbers frames across them', async () => {
    const first = buildPcapng({}, (w) => {
      w.addInterface({ linkType: LinkType.ETHERNET, name: 'eth0', description: 'plant floor' });
      w.write(0, 1700000000, 1000, frameOf(64, 1));
      w.write(0, 1700000001, 2000, frameOf(65, 2));
    });
    const second = buildPcapng({ bigEndian: true }, (w) => {
      w.addInterface({ linkType: LinkType.RAW, snapLen: 128 });
      w.addInterface({ linkType: LinkType.LINUX_SLL });
      w.write(1, 1700000002, 3000, frameOf(40, 3));
      w.write(0, 1700000003, 4000, frameOf(200, 4), 300);
    });
    assert.equal(second.subarray(8, 12).toString('hex'), '1a2b3c4d');
    const { records, summary } = await readBytes(Buffer.concat([first, second]));
    assert.equal(summary.format, 'pcapng');
    assert.equal(summary.sections, 2);
    assert.deepEqual(
      records.map((r) => [r.frame, r.interfaceId, r.linkType, r.tsSec, r.tsNsec, r.capLen, r.origLen]),
      [
        [1, 0, 1, 1700000000, 1000, 64, 64],
        [2, 0, 1, 1700000001, 2000, 65, 65],
        [3, 2, 113, 1700000002, 3000, 40, 40],
        [4, 1, 101, 1700000003, 4000, 128, 300],
      ],
    );
    assert.deepEqual(records[3]!.data, frameOf(200, 4).subarray(0, 128));
    assert.deepEqual(summary.linkTypes, [1, 113, 101]);
    assert.equal(summary.interfaces.length, 3);
    assert.equal(summary.interfaces[0]!.name, 'eth0');
    assert.equal(summary.interfaces[0]!.description, 'plant floor');
    assert.equal(summary.interfaces[1]!.snapLen, 128);
  });

  it('converts if_tsresol 10^-9 (high word above 2^21) and 2^-20, and adds if_tsoffset', async () => {
    for (const le of [true, false]) {
      const nsTicks = 1700000000123456789n;
      const binTicks = 1700000000n * 1048576n + 524289n; // 0.5 s + one 2^-20 tick
      const offTicks = 700000000n * 1000000n + 250000n;
      const offset = Buffer.alloc(8);
      if (le) offset.writeBigInt64LE(1000000000n);
      else offset.writeBigInt64BE(1000000000n);
      const bytes = Buffer.concat([
        raw.shb(le),
        raw.idb(1, 0, [raw.option(9, Buffer.from([9]), le)], le),
        raw.idb(1, 0, [raw.option(9, Buffer.from([0x94]), le)], le),
        raw.idb(1, 0, [raw.option(14, offset, le)], le),
        raw.epb(0, ...raw.split(nsTicks), frameOf(20, 1), le),
        raw.epb(1, ...raw.split(binTicks), frameOf(20, 2), le),
        raw.epb(2, ...raw.split(offTicks), frameOf(20, 3), le),
      ]);
      const { records, summary } = await readBytes(bytes);
      const expectedBinNsec = Number((524289n * 1000000000n) / 1048576n);
      assert.deepEqual(
        records.map((r) => [r.tsSec, r.tsNsec]),
        [
          [1700000000, 123456789],
          [1700000000, expectedBinNsec],
          [1700000000, 250000000],
        ],
      );
      assert.deepEqual(
        summary.interfaces.map((i) => [i.tsResolution, i.tsOffset]),
        [
          [1e9, 0],
          [1048576, 0],
          [1e6, 1000000000],
        ],
      );
    }
  });

  it('reads simple packet blocks (snaplen-capped, no timestamp) and obsolete packet blocks', async () => {
    const le = true;
    const frame = frameOf(100, 9);
    const spbBody = Buffer.concat([raw.u32(100, le), frame]);
    const pbBody = Buffer.concat([
      raw.u16(0, le),
      raw.u16(5, le),
      raw.u32(0, le),
      raw.u32(1_000_000 * 42 + 7, le),
      raw.u32(30, le),
      raw.u32(90, le),
      frame.subarray(0, 30),
    ]);
    const bytes = Buffer.concat([raw.shb(le), raw.idb(1, 64, [], le), raw.block(3, spbBody, le), raw.block(2, pbBody, le)]);
    const { records, summary } = await readBytes(bytes);
    assert.equal(records.length, 2);
    assert.deepEqual([records[0]!.capLen, records[0]!.origLen, records[0]!.tsSec, records[0]!.tsNsec], [64, 100, 0, 0]);
    assert.deepEqual(records[0]!.data, frame.subarray(0, 64));
    assert.deepEqual([records[1]!.capLen, records[1]!.origLen, records[1]!.tsSec, records[1]!.tsNsec], [30, 90, 42, 7000]);
    assert.equal(summary.firstSeen, 42.000007);
  });

  it('collects name resolution records and interface statistics', async () => {
    const ip6 = Buffer.from('20010db8000000000000000000000001', 'hex');
    const bytes = buildPcapng({}, (w) => {
      w.addInterface({ linkType: 1 });
      w.writeNames([
        { address: '192.168.1.10', names: ['plc1.plant', 'plc1'] },
        { address: ip6, names: ['hmi.plant'] },
      ]);
      w.write(0, 1, 0, frameOf(60, 1));
      w.writeStatistics(0, { received: 2 ** 40, dropped: 3, filterAccepted: 11, osDropped: 1, delivered: 10 });
    });
    const { summary } = await readBytes(bytes);
    assert.deepEqual(summary.names, { '192.168.1.10': ['plc1.plant', 'plc1'], '2001:db8::1': ['hmi.plant'] });
    assert.deepEqual(summary.interfaces[0]!.stats, {
      received: 2 ** 40,
      dropped: 3,
      filterAccepted: 11,
      osDropped: 1,
      delivered: 10,
    });
  });

  it('skips unknown and custom blocks, and packets of undeclared interfaces', async () => {
    const bytes = buildPcapng({}, (w) => {
      w.addInterface({ linkType: LinkType.ETHERNET });
      w.addInterface({ linkType: LinkType.NULL });
      w.writeBlock(0x0a, Buffer.from('decryption secrets'));
      w.write(1, 5, 0, frameOf(30, 1));
      w.writeBlock(0x40000bad, Buffer.alloc(9, 1));
      w.writeBlock(6, Buffer.concat([raw.u32(7, true), Buffer.alloc(16), frameOf(8, 1)])); // interface 7
      w.write(0, 6, 0, frameOf(31, 2));
    });
    const { records, summary } = await readBytes(bytes);
    assert.deepEqual(records.map((r) => [r.frame, r.linkType, r.capLen]), [
      [1, 0, 30],
      [2, 1, 31],
    ]);
    assert.equal(summary.counters.unknownBlocks, 2);
    assert.equal(summary.counters.badBlocks, 1);
    assert.equal(summary.truncated, false);
    assert.match(summary.warnings.join('\n'), /interface 7/);
  });

  it('stops at a block with a corrupt length and at a length mismatch', async () => {
    const good = buildPcapng({}, (w) => {
      w.addInterface({ linkType: 1 });
      w.write(0, 1, 0, frameOf(30, 1));
      w.write(0, 2, 0, frameOf(30, 2));
    });
    const { ends } = recordEnds(good);
    const secondEpb = ends[ends.length - 2]!;
    for (const [value, counter] of [
      [13, 'badBlocks'],
      [0xfffffff0, 'oversizedRecords'],
      [60, 'badBlocks'], // multiple of 4 but the trailing copy differs
    ] as const) {
      const bytes = Buffer.from(good);
      bytes.writeUInt32LE(value, secondEpb + 4);
      const { records, summary } = await readBytes(bytes);
      assert.equal(records.length, 1, `length ${value}`);
      assert.equal(summary.truncated, true);
      assert.equal(summary.counters[counter], 1);
      assert.match(summary.warnings[0]!, new RegExp(`offset ${secondEpb}\\b`));
    }
  });
});

describe('input handling', () => {
  it('transparently gunzips files and streams', async () => {
    const plain = samplePcap(true, false);
    const gz = gzipSync(plain);
    const path = scratchPath('sample.pcap.gz');
    writeFileSync(path, gz);
    const fromFile: CopiedRecord[] = [];
    const summary = await readCapture(path, copyRecords(fromFile));
    assertSample(fromFile, true);
    assert.equal(summary.compressed, true);
    assert.equal(summary.fileBytesRead, gz.length);
    const fromStream = await readBytes(gz, {}, 7);
    assertSample(fromStream.records, true);
    assert.equal(fromStream.summary.fileBytesRead, gz.length);
  });

  it('reports a truncated gzip stream as a truncated capture', async () => {
    const gz = gzipSync(samplePcap(false, false));
    const { records, summary } = await readBytes(gz.subarray(0, gz.length - 30));
    assert.ok(records.length < SAMPLE.length);
    assert.equal(summary.truncated, true);
  });

  it('rejects non-captures, empty and missing files with one-line CaptureInputErrors', async () => {
    const html = scratchPath('page.pcap');
    writeFileSync(html, '<html><body>not found</body></html>');
    await assert.rejects(readCapture(html, () => {}), (e: unknown) => {
      assert.ok(e instanceof CaptureInputError);
      assert.equal(e.message, `${html}: not a pcap or pcapng capture (starts with 3c 68 74 6d)`);
      return true;
    });
    const empty = scratchPath('empty.pcap');
    writeFileSync(empty, '');
    await assert.rejects(readCapture(empty, () => {}), { name: 'CaptureInputError', message: `${empty}: empty file` });
    const missing = scratchPath('missing.pcap');
    await assert.rejects(readCapture(missing, () => {}), { name: 'CaptureInputError', message: `${missing}: no such file` });
    const dir = scratchPath('a-directory');
    mkdirSync(dir);
    await assert.rejects(readCapture(dir, () => {}), { name: 'CaptureInputError', message: `${dir}: is a directory` });
    await assert.rejects(readBytes(gzipSync(Buffer.from('hello world'))), /not a pcap or pcapng capture inside gzip/);
    await assert.rejects(readBytes(Buffer.from([0xd4, 0xc3])), /only 2 bytes/);
  });

  for (const kind of ['pcap', 'pcapng'] as const) {
    it(`${kind}: a cut at every byte offset delivers exactly the complete records before it`, async () => {
      const whole =
        kind === 'pcap'
          ? samplePcap(false, true)
          : buildPcapng({ bigEndian: true }, (w) => {
              w.addInterface({ linkType: 1, tsresol: 9 });
              w.writeNames([{ address: '10.0.0.1', names: ['a'] }]);
              for (let i = 0; i < 3; i++) w.write(0, 100 + i, i, frameOf(17 + i * 9, i));
            });
      const full = await readBytes(whole);
      const { ends, packetBlock } = recordEnds(whole);
      for (let cut = 0; cut <= whole.length; cut++) {
        const prefix = whole.subarray(0, cut);
        if (cut < 4) {
          await assert.rejects(readBytes(prefix), CaptureInputError);
          continue;
        }
        const { records, summary } = await readBytes(prefix, { chunkBytes: 32 });
        const expected = ends.filter((end, i) => packetBlock[i] && end <= cut).length;
        assert.equal(records.length, expected, `cut ${cut}`);
        assert.deepEqual(records, full.records.slice(0, expected));
        const atBoundary = cut === whole.length || ends.includes(cut) || (kind === 'pcap' && cut === 24);
        assert.equal(summary.truncated, !atBoundary, `cut ${cut}`);
        if (!atBoundary) assert.match(summary.warnings.join('\n'), /^truncated: file ends inside/m);
      }
    });
  }

  it('frames records across chunk boundaries and grows for records larger than the buffer', async () => {
    const bytes = buildPcapng({}, (w) => {
      w.addInterface({ linkType: 1 });
      for (let i = 0; i < 40; i++) w.write(0, i, 0, frameOf(1 + ((i * 97) % 700), i));
      w.write(0, 99, 0, frameOf(5000, 99));
    });
    const reference = await readBytes(bytes);
    assert.equal(reference.records.length, 41);
    const path = scratchPath('chunks.pcapng');
    writeFileSync(path, bytes);
    for (const chunkBytes of [32, 33, 100, 4096]) {
      const records: CopiedRecord[] = [];
      const summary = await readCapture(path, copyRecords(records), { chunkBytes });
      assert.deepEqual(records, reference.records, `chunkBytes ${chunkBytes}`);
      assert.equal(summary.truncated, false);
      const streamed = await readBytes(bytes, { chunkBytes }, 13);
      assert.deepEqual(streamed.records, reference.records);
    }
  });

  it('honours maxPackets and reports progress up to the file size', async () => {
    const bytes = samplePcap(false, false);
    const path = scratchPath('progress.pcap');
    writeFileSync(path, bytes);
    const progress: number[] = [];
    const all = await readCapture(path, () => {}, { chunkBytes: 64, onProgress: (n) => progress.push(n) });
    assert.equal(all.packets, 3);
    assert.ok(progress.length >= 2);
    assert.equal(progress[progress.length - 1], bytes.length);
    assert.deepEqual([...progress].sort((a, b) => a - b), progress);
    const limited = await readCapture(path, () => {}, { maxPackets: 2 });
    assert.equal(limited.packets, 2);
    assert.equal(limited.truncated, false);
  });

  it('gives the event loop turns while reading a long file (reads are synchronous)', async () => {
    // 20 MiB of 1 KiB frames: past the reader's yield interval (8 MiB) twice.
    const frame = frameOf(1000, 1);
    const bytes = buildPcap({ linkType: LinkType.ETHERNET }, (w) => {
      for (let i = 0; i < 20_000; i++) w.write(1600000000 + i, 0, frame);
    });
    const path = scratchPath('long.pcap');
    writeFileSync(path, bytes);
    // Scheduled once reading has begun (opening the file is asynchronous and would let it run first).
    let packets = 0;
    let packetsAtTurn = -1;
    const summary = await readCapture(path, () => {
      if (++packets === 1) setImmediate(() => (packetsAtTurn = packets));
    });
    assert.equal(summary.packets, 20_000);
    assert.ok(packetsAtTurn > 1 && packetsAtTurn < 20_000, `the event loop's turn came after ${packetsAtTurn} packets`);
  });

  it('passes one reused record object whose data views the current packet', async () => {
    const seen: unknown[] = [];
    const path = scratchPath('reuse.pcap');
    writeFileSync(path, samplePcap(false, false));
    await readCapture(path, (r) => seen.push(r));
    assert.equal(seen.length, 3);
    assert.ok(seen.every((r) => r === seen[0]));
  });

  it("reads stdin when the source is '-'", () => {
    const script =
      "import { readCapture } from './src/capture/reader.ts';" +
      "const s = await readCapture('-', () => {}); console.log(JSON.stringify([s.packets, s.bytes, s.compressed, s.file]));";
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: new URL('../..', import.meta.url).pathname,
      input: Buffer.from(gzipSync(samplePcap(false, false))),
      encoding: 'utf8',
    });
    assert.equal(child.status, 0, child.stderr);
    assert.deepEqual(JSON.parse(child.stdout), [3, 60 + 1514 + 42, true, '<stdin>']);
  });

  it('reads a FIFO (no positional reads) as a stream', { skip: process.platform === 'win32' && 'no mkfifo' }, async () => {
    const fifo = scratchPath('capture.fifo');
    const made = spawnSync('mkfifo', [fifo]);
    if (made.status !== 0) return;
    const bytes = samplePcap(true, true);
    const writer = new Promise<void>((resolve, reject) => {
      const out = createWriteStream(fifo);
      out.on('error', reject);
      out.end(bytes, resolve);
    });
    const records: CopiedRecord[] = [];
    const summary = await readCapture(fifo, copyRecords(records));
    await writer;
    assertSample(records, true);
    assert.equal(summary.fileBytesRead, bytes.length);
  });

  it('walkRecords returns the bare record walk totals', async () => {
    const path = scratchPath('walk.pcap');
    writeFileSync(path, samplePcap(false, false));
    const result = await walkRecords(path);
    assert.equal(result.packets, 3);
    assert.equal(result.bytes, 60 + 1514 + 42);
    assert.ok(result.ms >= 0);
  });
});

describe('fixture', () => {
  it('reads the bundled real capture with the values capinfos reports (see fixtures/README.md)', async () => {
    const path = new URL('./fixtures/modbus.pcap', import.meta.url).pathname;
    const summary = await readCapture(path, () => {});
    assert.deepEqual([summary.format, summary.packets, summary.linkTypes], ['pcap', 99, [1]]);
    assert.equal(summary.firstSeen, 1093521678.945447);
    assert.equal(summary.lastSeen, 1093523139.878395);
    assert.equal(summary.truncated, false);
  });
});

describe('linkTypeName', () => {
  it('names the decoded link types and falls back to the number', () => {
    assert.deepEqual(
      [1, 0, 101, 113, 276, 228, 229, 108, 147].map(linkTypeName),
      ['ethernet', 'null', 'raw', 'linux-sll', 'linux-sll2', 'ipv4', 'ipv6', 'loop', 'linktype-147'],
    );
  });
});
