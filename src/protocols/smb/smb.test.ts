import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Dir, Probe } from '../analyzer.js';
import { recordingContext } from '../common/test-support.js';
import { fuzzRuns } from '../../util/fuzz-budget.js';
import { SRVSVC_UUID, bind, bindAck, netPathCanonicalizeStub, request } from '../dcerpc/test-frames.js';
import { probeSmb } from './index.js';
import { NbssFramer, type NbssReceiver } from './nbss.js';
import { mentionsKerberos } from './ntlmssp.js';
import { SmbSession } from './session.js';

// ---- hand-built SMB2 (MS-SMB2 2.2) ------------------------------------------------------------------------
const FID = Buffer.from('0102030405060708a1a2a3a4a5a6a7a8', 'hex');
const RELATED_FID = Buffer.alloc(16, 0xff);

function smb2(command: number, messageId: number, body: Buffer, o: { response?: boolean; status?: number; treeId?: number; related?: boolean } = {}): Buffer {
  const h = Buffer.alloc(64);
  h.write('\xfeSMB', 0, 'latin1');
  h.writeUInt16LE(64, 4);
  h.writeUInt32LE(o.status ?? 0, 8);
  h.writeUInt16LE(command, 12);
  h.writeUInt32LE((o.response ? 1 : 0) | (o.related ? 4 : 0), 16);
  h.writeUInt32LE(messageId, 24);
  h.writeUInt32LE(o.treeId ?? 1, 36);
  return Buffer.concat([h, body]);
}

/** Links messages into a compound (NextCommand, 8-byte aligned) inside one NBSS packet. */
function compound(messages: Buffer[]): Buffer {
  const parts = messages.map((m, i) => {
    if (i === messages.length - 1) return m;
    const padded = Buffer.concat([m, Buffer.alloc((8 - (m.length % 8)) % 8)]);
    padded.writeUInt32LE(padded.length, 20);
    return padded;
  });
  return nbss(Buffer.concat(parts));
}

function nbss(payload: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt32BE(payload.length, 0);
  return Buffer.concat([h, payload]);
}

function treeConnect(path: string): Buffer {
  const name = Buffer.from(path, 'utf16le');
  const b = Buffer.alloc(8);
  b.writeUInt16LE(9, 0);
  b.writeUInt16LE(64 + 8, 4);
  b.writeUInt16LE(name.length, 6);
  return Buffer.concat([b, name]);
}

function treeConnectResponse(shareType: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt16LE(16, 0);
  b[2] = shareType;
  return b;
}

function create(name: string, options = 0, disposition = 1): Buffer {
  const n = Buffer.from(name, 'utf16le');
  const b = Buffer.alloc(56);
  b.writeUInt16LE(57, 0);
  b.writeUInt32LE(disposition, 36);
  b.writeUInt32LE(options, 40);
  b.writeUInt16LE(64 + 56, 44);
  b.writeUInt16LE(n.length, 46);
  return Buffer.concat([b, n]);
}

function createResponse(fid: Buffer): Buffer {
  const b = Buffer.alloc(88);
  b.writeUInt16LE(89, 0);
  b.writeUInt32LE(1, 4);
  fid.copy(b, 64);
  return b;
}

function setInfoRename(fid: Buffer, newName: string): Buffer {
  const n = Buffer.from(newName, 'utf16le');
  const info = Buffer.alloc(20);
  info.writeUInt32LE(n.length, 16);
  const buffer = Buffer.concat([info, n]);
  const b = Buffer.alloc(32);
  b.writeUInt16LE(33, 0);
  b[2] = 1;
  b[3] = 10;
  b.writeUInt32LE(buffer.length, 4);
  b.writeUInt16LE(64 + 32, 8);
  fid.copy(b, 16);
  return Buffer.concat([b, buffer]);
}

function setInfoDelete(fid: Buffer): Buffer {
  const b = Buffer.alloc(32);
  b.writeUInt16LE(33, 0);
  b[2] = 1;
  b[3] = 13;
  b.writeUInt32LE(1, 4);
  b.writeUInt16LE(64 + 32, 8);
  fid.copy(b, 16);
  return Buffer.concat([b, Buffer.from([1])]);
}

function close(fid: Buffer): Buffer {
  const b = Buffer.alloc(24);
  b.writeUInt16LE(24, 0);
  fid.copy(b, 8);
  return b;
}

function write(fid: Buffer, data: Buffer): Buffer {
  const b = Buffer.alloc(48);
  b.writeUInt16LE(49, 0);
  b.writeUInt16LE(64 + 48, 2);
  b.writeUInt32LE(data.length, 4);
  fid.copy(b, 16);
  return Buffer.concat([b, data]);
}

function ioctl(fid: Buffer, ctl: number, input: Buffer): Buffer {
  const b = Buffer.alloc(56);
  b.writeUInt16LE(57, 0);
  b.writeUInt32LE(ctl, 4);
  fid.copy(b, 8);
  b.writeUInt32LE(64 + 56, 24);
  b.writeUInt32LE(input.length, 28);
  return Buffer.concat([b, input]);
}

function read(fid: Buffer, length: number): Buffer {
  const b = Buffer.alloc(48);
  b.writeUInt16LE(49, 0);
  b.writeUInt32LE(length, 4);
  fid.copy(b, 16);
  return Buffer.concat([b, Buffer.alloc(1)]);
}

function readResponse(data: Buffer): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt16LE(17, 0);
  b[2] = 64 + 16;
  b.writeUInt32LE(data.length, 4);
  return Buffer.concat([b, data]);
}

const empty = (size: number) => {
  const b = Buffer.alloc(size < 4 ? 4 : size);
  b.writeUInt16LE(size, 0);
  return b;
};

/** NTLMSSP AUTHENTICATE with unicode names (MS-NLMP 2.2.1.3), no MIC/version. */
function ntlmAuthenticate(domain: string, user: string, workstation: string): Buffer {
  const d = Buffer.from(domain, 'utf16le');
  const u = Buffer.from(user, 'utf16le');
  const w = Buffer.from(workstation, 'utf16le');
  const nt = Buffer.alloc(24, 0x11);
  const h = Buffer.alloc(64);
  h.write('NTLMSSP\0', 0, 'latin1');
  h.writeUInt32LE(3, 8);
  let off = 64;
  const field = (at: number, b: Buffer) => {
    h.writeUInt16LE(b.length, at);
    h.writeUInt16LE(b.length, at + 2);
    h.writeUInt32LE(off, at + 4);
    off += b.length;
  };
  field(12, Buffer.alloc(0));
  field(20, nt);
  field(28, d);
  field(36, u);
  field(44, w);
  field(52, Buffer.alloc(0));
  h.writeUInt32LE(0x00000001, 60);
  return Buffer.concat([h, nt, d, u, w]);
}

function sessionSetup(blob: Buffer): Buffer {
  const b = Buffer.alloc(24);
  b.writeUInt16LE(25, 0);
  b.writeUInt16LE(64 + 24, 12);
  b.writeUInt16LE(blob.length, 14);
  return Buffer.concat([b, blob]);
}

function run(packets: Array<[Dir, Buffer]>, segment = 0) {
  const ctx = recordingContext({ serverPort: 445 });
  const s = new SmbSession(ctx);
  packets.forEach(([dir, b], i) => {
    if (!segment) s.onData(dir, b, 0, b.length, { frame: i + 1, ts: i + 1 });
    else for (let o = 0; o < b.length; o += segment) s.onData(dir, b, o, Math.min(segment, b.length - o), { frame: i + 1, ts: i + 1 });
  });
  s.onClose({ frame: packets.length + 1, ts: 0 });
  return ctx;
}

const share: Array<[Dir, Buffer]> = [
  [Dir.ToServer, nbss(smb2(3, 1, treeConnect('\\\\fs1\\data'), { treeId: 0 }))],
  [Dir.ToClient, nbss(smb2(3, 1, treeConnectResponse(1), { response: true, treeId: 7 }))],
];

test('probe: NBSS + SMB1/SMB2/transform header is Yes; NetBIOS session request is Yes; others No', () => {
  const m = nbss(smb2(0, 0, empty(36)));
  assert.equal(probeSmb(m, 0, m.length), Probe.Yes);
  assert.equal(probeSmb(m, 0, 6), Probe.NeedMore);
  const req = Buffer.concat([Buffer.from([0x81, 0, 0, 68, 0x20]), Buffer.alloc(67, 0x41)]);
  assert.equal(probeSmb(req, 0, req.length), Probe.Yes);
  assert.equal(probeSmb(Buffer.from('\x00\x00\x00\x10HTTP'), 0, 8), Probe.No);
  assert.equal(probeSmb(Buffer.from('SSH-2.0-x'), 0, 9), Probe.No);
});

test('SMB2 compound create + rename (FileRenameInformation, related file id) + close', () => {
  const ctx = run([
    ...share,
    [Dir.ToServer, compound([smb2(5, 2, create('docs\\report.docx'), { treeId: 7 }), smb2(17, 3, setInfoRename(RELATED_FID, 'docs\\report.docx.locked'), { treeId: 7, related: true }), smb2(6, 4, close(RELATED_FID), { treeId: 7, related: true })])],
    [Dir.ToClient, compound([smb2(5, 2, createResponse(FID), { response: true, treeId: 7 }), smb2(17, 3, empty(2), { response: true, treeId: 7 }), smb2(6, 4, empty(60), { response: true, treeId: 7 })])],
  ]);
  const ops = ctx.operations();
  const rename = ops.find((o) => o.codeName === 'smb2_set_info')!;
  assert.equal(rename.kind, 'write');
  assert.equal(rename.detail, 'rename');
  assert.equal(rename.object, '\\\\fs1\\data\\docs\\report.docx');
  assert.equal(rename.attributes?.new_name, 'docs\\report.docx.locked');
  assert.equal(rename.frame, 3);
  assert.equal(rename.responseFrame, 4);
  assert.equal(rename.result, 'ok');
  assert.equal(ops.find((o) => o.codeName === 'smb2_create')?.object, '\\\\fs1\\data\\docs\\report.docx');
  assert.equal(ops.filter((o) => o.attributes?.related === true).length, 2);
});

test('SMB2 delete by FileDispositionInformation and by delete-on-close; write counts bytes on the file path', () => {
  const ctx = run([
    ...share,
    [Dir.ToServer, nbss(smb2(5, 2, create('a.txt', 0x1000), { treeId: 7 }))],
    [Dir.ToClient, nbss(smb2(5, 2, createResponse(FID), { response: true, treeId: 7 }))],
    [Dir.ToServer, nbss(smb2(9, 3, write(FID, Buffer.alloc(300, 7)), { treeId: 7 }))],
    [Dir.ToClient, nbss(smb2(9, 3, empty(16), { response: true, treeId: 7 }))],
    [Dir.ToServer, nbss(smb2(17, 4, setInfoDelete(FID), { treeId: 7 }))],
    [Dir.ToClient, nbss(smb2(17, 4, empty(2), { response: true, treeId: 7, status: 0xc0000022 }))],
  ]);
  const ops = ctx.operations();
  const created = ops.find((o) => o.codeName === 'smb2_create')!;
  assert.equal(created.detail, 'delete');
  assert.equal(created.attributes?.delete_on_close, true);
  const w = ops.find((o) => o.codeName === 'smb2_write')!;
  assert.deepEqual([w.kind, w.object, w.dataBytes], ['file-transfer', '\\\\fs1\\data\\a.txt', 300]);
  const del = ops.find((o) => o.codeName === 'smb2_set_info')!;
  assert.deepEqual([del.kind, del.detail, del.result, del.exceptionName], ['write', 'delete', 'exception', 'STATUS_ACCESS_DENIED']);
});

test('NTLMSSP AUTHENTICATE in SMB2 session setup: user/domain/workstation attributes and client facts', () => {
  const ctx = run([
    [Dir.ToServer, nbss(smb2(1, 5, sessionSetup(ntlmAuthenticate('CORP', 'alice', 'WS-042'))))],
    [Dir.ToClient, nbss(smb2(1, 5, empty(8), { response: true, status: 0xc000006d }))],
  ]);
  const auth = ctx.operations()[0]!;
  assert.equal(auth.kind, 'authentication');
  assert.deepEqual([auth.attributes?.user, auth.attributes?.domain, auth.attributes?.workstation, auth.attributes?.success], ['alice', 'CORP', 'WS-042', false]);
  assert.equal(auth.exceptionName, 'STATUS_LOGON_FAILURE');
  const facts = ctx.events.filter((e) => e.type === 'asset-fact').map((e) => e.type === 'asset-fact' && [e.subject.ip, e.field, e.value]);
  assert.deepEqual(facts, [['10.0.0.1', 'user', 'CORP\\alice'], ['10.0.0.1', 'domain', 'CORP'], ['10.0.0.1', 'hostname', 'WS-042']]);
});

test('SMB2 pipe: writes and FSCTL_PIPE_TRANSCEIVE on \\PIPE\\srvsvc feed DCE/RPC (NetPathCanonicalize path_len)', () => {
  const longPath = '\\' + 'x'.repeat(500);
  const ctx = run([
    [Dir.ToServer, nbss(smb2(3, 1, treeConnect('\\\\fs1\\IPC$'), { treeId: 0 }))],
    [Dir.ToClient, nbss(smb2(3, 1, treeConnectResponse(2), { response: true, treeId: 9 }))],
    [Dir.ToServer, nbss(smb2(5, 2, create('srvsvc'), { treeId: 9 }))],
    [Dir.ToClient, nbss(smb2(5, 2, createResponse(FID), { response: true, treeId: 9 }))],
    [Dir.ToServer, nbss(smb2(9, 3, write(FID, bind(1, 0, SRVSVC_UUID, 3)), { treeId: 9 }))],
    [Dir.ToServer, nbss(smb2(11, 4, ioctl(FID, 0x0011c017, request(2, 0, 31, netPathCanonicalizeStub('fs1', longPath))), { treeId: 9 }))],
  ]);
  const rpc = ctx.operations().filter((o) => o.protocol === 'dcerpc');
  const call = rpc.find((o) => o.code === 31)!;
  assert.equal(call.codeName, 'srvsvc_netpathcanonicalize');
  assert.equal(call.attributes?.pipe, 'srvsvc');
  assert.equal(call.attributes?.path_len, longPath.length);
  assert.equal(call.frame, 6);
  assert.ok(rpc.some((o) => o.codeName === 'bind' && o.object === 'srvsvc'));
  void bindAck;
});

test('encrypted SMB3 (transform header) marks the flow opaque once and is counted', () => {
  const t = Buffer.alloc(52 + 40);
  t.write('\xfdSMB', 0, 'latin1');
  const ctx = run([[Dir.ToServer, nbss(t)], [Dir.ToClient, nbss(t)]]);
  assert.equal(ctx.opaque, true);
  assert.equal(ctx.counters['smb.encrypted-messages'], 2);
  assert.equal(ctx.events.filter((e) => e.type === 'protocol').length, 1);
  assert.equal(ctx.operations().length, 0);
});

test('segmentation does not change the result (1-byte and 7-byte segments)', () => {
  const packets: Array<[Dir, Buffer]> = [
    ...share,
    [Dir.ToServer, nbss(smb2(5, 2, create('b.txt'), { treeId: 7 }))],
    [Dir.ToClient, nbss(smb2(5, 2, createResponse(FID), { response: true, treeId: 7 }))],
  ];
  const key = (ctx: ReturnType<typeof run>) => ctx.operations().map((o) => [o.codeName, o.object, o.result]);
  assert.deepEqual(key(run(packets, 1)), key(run(packets)));
  assert.deepEqual(key(run(packets, 7)), key(run(packets)));
  assert.equal(key(run(packets)).length, 2);
});

test('file-id table is capped and the cap is counted', () => {
  const ctx = recordingContext({ serverPort: 445 });
  const s = new SmbSession(ctx, { maxParseBytes: 65536, maxFiles: 2, maxTrees: 4, maxPipes: 1, maxChain: 4 });
  let frame = 0;
  const send = (dir: Dir, b: Buffer) => s.onData(dir, b, 0, b.length, { frame: ++frame, ts: frame });
  for (let i = 0; i < 4; i++) {
    const fid = Buffer.alloc(16, i + 1);
    send(Dir.ToServer, nbss(smb2(5, 10 + i, create(`f${i}`), { treeId: 7 })));
    send(Dir.ToClient, nbss(smb2(5, 10 + i, createResponse(fid), { response: true, treeId: 7 })));
  }
  assert.equal(ctx.counters['smb.file-table-cap'], 2);
});

test('property: random, mutated and re-segmented streams never throw', () => {
  const base = Buffer.concat([
    ...share.map(([, b]) => b),
    compound([smb2(5, 2, create('x'), { treeId: 7 }), smb2(17, 3, setInfoRename(RELATED_FID, 'y'), { related: true }), smb2(6, 4, close(RELATED_FID), { related: true })]),
    nbss(smb2(1, 5, sessionSetup(ntlmAuthenticate('D', 'u', 'w')))),
    nbss(smb2(11, 6, ioctl(FID, 0x0011c017, request(2, 0, 31, netPathCanonicalizeStub('s', 'p'))))),
  ]);
  fc.assert(
    fc.property(
      fc.oneof(
        fc.uint8Array({ maxLength: 800 }),
        fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 16 }).map((edits) => {
          const b = Buffer.from(base);
          for (const [i, v] of edits) b[i] = v;
          return new Uint8Array(b);
        }),
      ),
      fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 6 }),
      fc.boolean(),
      (bytes, cuts, gap) => {
        const ctx = recordingContext({ serverPort: 445, sidesGuessed: true });
        const s = new SmbSession(ctx);
        const buf = Buffer.from(bytes);
        let off = 0;
        let i = 0;
        while (off < buf.length) {
          const n = Math.min(cuts[i++ % cuts.length]!, buf.length - off);
          s.onData(i % 4 === 3 ? Dir.ToClient : Dir.ToServer, buf, off, n, { frame: i, ts: i });
          if (gap && i === 2) s.onGap(Dir.ToServer, 5, { frame: i, ts: i });
          off += n;
        }
        s.onClose({ frame: i + 1, ts: i + 1 });
      },
    ),
    { numRuns: fuzzRuns(300) },
  );
});

test('NBSS framer: a packet spanning segments stores only the prefix its handler reads, handed over when the parse bytes are in', () => {
  const big = nbss(Buffer.from(Array.from({ length: 3000 }, (_, i) => i & 0xff)));
  const small = nbss(Buffer.from('tail of the stream'));
  const stream = Buffer.concat([big, small]);
  for (const withPrefix of [false, true]) {
    const calls: Array<[number, number, number, Buffer]> = [];
    let piece = 0;
    const receiver: NbssReceiver = {
      onNbssPacket: (dir, b, o, available, total) => {
        assert.equal(dir, Dir.ToClient);
        calls.push([piece, available, total, Buffer.from(b.subarray(o, o + available))]);
      },
    };
    if (withPrefix) receiver.nbssPrefix = (_b, _o, available, total) => (total < 1000 ? total : available >= 16 ? 10 : 0);
    const framer = new NbssFramer(1000, receiver, Dir.ToClient);
    // 7-byte pieces first (the prefix is undecided below 16 bytes), then 500-byte ones
    for (let o = 0; o < stream.length; piece++) {
      const n = Math.min(o < 21 ? 7 : 500, stream.length - o);
      framer.push(stream, o, n);
      o += n;
    }
    const kept = withPrefix ? 10 : 1000;
    // the large packet is handed over in the piece that brings its 1000th byte, as without a prefix
    assert.deepEqual(calls[0]!.slice(0, 3), [4, kept, 3004]);
    assert.deepEqual(calls[0]![3], big.subarray(0, kept));
    assert.deepEqual(calls[1]!.slice(1), [small.length, small.length, small]);
    assert.equal(calls.length, 2);
  }
});

test('bulk SMB2 reads and writes split across segments (only their fixed part kept) report as when whole; pipe writes still reach DCE/RPC', () => {
  const data = Buffer.alloc(200_000, 0x5a);
  const packets: Array<[Dir, Buffer]> = [
    ...share,
    [Dir.ToServer, nbss(smb2(5, 2, create('big.bin'), { treeId: 7 }))],
    [Dir.ToClient, nbss(smb2(5, 2, createResponse(FID), { response: true, treeId: 7 }))],
    [Dir.ToServer, nbss(smb2(8, 3, read(FID, data.length), { treeId: 7 }))],
    [Dir.ToClient, nbss(smb2(8, 3, readResponse(data), { response: true, treeId: 7 }))],
    [Dir.ToServer, nbss(smb2(9, 4, write(FID, data), { treeId: 7 }))],
    [Dir.ToClient, nbss(smb2(9, 4, empty(16), { response: true, treeId: 7 }))],
  ];
  const key = (ctx: ReturnType<typeof run>) => ctx.operations().map((o) => [o.codeName, o.object, o.result, o.dataBytes, o.responseFrame]);
  const whole = key(run(packets));
  assert.deepEqual(whole.slice(2), [
    ['smb2_read', '\\\\fs1\\data\\big.bin', 'ok', data.length, 6],
    ['smb2_write', '\\\\fs1\\data\\big.bin', 'ok', data.length, 8],
  ]);
  assert.deepEqual(key(run(packets, 1460)), whole);
  assert.deepEqual(key(run(packets, 61)), whole);

  const pipe: Array<[Dir, Buffer]> = [
    [Dir.ToServer, nbss(smb2(3, 1, treeConnect('\\\\fs1\\IPC$'), { treeId: 0 }))],
    [Dir.ToClient, nbss(smb2(3, 1, treeConnectResponse(2), { response: true, treeId: 9 }))],
    [Dir.ToServer, nbss(smb2(5, 2, create('srvsvc'), { treeId: 9 }))],
    [Dir.ToClient, nbss(smb2(5, 2, createResponse(FID), { response: true, treeId: 9 }))],
    [Dir.ToServer, nbss(smb2(9, 3, write(FID, bind(1, 0, SRVSVC_UUID, 3)), { treeId: 9 }))],
    [Dir.ToServer, nbss(smb2(9, 4, write(FID, request(2, 0, 31, netPathCanonicalizeStub('fs1', '\\x'))), { treeId: 9 }))],
  ];
  for (const segment of [0, 7, 100]) {
    const rpc = run(pipe, segment).operations().filter((o) => o.protocol === 'dcerpc');
    assert.ok(rpc.some((o) => o.codeName === 'bind' && o.object === 'srvsvc'), `segment ${segment}`);
    assert.ok(rpc.some((o) => o.codeName === 'srvsvc_netpathcanonicalize'), `segment ${segment}`);
  }
});

test('property: mentionsKerberos finds the krb5 or MS krb5 OID anywhere in the blob range, and only there', () => {
  const KRB5 = Buffer.from('2a864886f712010202', 'hex');
  const MS_KRB5 = Buffer.from('2a864882f712010202', 'hex');
  // fragments biased towards near-misses of the two OIDs
  const fragment = fc.oneof(
    fc.constant(KRB5),
    fc.constant(MS_KRB5),
    fc.constant(KRB5.subarray(0, 8)),
    fc.constant(Buffer.from('2a864884f712010202', 'hex')),
    fc.uint8Array({ maxLength: 6 }).map((u) => Buffer.from(u)),
  );
  fc.assert(
    fc.property(fc.array(fragment, { maxLength: 8 }), fc.nat(), fc.nat(), (parts, a, b) => {
      const blob = Buffer.concat(parts);
      const off = blob.length === 0 ? 0 : a % (blob.length + 1);
      const end = off + (b % (blob.length - off + 1));
      const range = blob.subarray(off, end);
      assert.equal(mentionsKerberos(blob, off, end), range.includes(KRB5) || range.includes(MS_KRB5));
    }),
    { numRuns: fuzzRuns(300) },
  );
});
