/**
 * DHCP (RFC 2131) over UDP 67/68.
 *
 * One 'configuration' operation per transaction (DISCOVER/OFFER/REQUEST/ACK, a renewal REQUEST/ACK, an
 * INFORM/ACK), paired by xid + client MAC across flows through the analysis-wide ExchangeTable; code and
 * codeName are the client's first message ("dhcp_discover"), `attributes.message_type` the last one seen.
 * RELEASE and DECLINE expect no answer and are emitted at once.
 *
 * Facts are attributed by the client hardware address (chaddr), never by the flow's addresses (0.0.0.0 and
 * 255.255.255.255 say nothing): hostname (option 12, and option 81's FQDN), vendor class (software, plus an OS
 * hint), an OS guess from the parameter request list (option 55), and once an ACK names the leased address
 * (yiaddr), the hostname again about that address. The server (option 54) gets role-hint 'dhcp-server'; the
 * routers and DNS servers it hands out get 'router' / 'dns-server'.
 */
import { ip4ToString } from '../../util/addr.js';
import { Dir, type AnalyzerContext, type FlowAnalyzer, type PacketMeta } from '../analyzer.js';
import { NameServiceEvents } from '../dns/emitter.js';
import { DnsName, nameText, readName } from '../dns/parser.js';
import { MAX_MESSAGES_PER_EXCHANGE, sharedExchanges, type Exchange, type ExchangeTable } from './exchanges.js';
import { osFromParameterList, osFromVendorClass } from './fingerprint.js';
import { DhcpMessage, Status, messageTypeName, optionText, parseDhcp } from './parser.js';

const TYPE = { DISCOVER: 1, OFFER: 2, REQUEST: 3, DECLINE: 4, ACK: 5, NAK: 6, RELEASE: 7, INFORM: 8 } as const;

const CONF_DECLARED = 0.9;
const CONF_VENDOR_OS = 0.6;
const CONF_FINGERPRINT_OS = 0.4;
const CONF_SERVER_ROLE = 0.9;
const CONF_HANDED_OUT_ROLE = 0.7;
const CONF_DOMAIN_FROM_SERVER = 0.7;
const HEX = '0123456789abcdef';

/**
 * Name scratch shared by every session: the FQDN option is decoded and turned into text within one onData
 * call, so no two sessions use it at once, and a flow costs no name buffer.
 */
const clientFqdnName = new DnsName();

export class DhcpSession implements FlowAnalyzer {
  private readonly out: NameServiceEvents;
  private readonly msg = new DhcpMessage();
  private readonly exchanges: ExchangeTable;

  constructor(private readonly ctx: AnalyzerContext, exchanges?: ExchangeTable) {
    this.out = new NameServiceEvents(ctx, 'dhcp');
    this.exchanges = exchanges ?? sharedExchanges(ctx.sink, 'v4');
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
    const m = this.msg;
    const status = parseDhcp(buf, off, len, m);
    if (status === Status.NotDhcp) {
      this.out.malformed(dir, 'not a DHCP message (op or magic cookie)');
      return;
    }
    if (status === Status.Truncated && m.messageType === 0) {
      this.out.malformed(dir, 'DHCP message truncated');
      return;
    }
    if (status !== Status.Ok) this.out.malformed(dir, status === Status.Truncated ? 'options run past the datagram' : 'option with a wrong length');
    if (m.messageType === 0) {
      this.ctx.count('bootp');
      return;
    }
    if (m.overload !== 0) this.ctx.count('option-overload-ignored');
    this.ctx.count(`msg-${messageTypeName(m.messageType)}`);
    const mac = m.htype === 1 && m.hlen === 6 ? macText(buf, m.chaddrOff) : '';
    // Both ports are well known, so the flow layer guesses sides from the first datagram; BOOTREQUEST /
    // BOOTREPLY say who is the client (a server's broadcast offer may be the first thing seen).
    if (this.ctx.flow.sidesGuessed) {
      const requestFromClient = (m.op === 1) === (dir === Dir.ToServer);
      if (requestFromClient) this.ctx.confirmSides();
      else this.ctx.swapSides();
    }
    if (m.op === 1) this.onClientMessage(dir, buf, mac);
    else this.onServerMessage(dir, buf, mac);
  }

  private key(mac: string): string {
    return `${this.msg.xid}|${mac}`;
  }

  private onClientMessage(dir: Dir, buf: Buffer, mac: string): void {
    const m = this.msg;
    const type = m.messageType;
    const ciaddr = m.ciaddr !== 0 ? ip4ToString(m.ciaddr) : '';
    const hostname = m.hostnameOff >= 0 ? optionText(buf, m.hostnameOff, m.hostnameLen) : '';
    const vendor = m.vendorOff >= 0 ? optionText(buf, m.vendorOff, m.vendorLen) : '';
    const fingerprint = m.prlOff >= 0 ? parameterList(buf, m.prlOff, m.prlLen) : '';

    // Facts about the client, by MAC (and its current address when it has one).
    if (hostname !== '') this.out.hostFact(ciaddr, mac, 'hostname', hostname, CONF_DECLARED);
    if (vendor !== '') {
      this.out.hostFact(ciaddr, mac, 'software', vendor, CONF_DECLARED);
      const os = osFromVendorClass(vendor);
      if (os !== '') this.out.hostFact(ciaddr, mac, 'os', os, CONF_VENDOR_OS);
    }
    if (fingerprint !== '') {
      const os = osFromParameterList(fingerprint);
      if (os !== '') this.out.hostFact(ciaddr, mac, 'os', os, CONF_FINGERPRINT_OS);
    }
    const fqdn = m.fqdnOff >= 0 ? this.clientFqdn(buf) : '';
    if (fqdn !== '') {
      this.out.hostFact(ciaddr, mac, 'hostname', fqdn, CONF_DECLARED);
      const dot = fqdn.indexOf('.');
      if (dot > 0 && dot < fqdn.length - 1) this.out.hostFact(ciaddr, mac, 'domain', fqdn.slice(dot + 1), CONF_DECLARED);
    }

    const key = this.key(mac);
    let x = this.exchanges.get(key, this.out.meta.ts);
    if (x === undefined || type === TYPE.DISCOVER || type === TYPE.RELEASE || type === TYPE.DECLINE) {
      if (x !== undefined) this.exchanges.finish(x);
      const event = this.out.operation(dir, 'configuration', type, `dhcp_${messageTypeName(type)}`, 'no-response');
      x = { key, event, owner: this, lastTs: this.out.meta.ts, messages: [], hostname: '', clientMac: mac };
      if (type === TYPE.RELEASE || type === TYPE.DECLINE) {
        // No answer is expected: the transaction is this one message.
        event.result = 'unknown';
        this.describeClient(x, buf, hostname, vendor, fingerprint);
        if (ciaddr !== '') (event.attributes ??= {}).leased_ip = ciaddr;
        this.ctx.sink.emit(event);
        return;
      }
      if (this.exchanges.add(x)) {
        this.ctx.count('transaction-cap');
        this.out.anomalyEvent(dir, 'transaction-cap', 'too many DHCP transactions awaiting an answer');
      }
    }
    x.lastTs = this.out.meta.ts;
    this.describeClient(x, buf, hostname, vendor, fingerprint);
    if (fqdn !== '' && x.hostname === '') x.hostname = fqdn;
  }

  private describeClient(x: Exchange, buf: Buffer, hostname: string, vendor: string, fingerprint: string): void {
    const m = this.msg;
    const attrs = (x.event.attributes ??= {});
    if (x.messages.length < MAX_MESSAGES_PER_EXCHANGE) x.messages.push(messageTypeName(m.messageType));
    attrs.message_type = messageTypeName(m.messageType);
    attrs.messages = x.messages.join(',');
    if (x.clientMac !== '') attrs.client_mac = x.clientMac;
    if (hostname !== '') {
      attrs.hostname = hostname;
      x.hostname = hostname;
    }
    if (vendor !== '') attrs.vendor_class = vendor;
    if (fingerprint !== '') attrs.fingerprint = fingerprint;
    if (m.clientIdOff >= 0) attrs.client_id = hexText(buf, m.clientIdOff, m.clientIdLen);
    if (m.requestedIp !== 0) attrs.requested_ip = ip4ToString(m.requestedIp);
  }

  private onServerMessage(dir: Dir, buf: Buffer, mac: string): void {
    const m = this.msg;
    const type = m.messageType;
    const sender = this.out.sender(dir);
    const serverIp = m.serverId !== 0 ? ip4ToString(m.serverId) : sender.ip;
    this.out.hostFact(serverIp, serverIp === sender.ip ? sender.mac ?? '' : '', 'role-hint', 'dhcp-server', CONF_SERVER_ROLE);
    this.handedOutRoles(buf, m.routerOff, m.routerLen, 'router');
    this.handedOutRoles(buf, m.dnsOff, m.dnsLen, 'dns-server');

    const key = this.key(mac);
    let x = this.exchanges.get(key, this.out.meta.ts);
    const requester: Dir = dir === Dir.ToServer ? Dir.ToClient : Dir.ToServer;
    if (x === undefined) {
      // The client's message was not captured: what the server says still describes the transaction.
      this.ctx.count('unexpected-response');
      const firstType = type === TYPE.OFFER ? TYPE.DISCOVER : m.ciaddr !== 0 && m.yiaddr === 0 ? TYPE.INFORM : TYPE.REQUEST;
      const event = this.out.operation(requester, 'configuration', firstType, `dhcp_${messageTypeName(firstType)}`, 'unknown');
      x = { key, event, owner: this, lastTs: this.out.meta.ts, messages: [], hostname: '', clientMac: mac };
      if (type === TYPE.OFFER && this.exchanges.add(x)) this.ctx.count('transaction-cap');
    }
    x.lastTs = this.out.meta.ts;
    const event = x.event;
    const attrs = (event.attributes ??= {});
    if (x.messages.length < MAX_MESSAGES_PER_EXCHANGE) x.messages.push(messageTypeName(type));
    attrs.message_type = messageTypeName(type);
    attrs.messages = x.messages.join(',');
    if (x.clientMac !== '') attrs.client_mac = x.clientMac;
    attrs.server_id = serverIp;
    if (type === TYPE.OFFER) {
      if (m.yiaddr !== 0) attrs.offered_ip = ip4ToString(m.yiaddr);
      return;
    }
    if (type !== TYPE.ACK && type !== TYPE.NAK) {
      this.ctx.count('server-message-other');
      return;
    }
    event.responseFrame = this.out.meta.frame;
    if (type === TYPE.NAK) {
      event.result = 'exception';
      event.exceptionCode = TYPE.NAK;
      event.exceptionName = 'nak';
    } else {
      event.result = 'ok';
      const leased = m.yiaddr !== 0 ? m.yiaddr : m.ciaddr;
      const leasedIp = leased !== 0 ? ip4ToString(leased) : '';
      if (leasedIp !== '') attrs.leased_ip = leasedIp;
      if (m.leaseTime >= 0) attrs.lease_time = m.leaseTime;
      if (leasedIp !== '' && x.clientMac !== '') {
        // The lease binds the client's MAC to the address: re-state its name about that address.
        if (x.hostname !== '') this.out.hostFact(leasedIp, x.clientMac, 'hostname', x.hostname, CONF_DECLARED);
        if (m.domainOff >= 0) {
          const domain = optionText(buf, m.domainOff, m.domainLen);
          if (domain !== '') this.out.hostFact(leasedIp, x.clientMac, 'domain', domain, CONF_DOMAIN_FROM_SERVER);
        }
      }
    }
    if (this.exchanges.has(x)) this.exchanges.finish(x);
    else this.ctx.sink.emit(event);
  }

  private handedOutRoles(buf: Buffer, off: number, len: number, role: string): void {
    if (off < 0) return;
    for (let p = off; p + 4 <= off + len && p < off + 32; p += 4) {
      this.out.hostFact(ip4ToString(buf.readUInt32BE(p)), '', 'role-hint', role, CONF_HANDED_OUT_ROLE);
    }
  }

  /** Option 81 (RFC 4702): flags, two obsolete rcodes, then the name — DNS wire format when the E flag is set. */
  private clientFqdn(buf: Buffer): string {
    const m = this.msg;
    const flags = buf[m.fqdnOff]!;
    const nameOff = m.fqdnOff + 3;
    const end = m.fqdnOff + m.fqdnLen;
    if ((flags & 0x04) !== 0) {
      if (readName(buf, nameOff, nameOff, end, clientFqdnName) < 0 || clientFqdnName.labels === 0) return '';
      return nameText(clientFqdnName);
    }
    return optionText(buf, nameOff, end - nameOff);
  }
}

function macText(buf: Buffer, off: number): string {
  let out = '';
  for (let i = 0; i < 6; i++) {
    const b = buf[off + i]!;
    out += (i > 0 ? ':' : '') + HEX[b >> 4]! + HEX[b & 15]!;
  }
  return out;
}

function hexText(buf: Buffer, off: number, len: number): string {
  let out = '';
  for (let i = 0; i < len && i < 64; i++) out += HEX[buf[off + i]! >> 4]! + HEX[buf[off + i]! & 15]!;
  return out;
}

/** Option 55 as "1,15,3,6,...", the conventional DHCP fingerprint notation. */
export function parameterList(buf: Buffer, off: number, len: number): string {
  let out = '';
  for (let i = 0; i < len; i++) out += (i > 0 ? ',' : '') + buf[off + i]!;
  return out;
}
