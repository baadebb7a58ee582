/** Hand-built events, flows and models for rule unit tests. */
import type { AssetFactEvent, OperationEvent, OtEvent, ProtocolDetectedEvent, ProtocolName } from '../events/types.js';
import type { AlertReport, AssetReport, AssetRole, CommunicationReport } from '../report/types.js';
import { Detector } from './engine.js';
import type { DetectionModel, DetectorOptions, FlowLike } from './types.js';

export const T0 = 1_772_431_200; // 2026-03-02T06:00:00Z

let frame = 0;
export function op(p: Partial<OperationEvent> & { protocol: ProtocolName; kind: OperationEvent['kind']; codeName: string }, src = '10.0.0.5', dst = '10.0.0.10'): OperationEvent {
  frame++;
  return {
    type: 'operation', ts: T0 + frame / 10, frame, captureIndex: 0, flowId: 1,
    src: { ip: src, port: 50000 }, dst: { ip: dst, port: 502 }, code: 0, result: 'ok', ...p,
  };
}
export function fact(p: Partial<AssetFactEvent> & { protocol: ProtocolName; field: AssetFactEvent['field']; value: string }, ip = '10.0.0.10'): AssetFactEvent {
  frame++;
  return { type: 'asset-fact', ts: T0 + frame / 10, frame, captureIndex: 0, subject: { ip }, confidence: 0.9, ...p };
}
export function detected(protocol: ProtocolName, src: string, dst: string, dstPort: number): ProtocolDetectedEvent {
  frame++;
  return { type: 'protocol', protocol, ts: T0 + frame / 10, frame, captureIndex: 0, flowId: 2, src: { ip: src, port: 50001 }, dst: { ip: dst, port: dstPort }, visibility: 'clear', by: 'probe' };
}
export function flow(p: Partial<FlowLike> & { clientIp: string; serverIp: string; serverPort: number }): FlowLike {
  return {
    transport: 'tcp', protocol: 'tcp', tcpState: 'rejected', firstSeen: T0, lastSeen: T0 + 0.01, packetsToServer: 1,
    packetsToClient: 1, payloadToServer: 0, payloadToClient: 0, clientPort: 40000, ...p,
  };
}

export function asset(id: string, ips: string[], roles: AssetRole[] = ['unknown'], extra: Partial<AssetReport> = {}): AssetReport {
  // Cast: the asset type grows with the inventory work; detection reads only the fields set here.
  return {
    id, mac: id.startsWith('mac:') ? id.slice(4) : null, ips, hostnames: [], vendor: null, vendorSource: null, model: null,
    firmware: null, serial: null, identity: {}, identityConflicts: [], os: null, domain: null, users: [], roles,
    roleDetails: [], purdueLevel: null, purdueInferred: true, zone: null, zoneInferred: true, criticality: null,
    protocols: [], firstSeen: '2026-03-02T06:00:00.000000Z', lastSeen: '2026-03-02T07:00:00.000000Z', packets: 1, bytes: 1,
    facts: [], ...extra,
  } as AssetReport;
}
export function comm(src: string, dst: string, protocol: ProtocolName, operations: CommunicationReport['operations'] = {}): CommunicationReport {
  return {
    src, dst, protocol, transport: 'tcp', port: 502, packets: 10, bytes: 1000, flows: 1,
    firstSeen: '2026-03-02T06:00:00.000000Z', lastSeen: '2026-03-02T06:10:00.000000Z', operations,
    srcLevel: null, dstLevel: null, srcZone: null, dstZone: null, crossesItOt: false, skipsLevels: false, internet: false,
    conduitAllowed: null,
  } as CommunicationReport;
}

/** A PLC 10.0.0.10 (modbus server) polled by an HMI 10.0.0.5; 10.0.0.66 is unknown to the model. */
export function plcModel(): DetectionModel {
  const plc = asset('ip:10.0.0.10', ['10.0.0.10'], ['plc'], { protocols: [{ name: 'modbus', role: 'server', ports: [502] }] });
  const hmi = asset('ip:10.0.0.5', ['10.0.0.5'], ['hmi'], { protocols: [{ name: 'modbus', role: 'client', ports: [502] }] });
  return { assets: [plc, hmi], communications: [comm(hmi.id, plc.id, 'modbus', { read: 500, write: 3 })] };
}

/** Runs one rule (by id) over events and flows and returns its alerts. */
export function run(ruleId: string, inputs: Array<OtEvent | FlowLike>, model: DetectionModel = plcModel(), opts: DetectorOptions = {}): AlertReport[] {
  const d = new Detector({ ...opts, rules: [ruleId] });
  for (const x of inputs) {
    if ('clientIp' in x) d.onFlowEnd(x, 'test.pcap');
    else d.onEvent(x, 'test.pcap');
  }
  return d.finish(model);
}
