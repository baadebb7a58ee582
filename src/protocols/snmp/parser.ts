/**
 * SNMP message decoder (RFC 1157 v1, RFC 3416 v2c PDUs, RFC 3412/3414 v3 header) over strict BER: every TLV
 * must fit inside its parent, lengths are definite (short or long form up to 4 octets), and decoding stops at
 * the first inconsistency with `ok = false`. One reusable SnmpMessage per analyzer; no exceptions.
 */

export const PDU_NAMES: Record<number, string> = {
  0: 'get_request',
  1: 'get_next_request',
  2: 'get_response',
  3: 'set_request',
  4: 'trap',
  5: 'get_bulk_request',
  6: 'inform_request',
  7: 'snmpv2_trap',
  8: 'report',
};

export const ERROR_STATUS_NAMES: Record<number, string> = {
  1: 'too_big',
  2: 'no_such_name',
  3: 'bad_value',
  4: 'read_only',
  5: 'gen_err',
  6: 'no_access',
  7: 'wrong_type',
  8: 'wrong_length',
  9: 'wrong_encoding',
  10: 'wrong_value',
  11: 'no_creation',
  12: 'inconsistent_value',
  13: 'resource_unavailable',
  14: 'commit_failed',
  15: 'undo_failed',
  16: 'authorization_error',
  17: 'not_writable',
  18: 'inconsistent_name',
};

/** Varbind values the analyzer looks at (the rest are skipped). */
export interface Varbind {
  /** raw OID content octets: buf[oidOff..oidOff+oidLen) */
  oidOff: number;
  oidLen: number;
  valueTag: number;
  valueOff: number;
  valueLen: number;
}

/** Most varbinds recorded per message (the count goes on; over it `varbindsTruncated`). */
export const MAX_VARBINDS = 64;

export class SnmpMessage {
  ok = false;
  /** 0 = v1, 1 = v2c, 3 = v3 */
  version = -1;
  communityOff = 0;
  communityLen = 0;
  /** context tag low 5 bits (0..8), -1 for v3 with an encrypted PDU */
  pduType = -1;
  requestId = 0;
  errorStatus = 0;
  errorIndex = 0;
  varbindCount = 0;
  varbindsTruncated = false;
  readonly varbinds: Varbind[] = [];
  /** v3: msgFlags (auth 1, priv 2, reportable 4) and msgUserName */
  v3Flags = 0;
  userOff = 0;
  userLen = 0;
  /** v3: the scoped PDU is encrypted */
  encrypted = false;
  /** v1 trap: generic and specific trap numbers */
  genericTrap = -1;

  reset(): void {
    this.ok = false;
    this.version = -1;
    this.communityLen = 0;
    this.pduType = -1;
    this.requestId = 0;
    this.errorStatus = 0;
    this.errorIndex = 0;
    this.varbindCount = 0;
    this.varbindsTruncated = false;
    this.v3Flags = 0;
    this.userLen = 0;
    this.encrypted = false;
    this.genericTrap = -1;
  }
}

/** BER cursor: one TLV at a time within [pos, end). `valueOff/valueLen/tag` describe the last one read. */
class Ber {
  pos = 0;
  end = 0;
  tag = 0;
  valueOff = 0;
  valueLen = 0;

  constructor(private buf: Buffer) {}

  set(buf: Buffer, pos: number, end: number): void {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }

  /** Reads the next TLV header; false when it does not fit in [pos, end). Multi-byte tags are refused. */
  next(): boolean {
    const b = this.buf;
    let p = this.pos;
    if (p + 2 > this.end) return false;
    const tag = b[p++]!;
    if ((tag & 0x1f) === 0x1f) return false;
    let len = b[p++]!;
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n === 0 || n > 4 || p + n > this.end) return false;
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + b[p++]!;
    }
    if (len > this.end - p) return false;
    this.tag = tag;
    this.valueOff = p;
    this.valueLen = len;
    this.pos = p + len;
    return true;
  }

  /** Enters the constructed TLV just read: the cursor now walks its content. Returns the outer end. */
  enter(): number {
    const outer = this.end;
    this.pos = this.valueOff;
    this.end = this.valueOff + this.valueLen;
    return outer;
  }

  integer(): number {
    return readInteger(this.buf, this.valueOff, this.valueLen);
  }
}

/** Signed BER INTEGER of up to 6 octets (longer ones are clamped to their low 6 octets' value). */
export function readInteger(buf: Buffer, off: number, len: number): number {
  if (len === 0) return 0;
  const n = len > 6 ? 6 : len;
  const start = off + len - n;
  let v = 0;
  for (let i = 0; i < n; i++) v = v * 256 + buf[start + i]!;
  if (len <= 6 && buf[start]! & 0x80) v -= 2 ** (8 * n);
  return v;
}

const TAG_INTEGER: number = 0x02;
const TAG_OCTETS: number = 0x04;
const TAG_OID: number = 0x06;
const TAG_SEQUENCE: number = 0x30;
const TAG_IPADDRESS: number = 0x40;
const TAG_TIMETICKS: number = 0x43;

const cursor = new Ber(Buffer.alloc(0));

/** Decodes one SNMP message from a UDP datagram into `m`. Never throws; `m.ok` says whether it all checked out. */
export function parseSnmp(buf: Buffer, off: number, len: number, m: SnmpMessage): SnmpMessage {
  m.reset();
  const c = cursor;
  c.set(buf, off, off + len);
  if (!c.next() || c.tag !== TAG_SEQUENCE) return m;
  c.enter();
  if (!c.next() || c.tag !== TAG_INTEGER || c.valueLen > 4) return m;
  m.version = c.integer();
  if (m.version === 0 || m.version === 1) {
    if (!c.next() || c.tag !== TAG_OCTETS) return m;
    m.communityOff = c.valueOff;
    m.communityLen = c.valueLen;
    return parsePdu(c, m);
  }
  if (m.version !== 3) return m;
  // msgGlobalData
  if (!c.next() || c.tag !== TAG_SEQUENCE) return m;
  const afterGlobal = c.pos;
  const outer = c.enter();
  if (!c.next() || c.tag !== TAG_INTEGER) return m; // msgID
  if (!c.next() || c.tag !== TAG_INTEGER) return m; // msgMaxSize
  if (!c.next() || c.tag !== TAG_OCTETS || c.valueLen < 1) return m;
  m.v3Flags = buf[c.valueOff]!;
  c.pos = afterGlobal;
  c.end = outer;
  // msgSecurityParameters: an OCTET STRING wrapping the USM SEQUENCE
  if (!c.next() || c.tag !== TAG_OCTETS) return m;
  const afterSecurity = c.pos;
  const securityEnd = c.valueOff + c.valueLen;
  c.pos = c.valueOff;
  c.end = securityEnd;
  if (c.next() && c.tag === TAG_SEQUENCE) {
    c.enter();
    // engineID, boots, time, userName
    if (c.next() && c.tag === TAG_OCTETS && c.next() && c.tag === TAG_INTEGER && c.next() && c.tag === TAG_INTEGER && c.next() && c.tag === TAG_OCTETS) {
      m.userOff = c.valueOff;
      m.userLen = c.valueLen;
    }
  }
  c.pos = afterSecurity;
  c.end = outer;
  if (!c.next()) return m;
  if (c.tag === TAG_OCTETS) {
    // encryptedPDU
    m.encrypted = true;
    m.ok = true;
    return m;
  }
  if (c.tag !== TAG_SEQUENCE) return m;
  c.enter();
  if (!c.next() || c.tag !== TAG_OCTETS) return m; // contextEngineID
  if (!c.next() || c.tag !== TAG_OCTETS) return m; // contextName
  return parsePdu(c, m);
}

function parsePdu(c: Ber, m: SnmpMessage): SnmpMessage {
  if (!c.next()) return m;
  if ((c.tag & 0xe0) !== 0xa0) return m;
  const type = c.tag & 0x1f;
  if (type > 8) return m;
  m.pduType = type;
  c.enter();
  if (type === 4) {
    // v1 Trap-PDU: enterprise, agent-addr, generic-trap, specific-trap, time-stamp, varbinds
    if (!c.next() || c.tag !== TAG_OID) return m;
    if (!c.next() || c.tag !== TAG_IPADDRESS) return m;
    if (!c.next() || c.tag !== TAG_INTEGER) return m;
    m.genericTrap = c.integer();
    if (!c.next() || c.tag !== TAG_INTEGER) return m;
    if (!c.next() || c.tag !== TAG_TIMETICKS) return m;
  } else {
    if (!c.next() || c.tag !== TAG_INTEGER || c.valueLen > 4) return m;
    m.requestId = c.integer();
    if (!c.next() || c.tag !== TAG_INTEGER) return m;
    m.errorStatus = c.integer();
    if (!c.next() || c.tag !== TAG_INTEGER) return m;
    m.errorIndex = c.integer();
  }
  if (!c.next() || c.tag !== TAG_SEQUENCE) return m;
  c.enter();
  while (c.pos < c.end) {
    if (!c.next() || c.tag !== TAG_SEQUENCE) return m;
    const afterVarbind = c.pos;
    const listEnd = c.enter();
    if (!c.next() || c.tag !== TAG_OID) return m;
    const oidOff = c.valueOff;
    const oidLen = c.valueLen;
    if (!c.next()) return m;
    if (m.varbindCount < MAX_VARBINDS) {
      let vb = m.varbinds[m.varbindCount];
      if (vb === undefined) {
        vb = { oidOff: 0, oidLen: 0, valueTag: 0, valueOff: 0, valueLen: 0 };
        m.varbinds.push(vb);
      }
      vb.oidOff = oidOff;
      vb.oidLen = oidLen;
      vb.valueTag = c.tag;
      vb.valueOff = c.valueOff;
      vb.valueLen = c.valueLen;
    } else {
      m.varbindsTruncated = true;
    }
    m.varbindCount++;
    c.pos = afterVarbind;
    c.end = listEnd;
  }
  m.ok = true;
  return m;
}

/** Dotted text of an OID's content octets ('' when malformed). */
export function oidText(buf: Buffer, off: number, len: number): string {
  if (len === 0) return '';
  const first = buf[off]!;
  const parts: number[] = [first < 80 ? Math.floor(first / 40) : 2, first < 80 ? first % 40 : first - 80];
  let v = 0;
  let digits = 0;
  for (let i = 1; i < len; i++) {
    const b = buf[off + i]!;
    v = v * 128 + (b & 0x7f);
    if (++digits > 8) return '';
    if ((b & 0x80) === 0) {
      parts.push(v);
      v = 0;
      digits = 0;
    }
  }
  if (digits !== 0) return '';
  return parts.join('.');
}

/** Does the OID at buf[off..off+len) equal the encoded OID `encoded`? */
export function oidEquals(buf: Buffer, off: number, len: number, encoded: readonly number[]): boolean {
  if (len !== encoded.length) return false;
  for (let i = 0; i < len; i++) if (buf[off + i] !== encoded[i]) return false;
  return true;
}

/** 1.3.6.1.2.1.1.{1,2,5}.0 encoded */
export const OID_SYS_DESCR = [0x2b, 6, 1, 2, 1, 1, 1, 0];
export const OID_SYS_OBJECT_ID = [0x2b, 6, 1, 2, 1, 1, 2, 0];
export const OID_SYS_NAME = [0x2b, 6, 1, 2, 1, 1, 5, 0];
