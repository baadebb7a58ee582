/**
 * SMB over TCP 445 (NetBIOS session service framing): SMB2/3 file-server sessions (negotiate 3.1.1 with
 * pre-auth integrity and encryption contexts, SPNEGO/NTLMSSP session setup, tree connect, create/read/write/
 * set-info rename/close) and the SMB1 messages legacy clients and worms send (negotiate NT LM 0.12, null-session
 * setup, IPC$, NT Create AndX on a named pipe, Write/Read AndX, Trans TransactNmPipe, Trans2, NT Trans), plus
 * the connection-oriented DCE/RPC PDUs carried over the pipes.
 *
 * Layouts follow MS-SMB2, MS-CIFS/MS-SMB, MS-NLMP, RFC 4178 (SPNEGO) and C706; SMB1 fields mirror what
 * Windows and the MS17-010 tools put on the wire (see the captures in the corpus, threats/MS17_010_*.pcap).
 * Builders write into reusable buffers; one message per exchange.
 */
import { ByteWriter } from '../bytes.js';
import type { TcpConversation } from '../packets.js';
import { hashString, type Rng } from '../rng.js';
import { connect, MS, SEC, type SimContext } from '../context.js';
import type { PlantAsset } from '../plant.js';
import type { SimProcessFactory } from '../scheduler.js';
import { dnsLookup } from './it.js';

export const SMB_PORT = 445;

/** Largest message the builders produce (a whole SMB2 READ/WRITE of up to 60 KiB, or an SMB1 exploit train). */
const SMB_BUF = 70_000;

// ------------------------------------------------------------------------------------------ small encoders

/** FILETIME (100 ns since 1601) of a simulated time in µs since the Unix epoch. */
export function fileTime(us: number): bigint {
  return BigInt(Math.floor(us)) * 10n + 116444736000000000n;
}

function derLen(n: number): number[] {
  if (n < 0x80) return [n];
  if (n < 0x100) return [0x81, n];
  return [0x82, n >>> 8, n & 0xff];
}

/** One DER TLV around the concatenated parts. */
function der(tag: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([tag, ...derLen(body.length)]), body]);
}

const OID_SPNEGO = Buffer.from([0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02]);
const OID_NTLMSSP = Buffer.from([0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a]);

/** GSS-API initial token: NegTokenInit { mechTypes [NTLMSSP], mechToken? } (client) or without token (server). */
function spnegoInit(mechToken: Buffer | null): Buffer {
  const mechTypes = der(0xa0, der(0x30, OID_NTLMSSP));
  const fields = mechToken === null ? [mechTypes] : [mechTypes, der(0xa2, der(0x04, mechToken))];
  return der(0x60, OID_SPNEGO, der(0xa0, der(0x30, ...fields)));
}

/** NegTokenResp { negState?, supportedMech?, responseToken? }. negState: 0 accept-completed, 1 accept-incomplete. */
function spnegoResp(negState: number | null, withMech: boolean, token: Buffer | null): Buffer {
  const fields: Buffer[] = [];
  if (negState !== null) fields.push(der(0xa0, Buffer.from([0x0a, 0x01, negState])));
  if (withMech) fields.push(der(0xa1, OID_NTLMSSP));
  if (token !== null) fields.push(der(0xa2, der(0x04, token)));
  return der(0xa1, der(0x30, ...fields));
}

const utf16 = (s: string): Buffer => Buffer.from(s, 'utf16le');

/** Windows 10 / Server 2019 build 17763 version field (major, minor, build, NTLM revision 15). */
function ntlmVersion(w: ByteWriter, build: number): void {
  w.u8(10).u8(0).u16le(build).zeros(3).u8(15);
}

export interface NtlmUser {
  user: string;
  domain: string;
  workstation: string;
  /** Windows build of the client (NTLM version field) */
  build: number;
}

/** Windows build number that goes with an asset's OS string (NTLM/SMB version fields). */
export function windowsBuild(os: string): number {
  if (/server 2022/i.test(os)) return 20348;
  if (/server 2019|iot/i.test(os)) return 17763;
  if (/windows 11/i.test(os)) return 22631;
  return 19045;
}

/** What a Windows file server announces in its NTLM CHALLENGE (target info AV pairs). */
export interface SmbServerIdentity {
  netbiosName: string;
  netbiosDomain: string;
  dnsDomain: string;
  /** Windows build number in the NTLM version field */
  build: number;
}

function targetInfo(s: SmbServerIdentity, timestamp: bigint): Buffer {
  const w = new ByteWriter(Buffer.alloc(512));
  const av = (id: number, v: Buffer) => w.u16le(id).u16le(v.length).bytes(v);
  av(2, utf16(s.netbiosDomain));
  av(1, utf16(s.netbiosName));
  av(4, utf16(s.dnsDomain));
  av(3, utf16(`${s.netbiosName.toLowerCase()}.${s.dnsDomain}`));
  av(5, utf16(s.dnsDomain));
  w.u16le(7).u16le(8).u64le(timestamp);
  w.u16le(0).u16le(0);
  return Buffer.from(w.buf.subarray(0, w.o));
}

const NTLM_SIG = Buffer.from('NTLMSSP\0', 'latin1');

function ntlmNegotiate(build: number): Buffer {
  const w = new ByteWriter(Buffer.alloc(40));
  w.bytes(NTLM_SIG).u32le(1).u32le(0xe2088297).u16le(0).u16le(0).u32le(0).u16le(0).u16le(0).u32le(0);
  ntlmVersion(w, build);
  return w.buf;
}

function ntlmChallenge(s: SmbServerIdentity, challenge: Buffer, info: Buffer): Buffer {
  const name = utf16(s.netbiosDomain);
  const w = new ByteWriter(Buffer.alloc(56 + name.length + info.length));
  w.bytes(NTLM_SIG).u32le(2).u16le(name.length).u16le(name.length).u32le(56).u32le(0xe2898215).bytes(challenge)
    .zeros(8).u16le(info.length).u16le(info.length).u32le(56 + name.length);
  ntlmVersion(w, s.build);
  w.bytes(name).bytes(info);
  return w.buf;
}

/** NTLMv2 AUTHENTICATE: LMv2 zeros (as Windows sends with a MIC), NTProofStr + client blob, session key, MIC. */
function ntlmAuthenticate(u: NtlmUser, info: Buffer, timestamp: bigint, rng: Rng): Buffer {
  const infoNoEol = info.subarray(0, info.length - 4);
  const blob = new ByteWriter(Buffer.alloc(48 + info.length + 16));
  blob.u8(1).u8(1).zeros(6).u64le(timestamp);
  rng.fill(blob.buf, blob.o, 8);
  blob.o += 8;
  blob.zeros(4).bytes(infoNoEol).u16le(6).u16le(4).u32le(2).u16le(0).u16le(0).zeros(4);
  const nt = Buffer.alloc(16 + blob.o);
  rng.fill(nt, 0, 16);
  blob.buf.copy(nt, 16, 0, blob.o);
  const lm = Buffer.alloc(24);
  const domain = utf16(u.domain);
  const user = utf16(u.user);
  const ws = utf16(u.workstation);
  const key = Buffer.alloc(16);
  rng.fill(key, 0, 16);
  const base = 88;
  const w = new ByteWriter(Buffer.alloc(base + lm.length + nt.length + domain.length + user.length + ws.length + 16));
  let off = base;
  const field = (len: number) => {
    w.u16le(len).u16le(len).u32le(off);
    off += len;
  };
  w.bytes(NTLM_SIG).u32le(3);
  field(lm.length);
  field(nt.length);
  field(domain.length);
  field(user.length);
  field(ws.length);
  field(16);
  w.u32le(0xe2888215);
  ntlmVersion(w, u.build);
  rng.fill(w.buf, w.o, 16); // MIC
  w.o += 16;
  w.bytes(lm).bytes(nt).bytes(domain).bytes(user).bytes(ws).bytes(key);
  return w.buf;
}

// ------------------------------------------------------------------------------------------ SMB2/3

export const SMB2_NEGOTIATE = 0;
export const SMB2_SESSION_SETUP = 1;
export const SMB2_LOGOFF = 2;
export const SMB2_TREE_CONNECT = 3;
export const SMB2_TREE_DISCONNECT = 4;
export const SMB2_CREATE = 5;
export const SMB2_CLOSE = 6;
export const SMB2_READ = 8;
export const SMB2_WRITE = 9;
export const SMB2_SET_INFO = 17;

const STATUS_SUCCESS = 0;
const STATUS_MORE_PROCESSING_REQUIRED = 0xc0000016;

/** CreateDisposition values. */
export const FILE_OPEN = 1;
export const FILE_CREATE = 2;
export const FILE_OVERWRITE_IF = 5;

export interface Smb2File {
  /** persistent + volatile file id (16 bytes) */
  id: Buffer;
  name: string;
  size: number;
}

/**
 * An SMB 3.1.1 client session on an open TCP conversation. Message ids, credits, session id and tree id
 * follow the protocol; every message after the session is established is signed (random signature: no keys).
 */
export class Smb2Session {
  private readonly q = new ByteWriter(Buffer.alloc(SMB_BUF));
  private readonly r = new ByteWriter(Buffer.alloc(SMB_BUF));
  private messageId = 0;
  private sessionId = 0n;
  private treeId = 0;
  private signed = false;
  /** server processing time per request, µs */
  serverUs = 300;

  constructor(
    readonly c: TcpConversation, readonly rng: Rng, readonly user: NtlmUser, readonly server: SmbServerIdentity,
    readonly serverGuid: Buffer,
  ) {}

  private header(w: ByteWriter, cmd: number, response: boolean, status: number, credits: number): void {
    w.reset().u32(0); // NBSS header, patched in finish()
    w.u8(0xfe).ascii('SMB').u16le(64).u16le(1).u32le(status).u16le(cmd).u16le(credits);
    let flags = response ? 1 : 0;
    if (this.signed) flags |= 8;
    w.u32le(flags).u32le(0).u64le(BigInt(this.messageId)).u32le(0xfeff).u32le(this.treeId)
      .u64le(this.sessionId);
    if (this.signed) {
      this.rng.fill(w.buf, w.o, 16);
      w.o += 16;
    } else w.zeros(16);
  }

  private static finish(w: ByteWriter): void {
    w.buf.writeUInt32BE(w.o - 4, 0);
  }

  private *roundTrip(): Generator<void> {
    Smb2Session.finish(this.q);
    Smb2Session.finish(this.r);
    yield* this.c.exchange(this.q.buf, this.q.o, this.r.buf, this.r.o, this.serverUs);
    this.messageId++;
  }

  *negotiate(clientGuid: Buffer): Generator<void> {
    const q = this.q;
    this.header(q, SMB2_NEGOTIATE, false, 0, 10);
    const dialects = [0x0202, 0x0210, 0x0300, 0x0302, 0x0311];
    q.u16le(36).u16le(dialects.length).u16le(1).u16le(0).u32le(0x7f).bytes(clientGuid);
    const ctxOff = q.o;
    q.u32le(0).u16le(2).u16le(0);
    for (const d of dialects) q.u16le(d);
    this.negotiateContexts(q, ctxOff, [0x0002, 0x0001]);
    const r = this.r;
    this.header(r, SMB2_NEGOTIATE, true, STATUS_SUCCESS, 1);
    const blob = spnegoInit(null);
    r.u16le(65).u16le(1).u16le(0x0311).u16le(2).bytes(this.serverGuid).u32le(0x2f).u32le(8388608).u32le(8388608)
      .u32le(8388608).u64le(fileTime(this.c.t)).u64le(0n).u16le(0x80).u16le(blob.length);
    const rCtxOff = r.o;
    r.u32le(0).bytes(blob);
    this.negotiateContexts(r, rCtxOff, [0x0002]);
    yield* this.roundTrip();
  }

  /** Pads to 8 (offsets are relative to the SMB2 header, 4 bytes into the buffer) and appends the contexts. */
  private negotiateContexts(w: ByteWriter, offsetField: number, ciphers: number[]): void {
    while ((w.o - 4) % 8 !== 0) w.u8(0);
    w.patch32le(offsetField, w.o - 4);
    w.u16le(1).u16le(38).u32le(0).u16le(1).u16le(32).u16le(1);
    this.rng.fill(w.buf, w.o, 32);
    w.o += 32;
    while ((w.o - 4) % 8 !== 0) w.u8(0);
    w.u16le(2).u16le(2 + 2 * ciphers.length).u32le(0).u16le(ciphers.length);
    for (const c of ciphers) w.u16le(c);
  }

  /** NTLMSSP over SPNEGO: NEGOTIATE / CHALLENGE (more processing required), AUTHENTICATE / success. */
  *sessionSetup(): Generator<void> {
    const challenge = Buffer.alloc(8);
    this.rng.fill(challenge, 0, 8);
    const info = targetInfo(this.server, fileTime(this.c.t));
    // The first request of a new session carries session id 0; the server's answer assigns it.
    this.sessionId = 0n;
    this.setupRequest(spnegoInit(ntlmNegotiate(this.user.build)));
    this.sessionId = 0x0000100000000000n + BigInt(this.rng.u32() & 0xffffff) * 4n + 1n;
    this.header(this.r, SMB2_SESSION_SETUP, true, STATUS_MORE_PROCESSING_REQUIRED, 1);
    this.setupResponse(spnegoResp(1, true, ntlmChallenge(this.server, challenge, info)));
    yield* this.roundTrip();
    this.setupRequest(spnegoResp(null, false, ntlmAuthenticate(this.user, info, fileTime(this.c.t), this.rng)));
    this.signed = true;
    this.header(this.r, SMB2_SESSION_SETUP, true, STATUS_SUCCESS, 1);
    this.signed = false;
    this.setupResponse(spnegoResp(0, false, null));
    yield* this.roundTrip();
    this.signed = true;
  }

  private setupRequest(blob: Buffer): void {
    const q = this.q;
    this.header(q, SMB2_SESSION_SETUP, false, 0, 33);
    q.u16le(25).u8(0).u8(1).u32le(1).u32le(0).u16le(0x58).u16le(blob.length).u64le(0n).bytes(blob);
  }

  private setupResponse(blob: Buffer): void {
    this.r.u16le(9).u16le(0).u16le(0x48).u16le(blob.length).bytes(blob);
  }

  /** TREE_CONNECT to `\\server\share`; pipe shares (IPC$) answer share type 2. */
  *treeConnect(path: string): Generator<void> {
    const q = this.q;
    const p = utf16(path);
    this.header(q, SMB2_TREE_CONNECT, false, 0, 1);
    q.u16le(9).u16le(0).u16le(0x48).u16le(p.length).bytes(p);
    const tid = 1 + (this.rng.u32() % 9);
    const r = this.r;
    this.header(r, SMB2_TREE_CONNECT, true, STATUS_SUCCESS, 1);
    r.buf.writeUInt32LE(tid, 4 + 36);
    const ipc = /\\IPC\$$/i.test(path);
    r.u16le(16).u8(ipc ? 2 : 1).u8(0).u32le(ipc ? 0x30 : 0x800).u32le(0).u32le(ipc ? 0x1f00a9 : 0x1f01ff);
    yield* this.roundTrip();
    this.treeId = tid;
  }

  *create(name: string, disposition: number, access: number, size: number): Generator<void, Smb2File> {
    const q = this.q;
    const n = utf16(name);
    this.header(q, SMB2_CREATE, false, 0, 1);
    q.u16le(57).u8(0).u8(0).u32le(2).u64le(0n).u64le(0n).u32le(access).u32le(0x80).u32le(7).u32le(disposition)
      .u32le(0x40).u16le(0x78).u16le(n.length).u32le(0).u32le(0).bytes(n);
    const id = Buffer.alloc(16);
    this.rng.fill(id, 0, 16);
    const r = this.r;
    this.header(r, SMB2_CREATE, true, STATUS_SUCCESS, 1);
    const created = disposition === FILE_CREATE || (disposition === FILE_OVERWRITE_IF && size === 0);
    const ft = fileTime(this.c.t - 86_400_000_000 * (1 + (this.rng.u32() % 90)));
    const now = fileTime(this.c.t);
    r.u16le(89).u8(0).u8(0).u32le(created ? 2 : disposition === FILE_OVERWRITE_IF ? 3 : 1)
      .u64le(ft).u64le(now).u64le(created ? now : ft).u64le(created ? now : ft)
      .u64le(BigInt(Math.ceil(size / 4096) * 4096)).u64le(BigInt(size)).u32le(0x20).u32le(0).bytes(id).u32le(0).u32le(0);
    yield* this.roundTrip();
    return { id, name, size };
  }

  /** READ of `len` bytes (≤ 60 KiB) at `offset`; the data are opaque file contents. */
  *read(f: Smb2File, offset: number, len: number): Generator<void> {
    const q = this.q;
    this.header(q, SMB2_READ, false, 0, 1);
    q.u16le(49).u8(0x50).u8(0).u32le(len).u64le(BigInt(offset)).bytes(f.id).u32le(0).u32le(0).u32le(0).u16le(0)
      .u16le(0).u8(0);
    const r = this.r;
    this.header(r, SMB2_READ, true, STATUS_SUCCESS, 1);
    r.u16le(17).u8(0x50).u8(0).u32le(len).u32le(0).u32le(0);
    this.rng.fill(r.buf, r.o, len);
    r.o += len;
    yield* this.roundTrip();
  }

  *write(f: Smb2File, offset: number, len: number): Generator<void> {
    const q = this.q;
    this.header(q, SMB2_WRITE, false, 0, 1);
    q.u16le(49).u16le(0x70).u32le(len).u64le(BigInt(offset)).bytes(f.id).u32le(0).u32le(0).u16le(0).u16le(0).u32le(0);
    this.rng.fill(q.buf, q.o, len);
    q.o += len;
    const r = this.r;
    this.header(r, SMB2_WRITE, true, STATUS_SUCCESS, 1);
    r.u16le(17).u16le(0).u32le(len).u32le(0).u16le(0).u16le(0);
    f.size = Math.max(f.size, offset + len);
    yield* this.roundTrip();
  }

  /** SET_INFO FileRenameInformation: `newName` is relative to the share root (as Windows sends it). */
  *rename(f: Smb2File, newName: string): Generator<void> {
    const q = this.q;
    const n = utf16(newName);
    this.header(q, SMB2_SET_INFO, false, 0, 1);
    q.u16le(33).u8(1).u8(10).u32le(20 + n.length).u16le(0x60).u16le(0).u32le(0).bytes(f.id)
      .u8(0).zeros(7).u64le(0n).u32le(n.length).bytes(n);
    const r = this.r;
    this.header(r, SMB2_SET_INFO, true, STATUS_SUCCESS, 1);
    r.u16le(2);
    yield* this.roundTrip();
    f.name = newName;
  }

  *close(f: Smb2File): Generator<void> {
    const q = this.q;
    this.header(q, SMB2_CLOSE, false, 0, 1);
    q.u16le(24).u16le(1).u32le(0).bytes(f.id);
    const r = this.r;
    this.header(r, SMB2_CLOSE, true, STATUS_SUCCESS, 1);
    const now = fileTime(this.c.t);
    r.u16le(60).u16le(1).u32le(0).u64le(now).u64le(now).u64le(now).u64le(now)
      .u64le(BigInt(Math.ceil(f.size / 4096) * 4096)).u64le(BigInt(f.size)).u32le(0x20);
    yield* this.roundTrip();
  }

  *treeDisconnect(): Generator<void> {
    this.header(this.q, SMB2_TREE_DISCONNECT, false, 0, 1);
    this.q.u16le(4).u16le(0);
    this.header(this.r, SMB2_TREE_DISCONNECT, true, STATUS_SUCCESS, 1);
    this.r.u16le(4).u16le(0);
    yield* this.roundTrip();
    this.treeId = 0;
  }

  *logoff(): Generator<void> {
    this.header(this.q, SMB2_LOGOFF, false, 0, 1);
    this.q.u16le(4).u16le(0);
    this.header(this.r, SMB2_LOGOFF, true, STATUS_SUCCESS, 1);
    this.r.u16le(4).u16le(0);
    yield* this.roundTrip();
    this.signed = false;
    this.sessionId = 0n;
  }
}

// ------------------------------------------------------------------------------------------ SMB1

export const SMB1_NEGOTIATE = 0x72;
export const SMB1_SESSION_SETUP_ANDX = 0x73;
export const SMB1_TREE_CONNECT_ANDX = 0x75;
export const SMB1_TREE_DISCONNECT = 0x71;
export const SMB1_LOGOFF_ANDX = 0x74;
export const SMB1_NT_CREATE_ANDX = 0xa2;
export const SMB1_WRITE_ANDX = 0x2f;
export const SMB1_READ_ANDX = 0x2e;
export const SMB1_TRANSACTION = 0x25;
export const SMB1_TRANSACTION2 = 0x32;
export const SMB1_TRANSACTION2_SECONDARY = 0x33;
export const SMB1_NT_TRANSACT = 0xa0;

export const STATUS_NOT_IMPLEMENTED = 0xc0000002;
export const STATUS_INSUFF_SERVER_RESOURCES = 0xc0000205;

/** Dialects of the MS17-010 scanners and of Windows XP-era clients, in their order. */
const SMB1_DIALECTS = ['PC NETWORK PROGRAM 1.0', 'LANMAN1.0', 'Windows for Workgroups 3.1a', 'LM1.2X002', 'LANMAN2.1', 'NT LM 0.12'];

/** Flags2: long names, EAs, security signatures supported, NT status codes, Unicode. */
const FLAGS2 = 0xc007;

/**
 * An SMB1 client on an open TCP conversation. Requests carry the client's PID/MID; the server's UID and TID
 * are taken on once it assigns them. `mid` may be set before a request (DoublePulsar uses 65, 66, ...).
 */
export class Smb1Session {
  readonly q = new ByteWriter(Buffer.alloc(SMB_BUF));
  readonly r = new ByteWriter(Buffer.alloc(SMB_BUF));
  pid = 0xfeff;
  mid = 64;
  uid = 0;
  tid = 0;
  serverUs = 250;
  /** multiplex id the server puts in its next response (null: the request's) */
  replyMid: number | null = null;

  constructor(readonly c: TcpConversation, readonly rng: Rng) {}

  /** Header (32 bytes after the 4-byte NBSS header); returns nothing, the caller appends words and bytes. */
  header(w: ByteWriter, cmd: number, response: boolean, status: number, flags2 = FLAGS2): void {
    w.reset().u32(0);
    w.u8(0xff).ascii('SMB').u8(cmd).u32le(status).u8(response ? 0x98 : 0x18).u16le(flags2).u16le(0).zeros(8)
      .u16le(0).u16le(this.tid).u16le(this.pid).u16le(this.uid)
      .u16le(response && this.replyMid !== null ? this.replyMid : this.mid);
  }

  /** Offset of the SMB header in the builders' buffers (after NBSS). */
  static readonly H = 4;

  private static finish(w: ByteWriter): void {
    w.buf.writeUInt32BE(w.o - 4, 0);
  }

  *roundTrip(): Generator<void> {
    Smb1Session.finish(this.q);
    Smb1Session.finish(this.r);
    yield* this.c.exchange(this.q.buf, this.q.o, this.r.buf, this.r.o, this.serverUs);
    this.replyMid = null;
  }

  /** A request the server does not answer (secondary transactions): the server only ACKs. */
  *sendOnly(): Generator<void> {
    Smb1Session.finish(this.q);
    yield* this.c.send(true, this.q.buf, this.q.o);
    this.c.t += this.c.halfRttUs;
    yield* this.c.ack(false);
  }

  /** NEGOTIATE; the server picks NT LM 0.12 (non-extended security, 8-byte challenge). */
  *negotiate(domain: string, serverName: string): Generator<void> {
    const q = this.q;
    this.header(q, SMB1_NEGOTIATE, false, 0, 0xc853);
    q.u8(0);
    const bc = q.mark16();
    const b0 = q.o;
    for (const d of SMB1_DIALECTS) q.u8(2).ascii(d).u8(0);
    q.patch16le(bc, q.o - b0);
    const r = this.r;
    this.header(r, SMB1_NEGOTIATE, true, 0, 0xc853);
    r.u8(17).u16le(SMB1_DIALECTS.length - 1).u8(3).u16le(50).u16le(1).u32le(16644).u32le(65536).u32le(0)
      .u32le(0x0001e3fc).u64le(fileTime(this.c.t)).u16le(0).u8(8);
    const rbc = r.mark16();
    const rb0 = r.o;
    this.rng.fill(r.buf, r.o, 8);
    r.o += 8;
    r.utf16le(domain).u16le(0).utf16le(serverName).u16le(0);
    r.patch16le(rbc, r.o - rb0);
    yield* this.roundTrip();
  }

  /** Anonymous (null session) SESSION_SETUP_ANDX; the server answers with its native OS and LAN manager. */
  *sessionSetupAnonymous(clientOs: string, clientLanman: string, serverOs: string, serverLanman: string, domain: string): Generator<void> {
    const q = this.q;
    this.header(q, SMB1_SESSION_SETUP_ANDX, false, 0);
    q.u8(13).u8(0xff).u8(0).u16le(0).u16le(4356).u16le(10).u16le(0).u32le(0).u16le(0).u16le(0).u32le(0).u32le(0xd4);
    const bc = q.mark16();
    const b0 = q.o;
    q.u8(0); // no passwords; pad to the Unicode strings
    q.u16le(0).u16le(0); // account name "", primary domain ""
    q.utf16le(clientOs).u16le(0).utf16le(clientLanman).u16le(0);
    q.patch16le(bc, q.o - b0);
    this.uid = 0x0800 + (this.rng.u32() % 0x7ff);
    const r = this.r;
    this.header(r, SMB1_SESSION_SETUP_ANDX, true, 0);
    r.u8(3).u8(0xff).u8(0).u16le(0).u16le(0);
    const rbc = r.mark16();
    const rb0 = r.o;
    r.u8(0).utf16le(serverOs).u16le(0).utf16le(serverLanman).u16le(0).utf16le(domain).u16le(0);
    r.patch16le(rbc, r.o - rb0);
    yield* this.roundTrip();
  }

  *treeConnect(path: string): Generator<void> {
    const q = this.q;
    this.header(q, SMB1_TREE_CONNECT_ANDX, false, 0);
    q.u8(4).u8(0xff).u8(0).u16le(0).u16le(8).u16le(1);
    const bc = q.mark16();
    const b0 = q.o;
    q.u8(0).utf16le(path).u16le(0).ascii('?????').u8(0);
    q.patch16le(bc, q.o - b0);
    this.tid = 0x0800 + (this.rng.u32() % 0x7ff);
    const r = this.r;
    this.header(r, SMB1_TREE_CONNECT_ANDX, true, 0);
    r.u8(7).u8(0xff).u8(0).u16le(0).u16le(1).u32le(0x1f00ff).u32le(0x1f00ff).u16le(7).ascii('IPC').u8(0).u8(0)
      .u16le(0);
    yield* this.roundTrip();
  }

  /** NT_CREATE_ANDX of a named pipe on IPC$ (e.g. "\srvsvc"); returns the FID. */
  *openPipe(name: string): Generator<void, number> {
    const q = this.q;
    const nameBytes = (name.length + 1) * 2;
    this.header(q, SMB1_NT_CREATE_ANDX, false, 0);
    q.u8(24).u8(0xff).u8(0).u16le(0).u8(0).u16le(nameBytes).u32le(0x16).u32le(0).u32le(0x2019f).u64le(0n)
      .u32le(0).u32le(3).u32le(FILE_OPEN).u32le(0).u32le(2).u8(0);
    const bc = q.mark16();
    const b0 = q.o;
    q.u8(0).utf16le(name).u16le(0);
    q.patch16le(bc, q.o - b0);
    const fid = 0x4000 + (this.rng.u32() % 0x3fff);
    const r = this.r;
    this.header(r, SMB1_NT_CREATE_ANDX, true, 0);
    r.u8(34).u8(0xff).u8(0).u16le(0).u8(0).u16le(fid).u32le(1).u64le(0n).u64le(0n).u64le(0n).u64le(0n).u32le(0x80)
      .u64le(4096n).u64le(0n).u16le(2).u16le(0x05ff).u8(0).u16le(0);
    yield* this.roundTrip();
    return fid;
  }

  /** WRITE_ANDX of `data` to a pipe (message start). */
  *writePipe(fid: number, data: Buffer): Generator<void> {
    const q = this.q;
    this.header(q, SMB1_WRITE_ANDX, false, 0);
    q.u8(14).u8(0xff).u8(0).u16le(0).u16le(fid).u32le(0).u32le(0).u16le(0x0008).u16le(data.length).u16le(0)
      .u16le(data.length).u16le(64).u32le(0);
    q.u16le(data.length + 1).u8(0).bytes(data);
    const r = this.r;
    this.header(r, SMB1_WRITE_ANDX, true, 0);
    r.u8(6).u8(0xff).u8(0).u16le(0).u16le(data.length).u16le(0xffff).u32le(0).u16le(0);
    yield* this.roundTrip();
  }

  /** READ_ANDX from a pipe answered with `data`. */
  *readPipe(fid: number, data: Buffer): Generator<void> {
    const q = this.q;
    this.header(q, SMB1_READ_ANDX, false, 0);
    q.u8(12).u8(0xff).u8(0).u16le(0).u16le(fid).u32le(0).u16le(1024).u16le(1024).u32le(0xffffffff).u16le(1024)
      .u32le(0).u16le(0);
    const r = this.r;
    this.header(r, SMB1_READ_ANDX, true, 0);
    r.u8(12).u8(0xff).u8(0).u16le(0).u16le(0xffff).u16le(0).u16le(0).u16le(data.length).u16le(60).u32le(0)
      .zeros(6);
    r.u16le(data.length + 1).u8(0).bytes(data);
    yield* this.roundTrip();
  }

  /** TRANSACTION TransactNmPipe (setup 0x0026, FID) with a DCE/RPC request, answered with `response`. */
  *transactPipe(fid: number, data: Buffer, response: Buffer): Generator<void> {
    const q = this.q;
    this.header(q, SMB1_TRANSACTION, false, 0);
    // words: 14 + 2 setup words; bytes: pad, "\PIPE\" (Unicode), pad to 4, data
    const bytesStart = 32 + 1 + 32 + 2;
    const nameStart = bytesStart + 1;
    const dataOff = (nameStart + 14 + 3) & ~3;
    q.u8(16).u16le(0).u16le(data.length).u16le(0).u16le(1024).u8(0).u8(0).u16le(0).u32le(0).u16le(0)
      .u16le(0).u16le(dataOff).u16le(data.length).u16le(dataOff).u8(2).u8(0).u16le(0x0026).u16le(fid);
    q.u16le(dataOff - bytesStart + data.length).u8(0).utf16le('\\PIPE\\').u16le(0);
    while (q.o - 4 < dataOff) q.u8(0);
    q.bytes(data);
    const r = this.r;
    this.header(r, SMB1_TRANSACTION, true, 0);
    const rDataOff = 32 + 1 + 20 + 2 + 1; // words (10), byte count, one pad byte → 56 (4-aligned)
    r.u8(10).u16le(0).u16le(response.length).u16le(0).u16le(0).u16le(rDataOff).u16le(0).u16le(response.length)
      .u16le(rDataOff).u16le(0).u8(0).u8(0);
    r.u16le(rDataOff - (32 + 1 + 20 + 2) + response.length);
    while (r.o - 4 < rDataOff) r.u8(0);
    r.bytes(response);
    yield* this.roundTrip();
  }

  /**
   * TRANSACTION PeekNamedPipe on FID 0 — the MS17-010 check: an unpatched host answers
   * STATUS_INSUFF_SERVER_RESOURCES.
   */
  *peekNamedPipe(status: number): Generator<void> {
    const q = this.q;
    this.header(q, SMB1_TRANSACTION, false, 0);
    q.u8(16).u16le(0).u16le(0).u16le(0xffff).u16le(0xffff).u8(0).u8(0).u16le(0).u32le(0).u16le(0)
      .u16le(0).u16le(82).u16le(0).u16le(82).u8(2).u8(0).u16le(0x0023).u16le(0);
    q.u16le(15).u8(0).utf16le('\\PIPE\\').u16le(0);
    const r = this.r;
    this.header(r, SMB1_TRANSACTION, true, status);
    r.u8(0).u16le(0);
    yield* this.roundTrip();
  }

  /** TRANSACTION2 SESSION_SETUP (subcommand 0x000e) — DoublePulsar's ping; answered STATUS_NOT_IMPLEMENTED. */
  *trans2SessionSetup(timeout: number): Generator<void> {
    const q = this.q;
    this.header(q, SMB1_TRANSACTION2, false, 0);
    q.u8(15).u16le(12).u16le(0).u16le(1).u16le(0).u8(0).u8(0).u16le(0).u32le(timeout).u16le(0).u16le(12)
      .u16le(66).u16le(0).u16le(78).u8(1).u8(0).u16le(0x000e);
    q.u16le(13).zeros(13);
    const r = this.r;
    this.header(r, SMB1_TRANSACTION2, true, STATUS_NOT_IMPLEMENTED);
    r.u8(0).u16le(0);
    yield* this.roundTrip();
  }

  /**
   * NT_TRANSACT announcing `totalData` bytes (beyond what the server can hold: EternalBlue's FEA list), with
   * its first `firstData` bytes; the server's interim response invites the secondaries.
   */
  *ntTransLarge(totalData: number, firstData: number): Generator<void> {
    const q = this.q;
    this.header(q, SMB1_NT_TRANSACT, false, 0);
    const paramCount = 30;
    const bytesStart = 32 + 1 + 40 + 2; // 20 words (one setup word), byte count
    const paramOff = bytesStart + 1;
    const dataOff = (paramOff + paramCount + 3) & ~3;
    q.u8(20).u8(1).u16le(0).u32le(paramCount).u32le(totalData).u32le(paramCount).u32le(0).u32le(paramCount)
      .u32le(paramOff).u32le(firstData).u32le(dataOff).u8(1).u16le(0).u16le(0);
    q.u16le(dataOff - bytesStart + firstData);
    while (q.o - 4 < paramOff) q.u8(0);
    q.zeros(paramCount);
    while (q.o - 4 < dataOff) q.u8(0);
    q.zeros(firstData);
    q.buf[q.o - firstData + 1] = 0x01; // the FEA list's first entry length, as the exploit starts it
    const r = this.r;
    this.header(r, SMB1_NT_TRANSACT, true, 0);
    r.u8(0).u16le(0);
    yield* this.roundTrip();
  }

  /** TRANSACTION2_SECONDARY carrying `len` bytes at `displacement` (no response). */
  *trans2Secondary(totalData: number, displacement: number, len: number): Generator<void> {
    const q = this.q;
    this.header(q, SMB1_TRANSACTION2_SECONDARY, false, 0);
    const dataOff = 32 + 1 + 18 + 2; // right after the byte count, unaligned, as the exploit sends it
    q.u8(9).u16le(0).u16le(totalData).u16le(0).u16le(0).u16le(0).u16le(len).u16le(dataOff).u16le(displacement)
      .u16le(0);
    q.u16le(len);
    this.rng.fill(q.buf, q.o, len);
    q.o += len;
    yield* this.sendOnly();
  }

  *treeDisconnect(): Generator<void> {
    this.header(this.q, SMB1_TREE_DISCONNECT, false, 0);
    this.q.u8(0).u16le(0);
    this.header(this.r, SMB1_TREE_DISCONNECT, true, 0);
    this.r.u8(0).u16le(0);
    yield* this.roundTrip();
    this.tid = 0;
  }

  *logoff(): Generator<void> {
    this.header(this.q, SMB1_LOGOFF_ANDX, false, 0);
    this.q.u8(2).u8(0xff).u8(0).u16le(0).u16le(0);
    this.header(this.r, SMB1_LOGOFF_ANDX, true, 0);
    this.r.u8(2).u8(0xff).u8(0).u16le(0).u16le(0);
    yield* this.roundTrip();
    this.uid = 0;
  }
}

// ------------------------------------------------------------------------------------------ DCE/RPC

const NDR_UUID = '8a885d04-1ceb-11c9-9fe8-08002b104860';
export const SRVSVC_UUID = '4b324fc8-1670-01d3-1278-5a47bf6ee188';

function uuidLe(w: ByteWriter, uuid: string): void {
  const h = uuid.replace(/-/g, '');
  w.u32le(parseInt(h.slice(0, 8), 16)).u16le(parseInt(h.slice(8, 12), 16)).u16le(parseInt(h.slice(12, 16), 16));
  for (let i = 16; i < 32; i += 2) w.u8(parseInt(h.slice(i, i + 2), 16));
}

function pduHeader(w: ByteWriter, type: number, callId: number): number {
  w.reset().u8(5).u8(0).u8(type).u8(3).u32(0x10000000);
  const frag = w.o;
  w.u16le(0).u16le(0).u32le(callId);
  return frag;
}

export function dcerpcBind(callId: number, uuid: string, version: number): Buffer {
  const w = new ByteWriter(Buffer.alloc(128));
  const frag = pduHeader(w, 11, callId);
  w.u16le(4280).u16le(4280).u32le(0).u8(1).zeros(3).u16le(0).u8(1).u8(0);
  uuidLe(w, uuid);
  w.u16le(version).u16le(0);
  uuidLe(w, NDR_UUID);
  w.u32le(2);
  w.patch16le(frag, w.o);
  return Buffer.from(w.buf.subarray(0, w.o));
}

export function dcerpcBindAck(callId: number, pipe: string, assocGroup: number): Buffer {
  const w = new ByteWriter(Buffer.alloc(128));
  const frag = pduHeader(w, 12, callId);
  w.u16le(4280).u16le(4280).u32le(assocGroup).u16le(pipe.length + 1).ascii(pipe).u8(0);
  while (w.o % 4 !== 0) w.u8(0);
  w.u8(1).zeros(3).u16le(0).u16le(0);
  uuidLe(w, NDR_UUID);
  w.u32le(2);
  w.patch16le(frag, w.o);
  return Buffer.from(w.buf.subarray(0, w.o));
}

export function dcerpcRequest(callId: number, opnum: number, stub: Buffer): Buffer {
  const w = new ByteWriter(Buffer.alloc(24 + stub.length));
  const frag = pduHeader(w, 0, callId);
  w.u32le(stub.length).u16le(0).u16le(opnum).bytes(stub);
  w.patch16le(frag, w.o);
  return w.buf;
}

export function dcerpcResponse(callId: number, stub: Buffer): Buffer {
  const w = new ByteWriter(Buffer.alloc(24 + stub.length));
  const frag = pduHeader(w, 2, callId);
  w.u32le(stub.length).u16le(0).u8(0).u8(0).bytes(stub);
  w.patch16le(frag, w.o);
  return w.buf;
}

/** NDR conformant varying UTF-16 string (with its NUL), padded to 4. */
function ndrWstring(w: ByteWriter, s: string): void {
  const n = s.length + 1;
  w.u32le(n).u32le(0).u32le(n).utf16le(s).u16le(0);
  while (w.o % 4 !== 0) w.u8(0);
}

/**
 * NetprPathCanonicalize (srvsvc opnum 31) request stub: ServerName [unique, string], PathName [string],
 * OutbufLen, Prefix [string], PathType [in, out], Flags.
 */
export function netprPathCanonicalizeStub(server: string, path: string, outbufLen: number): Buffer {
  const w = new ByteWriter(Buffer.alloc(64 + 2 * (server.length + path.length)));
  w.u32le(0x00020000);
  ndrWstring(w, server);
  ndrWstring(w, path);
  w.u32le(outbufLen);
  ndrWstring(w, '\\');
  w.u32le(1).u32le(0);
  return Buffer.from(w.buf.subarray(0, w.o));
}

/** Its response: Outbuf [size_is(OutbufLen)], PathType, WERROR. */
export function netprPathCanonicalizeResponse(outbufLen: number, werror: number): Buffer {
  const w = new ByteWriter(Buffer.alloc(32 + outbufLen));
  w.u32le(outbufLen).zeros(outbufLen);
  while (w.o % 4 !== 0) w.u8(0);
  w.u32le(1).u32le(werror);
  return Buffer.from(w.buf.subarray(0, w.o));
}

/** Default think time between the operations of one SMB session. */
export const SMB_STEP_US = 2 * MS;

// ------------------------------------------------------------------------------------------ baseline sessions

/** A file a client opens on a share: read whole (up to `readCap`) or rewritten with `size` bytes. */
export interface ShareFile {
  path: string;
  size: number;
  write: boolean;
}

export interface FileShareClientOptions {
  share: string;
  user: NtlmUser;
  server: SmbServerIdentity;
  files: readonly ShareFile[];
  /** files touched per session */
  filesPerSession: number;
  /** resolver the client asks for the server's name before each session */
  dns: PlantAsset;
  periodSec: number;
  offsetUs: number;
}

/** Largest READ/WRITE the clients issue (Windows uses up to 1 MiB with large MTU; smaller keeps frames few). */
const IO_CHUNK = 61_440;
/** Bytes of a file read per session at most (Explorer previews, applications reading headers). */
const READ_CAP = 4 * IO_CHUNK;

/**
 * A Windows client mapping a share every `periodSec`: DNS lookup of the server, TCP connect, NEGOTIATE 3.1.1,
 * NTLMSSP session setup, TREE_CONNECT \\server\share, a few files opened and read or rewritten, then tree
 * disconnect, logoff and close. The lookup comes first so that a capture stopped by size decides on the session
 * at its own time, not a whole period earlier.
 */
export function fileShareClient(ctx: SimContext, client: PlantAsset, server: PlantAsset, o: FileShareClientOptions): SimProcessFactory {
  return function* (slot) {
    const rng = ctx.rng.fork(hashString(`smb:${client.name}:${server.name}`));
    const clientGuid = Buffer.alloc(16);
    const serverGuid = Buffer.alloc(16);
    rng.fill(clientGuid, 0, 16);
    rng.fill(serverGuid, 0, 16);
    const name = (server.hostname ?? server.name).toLowerCase();
    const unc = `\\\\${name}\\${o.share}`;
    let next = rng.int(0, o.files.length - 1);
    let t = ctx.startUs + o.offsetUs;
    while (ctx.sched.running(t)) {
      const looked = yield* dnsLookup(ctx, slot, t, client.host, o.dns.host, `${name}.${o.server.dnsDomain}`, [server.host.ip], rng);
      if (!ctx.sched.running(looked)) break;
      const c = connect(ctx, slot, client.host, server.host, SMB_PORT, looked + 300, 'smb');
      const s = new Smb2Session(c, rng, o.user, o.server, serverGuid);
      yield* c.open();
      yield* s.negotiate(clientGuid);
      c.t += 1 * MS;
      yield* s.sessionSetup();
      c.t += SMB_STEP_US;
      yield* s.treeConnect(unc);
      for (let i = 0; i < o.filesPerSession; i++) {
        const file = o.files[next]!;
        next = (next + 1) % o.files.length;
        c.t += SMB_STEP_US + rng.int(0, 20 * MS);
        if (file.write) {
          const f = yield* s.create(file.path, FILE_OVERWRITE_IF, 0x0012019f, 0);
          for (let off = 0; off < file.size; off += IO_CHUNK) {
            yield* s.write(f, off, Math.min(IO_CHUNK, file.size - off));
          }
          yield* s.close(f);
        } else {
          const f = yield* s.create(file.path, FILE_OPEN, 0x00120089, file.size);
          const end = Math.min(file.size, READ_CAP);
          for (let off = 0; off < end; off += IO_CHUNK) yield* s.read(f, off, Math.min(IO_CHUNK, end - off));
          yield* s.close(f);
        }
      }
      c.t += 50 * MS;
      yield* s.treeDisconnect();
      yield* s.logoff();
      c.t += 5 * MS;
      yield* c.close();
      t += o.periodSec * SEC;
    }
  };
}
