/**
 * Trace-test helpers: run a capture through the whole engine and reduce what it extracts to a compact,
 * reviewable form (golden files), and read tshark's per-frame fields for differential tests.
 */
import { spawnSync } from 'node:child_process';
import { analyzeCaptures } from '../../src/engine/analyze.js';
import type { OtEvent } from '../../src/events/types.js';

export interface Trace {
  operations: Array<[number, string, string, number, string, string, string?]>; // frame, protocol, kind, code, codeName, result, object/detail
  facts: Array<[string, string, string, string]>; // subject, field, value, protocol
  anomalies: Record<string, number>;
  servers: string[]; // "protocol ip:port" of each server side seen
}

/**
 * `only` restricts the trace (and the events returned) to the protocols under test, so that a golden file does
 * not change when an analyzer for some other protocol in the same capture lands.
 */
export async function traceOf(file: string, only?: readonly string[]): Promise<{ trace: Trace; events: OtEvent[] }> {
  const events: OtEvent[] = [];
  const keep = only ? new Set(only) : null;
  const { report } = await analyzeCaptures([file], { onEvent: (e) => (keep === null || keep.has(e.protocol)) && events.push(e) });
  const trace: Trace = { operations: [], facts: [], anomalies: {}, servers: [] };
  const facts = new Set<string>();
  for (const e of events) {
    if (e.type === 'operation') {
      const extra = [e.object, e.detail].filter(Boolean).join(' | ');
      const row: Trace['operations'][number] = [e.frame, e.protocol, e.kind, e.code, e.codeName, e.result];
      if (extra) row.push(extra);
      trace.operations.push(row);
    } else if (e.type === 'asset-fact') {
      const key = JSON.stringify([e.subject.ip ?? e.subject.mac ?? '', e.field, e.value, e.protocol]);
      if (!facts.has(key)) {
        facts.add(key);
        trace.facts.push(JSON.parse(key));
      }
    } else if (e.type === 'anomaly') {
      trace.anomalies[`${e.protocol}.${e.anomaly}`] = (trace.anomalies[`${e.protocol}.${e.anomaly}`] ?? 0) + 1;
    }
  }
  trace.operations.sort((a, b) => a[0] - b[0] || a[3] - b[3]);
  trace.facts.sort();
  const servers = new Set<string>();
  for (const a of report.assets) {
    for (const p of a.protocols) {
      if (p.role !== 'server' || (keep !== null && !keep.has(p.name))) continue;
      for (const port of p.ports) servers.add(`${p.name} ${a.ips[0] ?? a.mac}:${port}`);
    }
  }
  trace.servers = [...servers].sort();
  return { trace, events };
}

export const hasTshark = spawnSync('sh', ['-c', 'command -v tshark']).status === 0;

/** tshark's values of `fields` per frame matching `filter` (multiple occurrences split on ','). */
export function tsharkFields(file: string, filter: string, fields: string[]): Map<number, string[][]> {
  const args = ['-r', file, '-Y', filter, '-T', 'fields', '-E', 'separator=\t', '-e', 'frame.number', ...fields.flatMap((f) => ['-e', f])];
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`tshark failed on ${file}: ${r.stderr}`);
  const out = new Map<number, string[][]>();
  for (const line of r.stdout.split('\n')) {
    if (!line) continue;
    const [frame, ...values] = line.split('\t');
    out.set(Number(frame), values.map((v) => (v ? v.split(',') : [])));
  }
  return out;
}
