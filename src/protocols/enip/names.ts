/** EtherNet/IP encapsulation commands and CIP service/class names (ODVA CIP Vol. 1 and 2, Logix services). */
import type { OperationKind } from '../../events/types.js';

export const COMMAND_NAMES: Readonly<Record<number, string>> = {
  0x0000: 'nop', 0x0004: 'list_services', 0x0063: 'list_identity', 0x0064: 'list_interfaces',
  0x0065: 'register_session', 0x0066: 'unregister_session', 0x006f: 'send_rr_data', 0x0070: 'send_unit_data',
  0x0072: 'indicate_status', 0x0073: 'cancel', 0x00c8: 'start_dtls',
};

export const ENCAP_STATUS_NAMES: Readonly<Record<number, string>> = {
  0x0001: 'invalid_command', 0x0002: 'insufficient_memory', 0x0003: 'incorrect_data', 0x0064: 'invalid_session_handle',
  0x0065: 'invalid_length', 0x0069: 'unsupported_protocol_revision',
};

export const CLASS = {
  IDENTITY: 0x01,
  MESSAGE_ROUTER: 0x02,
  ASSEMBLY: 0x04,
  CONNECTION_MANAGER: 0x06,
  FILE: 0x37,
  TIME_SYNC: 0x43,
  PCCC: 0x67,
  PROGRAM: 0x68,
  SYMBOL: 0x6b,
  TEMPLATE: 0x6c,
  WALL_CLOCK: 0x8b,
  TCPIP: 0xf5,
  ETHERNET_LINK: 0xf6,
} as const;

/** Common services (CIP Vol. 1 Appendix A). */
const COMMON_SERVICES: Readonly<Record<number, string>> = {
  0x01: 'get_attributes_all', 0x02: 'set_attributes_all', 0x03: 'get_attribute_list', 0x04: 'set_attribute_list',
  0x05: 'reset', 0x06: 'start', 0x07: 'stop', 0x08: 'create', 0x09: 'delete', 0x0a: 'multiple_service_packet',
  0x0d: 'apply_attributes', 0x0e: 'get_attribute_single', 0x10: 'set_attribute_single',
  0x11: 'find_next_object_instance', 0x14: 'error_response', 0x15: 'restore', 0x16: 'save', 0x17: 'nop',
  0x18: 'get_member', 0x19: 'set_member', 0x1a: 'insert_member', 0x1b: 'remove_member', 0x1c: 'group_sync',
};

const CONNECTION_MANAGER_SERVICES: Readonly<Record<number, string>> = {
  0x4e: 'forward_close', 0x52: 'unconnected_send', 0x54: 'forward_open', 0x56: 'get_connection_data',
  0x57: 'search_connection_data', 0x5a: 'get_connection_owner', 0x5b: 'large_forward_open',
};

const FILE_SERVICES: Readonly<Record<number, string>> = {
  0x4b: 'initiate_upload', 0x4c: 'initiate_download', 0x4d: 'initiate_partial_read', 0x4e: 'initiate_partial_write',
  0x4f: 'upload_transfer', 0x50: 'download_transfer', 0x51: 'clear_file',
};

/** Rockwell Logix services on symbols/tags (any class other than those above). */
const LOGIX_SERVICES: Readonly<Record<number, string>> = {
  0x4b: 'execute_pccc', 0x4c: 'read_tag', 0x4d: 'write_tag', 0x4e: 'read_modify_write_tag',
  0x52: 'read_tag_fragmented', 0x53: 'write_tag_fragmented', 0x55: 'get_instance_attribute_list',
};

/**
 * `logix`: the request addresses a tag (symbolic segment, Symbol/Template class) or its class is unknown (a
 * reply without its request); only then do 0x4b-0x55 mean Rockwell's tag services. On other classes they are
 * vendor-specific services we do not know.
 */
export function serviceName(service: number, cls: number, logix = true): string {
  const s = service & 0x7f;
  const common = COMMON_BY_CODE[s];
  if (common !== undefined) return common;
  if (cls === CLASS.CONNECTION_MANAGER && CONNECTION_MANAGER_BY_CODE[s] !== undefined) return CONNECTION_MANAGER_BY_CODE[s]!;
  if (cls === CLASS.FILE && FILE_BY_CODE[s] !== undefined) return FILE_BY_CODE[s]!;
  if (cls === CLASS.PCCC && s === 0x4b) return 'execute_pccc';
  if (logix && LOGIX_BY_CODE[s] !== undefined) return LOGIX_BY_CODE[s]!;
  return UNKNOWN_SERVICE_NAMES[s]!;
}

/** The tables above as dense arrays over the 7-bit service code (indexing a sparse literal is a dictionary lookup). */
function byCode(table: Readonly<Record<number, string>>): ReadonlyArray<string | undefined> {
  return Array.from({ length: 128 }, (_, s) => table[s]);
}
const COMMON_BY_CODE = byCode(COMMON_SERVICES);
const CONNECTION_MANAGER_BY_CODE = byCode(CONNECTION_MANAGER_SERVICES);
const FILE_BY_CODE = byCode(FILE_SERVICES);
const LOGIX_BY_CODE = byCode(LOGIX_SERVICES);
const UNKNOWN_SERVICE_NAMES: readonly string[] = Array.from({ length: 128 }, (_, s) => `service_0x${s.toString(16).padStart(2, '0')}`);

export interface ServiceClassification {
  readonly kind: OperationKind;
  readonly detail?: string;
}

// The classifications are shared constants (callers only read them): no object per request.
const IDENTIFY: ServiceClassification = { kind: 'identify' };
const READ: ServiceClassification = { kind: 'read' };
const WRITE: ServiceClassification = { kind: 'write' };
const CONFIGURATION: ServiceClassification = { kind: 'configuration' };
const TIME_SYNC: ServiceClassification = { kind: 'time-sync' };
const RESET: ServiceClassification = { kind: 'restart', detail: 'reset' };
const START: ServiceClassification = { kind: 'mode-change', detail: 'run' };
const STOP: ServiceClassification = { kind: 'mode-change', detail: 'stop' };
const DIAGNOSTICS: ServiceClassification = { kind: 'diagnostics' };
const CONNECT_OPEN: ServiceClassification = { kind: 'connect', detail: 'open' };
const CONNECT_CLOSE: ServiceClassification = { kind: 'connect', detail: 'close' };
const OTHER: ServiceClassification = { kind: 'other' };
const FILE_DOWNLOAD: ServiceClassification = { kind: 'file-transfer', detail: 'download' };
const FILE_UPLOAD: ServiceClassification = { kind: 'file-transfer', detail: 'upload' };
const FILE_TRANSFER: ServiceClassification = { kind: 'file-transfer' };
const PCCC: ServiceClassification = { kind: 'other', detail: 'pccc' };
const VENDOR_SPECIFIC: ServiceClassification = { kind: 'other', detail: 'vendor-specific service' };

export function serviceKind(service: number, cls: number, logix = true): ServiceClassification {
  const s = service & 0x7f;
  switch (s) {
    case 0x01:
      return cls === CLASS.IDENTITY ? IDENTIFY : READ;
    case 0x03: case 0x0e: case 0x18: case 0x11:
      return cls === CLASS.IDENTITY ? IDENTIFY : READ;
    case 0x02: case 0x04: case 0x10: case 0x19: case 0x0d:
      if (cls === CLASS.TCPIP || cls === CLASS.ETHERNET_LINK) return CONFIGURATION;
      if (cls === CLASS.TIME_SYNC || cls === CLASS.WALL_CLOCK) return TIME_SYNC;
      return WRITE;
    case 0x05:
      return RESET;
    case 0x06:
      return START;
    case 0x07:
      return STOP;
    case 0x08: case 0x09: case 0x1a: case 0x1b: case 0x15: case 0x16:
      return CONFIGURATION;
    case 0x17:
      return DIAGNOSTICS;
  }
  if (cls === CLASS.CONNECTION_MANAGER) {
    if (s === 0x54 || s === 0x5b) return CONNECT_OPEN;
    if (s === 0x4e) return CONNECT_CLOSE;
    return OTHER;
  }
  if (cls === CLASS.FILE) {
    if (s === 0x4c || s === 0x50 || s === 0x4e) return FILE_DOWNLOAD;
    if (s === 0x4b || s === 0x4f || s === 0x4d) return FILE_UPLOAD;
    return FILE_TRANSFER;
  }
  if (cls === CLASS.PCCC && s === 0x4b) return PCCC;
  if (!logix) return VENDOR_SPECIFIC;
  switch (s) {
    case 0x4c: case 0x52: case 0x55:
      return READ;
    case 0x4d: case 0x53: case 0x4e:
      return WRITE;
  }
  return OTHER;
}

export const GENERAL_STATUS_NAMES: Readonly<Record<number, string>> = {
  0x01: 'connection_failure', 0x02: 'resource_unavailable', 0x03: 'invalid_parameter_value', 0x04: 'path_segment_error',
  0x05: 'path_destination_unknown', 0x06: 'partial_transfer', 0x07: 'connection_lost', 0x08: 'service_not_supported',
  0x09: 'invalid_attribute_value', 0x0a: 'attribute_list_error', 0x0b: 'already_in_requested_mode',
  0x0c: 'object_state_conflict', 0x0d: 'object_already_exists', 0x0e: 'attribute_not_settable',
  0x0f: 'privilege_violation', 0x10: 'device_state_conflict', 0x11: 'reply_data_too_large',
  0x12: 'fragmentation_of_a_primitive_value', 0x13: 'not_enough_data', 0x14: 'attribute_not_supported',
  0x15: 'too_much_data', 0x16: 'object_does_not_exist', 0x17: 'service_fragmentation_sequence_not_in_progress',
  0x18: 'no_stored_attribute_data', 0x19: 'store_operation_failure', 0x1a: 'routing_failure_request_too_large',
  0x1b: 'routing_failure_response_too_large', 0x1c: 'missing_attribute_list_entry', 0x1d: 'invalid_attribute_value_list',
  0x1e: 'embedded_service_error', 0x1f: 'vendor_specific_error', 0x20: 'invalid_parameter', 0x21: 'write_once_value_already_written',
  0x22: 'invalid_reply_received', 0x25: 'key_failure_in_path', 0x26: 'path_size_invalid', 0x27: 'unexpected_attribute_in_list',
  0x28: 'invalid_member_id', 0x29: 'member_not_settable',
};
