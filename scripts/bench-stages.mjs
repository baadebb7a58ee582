#!/usr/bin/env node
// Where analyze's time goes: `node scripts/bench-stages.mjs walk|decode|flows|analyzers CAPTURE` runs the
// pipeline up to one stage (record walk; + decoder; + flow table and TCP reassembly with no analyzer; + every
// protocol analyzer with events going to a no-op sink). Run after `npm run build`.
import { statSync } from 'node:fs';
// With OTWATCH_BENCH_SRC=1 (and `node --import tsx`) it runs the TypeScript sources instead of dist/.
const base = process.env.OTWATCH_BENCH_SRC ? '../src/' : process.env.OTWATCH_BENCH_DIST ? `${process.env.OTWATCH_BENCH_DIST}/` : '../dist/';
const ext = process.env.OTWATCH_BENCH_SRC ? '.ts' : '.js';
const { readCapture } = await import(`${base}capture/reader${ext}`);
const { PacketDecoder } = await import(`${base}decode/decoder${ext}`);
const { DecodedPacket } = await import(`${base}decode/packet${ext}`);
const { FlowTable } = await import(`${base}decode/flow-table${ext}`);
const { AnalyzerRegistry } = await import(`${base}decode/dispatch${ext}`);
const { defaultAnalyzers } = await import(`${base}protocols/registry${ext}`);
const mode = process.argv[2];
const mb = statSync(process.argv[3]).size / 1e6;
const dec = new PacketDecoder(); const pkt = new DecodedPacket();
let events = 0;
const ft = new FlowTable({ registry: mode === 'analyzers' ? defaultAnalyzers() : new AnalyzerRegistry(), sink: { emit() { events++; } }, onFlowEnd() {} });
let n = 0;
const t0 = performance.now();
const c0 = process.cpuUsage();
await readCapture(process.argv[3], (rec) => { n++; if (mode === 'walk') return; if (!dec.decode(rec, pkt)) return; if (mode === 'decode') return; if (pkt.ipVersion !== 0 && !pkt.fragmentPending) ft.process(pkt); });
ft.flushAll('end-of-capture');
const ms = performance.now() - t0;
const cpu = process.cpuUsage(c0);
const cpuMs = (cpu.user + cpu.system) / 1000;
console.log(`${mode}: ${n} packets in ${ms.toFixed(0)} ms, ${(mb / (ms / 1000)).toFixed(0)} MB/s, ${Math.round(n / (ms / 1000))} packets/s, ${events} events; CPU ${cpuMs.toFixed(0)} ms = ${(mb / (cpuMs / 1000)).toFixed(0)} MB/s of CPU`);
