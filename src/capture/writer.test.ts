import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { readCapture } from './reader.js';
import { copyRecords, frameOf, scratchPath, type CopiedRecord } from './test-support/builders.js';
import { PcapWriter, PcapngWriter } from './writer.js';

interface Packet {
  sec: number;
  nsec: number;
  frame: Buffer;
  origLen: number;
}

function packets(count: number): Packet[] {
  const out: Packet[] = [];
  for (let i = 0; i < count; i++) {
    const len = (i * 7919) % 1600;
    out.push({
      sec: 1_600_000_000 + i * 37,
      nsec: (i * 123_456_789) % 1_000_000_000,
      frame: frameOf(len, i),
      origLen: len + (i % 3 === 0 ? 100 : 0),
    });
  }
  return out;
}

async function readAll(path: string): Promise<CopiedRecord[]> {
  const records: CopiedRecord[] = [];
  await readCapture(path, copyRecords(records));
  return records;
}

const TSHARK = '/usr/bin/tshark';

describe('writers round trip', () => {
  const input = packets(300);

  for (const nanosecond of [false, true]) {
    for (const bigEndian of [false, true]) {
      it(`PcapWriter ${nanosecond ? 'ns' : 'µs'} ${bigEndian ? 'BE' : 'LE'}, snaplen 1000, small buffer`, async () => {
        const path = scratchPath(`rt-${nanosecond}-${bigEndian}.pcap`);
        const writer = new PcapWriter(path, { linkType: 1, nanosecond, bigEndian, snapLen: 1000, bufferBytes: 4096 });
        for (const p of input) writer.write(p.sec, p.nsec, p.frame, p.origLen);
        writer.close();
        const records = await readAll(path);
        assert.equal(records.length, input.length);
        records.forEach((r, i) => {
          const p = input[i]!;
          const capLen = Math.min(p.frame.length, 1000);
          assert.equal(r.tsSec, p.sec);
          assert.equal(r.tsNsec, nanosecond ? p.nsec : Math.floor(p.nsec / 1000) * 1000);
          assert.equal(r.capLen, capLen);
          assert.equal(r.origLen, Math.max(p.origLen, capLen));
          assert.deepEqual(r.data, p.frame.subarray(0, capLen));
        });
      });
    }
  }

  for (const bigEndian of [false, true]) {
    it(`PcapngWriter ${bigEndian ? 'BE' : 'LE'}: interfaces with 10^-6, 10^-9, 2^-20 and an offset`, async () => {
      const path = scratchPath(`rt-${bigEndian}.pcapng`);
      const writer = new PcapngWriter(path, { bigEndian, application: 'otwatch tests', bufferBytes: 4096 });
      const ifaces = [
        { linkType: 1, name: 'eth0' },
        { linkType: 101, tsresol: 9, snapLen: 500 },
        { linkType: 113, tsresol: 0x94 },
        { linkType: 276, tsresol: 9, tsOffset: 1_500_000_000 },
      ];
      for (const iface of ifaces) writer.addInterface(iface);
      input.forEach((p, i) => writer.write(i % 4, p.sec, p.nsec, p.frame, p.origLen));
      writer.close();
      const records = await readAll(path);
      assert.equal(records.length, input.length);
      records.forEach((r, i) => {
        const p = input[i]!;
        const iface = ifaces[i % 4]!;
        const capLen = iface.snapLen !== undefined ? Math.min(iface.snapLen, p.frame.length) : p.frame.length;
        const expectedNsec =
          iface.tsresol === 9
            ? p.nsec
            : iface.tsresol === 0x94
              ? Number((((BigInt(p.nsec) << 20n) / 1_000_000_000n) * 1_000_000_000n) >> 20n)
              : Math.floor(p.nsec / 1000) * 1000;
        assert.deepEqual(
          [r.frame, r.interfaceId, r.linkType, r.tsSec, r.tsNsec, r.capLen, r.origLen],
          [i + 1, i % 4, iface.linkType, p.sec, expectedNsec, capLen, Math.max(p.origLen, capLen)],
        );
        assert.deepEqual(r.data, p.frame.subarray(0, capLen));
      });
    });
  }

  it('pcapng written by PcapngWriter reads identically in tshark', { skip: !existsSync(TSHARK) && 'tshark not installed' }, () => {
    const path = scratchPath('tshark.pcapng');
    const writer = new PcapngWriter(path, { bigEndian: true });
    writer.addInterface({ linkType: 1, tsresol: 9, name: 'cell-3' });
    writer.addInterface({ linkType: 1, tsresol: 0x94 });
    const few = input.slice(0, 40);
    few.forEach((p, i) => writer.write(i % 2, p.sec, p.nsec, p.frame, p.origLen));
    writer.close();
    const out = execFileSync(
      TSHARK,
      ['-r', path, '-T', 'fields', '-e', 'frame.time_epoch', '-e', 'frame.cap_len', '-e', 'frame.len', '-e', 'frame.interface_id'],
      { encoding: 'utf8' },
    );
    const lines = out.trim().split('\n');
    assert.equal(lines.length, few.length);
    lines.forEach((line, i) => {
      const p = few[i]!;
      const [epoch, cap, len, iface] = line.split('\t');
      const nsec = i % 2 === 0 ? p.nsec : Number((((BigInt(p.nsec) << 20n) / 1_000_000_000n) * 1_000_000_000n) >> 20n);
      assert.equal(epoch, `${p.sec}.${String(nsec).padStart(9, '0')}`);
      assert.deepEqual([Number(cap), Number(len), Number(iface)], [p.frame.length, p.origLen, i % 2]);
    });
  });

  it('writes many MB quickly through its buffer and flushes everything on close', () => {
    const path = scratchPath('bulk.pcap');
    const writer = new PcapWriter(path, { linkType: 1 });
    const frame = frameOf(1000, 1);
    for (let i = 0; i < 20_000; i++) writer.write(i, 0, frame);
    writer.close();
    assert.equal(readFileSync(path).length, 24 + 20_000 * 1016);
    assert.throws(() => writer.write(0, 0, frame), /closed/);
  });
});
