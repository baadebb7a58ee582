/**
 * DHCPv6 (RFC 8415) over UDP 546 (client) / 547 (server and relay agents).
 *
 * One 'configuration' operation per transaction (Solicit/Advertise/Request/Reply, Renew/Reply,
 * Information-request/Reply, ...), paired by transaction id + client DUID across flows (the client sends to
 * ff02::1:2, the server answers to its link-local address) through the analysis-wide ExchangeTable.
 * Relay-forward/reply messages are unwrapped (bounded depth) and the inner message is what counts.
 *
 * Facts: a DUID-LLT/DUID-LL with an Ethernet address names the client's MAC, so facts go to {client address,
 * MAC}: FQDN (option 39) as hostname (and its domain), vendor class (16) as software, the option request list
 * as a fingerprint attribute. A Reply's IA_NA addresses are leased to that client: its hostname is re-stated
 * about each of them. The replying server gets role-hint 'dhcp-server'.
 */
import { ip6ToString } from '../../util/addr.js';
import { Dir, type AnalyzerContext, type FlowAnalyzer, type PacketMeta } from '../analyzer.js';
import { NameServiceEvents } from '../dns/emitter.js';
import { DnsName, nameText, readName } from '../dns/parser.js';
import { MAX_MESSAGES_PER_EXCHANGE, sharedExchanges, type Exchange, type ExchangeTable } from '../dhcp/exchanges.js';

export const MSG = {
  SOLICIT: 1, ADVERTISE: 2, REQUEST: 3, CONFIRM: 4, RENEW: 5, REBIND: 6, REPLY: 7, RELEASE: 8, DECLINE: 9,
  RECONFIGURE: 10, INFORMATION_REQUEST: 11, RELAY_FORW: 12, RELAY_REPL: 13,
} as const;

const MSG_NAMES: readonly string[] = [
  '', 'solicit', 'advertise', 'request', 'confirm', 'renew', 'rebind', 'reply', 'release', 'decline', 'reconfigure',
  'information_request', 'relay_forw', 'relay_repl',
];
export function dhcpv6MessageName(type: number): string {
  return MSG_NAMES[type] || `type${type}`;
}

const OPT = {
  CLIENTID: 1, SERVERID: 2, IA_NA: 3, IAADDR: 5, ORO: 6, RELAY_MSG: 9, STATUS_CODE: 13, VENDOR_CLASS: 16,
  CLIENT_FQDN: 39,
} as const;

const MAX_RELAY_DEPTH = 8;
const MAX_OPTIONS = 128;
const MAX_LEASED_ADDRESSES = 16;
const CONF_DECLARED = 0.9;
const CONF_SERVER_ROLE = 0.9;
const CONF_VENDOR_OS = 0.6;
const ENTERPRISE_MICROSOFT = 311;
const HEX = '0123456789abcdef';

/** Status codes (RFC 8415 §21.13) as exception names. */
const STATUS_NAMES: readonly string[] = ['success', 'unspec_fail', 'no_addrs_avail', 'no_binding', 'not_on_link', 'use_multicast', 'no_prefix_avail'];

export function isClientMessage(type: number): boolean {
  return type === MSG.SOLICIT || type === MSG.REQUEST || type === MSG.CONFIRM || type === MSG.RENEW || type === MSG.REBIND ||
    type === MSG.RELEASE || type === MSG.DECLINE || type === MSG.INFORMATION_REQUEST;
}

/** One message's interesting options, as offsets (absolute) into the datagram. */
class Dhcpv6Message {
  type = 0;
  xid = 0;
  clientIdOff = -1;
  clientIdLen = 0;
  serverIdOff = -1;
  oroOff = -1;
  oroLen = 0;
  vendorOff = -1;
  vendorLen = 0;
  fqdnOff = -1;
  fqdnLen = 0;
  status = -1;
  readonly leased: number[] = [];
  leasedCount = 0;
  malformed = '';

  reset(): void {
    this.type = this.xid = 0;
    this.clientIdOff = this.serverIdOff = this.oroOff = this.vendorOff = this.fqdnOff = -1;
    this.clientIdLen = this.oroLen = this.vendorLen = this.fqdnLen = 0;
    this.status = -1;
    this.leasedCount = 0;
    this.malformed = '';
  }
}

/**
 * Name scratch shared by every session: the FQDN option is decoded and turned into text within one onData
 * call, so no two sessions use it at once, and a flow costs no name buffer.
 */
const clientFqdnName = new DnsName();

export class Dhcpv6Session implements FlowAnalyzer {
  private readonly out: NameServiceEvents;
  private readonly msg = new Dhcpv6Message();
  private readonly exchanges: ExchangeTable;
  /** the message being handled was unwrapped from a relay message */
  private relayed = false;

  constructor(private readonly ctx: AnalyzerContext, exchanges?: ExchangeTable) {
    this.out = new NameServiceEvents(ctx, 'dhcpv6');
    this.exchanges = exchanges ?? sharedExchanges(ctx.sink, 'v6');
  }

  onGap(_dir: Dir, _bytes: number, meta: PacketMeta): void {
    this.out.meta = meta;
    this.ctx.count('gap');
  }

  onClose(meta: PacketMeta): void {
    this.out.meta = meta;
    this.exchanges.flushOwner(this);
  }

  onData(dir: Dir, buf: Buffer, off: number, len: number, meta: PacketMeta): void {
    this.out.meta = meta;
    let p = off;
    let end = off + len;
    this.relayed = false;
    // Relay messages: msg-type, hop-count, link-address (16), peer-address (16), options incl. Relay Message.
    for (let depth = 0; ; depth++) {
      if (end - p < 4) {
        this.out.malformed(dir, 'message shorter than its header');
        return;
      }
      const type = buf[p]!;
      if (type !== MSG.RELAY_FORW && type !== MSG.RELAY_REPL) break;
      if (depth >= MAX_RELAY_DEPTH) {
        this.out.malformed(dir, 'relay messages nested too deep');
        return;
      }
      this.ctx.count('relayed');
      this.relayed = true;
      const inner = findOption(buf, p + 34, end, OPT.RELAY_MSG);
      if (inner < 0) {
        this.out.malformed(dir, 'relay message without a Relay Message option');
        return;
      }
      end = inner + buf.readUInt16BE(inner - 2);
      p = inner;
    }
    const m = this.msg;
    this.parse(buf, p, end);
    if (m.malformed !== '') this.out.malformed(dir, m.malformed);
    this.ctx.count(`msg-${dhcpv6MessageName(m.type)}`);
    if (m.type === 0 || m.type > MSG.RELAY_REPL) return;
    const clientKey = m.clientIdOff >= 0 ? hexText(buf, m.clientIdOff, m.clientIdLen) : '';
    const mac = m.clientIdOff >= 0 ? duidMac(buf, m.clientIdOff, m.clientIdLen) : '';
    if (isClientMessage(m.type)) this.onClientMessage(dir, buf, clientKey, mac);
    else this.onServerMessage(dir, buf, clientKey, mac);
  }

  private parse(buf: Buffer, p: number, end: number): void {
    const m = this.msg;
    m.reset();
    m.type = buf[p]!;
    m.xid = (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!;
    let o = p + 4;
    for (let n = 0; o < end && n < MAX_OPTIONS; n++) {
      if (o + 4 > end) {
        m.malformed = 'option header runs past the message';
        return;
      }
      const code = buf.readUInt16BE(o);
      const olen = buf.readUInt16BE(o + 2);
      const v = o + 4;
      if (v + olen > end) {
        m.malformed = `option ${code} runs past the message`;
        return;
      }
      switch (code) {
        case OPT.CLIENTID:
          m.clientIdOff = v;
          m.clientIdLen = olen;
          break;
        case OPT.SERVERID:
          m.serverIdOff = v;
          break;
        case OPT.ORO:
          m.oroOff = v;
          m.oroLen = olen;
          break;
        case OPT.VENDOR_CLASS:
          m.vendorOff = v;
          m.vendorLen = olen;
          break;
        case OPT.CLIENT_FQDN:
          m.fqdnOff = v;
          m.fqdnLen = olen;
          break;
        case OPT.STATUS_CODE:
          if (olen >= 2) m.status = buf.readUInt16BE(v);
          break;
        case OPT.IA_NA:
          // IAID (4), T1 (4), T2 (4), then IA options: IAADDR = address (16), preferred (4), valid (4), options.
          for (let s = v + 12; s + 4 <= v + olen; ) {
            const scode = buf.readUInt16BE(s);
            const slen = buf.readUInt16BE(s + 2);
            if (s + 4 + slen > v + olen) {
              m.malformed = 'IA_NA sub-option runs past the option';
              break;
            }
            if (scode === OPT.IAADDR && slen >= 24 && m.leasedCount < MAX_LEASED_ADDRESSES) m.leased[m.leasedCount++] = s + 4;
            if (scode === OPT.STATUS_CODE && slen >= 2 && m.status <= 0) m.status = buf.readUInt16BE(s + 4);
            s += 4 + slen;
          }
          break;
      }
      o = v + olen;
    }
  }

  private onClientMessage(dir: Dir, buf: Buffer, clientKey: string, mac: string): void {
    const m = this.msg;
    const sender = this.out.sender(dir);
    const ip = sender.ip;
    // The DUID's MAC is the one the client chose at install time (often another interface, or a cloned image):
    // the frame's source MAC is better evidence, unless a relay agent sent the frame.
    const subjectMac = !this.relayed && sender.mac !== undefined ? sender.mac : mac;
    const fqdn = m.fqdnOff >= 0 ? this.clientFqdn(buf) : '';
    if (fqdn !== '') {
      this.out.hostFact(ip, subjectMac, 'hostname', fqdn, CONF_DECLARED);
      const dot = fqdn.indexOf('.');
      if (dot > 0 && dot < fqdn.length - 1) this.out.hostFact(ip, subjectMac, 'domain', fqdn.slice(dot + 1), CONF_DECLARED);
    }
    const vendor = m.vendorOff >= 0 ? vendorClassText(buf, m.vendorOff, m.vendorLen) : '';
    if (vendor !== '') {
      this.out.hostFact(ip, subjectMac, 'software', vendor, CONF_DECLARED);
      if (m.vendorLen >= 4 && buf.readUInt32BE(m.vendorOff) === ENTERPRISE_MICROSOFT) this.out.hostFact(ip, subjectMac, 'os', 'Windows', CONF_VENDOR_OS);
    }
    const key = `${m.xid}|${clientKey}`;
    let x = this.exchanges.get(key, this.out.meta.ts);
    if (x === undefined || m.type === MSG.SOLICIT) {
      if (x !== undefined) this.exchanges.finish(x);
      const event = this.out.operation(dir, 'configuration', m.type, `dhcpv6_${dhcpv6MessageName(m.type)}`, 'no-response');
      x = { key, event, owner: this, lastTs: this.out.meta.ts, messages: [], hostname: '', clientMac: subjectMac };
      if (this.exchanges.add(x)) {
        this.ctx.count('transaction-cap');
        this.out.anomalyEvent(dir, 'transaction-cap', 'too many DHCPv6 transactions awaiting an answer');
      }
    }
    x.lastTs = this.out.meta.ts;
    if (fqdn !== '') x.hostname = fqdn;
    const attrs = (x.event.attributes ??= {});
    this.track(x, attrs);
    if (clientKey !== '') attrs.client_duid = clientKey;
    if (mac !== '') attrs.duid_mac = mac;
    if (fqdn !== '') attrs.hostname = fqdn;
    if (vendor !== '') attrs.vendor_class = vendor;
    if (m.oroOff >= 0) attrs.fingerprint = optionRequestList(buf, m.oroOff, m.oroLen);
  }

  private track(x: Exchange, attrs: Record<string, string | number | boolean>): void {
    const name = dhcpv6MessageName(this.msg.type);
    if (x.messages.length < MAX_MESSAGES_PER_EXCHANGE) x.messages.push(name);
    attrs.message_type = name;
    attrs.messages = x.messages.join(',');
    if (x.clientMac !== '') attrs.client_mac = x.clientMac;
  }

  private onServerMessage(dir: Dir, buf: Buffer, clientKey: string, mac: string): void {
    const m = this.msg;
    this.out.senderFact(dir, 'role-hint', 'dhcp-server', CONF_SERVER_ROLE);
    const key = `${m.xid}|${clientKey}`;
    let x = this.exchanges.get(key, this.out.meta.ts);
    const requester: Dir = dir === Dir.ToServer ? Dir.ToClient : Dir.ToServer;
    if (x === undefined) {
      this.ctx.count('unexpected-response');
      const firstType = m.type === MSG.ADVERTISE ? MSG.SOLICIT : MSG.REQUEST;
      const event = this.out.operation(requester, 'configuration', firstType, `dhcpv6_${dhcpv6MessageName(firstType)}`, 'unknown');
      const receiver = this.out.receiver(dir);
      x = { key, event, owner: this, lastTs: this.out.meta.ts, messages: [], hostname: '', clientMac: mac !== '' ? mac : receiver.mac ?? '' };
      if (m.type === MSG.ADVERTISE && this.exchanges.add(x)) this.ctx.count('transaction-cap');
    }
    x.lastTs = this.out.meta.ts;
    const attrs = (x.event.attributes ??= {});
    this.track(x, attrs);
    if (m.type !== MSG.REPLY) return;
    const event = x.event;
    event.responseFrame = this.out.meta.frame;
    if (m.status > 0) {
      event.result = 'exception';
      event.exceptionCode = m.status;
      event.exceptionName = STATUS_NAMES[m.status] ?? `status_${m.status}`;
    } else event.result = 'ok';
    for (let i = 0; i < m.leasedCount; i++) {
      const address = ip6ToString(buf, m.leased[i]!);
      if (i === 0) attrs.leased_ip = address;
      if (x.hostname !== '') this.out.hostFact(address, x.clientMac, 'hostname', x.hostname, CONF_DECLARED);
    }
    if (this.exchanges.has(x)) this.exchanges.finish(x);
    else this.ctx.sink.emit(event);
  }

  /** Option 39 (RFC 4704): flags, then the name in DNS wire format (possibly partial: no root label). */
  private clientFqdn(buf: Buffer): string {
    const m = this.msg;
    if (m.fqdnLen < 2) return '';
    const nameOff = m.fqdnOff + 1;
    const end = m.fqdnOff + m.fqdnLen;
    // A partial name lacks the terminating zero: copy-free check, read labels up to the option's end.
    let text = '';
    let p = nameOff;
    if (readName(buf, nameOff, nameOff, end, clientFqdnName) >= 0) return clientFqdnName.labels === 0 ? '' : nameText(clientFqdnName);
    while (p < end) {
      const l = buf[p]!;
      if (l === 0 || l > 63 || p + 1 + l > end) break;
      text += (text ? '.' : '') + buf.toString('latin1', p + 1, p + 1 + l);
      p += 1 + l;
    }
    return text;
  }
}

/** Offset of option `code`'s value in buf[p..end), or -1. */
function findOption(buf: Buffer, p: number, end: number, code: number): number {
  for (let n = 0; p + 4 <= end && n < MAX_OPTIONS; n++) {
    const olen = buf.readUInt16BE(p + 2);
    if (p + 4 + olen > end) return -1;
    if (buf.readUInt16BE(p) === code) return p + 4;
    p += 4 + olen;
  }
  return -1;
}

/** The Ethernet address inside a DUID-LLT (type 1) or DUID-LL (type 3) with hardware type 1; '' otherwise. */
export function duidMac(buf: Buffer, off: number, len: number): string {
  if (len < 4) return '';
  const type = buf.readUInt16BE(off);
  const hw = buf.readUInt16BE(off + 2);
  if (hw !== 1) return '';
  const macOff = type === 1 ? off + 8 : type === 3 ? off + 4 : -1;
  if (macOff < 0 || macOff + 6 !== off + len) return '';
  let out = '';
  for (let i = 0; i < 6; i++) out += (i > 0 ? ':' : '') + HEX[buf[macOff + i]! >> 4]! + HEX[buf[macOff + i]! & 15]!;
  return out;
}

function hexText(buf: Buffer, off: number, len: number): string {
  let out = '';
  for (let i = 0; i < len && i < 64; i++) out += HEX[buf[off + i]! >> 4]! + HEX[buf[off + i]! & 15]!;
  return out;
}

/** Vendor class (RFC 8415 §21.16): enterprise number, then length-prefixed opaque strings (printable ones kept). */
function vendorClassText(buf: Buffer, off: number, len: number): string {
  if (len < 4) return '';
  let out = '';
  for (let p = off + 4; p + 2 <= off + len; ) {
    const l = buf.readUInt16BE(p);
    if (p + 2 + l > off + len) break;
    let s = '';
    for (let i = 0; i < l; i++) {
      const c = buf[p + 2 + i]!;
      if (c >= 0x20 && c < 0x7f) s += String.fromCharCode(c);
    }
    if (s !== '') out += (out ? ' ' : '') + s;
    p += 2 + l;
  }
  return out;
}

function optionRequestList(buf: Buffer, off: number, len: number): string {
  let out = '';
  for (let p = off; p + 2 <= off + len; p += 2) out += (out ? ',' : '') + buf.readUInt16BE(p);
  return out;
}
