import { Probe, type AnalyzerSpec, type Dir } from '../analyzer.js';
import { X224_FIXED, parseConnectionPdu, tpktLength } from './parser.js';
import { RdpSession } from './session.js';

/**
 * RDP probe: a TPKT-framed X.224 Connection Request/Confirm that carries RDP's own parts — the routing cookie
 * or an RDP_NEG_REQ/RSP/FAILURE — is a Yes. A bare CR/CC with nothing after the fixed header (old clients) is a
 * Maybe (port 3389 decides); a CR/CC with ISO TSAP parameters (S7comm, MMS) does not parse and is a No.
 */
export function probeRdp(buf: Buffer, off: number, len: number, _dir: Dir): Probe {
  const n = tpktLength(buf, off, len);
  if (n < 0) return Probe.No;
  if (n === 0 || len < n) return len >= 512 ? Probe.No : Probe.NeedMore;
  const pdu = parseConnectionPdu(buf, off, n);
  if (pdu === null) return Probe.No;
  if (n === X224_FIXED) return Probe.Maybe;
  return Probe.Yes;
}

export const rdpSpec: AnalyzerSpec = {
  name: 'rdp',
  transports: ['tcp'],
  ports: [3389],
  probe: probeRdp,
  create: (ctx) => new RdpSession(ctx),
};
