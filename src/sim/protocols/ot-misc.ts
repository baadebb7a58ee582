/**
 * BACnet/IP (UDP 47808: Who-Is / I-Am, ReadProperty), OPC UA binary (TCP 4840: HEL/ACK, OPN with security
 * policy None, CLO) and PROFINET DCP (Identify All multicast request and the devices' responses).
 */
import type { PlantAsset } from '../plant.js';
import { macToBuf, writeRawEth } from '../packets.js';
import { ByteWriter } from '../bytes.js';
import { connect, MS, SEC, udpFrame, type SimContext } from '../context.js';
import type { SimProcessFactory } from '../scheduler.js';

export const BACNET_PORT = 47808;
export const OPCUA_PORT = 4840;

/** BMS front-end: Who-Is broadcast, I-Am from each controller, then ReadProperty(present-value) polls. */
export function bacnetClient(ctx: SimContext, client: PlantAsset, devices: PlantAsset[], periodMs: number, offsetUs: number): SimProcessFactory {
  return function* (slot) {
    const rng = ctx.rng.fork(0xbac);
    const w = new ByteWriter(Buffer.alloc(128));
    const c = client.host;
    let t = ctx.startUs + offsetUs;
    const bcast = (c.subnet | 0xff) >>> 0;
    for (const d of devices) ctx.plant.noteFlow(c, d.host, 'bacnet', BACNET_PORT);
    w.reset().u8(0x81).u8(0x0b).u16(12).u8(0x01).u8(0x20).u16(0xffff).u8(0).u8(0xff).u8(0x10).u8(0x08);
    udpFrame(ctx, slot, c, null, bcast, BACNET_PORT, BACNET_PORT, w.buf, w.o, t);
    yield;
    for (const d of devices) {
      t += 5 * MS + rng.int(0, 20 * MS);
      w.reset().u8(0x81).u8(0x0b);
      const l = w.mark16();
      w.u8(0x01).u8(0x00).u8(0x10).u8(0x00);
      w.u8(0xc4).u32((8 << 22) | (d.bacnetInstance ?? 0));
      w.u8(0x22).u16(1476).u8(0x91).u8(0x03).u8(0x21).u8(d.bacnetVendorId ?? 0);
      w.patch16(l, w.o);
      udpFrame(ctx, slot, d.host, null, bcast, BACNET_PORT, BACNET_PORT, w.buf, w.o, t);
      yield;
    }
    let invoke = rng.int(0, 255);
    // Identity: the front-end reads each controller's vendor name, model name and firmware revision.
    for (const d of devices) {
      const deviceObject = (8 << 22) | (d.bacnetInstance ?? 0);
      for (const [property, value] of [[121, d.vendor], [70, d.model], [44, d.firmware]] as Array<[number, string]>) {
        invoke = (invoke + 1) & 0xff;
        t += 20 * MS + rng.int(0, 10 * MS);
        w.reset().u8(0x81).u8(0x0a);
        let l = w.mark16();
        w.u8(0x01).u8(0x04).u8(0x00).u8(0x05).u8(invoke).u8(0x0c).u8(0x0c).u32(deviceObject).u8(0x19).u8(property);
        w.patch16(l, w.o);
        udpFrame(ctx, slot, c, d.host, d.host.ip, BACNET_PORT, BACNET_PORT, w.buf, w.o, t);
        yield;
        t += 3 * MS + rng.int(0, 5 * MS);
        w.reset().u8(0x81).u8(0x0a);
        l = w.mark16();
        w.u8(0x01).u8(0x00).u8(0x30).u8(invoke).u8(0x0c).u8(0x0c).u32(deviceObject).u8(0x19).u8(property).u8(0x3e);
        // CharacterString (application tag 7, extended length), ANSI X3.4 encoding byte first.
        w.u8(0x75).u8(value.length + 1).u8(0x00).ascii(value).u8(0x3f);
        w.patch16(l, w.o);
        udpFrame(ctx, slot, d.host, c, c.ip, BACNET_PORT, BACNET_PORT, w.buf, w.o, t);
        yield;
      }
    }
    let temp = 21.5;
    while (ctx.sched.running(t)) {
      t += periodMs * MS;
      for (const d of devices) {
        invoke = (invoke + 1) & 0xff;
        const obj = (0 << 22) | rng.int(1, 4);
        w.reset().u8(0x81).u8(0x0a).u16(17).u8(0x01).u8(0x04).u8(0x00).u8(0x05).u8(invoke).u8(0x0c)
          .u8(0x0c).u32(obj).u8(0x19).u8(85);
        udpFrame(ctx, slot, c, d.host, d.host.ip, BACNET_PORT, BACNET_PORT, w.buf, w.o, t);
        yield;
        t += 3 * MS + rng.int(0, 5 * MS);
        temp += (rng.float() - 0.5) * 0.1;
        w.reset().u8(0x81).u8(0x0a);
        const length = w.mark16();
        w.u8(0x01).u8(0x00).u8(0x30).u8(invoke).u8(0x0c)
          .u8(0x0c).u32(obj).u8(0x19).u8(85).u8(0x3e).u8(0x44).f32(temp).u8(0x3f);
        w.patch16(length, w.o);
        udpFrame(ctx, slot, d.host, c, c.ip, BACNET_PORT, BACNET_PORT, w.buf, w.o, t);
        yield;
        t += 10 * MS;
      }
    }
  };
}

function uaString(w: ByteWriter, s: string | null): void {
  if (s === null) w.i32le(-1);
  else w.i32le(s.length).ascii(s);
}

/** OPC UA client connecting to a server: HEL/ACK, OpenSecureChannel (None), CloseSecureChannel, close. */
export function opcuaClient(ctx: SimContext, client: PlantAsset, server: PlantAsset, periodSec: number, offsetUs: number): SimProcessFactory {
  return function* (slot) {
    const rng = ctx.rng.fork(0x0a);
    let t = ctx.startUs + offsetUs;
    const q = new ByteWriter(Buffer.alloc(512));
    const r = new ByteWriter(Buffer.alloc(512));
    const url = `opc.tcp://${server.hostname ?? server.name}:${OPCUA_PORT}`;
    const uaTime = (us: number) => BigInt(Math.floor(us)) * 10n + 116444736000000000n;
    while (ctx.sched.running(t)) {
      const c = connect(ctx, slot, client.host, server.host, OPCUA_PORT, t, 'opcua');
      yield* c.open();
      c.t += 1 * MS;
      q.reset().ascii('HELF').u32le(0).u32le(0).u32le(65536).u32le(65536).u32le(0).u32le(0);
      uaString(q, url);
      q.patch32le(4, q.o);
      r.reset().ascii('ACKF').u32le(28).u32le(0).u32le(65536).u32le(65536).u32le(16777216).u32le(5000);
      yield* c.exchange(q.buf, q.o, r.buf, r.o, 1 * MS);
      c.t += 1 * MS;
      const channel = rng.u32() | 1;
      const policy = 'http://opcfoundation.org/UA/SecurityPolicy#None';
      q.reset().ascii('OPNF').u32le(0).u32le(0);
      uaString(q, policy);
      q.i32le(-1).i32le(-1).u32le(1).u32le(1);
      q.u8(0x01).u8(0x00).u16le(446);
      q.u8(0x00).u8(0x00).u64le(uaTime(c.t)).u32le(1).u32le(0).i32le(-1).u32le(10000).u8(0).u8(0).u8(0);
      q.u32le(0).u32le(0).u32le(1).i32le(0).u32le(3600000);
      q.patch32le(4, q.o);
      r.reset().ascii('OPNF').u32le(0).u32le(channel);
      uaString(r, policy);
      r.i32le(-1).i32le(-1).u32le(1).u32le(1);
      r.u8(0x01).u8(0x00).u16le(449);
      r.u64le(uaTime(c.t + 1000)).u32le(1).u32le(0).u8(0).i32le(-1).u8(0).u8(0).u8(0);
      r.u32le(0).u32le(channel).u32le(1).u64le(uaTime(c.t + 1000)).u32le(3600000).i32le(0);
      r.patch32le(4, r.o);
      yield* c.exchange(q.buf, q.o, r.buf, r.o, 2 * MS);
      c.t += 5 * MS;
      q.reset().ascii('CLOF').u32le(0).u32le(channel).u32le(1).u32le(2).u32le(2);
      q.u8(0x01).u8(0x00).u16le(452);
      q.u8(0x00).u8(0x00).u64le(uaTime(c.t)).u32le(2).u32le(0).i32le(-1).u32le(10000).u8(0).u8(0).u8(0);
      q.patch32le(4, q.o);
      yield* c.send(true, q.buf, q.o);
      c.t += 300;
      yield* c.close(true);
      t = c.t + periodSec * SEC + rng.int(0, SEC);
    }
  };
}

const DCP_MULTICAST = macToBuf('01:0e:cf:00:00:00');

function dcpBlock(w: ByteWriter, opt: number, sub: number, body: (w: ByteWriter) => void): void {
  w.u8(opt).u8(sub);
  const l = w.mark16();
  const s = w.o;
  w.u16(0);
  body(w);
  const len = w.o - s;
  w.patch16(l, len);
  if (len & 1) w.u8(0);
}

/** Engineering workstation: DCP Identify All every `periodSec`, answered by every PROFINET device. */
export function dcpIdentify(ctx: SimContext, ews: PlantAsset, devices: PlantAsset[], periodSec: number, offsetUs: number): SimProcessFactory {
  return function* (slot) {
    const rng = ctx.rng.fork(0xdc9);
    const w = new ByteWriter(Buffer.alloc(256));
    let t = ctx.startUs + offsetUs;
    const vlan = devices[0]!.host.vlan;
    for (const d of devices) ctx.plant.noteProtocol(d.host, 'profinet-dcp', 'server', 0);
    ctx.plant.noteProtocol(ews.host, 'profinet-dcp', 'client', 0);
    while (ctx.sched.running(t)) {
      const xid = rng.u32();
      w.reset().u16(0xfefe).u8(5).u8(0).u32(xid).u16(1).u16(4).u8(0xff).u8(0xff).u16(0);
      slot.ts = t;
      writeRawEth(slot, DCP_MULTICAST, ews.host.mac, vlan, 0x8892, w.buf, w.o);
      yield;
      for (const d of devices) {
        t += 2 * MS + rng.int(0, 8 * MS);
        w.reset().u16(0xfeff).u8(5).u8(1).u32(xid).u16(0);
        const dl = w.mark16();
        const s = w.o;
        dcpBlock(w, 2, 1, (b) => b.ascii(d.model.split(' ').slice(0, 2).join(' ')));
        dcpBlock(w, 2, 2, (b) => b.ascii(d.stationName ?? d.name));
        dcpBlock(w, 2, 3, (b) => b.u16(d.pnVendorId ?? 0x2a).u16(d.pnDeviceId ?? 0));
        dcpBlock(w, 2, 4, (b) => b.u8(d.roles.includes('plc') ? 0x02 : 0x01).u8(0));
        dcpBlock(w, 1, 2, (b) => b.u32(d.host.ip).u32(0xffffff00).u32((d.host.subnet | 1) >>> 0));
        w.patch16(dl, w.o - s);
        slot.ts = t;
        writeRawEth(slot, ews.host.mac, d.host.mac, vlan, 0x8892, w.buf, w.o);
        yield;
      }
      t += periodSec * SEC;
    }
  };
}
