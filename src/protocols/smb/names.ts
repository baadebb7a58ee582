/** SMB names: MS-CIFS / MS-SMB commands and subcommands, MS-SMB2 commands and dialects, MS-ERREF NTSTATUS. */
import type { OperationKind } from '../../events/types.js';

export const SMB1_COMMANDS: Readonly<Record<number, string>> = {
  0x00: 'create_directory', 0x01: 'delete_directory', 0x02: 'open', 0x03: 'create', 0x04: 'close', 0x05: 'flush',
  0x06: 'delete', 0x07: 'rename', 0x08: 'query_information', 0x09: 'set_information', 0x0a: 'read', 0x0b: 'write',
  0x10: 'check_directory', 0x12: 'seek', 0x1d: 'write_raw', 0x22: 'set_information2', 0x23: 'query_information2',
  0x24: 'locking_andx', 0x25: 'trans', 0x26: 'trans_secondary', 0x2b: 'echo', 0x2d: 'open_andx', 0x2e: 'read_andx',
  0x2f: 'write_andx', 0x32: 'trans2', 0x33: 'trans2_secondary', 0x34: 'find_close2', 0x70: 'tree_connect',
  0x71: 'tree_disconnect', 0x72: 'negotiate', 0x73: 'session_setup_andx', 0x74: 'logoff_andx',
  0x75: 'tree_connect_andx', 0x80: 'query_information_disk', 0x81: 'search', 0xa0: 'nt_trans', 0xa1: 'nt_trans_secondary',
  0xa2: 'nt_create_andx', 0xa4: 'nt_cancel', 0xa5: 'nt_rename', 0xc0: 'open_print_file',
};

export const SMB1_KINDS: Readonly<Record<number, OperationKind>> = {
  0x72: 'connect', 0x73: 'authentication', 0x75: 'connect', 0x70: 'connect', 0x0a: 'file-transfer',
  0x0b: 'file-transfer', 0x2e: 'file-transfer', 0x2f: 'file-transfer', 0x1d: 'file-transfer', 0x06: 'write',
  0x07: 'write', 0xa5: 'write', 0x01: 'write',
};

export const TRANS2_SUBCOMMANDS: Readonly<Record<number, string>> = {
  0x00: 'open2', 0x01: 'find_first2', 0x02: 'find_next2', 0x03: 'query_fs_information', 0x04: 'set_fs_information',
  0x05: 'query_path_information', 0x06: 'set_path_information', 0x07: 'query_file_information',
  0x08: 'set_file_information', 0x09: 'fsctl', 0x0a: 'ioctl2', 0x0b: 'find_notify_first', 0x0c: 'find_notify_next',
  0x0d: 'create_directory', 0x0e: 'session_setup', 0x10: 'get_dfs_referral', 0x11: 'report_dfs_inconsistency',
};

export const NT_TRANS_FUNCTIONS: Readonly<Record<number, string>> = {
  0x01: 'create', 0x02: 'ioctl', 0x03: 'set_security_desc', 0x04: 'notify_change', 0x05: 'rename',
  0x06: 'query_security_desc', 0x07: 'get_user_quota', 0x08: 'set_user_quota',
};

/** Trans (0x25) setup[0] on a named pipe. */
export const TRANS_PIPE_FUNCTIONS: Readonly<Record<number, string>> = {
  0x01: 'set_nmpipe_state', 0x11: 'raw_read_nmpipe', 0x21: 'query_nmpipe_state', 0x22: 'query_nmpipe_info',
  0x23: 'peek_nmpipe', 0x26: 'transact_nmpipe', 0x31: 'raw_write_nmpipe', 0x36: 'read_nmpipe', 0x37: 'write_nmpipe',
  0x53: 'wait_nmpipe', 0x54: 'call_nmpipe',
};

export const SMB2_COMMANDS: Readonly<Record<number, string>> = {
  0: 'negotiate', 1: 'session_setup', 2: 'logoff', 3: 'tree_connect', 4: 'tree_disconnect', 5: 'create', 6: 'close',
  7: 'flush', 8: 'read', 9: 'write', 10: 'lock', 11: 'ioctl', 12: 'cancel', 13: 'echo', 14: 'query_directory',
  15: 'change_notify', 16: 'query_info', 17: 'set_info', 18: 'oplock_break',
};

export const SMB2_KINDS: Readonly<Record<number, OperationKind>> = {
  0: 'connect', 1: 'authentication', 3: 'connect', 8: 'file-transfer', 9: 'file-transfer',
};

export const SMB2_DIALECTS: Readonly<Record<number, string>> = {
  0x0202: '2.0.2', 0x0210: '2.1', 0x0222: '2.2.2', 0x0224: '2.2.4', 0x0300: '3.0', 0x0302: '3.0.2', 0x0310: '3.1',
  0x0311: '3.1.1', 0x02ff: '2.???',
};

export const FSCTL_NAMES: Readonly<Record<number, string>> = {
  0x0011c017: 'fsctl_pipe_transceive', 0x00110018: 'fsctl_pipe_wait', 0x0011400c: 'fsctl_pipe_peek',
  0x00140204: 'fsctl_validate_negotiate_info', 0x00060194: 'fsctl_dfs_get_referrals', 0x001401fc: 'fsctl_query_network_interface_info',
  0x00144064: 'fsctl_srv_enumerate_snapshots', 0x00140078: 'fsctl_srv_request_resume_key', 0x001440f2: 'fsctl_srv_copychunk',
  0x001480f2: 'fsctl_srv_copychunk_write', 0x000900a4: 'fsctl_set_reparse_point', 0x000900a8: 'fsctl_get_reparse_point',
};
export const FSCTL_PIPE_TRANSCEIVE = 0x0011c017;

export const CREATE_DISPOSITIONS: readonly string[] = ['supersede', 'open', 'create', 'open_if', 'overwrite', 'overwrite_if'];

export const NT_STATUS_NAMES: Readonly<Record<number, string>> = {
  0x00000000: 'STATUS_SUCCESS',
  0x00000103: 'STATUS_PENDING',
  0x00000104: 'STATUS_REPARSE',
  0x0000010b: 'STATUS_NOTIFY_CLEANUP',
  0x0000010c: 'STATUS_NOTIFY_ENUM_DIR',
  0x80000005: 'STATUS_BUFFER_OVERFLOW',
  0x80000006: 'STATUS_NO_MORE_FILES',
  0xc0000001: 'STATUS_UNSUCCESSFUL',
  0xc0000002: 'STATUS_NOT_IMPLEMENTED',
  0xc0000003: 'STATUS_INVALID_INFO_CLASS',
  0xc0000008: 'STATUS_INVALID_HANDLE',
  0xc000000d: 'STATUS_INVALID_PARAMETER',
  0xc000000f: 'STATUS_NO_SUCH_FILE',
  0xc0000010: 'STATUS_INVALID_DEVICE_REQUEST',
  0xc0000011: 'STATUS_END_OF_FILE',
  0xc0000016: 'STATUS_MORE_PROCESSING_REQUIRED',
  0xc0000022: 'STATUS_ACCESS_DENIED',
  0xc0000023: 'STATUS_BUFFER_TOO_SMALL',
  0xc0000033: 'STATUS_OBJECT_NAME_INVALID',
  0xc0000034: 'STATUS_OBJECT_NAME_NOT_FOUND',
  0xc0000035: 'STATUS_OBJECT_NAME_COLLISION',
  0xc000003a: 'STATUS_OBJECT_PATH_NOT_FOUND',
  0xc0000043: 'STATUS_SHARING_VIOLATION',
  0xc0000054: 'STATUS_FILE_LOCK_CONFLICT',
  0xc0000056: 'STATUS_DELETE_PENDING',
  0xc000006a: 'STATUS_WRONG_PASSWORD',
  0xc000006d: 'STATUS_LOGON_FAILURE',
  0xc000006e: 'STATUS_ACCOUNT_RESTRICTION',
  0xc000006f: 'STATUS_INVALID_LOGON_HOURS',
  0xc0000070: 'STATUS_INVALID_WORKSTATION',
  0xc0000071: 'STATUS_PASSWORD_EXPIRED',
  0xc0000072: 'STATUS_ACCOUNT_DISABLED',
  0xc00000ba: 'STATUS_FILE_IS_A_DIRECTORY',
  0xc00000bb: 'STATUS_NOT_SUPPORTED',
  0xc00000c9: 'STATUS_NETWORK_NAME_DELETED',
  0xc00000cc: 'STATUS_BAD_NETWORK_NAME',
  0xc0000101: 'STATUS_DIRECTORY_NOT_EMPTY',
  0xc0000120: 'STATUS_CANCELLED',
  0xc0000128: 'STATUS_FILE_CLOSED',
  0xc00000b0: 'STATUS_PIPE_DISCONNECTED',
  0xc00000b1: 'STATUS_PIPE_CLOSING',
  0xc00000ad: 'STATUS_INVALID_PIPE_STATE',
  0xc00000b5: 'STATUS_IO_TIMEOUT',
  0xc000014b: 'STATUS_PIPE_BROKEN',
  0xc0000184: 'STATUS_INVALID_DEVICE_STATE',
  0xc0000193: 'STATUS_ACCOUNT_EXPIRED',
  0xc0000203: 'STATUS_USER_SESSION_DELETED',
  0xc0000224: 'STATUS_PASSWORD_MUST_CHANGE',
  0xc0000234: 'STATUS_ACCOUNT_LOCKED_OUT',
  0xc000035c: 'STATUS_NETWORK_SESSION_EXPIRED',
  0xc0000225: 'STATUS_NOT_FOUND',
  0xc0000205: 'STATUS_INSUFF_SERVER_RESOURCES',
};

export function statusName(status: number): string {
  return NT_STATUS_NAMES[status] ?? `STATUS_0x${status.toString(16).padStart(8, '0')}`;
}

/** Statuses that do not mean the request failed. */
export function isSuccessStatus(status: number): boolean {
  return (
    status === 0 ||
    status === 0x00000103 || // pending
    status === 0xc0000016 || // more processing required (multi-leg authentication)
    status === 0x80000005 || // buffer overflow: more data follows (pipe reads)
    status === 0x80000006 || // no more files
    (status >>> 30) === 0 // informational/success severity
  );
}
