/**
 * net.internet-exposure: traffic between an OT asset and a public Internet address. Inbound to an industrial
 * service is critical (the device is reachable from the Internet); an OT device reaching out is high; a host
 * that drives controllers (HMI/EWS/SCADA) reaching the Internet is medium. Unanswered inbound attempts are low.
 */
import { isPublicIp } from '../../util/addr.js';
import type { FlowLike, HitRecorder, RuleFactory } from '../types.js';
import { describe } from './common.js';

/** `list.split(',').includes(item)` without the array: runs for every outbound flow of a local host. */
export function csvIncludes(list: string, item: string): boolean {
  for (let start = 0; ; ) {
    let end = list.indexOf(',', start);
    if (end < 0) end = list.length;
    if (end - start === item.length && list.startsWith(item, start)) return true;
    if (end === list.length) return false;
    start = end + 1;
  }
}

export const netInternetExposure: RuleFactory = () => ({
  meta: {
    id: 'net.internet-exposure',
    title: 'OT asset communicating with the Internet',
    category: 'exposure',
    severity: 'high',
    mitre: { ics: ['T0883', 'T0822'], enterprise: ['T1133', 'T1190'] },
    explanation: 'An OT asset exchanged traffic with a public Internet address. OT devices should be reachable only through the DMZ, never directly from or to the Internet.',
    recommendation: 'Block the path at the perimeter firewall, find out why the asset is reachable (port forward, cellular modem, VPN) and check the asset for compromise.',
  },
  subscribe: { flows: true },
  onFlow(f: FlowLike, file: string, hits: HitRecorder): void {
    const clientPublic = isPublicIp(f.clientIp);
    const serverPublic = isPublicIp(f.serverIp);
    if (clientPublic === serverPublic) return;
    // Inbound: one alert per exposed service; outbound: one per local host (count = flows, details = peers).
    const key = clientPublic ? `${f.clientIp}|${f.serverIp}|${f.protocol}|${f.serverPort}` : `${f.clientIp}|outbound`;
    const d = hits.hit(key, f.firstSeen, { ip: f.clientIp, mac: f.clientMac }, { ip: f.serverIp, mac: f.serverMac }, f, file);
    if (d === null) return;
    if (!clientPublic) {
      const peers = (d.details.peers as string | undefined) ?? '';
      if (!csvIncludes(peers, f.serverIp) && peers.length < 400) d.details.peers = peers ? `${peers},${f.serverIp}` : f.serverIp;
    }
    if (d.count === 1) {
      d.details.direction = clientPublic ? 'inbound' : 'outbound';
      d.details.protocol = f.protocol;
      d.details.port = f.serverPort;
      d.details.answered = false;
    }
    if ((f.packetsToClient ?? 1) > 0 && f.tcpState !== 'rejected' && f.tcpState !== 'syn-only') d.details.answered = true;
    if (f.payloadToServer !== undefined) d.details.bytes_to_server = ((d.details.bytes_to_server as number | undefined) ?? 0) + f.payloadToServer;
  },
  assess(d, model): boolean {
    const inbound = d.details.direction === 'inbound';
    const local = inbound ? model.asset(d.dstIp, d.dstMac) : model.asset(d.srcIp, d.srcMac);
    const localIp = inbound ? d.dstIp : d.srcIp;
    if (model.isOtDevice(local)) {
      d.severity = inbound ? (d.details.answered ? 'critical' : 'low') : 'high';
      d.notes.push(`${describe(local, localIp)} is an OT device${inbound ? ' reached from the Internet' : ' talking to the Internet'}.`);
    } else if (model.isOtAsset(local) || model.isIndustrialClient(local)) {
      d.severity = inbound ? (d.details.answered ? 'high' : 'low') : 'medium';
      d.notes.push(`${describe(local, localIp)} drives controllers (it uses industrial protocols).`);
    } else {
      return false;
    }
    if (inbound && !d.details.answered) d.notes.push('The device did not answer.');
    return true;
  },
});
