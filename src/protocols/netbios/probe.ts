import { Probe } from '../analyzer.js';
import { looksLikeNetbiosName } from '../dns/probe.js';
import { DNS_HEADER_LEN, DnsHeader, Question, ResourceRecord, readHeader, readQuestion, readRecord } from '../dns/parser.js';

// Module-level scratch: probes must not allocate.
const header = new DnsHeader();
const question = new Question();
const record = new ResourceRecord();

function knownNbnsOpcode(opcode: number): boolean {
  return opcode === 0 || (opcode >= 5 && opcode <= 9) || opcode === 15;
}

/**
 * NetBIOS name service (RFC 1002 §4.2) on one datagram: the DNS-shaped header with an NBNS opcode, and a
 * first question (or, for a response, first answer) whose name is a 32-octet first-level-encoded label of
 * type NB or NBSTAT.
 */
export function probeNbns(buf: Buffer, off: number, len: number): Probe {
  const end = off + len;
  if (!readHeader(buf, off, end, header) || !knownNbnsOpcode(header.opcode)) return Probe.No;
  if (header.qdcount > 1 || header.ancount > 16) return Probe.No;
  let p = off + DNS_HEADER_LEN;
  if (header.qdcount === 1) {
    p = readQuestion(buf, p, off, end, question);
    return p >= 0 && (question.klass & 0x7fff) === 1 && looksLikeNetbiosName(question.name, question.type) ? Probe.Yes : Probe.No;
  }
  if (header.ancount === 0) return Probe.No;
  p = readRecord(buf, p, off, end, record, true);
  if (p < 0) return Probe.No;
  question.name.bytes.set(record.name.bytes.subarray(0, record.name.length));
  question.name.length = record.name.length;
  question.name.labels = record.name.labels;
  question.name.firstLabelLen = record.name.firstLabelLen;
  question.name.firstLabelOff = record.name.firstLabelOff;
  question.type = record.type;
  return record.klass === 1 && looksLikeNetbiosName(question.name, question.type) ? Probe.Yes : Probe.No;
}

export const NBDGM_HEADER_LEN = 10;

/**
 * NetBIOS datagram service (RFC 1002 §4.4): a message type 0x10..0x16, and for the data-carrying types a
 * datagram length that fits and a first-level-encoded source name.
 */
export function probeNbdgm(buf: Buffer, off: number, len: number): Probe {
  if (len < NBDGM_HEADER_LEN) return Probe.No;
  const type = buf[off]!;
  if (type < 0x10 || type > 0x16) return Probe.No;
  if (type >= 0x13) return len <= 64 ? Probe.Maybe : Probe.No;
  if (len < 14 + 34) return Probe.No;
  // The length field counts the octets after the 14-octet header (source and destination names, user data).
  if (buf.readUInt16BE(off + 10) + 14 > len) return Probe.No;
  if (buf[off + 14] !== 0x20) return Probe.No;
  for (let i = 0; i < 32; i++) {
    const c = buf[off + 15 + i]!;
    if (c < 0x41 || c > 0x50) return Probe.No;
  }
  return Probe.Yes;
}
