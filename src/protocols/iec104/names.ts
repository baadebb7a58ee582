/** IEC 60870-5-104 / -101 identifiers (IEC 60870-5-101 §7.2, IEC 60870-5-104 §5). */
import type { OperationKind } from '../../events/types.js';

/** ASDU type identification → standard mnemonic. */
export const TYPE_NAMES: Readonly<Record<number, string>> = {
  1: 'M_SP_NA_1', 2: 'M_SP_TA_1', 3: 'M_DP_NA_1', 4: 'M_DP_TA_1', 5: 'M_ST_NA_1', 6: 'M_ST_TA_1', 7: 'M_BO_NA_1',
  8: 'M_BO_TA_1', 9: 'M_ME_NA_1', 10: 'M_ME_TA_1', 11: 'M_ME_NB_1', 12: 'M_ME_TB_1', 13: 'M_ME_NC_1',
  14: 'M_ME_TC_1', 15: 'M_IT_NA_1', 16: 'M_IT_TA_1', 17: 'M_EP_TA_1', 18: 'M_EP_TB_1', 19: 'M_EP_TC_1',
  20: 'M_PS_NA_1', 21: 'M_ME_ND_1', 30: 'M_SP_TB_1', 31: 'M_DP_TB_1', 32: 'M_ST_TB_1', 33: 'M_BO_TB_1',
  34: 'M_ME_TD_1', 35: 'M_ME_TE_1', 36: 'M_ME_TF_1', 37: 'M_IT_TB_1', 38: 'M_EP_TD_1', 39: 'M_EP_TE_1',
  40: 'M_EP_TF_1', 41: 'S_IT_TC_1',
  45: 'C_SC_NA_1', 46: 'C_DC_NA_1', 47: 'C_RC_NA_1', 48: 'C_SE_NA_1', 49: 'C_SE_NB_1', 50: 'C_SE_NC_1',
  51: 'C_BO_NA_1', 58: 'C_SC_TA_1', 59: 'C_DC_TA_1', 60: 'C_RC_TA_1', 61: 'C_SE_TA_1', 62: 'C_SE_TB_1',
  63: 'C_SE_TC_1', 64: 'C_BO_TA_1',
  70: 'M_EI_NA_1',
  100: 'C_IC_NA_1', 101: 'C_CI_NA_1', 102: 'C_RD_NA_1', 103: 'C_CS_NA_1', 104: 'C_TS_NA_1', 105: 'C_RP_NA_1',
  106: 'C_CD_NA_1', 107: 'C_TS_TA_1',
  110: 'P_ME_NA_1', 111: 'P_ME_NB_1', 112: 'P_ME_NC_1', 113: 'P_AC_NA_1',
  120: 'F_FR_NA_1', 121: 'F_SR_NA_1', 122: 'F_SC_NA_1', 123: 'F_LS_NA_1', 124: 'F_AF_NA_1', 125: 'F_SG_NA_1',
  126: 'F_DR_TA_1', 127: 'F_SC_NB_1',
};

/** Size in bytes of one information element set (without the 3-byte IOA) per type, for walking objects. */
export const ELEMENT_SIZES: Readonly<Record<number, number>> = {
  1: 1, 2: 4, 3: 1, 4: 4, 5: 2, 6: 5, 7: 5, 8: 8, 9: 3, 10: 6, 11: 3, 12: 6, 13: 5, 14: 8, 15: 5, 16: 8, 17: 6,
  18: 7, 19: 7, 20: 5, 21: 2, 30: 8, 31: 8, 32: 9, 33: 12, 34: 10, 35: 10, 36: 12, 37: 12, 38: 10, 39: 11, 40: 11,
  45: 1, 46: 1, 47: 1, 48: 3, 49: 3, 50: 5, 51: 4, 58: 8, 59: 8, 60: 8, 61: 10, 62: 10, 63: 12, 64: 11,
  70: 1, 100: 1, 101: 1, 102: 0, 103: 7, 104: 2, 105: 1, 106: 2, 107: 9, 110: 3, 111: 3, 112: 5, 113: 1,
};

/** Cause of transmission (6 bits). */
export const COT_NAMES: Readonly<Record<number, string>> = {
  1: 'per/cyc', 2: 'back', 3: 'spont', 4: 'init', 5: 'req', 6: 'act', 7: 'actcon', 8: 'deact', 9: 'deactcon',
  10: 'actterm', 11: 'retrem', 12: 'retloc', 13: 'file', 20: 'inrogen', 37: 'reqcogen', 44: 'unknown_type',
  45: 'unknown_cause', 46: 'unknown_asdu_address', 47: 'unknown_object_address',
};
export function cotName(cot: number): string {
  if (COT_NAMES[cot]) return COT_NAMES[cot]!;
  if (cot >= 21 && cot <= 36) return `inro${cot - 20}`;
  if (cot >= 38 && cot <= 41) return `reqco${cot - 37}`;
  return `cot_${cot}`;
}

/** U-format functions, coded as tshark's iec60870_104.utype (control octet >> 2). */
export const U_NAMES: Readonly<Record<number, string>> = {
  0x01: 'STARTDT_act', 0x02: 'STARTDT_con', 0x04: 'STOPDT_act', 0x08: 'STOPDT_con', 0x10: 'TESTFR_act', 0x20: 'TESTFR_con',
};

export function isCommandType(type: number): boolean {
  return (type >= 45 && type <= 64) || (type >= 100 && type <= 113) || (type >= 120 && type <= 127);
}

/** What a command-direction ASDU does, in the protocol-neutral vocabulary. */
export function operationKind(type: number): OperationKind {
  if (type >= 45 && type <= 64) return 'control';
  switch (type) {
    case 100:
    case 101:
    case 102:
      return 'read';
    case 103:
    case 106:
      return 'time-sync';
    case 104:
    case 107:
      return 'diagnostics';
    case 105:
      return 'restart';
  }
  if (type >= 110 && type <= 113) return 'configuration';
  if (type >= 120 && type <= 127) return 'file-transfer';
  return 'other';
}

/** Offset within a command's element of the qualifier octet whose bit 7 is Select/Execute; -1 when none. */
export function selectExecuteOffset(type: number): number {
  switch (type) {
    case 45: case 46: case 47: case 58: case 59: case 60:
      return 0; // SCO / DCO / RCO
    case 48: case 49: case 61: case 62:
      return 2; // QOS after a 16-bit value
    case 50: case 63:
      return 4; // QOS after a 32-bit float
    default:
      return -1;
  }
}
