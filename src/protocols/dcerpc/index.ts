import { Dir, Probe, type AnalyzerContext, type AnalyzerSpec, type FlowAnalyzer, type PacketMeta } from '../analyzer.js';
import { flowEndpoints } from '../common/endpoints.js';
import { DceRpcConnection, PDU_HEADER, PTYPE, frameDcerpc, type RpcCarrier } from './connection.js';

/**
 * A CO PDU header whose declared length is consistent. A client's first PDU is a bind (or alter_context);
 * anything else that frames cleanly is only a 'maybe' (mid-connection capture), left to port 135 to decide.
 */
export function probeDcerpc(buf: Buffer, off: number, len: number, dir: Dir): Probe {
  const n = frameDcerpc(buf, off, len);
  if (n < 0) return Probe.No;
  if (len < PDU_HEADER) return Probe.NeedMore;
  const ptype = buf[off + 2]!;
  const first = ptype === PTYPE.BIND || ptype === PTYPE.ALTER_CONTEXT ? dir === Dir.ToServer : ptype === PTYPE.BIND_ACK && dir === Dir.ToClient;
  return first ? Probe.Yes : Probe.Maybe;
}

/** DCE/RPC directly over TCP (endpoint mapper on 135, dynamic endpoints). */
export class DcerpcTcpSession implements FlowAnalyzer {
  private readonly carrier: RpcCarrier;
  private readonly connection: DceRpcConnection;

  constructor(ctx: AnalyzerContext) {
    const { client, server } = flowEndpoints(ctx.flow);
    this.carrier = { meta: { frame: 0, ts: 0 }, client, server };
    this.connection = new DceRpcConnection(ctx, this.carrier, '');
  }

  onData(dir: Dir, buf: Buffer, off: number, len: number, meta: PacketMeta): void {
    this.carrier.meta = meta;
    this.connection.feed(dir, buf, off, len);
  }

  onGap(dir: Dir, _bytes: number, meta: PacketMeta): void {
    this.carrier.meta = meta;
    this.connection.gap(dir);
  }

  onClose(meta: PacketMeta): void {
    this.carrier.meta = meta;
    this.connection.close();
  }
}

export const dcerpcSpec: AnalyzerSpec = {
  name: 'dcerpc',
  transports: ['tcp'],
  ports: [135, 593],
  probe: probeDcerpc,
  create: (ctx) => new DcerpcTcpSession(ctx),
};
