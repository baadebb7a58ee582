import { Probe } from '../analyzer.js';
import { APDU_TYPE, BVLC_FUNCTION } from './names.js';
import { Bvlc, Npdu, Status, parseBvlc, parseNpdu } from './parser.js';

// The probe runs on a handful of datagrams per new flow; module-level scratch keeps it allocation-free.
const bvlc = new Bvlc();
const npdu = new Npdu();

/**
 * BACnet/IP content probe on one UDP datagram: a BVLC header of type 0x81 with a defined function whose
 * length equals the datagram's. When it carries an NPDU, version 1 and a well-formed header (and, for an
 * APDU, a defined PDU type) make it a strong match; BBMD management messages are checked by their length.
 */
export function probeBacnet(buf: Buffer, off: number, len: number): Probe {
  const status = parseBvlc(buf, off, len, bvlc);
  if (status !== Status.Ok) return Probe.No;
  if (bvlc.npduOff < 0) {
    switch (bvlc.fn) {
      case BVLC_FUNCTION.RESULT:
        return len === 6 ? Probe.Yes : Probe.No;
      case BVLC_FUNCTION.REGISTER_FOREIGN_DEVICE:
        return len === 6 ? Probe.Yes : Probe.No;
      case BVLC_FUNCTION.READ_BDT:
      case BVLC_FUNCTION.READ_FDT:
        return len === 4 ? Probe.Yes : Probe.No;
      case BVLC_FUNCTION.DELETE_FDT_ENTRY:
        return len === 10 ? Probe.Yes : Probe.No;
      case BVLC_FUNCTION.WRITE_BDT:
      case BVLC_FUNCTION.READ_BDT_ACK:
      case BVLC_FUNCTION.READ_FDT_ACK:
        return (len - 4) % 10 === 0 ? Probe.Yes : Probe.No;
      default:
        return Probe.Maybe; // Secure-BVLL: opaque, only the header to go on
    }
  }
  const end = off + len;
  if (parseNpdu(buf, bvlc.npduOff, end, npdu) !== Status.Ok) return Probe.No;
  if (npdu.networkMessage) return Probe.Yes;
  if (npdu.payloadOff >= end) return Probe.No;
  const type = buf[npdu.payloadOff]! >> 4;
  return type <= APDU_TYPE.ABORT ? Probe.Yes : Probe.No;
}
