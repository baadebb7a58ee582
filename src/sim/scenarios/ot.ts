/** OT incident scenarios: unauthorised S7 operations, Modbus write storm, DNP3 cold restart, IEC 104 command. */
import { connect, MS, type SimContext } from '../context.js';
import { S7Codec, s7DownloadProgram, s7Open, s7StopCpu, s7UploadProgram, S7_PORT } from '../protocols/s7comm.js';
import { ModbusCodec, MODBUS_PORT } from '../protocols/modbus.js';
import { Dnp3Codec, DNP3_PORT } from '../protocols/dnp3.js';
import { Iec104Link, iec104Command, iec104Start, IEC104_PORT } from '../protocols/iec104.js';
import type { Rng } from '../rng.js';
import type { Scenario } from './index.js';
import { addRogue, incident } from './common.js';

export const plcStop: Scenario = {
  name: 'plc-stop',
  description: 'S7 CPU STOP (function 0x29) sent to an S7-1500 from an HMI (not the engineering workstation).',
  inject(ctx, at, rng) {
    const src = ctx.plant.get('hmi-02');
    const dst = ctx.plant.get('plc-s71500-01');
    const inc = incident('plc-stop', at, src, dst, 'PLC STOP from a non-engineering host',
      { ruleId: 'ot.mode-change', severity: 'critical', category: 'ot-operation' });
    ctx.sched.spawn(function* (slot) {
      const c = connect(ctx, slot, src.host, dst.host, S7_PORT, at, 's7comm');
      const s = new S7Codec(rng.u32());
      yield* s7Open(c, s, dst, 0x0100, rng);
      yield* s7StopCpu(c, s);
      c.t += 50 * MS;
      yield* c.close();
      inc.finish(c.t);
    });
    return [inc.truth];
  },
};

function s7Transfer(kind: 'program-download' | 'program-upload', srcName: string, dstName: string): Scenario['inject'] {
  return (ctx: SimContext, at: number, rng: Rng) => {
    const src = ctx.plant.get(srcName);
    const dst = ctx.plant.get(dstName);
    const inc = incident(kind, at, src, dst, `unauthorised S7 ${kind.replace('program-', 'program ')} (blocks OB1, FC2)`,
      { ruleId: `ot.${kind}`, severity: kind === 'program-download' ? 'critical' : 'high', category: 'ot-operation' });
    ctx.sched.spawn(function* (slot) {
      const c = connect(ctx, slot, src.host, dst.host, S7_PORT, at, 's7comm');
      const s = new S7Codec(rng.u32());
      yield* s7Open(c, s, dst, 0x0100, rng);
      if (kind === 'program-download') yield* s7DownloadProgram(c, s, rng, 2);
      else yield* s7UploadProgram(c, s, rng, 2);
      c.t += 50 * MS;
      yield* c.close();
      inc.finish(c.t);
    });
    return [inc.truth];
  };
}

export const programDownload: Scenario = {
  name: 'program-download',
  description: 'Unauthorised S7 program download (request download / download block / download ended) from an HMI.',
  inject: s7Transfer('program-download', 'hmi-01', 'plc-s7300-01'),
};

export const programUpload: Scenario = {
  name: 'program-upload',
  description: 'Unauthorised S7 program upload (start upload / upload / end upload) by the SCADA server.',
  inject: s7Transfer('program-upload', 'scada-01', 'plc-s71200-01'),
};

export const modbusWriteStorm: Scenario = {
  name: 'modbus-write-storm',
  description: 'Burst of Modbus writes (FC 6 and FC 16) from an unknown master in the cell.',
  inject(ctx, at, rng) {
    const src = addRogue(ctx, { name: 'unknown-master-01', zone: 'cell-a', ip: '10.10.10.66' });
    const dst = ctx.plant.get('plc-m340-01');
    const inc = incident('modbus-write-storm', at, src, dst, '200 Modbus writes in ~4 s from an unknown master',
      { ruleId: 'ot.control-command', severity: 'high', category: 'ot-operation' });
    ctx.sched.spawn(function* (slot) {
      const c = connect(ctx, slot, src.host, dst.host, MODBUS_PORT, at, 'modbus');
      const mb = new ModbusCodec(rng.u32());
      yield* c.open();
      for (let i = 0; i < 200; i++) {
        c.t += 20 * MS;
        if (i % 2) mb.writeSingle(i % 100, rng.int(0, 65535));
        else mb.writeMultiple(200 + (i % 50), [rng.int(0, 65535), rng.int(0, 65535)]);
        yield* c.exchange(mb.req, mb.reqLen, mb.resp, mb.respLen, 800);
      }
      yield* c.close();
      inc.finish(c.t);
    });
    return [inc.truth];
  },
};

export const dnp3ColdRestart: Scenario = {
  name: 'dnp3-cold-restart',
  description: 'DNP3 cold restart (function 13) sent to the substation outstation from an HMI.',
  inject(ctx, at) {
    const src = ctx.plant.get('hmi-02');
    const dst = ctx.plant.get('rtu-dnp3-01');
    const inc = incident('dnp3-cold-restart', at, src, dst, 'DNP3 cold restart of the outstation',
      { ruleId: 'ot.restart', severity: 'critical', category: 'ot-operation' });
    ctx.sched.spawn(function* (slot) {
      const c = connect(ctx, slot, src.host, dst.host, DNP3_PORT, at, 'dnp3');
      const d = new Dnp3Codec(3, 10);
      yield* c.open();
      c.t += 5 * MS;
      d.coldRestart();
      yield* c.exchange(d.q.buf, d.q.o, d.r.buf, d.r.o, 5 * MS);
      c.t += 30 * MS;
      yield* c.close();
      inc.finish(c.t);
    });
    return [inc.truth];
  },
};

export const iec104CommandScenario: Scenario = {
  name: 'iec104-command',
  description: 'Unexpected IEC 104 single command (C_SC_NA_1) to the RTU from the engineering workstation.',
  inject(ctx, at) {
    const src = ctx.plant.get('ews-01');
    const dst = ctx.plant.get('rtu-iec104-01');
    const inc = incident('iec104-command', at, src, dst, 'C_SC_NA_1 breaker command from an unexpected station',
      { ruleId: 'ot.control-command', severity: 'high', category: 'ot-operation' });
    ctx.sched.spawn(function* (slot) {
      const c = connect(ctx, slot, src.host, dst.host, IEC104_PORT, at, 'iec104');
      const L = new Iec104Link(c, 1);
      yield* iec104Start(L);
      c.t += 200 * MS;
      yield* iec104Command(L, 2001, false);
      c.t += 50 * MS;
      yield* c.close();
      inc.finish(c.t);
    });
    return [inc.truth];
  },
};
