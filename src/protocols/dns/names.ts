/** DNS code names (IANA "Domain Name System (DNS) Parameters"), lower-case as used in events. */

const TYPE_NAMES: ReadonlyMap<number, string> = new Map([
  [1, 'a'], [2, 'ns'], [5, 'cname'], [6, 'soa'], [10, 'null'], [12, 'ptr'], [13, 'hinfo'], [15, 'mx'], [16, 'txt'],
  [17, 'rp'], [18, 'afsdb'], [24, 'sig'], [25, 'key'], [28, 'aaaa'], [29, 'loc'], [33, 'srv'], [35, 'naptr'],
  [36, 'kx'], [37, 'cert'], [39, 'dname'], [41, 'opt'], [42, 'apl'], [43, 'ds'], [44, 'sshfp'], [45, 'ipseckey'],
  [46, 'rrsig'], [47, 'nsec'], [48, 'dnskey'], [49, 'dhcid'], [50, 'nsec3'], [51, 'nsec3param'], [52, 'tlsa'],
  [53, 'smimea'], [55, 'hip'], [59, 'cds'], [60, 'cdnskey'], [61, 'openpgpkey'], [62, 'csync'], [63, 'zonemd'],
  [64, 'svcb'], [65, 'https'], [99, 'spf'], [249, 'tkey'], [250, 'tsig'], [251, 'ixfr'], [252, 'axfr'],
  [253, 'mailb'], [254, 'maila'], [255, 'any'], [256, 'uri'], [257, 'caa'],
]);

export function typeName(type: number): string {
  return TYPE_NAMES.get(type) ?? `type${type}`;
}

/** query_<type> names made so far, by type (at most 65536: the type is 16 bits). */
const queryNames = new Map<number, string>();

/** Operation codeName for a question type: "query_a", "query_aaaa", "query_type65280". */
export function queryCodeName(opcode: number, type: number): string {
  if (opcode === 0) {
    let name = queryNames.get(type);
    if (name === undefined) {
      name = `query_${typeName(type)}`;
      if (type >= 0 && type <= 0xffff) queryNames.set(type, name);
    }
    return name;
  }
  return OPCODE_NAMES[opcode] ?? `opcode_${opcode}`;
}

export const OPCODE_NAMES: Readonly<Record<number, string>> = {
  0: 'query', 1: 'iquery', 2: 'status', 4: 'notify', 5: 'update', 6: 'dso',
};

const RCODE_NAMES: readonly string[] = [
  'noerror', 'formerr', 'servfail', 'nxdomain', 'notimp', 'refused', 'yxdomain', 'yxrrset', 'nxrrset', 'notauth',
  'notzone', 'dsotypeni',
];

export function rcodeName(rcode: number): string {
  return RCODE_NAMES[rcode] ?? `rcode${rcode}`;
}

/** Opcodes a real message carries (query, iquery, status, notify, update, DSO). */
export function knownOpcode(opcode: number): boolean {
  return opcode <= 2 || (opcode >= 4 && opcode <= 6);
}
