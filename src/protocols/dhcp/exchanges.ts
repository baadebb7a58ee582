/**
 * DHCP transactions span flows: a client without an address broadcasts (0.0.0.0:68 → 255.255.255.255:67) and
 * the server answers on another 5-tuple (server:67 → broadcast or yiaddr:68); DHCPv6 likewise (client →
 * ff02::1:2, server → client's link-local). So the exchange table is shared by all DHCP flows of one analysis
 * (keyed by its event sink, which is one object per analysis) and pairs messages by transaction id + client.
 *
 * An exchange is emitted when the server's final answer arrives, when the flow that opened it closes, when a
 * new exchange with the same key starts after `staleAfterSec`, or when the table cap pushes it out (counted).
 */
import type { EventSink, OperationEvent } from '../../events/types.js';

export interface Exchange {
  key: string;
  event: OperationEvent;
  /** the session that opened it: its close flushes the exchange */
  owner: object;
  /** packet time of the last message */
  lastTs: number;
  /** message-type names in order (bounded) */
  messages: string[];
  /** facts learned from the client, re-emitted about the leased address once known */
  hostname: string;
  clientMac: string;
}

export const MAX_MESSAGES_PER_EXCHANGE = 8;

export interface ExchangeLimits {
  /** exchanges awaiting their final answer, over all flows of the analysis */
  maxExchanges: number;
  /** an exchange idle this long is finished (no-response) when its key is used again */
  staleAfterSec: number;
}

export const DEFAULT_EXCHANGE_LIMITS: ExchangeLimits = { maxExchanges: 4096, staleAfterSec: 120 };

export class ExchangeTable {
  private readonly open = new Map<string, Exchange>();

  constructor(
    private readonly sink: EventSink,
    readonly limits: ExchangeLimits = DEFAULT_EXCHANGE_LIMITS,
  ) {}

  get size(): number {
    return this.open.size;
  }

  get(key: string, ts: number): Exchange | undefined {
    const x = this.open.get(key);
    if (x !== undefined && ts - x.lastTs > this.limits.staleAfterSec) {
      this.finish(x);
      return undefined;
    }
    return x;
  }

  /** Adds an exchange; returns false when the cap pushed the oldest one out (the caller counts it). */
  add(x: Exchange): boolean {
    let capped = false;
    if (this.open.size >= this.limits.maxExchanges) {
      const oldest = this.open.values().next().value as Exchange;
      this.finish(oldest);
      capped = true;
    }
    this.open.set(x.key, x);
    return capped;
  }

  has(x: Exchange): boolean {
    return this.open.get(x.key) === x;
  }

  /** Removes the exchange and emits its event as it stands. */
  finish(x: Exchange): void {
    if (this.open.get(x.key) !== x) return;
    this.open.delete(x.key);
    this.sink.emit(x.event);
  }

  /** Emits every exchange opened by `owner` (its flow ended). */
  flushOwner(owner: object): void {
    for (const x of this.open.values()) if (x.owner === owner) this.finish(x);
  }
}

const familyTables = new WeakMap<EventSink, { v4: ExchangeTable | null; v6: ExchangeTable | null }>();

/**
 * The table shared by the DHCP (family 'v4') or DHCPv6 ('v6') flows of the analysis that owns `sink`; one per
 * family so that one cannot starve the other's cap.
 */
export function sharedExchanges(sink: EventSink, family: 'v4' | 'v6'): ExchangeTable {
  let byFamily = familyTables.get(sink);
  if (byFamily === undefined) familyTables.set(sink, (byFamily = { v4: null, v6: null }));
  let table = byFamily[family];
  if (table === null) byFamily[family] = table = new ExchangeTable(sink);
  return table;
}
