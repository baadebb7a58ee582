/**
 * net.internet-exposure: traffic between an OT asset and a public Internet address. Inbound to an industrial
 * service is critical (the device is reachable from the Internet); an OT device reaching out is high; a host
 * that drives controllers (HMI/EWS/SCADA) reaching the Internet is medium. Unanswered inbound attempts are low.
 */
import { isPublicIp } from '../../util/addr.js';
import type { AlertDraft, FlowLike, HitRecorder, RuleFactory } from '../types.js';
import { memoByText } from '../../util/memo.js';
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

/** An outbound alert's draft, and the peer last added to its list. */
interface Outbound {
  draft: AlertDraft;
  lastPeer: string;
}

/** The Internet peers of an outbound alert: a comma-separated list of about 400 characters at most. */
function addPeer(d: AlertDraft, peer: string): void {
  const peers = (d.details.peers as string | undefined) ?? '';
  if (!csvIncludes(peers, peer) && peers.length < 400) d.details.peers = peers ? `${peers},${peer}` : peer;
}

/** Addresses whose isPublicIp() answer a rule instance remembers; past it the memo starts over (no result changes). */
const MAX_REMEMBERED_ADDRESSES = 4096;

export const netInternetExposure: RuleFactory = () => {
  // Runs for every flow. The addresses of the last flow and whether they are public: a host's flows come in
  // runs (a client's DNS queries, a poller's connections), and the address strings repeat.
  let lastClientIp = '';
  let lastClientPublic = false;
  let lastServerIp = '';
  let lastServerPublic = false;
  // The outbound draft of each local host that has one, by address: no key string per flow once the alert
  // exists (drafts of this rule are never dropped during the pass, so the map and the recorder agree).
  const outboundByHost = new Map<string, Outbound>();
  // Interleaved clients defeat the last-address check; a plant has a few hundred addresses, each parsed once.
  const isPublic = memoByText(isPublicIp, MAX_REMEMBERED_ADDRESSES);
  return {
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
      if (f.clientIp !== lastClientIp) {
        lastClientPublic = isPublic(f.clientIp);
        lastClientIp = f.clientIp;
      }
      if (f.serverIp !== lastServerIp) {
        lastServerPublic = isPublic(f.serverIp);
        lastServerIp = f.serverIp;
      }
      const clientPublic = lastClientPublic;
      if (clientPublic === lastServerPublic) return;
      // Inbound: one alert per exposed service; outbound: one per local host (count = flows, details = peers).
      const outbound = clientPublic ? undefined : outboundByHost.get(f.clientIp);
      let d: AlertDraft | null;
      if (outbound !== undefined) {
        d = hits.again(outbound.draft, f.firstSeen, f, file);
        // The peer of the host's last flow is already listed (or the list was full and still is).
        if (f.serverIp !== outbound.lastPeer) {
          addPeer(d, f.serverIp);
          outbound.lastPeer = f.serverIp;
        }
      } else {
        const key = clientPublic ? `${f.clientIp}|${f.serverIp}|${f.protocol}|${f.serverPort}` : `${f.clientIp}|outbound`;
        d = hits.hit(key, f.firstSeen, { ip: f.clientIp, mac: f.clientMac }, { ip: f.serverIp, mac: f.serverMac }, f, file);
        if (d === null) return;
        if (!clientPublic) {
          addPeer(d, f.serverIp);
          outboundByHost.set(f.clientIp, { draft: d, lastPeer: f.serverIp });
        }
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
  };
};
