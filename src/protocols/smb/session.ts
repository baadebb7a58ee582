/**
 * Per-flow SMB state (TCP 445 direct, 139 NetBIOS session service): NBSS framing, SMB1 (AndX chains, Trans /
 * Trans2 / NT Trans), SMB2/3 (compound chains, async interim responses), NTLMSSP names from session setup,
 * tree and file-id tables (bounded) that turn ids into \\server\share\path objects, and named pipes whose
 * reads/writes/transceives feed a per-pipe DCE/RPC parser. Encrypted SMB3 (transform header) is counted and
 * reported opaque.
 */
import type { FactField, OperationEvent, OperationKind } from '../../events/types.js';
import { Dir, type AnalyzerContext, type FlowAnalyzer, type PacketMeta } from '../analyzer.js';
import { flowEndpoints } from '../common/endpoints.js';
import { DceRpcConnection, frameDcerpc, type RpcCarrier } from '../dcerpc/connection.js';
import { memoByText } from '../../util/memo.js';
import { NBSS, NbssFramer, type NbssReceiver } from './nbss.js';
import { mentionsKerberos, parseNtlmssp, utf16, type NtlmMessage } from './ntlmssp.js';
import {
  CREATE_DISPOSITIONS, FSCTL_NAMES, FSCTL_PIPE_TRANSCEIVE, NT_TRANS_FUNCTIONS, SMB1_COMMANDS, SMB1_KINDS,
  SMB2_COMMANDS, SMB2_DIALECTS, SMB2_KINDS, TRANS2_SUBCOMMANDS, TRANS_PIPE_FUNCTIONS, isSuccessStatus, statusName,
} from './names.js';

export interface SmbLimits {
  /** bytes of one SMB message parsed; the rest of a longer message (write/read data) is skipped unbuffered */
  maxParseBytes: number;
  /** open files remembered per flow (file id → name) */
  maxFiles: number;
  /** trees remembered per flow (tree id → \\server\share) */
  maxTrees: number;
  /** named pipes with a DCE/RPC parser per flow */
  maxPipes: number;
  /** commands followed in one SMB1 AndX chain / SMB2 compound */
  maxChain: number;
}

export const DEFAULT_SMB_LIMITS: SmbLimits = { maxParseBytes: 128 * 1024 + 512, maxFiles: 1024, maxTrees: 64, maxPipes: 32, maxChain: 16 };

const MAX_ANOMALY_EVENTS = 50;
/** distinct asset facts a session emits; past it new ones are dropped */
const MAX_FACTS = 256;
/** facts compared in place before the session keys them in a set */
const LINEAR_FACTS = 16;
const MAX_STRING_CHARS = 1024;
const SMB1_HEADER = 32;
const SMB2_HEADER = 64;
/** fixed parts (before the data buffer) of an SMB2 READ response and WRITE request */
const SMB2_READ_RESPONSE_FIXED = 16;
const SMB2_WRITE_FIXED = 48;
const SMB1_FLAGS_REPLY = 0x80;
const SMB1_FLAGS2_UNICODE = 0x8000;
const SMB2_FLAGS_RESPONSE = 0x1;
const SMB2_FLAGS_ASYNC = 0x2;
const SMB2_FLAGS_RELATED = 0x4;
const STATUS_PENDING = 0x103;
const FILE_DELETE_ON_CLOSE = 0x1000;
const FILE_RENAME_INFORMATION = 10;
const FILE_DISPOSITION_INFORMATION = 13;
const FILE_DISPOSITION_INFORMATION_EX = 64;
const TRANSACT_NMPIPE = 0x26;
const ANDX_COMMANDS = new Set([0x24, 0x2d, 0x2e, 0x2f, 0x73, 0x74, 0x75, 0xa2]);
const SMB1_DIALECTS_V1 = /^(PC NETWORK PROGRAM|MICROSOFT NETWORKS|LANMAN|LM1.2X002|DOS LANMAN|Samba|NT LANMAN|NT LM 0\.12|Windows for Workgroups)/;

interface OpenFile {
  path: string;
  /** the pipe's DCE/RPC parser, created when the first bytes written look like a DCE/RPC PDU */
  pipe: DceRpcConnection | null;
  /** on IPC$: 0 nothing seen yet, 1 DCE/RPC, 2 another pipe protocol (PsExec's own, LANMAN, ...) */
  pipeState: number;
  pipeName: string;
}

interface Pending1 {
  events: OperationEvent[];
  commands: number[];
  /** per command: the FID it read from / transacted on, the negotiate dialects, the tree path */
  fids: number[];
  dialects: string[] | null;
  tid: number;
}

interface Pending2 {
  event: OperationEvent;
  command: number;
  treeId: number;
  fileKey: number;
  /** create: the opened name (for the response's file id) */
  path: string;
}

function buildCodeName(version: 1 | 2, command: number): string {
  const name = version === 1 ? SMB1_COMMANDS[command] ?? `command_0x${command.toString(16)}` : SMB2_COMMANDS[command] ?? `command_${command}`;
  return `smb${version}_${name}`;
}

/** Event code names of the one-byte command codes, built once rather than per message. */
const CODE_NAMES_CACHED = 256;
const SMB1_CODE_NAMES: readonly string[] = Array.from({ length: CODE_NAMES_CACHED }, (_, c) => buildCodeName(1, c));
const SMB2_CODE_NAMES: readonly string[] = Array.from({ length: CODE_NAMES_CACHED }, (_, c) => buildCodeName(2, c));

function codeNameOf(version: 1 | 2, command: number): string {
  if (command >= 0 && command < CODE_NAMES_CACHED) return (version === 1 ? SMB1_CODE_NAMES : SMB2_CODE_NAMES)[command]!;
  return buildCodeName(version, command);
}

/** Out-parameter of the string readers (no allocation per call beyond the string itself). */
const cursor = { value: '', next: 0 };

export class SmbSession implements FlowAnalyzer, NbssReceiver {
  private readonly framers: [NbssFramer, NbssFramer];
  private readonly carrier: RpcCarrier;
  private anomalies = 0;
  // Per-dialect state, each Map made on first use: a session speaks SMB1 or SMB2, and many flows never open a
  // tree or a file, so most of these stay unmade.
  private pending1Map: Map<number, Pending1> | null = null;
  private pending2Map: Map<number, Pending2> | null = null;
  private trees1Map: Map<number, string> | null = null;
  private trees2Map: Map<number, string> | null = null;
  private files1Map: Map<number, OpenFile> | null = null;
  private files2Map: Map<number, OpenFile> | null = null;
  private get pending1(): Map<number, Pending1> {
    return (this.pending1Map ??= new Map());
  }
  private get pending2(): Map<number, Pending2> {
    return (this.pending2Map ??= new Map());
  }
  private get trees1(): Map<number, string> {
    return (this.trees1Map ??= new Map());
  }
  private get trees2(): Map<number, string> {
    return (this.trees2Map ??= new Map());
  }
  private get files1(): Map<number, OpenFile> {
    return (this.files1Map ??= new Map());
  }
  private get files2(): Map<number, OpenFile> {
    return (this.files2Map ??= new Map());
  }
  private pipes = 0;
  /**
   * Facts emitted, as ip, field, value triples compared in place while there are few (a session states a handful,
   * repeated by every session setup: no key string per fact); keyed in factsSeen past LINEAR_FACTS.
   */
  private factList: string[] | null = null;
  private factsSeen: Set<string> | null = null;
  private opaque = false;
  private sidesChecked = false;
  /** current message's direction, flipped for messages whose request/response flag contradicts the flow sides */
  private dir: Dir = Dir.ToServer;
  /** end of the parsed bytes of the current SMB1 message (pipe data never reads past it) */
  private msgEnd = 0;

  constructor(
    private readonly ctx: AnalyzerContext,
    private readonly limits: SmbLimits = DEFAULT_SMB_LIMITS,
  ) {
    const { client, server } = flowEndpoints(ctx.flow);
    this.carrier = { meta: { frame: 0, ts: 0 }, client, server };
    const parse = Math.max(SMB2_HEADER + 8, Math.min(limits.maxParseBytes, ctx.maxBufferBytes));
    this.framers = [new NbssFramer(parse, this, Dir.ToServer), new NbssFramer(parse, this, Dir.ToClient)];
  }

  onData(dir: Dir, buf: Buffer, off: number, len: number, meta: PacketMeta): void {
    this.carrier.meta = meta;
    const framer = this.framers[dir];
    const before = framer.resyncs;
    framer.push(buf, off, len);
    if (framer.resyncs !== before) {
      this.ctx.count('smb.resync', framer.resyncs - before);
      this.anomaly(dir, 'resync', 'bytes that are not a NetBIOS session packet skipped');
    }
  }

  onGap(dir: Dir, bytes: number, meta: PacketMeta): void {
    this.carrier.meta = meta;
    this.framers[dir].reset();
    this.ctx.count('smb.gap');
    this.anomaly(dir, 'gap', `${bytes} bytes missing`);
    if (this.files1Map !== null) for (const f of this.files1Map.values()) f.pipe?.gap(dir);
    if (this.files2Map !== null) for (const f of this.files2Map.values()) f.pipe?.gap(dir);
  }

  onClose(meta: PacketMeta): void {
    this.carrier.meta = meta;
    const pending1 = this.pending1Map;
    const pending2 = this.pending2Map;
    if (pending1 !== null) for (const p of pending1.values()) for (const e of p.events) this.ctx.sink.emit(e);
    if (pending2 !== null) for (const p of pending2.values()) this.ctx.sink.emit(p.event);
    pending1?.clear();
    pending2?.clear();
    if (this.files1Map !== null) for (const f of this.files1Map.values()) f.pipe?.close();
    if (this.files2Map !== null) for (const f of this.files2Map.values()) f.pipe?.close();
  }

  /** NbssReceiver: a session packet from the framer of `dir`. */
  onNbssPacket(dir: Dir, buf: Buffer, off: number, available: number, total: number): void {
    const type = buf[off]!;
    if (type === NBSS.REQUEST) return this.onSessionRequest(buf, off + 4, off + available);
    if (type !== NBSS.MESSAGE) return; // positive/negative response, retarget, keep-alive
    const p = off + 4;
    const end = off + available;
    if (p + 4 > end || buf[p + 1] !== 0x53 || buf[p + 2] !== 0x4d || buf[p + 3] !== 0x42) {
      if (total > 4) this.malformed(dir, 'session message without an SMB header');
      return;
    }
    const magic = buf[p]!;
    if (magic === 0xff) this.onSmb1(dir, buf, p, end, total - 4);
    else if (magic === 0xfe) this.onSmb2Chain(dir, buf, p, end);
    else if (magic === 0xfd) this.onEncrypted(dir);
    else if (magic === 0xfc) this.ctx.count('smb.compressed');
    else this.malformed(dir, 'unknown SMB protocol id');
  }

  /**
   * NbssReceiver: leading bytes of a session packet spanning segments that the parser reads (see NbssPrefix): file data of
   * an SMB2 READ response or WRITE request is only read when the file is a DCE/RPC pipe, so for any other file
   * only the header and the command's fixed part are kept and the data is skipped uncopied. Everything else
   * keeps all its bytes. Decided from the state when the packet starts; the data of an odd file that becomes a
   * pipe meanwhile is then reported as truncated, as for an over-long message.
   */
  nbssPrefix(buf: Buffer, off: number, available: number, total: number): number {
    const h = off + 4;
    if (available < 4 + SMB2_HEADER + SMB2_WRITE_FIXED) return 0;
    if (buf[off] !== NBSS.MESSAGE || buf[h] !== 0xfe || buf[h + 1] !== 0x53 || buf[h + 2] !== 0x4d || buf[h + 3] !== 0x42) return total;
    if (u16le(buf, h + 4) !== SMB2_HEADER || u32le(buf, h + 20) !== 0) return total; // compounds keep everything
    const command = u16le(buf, h + 12);
    const body = h + SMB2_HEADER;
    // The tables are read without their on-demand getters: a missing table means no pending read / no open file.
    const files = this.files2Map;
    let file: OpenFile | undefined;
    if ((u32le(buf, h + 16) & SMB2_FLAGS_RESPONSE) !== 0) {
      if (command !== 8 || this.pending2Map === null) return total;
      const pending = this.pending2Map.get(u32le(buf, h + 24) + (u32le(buf, h + 28) & 0x1fffff) * 4294967296);
      if (pending === undefined || pending.command !== 8) return total;
      file = pending.fileKey >= 0 && files !== null ? files.get(pending.fileKey) : undefined;
      if (file !== undefined && file.pipeState !== 2) return total;
      return 4 + SMB2_HEADER + SMB2_READ_RESPONSE_FIXED;
    }
    if (command !== 9) return total;
    const related = u32le(buf, body + 24) === 0xffffffff && u32le(buf, body + 28) === 0xffffffff;
    // available >= 4 + SMB2_HEADER + SMB2_WRITE_FIXED covers the file id (body + 16 .. body + 32)
    file = related || files === null ? undefined : files.get(fileKey(buf, body + 24));
    if (file !== undefined && file.pipeState !== 2) return total;
    return 4 + SMB2_HEADER + SMB2_WRITE_FIXED;
  }

  // ---------------------------------------------------------------------------------------------- NetBIOS

  /** Session request on 139: called name = the server's NetBIOS name, calling name = the client's. */
  private onSessionRequest(buf: Buffer, p: number, end: number): void {
    const called = netbiosName(buf, p, end);
    const calling = netbiosName(buf, p + 34, end);
    if (called && called !== '*SMBSERVER') this.fact(this.carrier.server.ip, this.carrier.server.mac, 'hostname', called, 0.9);
    if (calling) this.fact(this.carrier.client.ip, this.carrier.client.mac, 'hostname', calling, 0.9);
  }

  private onEncrypted(dir: Dir): void {
    this.ctx.count('smb.encrypted-messages');
    if (this.opaque) return;
    this.opaque = true;
    this.ctx.markOpaque();
    const c = this.carrier;
    this.ctx.sink.emit({
      type: 'protocol', protocol: 'smb', ts: c.meta.ts, frame: c.meta.frame, captureIndex: this.ctx.captureIndex, flowId: this.ctx.flow.id,
      src: dir === Dir.ToServer ? c.client : c.server, dst: dir === Dir.ToServer ? c.server : c.client,
      visibility: 'opaque', by: 'probe', detail: 'encrypted: SMB3 transform header',
    });
  }

  /** When the flow's sides were guessed and the first message says otherwise, swap them. */
  private orient(dir: Dir, isResponse: boolean): Dir {
    if (!this.sidesChecked) {
      this.sidesChecked = true;
      if (this.ctx.flow.sidesGuessed) {
        if (isResponse === (dir === Dir.ToServer)) {
          this.ctx.swapSides();
          const { client, server } = flowEndpoints(this.ctx.flow);
          this.carrier.client = client;
          this.carrier.server = server;
          return dir === Dir.ToServer ? Dir.ToClient : Dir.ToServer;
        }
        this.ctx.confirmSides();
      }
    }
    return dir;
  }

  // ------------------------------------------------------------------------------------------------- SMB1

  private onSmb1(dirIn: Dir, buf: Buffer, h: number, end: number, declared: number): void {
    if (h + SMB1_HEADER + 3 > end) return this.malformed(dirIn, 'SMB1 message shorter than its header');
    const command = buf[h + 4]!;
    const status = buf.readUInt32LE(h + 5);
    const flags = buf[h + 9]!;
    const flags2 = buf.readUInt16LE(h + 10);
    const tid = buf.readUInt16LE(h + 24);
    const pid = buf.readUInt16LE(h + 26);
    const uid = buf.readUInt16LE(h + 28);
    const mid = buf.readUInt16LE(h + 30);
    const isResponse = (flags & SMB1_FLAGS_REPLY) !== 0;
    const dir = (this.dir = this.orient(dirIn, isResponse));
    this.msgEnd = end < h + declared ? end : h + declared;
    const unicode = (flags2 & SMB1_FLAGS2_UNICODE) !== 0;
    const key = pid * 65536 + mid;
    if (!isResponse) {
      const pending: Pending1 = { events: [], commands: [], fids: [], dialects: null, tid };
      this.walkAndx(buf, h, end, command, (cmd, w, wc, b, bc) => this.smb1Request(pending, cmd, buf, h, w, wc, b, bc, unicode, tid, uid, mid, pid));
      // Secondary transaction requests have no response of their own.
      if (command === 0x26 || command === 0x33 || command === 0xa1 || command === 0xa4) {
        for (const e of pending.events) {
          e.result = 'unknown';
          this.ctx.sink.emit(e);
        }
        return;
      }
      const previous = this.pending1.get(key);
      if (previous) for (const e of previous.events) this.ctx.sink.emit(e);
      this.pending1.set(key, pending);
      if (this.pending1.size > this.ctx.maxPendingTransactions) this.evict1();
      return;
    }
    let pending = this.pending1.get(key);
    if (pending) this.pending1.delete(key);
    else pending = this.unpairedTransaction(command, tid);
    if (!pending) {
      // Request not captured: the response still says what was done.
      this.ctx.count('smb.unexpected-response');
      const requester = dir === Dir.ToServer ? Dir.ToClient : Dir.ToServer;
      const event = this.event(requester, 1, command, 'unknown');
      this.completeEvent(event, status, 1);
      return;
    }
    if (pending.events.length > 0 && mid !== (pending.events[0]!.attributes!.multiplex_id as number)) {
      // DoublePulsar answers its Trans2 SESSION_SETUP ping with the request's multiplex id + 0x10 (+0x11 ...).
      for (const e of pending.events) e.attributes!.response_multiplex_id = mid;
    }
    let index = 0;
    this.walkAndx(buf, h, end, command, (cmd, w, wc, b, bc) => {
      const event = pending!.events[index];
      if (event && pending!.commands[index] === cmd) this.smb1Response(pending!, index, event, cmd, buf, h, w, wc, b, bc, unicode, tid, uid, status);
      index++;
    });
    for (const e of pending.events) this.completeEvent(e, status, 1);
  }

  /** DoublePulsar-style responses change the multiplex id: pair with the oldest open transaction on the tree. */
  private unpairedTransaction(command: number, tid: number): Pending1 | undefined {
    if (command !== 0x32 && command !== 0x25 && command !== 0xa0) return undefined;
    for (const [k, p] of this.pending1) {
      if (p.tid === tid && p.commands[0] === command) {
        this.pending1.delete(k);
        this.ctx.count('smb.multiplex-id-mismatch');
        return p;
      }
    }
    return undefined;
  }

  /** Visits each command block of an AndX chain (bounded, offsets must move forward). */
  private walkAndx(buf: Buffer, h: number, end: number, first: number, visit: (cmd: number, words: number, wordCount: number, bytes: number, byteCount: number) => void): void {
    let cmd = first;
    let p = h + SMB1_HEADER;
    for (let i = 0; i < this.limits.maxChain; i++) {
      if (p + 1 > end) return;
      const wc = buf[p]!;
      const words = p + 1;
      const bcAt = words + wc * 2;
      let bc = 0;
      let bytes = bcAt + 2;
      if (bcAt + 2 <= end) bc = buf.readUInt16LE(bcAt);
      else bytes = end;
      if (bytes + bc > end) bc = end > bytes ? end - bytes : 0;
      visit(cmd, words, wc, bytes, bc);
      if (!ANDX_COMMANDS.has(cmd) || wc < 2 || words + 4 > end) return;
      const next = buf[words]!;
      const nextOff = buf.readUInt16LE(words + 2);
      if (next === 0xff) return;
      if (h + nextOff <= p || h + nextOff >= end) {
        this.ctx.count('smb.andx-bad-offset');
        return;
      }
      cmd = next;
      p = h + nextOff;
    }
    this.ctx.count('smb.andx-chain-cap');
  }

  private smb1Request(pending: Pending1, cmd: number, buf: Buffer, h: number, w: number, wc: number, b: number, bc: number, unicode: boolean, tid: number, uid: number, mid: number, pid: number): void {
    const dir = this.dir;
    const event = this.event(dir, 1, cmd, 'no-response');
    const a = event.attributes!;
    a.tid = tid;
    a.uid = uid;
    a.multiplex_id = mid;
    a.pid = pid;
    pending.events.push(event);
    pending.commands.push(cmd);
    pending.fids.push(-1);
    const bEnd = b + bc;
    const tree = this.trees1.get(tid) ?? '';
    switch (cmd) {
      case 0x72: {
        const dialects: string[] = [];
        let p = b;
        while (p < bEnd && dialects.length < 32) {
          if (buf[p] !== 0x02) break;
          readAscii(buf, p + 1, bEnd);
          dialects.push(cursor.value);
          p = cursor.next;
        }
        pending.dialects = dialects;
        a.dialects_offered = dialects.join(',');
        break;
      }
      case 0x73:
        this.sessionSetup1Request(event, buf, h, w, wc, b, bEnd, unicode);
        break;
      case 0x75: {
        if (wc < 4) break;
        const passwordLength = buf.readUInt16LE(w + 6);
        readString(buf, b + passwordLength, bEnd, unicode, h);
        event.object = cursor.value;
        a.share = cursor.value;
        this.serverNameFromPath(cursor.value);
        break;
      }
      case 0xa2: {
        if (wc < 24) break;
        readString(buf, b, bEnd, unicode, h);
        const name = cursor.value;
        event.object = joinPath(tree, name);
        a.file = name;
        a.create_disposition = CREATE_DISPOSITIONS[buf.readUInt32LE(w + 35)] ?? buf.readUInt32LE(w + 35);
        const options = buf.readUInt32LE(w + 39);
        if ((options & FILE_DELETE_ON_CLOSE) !== 0) {
          a.delete_on_close = true;
          event.kind = 'write';
          event.detail = 'delete';
        }
        break;
      }
      case 0x2f: {
        if (wc < 12) break;
        const fid = buf.readUInt16LE(w + 4);
        const length = buf.readUInt16LE(w + 20) + (buf.readUInt16LE(w + 18) << 16);
        const dataOff = h + buf.readUInt16LE(w + 22);
        pending.fids[pending.fids.length - 1] = fid;
        a.fid = fid;
        event.detail = 'write';
        event.dataBytes = length;
        const file = this.files1.get(fid);
        if (file) event.object = file.path;
        if (file) this.feedPipe(file, Dir.ToServer, buf, dataOff, length, this.msgEnd);
        break;
      }
      case 0x2e: {
        if (wc < 10) break;
        const fid = buf.readUInt16LE(w + 4);
        pending.fids[pending.fids.length - 1] = fid;
        a.fid = fid;
        event.detail = 'read';
        const file = this.files1.get(fid);
        if (file) event.object = file.path;
        break;
      }
      case 0x04: {
        if (wc < 1) break;
        const fid = buf.readUInt16LE(w);
        a.fid = fid;
        const file = this.files1.get(fid);
        if (file) event.object = file.path;
        pending.fids[pending.fids.length - 1] = fid;
        break;
      }
      case 0x06:
      case 0x01: {
        if (b < bEnd && buf[b] === 0x04) {
          readString(buf, b + 1, bEnd, unicode, h);
          event.object = joinPath(tree, cursor.value);
          a.file = cursor.value;
        }
        event.detail = 'delete';
        break;
      }
      case 0x07:
      case 0xa5: {
        event.detail = 'rename';
        if (b < bEnd && buf[b] === 0x04) {
          readString(buf, b + 1, bEnd, unicode, h);
          const oldName = cursor.value;
          a.old_name = oldName;
          event.object = joinPath(tree, oldName);
          const p = cursor.next;
          if (p < bEnd && buf[p] === 0x04) {
            readString(buf, p + 1, bEnd, unicode, h);
            a.new_name = cursor.value;
          }
        }
        break;
      }
      case 0x25:
      case 0x32:
      case 0xa0:
      case 0x26:
      case 0x33:
      case 0xa1:
        this.transactionRequest(pending, event, cmd, buf, h, w, wc, b, bEnd, unicode, tid);
        break;
    }
  }

  private transactionRequest(pending: Pending1, event: OperationEvent, cmd: number, buf: Buffer, h: number, w: number, wc: number, b: number, bEnd: number, unicode: boolean, tid: number): void {
    const a = event.attributes!;
    const nt = cmd === 0xa0 || cmd === 0xa1;
    const secondary = cmd === 0x26 || cmd === 0x33 || cmd === 0xa1;
    const wEnd = w + wc * 2;
    if (nt) {
      if (secondary ? wc < 18 : wc < 19) return;
      const base = secondary ? w + 3 : w + 3;
      a.total_parameter_count = buf.readUInt32LE(base);
      a.total_data_count = buf.readUInt32LE(base + 4);
      if (secondary) {
        a.parameter_count = buf.readUInt32LE(w + 11);
        a.data_count = buf.readUInt32LE(w + 23);
        a.data_displacement = buf.readUInt32LE(w + 31);
        return;
      }
      a.max_parameter_count = buf.readUInt32LE(w + 11);
      a.max_data_count = buf.readUInt32LE(w + 15);
      a.parameter_count = buf.readUInt32LE(w + 19);
      a.data_count = buf.readUInt32LE(w + 27);
      a.setup_count = buf[w + 35]!;
      const fn = buf.readUInt16LE(w + 36);
      event.subCode = fn;
      event.subCodeName = NT_TRANS_FUNCTIONS[fn] ?? `function_0x${fn.toString(16)}`;
      return;
    }
    if (secondary) {
      if (wc < 8) return;
      a.total_parameter_count = buf.readUInt16LE(w);
      a.total_data_count = buf.readUInt16LE(w + 2);
      a.parameter_count = buf.readUInt16LE(w + 4);
      a.data_count = buf.readUInt16LE(w + 10);
      a.data_displacement = buf.readUInt16LE(w + 14);
      return;
    }
    if (wc < 14) return;
    a.total_parameter_count = buf.readUInt16LE(w);
    a.total_data_count = buf.readUInt16LE(w + 2);
    a.max_parameter_count = buf.readUInt16LE(w + 4);
    a.max_data_count = buf.readUInt16LE(w + 6);
    a.timeout = buf.readUInt32LE(w + 12);
    a.parameter_count = buf.readUInt16LE(w + 18);
    const dataCount = buf.readUInt16LE(w + 22);
    const dataOff = h + buf.readUInt16LE(w + 24);
    a.data_count = dataCount;
    const setupCount = buf[w + 26]!;
    a.setup_count = setupCount;
    const setup0 = setupCount > 0 && w + 30 <= wEnd ? buf.readUInt16LE(w + 28) : -1;
    if (cmd === 0x32) {
      if (setup0 >= 0) {
        event.subCode = setup0;
        event.subCodeName = TRANS2_SUBCOMMANDS[setup0] ?? `subcommand_0x${setup0.toString(16)}`;
      }
      return;
    }
    // Trans: the name (\PIPE\, \PIPE\LANMAN, \MAILSLOT\...) follows the setup words.
    readString(buf, b, bEnd, unicode, h);
    if (cursor.value) a.transaction_name = cursor.value;
    if (setup0 >= 0) {
      event.subCode = setup0;
      event.subCodeName = TRANS_PIPE_FUNCTIONS[setup0] ?? `function_0x${setup0.toString(16)}`;
    }
    if (setup0 === TRANSACT_NMPIPE && setupCount >= 2 && w + 32 <= wEnd) {
      const fid = buf.readUInt16LE(w + 30);
      pending.fids[pending.fids.length - 1] = fid;
      a.fid = fid;
      const file = this.files1.get(fid);
      if (file) event.object = file.path;
      if (file) this.feedPipe(file, Dir.ToServer, buf, dataOff, dataCount, this.msgEnd);
    }
    void tid;
  }

  private smb1Response(pending: Pending1, index: number, event: OperationEvent, cmd: number, buf: Buffer, h: number, w: number, wc: number, b: number, bc: number, unicode: boolean, tid: number, uid: number, status: number): void {
    const a = event.attributes!;
    const bEnd = b + bc;
    const responder = this.dir;
    switch (cmd) {
      case 0x72: {
        if (wc < 1) return;
        const index = buf.readUInt16LE(w);
        const dialect = pending.dialects?.[index];
        if (index === 0xffff || dialect === undefined) return;
        a.dialect = dialect;
        if (SMB1_DIALECTS_V1.test(dialect)) {
          a.smb1 = true;
          const server = responder === Dir.ToClient ? this.carrier.server : this.carrier.client;
          this.fact(server.ip, server.mac, 'software', 'smb1 server', 0.95);
        }
        return;
      }
      case 0x73: {
        a.uid = uid;
        if (wc === 4) {
          const blobLen = buf.readUInt16LE(w + 6);
          const blobEnd = Math.min(b + blobLen, bEnd);
          this.ntlmFacts(parseNtlmssp(buf, b, blobEnd), responder, event);
          this.nativeStrings(buf, b + blobLen, bEnd, unicode, h, responder, false);
        } else if (wc === 3) this.nativeStrings(buf, b, bEnd, unicode, h, responder, true);
        if (wc >= 3) a.guest = (buf.readUInt16LE(w + 4) & 1) !== 0;
        this.authResult(event, status);
        return;
      }
      case 0x75: {
        const path = event.object;
        if (path && status === 0) this.remember(this.trees1, tid, path, this.limits.maxTrees);
        return;
      }
      case 0xa2: {
        if (wc < 3 || status !== 0) return;
        const fid = buf.readUInt16LE(w + 5);
        a.fid = fid;
        const tree = this.trees1.get(pending.tid) ?? '';
        this.openFile(this.files1, fid, event.object ?? '', (a.file as string) ?? '', isIpc(tree));
        return;
      }
      case 0x2e: {
        if (wc < 12) return;
        const length = buf.readUInt16LE(w + 10) + ((buf.readUInt16LE(w + 14) & 0xffff) << 16);
        event.dataBytes = length;
        const file = this.files1.get(pending.fids[index]!);
        if (file) this.feedPipe(file, Dir.ToClient, buf, h + buf.readUInt16LE(w + 12), length, this.msgEnd);
        return;
      }
      case 0x2f:
        if (wc >= 6) a.written = buf.readUInt16LE(w + 4) + (buf.readUInt16LE(w + 8) << 16);
        return;
      case 0x04: {
        const fid = pending.fids[index]!;
        const file = this.files1.get(fid);
        if (file) {
          file.pipe?.close();
          if (file.pipe) this.pipes--;
          this.files1.delete(fid);
        }
        return;
      }
      case 0x25: {
        if (wc < 10) return;
        const dataCount = buf.readUInt16LE(w + 12);
        const dataOff = h + buf.readUInt16LE(w + 14);
        a.response_data_count = dataCount;
        const file = this.files1.get(pending.fids[index]!);
        if (file) this.feedPipe(file, Dir.ToClient, buf, dataOff, dataCount, this.msgEnd);
        return;
      }
      case 0x32:
      case 0xa0:
        if (wc >= 10 && cmd === 0x32) a.response_data_count = buf.readUInt16LE(w + 12);
        return;
    }
    void tid;
  }

  private sessionSetup1Request(event: OperationEvent, buf: Buffer, h: number, w: number, wc: number, b: number, bEnd: number, unicode: boolean): void {
    const a = event.attributes!;
    const client = this.dir;
    if (wc === 12) {
      const blobLen = buf.readUInt16LE(w + 14);
      const blobEnd = Math.min(b + blobLen, bEnd);
      this.ntlmFacts(parseNtlmssp(buf, b, blobEnd), client, event);
      if (!a.method) a.method = mentionsKerberos(buf, b, blobEnd) ? 'kerberos' : 'spnego';
      this.nativeStrings(buf, b + blobLen, bEnd, unicode, h, client, false);
      return;
    }
    if (wc !== 13 && wc !== 10) return;
    const oemLen = buf.readUInt16LE(w + 14);
    const uniLen = wc === 13 ? buf.readUInt16LE(w + 16) : 0;
    readString(buf, b + oemLen + uniLen, bEnd, unicode, h);
    const user = cursor.value;
    readString(buf, cursor.next, bEnd, unicode, h);
    const domain = cursor.value;
    a.method = 'lm/ntlm';
    a.user = user;
    a.domain = domain;
    a.anonymous = user === '' && oemLen <= 1 && uniLen === 0;
    // A password as long as the NT/LM response lengths (24) is a hash response; anything else non-empty was
    // sent in clear (only possible when the server did not ask for challenge/response).
    if (oemLen > 1 && oemLen !== 24 && uniLen === 0) a.cleartext_password = true;
    const peer = client === Dir.ToServer ? this.carrier.client : this.carrier.server;
    if (user) this.fact(peer.ip, peer.mac, 'user', domain ? `${domain}\\${user}` : user, 0.9);
    if (domain && domain !== '?') this.fact(peer.ip, peer.mac, 'domain', domain, 0.9);
    if (a.cleartext_password === true) this.fact(peer.ip, peer.mac, 'credential', `smb login user=${user} (password sent in cleartext)`, 0.9);
    this.nativeStrings(buf, cursor.next, bEnd, unicode, h, client, false);
  }

  /** Native OS / native LAN manager (and, in old responses, the primary domain) of the message's sender. */
  private nativeStrings(buf: Buffer, p: number, end: number, unicode: boolean, h: number, senderDir: Dir, withDomain: boolean): void {
    if (p >= end) return;
    readString(buf, p, end, unicode, h);
    const os = cursor.value;
    readString(buf, cursor.next, end, unicode, h);
    const lanman = cursor.value;
    const sender = senderDir === Dir.ToServer ? this.carrier.client : this.carrier.server;
    if (isPrintable(os)) this.fact(sender.ip, sender.mac, 'os', os, 0.9);
    if (isPrintable(lanman) && lanman !== os) this.fact(sender.ip, sender.mac, 'software', lanman, 0.9);
    if (withDomain) {
      readString(buf, cursor.next, end, unicode, h);
      if (isPrintable(cursor.value)) this.fact(sender.ip, sender.mac, 'domain', cursor.value, 0.9);
    }
  }

  private evict1(): void {
    const [k, p] = this.pending1.entries().next().value as [number, Pending1];
    this.pending1.delete(k);
    this.ctx.count('smb.transaction-cap');
    for (const e of p.events) this.ctx.sink.emit(e);
  }

  // ------------------------------------------------------------------------------------------------- SMB2

  private onSmb2Chain(dir: Dir, buf: Buffer, h: number, end: number): void {
    let p = h;
    /** name of the create earlier in a related compound (its file id is not known until the response) */
    let relatedPath = '';
    for (let i = 0; i < this.limits.maxChain; i++) {
      if (p + SMB2_HEADER > end) return this.malformed(dir, 'SMB2 header truncated');
      if (buf[p] !== 0xfe || buf[p + 1] !== 0x53 || buf[p + 2] !== 0x4d || buf[p + 3] !== 0x42 || u16le(buf, p + 4) !== 64) {
        return this.malformed(dir, 'SMB2 header with a bad protocol id or structure size');
      }
      const next = u32le(buf, p + 20);
      const msgEnd = next > 0 && p + next <= end ? p + next : end;
      relatedPath = this.onSmb2(dir, buf, p, msgEnd, relatedPath);
      if (next === 0) return;
      if (next < SMB2_HEADER || p + next >= end) return this.malformed(dir, 'SMB2 NextCommand out of range');
      p += next;
      this.ctx.count('smb.compound-messages');
    }
    this.ctx.count('smb.compound-cap');
  }

  private onSmb2(dirIn: Dir, buf: Buffer, h: number, end: number, relatedPath: string): string {
    // h + SMB2_HEADER <= end (onSmb2Chain): plain reads, no bounds validators.
    const status = u32le(buf, h + 8);
    const command = u16le(buf, h + 12);
    const flags = u32le(buf, h + 16);
    const messageId = u32le(buf, h + 24) + (u32le(buf, h + 28) & 0x1fffff) * 4294967296;
    const isResponse = (flags & SMB2_FLAGS_RESPONSE) !== 0;
    const async = (flags & SMB2_FLAGS_ASYNC) !== 0;
    const treeId = async ? -1 : u32le(buf, h + 36);
    const dir = (this.dir = this.orient(dirIn, isResponse));
    const body = h + SMB2_HEADER;
    if (!isResponse) {
      const event = this.event(dir, 2, command, 'no-response');
      const a = event.attributes!;
      a.message_id = messageId;
      if ((flags & SMB2_FLAGS_RELATED) !== 0) a.related = true;
      const pending: Pending2 = { event, command, treeId, fileKey: -1, path: '' };
      const nextRelated = this.smb2Request(pending, buf, h, body, end, relatedPath);
      if (command === 12) {
        event.result = 'unknown'; // CANCEL has no response
        this.ctx.sink.emit(event);
        return nextRelated;
      }
      const previous = this.pending2.get(messageId);
      if (previous) this.ctx.sink.emit(previous.event);
      this.pending2.set(messageId, pending);
      if (this.pending2.size > this.ctx.maxPendingTransactions) {
        const [k, p] = this.pending2.entries().next().value as [number, Pending2];
        this.pending2.delete(k);
        this.ctx.count('smb.transaction-cap');
        this.ctx.sink.emit(p.event);
      }
      return nextRelated;
    }
    const pending = this.pending2.get(messageId);
    if (!pending && command === 0 && this.answerSmb1Negotiate(buf, body, end, status)) return relatedPath;
    if (!pending) {
      const requester = dir === Dir.ToServer ? Dir.ToClient : Dir.ToServer;
      if (command === 18 && messageId === 0x1fffffffffffff) {
        // Oplock/lease break notification: the server speaks first.
        const event = this.event(dir, 2, command, 'unknown');
        this.ctx.sink.emit(event);
        return relatedPath;
      }
      this.ctx.count('smb.unexpected-response');
      this.completeEvent(this.event(requester, 2, command, 'unknown'), status, 2);
      return relatedPath;
    }
    if (status === STATUS_PENDING && async) {
      // Interim response: the final one follows with the same message id.
      pending.event.attributes!.interim_response_frame = this.carrier.meta.frame;
      this.ctx.count('smb.async-interim');
      return relatedPath;
    }
    this.pending2.delete(messageId);
    if (isSuccessStatus(status)) this.smb2Response(pending, buf, h, body, end, status);
    else if (command === 1) this.authResult(pending.event, status);
    this.completeEvent(pending.event, status, 2);
    return relatedPath;
  }

  /**
   * Multi-protocol negotiate: an SMB1 NEGOTIATE offering "SMB 2.002"/"SMB 2.???" answered with an SMB2
   * NEGOTIATE response (message id 0). Completes the SMB1 request with the SMB2 dialect chosen.
   */
  private answerSmb1Negotiate(buf: Buffer, body: number, end: number, status: number): boolean {
    for (const [k, p] of this.pending1) {
      if (p.commands[0] !== 0x72) continue;
      this.pending1.delete(k);
      const event = p.events[0]!;
      event.responseCode = 0;
      event.attributes!.response_smb_version = 2;
      if (body + 6 <= end) {
        const dialect = buf.readUInt16LE(body + 4);
        event.attributes!.dialect = SMB2_DIALECTS[dialect] ?? `0x${dialect.toString(16)}`;
        if (dialect !== 0x02ff) {
          const server = this.dir === Dir.ToClient ? this.carrier.server : this.carrier.client;
          this.fact(server.ip, server.mac, 'software', `smb ${event.attributes!.dialect} server`, 0.9);
        }
      }
      for (const e of p.events) this.completeEvent(e, status, 1);
      return true;
    }
    return false;
  }

  /**
   * Returns the related-compound path for the commands that follow. Kept small: it runs for every request
   * (reads and writes above all), while the once-per-session commands live in their own methods.
   */
  private smb2Request(pending: Pending2, buf: Buffer, h: number, body: number, end: number, relatedPath: string): string {
    const command = pending.command;
    switch (command) {
      case 0:
        this.negotiateRequest(pending.event, buf, body, end);
        break;
      case 1:
        this.sessionSetupRequest(pending.event, buf, h, body, end);
        break;
      case 3:
        this.treeConnectRequest(pending, buf, h, body, end);
        break;
      case 5:
        return body + 56 > end ? relatedPath : this.createRequest(pending, buf, h, body, end);
      case 6:
      case 8:
      case 9:
      case 11:
      case 17:
      case 16:
      case 14: {
        const fidAt = command === 6 || command === 11 || command === 14 ? 8 : 16;
        if (body + fidAt + 16 > end) break;
        const event = pending.event;
        const related = u32le(buf, body + fidAt + 8) === 0xffffffff && u32le(buf, body + fidAt + 12) === 0xffffffff;
        const key = fileKey(buf, body + fidAt + 8);
        pending.fileKey = related ? -1 : key;
        const file = related || this.files2Map === null ? undefined : this.files2Map.get(key);
        if (file !== undefined) event.object = file.path;
        else if (related && relatedPath) event.object = relatedPath;
        if (command === 9) {
          const length = u32le(buf, body + 4);
          event.detail = 'write';
          event.dataBytes = length;
          if (file !== undefined && file.pipeState !== 2) this.feedPipe(file, Dir.ToServer, buf, h + u16le(buf, body + 2), length, end);
        } else if (command === 8) {
          event.detail = 'read';
          event.attributes!.requested_length = u32le(buf, body + 4);
        } else if (command !== 6 && command !== 16) this.fileRequestDetail(event, file, buf, h, body, end);
        break;
      }
    }
    return relatedPath;
  }

  private negotiateRequest(event: OperationEvent, buf: Buffer, body: number, end: number): void {
    if (body + 36 > end) return;
    const count = u16le(buf, body + 2);
    let s = '';
    for (let i = 0; i < count && i < 16 && body + 36 + 2 * i + 2 <= end; i++) {
      const d = u16le(buf, body + 36 + 2 * i);
      s += (i ? ',' : '') + (SMB2_DIALECTS[d] ?? `0x${d.toString(16)}`);
    }
    event.attributes!.dialects_offered = s;
  }

  private sessionSetupRequest(event: OperationEvent, buf: Buffer, h: number, body: number, end: number): void {
    if (body + 16 > end) return;
    const a = event.attributes!;
    const off = h + u16le(buf, body + 12);
    const len = u16le(buf, body + 14);
    const blobEnd = Math.min(off + len, end);
    if (off < end) {
      this.ntlmFacts(parseNtlmssp(buf, off, blobEnd), this.dir, event);
      if (!a.method) a.method = mentionsKerberos(buf, off, blobEnd) ? 'kerberos' : 'spnego';
    }
  }

  private treeConnectRequest(pending: Pending2, buf: Buffer, h: number, body: number, end: number): void {
    if (body + 8 > end) return;
    const off = h + u16le(buf, body + 4);
    const len = u16le(buf, body + 6);
    if (off + len > end) return;
    const path = utf16(buf, off, len);
    pending.event.object = path;
    pending.event.attributes!.share = path;
    pending.path = path;
    this.serverNameFromPath(path);
  }

  /** The opened path (the related-compound path for the commands that follow); body + 56 <= end. */
  private createRequest(pending: Pending2, buf: Buffer, h: number, body: number, end: number): string {
    const event = pending.event;
    const a = event.attributes!;
    const disposition = u32le(buf, body + 36);
    const options = u32le(buf, body + 40);
    const off = h + u16le(buf, body + 44);
    const len = u16le(buf, body + 46);
    const name = len > 0 && off + len <= end ? utf16(buf, off, len) : '';
    a.file = name;
    a.create_disposition = CREATE_DISPOSITIONS[disposition] ?? disposition;
    a.create_options = options;
    if ((options & FILE_DELETE_ON_CLOSE) !== 0) {
      a.delete_on_close = true;
      event.kind = 'write';
      event.detail = 'delete';
    }
    const path = joinPath(this.trees2Map?.get(pending.treeId) ?? '', name);
    event.object = path;
    pending.path = path;
    return path;
  }

  /** IOCTL, SET_INFO and QUERY_DIRECTORY: the parts past the file id. */
  private fileRequestDetail(event: OperationEvent, file: OpenFile | undefined, buf: Buffer, h: number, body: number, end: number): void {
    const command = event.code;
    if (command === 11) {
      const ctl = buf.readUInt32LE(body + 4);
      event.subCode = ctl;
      event.subCodeName = FSCTL_NAMES[ctl] ?? `fsctl_0x${ctl.toString(16).padStart(8, '0')}`;
      const inOff = h + buf.readUInt32LE(body + 24);
      const inLen = buf.readUInt32LE(body + 28);
      if (ctl === FSCTL_PIPE_TRANSCEIVE && file) this.feedPipe(file, Dir.ToServer, buf, inOff, inLen, end);
    } else if (command === 17) this.setInfoRequest(event, buf, h, body, end);
    else if (command === 14 && body + 32 <= end) {
      const off = h + buf.readUInt16LE(body + 24);
      const len = buf.readUInt16LE(body + 26);
      if (len > 0 && off + len <= end) event.attributes!.pattern = utf16(buf, off, len);
    }
  }

  private setInfoRequest(event: OperationEvent, buf: Buffer, h: number, body: number, end: number): void {
    if (body + 32 > end) return;
    const a = event.attributes!;
    const infoType = buf[body + 2]!;
    const infoClass = buf[body + 3]!;
    const len = buf.readUInt32LE(body + 4);
    const off = h + buf.readUInt16LE(body + 8);
    a.info_type = infoType;
    a.info_class = infoClass;
    if (infoType !== 1 || off + len > end) return;
    if (infoClass === FILE_RENAME_INFORMATION && len >= 20) {
      const nameLen = buf.readUInt32LE(off + 16);
      event.kind = 'write';
      event.detail = 'rename';
      if (event.object) a.old_name = event.object;
      if (off + 20 + nameLen <= end) a.new_name = utf16(buf, off + 20, nameLen);
      a.replace_if_exists = buf[off] !== 0;
    } else if (infoClass === FILE_DISPOSITION_INFORMATION && len >= 1) {
      if (buf[off] !== 0) {
        event.kind = 'write';
        event.detail = 'delete';
      }
    } else if (infoClass === FILE_DISPOSITION_INFORMATION_EX && len >= 4) {
      if ((buf.readUInt32LE(off) & 1) !== 0) {
        event.kind = 'write';
        event.detail = 'delete';
      }
    }
  }

  /** Success responses. Kept small for reads and writes; the once-per-session commands have their own methods. */
  private smb2Response(pending: Pending2, buf: Buffer, h: number, body: number, end: number, status: number): void {
    switch (pending.command) {
      case 8: {
        if (body + 8 > end) return;
        const len = u32le(buf, body + 4);
        pending.event.dataBytes = len;
        const file = pending.fileKey >= 0 && this.files2Map !== null ? this.files2Map.get(pending.fileKey) : undefined;
        if (file !== undefined && file.pipeState !== 2) this.feedPipe(file, Dir.ToClient, buf, h + buf[body + 2]!, len, end);
        return;
      }
      case 9:
        if (body + 8 <= end) pending.event.attributes!.written = u32le(buf, body + 4);
        return;
      case 0:
        return this.negotiateResponse(pending.event, buf, h, body, end);
      case 1:
        return this.sessionSetupResponse(pending.event, buf, h, body, end, status);
      case 3:
        return this.treeConnectResponse(pending, buf, h, body, end);
      case 5:
        return this.createResponse(pending, buf, body, end);
      case 6:
        return this.closeResponse(pending);
      case 11:
        return this.ioctlResponse(pending, buf, h, body, end);
    }
  }

  private negotiateResponse(event: OperationEvent, buf: Buffer, h: number, body: number, end: number): void {
    if (body + 6 > end) return;
    const a = event.attributes!;
    const dialect = buf.readUInt16LE(body + 4);
    a.dialect = SMB2_DIALECTS[dialect] ?? `0x${dialect.toString(16)}`;
    if (dialect !== 0x02ff) {
      const server = this.dir === Dir.ToClient ? this.carrier.server : this.carrier.client;
      this.fact(server.ip, server.mac, 'software', `smb ${a.dialect} server`, 0.9);
    }
    if (body + 60 <= end) {
      const off = h + buf.readUInt16LE(body + 56);
      const len = buf.readUInt16LE(body + 58);
      if (len > 0 && off + len <= end && mentionsKerberos(buf, off, off + len)) a.kerberos_offered = true;
    }
  }

  private sessionSetupResponse(event: OperationEvent, buf: Buffer, h: number, body: number, end: number, status: number): void {
    const a = event.attributes!;
    a.session_id = buf.readUInt32LE(h + 40) + (buf.readUInt32LE(h + 44) & 0x1fffff) * 4294967296;
    if (body + 8 <= end) {
      const sessionFlags = buf.readUInt16LE(body + 2);
      if (sessionFlags & 1) a.guest = true;
      if (sessionFlags & 2) a.anonymous = true;
      const off = h + buf.readUInt16LE(body + 4);
      const len = buf.readUInt16LE(body + 6);
      if (len > 0 && off < end) this.ntlmFacts(parseNtlmssp(buf, off, Math.min(off + len, end)), this.dir, event);
    }
    this.authResult(event, status);
  }

  private treeConnectResponse(pending: Pending2, buf: Buffer, h: number, body: number, end: number): void {
    const treeId = buf.readUInt32LE(h + 36);
    if (pending.path) this.remember(this.trees2, treeId, pending.path, this.limits.maxTrees);
    if (body + 3 <= end) pending.event.attributes!.share_type = buf[body + 2] === 1 ? 'disk' : buf[body + 2] === 2 ? 'pipe' : buf[body + 2] === 3 ? 'print' : buf[body + 2]!;
  }

  private createResponse(pending: Pending2, buf: Buffer, body: number, end: number): void {
    if (body + 80 > end) return;
    const a = pending.event.attributes!;
    a.create_action = buf.readUInt32LE(body + 4);
    const key = fileKey(buf, body + 72);
    const tree = this.trees2.get(pending.treeId) ?? '';
    this.openFile(this.files2, key, pending.path, (a.file as string) ?? '', isIpc(tree));
  }

  private closeResponse(pending: Pending2): void {
    const file = pending.fileKey >= 0 ? this.files2.get(pending.fileKey) : undefined;
    if (file) {
      if (file.pipe) {
        file.pipe.close();
        this.pipes--;
      }
      this.files2.delete(pending.fileKey);
    }
  }

  private ioctlResponse(pending: Pending2, buf: Buffer, h: number, body: number, end: number): void {
    if (body + 40 > end) return;
    const ctl = buf.readUInt32LE(body + 4);
    const outOff = h + buf.readUInt32LE(body + 32);
    const outLen = buf.readUInt32LE(body + 36);
    pending.event.attributes!.output_count = outLen;
    const file = pending.fileKey >= 0 ? this.files2.get(pending.fileKey) : undefined;
    if (ctl === FSCTL_PIPE_TRANSCEIVE && file) this.feedPipe(file, Dir.ToClient, buf, outOff, outLen, end);
  }

  // ----------------------------------------------------------------------------------------------- shared

  private openFile(files: Map<number, OpenFile>, key: number, path: string, name: string, onIpc: boolean): void {
    const pipeName = onIpc ? name.replace(/^\\+/, '').replace(/^PIPE\\/i, '').toLowerCase() : '';
    const old = files.get(key);
    if (old?.pipe) {
      old.pipe.close();
      this.pipes--;
    }
    if (!old && files.size >= this.limits.maxFiles) {
      const [k, f] = files.entries().next().value as [number, OpenFile];
      if (f.pipe) {
        f.pipe.close();
        this.pipes--;
      }
      files.delete(k);
      this.ctx.count('smb.file-table-cap');
    }
    files.set(key, { path, pipe: null, pipeState: onIpc ? 0 : 2, pipeName });
  }

  private remember(map: Map<number, string>, key: number, value: string, cap: number): void {
    if (!map.has(key) && map.size >= cap) {
      map.delete(map.keys().next().value as number);
      this.ctx.count('smb.tree-table-cap');
    }
    map.set(key, value);
  }

  /** Pipe payload (a DCE/RPC byte stream) carried by a read/write/transceive; `limit` is where parsed bytes end. */
  private feedPipe(file: OpenFile, dir: Dir, buf: Buffer, off: number, len: number, limit: number): void {
    if (len <= 0 || off < 0 || file.pipeState === 2) return;
    const end = buf.length < limit ? buf.length : limit;
    if (off >= end) return;
    const avail = off + len <= end ? len : end - off;
    if (file.pipeState === 0) {
      if (dir !== Dir.ToServer || frameDcerpc(buf, off, avail) < 0) {
        file.pipeState = 2;
        this.ctx.count('smb.pipe-not-dcerpc');
        return;
      }
      if (this.pipes >= this.limits.maxPipes) {
        file.pipeState = 2;
        this.ctx.count('smb.pipe-cap');
        return;
      }
      file.pipeState = 1;
      file.pipe = new DceRpcConnection(this.ctx, this.carrier, file.pipeName);
      this.pipes++;
    }
    const pipe = file.pipe!;
    pipe.feed(dir, buf, off, avail);
    if (avail < len) {
      this.ctx.count('smb.pipe-data-truncated');
      pipe.gap(dir);
    }
  }

  private ntlmFacts(msg: NtlmMessage | null, senderDir: Dir, event: OperationEvent): void {
    if (!msg) return;
    const a = event.attributes!;
    a.method = 'ntlmssp';
    if (a.ntlmssp_type === undefined) a.ntlmssp_type = msg.type;
    const sender = senderDir === Dir.ToServer ? this.carrier.client : this.carrier.server;
    if (msg.os) this.fact(sender.ip, sender.mac, 'os', msg.os, 0.8);
    if (msg.type === 2) {
      const host = msg.dnsComputer || msg.nbComputer;
      if (host) this.fact(sender.ip, sender.mac, 'hostname', host, 0.9);
      const domain = msg.dnsDomain || msg.nbDomain;
      if (domain) this.fact(sender.ip, sender.mac, 'domain', domain, 0.9);
      return;
    }
    if (msg.type !== 3) return;
    a.ntlmssp_type = 3;
    a.user = msg.user;
    a.domain = msg.domain;
    a.workstation = msg.workstation;
    a.anonymous = msg.anonymous;
    if (msg.user) this.fact(sender.ip, sender.mac, 'user', msg.domain ? `${msg.domain}\\${msg.user}` : msg.user, 0.9);
    if (msg.domain) this.fact(sender.ip, sender.mac, 'domain', msg.domain, 0.9);
    if (msg.workstation) this.fact(sender.ip, sender.mac, 'hostname', msg.workstation, 0.9);
  }

  private authResult(event: OperationEvent, status: number): void {
    const a = event.attributes!;
    a.status = statusName(status);
    if (status === 0xc0000016) return; // more legs follow
    if (a.ntlmssp_type === 3 || a.method === 'lm/ntlm' || a.method === 'kerberos' || status === 0 || !isSuccessStatus(status)) a.success = status === 0;
  }

  private serverNameFromPath(path: string): void {
    const name = serverNameOf(path);
    if (name !== '') this.fact(this.carrier.server.ip, this.carrier.server.mac, 'hostname', name, 0.7);
  }

  private event(requesterDir: Dir, version: 1 | 2, command: number, result: OperationEvent['result']): OperationEvent {
    const c = this.carrier;
    const kind: OperationKind = (version === 1 ? SMB1_KINDS[command] : SMB2_KINDS[command]) ?? 'other';
    return {
      type: 'operation',
      protocol: 'smb',
      ts: c.meta.ts,
      frame: c.meta.frame,
      captureIndex: this.ctx.captureIndex,
      flowId: this.ctx.flow.id,
      src: requesterDir === Dir.ToServer ? c.client : c.server,
      dst: requesterDir === Dir.ToServer ? c.server : c.client,
      kind,
      code: command,
      codeName: codeNameOf(version, command),
      result,
      attributes: { smb_version: version },
    };
  }

  private completeEvent(event: OperationEvent, status: number, version: 1 | 2): void {
    event.responseFrame = this.carrier.meta.frame;
    event.attributes!.status = statusName(status);
    if (isSuccessStatus(status)) event.result = 'ok';
    else {
      event.result = 'exception';
      event.exceptionCode = status;
      event.exceptionName = statusName(status);
    }
    void version;
    const sink = this.ctx.sink;
    // The event is final here: one completed normally is counted without being emitted when nobody reads it individually.
    if (event.result === 'ok' && sink.countOperation !== undefined && !sink.wantsOperation!('smb', event.kind, 'ok')) {
      sink.countOperation(event.captureIndex, event.flowId, 'smb', event.kind, event.src, event.dst);
      return;
    }
    sink.emit(event);
  }

  private fact(ip: string, mac: string | undefined, field: FactField, value: string, confidence: number): void {
    if (!this.rememberFact(ip, field, value)) return;
    const subject: { ip: string; mac?: string } = { ip };
    if (mac) subject.mac = mac;
    const m = this.carrier.meta;
    this.ctx.sink.emit({ type: 'asset-fact', protocol: 'smb', ts: m.ts, frame: m.frame, captureIndex: this.ctx.captureIndex, subject, field, value, confidence });
  }
  /** False when the fact was emitted before, or when MAX_FACTS are remembered (then it is dropped). */
  private rememberFact(ip: string, field: string, value: string): boolean {
    if (this.factsSeen === null) {
      const list = (this.factList ??= []);
      for (let i = 0; i < list.length; i += 3) if (list[i] === ip && list[i + 1] === field && list[i + 2] === value) return false;
      if (list.length < 3 * LINEAR_FACTS) {
        list.push(ip, field, value);
        return true;
      }
      const seen = new Set<string>();
      for (let i = 0; i < list.length; i += 3) seen.add(`${list[i]}|${list[i + 1]}|${list[i + 2]}`);
      this.factsSeen = seen;
      this.factList = null;
    }
    const key = `${ip}|${field}|${value}`;
    if (this.factsSeen.has(key)) return false;
    if (this.factsSeen.size >= MAX_FACTS) return false;
    this.factsSeen.add(key);
    return true;
  }


  private malformed(dir: Dir, detail: string): void {
    this.ctx.count('smb.malformed');
    this.anomaly(dir, 'malformed', detail);
  }

  private anomaly(dir: Dir, anomaly: 'malformed' | 'gap' | 'resync', detail: string): void {
    if (this.anomalies >= MAX_ANOMALY_EVENTS) return;
    this.anomalies++;
    const c = this.carrier;
    this.ctx.sink.emit({
      type: 'anomaly', protocol: 'smb', ts: c.meta.ts, frame: c.meta.frame, captureIndex: this.ctx.captureIndex, flowId: this.ctx.flow.id,
      src: dir === Dir.ToServer ? c.client : c.server, dst: dir === Dir.ToServer ? c.server : c.client, anomaly, detail,
    });
  }
}

function u16le(b: Buffer, at: number): number {
  return b[at]! | (b[at + 1]! << 8);
}

function u32le(b: Buffer, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16)) + b[at + 3]! * 0x1000000;
}

/** SMB2 file id key: the volatile part (unique per open), 53 bits so it stays an exact number; at + 8 <= end. */
function fileKey(buf: Buffer, at: number): number {
  return u32le(buf, at) + (u32le(buf, at + 4) & 0x1fffff) * 4294967296;
}

/**
 * The server name in a \\server\share path, or '' when there is none or it says nothing (an address, *SMBSERVER).
 * Memoised per path: sessions reconnect to the same few shares, and two regular expressions cost more than a lookup.
 */
const serverNameOf = memoByText((path: string): string => {
  const m = /^\\\\([^\\]+)\\/.exec(path);
  const name = m ? m[1]! : '';
  // An IP address or *SMBSERVER says nothing about the name.
  return /^[\d.]+$/.test(name) || name.includes(':') || name === '*SMBSERVER' ? '' : name;
}, 256);

function isIpc(tree: string): boolean {
  return /\\IPC\$$/i.test(tree);
}

function joinPath(tree: string, name: string): string {
  if (!tree) return name;
  if (!name) return tree;
  return name.startsWith('\\') ? tree + name : `${tree}\\${name}`;
}

/** Native OS/LAN manager strings are plain ASCII; exploit tools put junk there, which is no identity. */
function isPrintable(s: string): boolean {
  if (!s) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return /[A-Za-z]{2}/.test(s);
}

/** NUL-terminated ASCII at p (bounded by end); result in cursor. */
function readAscii(buf: Buffer, p: number, end: number): void {
  let s = '';
  let i = p;
  while (i < end && buf[i] !== 0 && s.length < MAX_STRING_CHARS) s += String.fromCharCode(buf[i++]!);
  while (i < end && buf[i] !== 0) i++;
  cursor.value = s;
  cursor.next = i < end ? i + 1 : end;
}

/** SMB1 string: UTF-16LE aligned to 2 bytes from the SMB header when unicode, else ASCII; result in cursor. */
function readString(buf: Buffer, p: number, end: number, unicode: boolean, h: number): void {
  if (!unicode) return readAscii(buf, p, end);
  if (((p - h) & 1) !== 0) p++;
  let s = '';
  let i = p;
  while (i + 1 < end) {
    const c = buf[i]! | (buf[i + 1]! << 8);
    i += 2;
    if (c === 0) break;
    if (s.length < MAX_STRING_CHARS) s += c >= 0x20 ? String.fromCharCode(c) : '?';
  }
  cursor.value = s;
  cursor.next = i > end ? end : i;
}

/** First-level decoded NetBIOS name (RFC 1001 §14.1) at p: length byte 0x20, 32 encoded chars. */
function netbiosName(buf: Buffer, p: number, end: number): string {
  if (p + 34 > end || buf[p] !== 0x20) return '';
  let s = '';
  for (let i = 0; i < 15; i++) {
    const hi = buf[p + 1 + 2 * i]! - 0x41;
    const lo = buf[p + 2 + 2 * i]! - 0x41;
    if (hi < 0 || hi > 15 || lo < 0 || lo > 15) return '';
    s += String.fromCharCode((hi << 4) | lo);
  }
  return s.trimEnd();
}
