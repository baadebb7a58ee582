/**
 * Protocol-neutral events. Analyzers turn bytes into these; the inventory, map, detection and risk layers
 * consume only these (and flow summaries), never bytes. See docs/events.md for the vocabulary.
 */

/** Lower-case protocol tokens used everywhere (report, events, store). Keep docs/report.md in sync. */
export const PROTOCOLS = [
  // industrial
  'modbus', 'umas', 's7comm', 's7comm-plus', 'enip', 'cip', 'cip-io', 'dnp3', 'iec104', 'bacnet', 'opcua',
  'profinet-dcp', 'profinet-rt', 'profinet-cm', 'fins', 'slmp', 'melsoft', 'hart-ip', 'mms', 'goose', 'sv', 'ads',
  'knxip', 'c37118', 'mqtt', 'ethercat', 'ptp',
  // IT
  'arp', 'lldp', 'cdp', 'stp', 'dhcp', 'dhcpv6', 'dns', 'mdns', 'llmnr', 'nbns', 'nbdgm', 'http', 'tls', 'ssh',
  'smb', 'dcerpc', 'rdp', 'vnc', 'telnet', 'ftp', 'snmp', 'syslog', 'ntp', 'smtp', 'stratum', 'ssdp', 'icmp',
  'icmpv6', 'igmp', 'ldap', 'kerberos', 'mssql', 'sip',
  // fallbacks for traffic no analyzer claimed
  'tcp', 'udp', 'ip', 'ethernet',
] as const;
export type ProtocolName = (typeof PROTOCOLS)[number];

/** The operation vocabulary (issue 4): what a request does to the target, whatever the protocol. */
export const OPERATION_KINDS = [
  'read', 'write', 'program-download', 'program-upload', 'program-modify', 'mode-change', 'restart',
  'firmware-update', 'configuration', 'diagnostics', 'identify', 'time-sync', 'file-transfer', 'control',
  'subscription', 'authentication', 'connect', 'error', 'other',
] as const;
export type OperationKind = (typeof OPERATION_KINDS)[number];

export interface Endpoint {
  ip: string;
  port: number;
  /** MAC as aa:bb:cc:dd:ee:ff when the frame carried Ethernet. */
  mac?: string;
}

interface EventBase {
  protocol: ProtocolName;
  /** epoch seconds (float) */
  ts: number;
  /** frame number within `captureIndex`'s file */
  frame: number;
  /** index into the analysis' capture list (the CLI turns it into the file name) */
  captureIndex: number;
  flowId: number;
  src: Endpoint;
  dst: Endpoint;
}

export type OperationResult = 'ok' | 'exception' | 'no-response' | 'unknown';

/** One request (paired with its response when seen). src is the requester, dst the responder. */
export interface OperationEvent extends EventBase {
  type: 'operation';
  kind: OperationKind;
  /** wire-level function/service/type code, as tshark shows it (e.g. Modbus FC 16, CIP service 0x4d). */
  code: number;
  /** the wire code's name, snake_case (e.g. "write_multiple_registers", "write_tag", "C_SC_NA_1"). */
  codeName: string;
  /** optional sub-code (Modbus FC 8 sub-function, FC 43 MEI type, UMAS function, S7 userdata subfunction) */
  subCode?: number;
  subCodeName?: string;
  /** addressing within the target */
  unit?: number;
  object?: string;
  address?: number;
  quantity?: number;
  /** e.g. target mode for mode-change ("stop", "run"), restart type ("cold", "warm") */
  detail?: string;
  result: OperationResult;
  exceptionCode?: number;
  exceptionName?: string;
  /** frame of the response when paired */
  responseFrame?: number;
  /** the response's own wire code when it is not implied by the request's (e.g. a DNP3 authentication challenge) */
  responseCode?: number;
  /** bytes of payload moved (writes, downloads, file transfers) when known */
  dataBytes?: number;
  /**
   * Protocol-specific extras that detection and inventory may use, with stable lower-case keys documented per
   * protocol in docs/protocols/ (e.g. DNS "rcode", HTTP "host"/"user_agent"/"status", TLS "sni"/"ja4").
   */
  attributes?: Record<string, string | number | boolean>;
}

export const FACT_FIELDS = [
  'vendor', 'product', 'model', 'order-number', 'firmware', 'hardware-revision', 'serial', 'device-name',
  'station-name', 'rack-slot', 'plant-name', 'module-name', 'device-type', 'vendor-id', 'product-code',
  'hostname', 'domain', 'os', 'user', 'software', 'url', 'role-hint', 'credential', 'directory-listing',
] as const;
export type FactField = (typeof FACT_FIELDS)[number];

/** A piece of identity about one host, learned from a protocol. */
export interface AssetFactEvent {
  type: 'asset-fact';
  protocol: ProtocolName;
  ts: number;
  frame: number;
  captureIndex: number;
  /** the host the fact is about */
  subject: { ip?: string; mac?: string };
  field: FactField;
  value: string;
  /** 0..1: protocol-declared identity is 0.9+, heuristics lower */
  confidence: number;
}

/** A flow was recognised as a protocol (or found opaque/encrypted). Emitted once per flow. */
export interface ProtocolDetectedEvent extends EventBase {
  type: 'protocol';
  /** 'clear' = decoded; 'opaque' = known protocol, content encrypted/unparseable */
  visibility: 'clear' | 'opaque';
  /** how it was recognised */
  by: 'probe' | 'port';
  detail?: string;
}

/** Something in the protocol stream was wrong: malformed message, gap, resync, cap hit. Counted, never fatal. */
export interface ProtocolAnomalyEvent extends EventBase {
  type: 'anomaly';
  anomaly: 'malformed' | 'gap' | 'resync' | 'transaction-cap' | 'unexpected-response' | 'buffer-cap';
  detail?: string;
}

export type OtEvent = OperationEvent | AssetFactEvent | ProtocolDetectedEvent | ProtocolAnomalyEvent;

export interface EventSink {
  emit(event: OtEvent): void;
  /**
   * The counting path for routine operations (optional; both or neither). When `wantsOperation` says no consumer
   * looks at individual operations of this protocol, kind and result (no --events output, no detection rule, no
   * baseline learning), an analyzer may call `countOperation` instead of building and emitting the event: the
   * model counts it exactly as the event (per flow and kind, stats.events). The answer is fixed for a run, so an
   * analyzer may keep it per flow. Sinks without these methods get every event.
   */
  wantsOperation?(protocol: ProtocolName, kind: OperationKind, result: OperationResult): boolean;
  countOperation?(captureIndex: number, flowId: number, protocol: ProtocolName, kind: OperationKind, src: Endpoint, dst: Endpoint): void;
}
