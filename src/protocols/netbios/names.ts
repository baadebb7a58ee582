/**
 * NetBIOS names (RFC 1001 §14.1 first-level encoding) and the name-suffix / browser server-type meanings used
 * for facts ([MS-BRWS] §2.2, [MS-NBTE]).
 */
import type { DnsName } from '../dns/parser.js';

/** Decoded 16-octet NetBIOS name: 15 name characters (trailing spaces trimmed) and the suffix octet. */
export class NetbiosName {
  readonly raw = new Uint8Array(16);
  valid = false;
  suffix = 0;
}

/** Decodes the first label of a DNS-form name (32 octets 'A'..'P'); false when it is not such a label. */
export function decodeNetbiosName(name: DnsName, out: NetbiosName): boolean {
  out.valid = false;
  if (name.labels < 1 || name.firstLabelLen !== 32) return false;
  const b = name.bytes;
  const o = name.firstLabelOff;
  for (let i = 0; i < 16; i++) {
    const hi = b[o + 2 * i]! - 0x41;
    const lo = b[o + 2 * i + 1]! - 0x41;
    if (hi < 0 || hi > 15 || lo < 0 || lo > 15) return false;
    out.raw[i] = (hi << 4) | lo;
  }
  out.suffix = out.raw[15]!;
  out.valid = true;
  return true;
}

/** The 15 name characters, trailing spaces (and NULs) trimmed; non-printable octets as <xx>, as tshark shows them. */
export function netbiosBaseName(raw: Uint8Array, length = 15): string {
  let end = length;
  while (end > 0 && (raw[end - 1] === 0x20 || raw[end - 1] === 0)) end--;
  let out = '';
  for (let i = 0; i < end; i++) {
    const c = raw[i]!;
    out += c < 0x20 || c > 0x7e ? `<${c.toString(16).padStart(2, '0')}>` : String.fromCharCode(c);
  }
  return out;
}

/** "WORKGROUP<1e>": the name plus its suffix, tshark's notation. */
export function netbiosNameText(n: NetbiosName): string {
  return `${netbiosBaseName(n.raw)}<${n.suffix.toString(16).padStart(2, '0')}>`;
}

export const SUFFIX = {
  WORKSTATION: 0x00,
  MSBROWSE: 0x01,
  FILE_SERVER: 0x20,
  DOMAIN_MASTER_BROWSER: 0x1b,
  DOMAIN_CONTROLLERS: 0x1c,
  MASTER_BROWSER: 0x1d,
  BROWSER_ELECTION: 0x1e,
} as const;

export interface NameMeaning {
  field: 'hostname' | 'domain';
  role: string;
  confidence: number;
}

/**
 * What owning a name says about its owner. Unique <00>/<20> names are the computer name; group <00>/<1e>,
 * <1c> and unique <1b>/<1d> names are the domain or workgroup. Null for names that say nothing we keep
 * (messenger <03> names are often user names).
 */
export function nameMeaning(suffix: number, group: boolean): NameMeaning | null {
  switch (suffix) {
    case SUFFIX.WORKSTATION:
      return group ? { field: 'domain', role: '', confidence: 0.8 } : { field: 'hostname', role: '', confidence: 0.9 };
    case SUFFIX.FILE_SERVER:
      return group ? null : { field: 'hostname', role: 'file-server', confidence: 0.9 };
    case SUFFIX.DOMAIN_MASTER_BROWSER:
      return group ? null : { field: 'domain', role: 'domain-master-browser', confidence: 0.9 };
    case SUFFIX.DOMAIN_CONTROLLERS:
      return group ? { field: 'domain', role: 'domain-controller', confidence: 0.9 } : null;
    case SUFFIX.MASTER_BROWSER:
      return group ? null : { field: 'domain', role: 'master-browser', confidence: 0.8 };
    case SUFFIX.BROWSER_ELECTION:
      return group ? { field: 'domain', role: '', confidence: 0.8 } : null;
    default:
      return null;
  }
}

/** NBNS opcodes (RFC 1002 §4.2.1.1) as operation names; 8 and 9 are both refresh (RFC 1002 errata). */
export function nbnsOpName(opcode: number, qtype: number): string {
  switch (opcode) {
    case 0:
      return qtype === 0x21 ? 'node_status' : 'name_query';
    case 5:
      return 'name_registration';
    case 6:
      return 'name_release';
    case 7:
      return 'wack';
    case 8:
    case 9:
      return 'name_refresh';
    case 15:
      return 'multi_homed_registration';
    default:
      return `opcode_${opcode}`;
  }
}

const NBNS_RCODES: readonly string[] = ['ok', 'fmt_err', 'srv_err', 'nam_err', 'imp_err', 'rfs_err', 'act_err', 'cft_err'];
export function nbnsRcodeName(rcode: number): string {
  return NBNS_RCODES[rcode] ?? `rcode${rcode}`;
}

/** Browser protocol opcodes ([MS-BRWS] §2.2). */
export const BROWSER_OPCODE_NAMES: Readonly<Record<number, string>> = {
  1: 'host_announcement',
  2: 'announcement_request',
  8: 'request_election',
  9: 'get_backup_list_request',
  10: 'get_backup_list_response',
  11: 'become_backup',
  12: 'domain_announcement',
  13: 'master_announcement',
  14: 'reset_state_request',
  15: 'local_master_announcement',
};

/** Server-type bits ([MS-RAP] §2.5.5.2.1) that say what role a host plays; the others are not kept. */
export const SERVER_TYPE_ROLES: ReadonlyArray<readonly [number, string, number]> = [
  [0x00000002, 'file-server', 0.7],
  [0x00000004, 'sql-server', 0.8],
  [0x00000008, 'domain-controller', 0.9],
  [0x00000010, 'backup-domain-controller', 0.9],
  [0x00000020, 'time-source', 0.7],
  [0x00000200, 'print-server', 0.8],
  [0x00040000, 'master-browser', 0.9],
  [0x00080000, 'domain-master-browser', 0.9],
];
export const SERVER_TYPE_UNIX = 0x00000800;

const NBDGM_TYPES: Readonly<Record<number, string>> = {
  0x10: 'direct_unique_datagram',
  0x11: 'direct_group_datagram',
  0x12: 'broadcast_datagram',
  0x13: 'datagram_error',
  0x14: 'datagram_query_request',
  0x15: 'datagram_positive_query_response',
  0x16: 'datagram_negative_query_response',
};
export function nbdgmTypeName(type: number): string {
  return NBDGM_TYPES[type] ?? `type_0x${type.toString(16)}`;
}
