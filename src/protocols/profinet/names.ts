/**
 * PROFINET value tables (IEC 61158-6-10), named as Wireshark's pn_dcp / pn_rt / pn_io dissectors name them so
 * that events line up with tshark output.
 */

export const ETHERTYPE_PROFINET = 0x8892;
export const PNIO_CM_PORT = 34964;

export const FRAME_ID = {
  ALARM_HIGH: 0xfc01,
  ALARM_LOW: 0xfe01,
  DCP_HELLO: 0xfefc,
  DCP_GET_SET: 0xfefd,
  DCP_IDENTIFY_REQUEST: 0xfefe,
  DCP_IDENTIFY_RESPONSE: 0xfeff,
} as const;

/** What a FrameID range carries. Ranges as in IEC 61158-6-10 Table "FrameID" and Wireshark packet-pn-rt.c. */
export const FrameClass = {
  SYNC: 0, // PTCP RTSync 0x0000-0x00FF
  RT_CLASS_3: 1, // isochronous 0x0100-0x7FFF
  RT_CLASS_2: 2, // 0x8000-0xBFFF
  RT_CLASS_1: 3, // 0xC000-0xF7FF
  RT_CLASS_UDP: 4, // 0xF800-0xFBFF
  ALARM: 5, // 0xFC01 high, 0xFE01 low
  DCP: 6, // 0xFEFC-0xFEFF
  PTCP: 7, // 0xFF00-0xFF7F announce/follow-up/delay
  FRAGMENT: 8, // 0xFF80-0xFF8F
  RESERVED: 9,
} as const;
export type FrameClass = (typeof FrameClass)[keyof typeof FrameClass];

export function frameClass(frameId: number): FrameClass {
  if (frameId < 0x0100) return FrameClass.SYNC;
  if (frameId < 0x8000) return FrameClass.RT_CLASS_3;
  if (frameId < 0xc000) return FrameClass.RT_CLASS_2;
  if (frameId < 0xf800) return FrameClass.RT_CLASS_1;
  if (frameId < 0xfc00) return FrameClass.RT_CLASS_UDP;
  if (frameId === FRAME_ID.ALARM_HIGH || frameId === FRAME_ID.ALARM_LOW) return FrameClass.ALARM;
  if (frameId >= 0xfefc && frameId <= 0xfeff) return FrameClass.DCP;
  if (frameId >= 0xff00 && frameId < 0xff80) return FrameClass.PTCP;
  if (frameId >= 0xff80 && frameId < 0xff90) return FrameClass.FRAGMENT;
  return FrameClass.RESERVED;
}

/** ctx.count() names per FrameClass (constant strings: counting costs no allocation). */
export const FRAME_CLASS_COUNTER: readonly string[] = [
  'profinet-rt.sync',
  'profinet-rt.class3',
  'profinet-rt.class2',
  'profinet-rt.class1',
  'profinet-rt.class-udp',
  'profinet-rt.alarm',
  'profinet-dcp.frames',
  'profinet-rt.ptcp',
  'profinet-rt.fragment',
  'profinet-rt.reserved-frame-id',
];

export const FRAME_CLASS_NAME: readonly string[] = ['sync', 'RT_CLASS_3', 'RT_CLASS_2', 'RT_CLASS_1', 'RT_CLASS_UDP', 'alarm', 'dcp', 'ptcp', 'fragment', 'reserved'];

export const DCP_FRAME_NAMES: Readonly<Record<number, string>> = {
  0xfefc: 'hello',
  0xfefd: 'get_set',
  0xfefe: 'identify_multicast_request',
  0xfeff: 'identify_response',
};

export const DCP_SERVICE = { GET: 3, SET: 4, IDENTIFY: 5, HELLO: 6 } as const;

export const DCP_SERVICE_NAMES: Readonly<Record<number, string>> = { 3: 'get', 4: 'set', 5: 'identify', 6: 'hello' };

/** ServiceType: bit 0 response, bit 2 "request not supported". */
export const DCP_SERVICE_TYPE_RESPONSE = 0x01;
export const DCP_SERVICE_TYPE_NOT_SUPPORTED = 0x04;

export const DCP_OPTION = { IP: 1, DEVICE: 2, DHCP: 3, CONTROL: 5, DEVICE_INITIATIVE: 6, ALL: 0xff } as const;

/** (option << 8 | suboption) → the name used in event objects/details. */
export const DCP_BLOCK_NAMES: Readonly<Record<number, string>> = {
  0x0101: 'mac-address',
  0x0102: 'ip-parameter',
  0x0103: 'full-ip-suite',
  0x0201: 'type-of-station',
  0x0202: 'name-of-station',
  0x0203: 'device-id',
  0x0204: 'device-role',
  0x0205: 'device-options',
  0x0206: 'alias-name',
  0x0207: 'device-instance',
  0x0208: 'oem-device-id',
  0x020a: 'rsi-properties',
  0x0501: 'start-transaction',
  0x0502: 'end-transaction',
  0x0503: 'signal',
  0x0504: 'response',
  0x0505: 'reset-factory-settings',
  0x0506: 'reset-to-factory',
  0x0601: 'device-initiative',
  0xffff: 'all',
};

export function dcpBlockName(option: number, suboption: number): string {
  const name = DCP_BLOCK_NAMES[(option << 8) | suboption];
  if (name !== undefined) return name;
  if (option === DCP_OPTION.DHCP) return `dhcp-option-${suboption}`;
  return `option-${option}/${suboption}`;
}

/** DCP BlockError in a Control/Response block (Wireshark pn_dcp.block_error). */
export const DCP_BLOCK_ERROR_NAMES: Readonly<Record<number, string>> = {
  1: 'option_unsupported',
  2: 'suboption_unsupported',
  3: 'suboption_not_set',
  4: 'resource_error',
  5: 'set_not_possible_local_reasons',
  6: 'set_not_possible_in_operation',
};

/** DeviceRoleDetails bits. */
export function deviceRoleName(role: number): string | null {
  const names: string[] = [];
  if (role & 0x01) names.push('IO-Device');
  if (role & 0x02) names.push('IO-Controller');
  if (role & 0x04) names.push('IO-Multidevice');
  if (role & 0x08) names.push('PN-Supervisor');
  return names.length ? names.join('+') : null;
}

/**
 * PROFINET vendor ids (PI-assigned; the same value appears as VendorID in GSDML files). Only ids confirmed
 * from public GSDML/device material are listed; others are reported as the number alone.
 */
export const PROFINET_VENDORS: Readonly<Record<number, string>> = {
  0x002a: 'Siemens AG',
  0x00b0: 'Phoenix Contact',
};

export function hex4(value: number): string {
  return '0x' + value.toString(16).padStart(4, '0');
}

// ---------------------------------------------------------------- PN-IO CM (DCE/RPC)

export const RPC_PTYPE = { REQUEST: 0, PING: 1, RESPONSE: 2, FAULT: 3, WORKING: 4, NOCALL: 5, REJECT: 6, ACK: 7, CANCEL: 8, FACK: 9, CANCEL_ACK: 10 } as const;
export const RPC_PTYPE_NAMES: readonly string[] = ['request', 'ping', 'response', 'fault', 'working', 'nocall', 'reject', 'ack', 'cl_cancel', 'fack', 'cancel_ack'];

/** Which PNIO interface (last digit of DEA0000x) a call uses. */
export const PNIO_INTERFACE_NAMES: Readonly<Record<number, string>> = { 1: 'device', 2: 'controller', 3: 'supervisor', 4: 'parameter-server' };

export const PNIO_OPNUM_NAMES: readonly string[] = ['connect', 'release', 'read', 'write', 'control', 'read_implicit'];

export const EPM_OPNUM_NAMES: readonly string[] = ['ept_insert', 'ept_delete', 'ept_lookup', 'ept_map', 'ept_lookup_handle_free', 'ept_inq_object', 'ept_mgmt_delete'];

export const PNIO_BLOCK = {
  ALARM_NOTIFICATION_HIGH: 0x0001,
  ALARM_NOTIFICATION_LOW: 0x0002,
  WRITE_REQ_HEADER: 0x0008,
  READ_REQ_HEADER: 0x0009,
  IM0: 0x0020,
  AR_BLOCK_REQ: 0x0101,
  READ_RES_HEADER: 0x8009,
  WRITE_RES_HEADER: 0x8008,
} as const;

/** IODControlReq / IOXControlReq / IODReleaseReq block types → the control's name. */
export const CONTROL_BLOCK_NAMES: Readonly<Record<number, string>> = {
  0x0110: 'prm-end',
  0x0111: 'plug-prm-end',
  0x0112: 'application-ready',
  0x0113: 'plug-application-ready',
  0x0114: 'release',
  0x0116: 'ready-for-companion',
  0x0117: 'ready-for-rt-class-3',
  0x0118: 'prm-begin',
};

export const AR_TYPE_NAMES: Readonly<Record<number, string>> = {
  0x0001: 'IOCARSingle',
  0x0003: 'IOCARCIR',
  0x0006: 'IOSAR',
  0x0010: 'IOCARSingle-RT_CLASS_3',
  0x0020: 'IOCARSR',
};

export const RECORD_INDEX_NAMES: Readonly<Record<number, string>> = {
  0x800c: 'diagnosis-subslot',
  0x8028: 'record-input-data',
  0x8029: 'record-output-data',
  0x802a: 'pd-port-data-real',
  0x802b: 'pd-port-data-check',
  0x802f: 'pd-port-data-adjust',
  0x8080: 'pd-interface-data-real',
  0xaff0: 'I&M0',
  0xaff1: 'I&M1',
  0xaff2: 'I&M2',
  0xaff3: 'I&M3',
  0xaff4: 'I&M4',
  0xe040: 'write-multiple',
  0xf830: 'logbook',
  0xf840: 'I&M0-filter-data',
  0xf841: 'pd-real-data',
  0xf842: 'pd-expected-data',
};

export const INDEX_IM0 = 0xaff0;
export const INDEX_WRITE_MULTIPLE = 0xe040;

export const PNIO_ERROR_CODE_NAMES: Readonly<Record<number, string>> = {
  0x81: 'pnio',
  0xcf: 'rta_error',
  0xda: 'alarm_ack',
  0xdb: 'connect',
  0xdc: 'release',
  0xdd: 'control',
  0xde: 'read',
  0xdf: 'write',
};

/** ErrorCode1 when ErrorDecode is PNIORW (0x80): class/code of the record access error. */
export const PNIORW_ERROR_NAMES: Readonly<Record<number, string>> = {
  0xa0: 'read_error',
  0xa1: 'write_error',
  0xa2: 'module_failure',
  0xa9: 'busy',
  0xb0: 'invalid_index',
  0xb1: 'write_length_error',
  0xb2: 'invalid_slot_subslot',
  0xb3: 'type_conflict',
  0xb4: 'invalid_area',
  0xb5: 'state_conflict',
  0xb6: 'access_denied',
  0xb7: 'invalid_range',
  0xb8: 'invalid_parameter',
  0xb9: 'invalid_type',
  0xba: 'backup',
  0xc0: 'read_constrain_conflict',
  0xc1: 'write_constrain_conflict',
  0xc2: 'resource_busy',
  0xc3: 'resource_unavailable',
};

/** snake_case name of a PNIOStatus (ErrorCode, ErrorDecode, ErrorCode1, ErrorCode2 from the top byte down). */
export function pnioStatusName(status: number): string {
  const errorCode = status >>> 24;
  const errorDecode = (status >>> 16) & 0xff;
  const code1 = (status >>> 8) & 0xff;
  const base = PNIO_ERROR_CODE_NAMES[errorCode] ?? `error_code_0x${errorCode.toString(16)}`;
  if (errorDecode === 0x80) return `${base}_${PNIORW_ERROR_NAMES[code1] ?? `pniorw_0x${code1.toString(16)}`}`;
  return `${base}_0x${errorDecode.toString(16).padStart(2, '0')}${code1.toString(16).padStart(2, '0')}${(status & 0xff).toString(16).padStart(2, '0')}`;
}

export const ALARM_TYPE_NAMES: Readonly<Record<number, string>> = {
  1: 'diagnosis',
  2: 'process',
  3: 'pull',
  4: 'plug',
  5: 'status',
  6: 'update',
  7: 'redundancy',
  8: 'controlled_by_supervisor',
  9: 'released',
  10: 'plug_wrong_submodule',
  11: 'return_of_submodule',
  12: 'diagnosis_disappears',
  13: 'multicast_communication_mismatch',
  14: 'port_data_change',
  15: 'sync_data_changed',
  16: 'isochronous_mode_problem',
  17: 'network_component_problem',
  18: 'time_data_changed',
  19: 'dynamic_frame_packing_problem',
  30: 'upload_and_retrieval',
  31: 'pull_module',
};
