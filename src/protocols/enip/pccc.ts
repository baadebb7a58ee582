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
 * cip_pccc_cpu_mode_80_vals). Function 0x0F/0xA3, frequent in real traffic, is in none of them: it stays
 * 'other'.
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
