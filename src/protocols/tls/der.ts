/**
 * A small bounded DER reader for the fields of an X.509 certificate that identify a server: subject and issuer
 * CN/O, validity, and whether the certificate is self-issued. Lengths are checked against the enclosing
 * element; anything out of shape makes `parseCertificate` return null.
 */

export interface CertificateInfo {
  subjectCn: string;
  subjectO: string;
  issuerCn: string;
  issuerO: string;
  /** ISO 8601 UTC ('' when absent or unreadable) */
  notBefore: string;
  notAfter: string;
  /** issuer Name equals subject Name, byte for byte */
  selfSigned: boolean;
}

/** One TLV: value at [start, end). */
interface Tlv {
  tag: number;
  start: number;
  end: number;
}

const MAX_NAME_CHARS = 256;

/** Reads the TLV at `off` within `limit`; null when it does not fit. Only definite lengths up to 4 octets. */
function tlv(b: Buffer, off: number, limit: number): Tlv | null {
  if (off + 2 > limit) return null;
  const tag = b[off]!;
  if ((tag & 0x1f) === 0x1f) return null; // multi-byte tags never occur in the fields read here
  let len = b[off + 1]!;
  let p = off + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || p + n > limit) return null;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[p + i]!;
    p += n;
  }
  if (p + len > limit) return null;
  return { tag, start: p, end: p + len };
}

const OID_CN = Buffer.from([0x55, 0x04, 0x03]);
const OID_O = Buffer.from([0x55, 0x04, 0x0a]);

function readName(b: Buffer, name: Tlv): { cn: string; o: string } {
  let cn = '';
  let o = '';
  for (let p = name.start; p < name.end; ) {
    const set = tlv(b, p, name.end);
    if (set === null || set.tag !== 0x31) break;
    for (let q = set.start; q < set.end; ) {
      const atv = tlv(b, q, set.end);
      if (atv === null || atv.tag !== 0x30) break;
      const oid = tlv(b, atv.start, atv.end);
      if (oid !== null && oid.tag === 0x06) {
        const value = tlv(b, oid.end, atv.end);
        if (value !== null) {
          const isCn = oid.end - oid.start === 3 && b.compare(OID_CN, 0, 3, oid.start, oid.end) === 0;
          const isO = oid.end - oid.start === 3 && b.compare(OID_O, 0, 3, oid.start, oid.end) === 0;
          if (isCn && cn === '') cn = directoryString(b, value);
          else if (isO && o === '') o = directoryString(b, value);
        }
      }
      q = atv.end;
    }
    p = set.end;
  }
  return { cn, o };
}

function directoryString(b: Buffer, v: Tlv): string {
  const end = Math.min(v.end, v.start + MAX_NAME_CHARS * 4);
  let s: string;
  switch (v.tag) {
    case 0x1e: {
      // BMPString: UTF-16BE
      const n = (end - v.start) & ~1;
      const copy = Buffer.from(b.subarray(v.start, v.start + n));
      copy.swap16();
      s = copy.toString('utf16le');
      break;
    }
    case 0x0c:
      s = b.toString('utf8', v.start, end);
      break;
    default:
      s = b.toString('latin1', v.start, end);
  }
  // eslint-disable-next-line no-control-regex
  s = s.replace(/[\x00-\x1f\x7f]/g, '?');
  return s.length > MAX_NAME_CHARS ? s.slice(0, MAX_NAME_CHARS) : s;
}

function readTime(b: Buffer, t: Tlv | null): string {
  if (t === null) return '';
  const s = b.toString('latin1', t.start, t.end);
  let m: RegExpExecArray | null;
  if (t.tag === 0x17 && (m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?Z$/.exec(s))) {
    const yy = Number(m[1]);
    return `${yy < 50 ? 2000 + yy : 1900 + yy}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6] ?? '00'}Z`;
  }
  if (t.tag === 0x18 && (m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.\d+)?Z$/.exec(s))) {
    return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`;
  }
  return '';
}

/** Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version?, serial, signature, issuer, validity, subject, ... } } */
export function parseCertificate(b: Buffer, off: number, len: number): CertificateInfo | null {
  if (off < 0 || len <= 0 || off + len > b.length) return null;
  const cert = tlv(b, off, off + len);
  if (cert === null || cert.tag !== 0x30) return null;
  const tbs = tlv(b, cert.start, cert.end);
  if (tbs === null || tbs.tag !== 0x30) return null;
  let p = tbs.start;
  let el = tlv(b, p, tbs.end);
  if (el !== null && el.tag === 0xa0) {
    p = el.end;
    el = tlv(b, p, tbs.end);
  }
  if (el === null || el.tag !== 0x02) return null; // serialNumber
  const sigAlg = tlv(b, el.end, tbs.end);
  if (sigAlg === null || sigAlg.tag !== 0x30) return null;
  const issuer = tlv(b, sigAlg.end, tbs.end);
  if (issuer === null || issuer.tag !== 0x30) return null;
  const validity = tlv(b, issuer.end, tbs.end);
  if (validity === null || validity.tag !== 0x30) return null;
  const subject = tlv(b, validity.end, tbs.end);
  if (subject === null || subject.tag !== 0x30) return null;
  const notBefore = tlv(b, validity.start, validity.end);
  const notAfter = notBefore === null ? null : tlv(b, notBefore.end, validity.end);
  const i = readName(b, issuer);
  const s = readName(b, subject);
  return {
    subjectCn: s.cn,
    subjectO: s.o,
    issuerCn: i.cn,
    issuerO: i.o,
    notBefore: readTime(b, notBefore),
    notAfter: readTime(b, notAfter),
    selfSigned:
      issuer.end - issuer.start === subject.end - subject.start &&
      b.compare(b, issuer.start, issuer.end, subject.start, subject.end) === 0,
  };
}

/** "CN=x, O=y" (either part omitted when empty). */
export function formatName(cn: string, o: string): string {
  return [cn ? `CN=${cn}` : '', o ? `O=${o}` : ''].filter(Boolean).join(', ');
}
