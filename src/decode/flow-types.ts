/**
 * What the flow layer reports when a flow ends. One summary per flow; the inventory, communications map and
 * report consume these (never per-packet state).
 */
import type { ProtocolName } from '../events/types.js';

export type FlowTransport = 'tcp' | 'udp' | 'icmp' | 'other';
export type FlowVisibility = 'clear' | 'opaque' | 'none';
export type TcpFlowState = 'syn-only' | 'rejected' | 'established' | 'closed' | 'reset' | 'midstream' | 'none';
/**
 * - closed: TCP FIN both ways or RST (after the short closed timeout, or when the 5-tuple was reused)
 * - timeout: idle longer than the transport's idle timeout (packet time)
 * - evicted: removed to stay within maxFlows
 * - end-of-capture: still open when the input ended (flushAll)
 */
export type FlowEndReason = 'closed' | 'timeout' | 'evicted' | 'end-of-capture';

export interface FlowSummary {
  /** unique per FlowTable, also the flowId carried by the flow's events */
  id: number;
  /** capture the flow's first packet came from */
  captureIndex: number;
  transport: FlowTransport;
  ipProto: number;
  ipVersion: 4 | 6;
  vlan: number;
  clientIp: string;
  serverIp: string;
  /** 0 for transports without ports */
  clientPort: number;
  serverPort: number;
  /** aa:bb:cc:dd:ee:ff, '' when the frames carried no Ethernet header */
  clientMac: string;
  serverMac: string;
  /** the claimed application protocol, else 'tcp' / 'udp' / 'icmp' / 'icmpv6' / 'igmp' / 'ip' */
  protocol: ProtocolName;
  /** clear = decoded by an analyzer; opaque = recognised by port only; none = unclaimed */
  visibility: FlowVisibility;
  claimedBy: 'probe' | 'port' | null;
  /** epoch seconds (float) */
  firstSeen: number;
  /** frame number (in capture `captureIndex`) of the flow's first packet: the evidence pointer for flow alerts */
  firstFrame: number;
  lastSeen: number;
  packetsToServer: number;
  packetsToClient: number;
  /** captured frame bytes on the wire (DecodedPacket.wireLen) */
  bytesToServer: number;
  bytesToClient: number;
  /** transport payload bytes as seen on the wire (retransmissions included) */
  payloadToServer: number;
  payloadToClient: number;
  tcpState: TcpFlowState;
  /** true when client/server were decided by a port heuristic rather than the handshake or content */
  sidesGuessed: boolean;
  /** IP TTL / hop limit of the first packet from each side, 0 when that side sent nothing */
  clientTtl: number;
  serverTtl: number;
  endReason: FlowEndReason;
}
