/**
 * The analysis pipeline: capture records → decoder → flow table (reassembly, dispatch, analyzers) → events →
 * inventory/map → report. One pass over each capture, memory bounded by hosts and flows.
 */
import { statSync } from 'node:fs';
import { readCapture } from '../capture/reader.js';
import { linkTypeName } from '../capture/link-types.js';
import type { CaptureSummary, PacketCallback, PacketRecord, ReadOptions } from '../capture/types.js';
import { PacketDecoder } from '../decode/decoder.js';
import { DecodedPacket, EtherType } from '../decode/packet.js';
import { FlowTable } from '../decode/flow-table.js';
import type { FlowSummary } from '../decode/flow-types.js';
import type { OtEvent } from '../events/types.js';
import { Inventory } from '../model/inventory.js';
import type { ZonesConfig } from '../model/zones.js';
import { buildReport, isoTime } from '../report/build.js';
import type { CaptureReport, Report, ReportStats } from '../report/types.js';
import { ip4ToString, macToString } from '../util/addr.js';
import { defaultAnalyzers, defaultL2Analyzers } from '../protocols/registry.js';
import type { L2Analyzer, L2Context } from '../protocols/l2.js';
import { L2Traffic } from './l2-traffic.js';
import { EventFanout } from './fanout.js';
import { Detector } from '../detect/index.js';
import { assessRisk } from '../risk/index.js';

export interface AnalyzeOptions {
  /** Called with (bytes read so far over all files, total bytes of all files, packets so far). */
  onProgress?: (doneBytes: number, totalBytes: number, packets: number) => void;
  /** Receives every event with the file it came from (for --events). */
  onEvent?: (event: OtEvent, file: string) => void;
  /** Receives every flow's summary when it ends (closed, timed out, evicted or end of capture). */
  onFlowEnd?: (summary: FlowSummary, file: string) => void;
  maxFlows?: number;
  /** Vulnerability matching and risk ranking run unless this is false. */
  risk?: boolean;
  /** Threat detection runs unless this is false. */
  detect?: boolean;
  detectorOptions?: ConstructorParameters<typeof Detector>[0];
  /** Flow-table and analyzer limits, forwarded as they are. */
  flowOptions?: Record<string, number>;
  /** The user's zones file (--zones), handed to the inventory; without it zones and levels are inferred. */
  zones?: ZonesConfig;
}

/**
 * A capture that is not a file name: read by its owner (live capture, src/capture/live.ts). `name` stands for
 * it in events, evidence and the report; its size is unknown, so progress has no total for it.
 */
export interface CaptureInput {
  readonly name: string;
  read(onPacket: PacketCallback, opts: ReadOptions): Promise<CaptureSummary>;
}

export interface AnalyzeResult {
  report: Report;
  summaries: CaptureSummary[];
}

export async function analyzeCaptures(files: ReadonlyArray<string | CaptureInput>, opts: AnalyzeOptions = {}): Promise<AnalyzeResult> {
  const started = Date.now();
  const totalBytes = files.reduce((sum, f) => sum + (typeof f !== 'string' || f === '-' ? 0 : safeSize(f)), 0);
  const inventory = new Inventory({ zones: opts.zones ?? null });
  const registry = defaultAnalyzers();
  const analyzerCounters: Record<string, number> = {};
  let captureIndex = 0;
  let currentFile = files[0] === undefined ? '' : inputName(files[0]);

  const detector = opts.detect === false ? null : new Detector(opts.detectorOptions);
  const sink = new EventFanout(inventory, detector, opts.onEvent, opts.onFlowEnd);
  sink.file = currentFile;

  const flows = new FlowTable({
    registry,
    sink,
    onFlowEnd: sink.flowEnd,
    maxFlows: opts.maxFlows,
    ...(opts.flowOptions ?? {}),
  });

  const l2ByEtherType = new Map<number, L2Analyzer>();
  const l2ByDsap = new Map<number, L2Analyzer>();
  const l2Analyzers = defaultL2Analyzers();
  for (const analyzer of l2Analyzers) {
    for (const t of analyzer.etherTypes) l2ByEtherType.set(t, analyzer);
    for (const d of analyzer.llcDsaps ?? []) l2ByDsap.set(d, analyzer);
  }
  const l2Context: L2Context = {
    sink,
    get captureIndex() {
      return captureIndex;
    },
    count(counter: string, n = 1) {
      analyzerCounters[counter] = (analyzerCounters[counter] ?? 0) + n;
    },
  };

  const decoder = new PacketDecoder();
  const pkt = new DecodedPacket();
  const l2 = new L2Traffic();
  const summaries: CaptureSummary[] = [];
  let packets = 0;
  let bytesBefore = 0;

  const onPacket = (rec: PacketRecord): void => {
    packets++;
    if (!decoder.decode(rec, pkt)) return;
    if (pkt.ipVersion !== 0) {
      if (!pkt.fragmentPending) flows.process(pkt);
      return;
    }
    if (!pkt.hasEth) return;
    if (pkt.etherType === EtherType.ARP) {
      if (pkt.arpOp !== 0) {
        inventory.observeArp(macToString(pkt.arpSenderMac), ip4ToString(pkt.arpSenderIp), pkt.ts, pkt.frame, captureIndex, pkt.arpOp);
      }
    }
    l2.add(pkt.srcMac, pkt.dstMac, pkt.etherType, pkt.wireLen, pkt.ts);
    // LLC frames go by DSAP, except SNAP ones, which carry a type (CDP 0x2000, PVST+ 0x010b) like an EtherType.
    const analyzer = pkt.llcDsap >= 0 && pkt.etherType === 0 ? l2ByDsap.get(pkt.llcDsap) : l2ByEtherType.get(pkt.etherType);
    if (analyzer !== undefined) analyzer.onFrame(pkt, l2Context);
  };

  for (const file of files) {
    currentFile = inputName(file);
    sink.file = currentFile;
    flows.setCaptureIndex(captureIndex);
    const readOptions: ReadOptions = {
      onProgress: opts.onProgress ? (done) => opts.onProgress!(bytesBefore + done, totalBytes, packets) : undefined,
    };
    const summary = typeof file === 'string' ? await readCapture(file, onPacket, readOptions) : await file.read(onPacket, readOptions);
    summaries.push(summary);
    bytesBefore += summary.fileBytesRead;
    // Flows do not continue across capture files: different files are different vantage points or times.
    flows.flushAll('end-of-capture');
    // IP datagrams still missing fragments at the end of a file will never complete: counted as dropped.
    decoder.flushFragments();
    for (const analyzer of l2Analyzers) analyzer.onCaptureEnd?.(l2Context);
    l2.drain((src, dst, etherType, n, bytes, first, last) => inventory.observeL2(src, dst, etherType, n, bytes, first, last, captureIndex));
    captureIndex++;
  }

  const dc = decoder.counters;
  const fc = flows.counters;
  for (const [k, v] of Object.entries(fc.analyzerCounters)) analyzerCounters[k] = (analyzerCounters[k] ?? 0) + v;
  const capsHit: Record<string, number> = { ...inventory.capsHit };
  if (fc.flowsEvicted) capsHit['flows.max'] = fc.flowsEvicted;
  if (dc.fragmentCapHits) capsHit['ip-fragments.max'] = dc.fragmentCapHits;
  if (l2.capHits) capsHit['l2-traffic.max'] = l2.capHits;
  for (const [k, v] of Object.entries(analyzerCounters)) {
    if (k.endsWith('-cap') || k.endsWith('.cap')) capsHit[k] = v;
  }

  const stats: ReportStats = {
    packets,
    bytes: summaries.reduce((s, c) => s + c.bytes, 0),
    decodeErrors: dc.truncated + dc.malformed + dc.tooDeep,
    unsupportedLink: dc.unsupportedLink,
    flows: fc.flows,
    flowsEvicted: fc.flowsEvicted,
    flowsTimedOut: fc.flowsTimedOut,
    ipFragmentsReassembled: dc.fragmentsReassembled,
    ipFragmentsDropped: dc.fragmentsDropped,
    tcpGaps: fc.tcpGaps,
    tcpOutOfOrderDropped: fc.tcpOutOfOrderDropped,
    tcpRetransmissions: fc.tcpRetransmissions,
    events: sink.events,
    analyzers: sortKeys(analyzerCounters),
    capsHit: sortKeys(capsHit),
    durationMs: Date.now() - started,
  };

  const captures: CaptureReport[] = summaries.map((s) => ({
    file: s.file,
    format: s.format,
    compressed: s.compressed,
    linkTypes: s.linkTypes.map(linkTypeName),
    packets: s.packets,
    bytes: s.bytes,
    firstSeen: s.firstSeen === null ? null : isoTime(s.firstSeen),
    lastSeen: s.lastSeen === null ? null : isoTime(s.lastSeen),
    warnings: s.warnings,
  }));

  const alerts = detector === null ? [] : (model: Parameters<Detector['finish']>[0]) => detector.finish(model);
  const report = buildReport({ captures, stats, inventory, alerts });
  if (opts.risk !== false) {
    // Vulnerabilities, risk ranking and mitigations are a pass over the finished model (issue 7).
    const assessment = assessRisk(report, opts.zones ? { zones: opts.zones } : {});
    report.vulnerabilities = assessment.vulnerabilities;
    report.risk = assessment.risk;
    report.mitigations = assessment.mitigations;
  }
  return { report, summaries };
}

function inputName(input: string | CaptureInput): string {
  return typeof input === 'string' ? input : input.name;
}

function safeSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

function sortKeys(obj: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(obj).sort()) out[k] = obj[k]!;
  return out;
}
