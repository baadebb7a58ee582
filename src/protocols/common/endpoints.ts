import type { Endpoint } from '../../events/types.js';
import type { FlowInfo } from '../analyzer.js';

/** The flow's two endpoints as event Endpoints, built once per flow (events share them; never mutate). */
export function flowEndpoints(flow: FlowInfo): { client: Endpoint; server: Endpoint } {
  const client: Endpoint = { ip: flow.clientIp, port: flow.clientPort };
  const server: Endpoint = { ip: flow.serverIp, port: flow.serverPort };
  if (flow.clientMac) client.mac = flow.clientMac;
  if (flow.serverMac) server.mac = flow.serverMac;
  return { client, server };
}
