/**
 * NetBIOS datagram service (RFC 1002 §4.4, UDP 138) carrying the Windows browser protocol: SMB Transaction
 * requests to the \MAILSLOT\BROWSE (or \MAILSLOT\LANMAN) mailslot ([MS-BRWS]).
 *
 * Every browser message is one-way (broadcast announcements, election requests): one operation each, result
 * 'unknown'. Host/local-master announcements give the sender's computer name, OS version ("Windows 6.1" for
 * major.minor 6.1, at 0.6: Samba and others announce Windows-like versions too) and the roles its server-type
 * bits declare; a domain announcement names the workgroup/domain. Facts are about the datagram's source IP
 * (the header field, which survives relaying by an NBDD), not the flow's sender.
 */
import type { OperationKind } from '../../events/types.js';
import { ip4ToString } from '../../util/addr.js';
import { Dir, type AnalyzerContext, type FlowAnalyzer, type PacketMeta } from '../analyzer.js';
import { NameServiceEvents } from '../dns/emitter.js';
import { DnsName, nameErrorText, readName } from '../dns/parser.js';
import {
  BROWSER_OPCODE_NAMES, NetbiosName, SERVER_TYPE_ROLES, SUFFIX, decodeNetbiosName, nbdgmTypeName, netbiosBaseName, netbiosNameText,
} from './names.js';
import { NBDGM_HEADER_LEN } from './probe.js';

const SMB_HEADER_LEN = 32;
const SMB_COM_TRANSACTION = 0x25;
const MAILSLOT_BROWSE = Buffer.from('\\MAILSLOT\\BROWSE', 'latin1');
const MAILSLOT_LANMAN = Buffer.from('\\MAILSLOT\\LANMAN', 'latin1');
const CONF_OS = 0.6;

const OPCODE = {
  HOST_ANNOUNCEMENT: 1,
  DOMAIN_ANNOUNCEMENT: 12,
  LOCAL_MASTER_ANNOUNCEMENT: 15,
} as const;

function browserKind(opcode: number): OperationKind {
  switch (opcode) {
    case 1:
    case 2:
    case 12:
    case 13:
    case 15:
      return 'identify';
    case 9:
    case 10:
      return 'read';
    case 11:
    case 14:
      return 'configuration';
    default:
      return 'other';
  }
}

/**
 * Parse scratch shared by every session: a message is parsed and its events emitted within one onData call
 * (nothing in them outlives it), so no two sessions use them at once, and a flow costs no name buffers.
 */
const wireSourceName = new DnsName();
const wireDestName = new DnsName();
const sourceNetbiosName = new NetbiosName();
const destNetbiosName = new NetbiosName();
const announcedServerName = new Uint8Array(16);

export class NbdgmSession implements FlowAnalyzer {
  private readonly out: NameServiceEvents;

  constructor(private readonly ctx: AnalyzerContext) {
    this.out = new NameServiceEvents(ctx, 'nbdgm');
  }

  onGap(_dir: Dir, _bytes: number, meta: PacketMeta): void {
    this.out.meta = meta;
    this.ctx.count('gap');
  }

  onClose(meta: PacketMeta): void {
    this.out.meta = meta;
  }

  onData(dir: Dir, buf: Buffer, off: number, len: number, meta: PacketMeta): void {
    this.out.meta = meta;
    const end = off + len;
    if (len < NBDGM_HEADER_LEN) {
      this.out.malformed(dir, 'datagram shorter than the 10-octet header');
      return;
    }
    const type = buf[off]!;
    if (type < 0x10 || type > 0x12) {
      this.ctx.count(nbdgmTypeName(type));
      return;
    }
    if (len < 14) {
      this.out.malformed(dir, 'datagram header truncated');
      return;
    }
    const sourceIp = ip4ToString(buf.readUInt32BE(off + 4));
    const dgmEnd = off + 14 + buf.readUInt16BE(off + 10);
    const msgEnd = dgmEnd < end ? dgmEnd : end;
    if ((buf[off + 1]! & 0x02) === 0 || buf.readUInt16BE(off + 12) !== 0) {
      // A fragment other than the first (FIRST flag clear or a non-zero offset): nothing to decode.
      this.ctx.count('fragment');
      return;
    }
    let p = readName(buf, off + 14, off, msgEnd, wireSourceName);
    if (p >= 0) p = readName(buf, p, off, msgEnd, wireDestName);
    if (p < 0) {
      this.out.malformed(dir, `datagram names: ${nameErrorText(p)}`);
      return;
    }
    const hasSource = decodeNetbiosName(wireSourceName, sourceNetbiosName);
    const hasDest = decodeNetbiosName(wireDestName, destNetbiosName);
    if (!hasSource || !hasDest) {
      this.out.malformed(dir, 'datagram names are not NetBIOS names');
      return;
    }
    const sender = this.out.sender(dir);
    const mac = sender.ip === sourceIp ? sender.mac ?? '' : '';
    const dataOff = this.browserData(buf, p, msgEnd);
    if (dataOff < 0) {
      this.ctx.count('not-browser');
      return;
    }
    const opcode = buf[dataOff]!;
    const event = this.out.operation(dir, browserKind(opcode), opcode, BROWSER_OPCODE_NAMES[opcode] ?? `browser_opcode_${opcode}`, 'unknown');
    event.object = netbiosNameText(destNetbiosName);
    // A datagram sent to a workgroup's browser names (<1d> master browser, <1e> election, <1b>) tells the
    // sender's workgroup.
    const ds = destNetbiosName.suffix;
    if (ds === SUFFIX.MASTER_BROWSER || ds === SUFFIX.BROWSER_ELECTION || ds === SUFFIX.DOMAIN_MASTER_BROWSER) {
      this.out.hostFact(sourceIp, mac, 'domain', netbiosBaseName(destNetbiosName.raw), 0.8);
    }
    if (opcode === OPCODE.HOST_ANNOUNCEMENT || opcode === OPCODE.LOCAL_MASTER_ANNOUNCEMENT || opcode === OPCODE.DOMAIN_ANNOUNCEMENT) {
      this.announcement(dir, buf, dataOff, msgEnd, opcode, sourceIp, mac, event);
    }
    this.ctx.sink.emit(event);
  }

  /**
   * The browser payload of an SMB Transaction to a browser mailslot: offset of the opcode octet, or -1 when the
   * user data is something else (other mailslots, other SMB commands).
   */
  private browserData(buf: Buffer, smb: number, end: number): number {
    if (smb + SMB_HEADER_LEN + 1 > end) return -1;
    if (buf[smb] !== 0xff || buf[smb + 1] !== 0x53 || buf[smb + 2] !== 0x4d || buf[smb + 3] !== 0x42) return -1;
    if (buf[smb + 4] !== SMB_COM_TRANSACTION) return -1;
    const words = smb + SMB_HEADER_LEN + 1;
    const wordCount = buf[smb + SMB_HEADER_LEN]!;
    if (wordCount < 14 || words + wordCount * 2 + 2 > end) return -1;
    const dataCount = buf.readUInt16LE(words + 22);
    const dataOffset = buf.readUInt16LE(words + 24);
    const bytes = words + wordCount * 2 + 2;
    // Transaction name follows the byte count: only the browser mailslots are decoded further.
    if (!startsWith(buf, bytes, end, MAILSLOT_BROWSE) && !startsWith(buf, bytes, end, MAILSLOT_LANMAN)) return -1;
    const data = smb + dataOffset;
    if (dataCount < 1 || data >= end || data + dataCount > end) return -1;
    return data;
  }

  /** HostAnnouncement / LocalMasterAnnouncement / DomainAnnouncement share one layout ([MS-BRWS] 2.2.1). */
  private announcement(dir: Dir, buf: Buffer, d: number, end: number, opcode: number, ip: string, mac: string, event: { attributes?: Record<string, string | number | boolean> }): void {
    if (d + 32 > end) {
      this.out.malformed(dir, `${BROWSER_OPCODE_NAMES[opcode]} shorter than 32 octets`);
      return;
    }
    const name = announcedServerName;
    // NUL-terminated inside its 16 octets; what follows the NUL is stale buffer content.
    let nameLen = 0;
    while (nameLen < 16 && buf[d + 6 + nameLen] !== 0) {
      name[nameLen] = buf[d + 6 + nameLen]!;
      nameLen++;
    }
    const nameText = netbiosBaseName(name, nameLen);
    const major = buf[d + 22]!;
    const minor = buf[d + 23]!;
    const serverType = buf.readUInt32LE(d + 24) >>> 0;
    const attrs = (event.attributes = {} as Record<string, string | number | boolean>);
    attrs.server_type = `0x${serverType.toString(16).padStart(8, '0')}`;
    attrs.os_version = `${major}.${minor}`;
    if (opcode === OPCODE.DOMAIN_ANNOUNCEMENT) {
      attrs.domain = nameText;
      this.out.hostFact(ip, mac, 'domain', nameText, 0.9);
      return;
    }
    attrs.server = nameText;
    this.out.hostFact(ip, mac, 'hostname', nameText, 0.9);
    if (major > 0) this.out.hostFact(ip, mac, 'os', `Windows ${major}.${minor}`, CONF_OS);
    for (const [bit, role, confidence] of SERVER_TYPE_ROLES) {
      if ((serverType & bit) !== 0) this.out.hostFact(ip, mac, 'role-hint', role, confidence);
    }
  }
}

function startsWith(buf: Buffer, off: number, end: number, prefix: Buffer): boolean {
  if (off + prefix.length > end) return false;
  for (let i = 0; i < prefix.length; i++) {
    const c = buf[off + i]!;
    // mailslot names are case-insensitive
    if ((c >= 0x61 && c <= 0x7a ? c - 0x20 : c) !== prefix[i]) return false;
  }
  return true;
}
