/** net.arp-spoof: an IP address claimed by a second MAC while the first claim is fresh (arp analyzer 'ip_conflict'). */
import type { OperationEvent } from '../../events/types.js';
import type { HitRecorder, RuleFactory } from '../types.js';

const BROADCAST = 'ff:ff:ff:ff:ff:ff';

export const netArpSpoof: RuleFactory = () => ({
  meta: {
    id: 'net.arp-spoof',
    title: 'ARP spoofing (IP address claimed by another MAC)',
    category: 'mitm',
    severity: 'high',
    mitre: { ics: ['T0830', 'T0842'], enterprise: ['T1557.002'] },
    explanation: 'A second MAC address claimed an IP address that another device was using. Forged ARP replies redirect traffic through the attacker (man in the middle), who can then read or change process data.',
    recommendation: 'Locate the switch port of the new MAC and disconnect it if it is not the legitimate owner; consider static ARP entries or dynamic ARP inspection for controllers and gateways.',
  },
  subscribe: { operations: { protocols: ['arp'] } },
  onOperation(e: OperationEvent, file: string, hits: HitRecorder): void {
    if (e.codeName !== 'ip_conflict') return;
    const a = e.attributes;
    const ip = typeof a?.ip === 'string' ? a.ip : '';
    const newMac = typeof a?.new_mac === 'string' ? a.new_mac : (e.src.mac ?? '');
    const previous = typeof a?.previous_mac === 'string' ? a.previous_mac : '';
    const victimMac = e.dst.mac && e.dst.mac !== BROADCAST ? e.dst.mac : previous;
    const d = hits.hit(`${ip}|${newMac}`, e.ts, { ip: '', mac: newMac }, { ip: '', mac: victimMac }, e, file);
    if (d && d.count === 1) {
      d.details.claimed_ip = ip;
      d.details.new_mac = newMac;
      if (previous) d.details.previous_mac = previous;
    }
  },
  assess(d, model): void {
    // The attacker's own address, not the one it claims.
    const attacker = model.assetByMac(d.srcMac);
    d.srcIp = attacker?.ips.find((ip) => ip !== d.details.claimed_ip) ?? null;
    d.srcIpUnknown = true;
    const owner = model.assetByMac((d.details.previous_mac as string | undefined) ?? null);
    if (owner?.roles.includes('network-device')) d.notes.push(`${d.details.claimed_ip} belonged to a router/gateway: all of the segment's routed traffic can be intercepted.`);
    if (model.hasRole(owner, ['plc', 'rtu', 'ied']) || model.isOtDevice(model.asset(d.dstIp, d.dstMac))) d.severity = 'critical';
  },
});
