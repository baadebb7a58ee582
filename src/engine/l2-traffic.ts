/**
 * Aggregates non-IP Ethernet traffic (PROFINET RT, LLDP, STP, GOOSE, ...) per (source MAC, destination MAC,
 * EtherType) with numeric keys, so that cyclic L2 frames cost a few map lookups and no strings. The inventory
 * receives the aggregates once, at the end of each capture.
 */
import { macToString } from '../util/addr.js';

export interface L2Aggregate {
  srcMac: number;
  dstMac: number;
  etherType: number;
  packets: number;
  bytes: number;
  firstSeen: number;
  lastSeen: number;
  next: L2Aggregate | undefined;
}

export class L2Traffic {
  private readonly bySource = new Map<number, Map<number, L2Aggregate>>();
  private entries = 0;
  /** Times a new aggregate was refused because the table was full. */
  capHits = 0;

  constructor(private readonly maxEntries = 100_000) {}

  add(srcMac: number, dstMac: number, etherType: number, bytes: number, ts: number): void {
    let byPeer = this.bySource.get(srcMac);
    if (byPeer === undefined) {
      if (this.entries >= this.maxEntries) {
        this.capHits++;
        return;
      }
      byPeer = new Map();
      this.bySource.set(srcMac, byPeer);
    }
    // Keyed by destination MAC; the rare pair that speaks several EtherTypes chains through `next`.
    const head = byPeer.get(dstMac);
    let agg = head;
    while (agg !== undefined && agg.etherType !== etherType) agg = agg.next;
    if (agg === undefined) {
      if (this.entries >= this.maxEntries) {
        this.capHits++;
        return;
      }
      agg = { srcMac, dstMac, etherType, packets: 0, bytes: 0, firstSeen: ts, lastSeen: ts, next: head };
      byPeer.set(dstMac, agg);
      this.entries++;
    }
    agg.packets++;
    agg.bytes += bytes;
    if (ts < agg.firstSeen) agg.firstSeen = ts;
    if (ts > agg.lastSeen) agg.lastSeen = ts;
  }

  /** Hands every aggregate over (MACs as text) and empties the table. */
  drain(consume: (src: string, dst: string, etherType: number, packets: number, bytes: number, first: number, last: number) => void): void {
    for (const byPeer of this.bySource.values()) {
      for (const head of byPeer.values()) {
        for (let a: L2Aggregate | undefined = head; a !== undefined; a = a.next) consume(macToString(a.srcMac), macToString(a.dstMac), a.etherType, a.packets, a.bytes, a.firstSeen, a.lastSeen);
      }
    }
    this.bySource.clear();
    this.entries = 0;
  }
}
