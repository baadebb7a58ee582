/**
 * RDP connection sequence, first two PDUs (MS-RDPBCGR 2.2.1.1 / 2.2.1.2): TPKT + X.224 Connection Request
 * with the optional routing cookie ("Cookie: mstshash=USER\r\n") and RDP_NEG_REQ, and the Connection Confirm
 * with RDP_NEG_RSP or RDP_NEG_FAILURE. Pure functions over a buffer range; never read past it.
 */

export const X224_CR = 0xe0;
export const X224_CC = 0xd0;
const TPKT_HEADER = 4;
/** TPKT header + fixed X.224 CR/CC part (LI, code, dst-ref, src-ref, class) */
export const X224_FIXED = TPKT_HEADER + 7;

const NEG_REQ = 0x01;
const NEG_RSP = 0x02;
const NEG_FAILURE = 0x03;

/** MS-RDPBCGR requestedProtocols/selectedProtocol flags (0 = standard RDP security). */
const PROTOCOL_FLAGS: ReadonlyArray<[number, string]> = [
  [0x01, 'tls'],
  [0x02, 'credssp'],
  [0x04, 'rdstls'],
  [0x08, 'credssp_early_user_auth'],
  [0x10, 'rdsaad'],
];

export const NEG_FAILURE_NAMES: Record<number, string> = {
  1: 'ssl_required_by_server',
  2: 'ssl_not_allowed_by_server',
  3: 'ssl_cert_not_on_server',
  4: 'inconsistent_flags',
  5: 'hybrid_required_by_server',
  6: 'ssl_with_user_auth_required_by_server',
};

/** Names of the protocol bits, "rdp" for none ("tls,credssp"). */
export function protocolNames(flags: number): string {
  if (flags === 0) return 'rdp';
  const names: string[] = [];
  for (const [bit, name] of PROTOCOL_FLAGS) if (flags & bit) names.push(name);
  const unknown = flags & ~0x1f;
  if (unknown) names.push(`0x${unknown.toString(16)}`);
  return names.join(',');
}

/** Length of the TPKT at buf[off] (>= 7), 0 when more bytes are needed, -1 when it is not a TPKT. */
export function tpktLength(buf: Buffer, off: number, len: number): number {
  if (len < 1) return 0;
  if (buf[off] !== 0x03) return -1;
  if (len < 2) return 0;
  if (buf[off + 1] !== 0x00) return -1;
  if (len < 4) return 0;
  const n = buf.readUInt16BE(off + 2);
  return n < 7 ? -1 : n;
}

export interface ConnectionPdu {
  /** X224_CR or X224_CC */
  type: number;
  /** the routing cookie's user (mstshash), '' when none */
  user: string;
  /** "msts=" routing token (load balancer), '' when none */
  routingToken: string;
  /** RDP_NEG_REQ requestedProtocols, -1 when absent */
  requested: number;
  /** RDP_NEG_RSP selectedProtocol, -1 when absent */
  selected: number;
  /** RDP_NEG_FAILURE failureCode, -1 when absent */
  failure: number;
}

/**
 * Parses one whole TPKT (buf[off..off+tpktLen)) holding an X.224 CR or CC. Returns null when it is anything
 * else or malformed (LI inconsistent with the TPKT length, cookie without its CR LF, negotiation block of the
 * wrong length).
 */
export function parseConnectionPdu(buf: Buffer, off: number, tpktLen: number): ConnectionPdu | null {
  if (tpktLen < X224_FIXED) return null;
  const li = buf[off + 4]!;
  if (li + 5 !== tpktLen || li < 6) return null;
  const type = buf[off + 5]! & 0xf0;
  if (type !== X224_CR && type !== X224_CC) return null;
  const pdu: ConnectionPdu = { type, user: '', routingToken: '', requested: -1, selected: -1, failure: -1 };
  let p = off + X224_FIXED;
  const end = off + tpktLen;
  if (type === X224_CR && end - p >= 8 && buf.toString('latin1', p, p + 8) === 'Cookie: ') {
    let crlf = p + 8;
    while (crlf + 1 < end && !(buf[crlf] === 0x0d && buf[crlf + 1] === 0x0a)) crlf++;
    if (crlf + 1 >= end) return null;
    const value = buf.toString('latin1', p + 8, crlf);
    if (value.startsWith('mstshash=')) pdu.user = sanitize(value.slice(9));
    else if (value.startsWith('msts=')) pdu.routingToken = sanitize(value.slice(5));
    p = crlf + 2;
  }
  if (end - p >= 8) {
    const negType = buf[p]!;
    const negLen = buf.readUInt16LE(p + 2);
    if (negLen !== 8) return null;
    const value = buf.readUInt32LE(p + 4);
    if (type === X224_CR && negType === NEG_REQ) pdu.requested = value;
    else if (type === X224_CC && negType === NEG_RSP) pdu.selected = value;
    else if (type === X224_CC && negType === NEG_FAILURE) pdu.failure = value;
    else return null;
  } else if (end !== p) {
    return null;
  }
  return pdu;
}

function sanitize(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '.').slice(0, 128);
}
