/**
 * The baseline plant traffic: every periodic cycle of the plant, spawned into the scheduler. Adding a cycle
 * is one spawn line; each protocol lives in its own module under protocols/.
 */
import type { SimContext } from './context.js';
import { connect, MS, SEC } from './context.js';
import { modbusIdentify, modbusPoller, MODBUS_PORT } from './protocols/modbus.js';
import { S7Codec, s7Diagnostics, s7Open, s7Poller, S7_PORT } from './protocols/s7comm.js';
import { enipBrowse, enipPoller } from './protocols/enip.js';
import { dnp3Master } from './protocols/dnp3.js';
import { iec104Master } from './protocols/iec104.js';
import { bacnetClient, dcpIdentify, opcuaClient } from './protocols/ot-misc.js';
import { arpExchange, dhcpDora, httpGet, infraChatter, webBrowsing } from './protocols/it.js';
import { fileShareClient, windowsBuild, type ShareFile, type SmbServerIdentity } from './protocols/smb.js';
import { wsusClient } from './protocols/wsus.js';
import type { SimProcessFactory } from './scheduler.js';
import type { PlantAsset } from './plant.js';

export const HMI_WEB_PAGE = '<html><head><title>SIMATIC HMI</title></head><body><h1>Line 1 overview</h1>' +
  '<table><tr><td>Tank 1</td><td>72 %</td></tr><tr><td>Pump P-101</td><td>RUN</td></tr></table></body></html>';

/** Operators' browser (on the SCADA server) refreshing the web HMI. */
function webHmiViewer(ctx: SimContext, client: PlantAsset, hmi: PlantAsset, periodSec: number, offsetUs: number): SimProcessFactory {
  return function* (slot) {
    let t = ctx.startUs + offsetUs;
    while (ctx.sched.running(t)) {
      const c = connect(ctx, slot, client.host, hmi.host, 80, t, 'http');
      yield* c.open();
      c.t += 1 * MS;
      yield* httpGet(c, hmi.ip, '/', { status: '200 OK', server: hmi.httpServer ?? 'HMI', contentType: 'text/html', body: HMI_WEB_PAGE });
      c.t += 20 * MS;
      yield* c.close();
      t = c.t + periodSec * SEC;
    }
  };
}

/** Engineering workstation diagnostics: S7 SZL identity reads and Modbus device identification. */
function engineeringDiagnostics(ctx: SimContext, ews: PlantAsset, s7: PlantAsset[], mb: PlantAsset[], periodSec: number, offsetUs: number): SimProcessFactory {
  return function* (slot) {
    const rng = ctx.rng.fork(0xe5);
    let t = ctx.startUs + offsetUs;
    while (ctx.sched.running(t)) {
      for (const plc of s7) {
        const c = connect(ctx, slot, ews.host, plc.host, S7_PORT, t, 's7comm');
        const s = new S7Codec(rng.u32());
        yield* s7Open(c, s, plc, 0x0100, rng);
        yield* s7Diagnostics(c, s, plc);
        c.t += 10 * MS;
        yield* c.close();
        t = c.t + 50 * MS;
      }
      for (const plc of mb) {
        const c = connect(ctx, slot, ews.host, plc.host, MODBUS_PORT, t, 'modbus');
        yield* modbusIdentify(ctx, c, plc);
        t = c.t + 50 * MS;
      }
      t += periodSec * SEC;
    }
  };
}

/** Office workstations booting: ARP for the gateway, DHCP, then browsing. */
function officeWorkstation(ctx: SimContext, ws: PlantAsset, dhcp: PlantAsset, offsetUs: number): SimProcessFactory {
  return function* (slot) {
    const rng = ctx.rng.fork(0x0f);
    let t = ctx.startUs + offsetUs;
    const gw = (ws.host.subnet | 1) >>> 0;
    t = yield* dhcpDora(ctx, slot, t, ws, dhcp, gw, dhcp.host.ip, rng);
    t += 5 * MS;
    yield* arpExchange(slot, t, ws.host, { ...dhcp.host, ip: gw, mac: ctx.plant.fabric.routerMac });
    ctx.sched.spawn(webBrowsing(ctx, ws, dhcp, t - ctx.startUs + 20 * MS));
  };
}

export function spawnBaseline(ctx: SimContext): void {
  const { plant, sched } = ctx;
  const a = (n: string) => plant.get(n);
  // Level 2: HMIs polling their PLCs
  sched.spawn(s7Poller(ctx, a('hmi-01'), a('plc-s71500-01'), 500, 10 * MS));
  sched.spawn(s7Poller(ctx, a('hmi-01'), a('plc-s71200-01'), 1000, 40 * MS));
  sched.spawn(s7Poller(ctx, a('hmi-01'), a('plc-s7300-01'), 750, 70 * MS));
  sched.spawn(modbusPoller(ctx, a('hmi-02'), a('plc-m340-01'), { periodMs: 250, writeChance: 0.01, identify: true, offsetUs: 20 * MS }));
  sched.spawn(modbusPoller(ctx, a('hmi-02'), a('plc-m580-01'), { periodMs: 500, writeChance: 0.01, identify: true, offsetUs: 55 * MS }));
  sched.spawn(modbusPoller(ctx, a('hmi-web-01'), a('plc-m340-01'), { periodMs: 1000, writeChance: 0.005, identify: false, offsetUs: 90 * MS }));
  sched.spawn(enipPoller(ctx, a('hmi-03'), a('plc-clx-01'), 500, 30 * MS));
  sched.spawn(enipPoller(ctx, a('hmi-03'), a('plc-cmpx-01'), 1000, 80 * MS));
  sched.spawn(bacnetClient(ctx, a('bms-ws-01'), [a('bms-ahu-01'), a('bms-chiller-01')], 2000, 300 * MS));
  sched.spawn(webHmiViewer(ctx, a('scada-01'), a('hmi-web-01'), 15, 2 * SEC));
  // Level 1: the S7-1500 is the PROFINET IO controller and identifies its devices
  sched.spawn(dcpIdentify(ctx, a('plc-s71500-01'), [a('io-et200sp-01'), a('plc-s71200-01'), a('plc-s7300-01')], 60, 150 * MS));
  // Level 3: historian, SCADA masters, OPC, engineering
  sched.spawn(modbusPoller(ctx, a('hist-01'), a('plc-m580-01'), { periodMs: 5000, writeChance: 0, identify: false, offsetUs: 1 * SEC }));
  sched.spawn(s7Poller(ctx, a('hist-01'), a('plc-s71500-01'), 7500, 1200 * MS));
  sched.spawn(opcuaClient(ctx, a('hist-01'), a('opc-01'), 10, 1500 * MS));
  sched.spawn(dnp3Master(ctx, a('scada-01'), a('rtu-dnp3-01'), 2000, 100 * MS));
  sched.spawn(iec104Master(ctx, a('scada-01'), a('rtu-iec104-01'), 120 * MS));
  sched.spawn(opcuaClient(ctx, a('scada-01'), a('opc-01'), 30, 3 * SEC));
  sched.spawn(engineeringDiagnostics(ctx, a('ews-01'), [a('plc-s71500-01'), a('plc-s71200-01'), a('plc-s7300-01')],
    [a('plc-m340-01'), a('plc-m580-01')], 120, 4 * SEC));
  sched.spawn(enipBrowse(ctx, a('ews-01'), [a('plc-clx-01'), a('plc-cmpx-01')], 30, 6 * SEC));
  for (const [i, n] of ['hist-01', 'scada-01', 'ews-01', 'opc-01', 'hmi-01'].entries()) {
    sched.spawn(infraChatter(ctx, a(n), a('dc-01'), a('ntp-01'), ['dc-01.plant.lan', 'fs-01.plant.lan', 'opc-01.plant.lan'], (500 + i * 700) * MS));
  }
  // Level 3: file servers (SMB 3.1.1) and Windows updates from the DMZ patch server (WSUS, HTTP 8530)
  const plantFs: SmbServerIdentity = { netbiosName: 'FS-01', netbiosDomain: 'PLANT', dnsDomain: 'plant.lan', build: 17763 };
  const projects: ShareFile[] = [
    { path: 'TIA\\Line1_Filling\\Line1_Filling.ap17', size: 180_000, write: false },
    { path: 'TIA\\Line1_Capping\\Line1_Capping.ap17', size: 150_000, write: false },
    { path: 'Studio5000\\CellB_Packaging.ACD', size: 120_000, write: false },
    { path: 'Backups\\Line1_Filling_2026-03-02.zap17', size: 90_000, write: true },
  ];
  sched.spawn(fileShareClient(ctx, a('ews-01'), a('fs-01'), { share: 'projects', files: projects, filesPerSession: 2,
    user: { user: 'engineer1', domain: 'PLANT', workstation: 'EWS-01', build: windowsBuild(a('ews-01').firmware) }, server: plantFs, dns: a('dc-01'), periodSec: 120, offsetUs: 8 * SEC }));
  for (const [i, n] of ['hmi-01', 'hmi-02', 'hmi-03'].entries()) {
    const host = a(n).hostname ?? n;
    const reports: ShareFile[] = [
      { path: `Reports\\${host}\\shift_report.csv`, size: 6_000 + i * 1_500, write: true },
      { path: 'Recipes\\recipes_line1.csv', size: 12_000, write: false },
    ];
    sched.spawn(fileShareClient(ctx, a(n), a('fs-01'), { share: 'operations', files: reports, filesPerSession: 2,
      user: { user: 'operator', domain: 'PLANT', workstation: host, build: windowsBuild(a(n).firmware) }, server: plantFs, dns: a('dc-01'), periodSec: 240, offsetUs: (14 + 9 * i) * SEC }));
  }
  for (const [i, n] of ['ews-01', 'hist-01', 'scada-01', 'opc-01'].entries()) {
    sched.spawn(wsusClient(ctx, a(n), a('patch-01'), a('dc-01'), 240, (11 + 13 * i) * SEC));
  }
  const itFs: SmbServerIdentity = { netbiosName: 'IT-FS-01', netbiosDomain: 'CORP', dnsDomain: 'corp.plant.lan', build: 20348 };
  const users = ['j.meyer', 'a.novak', 's.dubois', 'k.tanaka'];
  for (const [i, n] of ['office-01', 'office-02', 'office-03', 'office-04'].entries()) {
    const docs: ShareFile[] = [
      { path: `Users\\${users[i]}\\Documents\\budget_2026.xlsx`, size: 45_000, write: false },
      { path: 'Public\\Quality\\audit_plan.docx', size: 70_000, write: false },
      { path: `Users\\${users[i]}\\Documents\\minutes_${i + 1}.docx`, size: 18_000, write: true },
    ];
    sched.spawn(fileShareClient(ctx, a(n), a('it-fs-01'), { share: 'share', files: docs, filesPerSession: 2,
      user: { user: users[i]!, domain: 'CORP', workstation: a(n).hostname ?? n, build: windowsBuild(a(n).firmware) }, server: itFs, dns: a('it-dhcp-01'), periodSec: 120,
      offsetUs: (5 + 7 * i) * SEC }));
  }
  // Level 4: office
  for (const [i, n] of ['office-01', 'office-02', 'office-03', 'office-04'].entries()) {
    sched.spawn(officeWorkstation(ctx, a(n), a('it-dhcp-01'), (200 + i * 900) * MS));
  }
}
