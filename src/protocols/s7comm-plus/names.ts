/**
 * S7comm-plus constants and names. Codes, object/attribute ids and layouts were checked against the open-source
 * Wireshark plugin "s7comm_plus" (Thomas Wiens, packet-s7comm_plus.c) and the S7CommPlusDriver by the same
 * author (Functioncode.cs, Ids.cs); see docs/protocols/s7comm-plus.md.
 */
import type { OperationKind } from '../../events/types.js';

export const S7PLUS_PROTOCOL_ID = 0x72;

export const Version = {
  V1: 0x01,
  V2: 0x02,
  V3: 0x03,
  /** "extended keep-alive" (TIA V14+), also seen as LOGOUT confirmation */
  ExtKeepAlive: 0xfe,
  KeepAlive: 0xff,
} as const;

export function versionName(v: number): string {
  switch (v) {
    case Version.V1: return 'V1';
    case Version.V2: return 'V2';
    case Version.V3: return 'V3';
    case Version.ExtKeepAlive: return 'ext-keep-alive';
    case Version.KeepAlive: return 'keep-alive';
    default: return `0x${v.toString(16).padStart(2, '0')}`;
  }
}

export function isKnownVersion(v: number): boolean {
  return v === Version.V1 || v === Version.V2 || v === Version.V3 || v === Version.ExtKeepAlive || v === Version.KeepAlive;
}

export const Opcode = { Request: 0x31, Response: 0x32, Notification: 0x33, Response2: 0x02 } as const;

export function opcodeName(op: number): string {
  switch (op) {
    case Opcode.Request: return 'request';
    case Opcode.Response: return 'response';
    case Opcode.Notification: return 'notification';
    case Opcode.Response2: return 'response2';
    default: return `opcode_0x${op.toString(16).padStart(2, '0')}`;
  }
}

export const Func = {
  Error: 0x04b1,
  Explore: 0x04bb,
  CreateObject: 0x04ca,
  DeleteObject: 0x04d4,
  SetVariable: 0x04f2,
  GetVariable: 0x04fc,
  AddLink: 0x0506,
  RemoveLink: 0x051a,
  GetLink: 0x0524,
  SetMultiVariables: 0x0542,
  GetMultiVariables: 0x054c,
  BeginSequence: 0x0556,
  EndSequence: 0x0560,
  Invoke: 0x056b,
  SetVarSubStreamed: 0x057c,
  GetVarSubStreamed: 0x0586,
  GetVariablesAddress: 0x0590,
  Abort: 0x059a,
  Error2: 0x05a9,
  InitSsl: 0x05b3,
} as const;

export function functionName(code: number): string {
  switch (code) {
    case Func.Error: return 'error';
    case Func.Explore: return 'explore';
    case Func.CreateObject: return 'create_object';
    case Func.DeleteObject: return 'delete_object';
    case Func.SetVariable: return 'set_variable';
    case Func.GetVariable: return 'get_variable';
    case Func.AddLink: return 'add_link';
    case Func.RemoveLink: return 'remove_link';
    case Func.GetLink: return 'get_link';
    case Func.SetMultiVariables: return 'set_multi_variables';
    case Func.GetMultiVariables: return 'get_multi_variables';
    case Func.BeginSequence: return 'begin_sequence';
    case Func.EndSequence: return 'end_sequence';
    case Func.Invoke: return 'invoke';
    case Func.SetVarSubStreamed: return 'set_var_sub_streamed';
    case Func.GetVarSubStreamed: return 'get_var_sub_streamed';
    case Func.GetVariablesAddress: return 'get_variables_address';
    case Func.Abort: return 'abort';
    case Func.Error2: return 'error2';
    case Func.InitSsl: return 'init_ssl';
    default: return `function_0x${code.toString(16).padStart(4, '0')}`;
  }
}

/** The operation a function implies before its arguments are looked at (refined by the session). */
export function functionKind(code: number): OperationKind {
  switch (code) {
    case Func.GetVariable:
    case Func.GetMultiVariables:
    case Func.GetVarSubStreamed:
    case Func.GetLink:
    case Func.GetVariablesAddress:
    case Func.Explore:
      return 'read';
    case Func.SetVariable:
    case Func.SetMultiVariables:
    case Func.SetVarSubStreamed:
      return 'write';
    case Func.Invoke:
      return 'control';
    case Func.InitSsl:
      return 'authentication';
    case Func.AddLink:
    case Func.RemoveLink:
      return 'configuration';
    case Func.Error:
    case Func.Error2:
      return 'error';
    default:
      return 'other';
  }
}

/** Object and attribute ids (the plugin's id_number_names). */
export const Id = {
  ObjectServerSessionContainer: 285,
  ClassServerSession: 287,
  ObjectNullServerSession: 288,
  ServerSessionVersion: 306,
  ClassSubscription: 1001,
  SessionKey: 1830,
  Legitimate: 1846,
  NativeCpuExecUnit: 52,
  CpuExecUnitOperatingStateReq: 2167,
  CpuCommonAsStateReq: 3748,
  DataBlockClass: 2574,
  FunctionBlockClass: 2578,
  FunctionClass: 2579,
  FunctionalObjectClass: 2592,
  OrganizationBlockClass: 2610,
} as const;

/**
 * Program-block class ids (the plugin's "<X>.Class_Rid" names): creating such an object is how TIA Portal loads
 * a block into the CPU. Returns the block kind, or '' for other classes.
 */
export function blockClassName(classId: number): string {
  switch (classId) {
    case Id.DataBlockClass: return 'DB';
    case Id.FunctionBlockClass: return 'FB';
    case Id.FunctionClass: return 'FC';
    case Id.FunctionalObjectClass: return 'FunctionalObject';
    case Id.OrganizationBlockClass: return 'OB';
    case 2554: return 'DataType';
    case 3932: return 'UDT';
    case 3933: return 'FBT';
    case 3934: return 'SDT';
    case 3935: return 'FCT';
    default:
      // 2637..2658: the OB subclasses (CyclicOB, StartupOB, ProgramCycleOB, TimeOfDayOB, ...).
      return classId >= 2637 && classId <= 2658 ? 'OB' : '';
  }
}

/**
 * CPUexecUnit.OperatingStateREQ values written to request a mode change: 1 = STOP, 3 = RUN (as used by
 * S7CommPlusDriver's SetPlcOperatingState; the plugin names the attribute but not its values).
 */
export function operatingStateName(value: number): string {
  switch (value) {
    case 1: return 'stop';
    case 3: return 'run';
    default: return `state-${value}`;
  }
}

/** Return-value error codes (signed 16-bit low part of the 64-bit return value); negative = failure. */
export function errorCodeName(code: number): string {
  switch (code) {
    case -12: return 'object_not_found';
    case -17: return 'invalid_crc';
    case -134: return 'service_multi_es_not_supported';
    case -255: return 'invalid_lid';
    default: return `error_${code}`;
  }
}

/** Client role from the S7comm-plus TSAP string ("SIMATIC-ROOT-HMI", "SIMATIC-ROOT-ES", ...). */
export function tsapRole(tsap: string): string {
  if (tsap.endsWith('-HMI')) return 'hmi';
  if (tsap.endsWith('-ES')) return 'engineering-station';
  if (tsap.endsWith('-OTH')) return 'other-client';
  return '';
}

/** Product family / model from a CPU order number "6ES7 5xx-..." (S7-1500) or "6ES7 21x-..." (S7-1200). */
export function cpuFromOrderNumber(order: string): { product: string; model: string } | null {
  const m = /^6ES7 ?(\d)(\d)(\d)-/.exec(order);
  if (!m) return null;
  const [, a, b, c] = m;
  if (a === '2' && b === '1') return { product: 'SIMATIC S7-1200', model: `CPU 12${b}${c}C` };
  if (a === '5' && b === '1') return { product: 'SIMATIC S7-1500', model: `CPU 15${b}${c}` };
  return null;
}
