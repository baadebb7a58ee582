/**
 * PCCC (DF1/DH+ command set of PLC-5, SLC 500 and MicroLogix) carried in CIP "Execute PCCC" (service 0x4b on
 * the PCCC object, class 0x67).
 *
 * Request data after the CIP path: requestor ID (a length byte counting itself, then CIP vendor id (2) and
 * serial (4) when the length allows), then the PCCC command: CMD (1), STS (1), TNS (2, LE), and for CMD 0x06,
 * 0x07 and 0x0F a function code FNC (1) followed by function-specific data. CMD 0x0F FNC 0x80 (change CPU
 * mode) carries the mode byte right after FNC.
 *
 * Events: the CIP event keeps code 0x4b / codeName 'execute_pccc'; the PCCC function goes in subCode /
 * subCodeName (FNC for CMD 0x06/0x07/0x0F, otherwise CMD itself), with kind/detail from the table below;
 * unknown functions are kind 'other' with subCodeName pccc_fnc_0xNN (pccc_cmd_0xNN for unknown commands).
 * Attribute `pccc_cmd` holds CMD.
 *
 * Function names and CPU mode values follow Wireshark's packet-cip.c tables (cip_pccc_fnc_06/07/0f_vals,
 * cip_pccc_cpu_mode_80_vals) and the DF1 command lists in Rockwell's manuals (1770-6.5.16, 1756-PM020, 1203-5.5:
 * 0xAB is the "protected typed logical write with four address fields", file/type/element/sub-element plus a
 * bit mask, which Wireshark calls a masked write). Function 0x0F/0xA3 is in no public table; see CMD_0F.
 *
 * Replies: requestor ID, then CMD | 0x40, STS, TNS (2, LE) and, when STS is 0xF0, EXT STS. A non-zero STS is
 * the PLC refusing or failing the command even though the CIP service itself succeeded: pcccReplyStatus turns
 * it into an exception code (STS, or 0xF000 | EXT STS) and pcccStatusName names it from the DF1 status tables
 * (local errors in the low nibble, remote errors in the high nibble; Wireshark cip_pccc_gs_st_vals /
 * cip_pccc_es_st_vals, DF1 manual chapter 8).
 */
import type { OperationKind } from '../../events/types.js';

export interface PcccClassification {
  kind: OperationKind;
  cmd: number;
  /** FNC for commands that have one, else CMD */
  subCode: number;
  subCodeName: string;
  detail?: string;
}

interface FunctionInfo {
  name: string;
  kind: OperationKind;
}

const fn = (name: string, kind: OperationKind): FunctionInfo => ({ name, kind });

/** Commands without a function byte (DF1 basic command set). */
const BASIC_COMMANDS: Readonly<Record<number, FunctionInfo>> = {
  0x00: fn('protected_write', 'write'),
  0x01: fn('unprotected_read', 'read'),
  0x02: fn('protected_bit_write', 'write'),
  0x05: fn('unprotected_bit_write', 'write'),
  0x08: fn('unprotected_write', 'write'),
};

const CMD_06: Readonly<Record<number, FunctionInfo>> = {
  0x00: fn('echo', 'diagnostics'),
  0x01: fn('read_diagnostic_counters', 'diagnostics'),
  0x02: fn('set_variables', 'configuration'),
  // The reply carries processor type, series and firmware: what scanners use to fingerprint a PLC.
  0x03: fn('diagnostic_status', 'identify'),
  0x04: fn('set_timeout', 'configuration'),
  0x05: fn('set_naks', 'configuration'),
  0x06: fn('set_enqs', 'configuration'),
  0x07: fn('reset_diagnostic_counters', 'diagnostics'),
  0x08: fn('set_data_table_size', 'configuration'),
  0x09: fn('read_link_parameters', 'diagnostics'),
  0x0a: fn('set_link_parameters', 'configuration'),
};

const CMD_07: Readonly<Record<number, FunctionInfo>> = {
  0x00: fn('disable_outputs', 'control'),
  0x01: fn('enable_outputs', 'control'),
  0x03: fn('enable_plc_scanning', 'mode-change'),
  0x04: fn('enter_download_mode', 'program-download'),
  0x05: fn('exit_download_upload_mode', 'other'),
  0x06: fn('enter_upload_mode', 'program-upload'),
};

const CMD_0F: Readonly<Record<number, FunctionInfo>> = {
  0x00: fn('word_range_write', 'write'),
  0x01: fn('word_range_read', 'read'),
  0x02: fn('bit_write', 'write'),
  0x03: fn('file_write', 'write'),
  0x04: fn('file_read', 'read'),
  0x05: fn('download_request', 'program-download'),
  0x06: fn('upload', 'program-upload'),
  0x07: fn('shutdown', 'mode-change'),
  0x08: fn('physical_write', 'write'),
  0x09: fn('physical_read', 'read'),
  0x0a: fn('restart_request', 'restart'),
  0x11: fn('get_edit_resource', 'program-modify'),
  0x12: fn('return_edit_resource', 'program-modify'),
  0x17: fn('read_bytes_physical', 'read'),
  0x18: fn('write_bytes_physical', 'write'),
  0x26: fn('read_modify_write', 'write'),
  0x29: fn('read_section_size', 'read'),
  0x3a: fn('set_cpu_mode', 'mode-change'),
  0x41: fn('disable_forces', 'control'),
  0x50: fn('download_all_request', 'program-download'),
  0x52: fn('download_completed', 'program-download'),
  0x53: fn('upload_all_request', 'program-upload'),
  0x55: fn('upload_completed', 'program-upload'),
  // Clears the user program and data: as destructive as a download.
  0x57: fn('initialize_memory', 'program-modify'),
  0x5e: fn('modify_plc2_compatibility_file', 'write'),
  0x67: fn('typed_write', 'write'),
  0x68: fn('typed_read', 'read'),
  0x79: fn('read_modify_write_n', 'write'),
  0x80: fn('change_cpu_mode', 'mode-change'),
  0x81: fn('open_file', 'other'),
  0x82: fn('close_file', 'other'),
  0x88: fn('execute_multiple_commands', 'other'),
  0x8f: fn('apply_port_configuration', 'configuration'),
  0xa1: fn('protected_typed_logical_read_2_address_fields', 'read'),
  0xa2: fn('protected_typed_logical_read_3_address_fields', 'read'),
  // Unpublished. What RSLinx-era tools poll a MicroLogix with (4,655 requests in ITI cip_only.pcap): the request
  // carries only a list of 3-byte addresses (0xFF + u16 LE, DF1's extended-number encoding) and no data, the
  // reply carries data and nothing is changed, so it is reported as a read under a name that says what we know.
  0xa3: fn('unpublished_read_0xa3', 'read'),
  0xa7: fn('protected_typed_file_read', 'read'),
  0xa9: fn('protected_typed_logical_write_2_address_fields', 'write'),
  0xaa: fn('protected_typed_logical_write_3_address_fields', 'write'),
  0xab: fn('protected_typed_logical_masked_write_3_address_fields', 'write'),
  0xaf: fn('protected_typed_file_write', 'write'),
};

/** CMD 0x0F FNC 0x80 mode byte. */
const CPU_MODES: Readonly<Record<number, string>> = {
  0x01: 'program', 0x06: 'run', 0x07: 'test-continuous', 0x08: 'test-single-scan', 0x09: 'test-debug',
};

function hex(n: number): string {
  return `0x${n.toString(16).padStart(2, '0')}`;
}

/**
 * Classifies the Execute PCCC request whose data (requestor ID onwards) is buf[off, end). Returns null when
 * the data is too short for the requestor ID and the PCCC header (the caller reports it as malformed).
 */
export function classifyPcccRequest(buf: Uint8Array, off: number, end: number): PcccClassification | null {
  if (off >= end) return null;
  const requestorIdLength = buf[off]!;
  if (requestorIdLength < 1) return null;
  const p = off + requestorIdLength;
  if (p + 4 > end) return null;
  const cmd = buf[p]!;
  const table = cmd === 0x06 ? CMD_06 : cmd === 0x07 ? CMD_07 : cmd === 0x0f ? CMD_0F : null;
  if (!table) {
    const basic = BASIC_COMMANDS[cmd];
    return basic ? { kind: basic.kind, cmd, subCode: cmd, subCodeName: basic.name } : { kind: 'other', cmd, subCode: cmd, subCodeName: `pccc_cmd_${hex(cmd)}` };
  }
  if (p + 5 > end) return null;
  const fnc = buf[p + 4]!;
  const info = table[fnc];
  if (!info) return { kind: 'other', cmd, subCode: fnc, subCodeName: `pccc_fnc_${hex(fnc)}` };
  const out: PcccClassification = { kind: info.kind, cmd, subCode: fnc, subCodeName: info.name };
  if (cmd === 0x0f && fnc === 0x80) {
    if (p + 6 <= end) out.detail = CPU_MODES[buf[p + 5]!] ?? `mode_${hex(buf[p + 5]!)}`;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------- reply status

/** STS 0xF0: the error is in the EXT STS byte that follows TNS. */
export const PCCC_STS_EXTENDED = 0xf0;

/** DF1 STS: local errors (low nibble, from the link layer of the sending node) and remote errors (high nibble). */
const STS_NAMES: Readonly<Record<number, string>> = {
  0x01: 'dst_node_out_of_buffer_space',
  0x02: 'remote_node_did_not_ack',
  0x03: 'duplicate_token_holder',
  0x04: 'local_port_disconnected',
  0x05: 'application_layer_timeout',
  0x06: 'duplicate_node',
  0x07: 'station_offline',
  0x08: 'local_hardware_fault',
  0x10: 'illegal_command_or_format',
  0x20: 'host_will_not_communicate',
  0x30: 'remote_host_missing_or_shut_down',
  0x40: 'host_hardware_fault',
  0x50: 'addressing_problem_or_memory_protect',
  0x60: 'command_protection',
  0x70: 'processor_in_program_mode',
  0x80: 'compatibility_file_missing',
  0x90: 'remote_node_cannot_buffer_command',
  0xa0: 'wait_ack',
  0xb0: 'remote_node_download_in_progress',
  0xc0: 'wait_ack',
  0xf0: 'ext_sts_missing',
};

const EXT_STS_NAMES: Readonly<Record<number, string>> = {
  0x01: 'illegal_field_value',
  0x02: 'too_few_address_levels',
  0x03: 'too_many_address_levels',
  0x04: 'symbol_not_found',
  0x05: 'symbol_improper_format',
  0x06: 'address_not_usable',
  0x07: 'file_wrong_size',
  0x08: 'situation_changed',
  0x09: 'data_or_file_too_large',
  0x0a: 'transaction_size_too_large',
  0x0b: 'access_denied',
  0x0c: 'resource_not_available',
  0x0d: 'resource_already_available',
  0x0e: 'command_cannot_be_executed',
  0x0f: 'histogram_overflow',
  0x10: 'no_access',
  0x11: 'illegal_data_type',
  0x12: 'invalid_parameter_or_data',
  0x13: 'address_reference_to_deleted_area',
  0x14: 'command_execution_failure',
  0x15: 'data_conversion_error',
  0x16: 'scanner_cannot_reach_rack_adapter',
  0x17: 'type_mismatch',
  0x18: 'invalid_1771_module_response',
  0x19: 'duplicated_label',
  0x1a: 'file_open_by_another_node',
  0x1b: 'another_node_is_program_owner',
  0x1e: 'data_table_element_protection_violation',
  0x1f: 'temporary_internal_problem',
  0x22: 'remote_rack_fault',
  0x23: 'timeout',
  0x24: 'unknown_error',
};

/**
 * Status of the Execute PCCC reply whose data (requestor ID onwards) is buf[off, end): 0 success, STS for an
 * error, 0xF000 | EXT STS when STS is 0xF0 and EXT STS is present, -1 when the reply is too short to say.
 */
export function pcccReplyStatus(buf: Uint8Array, off: number, end: number): number {
  if (off >= end) return -1;
  const requestorIdLength = buf[off]!;
  if (requestorIdLength < 1) return -1;
  const p = off + requestorIdLength;
  if (p + 4 > end) return -1;
  const sts = buf[p + 1]!;
  if (sts !== PCCC_STS_EXTENDED || p + 5 > end) return sts;
  return (PCCC_STS_EXTENDED << 8) | buf[p + 4]!;
}

/** Name of a pcccReplyStatus code (> 0). */
export function pcccStatusName(code: number): string {
  if (code > 0xff) {
    const ext = code & 0xff;
    return EXT_STS_NAMES[ext] ?? `pccc_ext_sts_${hex(ext)}`;
  }
  return STS_NAMES[code] ?? `pccc_sts_${hex(code)}`;
}
