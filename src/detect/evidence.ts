/** Evidence lines: one per frame (or flow) that shows an alert's behaviour. */
import type { AlertEvidence } from '../report/types.js';
import { isoTime } from '../report/time.js';
import type { EvidenceSource, FlowLike } from './types.js';

function endpointText(ip: string, port: number, mac: string | undefined): string {
  if (!ip) return mac ?? '?';
  if (port === 0) return ip;
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

function isFlow(e: EvidenceSource): e is FlowLike {
  return (e as FlowLike).clientIp !== undefined;
}

/** One line per evidence entry. */
export function toEvidence(e: EvidenceSource, file: string): AlertEvidence {
  if (isFlow(e)) {
    const state = e.tcpState && e.tcpState !== 'none' ? ` ${e.tcpState}` : '';
    return {
      file, frame: e.firstFrame !== undefined && e.firstFrame > 0 ? e.firstFrame : null, ts: isoTime(e.firstSeen), protocol: e.protocol,
      summary: `${e.transport} flow ${endpointText(e.clientIp, e.clientPort ?? 0, undefined)} → ${endpointText(e.serverIp, e.serverPort, undefined)}${state}` +
        (e.payloadToServer !== undefined ? ` (${e.payloadToServer} B sent, ${e.payloadToClient ?? 0} B received)` : ''),
    };
  }
  let summary: string;
  switch (e.type) {
    case 'operation': {
      const what = e.subCodeName ? `${e.codeName}/${e.subCodeName}` : e.codeName;
      const obj = e.object ? ` ${e.object}` : e.address !== undefined ? ` @${e.address}` : '';
      const res = e.result === 'exception' ? ` → ${e.exceptionName ?? 'exception'}` : e.result === 'no-response' ? ' (no response)' : '';
      summary = `${e.protocol} ${what}${obj}${e.detail ? ` [${e.detail}]` : ''} ${endpointText(e.src.ip, e.src.port, e.src.mac)} → ${endpointText(e.dst.ip, e.dst.port, e.dst.mac)}${res}`;
      break;
    }
    case 'asset-fact':
      summary = `${e.protocol} ${e.field} of ${e.subject.ip ?? e.subject.mac ?? '?'}: ${e.value}`;
      break;
    case 'protocol':
      summary = `${e.protocol} ${e.visibility} flow ${endpointText(e.src.ip, e.src.port, e.src.mac)} → ${endpointText(e.dst.ip, e.dst.port, e.dst.mac)}`;
      break;
    case 'anomaly':
      summary = `${e.protocol} ${e.anomaly}${e.detail ? `: ${e.detail}` : ''} ${endpointText(e.src.ip, e.src.port, e.src.mac)} → ${endpointText(e.dst.ip, e.dst.port, e.dst.mac)}`;
      break;
  }
  return { file, frame: e.frame, ts: isoTime(e.ts), protocol: e.protocol, summary };
}

