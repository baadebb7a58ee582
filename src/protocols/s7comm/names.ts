/**
 * S7comm code tables. Names follow Wireshark's packet-s7comm.c value strings, turned into snake_case so that
 * `codeName` can be matched against tshark output by a person (e.g. "Read Var" → "read_var").
 *
 * Code scheme of OperationEvent (mirrors tshark's fields):
 *   - Job / Ack_Data (ROSCTR 1/3):  code = s7comm.param.func, no subCode.
 *   - Userdata (ROSCTR 7):          code = s7comm.param.userdata.subfunc, subCode = s7comm.param.userdata.funcgroup.
 */
import type { OperationKind } from '../../events/types.js';

export const S7_PROTOCOL_ID = 0x32;
/** S7comm-plus (S7-1200/1500 "new" protocol) uses this id right after COTP; it is another protocol. */
export const S7PLUS_PROTOCOL_ID = 0x72;

export const Rosctr = { Job: 1, Ack: 2, AckData: 3, Userdata: 7 } as const;

export const Func = {
  CpuServices: 0x00,
  SetupCommunication: 0xf0,
  ReadVar: 0x04,
  WriteVar: 0x05,
  RequestDownload: 0x1a,
  DownloadBlock: 0x1b,
  DownloadEnded: 0x1c,
  StartUpload: 0x1d,
  Upload: 0x1e,
  EndUpload: 0x1f,
  PiService: 0x28,
  PlcStop: 0x29,
} as const;

export function functionName(func: number): string {
  switch (func) {
    case 0x00: return 'cpu_services';
    case 0x01: return 'mode_transition';
    case 0xf0: return 'setup_communication';
    case 0x04: return 'read_var';
    case 0x05: return 'write_var';
    case 0x1a: return 'request_download';
    case 0x1b: return 'download_block';
    case 0x1c: return 'download_ended';
    case 0x1d: return 'start_upload';
    case 0x1e: return 'upload';
    case 0x1f: return 'end_upload';
    case 0x28: return 'pi_service';
    case 0x29: return 'plc_stop';
    default: return UNKNOWN_FUNC_NAMES[func & 0xff]!;
  }
}

export function functionKind(func: number): OperationKind {
  switch (func) {
    case 0xf0: return 'connect';
    case 0x04: return 'read';
    case 0x05: return 'write';
    case 0x1a:
    case 0x1b:
    case 0x1c: return 'program-download';
    case 0x1d:
    case 0x1e:
    case 0x1f: return 'program-upload';
    case 0x29: return 'mode-change';
    default: return 'other';
  }
}

// ------------------------------------------------------------------------------------------ userdata

/** Userdata type nibble (high nibble of the type/function-group byte), as tshark shows it. */
export const UdType = { Push: 0x0, Request: 0x4, Response: 0x8 } as const;

export const UdGroup = {
  ModeTransition: 0x0,
  ProgrammerCommands: 0x1,
  CyclicData: 0x2,
  BlockFunctions: 0x3,
  CpuFunctions: 0x4,
  Security: 0x5,
  PbcBsend: 0x6,
  TimeFunctions: 0x7,
  NcProgramming: 0xf,
} as const;

export function userdataGroupName(group: number): string {
  switch (group) {
    case 0x0: return 'mode_transition';
    case 0x1: return 'programmer_commands';
    case 0x2: return 'cyclic_data';
    case 0x3: return 'block_functions';
    case 0x4: return 'cpu_functions';
    case 0x5: return 'security';
    case 0x6: return 'pbc_bsend';
    case 0x7: return 'time_functions';
    case 0xf: return 'nc_programming';
    default: return UNKNOWN_GROUP_NAMES[group & 0xf]!;
  }
}

export function userdataSubfunctionName(group: number, subfunc: number): string {
  switch (group) {
    case UdGroup.ProgrammerCommands:
      switch (subfunc) {
        case 0x01: return 'block_status';
        case 0x02: return 'variable_status';
        case 0x03: return 'output_istack';
        case 0x04: return 'output_bstack';
        case 0x05: return 'output_lstack';
        case 0x06: return 'time_measurement';
        case 0x07: return 'force_selection';
        case 0x08: return 'modify_variable';
        case 0x09: return 'force';
        case 0x0a: return 'breakpoint';
        case 0x0b: return 'exit_hold';
        case 0x0c: return 'memory_reset';
        case 0x0d: return 'disable_job';
        case 0x0e: return 'enable_job';
        case 0x0f: return 'delete_job';
        case 0x10: return 'read_job_list';
        case 0x11: return 'read_job';
        case 0x12: return 'replace_job';
        case 0x13: return 'block_status_v2';
        case 0x16: return 'flash_led';
      }
      break;
    case UdGroup.CyclicData:
      switch (subfunc) {
        case 0x01: return 'cyclic_transfer';
        case 0x04: return 'unsubscribe';
        case 0x05: return 'change_driven_transfer';
        case 0x07: return 'change_driven_transfer_modify';
        case 0x08: return 'rdrec';
      }
      break;
    case UdGroup.BlockFunctions:
      switch (subfunc) {
        case 0x01: return 'list_blocks';
        case 0x02: return 'list_blocks_of_type';
        case 0x03: return 'get_block_info';
      }
      break;
    case UdGroup.CpuFunctions:
      switch (subfunc) {
        case 0x01: return 'read_szl';
        case 0x02: return 'message_service';
        case 0x03: return 'diagnostic_message';
        case 0x05: return 'alarm8_indication';
        case 0x06: return 'notify_indication';
        case 0x07: return 'alarm8_lock';
        case 0x08: return 'alarm8_unlock';
        case 0x09: return 'scan_indication';
        case 0x0b: return 'alarm_ack';
        case 0x0c: return 'alarm_ack_indication';
        case 0x0d: return 'alarm_lock_indication';
        case 0x0e: return 'alarm_unlock_indication';
        case 0x10: return 'ar_send_indication';
        case 0x11: return 'alarm_sq_indication';
        case 0x12: return 'alarm_s_indication';
        case 0x13: return 'alarm_query';
        case 0x16: return 'notify8_indication';
      }
      break;
    case UdGroup.Security:
      if (subfunc === 0x01) return 'plc_password';
      break;
    case UdGroup.TimeFunctions:
      switch (subfunc) {
        case 0x01: return 'read_clock';
        case 0x02: return 'set_clock';
        case 0x03: return 'read_clock_following';
        case 0x04: return 'set_clock_2';
      }
      break;
  }
  return UNKNOWN_SUBFUNC_NAMES[subfunc & 0xff]!;
}

/** Operation kind of a userdata request; the SZL read is refined by szlKind(). */
export function userdataKind(group: number, subfunc: number): OperationKind {
  switch (group) {
    case UdGroup.ModeTransition:
      return 'mode-change';
    case UdGroup.ProgrammerCommands:
      switch (subfunc) {
        case 0x07: // force selection
        case 0x08: // modify variable
        case 0x09: // force
          return 'write';
        case 0x0a: return 'control'; // breakpoint
        case 0x0b: return 'mode-change'; // exit HOLD
        case 0x0c: return 'restart'; // memory reset
        case 0x16: return 'other'; // flash LED
        default: return 'diagnostics'; // block/variable status, stacks, job list management
      }
    case UdGroup.CyclicData:
      return 'subscription';
    case UdGroup.BlockFunctions:
      return subfunc >= 1 && subfunc <= 3 ? 'read' : 'other';
    case UdGroup.CpuFunctions:
      switch (subfunc) {
        case 0x01: return 'identify';
        case 0x02: return 'subscription'; // message service: (un)register for alarms/diagnostic messages
        case 0x07:
        case 0x08:
        case 0x0b: return 'control'; // alarm lock/unlock/ack
        case 0x13: return 'read'; // alarm query
        default: return 'other';
      }
    case UdGroup.Security:
      return 'authentication';
    case UdGroup.TimeFunctions:
      return subfunc === 0x02 || subfunc === 0x04 ? 'time-sync' : subfunc === 0x01 || subfunc === 0x03 ? 'read' : 'other';
    default:
      return 'other';
  }
}

// ------------------------------------------------------------------------------------------ SZL

/**
 * Kind of a read-SZL request by its partial list number (low byte of the SZL id): identity lists are
 * 'identify'; status/diagnostic lists (mode, LEDs, module states, diagnostic buffer) are 'diagnostics'.
 */
export function szlKind(szlId: number): OperationKind {
  switch (szlId & 0xff) {
    case 0x19: // LED status
    case 0x1d: // H CPU group information
    case 0x22: // interrupt status
    case 0x23: // priority classes
    case 0x24: // operating mode
    case 0x25: // process image partitions
    case 0x71: // H system information
    case 0x74: // LED status
    case 0x75: // switched DP slaves
    case 0x90: // DP master system
    case 0x91: // module status
    case 0x92: // rack/station status
    case 0x94: // rack/station status
    case 0x95: // DP master system extended
    case 0x96: // module status (PROFINET/DP)
    case 0x9c: // tool changer
    case 0xa0: // diagnostic buffer
    case 0xb1: // module diagnostic info
    case 0xb2:
    case 0xb3:
    case 0xb4:
      return 'diagnostics';
    default:
      return 'identify';
  }
}

/** SZL 0x0424 requested-mode nibble → token for OperationEvent.detail. */
export function cpuModeName(mode: number): string {
  switch (mode & 0x0f) {
    case 0x1:
    case 0x2:
    case 0x3:
    case 0x4: return 'stop';
    case 0x5:
    case 0x6:
    case 0x7: return 'startup';
    case 0x8: return 'run';
    case 0x9: return 'run-redundant';
    case 0xa: return 'hold';
    case 0xd: return 'defect';
    default: return 'unknown';
  }
}

// ------------------------------------------------------------------------------------------ addressing

/** Memory area of an S7ANY item → the short token used in object strings (Siemens mnemonics, English). */
export function areaToken(area: number): string {
  switch (area) {
    case 0x01: return 'RECORD';
    case 0x03: return 'SI200';
    case 0x05: return 'SF200';
    case 0x06: return 'AI200';
    case 0x07: return 'AO200';
    case 0x80: return 'P';
    case 0x81: return 'I';
    case 0x82: return 'Q';
    case 0x83: return 'M';
    case 0x84: return 'DB';
    case 0x85: return 'DI';
    case 0x86: return 'L';
    case 0x87: return 'V';
    case 28: return 'C';
    case 29: return 'T';
    case 30: return 'C200';
    case 31: return 'T200';
    default: return 'AREA' + area.toString(16).padStart(2, '0');
  }
}

export function transportSizeName(size: number): string {
  switch (size) {
    case 1: return 'BIT';
    case 2: return 'BYTE';
    case 3: return 'CHAR';
    case 4: return 'WORD';
    case 5: return 'INT';
    case 6: return 'DWORD';
    case 7: return 'DINT';
    case 8: return 'REAL';
    case 9: return 'DATE';
    case 10: return 'TOD';
    case 11: return 'TIME';
    case 12: return 'S5TIME';
    case 15: return 'DATE_AND_TIME';
    case 28: return 'COUNTER';
    case 29: return 'TIMER';
    case 30: return 'IEC_COUNTER';
    case 31: return 'IEC_TIMER';
    case 32: return 'HS_COUNTER';
    default: return 'SIZE' + size;
  }
}

/** Block type from its two ASCII hex digits in a block file name ("_0A00001P": "0A" = DB). */
export function blockTypeName(code: number): string {
  switch (code) {
    case 0x08: return 'OB';
    case 0x09: return 'CMod';
    case 0x0a: return 'DB';
    case 0x0b: return 'SDB';
    case 0x0c: return 'FC';
    case 0x0d: return 'SFC';
    case 0x0e: return 'FB';
    case 0x0f: return 'SFB';
    default: return 'BLK' + code.toString(16).padStart(2, '0');
  }
}

/** Block type as carried in userdata block functions: ASCII "08", "0A", ... as a 16-bit value. */
export function blockTypeFromAscii16(v: number): string {
  const hi = hexDigit(v >> 8);
  const lo = hexDigit(v & 0xff);
  if (hi < 0 || lo < 0) return 'BLK' + v.toString(16).padStart(4, '0');
  return blockTypeName(hi * 16 + lo);
}

export function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  return -1;
}

// ------------------------------------------------------------------------------------------ errors

/** Item return codes (data part of read/write var and userdata): 0xff = success. */
export const ITEM_OK = 0xff;

export function itemReturnName(code: number): string {
  switch (code) {
    case 0x00: return 'reserved';
    case 0x01: return 'hardware_fault';
    case 0x03: return 'access_fault';
    case 0x05: return 'address_out_of_range';
    case 0x06: return 'data_type_not_supported';
    case 0x07: return 'data_type_inconsistent';
    case 0x0a: return 'object_does_not_exist';
    case 0xff: return 'success';
    default: return 'item_error_0x' + code.toString(16).padStart(2, '0');
  }
}

/**
 * Header error (error class << 8 | error code) and userdata parameter error codes share one table in
 * Wireshark; the common ones are named, the rest fall back to the error class.
 */
export function errorName(code: number): string {
  switch (code) {
    case 0x0000: return 'no_error';
    case 0x0110: return 'invalid_block_number';
    case 0x0111: return 'invalid_request_length';
    case 0x0112: return 'invalid_parameter';
    case 0x0113: return 'invalid_block_type';
    case 0x0114: return 'block_not_found';
    case 0x0115: return 'block_already_exists';
    case 0x0116: return 'block_write_protected';
    case 0x0117: return 'block_too_large';
    case 0x0119: return 'incorrect_password';
    case 0x011a: return 'pg_resource_error';
    case 0x011b: return 'plc_resource_error';
    case 0x011c: return 'protocol_error';
    case 0x011d: return 'too_many_blocks';
    case 0x0120: return 'end_of_block_list';
    case 0x0140: return 'insufficient_memory';
    case 0x0141: return 'lack_of_resources';
    case 0x8001: return 'service_not_allowed_in_block_status';
    case 0x8003: return 'block_transfer_error';
    case 0x8100: return 'service_unknown';
    case 0x8104: return 'context_not_supported';
    case 0x8204: return 'object_type_inconsistent';
    case 0x8205: return 'copied_block_exists';
    case 0x8301: return 'insufficient_memory';
    case 0x8302: return 'resources_unavailable';
    case 0x8304: return 'no_parallel_upload';
    case 0x8305: return 'function_not_available';
    case 0x8306: return 'insufficient_work_memory';
    case 0x8307: return 'insufficient_retentive_memory';
    case 0x8401: return 'invalid_service_sequence';
    case 0x8402: return 'object_status_prevents_service';
    case 0x8404: return 'function_cannot_be_performed';
    case 0x8405: return 'remote_block_disabled';
    case 0x8500: return 'wrong_frames';
    case 0x8503: return 'service_canceled';
    case 0x8701: return 'object_addressing_error';
    case 0x8702: return 'service_not_supported';
    case 0x8703: return 'object_access_denied';
    case 0x8704: return 'object_damaged';
    case 0xd001: return 'illegal_job_number';
    case 0xd041: return 'illegal_szl_id';
    case 0xd081: return 'not_permitted_in_current_mode';
    case 0xd0a1: return 'not_permitted_in_protection_level';
    case 0xd0ad: return 'mode_already_set';
    case 0xd201: return 'block_name_syntax_error';
    case 0xd202: return 'function_parameter_syntax_error';
    case 0xd209: return 'block_not_found_on_module';
    case 0xd20e: return 'no_further_block';
    case 0xd210: return 'invalid_block_number';
    case 0xd232: return 'illegal_block_number';
    case 0xd235: return 'block_checksum_error';
    case 0xd241: return 'not_permitted_in_protection_level';
    case 0xd2a1: return 'block_function_active';
    case 0xd401: return 'information_function_unavailable';
    case 0xd402: return 'information_function_unavailable';
    case 0xd405: return 'service_not_supported';
    case 0xd406: return 'information_unavailable';
    case 0xd601: return 'syntax_error_in_function_parameter';
    case 0xd602: return 'incorrect_password';
    case 0xd603: return 'connection_already_legitimized';
    case 0xd604: return 'connection_already_enabled';
    case 0xd605: return 'password_does_not_exist';
    case 0xd801: return 'invalid_tag_address';
    case 0xd802: return 'job_does_not_exist';
    case 0xdc01: return 'invalid_date_time';
  }
  switch (code >> 8) {
    case 0x81: return 'application_relationship_error';
    case 0x82: return 'object_definition_error';
    case 0x83: return 'no_resources_available';
    case 0x84: return 'service_processing_error';
    case 0x85: return 'supplies_error';
    case 0x87: return 'access_error';
    default: return 'error_0x' + code.toString(16).padStart(4, '0');
  }
}

// Precomputed so that unknown codes do not build a string per PDU.
const UNKNOWN_FUNC_NAMES: string[] = [];
const UNKNOWN_SUBFUNC_NAMES: string[] = [];
const UNKNOWN_GROUP_NAMES: string[] = [];
for (let i = 0; i < 256; i++) {
  UNKNOWN_FUNC_NAMES.push('function_0x' + i.toString(16).padStart(2, '0'));
  UNKNOWN_SUBFUNC_NAMES.push('subfunction_0x' + i.toString(16).padStart(2, '0'));
}
for (let i = 0; i < 16; i++) UNKNOWN_GROUP_NAMES.push('group_0x' + i.toString(16));
