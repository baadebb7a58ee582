/** web.directory-listing: a device serves auto-generated directory indexes (higher on HMIs and PLC web servers). */
import type { AssetFactEvent, OperationEvent } from '../../events/types.js';
import type { HitRecorder, RuleFactory } from '../types.js';
import { RequestIndex } from './cred-cleartext.js';
import { describe } from './common.js';

export const webDirectoryListing: RuleFactory = (ctx) => {
  const id = 'web.directory-listing';
  const requests = new RequestIndex(ctx.tune(id, 'maxServers', 4096), ctx.tune(id, 'requestsPerServer', 4));
  const pending: Array<{ fact: AssetFactEvent; file: string }> = [];
  const maxPending = ctx.tune(id, 'maxPending', 10000);
  return {
    meta: {
      id,
      title: 'Directory listing served',
      category: 'misconfiguration',
      severity: 'medium',
      mitre: { ics: ['T0888', 'T0811'], enterprise: ['T1083'] },
      explanation: 'A web server returned an automatically generated list of files. Directory listings expose logs, recipes, configuration and backups to anyone who can reach the server.',
      recommendation: 'Disable directory indexes on the web server and remove files that should not be published.',
    },
    subscribe: { operations: { protocols: ['http'] }, facts: ['directory-listing'] },
    onOperation(e: OperationEvent, _file: string, hits: HitRecorder): void {
      if (e.result !== 'ok' || (e.kind !== 'read' && e.kind !== 'authentication')) return;
      if (requests.add(e)) hits.count('servers-cap');
    },
    onFact(e: AssetFactEvent, file: string, hits: HitRecorder): void {
      if (pending.length >= maxPending) return hits.count('pending-cap');
      pending.push({ fact: e, file });
    },
    finish(_model, hits: HitRecorder): void {
      for (const { fact, file } of pending) {
        const req = requests.find(fact);
        const server = fact.subject.ip ?? '';
        const d = hits.hit(`${server}|${fact.value}`, fact.ts, req ? req.src : null, req ? req.dst : { ip: server, mac: fact.subject.mac }, fact, file);
        if (d && d.count === 1) d.details.url = fact.value;
      }
      pending.length = 0;
    },
    assess(d, model): void {
      const server = model.asset(d.dstIp, d.dstMac);
      if (model.hasRole(server, ['hmi', 'plc', 'rtu', 'ied', 'scada-server', 'historian']) || model.isOtDevice(server)) {
        d.severity = 'high';
        d.notes.push(`The server is ${describe(server, d.dstIp)}.`);
      }
    },
  };
};
