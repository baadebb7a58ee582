import { Probe } from '../analyzer.js';
import { knownOpcode } from './names.js';
import { DNS_HEADER_LEN, DnsHeader, DnsName, MAX_POINTER_JUMPS, NameError, ResourceRecord, plausibleClass, readHeader, readQuestion, readRecord } from './parser.js';

// Module-level scratch: probes run on a few datagrams per new flow and must not allocate.
const header = new DnsHeader();
const record = new ResourceRecord();

/** Smallest question (root name + type + class) and resource record (root name + fixed part). */
const MIN_QUESTION = 5;
const MIN_RECORD = 11;
const MAX_QUESTIONS = 64;

/** NetBIOS name service: a single 32-octet label of 'A'..'P' (RFC 1001 first-level encoding) with type NB/NBSTAT. */
export function looksLikeNetbiosName(n: DnsName, type: number): boolean {
  if (n.labels < 1 || n.firstLabelLen !== 32 || (type !== 0x20 && type !== 0x21)) return false;
  for (let i = 0; i < 32; i++) {
    const c = n.bytes[n.firstLabelOff + i]!;
    if (c < 0x41 || c > 0x50) return false;
  }
  return true;
}

/**
 * looksLikeNetbiosName for the name at buf[pos], read on the wire instead of from a decoded copy (the probe
 * runs once per UDP spec sharing it, on every new flow). The name must have been validated by readName: its
 * pointers lead backwards to labels inside the message.
 */
function wireLooksLikeNetbiosName(buf: Uint8Array, pos: number, msgOff: number, type: number): boolean {
  if (type !== 0x20 && type !== 0x21) return false;
  let p = pos;
  for (let jumps = 0; (buf[p]! & 0xc0) === 0xc0; jumps++) {
    if (jumps > MAX_POINTER_JUMPS) return false;
    p = msgOff + (((buf[p]! & 0x3f) << 8) | buf[p + 1]!);
  }
  if (buf[p] !== 32) return false;
  for (let i = 1; i <= 32; i++) {
    const c = buf[p + i]!;
    if (c < 0x41 || c > 0x50) return false;
  }
  return true;
}

/**
 * One DNS message at buf[off..end): a known opcode, section counts that fit the length, and a first question
 * (or, for an answer-only mDNS announcement, a first record) that parses with a plausible class. NetBIOS name
 * service messages share the layout and are told apart by their encoded name; they are not DNS.
 * Returns NeedMore when the message is cut short (TCP: more bytes may come).
 */
export function probeDnsMessage(buf: Uint8Array, off: number, end: number, complete: boolean): Probe {
  if (!readHeader(buf, off, end, header)) return complete ? Probe.No : Probe.NeedMore;
  if (!knownOpcode(header.opcode)) return Probe.No;
  const qd = header.qdcount;
  const records = header.ancount + header.nscount + header.arcount;
  if (qd > MAX_QUESTIONS) return Probe.No;
  if (complete && DNS_HEADER_LEN + qd * MIN_QUESTION + records * MIN_RECORD > end - off) return Probe.No;
  if (qd > 0) {
    const p = readQuestion(buf, off + DNS_HEADER_LEN, off, end, null);
    if (p === NameError.Truncated && !complete) return Probe.NeedMore;
    if (p < 0) return Probe.No;
    const type = (buf[p - 4]! << 8) | buf[p - 3]!;
    const klass = (buf[p - 2]! << 8) | buf[p - 1]!;
    if (type === 0 || !plausibleClass(klass)) return Probe.No;
    if (wireLooksLikeNetbiosName(buf, off + DNS_HEADER_LEN, off, type)) return Probe.No;
    return Probe.Yes;
  }
  if (!header.response || records === 0) return Probe.No;
  const p = readRecord(buf, off + DNS_HEADER_LEN, off, end, record, false);
  if (p === NameError.Truncated && !complete) return Probe.NeedMore;
  if (p < 0 || record.type === 0 || !plausibleClass(record.klass)) return Probe.No;
  return Probe.Yes;
}

/** UDP: one datagram is one message. */
export function probeDnsUdp(buf: Buffer, off: number, len: number): Probe {
  return probeDnsMessage(buf, off, off + len, true);
}

/** TCP (RFC 1035 §4.2.2): a 2-octet length prefix before each message. */
export function probeDnsTcp(buf: Buffer, off: number, len: number): Probe {
  if (len < 2) return Probe.NeedMore;
  const msgLen = (buf[off]! << 8) | buf[off + 1]!;
  if (msgLen < DNS_HEADER_LEN) return Probe.No;
  const avail = len - 2;
  const complete = avail >= msgLen;
  return probeDnsMessage(buf, off + 2, off + 2 + (complete ? msgLen : avail), complete);
}
