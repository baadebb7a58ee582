import type { Endpoint } from '../../events/types.js';
import type { FlowInfo } from '../analyzer.js';

/**
 * A FlowInfo that already holds its sides as event Endpoints (the flow table's context builds them once for the
 * flow's 'protocol' event): analyzers' events reuse those objects instead of building their own per flow.
 */
export interface EventEndpointSource {
  /** The client's (client = true) or the server's Endpoint as events carry it; shared, never mutate. */
  eventEndpoint(client: boolean): Endpoint;
}

/** The client's (or server's) Endpoint for events, shared with the flow when it has them (never mutate). */
export function eventEndpointOf(flow: FlowInfo, client: boolean): Endpoint {
  const source = flow as FlowInfo & Partial<EventEndpointSource>;
  if (source.eventEndpoint !== undefined) return source.eventEndpoint(client);
  const endpoint: Endpoint = client ? { ip: flow.clientIp, port: flow.clientPort } : { ip: flow.serverIp, port: flow.serverPort };
  const mac = client ? flow.clientMac : flow.serverMac;
  if (mac) endpoint.mac = mac;
  return endpoint;
}

/** The flow's two endpoints as event Endpoints, built once per flow (events share them; never mutate). */
export function flowEndpoints(flow: FlowInfo): { client: Endpoint; server: Endpoint } {
  return { client: eventEndpointOf(flow, true), server: eventEndpointOf(flow, false) };
}
