/**
 * lateral.psexec: remote service creation over the Service Control Manager (svcctl CreateService), the way
 * PsExec, Impacket and many worms run code on another Windows host; executables written to ADMIN$ join it.
 */
import type { OperationEvent } from '../../events/types.js';
import type { HitRecorder, RuleFactory } from '../types.js';
import { describe } from './common.js';

export const lateralPsexec: RuleFactory = () => ({
  meta: {
    id: 'lateral.psexec',
    title: 'Remote service creation (PsExec-style)',
    category: 'lateral-movement',
    severity: 'high',
    mitre: { ics: ['T0866', 'T0886'], enterprise: ['T1569.002', 'T1021.002', 'T1570'] },
    explanation: 'A host created a service on another host through the Service Control Manager over SMB (svcctl CreateService), which runs a program there with SYSTEM rights — PsExec, Impacket and worms do this.',
    recommendation: 'Confirm the administrator and the tool; if unexplained, isolate both hosts and check the created service and its binary.',
  },
  subscribe: { operations: { protocols: ['dcerpc', 'smb'] } },
  onOperation(e: OperationEvent, file: string, hits: HitRecorder): void {
    const a = e.attributes;
    if (e.protocol === 'dcerpc') {
      if (a?.interface !== 'svcctl' || !e.codeName.includes('createservice')) return;
      const d = hits.hit(`${e.src.ip}|${e.dst.ip}`, e.ts, e.src, e.dst, e, file);
      if (d === null) return;
      if (typeof a.service_name === 'string' && d.details.service_name === undefined) d.details.service_name = a.service_name;
      if (typeof a.binary_path === 'string' && d.details.binary_path === undefined) d.details.binary_path = a.binary_path;
      return;
    }
    // An executable written to the ADMIN$ share is the usual first half (PSEXESVC.exe).
    if (e.kind !== 'write' && e.kind !== 'file-transfer' && e.codeName !== 'smb2_create' && e.codeName !== 'smb1_nt_create_andx') return;
    const obj = (e.object ?? '').toLowerCase();
    if (!obj.includes('admin$') || !/\.(exe|dll|bat|ps1)$/.test(obj)) return;
    const d = hits.get(`${e.src.ip}|${e.dst.ip}`) ?? hits.hit(`${e.src.ip}|${e.dst.ip}`, e.ts, e.src, e.dst, e, file);
    if (d && d.details.admin_share_file === undefined) d.details.admin_share_file = e.object!;
  },
  assess(d, model): boolean {
    // An ADMIN$ executable alone, without the service creation, is a weaker sign.
    if (d.details.service_name === undefined && d.details.binary_path === undefined && d.details.admin_share_file !== undefined) d.severity = 'medium';
    const dst = model.asset(d.dstIp, d.dstMac);
    if (model.isOtAsset(dst) || model.isIndustrialClient(dst)) {
      d.severity = 'critical';
      d.notes.push(`The target ${describe(dst, d.dstIp)} is part of the control system.`);
    }
    return true;
  },
});
