/**
 * Modbus and Schneider UMAS code tables: names (snake_case, as in the event vocabulary) and the operation kind
 * each request maps to. Built once at module load so the hot path only indexes arrays.
 *
 * Sources: Modbus Application Protocol Specification V1.1b3 (function codes, diagnostics sub-functions,
 * exception codes, MEI types, device identification objects); UMAS codes as used by Wireshark's UMAS
 * dissector (hutcheb/umas-dissector packet-umas.h) and the lirasenlared "Unity (UMAS) protocol" write-up.
 */
import type { FactField, OperationKind } from '../../events/types.js';

export const FC = {
  ReadCoils: 1,
  ReadDiscreteInputs: 2,
  ReadHoldingRegisters: 3,
  ReadInputRegisters: 4,
  WriteSingleCoil: 5,
  WriteSingleRegister: 6,
  ReadExceptionStatus: 7,
  Diagnostics: 8,
  GetCommEventCounter: 11,
  GetCommEventLog: 12,
  WriteMultipleCoils: 15,
  WriteMultipleRegisters: 16,
  ReportServerId: 17,
  ReadFileRecord: 20,
  WriteFileRecord: 21,
  MaskWriteRegister: 22,
  ReadWriteMultipleRegisters: 23,
  ReadFifoQueue: 24,
  EncapsulatedInterfaceTransport: 43,
  Umas: 90,
} as const;

export const MEI_CANOPEN_GENERAL_REFERENCE = 13;
export const MEI_READ_DEVICE_IDENTIFICATION = 14;

const FC_NAMES: ReadonlyArray<readonly [number, string, OperationKind]> = [
  [1, 'read_coils', 'read'],
  [2, 'read_discrete_inputs', 'read'],
  [3, 'read_holding_registers', 'read'],
  [4, 'read_input_registers', 'read'],
  [5, 'write_single_coil', 'write'],
  [6, 'write_single_register', 'write'],
  [7, 'read_exception_status', 'diagnostics'],
  [8, 'diagnostics', 'diagnostics'],
  [11, 'get_comm_event_counter', 'diagnostics'],
  [12, 'get_comm_event_log', 'diagnostics'],
  [15, 'write_multiple_coils', 'write'],
  [16, 'write_multiple_registers', 'write'],
  [17, 'report_server_id', 'identify'],
  [20, 'read_file_record', 'file-transfer'],
  [21, 'write_file_record', 'file-transfer'],
  [22, 'mask_write_register', 'write'],
  [23, 'read_write_multiple_registers', 'write'],
  [24, 'read_fifo_queue', 'read'],
  [43, 'encapsulated_interface_transport', 'other'],
  [90, 'umas', 'other'],
];

/** Function codes the spec defines (public) plus UMAS; everything else is user-defined, reserved or noise. */
const knownFc = new Uint8Array(128);
const fcNames: string[] = [];
const fcKinds: OperationKind[] = [];
for (let fc = 0; fc < 128; fc++) {
  const userDefined = (fc >= 65 && fc <= 72) || (fc >= 100 && fc <= 110);
  fcNames.push(userDefined ? `user_defined_${fc}` : `unknown_${fc}`);
  fcKinds.push('other');
}
for (const [fc, name, kind] of FC_NAMES) {
  knownFc[fc] = 1;
  fcNames[fc] = name;
  fcKinds[fc] = kind;
}

/** Name of a function code (the exception bit is ignored). */
export function functionCodeName(fc: number): string {
  return fcNames[fc & 0x7f]!;
}

/** Operation kind of a request with this function code, before sub-function refinement. */
export function functionCodeKind(fc: number): OperationKind {
  return fcKinds[fc & 0x7f]!;
}

/** True for the public function codes and UMAS (the exception bit is ignored). */
export function isKnownFunctionCode(fc: number): boolean {
  return knownFc[fc & 0x7f] === 1;
}

/**
 * Plausible first PDU byte for content detection and resync: the public codes 1..24 range (the spec leaves
 * gaps in it, but devices answer reserved codes there with exceptions), 43, UMAS 90, and exceptions of those.
 */
export function isPlausibleFunctionCode(fc: number): boolean {
  const base = fc & 0x7f;
  return (base >= 1 && base <= 24) || base === 43 || base === 90;
}

const DIAGNOSTIC_NAMES = new Map<number, string>([
  [0, 'return_query_data'],
  [1, 'restart_communications_option'],
  [2, 'return_diagnostic_register'],
  [3, 'change_ascii_input_delimiter'],
  [4, 'force_listen_only_mode'],
  [10, 'clear_counters_and_diagnostic_register'],
  [11, 'return_bus_message_count'],
  [12, 'return_bus_communication_error_count'],
  [13, 'return_bus_exception_error_count'],
  [14, 'return_server_message_count'],
  [15, 'return_server_no_response_count'],
  [16, 'return_server_nak_count'],
  [17, 'return_server_busy_count'],
  [18, 'return_bus_character_overrun_count'],
  [20, 'clear_overrun_counter_and_flag'],
]);

export const DIAG_RESTART_COMMUNICATIONS = 1;
export const DIAG_FORCE_LISTEN_ONLY = 4;

export function diagnosticName(sub: number): string {
  return DIAGNOSTIC_NAMES.get(sub) ?? 'reserved';
}

const EXCEPTION_NAMES: readonly string[] = [
  'unknown_exception', // 0 is not a valid exception code
  'illegal_function',
  'illegal_data_address',
  'illegal_data_value',
  'server_device_failure',
  'acknowledge',
  'server_device_busy',
  'negative_acknowledge',
  'memory_parity_error',
  'unknown_exception', // 9 is unassigned
  'gateway_path_unavailable',
  'gateway_target_device_failed_to_respond',
];

export function exceptionName(code: number): string {
  return code < EXCEPTION_NAMES.length ? EXCEPTION_NAMES[code]! : 'unknown_exception';
}

export function meiTypeName(mei: number): string {
  if (mei === MEI_READ_DEVICE_IDENTIFICATION) return 'read_device_identification';
  if (mei === MEI_CANOPEN_GENERAL_REFERENCE) return 'canopen_general_reference';
  return 'reserved';
}

const READ_DEVICE_ID_CODES: readonly string[] = ['reserved', 'basic', 'regular', 'extended', 'specific'];

/** Read Device ID code of a 43/14 request: 1 basic stream, 2 regular, 3 extended, 4 one specific object. */
export function readDeviceIdCodeName(code: number): string {
  return code < READ_DEVICE_ID_CODES.length ? READ_DEVICE_ID_CODES[code]! : 'reserved';
}

/** Device identification object id -> the asset fact it carries (private objects 0x80+ carry none). */
export function deviceIdObjectFact(objectId: number): FactField | undefined {
  switch (objectId) {
    case 0: return 'vendor';
    case 1: return 'product-code';
    case 2: return 'firmware';
    case 3: return 'url';
    case 4: return 'product';
    case 5: return 'model';
    case 6: return 'software';
    default: return undefined;
  }
}

// ---------------------------------------------------------------------------------------------- UMAS

export const UMAS_RESPONSE_OK = 0xfe;
export const UMAS_RESPONSE_ERROR = 0xfd;

/**
 * UMAS function codes. Direction note (checked against the public write-ups and dissectors listed above): in
 * UMAS/Unity terms "upload" (0x30..0x32) copies a strategy FROM the engineering PC TO the PLC and "download"
 * (0x33..0x35) copies it from the PLC to the PC: the reverse of the usual ICS meaning. The operation kinds use
 * the usual meaning (program-download = logic sent to the device, ATT&CK T0843), so 0x30..0x32 map to
 * 'program-download' and 0x33..0x35 to 'program-upload'.
 */
const UMAS_CODES: ReadonlyArray<readonly [number, string, OperationKind, string?]> = [
  [0x01, 'init_comm', 'connect'],
  [0x02, 'read_id', 'identify'],
  [0x03, 'read_project_info', 'identify'],
  [0x04, 'read_plc_info', 'identify'],
  [0x06, 'read_card_info', 'identify'],
  [0x0a, 'repeat', 'diagnostics'],
  [0x10, 'take_plc_reservation', 'authentication'],
  [0x11, 'release_plc_reservation', 'authentication'],
  [0x12, 'keep_alive', 'other'],
  [0x20, 'read_memory_block', 'read'],
  [0x22, 'read_variables', 'read'],
  [0x23, 'write_variables', 'write'],
  [0x24, 'read_coils_registers', 'read'],
  [0x25, 'write_coils_registers', 'write'],
  [0x30, 'initialize_upload', 'program-download'],
  [0x31, 'upload_block', 'program-download'],
  [0x32, 'end_strategy_upload', 'program-download'],
  [0x33, 'initialize_download', 'program-upload'],
  [0x34, 'download_block', 'program-upload'],
  [0x35, 'end_strategy_download', 'program-upload'],
  [0x39, 'read_eth_master_data', 'read'],
  [0x40, 'start_plc', 'mode-change', 'run'],
  [0x41, 'stop_plc', 'mode-change', 'stop'],
  [0x50, 'monitor_plc', 'read'],
  [0x58, 'check_plc', 'diagnostics'],
  [0x70, 'read_io_object', 'read'],
  [0x71, 'write_io_object', 'write'],
  [0x73, 'get_status_module', 'diagnostics'],
];

export const UMAS = {
  ReadId: 0x02,
  UploadBlock: 0x31,
  DownloadBlock: 0x34,
} as const;

const umasNames: string[] = [];
const umasKinds: OperationKind[] = [];
const umasDetails: Array<string | undefined> = [];
for (let code = 0; code < 256; code++) {
  umasNames.push(`unknown_${code}`);
  umasKinds.push('other');
  umasDetails.push(undefined);
}
for (const [code, name, kind, detail] of UMAS_CODES) {
  umasNames[code] = name;
  umasKinds[code] = kind;
  umasDetails[code] = detail;
}

export function umasFunctionName(code: number): string {
  return umasNames[code & 0xff]!;
}
export function umasFunctionKind(code: number): OperationKind {
  return umasKinds[code & 0xff]!;
}
export function umasFunctionDetail(code: number): string | undefined {
  return umasDetails[code & 0xff];
}
/** UMAS requests whose request body is data moved to the PLC (writes and strategy blocks sent to it). */
export function umasRequestCarriesData(code: number): boolean {
  return code === 0x23 || code === 0x25 || code === 0x71 || code === UMAS.UploadBlock;
}
