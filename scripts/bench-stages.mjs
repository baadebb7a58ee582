#!/usr/bin/env node
// Where analyze's time goes: `node scripts/bench-stages.mjs walk|decode|flows|analyzers CAPTURE` runs the
// pipeline up to one stage (record walk; + decoder; + flow table and TCP reassembly with no analyzer; + every
// protocol analyzer with events going to a no-op sink). Run after `npm run build`.
import { statSync } from 'node:fs';
import { readCapture } from '../dist/capture/reader.js';
import { PacketDecoder } from '../dist/decode/decoder.js';
import { DecodedPacket } from '../dist/decode/packet.js';
import { FlowTable } from '../dist/decode/flow-table.js';
import { AnalyzerRegistry } from '../dist/decode/dispatch.js';
import { defaultAnalyzers } from '../dist/protocols/registry.js';
const mode = process.argv[2];
const mb = statSync(process.argv[3]).size / 1e6;
const dec = new PacketDecoder(); const pkt = new DecodedPacket();
let events = 0;
const ft = new FlowTable({ registry: mode === 'analyzers' ? defaultAnalyzers() : new AnalyzerRegistry(), sink: { emit() { events++; } }, onFlowEnd() {} });
let n = 0;
const t0 = performance.now();
await readCapture(process.argv[3], (rec) => { n++; if (mode === 'walk') return; if (!dec.decode(rec, pkt)) return; if (mode === 'decode') return; if (pkt.ipVersion !== 0 && !pkt.fragmentPending) ft.process(pkt); });
ft.flushAll('end-of-capture');
const ms = performance.now() - t0;
console.log(`${mode}: ${n} packets in ${ms.toFixed(0)} ms, ${(mb / (ms / 1000)).toFixed(0)} MB/s, ${Math.round(n / (ms / 1000))} packets/s, ${events} events`);
