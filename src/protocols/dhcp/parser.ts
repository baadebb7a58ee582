/**
 * BOOTP/DHCP message parsing (RFC 2131 §2, RFC 2132): the fixed header and the options the analyzer uses,
 * recorded as offsets into the datagram (no copies). Pure; never throws.
 */
export const BOOTP_FIXED_LEN = 236;
export const MAGIC_COOKIE = 0x63825363;
export const OPTIONS_OFF = BOOTP_FIXED_LEN + 4;

export const OPT = {
  PAD: 0, ROUTER: 3, DNS: 6, HOSTNAME: 12, DOMAIN: 15, REQUESTED_IP: 50, LEASE_TIME: 51, OVERLOAD: 52, MESSAGE_TYPE: 53,
  SERVER_ID: 54, PARAMETER_LIST: 55, VENDOR_CLASS: 60, CLIENT_ID: 61, CLIENT_FQDN: 81, END: 255,
} as const;

export const MESSAGE_TYPE_NAMES: readonly string[] = [
  '', 'discover', 'offer', 'request', 'decline', 'ack', 'nak', 'release', 'inform', 'forcerenew', 'leasequery',
  'leaseunassigned', 'leaseunknown', 'leaseactive', 'bulkleasequery', 'leasequerydone', 'activeleasequery',
  'leasequerystatus', 'tls',
];

export function messageTypeName(type: number): string {
  return MESSAGE_TYPE_NAMES[type] || `type${type}`;
}

export const Status = { Ok: 0, NotDhcp: 1, Truncated: 2, BadOption: 3 } as const;
export type Status = (typeof Status)[keyof typeof Status];

/** Offsets (absolute, into the buffer) and lengths of options; off = -1 when absent. */
export class DhcpMessage {
  op = 0;
  htype = 0;
  hlen = 0;
  xid = 0;
  ciaddr = 0;
  yiaddr = 0;
  siaddr = 0;
  giaddr = 0;
  chaddrOff = 0;
  messageType = 0;
  hostnameOff = -1;
  hostnameLen = 0;
  domainOff = -1;
  domainLen = 0;
  vendorOff = -1;
  vendorLen = 0;
  prlOff = -1;
  prlLen = 0;
  clientIdOff = -1;
  clientIdLen = 0;
  fqdnOff = -1;
  fqdnLen = 0;
  routerOff = -1;
  routerLen = 0;
  dnsOff = -1;
  dnsLen = 0;
  requestedIp = 0;
  serverId = 0;
  leaseTime = -1;
  overload = 0;
  options = 0;

  reset(): void {
    this.messageType = 0;
    this.hostnameOff = this.domainOff = this.vendorOff = this.prlOff = this.clientIdOff = this.fqdnOff = -1;
    this.routerOff = this.dnsOff = -1;
    this.hostnameLen = this.domainLen = this.vendorLen = this.prlLen = this.clientIdLen = this.fqdnLen = 0;
    this.routerLen = this.dnsLen = 0;
    this.requestedIp = this.serverId = 0;
    this.leaseTime = -1;
    this.overload = 0;
    this.options = 0;
  }
}

function u32(buf: Uint8Array, o: number): number {
  return ((buf[o]! << 24) | (buf[o + 1]! << 16) | (buf[o + 2]! << 8) | buf[o + 3]!) >>> 0;
}

/** True when buf[off..off+len) starts like a DHCP message: op 1/2, the fixed header and the magic cookie. */
export function isDhcp(buf: Uint8Array, off: number, len: number): boolean {
  if (len < OPTIONS_OFF) return false;
  const op = buf[off]!;
  if (op !== 1 && op !== 2) return false;
  if (buf[off + 2]! > 16) return false; // hlen
  return u32(buf, off + BOOTP_FIXED_LEN) === MAGIC_COOKIE;
}

export function parseDhcp(buf: Uint8Array, off: number, len: number, m: DhcpMessage): Status {
  // Reset first: the message object is reused, and a short datagram must not leave the previous one's fields.
  m.reset();
  if (!isDhcp(buf, off, len)) return len < OPTIONS_OFF ? Status.Truncated : Status.NotDhcp;
  m.op = buf[off]!;
  m.htype = buf[off + 1]!;
  m.hlen = buf[off + 2]!;
  m.xid = u32(buf, off + 4);
  m.ciaddr = u32(buf, off + 12);
  m.yiaddr = u32(buf, off + 16);
  m.siaddr = u32(buf, off + 20);
  m.giaddr = u32(buf, off + 24);
  m.chaddrOff = off + 28;
  const end = off + len;
  let p = off + OPTIONS_OFF;
  while (p < end) {
    const code = buf[p]!;
    if (code === OPT.PAD) {
      p++;
      continue;
    }
    if (code === OPT.END) return Status.Ok;
    if (p + 1 >= end) return Status.Truncated;
    const olen = buf[p + 1]!;
    const v = p + 2;
    if (v + olen > end) return Status.Truncated;
    m.options++;
    switch (code) {
      case OPT.MESSAGE_TYPE:
        if (olen !== 1) return Status.BadOption;
        m.messageType = buf[v]!;
        break;
      case OPT.HOSTNAME:
        m.hostnameOff = v;
        m.hostnameLen = olen;
        break;
      case OPT.DOMAIN:
        m.domainOff = v;
        m.domainLen = olen;
        break;
      case OPT.VENDOR_CLASS:
        m.vendorOff = v;
        m.vendorLen = olen;
        break;
      case OPT.PARAMETER_LIST:
        m.prlOff = v;
        m.prlLen = olen;
        break;
      case OPT.CLIENT_ID:
        m.clientIdOff = v;
        m.clientIdLen = olen;
        break;
      case OPT.CLIENT_FQDN:
        if (olen < 3) return Status.BadOption;
        m.fqdnOff = v;
        m.fqdnLen = olen;
        break;
      case OPT.ROUTER:
        m.routerOff = v;
        m.routerLen = olen;
        break;
      case OPT.DNS:
        m.dnsOff = v;
        m.dnsLen = olen;
        break;
      case OPT.REQUESTED_IP:
        if (olen !== 4) return Status.BadOption;
        m.requestedIp = u32(buf, v);
        break;
      case OPT.SERVER_ID:
        if (olen !== 4) return Status.BadOption;
        m.serverId = u32(buf, v);
        break;
      case OPT.LEASE_TIME:
        if (olen !== 4) return Status.BadOption;
        m.leaseTime = u32(buf, v);
        break;
      case OPT.OVERLOAD:
        if (olen !== 1) return Status.BadOption;
        m.overload = buf[v]!;
        break;
    }
    p = v + olen;
  }
  // No END option: tolerated (many stacks pad to the end), the options read so far stand.
  return Status.Ok;
}

/** Printable text of an option value (hostname, vendor class): control octets dropped, trailing NULs cut. */
export function optionText(buf: Uint8Array, off: number, len: number): string {
  let out = '';
  for (let i = 0; i < len; i++) {
    const c = buf[off + i]!;
    if (c === 0) break;
    if (c >= 0x20 && c < 0x7f) out += String.fromCharCode(c);
  }
  return out.trim();
}
