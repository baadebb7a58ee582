/**
 * Per-flow SNMP state (UDP): requests paired with responses by request-id, the community string turned into a
 * 'credential' fact about the agent (its length and whether it is a well-known default, never its text), and
 * system-group answers (sysDescr, sysObjectID, sysName) into identity facts about the responder.
 */
import type { OperationEvent, OperationKind } from '../../events/types.js';
import { Dir, type AnalyzerContext, type FlowAnalyzer, type PacketMeta } from '../analyzer.js';
import { printable } from '../common/ascii.js';
import { FlowEvents, IT_SESSION_LIMITS, type Side } from '../common/flow-events.js';
import {
  ERROR_STATUS_NAMES,
  OID_SYS_DESCR,
  OID_SYS_NAME,
  OID_SYS_OBJECT_ID,
  PDU_NAMES,
  SnmpMessage,
  oidEquals,
  oidText,
  parseSnmp,
} from './parser.js';

/** SMI enterprise numbers (IANA) of vendors often met in plants and offices. */
export const ENTERPRISE_VENDORS: Record<number, string> = {
  2: 'IBM',
  9: 'Cisco',
  11: 'Hewlett-Packard',
  43: '3Com',
  95: 'Rockwell Automation/Allen-Bradley',
  248: 'Hirschmann',
  311: 'Microsoft',
  674: 'Dell',
  1916: 'Extreme Networks',
  2011: 'Huawei',
  2636: 'Juniper Networks',
  3833: 'Schneider Electric',
  4329: 'Siemens',
  4346: 'Phoenix Contact',
  6527: 'Nokia',
  8691: 'Moxa',
  12356: 'Fortinet',
  14988: 'MikroTik',
  25461: 'Palo Alto Networks',
  30065: 'Arista Networks',
  41112: 'Ubiquiti',
};

/** sysDescr keywords → operating system / vendor hints (first match wins per field). */
const OS_HINTS: ReadonlyArray<[RegExp, string]> = [
  [/Cisco IOS XE/i, 'Cisco IOS XE'],
  [/Cisco IOS/i, 'Cisco IOS'],
  [/Cisco NX-OS/i, 'Cisco NX-OS'],
  [/JUNOS/i, 'Junos'],
  [/Windows/i, 'Windows'],
  [/Linux/i, 'Linux'],
  [/FreeBSD/i, 'FreeBSD'],
  [/VxWorks/i, 'VxWorks'],
  [/RouterOS/i, 'RouterOS'],
  [/FortiOS|FortiGate/i, 'FortiOS'],
];
const VENDOR_HINTS: ReadonlyArray<[RegExp, string]> = [
  [/Cisco/i, 'Cisco'],
  [/Juniper|JUNOS/i, 'Juniper Networks'],
  [/SIMATIC|SCALANCE|Siemens/i, 'Siemens'],
  [/Hirschmann/i, 'Hirschmann'],
  [/Moxa/i, 'Moxa'],
  [/Schneider|Modicon/i, 'Schneider Electric'],
  [/Rockwell|Allen-Bradley|Stratix/i, 'Rockwell Automation/Allen-Bradley'],
  [/Phoenix Contact/i, 'Phoenix Contact'],
  [/Hewlett|ProCurve|Aruba/i, 'Hewlett-Packard'],
  [/MikroTik|RouterOS/i, 'MikroTik'],
];

const DEFAULT_COMMUNITIES = ['public', 'private'];

function kindOf(pduType: number): OperationKind {
  switch (pduType) {
    case 0:
    case 1:
    case 5:
      return 'read';
    case 3:
      return 'write';
    default:
      return 'other';
  }
}

function versionName(v: number): string {
  return v === 0 ? '1' : v === 1 ? '2c' : v === 3 ? '3' : String(v);
}

export class SnmpSession implements FlowAnalyzer {
  private readonly ev: FlowEvents;
  private readonly msg = new SnmpMessage();
  /** requests awaiting a response, by direction|request-id (Map keeps insertion order for the cap) */
  private readonly pending = new Map<string, OperationEvent>();
  private firstMessage = true;
  private encryptedReported = false;

  constructor(private readonly ctx: AnalyzerContext) {
    this.ev = new FlowEvents(ctx, 'snmp', IT_SESSION_LIMITS);
  }

  onData(dir: Dir, buf: Buffer, off: number, len: number, meta: PacketMeta): void {
    this.ev.meta = meta;
    const m = parseSnmp(buf, off, len, this.msg);
    if (!m.ok) {
      this.ev.anomaly(dir, 'malformed', m.version < 0 ? 'not a BER SNMP message' : `undecodable SNMP v${versionName(m.version)} message`);
      return;
    }
    this.ctx.count('snmp.messages');
    if (this.firstMessage) {
      this.firstMessage = false;
      // A flow first seen with a response was guessed the wrong way round.
      if (m.pduType === 2 && this.ctx.flow.sidesGuessed) {
        this.ctx.swapSides();
        this.ev.swapped();
        dir = dir === Dir.ToServer ? Dir.ToClient : Dir.ToServer;
      } else if (m.pduType === 0 || m.pduType === 1 || m.pduType === 3 || m.pduType === 5) {
        this.ctx.confirmSides();
      }
    }
    const sender: Side = dir === Dir.ToServer ? 'client' : 'server';
    const receiver: Side = dir === Dir.ToServer ? 'server' : 'client';
    if (m.encrypted) {
      this.ctx.count('snmp.v3-encrypted');
      if (!this.encryptedReported) {
        this.encryptedReported = true;
        const e = this.ev.operation(dir, 'other', 3, 'snmpv3_encrypted_pdu', 'unknown');
        e.attributes = { version: '3', user: this.user(buf) };
        this.ev.emit(e);
      }
      return;
    }
    const type = m.pduType;
    // Who is the agent: the target of a request, the sender of a response, trap, inform or report.
    const agent: Side = type === 0 || type === 1 || type === 3 || type === 5 ? receiver : sender;
    this.ev.fact(agent, 'role-hint', 'snmp-agent', 0.9);
    if (m.version !== 3) this.communityFact(buf, agent, m);
    if (type === 2 || type === 8) {
      this.onResponse(dir, buf, m);
      return;
    }
    const e = this.ev.operation(dir, kindOf(type), type, PDU_NAMES[type]!, type === 4 || type === 7 ? 'unknown' : 'no-response');
    if (m.varbindCount > 0) {
      const first = m.varbinds[0]!;
      e.object = oidText(buf, first.oidOff, first.oidLen);
    }
    e.quantity = m.varbindCount;
    e.attributes = { version: versionName(m.version) };
    if (m.version === 3) e.attributes.user = this.user(buf);
    if (type === 3) e.detail = 'configuration';
    if (type === 4) e.subCode = m.genericTrap;
    if (type === 4 || type === 7) {
      this.ev.emit(e);
      return;
    }
    const key = `${dir}|${m.requestId}`;
    const previous = this.pending.get(key);
    if (previous) {
      // Retransmission of the same request-id: report the first one unanswered.
      this.pending.delete(key);
      this.ev.emit(previous);
      this.ctx.count('snmp.retransmissions');
    }
    if (this.pending.size >= this.ctx.maxPendingTransactions) {
      const [oldestKey, oldest] = this.pending.entries().next().value as [string, OperationEvent];
      this.pending.delete(oldestKey);
      this.ev.anomaly(dir, 'transaction-cap', 'pending SNMP requests over the cap');
      this.ev.emit(oldest);
    }
    this.pending.set(key, e);
  }

  onGap(): void {
    // UDP: no gaps.
  }

  onClose(): void {
    for (const e of this.pending.values()) this.ev.emit(e);
    this.pending.clear();
  }

  private onResponse(dir: Dir, buf: Buffer, m: SnmpMessage): void {
    const key = `${dir === Dir.ToServer ? Dir.ToClient : Dir.ToServer}|${m.requestId}`;
    const e = this.pending.get(key);
    if (e) {
      this.pending.delete(key);
      const ok = m.errorStatus === 0 && m.pduType === 2;
      if (m.pduType === 8) this.ev.complete(e, false, 0, 'report');
      else this.ev.complete(e, ok, m.errorStatus, ok ? undefined : ERROR_STATUS_NAMES[m.errorStatus] ?? `error_${m.errorStatus}`);
      this.ev.emit(e);
    } else {
      this.ctx.count('snmp.unexpected-response');
    }
    if (m.errorStatus === 0) this.systemFacts(dir === Dir.ToServer ? 'client' : 'server', buf, m);
  }

  private systemFacts(responder: Side, buf: Buffer, m: SnmpMessage): void {
    const n = m.varbindCount < m.varbinds.length ? m.varbindCount : m.varbinds.length;
    for (let i = 0; i < n; i++) {
      const vb = m.varbinds[i]!;
      if (oidEquals(buf, vb.oidOff, vb.oidLen, OID_SYS_DESCR) && vb.valueTag === 0x04) {
        const descr = printable(buf, vb.valueOff, vb.valueLen, 200).replace(/\s+/g, ' ').trim();
        if (descr === '') continue;
        this.ev.fact(responder, 'software', descr, 0.9);
        const os = OS_HINTS.find(([re]) => re.test(descr));
        if (os) this.ev.fact(responder, 'os', os[1], 0.7);
        const vendor = VENDOR_HINTS.find(([re]) => re.test(descr));
        if (vendor) this.ev.fact(responder, 'vendor', vendor[1], 0.6);
      } else if (oidEquals(buf, vb.oidOff, vb.oidLen, OID_SYS_OBJECT_ID) && vb.valueTag === 0x06) {
        const oid = oidText(buf, vb.valueOff, vb.valueLen);
        const m2 = /^1\.3\.6\.1\.4\.1\.(\d+)(?:\.|$)/.exec(oid);
        if (!m2) continue;
        const vendor = ENTERPRISE_VENDORS[Number(m2[1])];
        if (vendor) this.ev.fact(responder, 'vendor', vendor, 0.8);
        this.ev.fact(responder, 'product-code', oid, 0.6);
      } else if (oidEquals(buf, vb.oidOff, vb.oidLen, OID_SYS_NAME) && vb.valueTag === 0x04) {
        const name = printable(buf, vb.valueOff, vb.valueLen, 128);
        if (name !== '') this.ev.fact(responder, 'hostname', name, 0.9);
      }
    }
  }

  /** The community itself never leaves this function: only its length and whether it is a known default. */
  private communityFact(buf: Buffer, agent: Side, m: SnmpMessage): void {
    let fallback = 'no';
    for (const d of DEFAULT_COMMUNITIES) {
      if (m.communityLen === d.length && buf.toString('latin1', m.communityOff, m.communityOff + m.communityLen) === d) fallback = `yes ('${d}')`;
    }
    this.ev.fact(agent, 'credential', `snmp v${versionName(m.version)} community (cleartext, ${m.communityLen} chars, default: ${fallback})`, 0.9);
  }

  private user(buf: Buffer): string {
    return printable(buf, this.msg.userOff, this.msg.userLen, 64);
  }
}
