/**
 * PROFINET: one L2 analyzer for EtherType 0x8892 (DCP exchanges, RT cyclic counting, RTA alarms) and the
 * PN-IO CM flow analyzer for DCE/RPC on UDP 34964.
 */
import type { DecodedPacket } from '../../decode/packet.js';
import type { AnalyzerSpec } from '../analyzer.js';
import type { L2Analyzer, L2Context } from '../l2.js';
import { DEFAULT_DCP_OPTIONS, DcpTracker, type DcpOptions } from './dcp.js';
import { DEFAULT_RT_OPTIONS, RtCounter, type RtOptions } from './rt.js';
import { PnioCallTable, PnioCmSession, probePnioCm } from './cm.js';
import { ETHERTYPE_PROFINET, FrameClass, PNIO_CM_PORT, frameClass } from './names.js';

export type ProfinetOptions = DcpOptions & RtOptions;

export class ProfinetL2Analyzer implements L2Analyzer {
  readonly name = 'profinet-rt' as const;
  readonly etherTypes: readonly number[] = [ETHERTYPE_PROFINET];
  readonly dcp: DcpTracker;
  readonly rt: RtCounter;

  constructor(options: Partial<ProfinetOptions> = {}) {
    const dcp = { ...DEFAULT_DCP_OPTIONS, ...options };
    this.dcp = new DcpTracker(dcp);
    this.rt = new RtCounter({ ...DEFAULT_RT_OPTIONS, ...options }, (mac) => this.dcp.ipOf(mac));
  }

  onFrame(pkt: DecodedPacket, ctx: L2Context): void {
    const off = pkt.l2PayloadOff;
    const len = Math.min(pkt.l2PayloadLen, pkt.raw.length - off);
    if (len < 2 || off < 0) {
      ctx.count('profinet-rt.truncated');
      return;
    }
    const buf = pkt.raw;
    const frameId = (buf[off]! << 8) | buf[off + 1]!;
    const cls = frameClass(frameId);
    if (cls === FrameClass.DCP) {
      ctx.count('profinet-dcp.frames');
      this.dcp.onFrame(buf, off, len, pkt.srcMac, pkt.dstMac, pkt.frame, pkt.ts, ctx);
      return;
    }
    this.rt.onFrame(buf, off, len, cls, frameId, pkt.srcMac, pkt.dstMac, pkt.wireLen, pkt.frame, pkt.ts, ctx);
  }

  /**
   * End of a capture file: unanswered DCP requests become 'no-response' operations and each RT stream one
   * summary event. The L2 contract has no such hook yet; the engine should call this after each file.
   */
  onCaptureEnd(ctx: L2Context): void {
    this.dcp.flush(ctx);
    this.rt.flush(ctx);
  }
}

export function profinetL2Analyzer(options: Partial<ProfinetOptions> = {}): ProfinetL2Analyzer {
  return new ProfinetL2Analyzer(options);
}

/** A CM spec with its own call table (requests and responses of one call travel in different UDP flows). */
export function createPnioCmSpec(table: PnioCallTable = new PnioCallTable()): AnalyzerSpec {
  return {
    name: 'profinet-cm',
    transports: ['udp'],
    ports: [PNIO_CM_PORT],
    probe: probePnioCm,
    create: (ctx) => new PnioCmSession(ctx, table),
  };
}

/** Shared by analyses in one process; every call left in its table is reported and removed when its flow closes. */
export const pnioCmSpec: AnalyzerSpec = createPnioCmSpec();

export { DcpTracker, RtCounter, PnioCallTable, PnioCmSession, probePnioCm };
