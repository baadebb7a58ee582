/**
 * Capture input contract shared by the pcap and pcapng readers.
 *
 * Readers are streaming and zero-copy: the record handed to the callback is one reused object whose `data`
 * is a view into the reader's current chunk. It is valid only for the duration of the callback; anything a
 * consumer keeps must be copied (and consumers on the hot path keep nothing).
 */

/** LINKTYPE_* values from the tcpdump registry that the decoder understands. */
export const LinkType = {
  NULL: 0, // BSD loopback: 4-byte host-order address family
  ETHERNET: 1,
  RAW: 101, // raw IPv4 or IPv6 (version nibble decides)
  LOOP: 108, // OpenBSD loopback: 4-byte network-order address family
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

export interface PacketRecord {
  /** 1-based frame number within the capture file, as tshark numbers frames. */
  frame: number;
  /** Timestamp: whole seconds since the epoch (UTC) and the nanoseconds within that second. */
  tsSec: number;
  tsNsec: number;
  /** LINKTYPE of the interface the packet was captured on. */
  linkType: number;
  /** pcapng interface id (0 for pcap). */
  interfaceId: number;
  /**
   * The reader's buffer holding the packet at buf[offset .. offset + capLen). The hot path reads the packet
   * in place through these (no view object per packet); `data` makes a view on demand for everyone else.
   * Records built by hand (tests) may give only `data`.
   */
  buf?: Buffer;
  offset?: number;
  /** The captured bytes as a view (length === capLen), created when asked for. */
  readonly data: Buffer;
  capLen: number;
  /** Length on the wire (may exceed capLen when a snaplen cut the packet). */
  origLen: number;
}

export type CaptureFormat = 'pcap' | 'pcapng';

export interface InterfaceInfo {
  id: number;
  linkType: number;
  snapLen: number;
  name?: string;
  description?: string;
  /** Timestamp resolution in ticks per second (pcapng if_tsresol, default 1e6). */
  tsResolution: number;
  /** pcapng if_tsoffset in seconds. */
  tsOffset: number;
  /** Counters from the last Interface Statistics Block, when present. */
  stats?: { received?: number; dropped?: number; filterAccepted?: number; osDropped?: number; delivered?: number };
}

export interface CaptureSummary {
  file: string;
  format: CaptureFormat;
  compressed: boolean;
  /** Distinct link types of the packets (not of the declared interfaces). */
  linkTypes: number[];
  interfaces: InterfaceInfo[];
  sections: number;
  packets: number;
  /** Sum of captured lengths. */
  bytes: number;
  /** Bytes of the file consumed (compressed size when gzip; used for progress). */
  fileBytesRead: number;
  firstSeen: number | null; // epoch seconds (float)
  lastSeen: number | null;
  /** Name resolution records (pcapng NRB): address -> names. */
  names: Record<string, string[]>;
  counters: {
    unknownBlocks: number;
    unknownLinkTypePackets: number;
    oversizedRecords: number;
    badBlocks: number;
  };
  /** Human-readable warnings: truncated tail, corrupt block, unknown link type, ... */
  warnings: string[];
  /** True when the reader stopped before the end of the file because of damage. */
  truncated: boolean;
}

/** The input is not a capture at all, or cannot be opened: the CLI reports it in one line and exits 2. */
export class CaptureInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CaptureInputError';
  }
}

export interface ReadOptions {
  /** Called every ~chunk with the number of input bytes consumed so far (compressed bytes for gzip). */
  onProgress?: (fileBytesRead: number) => void;
  /** Stop after this many packets (0 = no limit). */
  maxPackets?: number;
}

export type PacketCallback = (record: PacketRecord) => void;

/** The reusable record readers hand out: `data` is built from buf/offset only when a consumer reads it. */
export class MutablePacketRecord implements PacketRecord {
  frame = 0;
  tsSec = 0;
  tsNsec = 0;
  linkType = 0;
  interfaceId = 0;
  buf: Buffer = Buffer.alloc(0);
  offset = 0;
  capLen = 0;
  origLen = 0;
  get data(): Buffer {
    return this.buf.subarray(this.offset, this.offset + this.capLen);
  }
}
