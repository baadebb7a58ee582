/**
 * net.new-device: a device announced itself (gratuitous ARP) on a segment that holds OT devices and had not
 * been seen before the announcement — it joined the network during the capture. (With a learned baseline this
 * becomes "not in the baseline"; see docs/detection.md.)
 */
import type { OperationEvent } from '../../events/types.js';
import { INDUSTRIAL_PROTOCOLS } from '../model.js';
import type { HitRecorder, RuleFactory } from '../types.js';

function subnet24(ip: string): string {
  const i = ip.lastIndexOf('.');
  return i < 0 ? ip : ip.slice(0, i);
}

export const netNewDevice: RuleFactory = (ctx) => {
  const id = 'net.new-device';
  // RFC 5227: probes and announcements take up to ~10 s; traffic earlier than that means the device was already there.
  const graceSec = ctx.tune(id, 'graceSec', 30);
  return {
    meta: {
      id,
      title: 'New device on an OT segment',
      category: 'asset-change',
      severity: 'medium',
      mitre: { ics: ['T0864', 'T0848'], enterprise: ['T1200'] },
      explanation: 'A device that had not been seen before announced itself on a network segment with controllers. Unknown devices on OT segments are transient laptops, rogue hardware or an intruder\'s foothold.',
      recommendation: 'Identify the device (switch port, owner) and remove it unless it is an approved addition; then add it to the inventory.',
    },
    subscribe: { operations: { protocols: ['arp'] } },
    onOperation(e: OperationEvent, file: string, hits: HitRecorder): void {
      if (e.codeName !== 'gratuitous_arp') return;
      const mac = typeof e.attributes?.new_mac === 'string' ? e.attributes.new_mac : (e.src.mac ?? '');
      const ip = typeof e.attributes?.ip === 'string' ? e.attributes.ip : '';
      const d = hits.hit(mac, e.ts, { ip, mac }, null, e, file);
      if (d && d.count === 1) d.details.announced_ip = ip;
    },
    assess(d, model): boolean {
      const asset = model.asset(d.srcIp, d.srcMac);
      if (asset !== undefined && Date.parse(asset.firstSeen) / 1000 < d.first - graceSec) return false; // seen before: a rejoin
      const net = subnet24(d.srcIp ?? '');
      const zone = model.zoneOf(d.srcIp);
      const otSegment = zone?.purdueLevel != null
        ? zone.purdueLevel <= 2
        : model.assets.some((a) => a !== asset && model.isOtDevice(a) && a.ips.some((ip) => subnet24(ip) === net));
      if (!otSegment) return false;
      // Target: the first OT device it talked to.
      if (asset) {
        const firstOt = model.communications
          .filter((c) => c.src === asset.id && (INDUSTRIAL_PROTOCOLS.has(c.protocol) || model.isOtDevice(model.assetById(c.dst))))
          .sort((a, b) => (a.firstSeen < b.firstSeen ? -1 : 1))[0];
        const t = firstOt ? model.assetById(firstOt.dst) : undefined;
        if (t) {
          d.dstIp = t.ips[0] ?? null;
          d.dstMac = t.mac;
          d.notes.push(`It then talked ${firstOt!.protocol} to ${t.hostnames[0] ?? t.ips[0] ?? t.id}.`);
        }
        if (asset.vendor) d.details.vendor = asset.vendor;
      }
      return true;
    },
  };
};
