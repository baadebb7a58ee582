#!/usr/bin/env node
// Splits a capture into one pcap per protocol by TCP/UDP port (for per-analyzer profiling):
// `node scripts/split-by-port.mjs CAPTURE OUTDIR name=port,port ...`. Run after `npm run build`.
import { readCapture } from '../dist/capture/reader.js';
import { PacketDecoder } from '../dist/decode/decoder.js';
import { DecodedPacket } from '../dist/decode/packet.js';
import { PcapWriter } from '../dist/capture/writer.js';
const [file, outDir, ...specs] = process.argv.slice(2);
const byPort = new Map(); const writers = [];
for (const s of specs) {
  const [name, ports] = s.split('=');
  const w = new PcapWriter(`${outDir}/proto-${name}.pcap`, { linkType: 1, nanosecond: true });
  writers.push(w);
  for (const p of ports.split(',')) byPort.set(Number(p), w);
}
const dec = new PacketDecoder(); const pkt = new DecodedPacket();
await readCapture(file, (rec) => {
  if (!dec.decode(rec, pkt)) return;
  const w = byPort.get(pkt.srcPort) ?? byPort.get(pkt.dstPort);
  if (w) w.write(rec.tsSec, rec.tsNsec, rec.data, rec.origLen);
});
for (const w of writers) w.close();
