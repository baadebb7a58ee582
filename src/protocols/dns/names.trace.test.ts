/**
 * Golden traces of the name/address-service analyzers (DNS, mDNS, LLMNR, NBNS, NBDGM, DHCP, DHCPv6) on real
 * captures, reduced to those protocols so that other analyzers' changes do not move these goldens; and a
 * frame-by-frame differential with tshark on DNS query types and rcodes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { traceOf as traceOfUncached, tsharkFields, hasTshark, type Trace } from '../../../test/support/trace.js';
import { assertGolden } from '../../../test/support/golden.js';
import { corpusDir, hasCorpus } from '../../../test/support/cli.js';

/** Each capture is analysed once for all the tests of this file. */
const traces = new Map<string, ReturnType<typeof traceOfUncached>>();
function traceOf(file: string): ReturnType<typeof traceOfUncached> {
  let t = traces.get(file);
  if (t === undefined) traces.set(file, (t = traceOfUncached(file)));
  return t;
}

const MINE = new Set(['dns', 'mdns', 'llmnr', 'nbns', 'nbdgm', 'dhcp', 'dhcpv6']);
const dnsFixtures = join(import.meta.dirname, 'fixtures');
const nbFixtures = join(import.meta.dirname, '..', 'netbios', 'fixtures');

function mine(trace: Trace): Trace {
  return {
    operations: trace.operations.filter((o) => MINE.has(o[1])),
    facts: trace.facts.filter((f) => MINE.has(f[3])),
    anomalies: Object.fromEntries(Object.entries(trace.anomalies).filter(([k]) => MINE.has(k.split('.')[0]!))),
    servers: trace.servers.filter((s) => MINE.has(s.split(' ')[0]!)),
  };
}

const GOLDEN: Array<[string, string]> = [
  [dnsFixtures, 'modbusSmall.pcap'],
  [dnsFixtures, 'open62541_client-server_mainloop.pcap'],
  [dnsFixtures, 'addroute.pcapng'],
  [nbFixtures, 'eternalblue-failed-patched-win7.pcap'],
];

for (const [dir, name] of GOLDEN) {
  test(`golden trace: ${name}`, async () => {
    const { trace } = await traceOf(join(dir, name));
    assertGolden(join(dir, name.replace(/\.pcap(ng)?$/, '.golden.json')), mine(trace));
  });
}

test('eternalblue-failed-patched-win7: DHCP hostname/vendor class, NetBIOS names and browser announcement (tshark: IE11Win7, MSFT 5.0, IE11WIN7, os 6.1)', async () => {
  const { trace, events } = await traceOf(join(nbFixtures, 'eternalblue-failed-patched-win7.pcap'));
  const facts = (proto: string, field: string) => trace.facts.filter((f) => f[0] === '192.168.198.203' && f[3] === proto && f[1] === field).map((f) => f[2]);
  assert.deepEqual(facts('dhcp', 'hostname'), ['IE11Win7']);
  assert.deepEqual(facts('dhcp', 'software'), ['MSFT 5.0']);
  assert.ok(facts('dhcp', 'os').includes('Windows 7'));
  assert.deepEqual(facts('nbdgm', 'hostname'), ['IE11WIN7']);
  assert.deepEqual(facts('nbdgm', 'os'), ['Windows 6.1']);
  assert.deepEqual(facts('nbdgm', 'domain'), ['WORKGROUP']);
  assert.ok(facts('nbns', 'domain').includes('WORKGROUP'));
  assert.ok(trace.facts.some((f) => f[0] === '192.168.198.254' && f[1] === 'role-hint' && f[2] === 'dhcp-server'));
  const dhcp = events.filter((e) => e.type === 'operation' && e.protocol === 'dhcp');
  assert.equal(dhcp.length, 1);
  assert.deepEqual(dhcp[0]!.type === 'operation' && [dhcp[0]!.frame, dhcp[0]!.responseFrame, dhcp[0]!.attributes?.leased_ip], [63, 64, '192.168.198.203']);
});

test('addroute: LLMNR queries and the DHCPv6 solicit (tshark: FQDN ShenhuaJ6-PC, vendor class MSFT 5.0)', async () => {
  const { trace } = await traceOf(join(dnsFixtures, 'addroute.pcapng'));
  assert.ok(trace.facts.some((f) => f[1] === 'hostname' && f[2] === 'ShenhuaJ6-PC' && f[3] === 'dhcpv6'));
  assert.ok(trace.operations.some((o) => o[1] === 'llmnr' && o[4] === 'query_a'));
  assert.ok(trace.operations.some((o) => o[1] === 'nbns' && o[4] === 'name_query'));
});

test('Telnet.pcap NetBIOS traffic decodes without anomalies', { skip: !hasCorpus ? 'needs ../shared/corpus' : false }, async () => {
  const { trace } = await traceOf(join(corpusDir, 'threats', 'Telnet.pcap'));
  const t = mine(trace);
  assert.ok(t.operations.some((o) => o[1] === 'nbns'));
  assert.ok(t.operations.some((o) => o[1] === 'nbdgm'));
  assert.deepEqual(t.anomalies, {});
});

const DNS_FILES = [join(dnsFixtures, 'modbusSmall.pcap'), join(dnsFixtures, 'open62541_client-server_mainloop.pcap'), join(dnsFixtures, 'addroute.pcapng'), join(nbFixtures, 'eternalblue-failed-patched-win7.pcap')];

test('differential with tshark: DNS/LLMNR/mDNS query type and rcode per frame', { skip: !hasTshark ? 'needs tshark' : false }, async () => {
  let frames = 0;
  let agreeing = 0;
  const problems: string[] = [];
  for (const file of DNS_FILES.filter(existsSync)) {
    const { events } = await traceOf(file);
    const ours = new Map<number, string>();
    for (const e of events) {
      if (e.type !== 'operation' || (e.protocol !== 'dns' && e.protocol !== 'llmnr' && e.protocol !== 'mdns')) continue;
      ours.set(e.frame, `q${e.code}`);
      if (e.responseFrame !== undefined) ours.set(e.responseFrame, `q${e.code} r${e.exceptionCode ?? 0}`);
    }
    for (const [frame, [qtype = [], response = [], rcode = []]] of tsharkFields(file, 'dns || llmnr || mdns', ['dns.qry.type', 'dns.flags.response', 'dns.flags.rcode'])) {
      if (qtype.length === 0) continue;
      frames++;
      const theirs = response[0] === '1' || response[0] === 'True' ? `q${qtype[0]} r${rcode[0] ?? 0}` : `q${qtype[0]}`;
      if (ours.get(frame) === theirs) agreeing++;
      else problems.push(`${file} frame ${frame}: tshark ${theirs} otwatch ${ours.get(frame) ?? '-'}`);
    }
  }
  console.log(`# dns differential: ${agreeing}/${frames} frames agree`);
  for (const p of problems.slice(0, 20)) console.log(`#   ${p}`);
  assert.ok(frames > 0);
  assert.ok(agreeing / frames >= 0.99, problems.slice(0, 20).join('\n'));
});
