/** DNP3 (IEEE 1815) application-layer identifiers. */
import type { OperationKind } from '../../events/types.js';

export const FUNCTION_NAMES: Readonly<Record<number, string>> = {
  0: 'confirm', 1: 'read', 2: 'write', 3: 'select', 4: 'operate', 5: 'direct_operate', 6: 'direct_operate_no_ack',
  7: 'immediate_freeze', 8: 'immediate_freeze_no_ack', 9: 'freeze_clear', 10: 'freeze_clear_no_ack',
  11: 'freeze_at_time', 12: 'freeze_at_time_no_ack', 13: 'cold_restart', 14: 'warm_restart',
  15: 'initialize_data', 16: 'initialize_application', 17: 'start_application', 18: 'stop_application',
  19: 'save_configuration', 20: 'enable_unsolicited', 21: 'disable_unsolicited', 22: 'assign_class',
  23: 'delay_measure', 24: 'record_current_time', 25: 'open_file', 26: 'close_file', 27: 'delete_file',
  28: 'get_file_info', 29: 'authenticate_file', 30: 'abort_file', 31: 'activate_config', 32: 'authenticate_request',
  33: 'authenticate_request_no_ack', 129: 'response', 130: 'unsolicited_response', 131: 'authenticate_response',
};

/** Functions that get no response from the outstation. */
export function expectsNoResponse(fc: number): boolean {
  return fc === 0 || fc === 6 || fc === 8 || fc === 10 || fc === 12 || fc === 33;
}

export interface FunctionClassification {
  readonly kind: OperationKind;
  readonly detail?: string;
}

// Shared constants (callers only read them): no object per request.
const READ: FunctionClassification = { kind: 'read' };
const TIME_SYNC: FunctionClassification = { kind: 'time-sync' };
const WRITE: FunctionClassification = { kind: 'write' };
const SELECT: FunctionClassification = { kind: 'control', detail: 'select' };
const OPERATE: FunctionClassification = { kind: 'control', detail: 'operate' };
const DIRECT_OPERATE: FunctionClassification = { kind: 'control', detail: 'direct-operate' };
const FREEZE: FunctionClassification = { kind: 'control', detail: 'freeze' };
const COLD_RESTART: FunctionClassification = { kind: 'restart', detail: 'cold' };
const WARM_RESTART: FunctionClassification = { kind: 'restart', detail: 'warm' };
const INITIALIZE_DATA: FunctionClassification = { kind: 'restart', detail: 'initialize-data' };
const INITIALIZE_APPLICATION: FunctionClassification = { kind: 'restart', detail: 'initialize-application' };
const START_APPLICATION: FunctionClassification = { kind: 'mode-change', detail: 'start-application' };
const STOP_APPLICATION: FunctionClassification = { kind: 'mode-change', detail: 'stop-application' };
const CONFIGURATION: FunctionClassification = { kind: 'configuration' };
const ENABLE_UNSOLICITED: FunctionClassification = { kind: 'subscription', detail: 'enable-unsolicited' };
const DISABLE_UNSOLICITED: FunctionClassification = { kind: 'subscription', detail: 'disable-unsolicited' };
const FILE_TRANSFER: FunctionClassification = { kind: 'file-transfer' };
const AUTHENTICATION: FunctionClassification = { kind: 'authentication' };
const OTHER: FunctionClassification = { kind: 'other' };

export function operationKind(fc: number, firstGroup: number): FunctionClassification {
  switch (fc) {
    case 1:
      return READ;
    case 2:
      // Writing the time-and-date object sets the clock; writing IIN (g80) clears the restart bit.
      if (firstGroup === 50) return TIME_SYNC;
      return WRITE;
    case 3:
      return SELECT;
    case 4:
      return OPERATE;
    case 5:
    case 6:
      return DIRECT_OPERATE;
    case 7: case 8: case 9: case 10: case 11: case 12:
      return FREEZE;
    case 13:
      return COLD_RESTART;
    case 14:
      return WARM_RESTART;
    case 15:
      return INITIALIZE_DATA;
    case 16:
      return INITIALIZE_APPLICATION;
    case 17:
      return START_APPLICATION;
    case 18:
      return STOP_APPLICATION;
    case 19: case 22: case 31:
      return CONFIGURATION;
    case 20:
      return ENABLE_UNSOLICITED;
    case 21:
      return DISABLE_UNSOLICITED;
    case 23: case 24:
      return TIME_SYNC;
    case 25: case 26: case 27: case 28: case 29: case 30:
      return FILE_TRANSFER;
    case 32: case 33:
      return AUTHENTICATION;
    default:
      return OTHER;
  }
}

/** IIN2 bits that mean the request failed (IEEE 1815 §5.2.2.2). */
export function iinFailure(iin: number): { code: number; name: string } | null {
  const iin2 = iin & 0xff;
  if (iin2 & 0x01) return { code: iin, name: 'function_code_not_supported' };
  if (iin2 & 0x02) return { code: iin, name: 'object_unknown' };
  if (iin2 & 0x04) return { code: iin, name: 'parameter_error' };
  if (iin2 & 0x08) return { code: iin, name: 'event_buffer_overflow' };
  if (iin2 & 0x10) return { code: iin, name: 'already_executing' };
  if (iin2 & 0x20) return { code: iin, name: 'configuration_corrupt' };
  return null;
}
