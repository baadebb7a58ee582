/**
 * cred.cleartext: credentials sent in clear text (Telnet, FTP, HTTP basic, SNMP community, MQTT, ...). The
 * analyzers emit a 'credential' fact about the server; the client comes from the 'authentication' operation
 * of the same protocol and server, linked by frame (the fact is at the request or the response frame).
 */
import type { AssetFactEvent, OperationEvent } from '../../events/types.js';
import type { HitRecorder, RuleFactory } from '../types.js';
import { evictIfFull } from './common.js';

interface Login {
  captureIndex: number;
  frame: number;
  responseFrame: number;
  src: OperationEvent['src'];
  dst: OperationEvent['dst'];
}

/** Links a fact about a server (by protocol, server IP and frame) to the request that caused it. */
export class RequestIndex {
  private readonly byServer = new Map<string, Login[]>();
  constructor(private readonly maxServers: number, private readonly perServer: number) {}

  /** the server of the last add and its list: a client logging in again finds it without a key string */
  private lastProtocol = '';
  private lastIp = '';
  private lastList: Login[] | null = null;

  add(e: OperationEvent): boolean {
    let list: Login[] | undefined;
    let evicted = false;
    if (this.lastList !== null && e.dst.ip === this.lastIp && e.protocol === this.lastProtocol) list = this.lastList;
    else {
      const key = `${e.protocol}|${e.dst.ip}`;
      list = this.byServer.get(key);
      if (list === undefined) {
        // an eviction may drop the remembered list: it is replaced just below
        evicted = evictIfFull(this.byServer, this.maxServers);
        this.byServer.set(key, (list = []));
      }
      this.lastProtocol = e.protocol;
      this.lastIp = e.dst.ip;
      this.lastList = list;
    }
    if (list.length >= this.perServer) list.shift();
    list.push({ captureIndex: e.captureIndex, frame: e.frame, responseFrame: e.responseFrame ?? e.frame, src: e.src, dst: e.dst });
    return evicted;
  }

  /** The request whose frame or response frame is the fact's frame, else the latest before it on that server. */
  find(f: AssetFactEvent): Login | undefined {
    const list = this.byServer.get(`${f.protocol}|${f.subject.ip ?? ''}`);
    if (list === undefined) return undefined;
    let best: Login | undefined;
    for (const l of list) {
      if (l.captureIndex !== f.captureIndex) continue;
      if (l.frame === f.frame || l.responseFrame === f.frame) return l;
      if (l.frame <= f.frame && (best === undefined || l.frame > best.frame)) best = l;
    }
    return best;
  }
}

export const credCleartext: RuleFactory = (ctx) => {
  const id = 'cred.cleartext';
  const logins = new RequestIndex(ctx.tune(id, 'maxServers', 4096), ctx.tune(id, 'loginsPerServer', 8));
  const pending: Array<{ fact: AssetFactEvent; file: string }> = [];
  const maxPending = ctx.tune(id, 'maxPending', 10000);
  return {
    meta: {
      id,
      title: 'Cleartext credentials',
      category: 'credentials',
      severity: 'medium',
      mitre: { ics: ['T0859', 'T0842'], enterprise: ['T1040', 'T1552'] },
      explanation: 'A login or community string crossed the network unencrypted; anyone on the path can capture and reuse it.',
      recommendation: 'Change the exposed credential; replace the protocol by an encrypted one (SSH, SFTP, HTTPS, SNMPv3) or restrict it to an isolated management network.',
    },
    subscribe: { operations: { kinds: ['authentication'] }, facts: ['credential'] },
    onOperation(e: OperationEvent, _file: string, hits: HitRecorder): void {
      if (logins.add(e)) hits.count('servers-cap');
    },
    onFact(e: AssetFactEvent, file: string, hits: HitRecorder): void {
      // Resolved in finish(): the login operation may be emitted after the fact at the same frame.
      if (pending.length >= maxPending) return hits.count('pending-cap');
      pending.push({ fact: e, file });
    },
    finish(_model, hits: HitRecorder): void {
      for (const { fact, file } of pending) {
        const login = logins.find(fact);
        const server = fact.subject.ip ?? '';
        const d = hits.hit(`${login?.src.ip ?? ''}|${server}|${fact.protocol}`, fact.ts,
          login ? login.src : null, login ? login.dst : { ip: server, mac: fact.subject.mac }, fact, file);
        if (d === null) continue;
        d.details.protocol = fact.protocol;
        if (d.count === 1) d.details.credential = fact.value;
        if (/default '?(public|private)'?: yes/i.test(fact.value)) d.details.default_credential = true;
      }
      pending.length = 0;
    },
    assess(d, model): void {
      const dst = model.asset(d.dstIp, d.dstMac);
      if (d.details.default_credential === true) {
        d.severity = 'high';
        d.notes.push('The value is a well-known default.');
      }
      if (model.isOtDevice(dst)) d.notes.push('The login is to an OT device.');
    },
  };
};
