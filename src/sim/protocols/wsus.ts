/**
 * Windows Server Update Services: OT hosts fetch updates from the DMZ patch server over HTTP (WSUS port 8530):
 * the self-update cab, then now and then an update payload from /Content/.
 */
import type { PlantAsset } from '../plant.js';
import { connect, MS, SEC, type SimContext } from '../context.js';
import type { SimProcessFactory } from '../scheduler.js';
import { hashString } from '../rng.js';
import { dnsLookup } from './it.js';

export const WSUS_PORT = 8530;

const WU_AGENT = 'Windows-Update-Agent/10.0.10011.16384 Client-Protocol/2.50';

/** One HTTP/1.1 GET answered by IIS with an opaque cabinet of `size` bytes. */
function cabDownload(host: string, path: string, size: number, fill: (b: Buffer, off: number, len: number) => void): [Buffer, Buffer] {
  const req = Buffer.from(`GET ${path} HTTP/1.1\r\nCache-Control: no-cache\r\nConnection: Keep-Alive\r\nPragma: no-cache\r\n` +
    `Accept: */*\r\nUser-Agent: ${WU_AGENT}\r\nHost: ${host}:${WSUS_PORT}\r\n\r\n`, 'latin1');
  const head = Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: application/vnd.ms-cab-compressed\r\n` +
    `Last-Modified: Tue, 10 Feb 2026 03:12:44 GMT\r\nAccept-Ranges: bytes\r\nETag: "0d7a1c3b49adc1:0"\r\n` +
    `Server: Microsoft-IIS/10.0\r\nX-Powered-By: ASP.NET\r\nDate: Mon, 02 Mar 2026 06:00:00 GMT\r\n` +
    `Content-Length: ${size}\r\n\r\n`, 'latin1');
  const resp = Buffer.alloc(head.length + size);
  head.copy(resp, 0);
  fill(resp, head.length, size);
  resp.write('MSCF', head.length, 'latin1');
  resp.writeUInt32LE(0, head.length + 4);
  resp.writeUInt32LE(size, head.length + 8);
  return [req, resp];
}

/** A WSUS client: every `periodSec` the self-update check, and every other cycle one update payload. */
export function wsusClient(ctx: SimContext, client: PlantAsset, server: PlantAsset, dns: PlantAsset, periodSec: number, offsetUs: number): SimProcessFactory {
  return function* (slot) {
    const rng = ctx.rng.fork(hashString(`wsus:${client.name}`));
    const host = `${(server.hostname ?? server.name).toLowerCase()}.plant.lan`;
    const fill = (b: Buffer, off: number, len: number) => rng.fill(b, off, len);
    let t = ctx.startUs + offsetUs;
    let cycle = 0;
    while (ctx.sched.running(t)) {
      // Looked up first: a size-driven capture decides on the download at its own time (see fileShareClient).
      const looked = yield* dnsLookup(ctx, slot, t, client.host, dns.host, host, [server.host.ip], rng);
      if (!ctx.sched.running(looked)) break;
      const c = connect(ctx, slot, client.host, server.host, WSUS_PORT, looked + 300, 'http');
      yield* c.open();
      c.t += 1 * MS;
      const [q, r] = cabDownload(host, '/selfupdate/wuident.cab', 9_120, fill);
      yield* c.exchange(q, q.length, r, r.length, 2 * MS);
      if (cycle % 2 === 1) {
        c.t += 40 * MS;
        let sha = '';
        for (let i = 0; i < 5; i++) sha += rng.u32().toString(16).padStart(8, '0');
        const [q2, r2] = cabDownload(host, `/Content/${sha.slice(-2).toUpperCase()}/${sha.toUpperCase()}.cab`,
          60_000 + rng.int(0, 140_000), fill);
        yield* c.exchange(q2, q2.length, r2, r2.length, 3 * MS);
      }
      c.t += 100 * MS;
      yield* c.close();
      cycle++;
      t += periodSec * SEC;
    }
  };
}
