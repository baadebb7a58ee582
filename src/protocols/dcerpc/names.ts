/**
 * DCE/RPC interface and operation names (MS-RPCE and the per-interface Microsoft open specifications: MS-SRVS,
 * MS-SCMR, MS-TSCH, MS-SAMR, MS-LSAT/LSAD, MS-RRP, MS-RPCE endpoint mapper, MS-DRSR, MS-NRPC, MS-RPRN, MS-WKST,
 * MS-EVEN, MS-DCOM, MS-EFSR, MS-WMI). UUIDs are lower-case, as tshark prints dcerpc.cn_bind_to_uuid.
 */
import type { OperationKind } from '../../events/types.js';

export interface InterfaceInfo {
  name: string;
  opnums: Readonly<Record<number, string>>;
  /** opnum → kind for the operations that change the target (everything else is 'other'). */
  kinds?: Readonly<Record<number, OperationKind>>;
}

const SRVSVC: Record<number, string> = {
  8: 'netrconnectionenum', 9: 'netrfileenum', 10: 'netrfilegetinfo', 11: 'netrfileclose', 12: 'netrsessionenum',
  13: 'netrsessiondel', 14: 'netrshareadd', 15: 'netrshareenum', 16: 'netrsharegetinfo', 17: 'netrsharesetinfo',
  18: 'netrsharedel', 20: 'netrsharecheck', 21: 'netrservergetinfo', 22: 'netrserversetinfo', 23: 'netrserverdiskenum',
  24: 'netrserverstatisticsget', 26: 'netrservertransportenum', 28: 'netrremotetod', 30: 'netprpathtype',
  31: 'netpathcanonicalize', 32: 'netprpathcompare', 33: 'netprnamevalidate', 34: 'netprnamecanonicalize',
  35: 'netprnamecompare', 36: 'netrshareenumsticky',
};

const SVCCTL: Record<number, string> = {
  0: 'closeservicehandle', 1: 'controlservice', 2: 'deleteservice', 3: 'lockservicedatabase',
  4: 'queryserviceobjectsecurity', 5: 'setserviceobjectsecurity', 6: 'queryservicestatus', 7: 'setservicestatus',
  8: 'unlockservicedatabase', 9: 'notifybootconfigstatus', 11: 'changeserviceconfigw', 12: 'createservicew',
  13: 'enumdependentservicesw', 14: 'enumservicesstatusw', 15: 'openscmanagerw', 16: 'openservicew',
  17: 'queryserviceconfigw', 18: 'queryservicelockstatusw', 19: 'startservicew', 20: 'getservicedisplaynamew',
  21: 'getservicekeynamew', 23: 'changeserviceconfiga', 24: 'createservicea', 27: 'openscmanagera',
  28: 'openservicea', 31: 'startservicea', 36: 'changeserviceconfig2a', 37: 'changeserviceconfig2w',
  38: 'queryserviceconfig2a', 39: 'queryserviceconfig2w', 40: 'queryservicestatusex', 42: 'enumservicesstatusexw',
  44: 'createservicewow64a', 45: 'createservicewow64w',
};
const SVCCTL_KINDS: Record<number, OperationKind> = {
  1: 'control', 2: 'configuration', 11: 'configuration', 12: 'configuration', 19: 'control', 23: 'configuration',
  24: 'configuration', 31: 'control', 36: 'configuration', 37: 'configuration', 44: 'configuration', 45: 'configuration',
};

const ATSVC: Record<number, string> = { 0: 'netrjobadd', 1: 'netrjobdel', 2: 'netrjobenum', 3: 'netrjobgetinfo' };
const TASKSCHEDULER: Record<number, string> = {
  0: 'schrpchighestversion', 1: 'schrpcregistertask', 2: 'schrpcretrievetask', 3: 'schrpccreatefolder',
  6: 'schrpcenumfolders', 7: 'schrpcenumtasks', 8: 'schrpcenuminstances', 9: 'schrpcgetinstanceinfo',
  10: 'schrpcstopinstance', 11: 'schrpcstop', 12: 'schrpcrun', 13: 'schrpcdelete', 14: 'schrpcrename',
  15: 'schrpcscheduledruntimes', 16: 'schrpcgetlastruninfo', 17: 'schrpcgettaskinfo',
  18: 'schrpcgetnumberofmissedruns', 19: 'schrpcenabletask',
};

const SAMR: Record<number, string> = {
  0: 'samrconnect', 1: 'samrclosehandle', 5: 'samrlookupdomaininsamserver', 6: 'samrenumeratedomainsinsamserver',
  7: 'samropendomain', 8: 'samrqueryinformationdomain', 12: 'samrcreateuserindomain',
  13: 'samrenumerateusersindomain', 17: 'samrlookupnamesindomain', 34: 'samropenuser',
  36: 'samrqueryinformationuser', 37: 'samrsetinformationuser', 50: 'samrcreateuser2indomain',
  58: 'samrsetinformationuser2', 64: 'samrconnect5',
};
const SAMR_KINDS: Record<number, OperationKind> = { 12: 'configuration', 37: 'configuration', 50: 'configuration', 58: 'configuration' };

const LSARPC: Record<number, string> = {
  0: 'lsarclose', 6: 'lsaropenpolicy', 7: 'lsarqueryinformationpolicy', 14: 'lsarlookupnames', 15: 'lsarlookupsids',
  44: 'lsaropenpolicy2', 45: 'lsargetusername', 46: 'lsarqueryinformationpolicy2', 57: 'lsarlookupsids2',
  58: 'lsarlookupnames2', 68: 'lsarlookupnames3', 76: 'lsarlookupsids3', 77: 'lsarlookupnames4',
};

const WINREG: Record<number, string> = {
  0: 'openclassesroot', 1: 'opencurrentuser', 2: 'openlocalmachine', 3: 'openperformancedata', 4: 'openusers',
  5: 'baseregclosekey', 6: 'baseregcreatekey', 7: 'baseregdeletekey', 8: 'baseregdeletevalue', 9: 'baseregenumkey',
  10: 'baseregenumvalue', 11: 'baseregflushkey', 15: 'baseregopenkey', 16: 'baseregqueryinfokey',
  17: 'baseregqueryvalue', 20: 'baseregsavekey', 22: 'baseregsetvalue', 26: 'basereggetversion',
};
const WINREG_KINDS: Record<number, OperationKind> = { 6: 'write', 7: 'write', 8: 'write', 22: 'write' };

const EPMAPPER: Record<number, string> = { 0: 'ept_insert', 1: 'ept_delete', 2: 'ept_lookup', 3: 'ept_map', 4: 'ept_lookup_handle_free' };

/** Keyed by lower-case UUID. */
export const INTERFACES: ReadonlyMap<string, InterfaceInfo> = new Map<string, InterfaceInfo>([
  ['4b324fc8-1670-01d3-1278-5a47bf6ee188', { name: 'srvsvc', opnums: SRVSVC }],
  ['367abb81-9844-35f1-ad32-98f038001003', { name: 'svcctl', opnums: SVCCTL, kinds: SVCCTL_KINDS }],
  ['1ff70682-0a51-30e8-076d-740be8cee98b', { name: 'atsvc', opnums: ATSVC, kinds: { 0: 'configuration', 1: 'configuration' } }],
  ['86d35949-83c9-4044-b424-db363231fd0c', { name: 'taskscheduler', opnums: TASKSCHEDULER, kinds: { 1: 'configuration', 12: 'control', 13: 'configuration' } }],
  ['12345778-1234-abcd-ef00-0123456789ac', { name: 'samr', opnums: SAMR, kinds: SAMR_KINDS }],
  ['12345778-1234-abcd-ef00-0123456789ab', { name: 'lsarpc', opnums: LSARPC }],
  ['338cd001-2244-31f1-aaaa-900038001003', { name: 'winreg', opnums: WINREG, kinds: WINREG_KINDS }],
  ['e1af8308-5d1f-11c9-91a4-08002b14a0fa', { name: 'epmapper', opnums: EPMAPPER }],
  ['e3514235-4b06-11d1-ab04-00c04fc2dcd2', { name: 'drsuapi', opnums: { 0: 'drsbind', 1: 'drsunbind', 3: 'drsgetncchanges', 12: 'drscracknames' } }],
  ['12345678-1234-abcd-ef00-01234567cffb', { name: 'netlogon', opnums: { 4: 'netrserverreqchallenge', 26: 'netrserverauthenticate3', 30: 'netrserverpasswordset2' } }],
  ['12345678-1234-abcd-ef00-0123456789ab', { name: 'spoolss', opnums: { 1: 'rpcopenprinter', 65: 'rpcremotefindfirstprinterchangenotificationex', 69: 'rpcopenprinterex', 89: 'rpcaddprinterdriverex' } }],
  ['6bffd098-a112-3610-9833-46c3f87e345a', { name: 'wkssvc', opnums: { 0: 'netrwkstagetinfo', 2: 'netrwkstauserenum' } }],
  ['82273fdc-e32a-18c3-3f78-827929dc23ea', { name: 'eventlog', opnums: { 0: 'elfrclearelfw', 7: 'elfropeneventlogw' } }],
  ['000001a0-0000-0000-c000-000000000046', { name: 'isystemactivator', opnums: { 3: 'remotegetclassobject', 4: 'remotecreateinstance' } }],
  ['4d9f4ab8-7d1c-11cf-861e-0020af6e7c57', { name: 'iactivation', opnums: { 0: 'remoteactivation' } }],
  ['99fcfec4-5260-101b-bbcb-00aa0021347a', { name: 'iobjectexporter', opnums: { 5: 'serveralive2' } }],
  ['f309ad18-d86a-11d0-a075-00c04fb68820', { name: 'iwbemlevel1login', opnums: { 6: 'ntlmlogin' } }],
  ['c681d488-d850-11d0-8c52-00c04fd90f7e', { name: 'efsrpc', opnums: { 0: 'efsrpcopenfileraw' } }],
  ['df1941c5-fe89-4e79-bf10-463657acf44d', { name: 'efsrpc', opnums: { 0: 'efsrpcopenfileraw' } }],
  ['3919286a-b10c-11d0-9ba8-00c04fd92ef5', { name: 'dssetup', opnums: { 0: 'dsrolergetprimarydomaininformation' } }],
  ['6bffd098-a112-3610-9833-012892020162', { name: 'browser', opnums: {} }],
]);

/** Transfer syntaxes (not interfaces: they say how stubs are encoded). */
export const TRANSFER_SYNTAXES: ReadonlyMap<string, string> = new Map([
  ['8a885d04-1ceb-11c9-9fe8-08002b104860', 'ndr'],
  ['71710533-beba-4937-8319-b5dbef9ccc36', 'ndr64'],
]);

export const PTYPE_NAMES: Readonly<Record<number, string>> = {
  0: 'request', 2: 'response', 3: 'fault', 11: 'bind', 12: 'bind_ack', 13: 'bind_nak', 14: 'alter_context',
  15: 'alter_context_resp', 16: 'auth3', 17: 'shutdown', 18: 'co_cancel', 19: 'orphaned',
};

export const FAULT_NAMES: Readonly<Record<number, string>> = {
  0x00000005: 'access_denied',
  0x000006f7: 'nca_s_fault_ndr',
  0x1c000001: 'nca_s_fault_int_div_by_zero',
  0x1c010002: 'nca_s_op_rng_error',
  0x1c010003: 'nca_s_unk_if',
  0x1c00001b: 'nca_s_fault_remote_no_memory',
  0x1c010013: 'nca_s_proto_error',
  0x1c000012: 'nca_s_fault_context_mismatch',
};

export function interfaceName(uuid: string): string {
  return INTERFACES.get(uuid)?.name ?? uuid;
}

/** snake_case operation name: "<interface>_<operation>", or "<interface>_opnum_<n>" when unknown. */
export function operationName(uuid: string, opnum: number): string {
  const info = INTERFACES.get(uuid);
  if (!info) return `opnum_${opnum}`;
  const op = info.opnums[opnum];
  return op ? `${info.name}_${op}` : `${info.name}_opnum_${opnum}`;
}

export function operationKind(uuid: string, opnum: number): OperationKind {
  return INTERFACES.get(uuid)?.kinds?.[opnum] ?? 'other';
}
