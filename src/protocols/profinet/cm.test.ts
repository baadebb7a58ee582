import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Dir, Probe } from '../analyzer.js';
import { recordingContext } from '../common/test-support.js';
import { PnioCallTable, PnioCmSession, probePnioCm } from './cm.js';

const PNIO_DEVICE_IF = 'dea00001-6c97-11d1-8271-00a02442df7d';
const EPM_IF = 'e1af8308-5d1f-11c9-91a4-08002b14a0fa';

function uuid(text: string, le: boolean): Buffer {
  const hex = text.replace(/-/g, '');
  const b = Buffer.from(hex, 'hex');
  if (le) {
    b.subarray(0, 4).reverse();
    b.subarray(4, 6).reverse();
    b.subarray(6, 8).reverse();
  }
  return b;
}

/** A DCE/RPC CL PDU: 80-octet header then the stub. */
function rpc(o: { ptype: number; le: boolean; iface?: string; object?: string; activity?: string; seq?: number; opnum: number; stub: Buffer }): Buffer {
  const h = Buffer.alloc(80);
  h[0] = 4;
  h[1] = o.ptype;
  h[2] = 0x20;
  h[4] = o.le ? 0x10 : 0x00;
  uuid(o.object ?? 'dea00000-6c97-11d1-8271-00010306002a', o.le).copy(h, 8);
  uuid(o.iface ?? PNIO_DEVICE_IF, o.le).copy(h, 24);
  uuid(o.activity ?? '11223344-5566-7788-99aa-bbccddeeff00', o.le).copy(h, 40);
  const w32 = (v: number, at: number) => (o.le ? h.writeUInt32LE(v, at) : h.writeUInt32BE(v, at));
  const w16 = (v: number, at: number) => (o.le ? h.writeUInt16LE(v, at) : h.writeUInt16BE(v, at));
  w32(1, 60);
  w32(o.seq ?? 7, 64);
  w16(o.opnum, 68);
  w16(0xffff, 70);
  w16(0xffff, 72);
  w16(o.stub.length, 74);
  return Buffer.concat([h, o.stub]);
}

function stub(le: boolean, first: number, blocks: Buffer): Buffer {
  const s = Buffer.alloc(20);
  const w = (v: number, at: number) => (le ? s.writeUInt32LE(v, at) : s.writeUInt32BE(v, at));
  w(first, 0);
  w(blocks.length, 4);
  w(blocks.length, 8);
  w(blocks.length, 16);
  return Buffer.concat([s, blocks]);
}

function recordHeader(type: number, index: number, length: number): Buffer {
  const b = Buffer.alloc(64);
  b.writeUInt16BE(type, 0);
  b.writeUInt16BE(60, 2);
  b[4] = 1;
  b.writeUInt16BE(1, 6);
  b.writeUInt16BE(1, 28); // slot
  b.writeUInt16BE(1, 30); // subslot
  b.writeUInt16BE(index, 34);
  b.writeUInt32BE(length, 36);
  return b;
}

function im0(): Buffer {
  const b = Buffer.alloc(6 + 54);
  b.writeUInt16BE(0x0020, 0);
  b.writeUInt16BE(56, 2);
  b[4] = 1;
  b.writeUInt16BE(0x002a, 6);
  b.write('6ES7 151-1AA06-0AB0 ', 8, 'latin1');
  b.write('S C-X4U421302009', 28, 'latin1');
  b.writeUInt16BE(5, 44);
  b.write('V', 46, 'latin1');
  b[47] = 3;
  b[48] = 2;
  b[49] = 1;
  return b;
}

const meta = (frame: number) => ({ frame, ts: 1_700_000_000 + frame });

test('probe: PNIO interface is a Yes, the endpoint mapper a Maybe, anything else No', () => {
  const call = rpc({ ptype: 0, le: false, opnum: 2, stub: stub(false, 4096, recordHeader(0x0009, 0xaff0, 4096)) });
  assert.equal(probePnioCm(call, 0, call.length, Dir.ToServer), Probe.Yes);
  const epm = rpc({ ptype: 0, le: true, iface: EPM_IF, opnum: 2, stub: Buffer.alloc(0) });
  assert.equal(probePnioCm(epm, 0, epm.length, Dir.ToServer), Probe.Maybe);
  assert.equal(probePnioCm(call, 0, 40, Dir.ToServer), Probe.NeedMore);
  assert.equal(probePnioCm(Buffer.from('GET / HTTP/1.1\r\n'), 0, 16, Dir.ToServer), Probe.No);
});

test('Read of I&M0 (big-endian call, little-endian reply) pairs and yields order number, serial, revisions', () => {
  const ctx = recordingContext({ transport: 'udp', serverPort: 34964 });
  const s = new PnioCmSession(ctx, new PnioCallTable());
  const req = rpc({ ptype: 0, le: false, opnum: 2, stub: stub(false, 4096, recordHeader(0x0009, 0xaff0, 4096)) });
  const res = rpc({ ptype: 2, le: true, opnum: 2, stub: stub(true, 0, Buffer.concat([recordHeader(0x8009, 0xaff0, 60), im0()])) });
  s.onData(Dir.ToServer, req, 0, req.length, meta(1));
  s.onData(Dir.ToClient, res, 0, res.length, meta(2));
  s.onClose();
  const [op] = ctx.operations();
  assert.equal(ctx.operations().length, 1);
  assert.equal(op!.kind, 'read');
  assert.equal(op!.result, 'ok');
  assert.equal(op!.responseFrame, 2);
  assert.equal(op!.object, 'api 0 slot 1 subslot 0x0001 index 0xaff0 (I&M0)');
  const facts = Object.fromEntries(ctx.events.filter((e) => e.type === 'asset-fact').map((e) => (e.type === 'asset-fact' ? [e.field, e.value] : [])));
  assert.equal(facts['order-number'], '6ES7 151-1AA06-0AB0');
  assert.equal(facts.serial, 'S C-X4U421302009');
  assert.equal(facts['hardware-revision'], '5');
  assert.equal(facts.firmware, 'V3.2.1');
  assert.equal(facts.vendor, 'Siemens AG');
});

test('Write with a non-zero PNIOStatus is an exception; Control PrmEnd is control; a fault is an exception', () => {
  const ctx = recordingContext({ transport: 'udp', serverPort: 34964 });
  const s = new PnioCmSession(ctx, new PnioCallTable());
  const write = rpc({ ptype: 0, le: true, seq: 1, opnum: 3, stub: stub(true, 4096, Buffer.concat([recordHeader(0x0008, 0x8030, 12), Buffer.alloc(12)])) });
  const writeRes = rpc({ ptype: 2, le: true, seq: 1, opnum: 3, stub: stub(true, 0xdf80b600, recordHeader(0x8008, 0x8030, 0)) });
  const ctl = Buffer.alloc(32);
  ctl.writeUInt16BE(0x0110, 0);
  ctl.writeUInt16BE(28, 2);
  ctl.writeUInt16BE(0x0001, 28);
  const control = rpc({ ptype: 0, le: true, seq: 2, opnum: 4, stub: stub(true, 4096, ctl) });
  const connect = rpc({ ptype: 0, le: true, seq: 3, opnum: 0, stub: stub(true, 4096, Buffer.alloc(0)) });
  const fault = rpc({ ptype: 3, le: true, seq: 3, opnum: 0, stub: Buffer.from([0x05, 0x00, 0x01, 0x1c]) });
  s.onData(Dir.ToServer, write, 0, write.length, meta(1));
  s.onData(Dir.ToClient, writeRes, 0, writeRes.length, meta(2));
  s.onData(Dir.ToServer, control, 0, control.length, meta(3));
  s.onData(Dir.ToServer, connect, 0, connect.length, meta(4));
  s.onData(Dir.ToClient, fault, 0, fault.length, meta(5));
  s.onClose();
  const ops = new Map(ctx.operations().map((o) => [o.frame, o]));
  assert.equal(ops.get(1)!.kind, 'write');
  assert.equal(ops.get(1)!.dataBytes, 12);
  assert.equal(ops.get(1)!.result, 'exception');
  assert.equal(ops.get(1)!.exceptionName, 'write_access_denied');
  assert.equal(ops.get(3)!.kind, 'control');
  assert.equal(ops.get(3)!.detail, 'prm-end');
  assert.equal(ops.get(3)!.result, 'no-response');
  assert.equal(ops.get(4)!.result, 'exception');
  assert.equal(ops.get(4)!.exceptionName, 'rpc_fault');
  assert.equal(ops.get(4)!.exceptionCode, 0x1c010005);
});

test('an endpoint-mapper lookup is identify; a flow first seen through a response swaps sides', () => {
  const ctx = recordingContext({ transport: 'udp', serverPort: 49152, clientPort: 34964, sidesGuessed: true });
  const s = new PnioCmSession(ctx, new PnioCallTable());
  const res = rpc({ ptype: 2, le: true, iface: EPM_IF, opnum: 2, stub: Buffer.alloc(8) });
  s.onData(Dir.ToServer, res, 0, res.length, meta(1));
  assert.equal(ctx.swaps, 1);
  const [op] = ctx.operations();
  assert.equal(op!.kind, 'identify');
  assert.equal(op!.codeName, 'ept_lookup');
});
