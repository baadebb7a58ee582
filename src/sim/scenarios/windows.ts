/**
 * Windows-side incident scenarios over SMB: Conficker (MS08-067 + TCP 445 fan-out + DGA), WannaCry (SMBv1
 * EternalBlue / DoublePulsar) and ransomware encrypting a file share.
 */
import { connect, MS, type SimContext } from '../context.js';
import { ephemeralPort, ipToNum, numToIp, TcpConversation, writeArp, type FrameSlot, type SimHost } from '../packets.js';
import type { PlantAsset } from '../plant.js';
import type { Rng } from '../rng.js';
import { dnsLookup } from '../protocols/it.js';
import {
  dcerpcBind, dcerpcBindAck, dcerpcRequest, dcerpcResponse, FILE_CREATE, FILE_OPEN, netprPathCanonicalizeResponse,
  netprPathCanonicalizeStub, Smb1Session, Smb2Session, SMB_PORT, SRVSVC_UUID, STATUS_INSUFF_SERVER_RESOURCES,
  windowsBuild,
} from '../protocols/smb.js';
import type { Scenario } from './index.js';
import { incident } from './common.js';

/** WERR_INVALID_NAME: what a patched srvsvc answers to the overlong path. */
const WERR_INVALID_NAME = 0x7b;

/**
 * A TCP 445 sweep of `hosts` from `src`: Windows hosts answer SYN/ACK (the probe resets), other plant hosts
 * refuse with RST, addresses without a host never answer. Local addresses are ARPed first (unanswered ARP for
 * empty addresses, no SYN then), as the source's OS does. Hosts in `skip` are left for the caller.
 */
function* smbSweep(ctx: SimContext, slot: FrameSlot, src: SimHost, ips: readonly number[], t: number, gapUs: number,
  rng: Rng, skip: ReadonlySet<number>): Generator<void, number> {
  const byIp = new Map(ctx.plant.assets.map((a) => [a.host.ip, a] as const));
  for (const ip of ips) {
    if (ip === src.ip || skip.has(ip)) continue;
    const asset = byIp.get(ip);
    const external = ctx.plant.externals.get(numToIp(ip));
    const local = ((ip ^ src.ip) >>> (32 - src.prefix)) === 0;
    if (local) {
      slot.ts = t;
      writeArp(slot, 1, src.vlan, src.mac, src.ip, null, ip);
      yield;
      if (asset === undefined) {
        t += gapUs;
        continue;
      }
      slot.ts = t + 250;
      writeArp(slot, 2, src.vlan, asset.host.mac, asset.host.ip, src.mac, src.ip);
      yield;
      t += 500;
    }
    if (asset !== undefined) {
      const c = connect(ctx, slot, src, asset.host, SMB_PORT, t, 'smb');
      if (asset.os === 'windows') yield* c.halfOpen();
      else yield* c.refused();
    } else if (external !== undefined) {
      yield* connect(ctx, slot, src, external, SMB_PORT, t, 'smb').unanswered();
    } else {
      // An empty address in another subnet: the router has nobody to deliver to; nothing comes back.
      const ghost: SimHost = { ...src, name: numToIp(ip), ip, mac: ctx.plant.fabric.routerMac, vlan: src.vlan,
        subnet: (ip & 0xffffff00) >>> 0, prefix: 24 };
      yield* new TcpConversation(ctx.plant.fabric, slot, src, ghost, ephemeralPort(src), SMB_PORT, t, rng.u32()).unanswered();
    }
    t += gapUs;
  }
  return t;
}

function range(prefix: string, from: number, to: number): number[] {
  const base = ipToNum(`${prefix}.0`);
  const out: number[] = [];
  for (let h = from; h <= to; h++) out.push((base | h) >>> 0);
  return out;
}

/** Conficker.C-style generated names: 4-10 random letters under a handful of TLDs. */
function dgaName(rng: Rng): string {
  const tlds = ['com', 'net', 'org', 'info', 'biz', 'ws', 'cn', 'cc'];
  let s = '';
  const n = rng.int(4, 10);
  for (let i = 0; i < n; i++) s += String.fromCharCode(0x61 + rng.int(0, 25));
  return `${s}.${rng.pick(tlds)}`;
}

/** The legacy null-session preamble every SMB1 attack tool sends: NEGOTIATE, anonymous setup, IPC$. */
function* smb1Preamble(s: Smb1Session, target: PlantAsset, clientOs: string, clientLanman: string): Generator<void> {
  yield* s.c.open();
  yield* s.negotiate('PLANT', target.hostname ?? target.name);
  s.c.t += 1 * MS;
  yield* s.sessionSetupAnonymous(clientOs, clientLanman, 'Windows 7 Professional 7601 Service Pack 1',
    'Windows 7 Professional 6.1', 'PLANT');
  s.c.t += 1 * MS;
  yield* s.treeConnect(`\\\\${target.ip}\\IPC$`);
}

function* smb1Close(s: Smb1Session): Generator<void> {
  s.c.t += 1 * MS;
  yield* s.treeDisconnect();
  yield* s.logoff();
  yield* s.c.close();
}

export const conficker: Scenario = {
  name: 'conficker',
  description: 'Conficker on the BMS workstation: DGA lookups (NXDOMAIN), TCP 445 sweep of two subnets, MS08-067 against an HMI.',
  inject(ctx, at, rng) {
    const src = ctx.plant.get('bms-ws-01');
    const target = ctx.plant.get('hmi-01');
    const dns = ctx.plant.get('dc-01');
    const inc = incident('conficker', at, src, target,
      'srvsvc NetprPathCanonicalize (opnum 31) with an overlong "\\..\\" path over \\PIPE\\srvsvc (MS08-067), after 40 ' +
      'NXDOMAIN DGA lookups and a TCP 445 sweep of 10.10.30.0/24, 10.10.40.0/24 and 10.10.50.0/24',
      { ruleId: 'malware.ms08-067', severity: 'critical', category: 'exploitation' });
    ctx.sched.spawn(function* (slot) {
      let t = at;
      for (let i = 0; i < 40; i++) {
        t = yield* dnsLookup(ctx, slot, t, src.host, dns.host, dgaName(rng), [], rng);
        t += 80 * MS + rng.int(0, 60 * MS);
      }
      const skip = new Set([target.host.ip]);
      t = yield* smbSweep(ctx, slot, src.host, [...range('10.10.30', 1, 30), ...range('10.10.40', 1, 30),
        ...range('10.10.50', 1, 30)], t + 200 * MS, 15 * MS, rng, skip);
      // The exploit: null session, \srvsvc, bind, NetprPathCanonicalize with the overflowing path.
      const c = connect(ctx, slot, src.host, target.host, SMB_PORT, t + 20 * MS, 'smb');
      const s = new Smb1Session(c, rng);
      yield* smb1Preamble(s, target, 'Windows 2000 2195', 'Windows 2000 5.0');
      c.t += 1 * MS;
      const fid = yield* s.openPipe('\\srvsvc');
      c.t += 1 * MS;
      yield* s.writePipe(fid, dcerpcBind(1, SRVSVC_UUID, 3));
      yield* s.readPipe(fid, dcerpcBindAck(1, '\\PIPE\\srvsvc', 0x1f3a + rng.int(0, 0xffff)));
      c.t += 1 * MS;
      let junk = '';
      for (let i = 0; i < 46; i++) junk += String.fromCharCode(0x41 + rng.int(0, 25));
      let sled = '';
      for (let i = 0; i < 380; i++) sled += String.fromCharCode(0x61 + rng.int(0, 25));
      const path = `\\${junk}\\..\\..\\${sled}`;
      const stub = netprPathCanonicalizeStub(junk.slice(0, 8), path, 0);
      yield* s.transactPipe(fid, dcerpcRequest(2, 31, stub), dcerpcResponse(2, netprPathCanonicalizeResponse(0, WERR_INVALID_NAME)));
      yield* smb1Close(s);
      inc.finish(c.t);
    });
    return [inc.truth];
  },
};

export const wannacry: Scenario = {
  name: 'wannacry',
  description: 'WannaCry on an HMI: kill-switch lookup, TCP 445 scanning (local subnet and Internet), SMBv1 MS17-010 check, EternalBlue and DoublePulsar against another HMI.',
  inject(ctx, at, rng) {
    const src = ctx.plant.get('hmi-03');
    const target = ctx.plant.get('hmi-02');
    const dns = ctx.plant.get('dc-01');
    const inc = incident('wannacry', at, src, target,
      'SMBv1 NT Trans with 66512 bytes total data + Trans2 Secondary (EternalBlue), Trans2 SESSION_SETUP ' +
      'DoublePulsar ping answered with multiplex id 81 (implant), after a TCP 445 sweep',
      { ruleId: 'malware.eternalblue', severity: 'critical', category: 'exploitation' });
    ctx.sched.spawn(function* (slot) {
      let t = yield* dnsLookup(ctx, slot, at, src.host, dns.host, 'www.iuqerfsodp9ifjaposdfjhgosurijfaewrwergwea.com', [], rng);
      // Random Internet addresses (documentation ranges here) and the local /24.
      const internet: number[] = [];
      for (let i = 0; i < 24; i++) {
        const ip = `${rng.pick(['198.51.100', '203.0.113'])}.${rng.int(2, 254)}`;
        ctx.plant.external(ip);
        internet.push(ipToNum(ip));
      }
      const skip = new Set([target.host.ip]);
      t = yield* smbSweep(ctx, slot, src.host, [...range('10.10.40', 1, 30), ...internet], t + 100 * MS, 10 * MS, rng, skip);
      const clientOs = 'Windows 2000 2195';
      const clientLanman = 'Windows 2000 5.0';
      // 1: MS17-010 check (PeekNamedPipe on FID 0) and DoublePulsar ping: no implant yet (same multiplex id).
      let c = connect(ctx, slot, src.host, target.host, SMB_PORT, t + 20 * MS, 'smb');
      let s = new Smb1Session(c, rng);
      yield* smb1Preamble(s, target, clientOs, clientLanman);
      yield* s.peekNamedPipe(STATUS_INSUFF_SERVER_RESOURCES);
      s.mid = 65;
      yield* s.trans2SessionSetup(0x0025d9a8);
      s.mid = 64;
      yield* smb1Close(s);
      // 2: EternalBlue: an NT Trans announcing more data than fits, then the Trans2 Secondary train.
      c = connect(ctx, slot, src.host, target.host, SMB_PORT, c.t + 30 * MS, 'smb');
      s = new Smb1Session(c, rng);
      yield* smb1Preamble(s, target, clientOs, clientLanman);
      yield* s.ntTransLarge(0x103d0, 976);
      for (let i = 0; i < 8; i++) yield* s.trans2Secondary(0x1000, 0x03d0 + i * 0x1000, 4096);
      yield* smb1Close(s);
      // 3: DoublePulsar ping again: the implant answers with multiplex id + 16.
      c = connect(ctx, slot, src.host, target.host, SMB_PORT, c.t + 200 * MS, 'smb');
      s = new Smb1Session(c, rng);
      yield* smb1Preamble(s, target, clientOs, clientLanman);
      s.mid = 65;
      s.replyMid = 81;
      yield* s.trans2SessionSetup(0x0025d9a8);
      s.mid = 64;
      yield* smb1Close(s);
      inc.finish(c.t);
    });
    return [inc.truth];
  },
};

export const ransomwareSmb: Scenario = {
  name: 'ransomware-smb',
  description: 'Ransomware on the engineering workstation encrypts the projects share: files read, rewritten, renamed to .locked, and a README_TO_DECRYPT.txt per folder.',
  inject(ctx, at, rng) {
    const src = ctx.plant.get('ews-01');
    const fs = ctx.plant.get('fs-01');
    const inc = incident('ransomware-smb', at, src, fs,
      '26 files on \\\\fs-01\\projects rewritten and renamed to *.locked, README_TO_DECRYPT.txt in 4 folders',
      { ruleId: 'malware.ransomware-smb', severity: 'critical', category: 'impact' });
    const folders = ['TIA\\Line1_Filling', 'TIA\\Line1_Capping', 'Studio5000', 'Backups'];
    const exts = ['ap17', 'zap17', 'ACD', 'xlsx', 'pdf', 'csv', 'docx'];
    ctx.sched.spawn(function* (slot) {
      const c = connect(ctx, slot, src.host, fs.host, SMB_PORT, at, 'smb');
      const guid = Buffer.alloc(16);
      rng.fill(guid, 0, 16);
      const s = new Smb2Session(c, rng, { user: 'engineer1', domain: 'PLANT', workstation: src.hostname ?? src.name,
        build: windowsBuild(src.firmware) }, { netbiosName: 'FS-01', netbiosDomain: 'PLANT', dnsDomain: 'plant.lan',
        build: windowsBuild(fs.firmware) }, guid);
      yield* c.open();
      yield* s.negotiate(guid);
      yield* s.sessionSetup();
      yield* s.treeConnect(`\\\\${(fs.hostname ?? fs.name).toLowerCase()}\\projects`);
      let n = 0;
      for (const folder of folders) {
        for (let i = 0; i < (folder === 'Backups' ? 8 : 6); i++) {
          const name = `${folder}\\${['Recipe', 'Screens', 'Alarms', 'Tags', 'Config', 'Report', 'Export', 'Motion'][i]}_${n + 1}.${exts[n % exts.length]}`;
          n++;
          const size = 8_000 + rng.int(0, 50_000);
          c.t += 20 * MS + rng.int(0, 40 * MS);
          const f = yield* s.create(name, FILE_OPEN, 0x0013019f, size);
          yield* s.read(f, 0, size);
          yield* s.write(f, 0, size);
          yield* s.rename(f, `${name}.locked`);
          yield* s.close(f);
        }
        c.t += 10 * MS;
        const note = yield* s.create(`${folder}\\README_TO_DECRYPT.txt`, FILE_CREATE, 0x0012019f, 0);
        yield* s.write(note, 0, 1_180);
        yield* s.close(note);
      }
      c.t += 100 * MS;
      yield* s.treeDisconnect();
      yield* s.logoff();
      yield* c.close();
      inc.finish(c.t);
    });
    return [inc.truth];
  },
};
