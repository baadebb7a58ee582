import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { Dir, Probe } from '../analyzer.js';
import type { AssetFactEvent } from '../../events/types.js';
import { probeModbus } from '../modbus/probe.js';
import { probeHttp, parseAuthorization } from './parser.js';
import { directoryListingFlavour, serverOsHint, userAgentOsHint } from './hints.js';
import { chunked, down, request, response, run, up } from './test-support.js';

const facts = (events: unknown[]) => events.filter((e): e is AssetFactEvent => (e as AssetFactEvent).type === 'asset-fact');
const b = (s: string) => Buffer.from(s, 'latin1');

test('probe: request and status lines are Yes on any port, partial ones ask for more, others are No', () => {
  const p = (s: string) => probeHttp(b(s), 0, s.length, Dir.ToServer);
  assert.equal(p('GET / HTTP/1.1\r\n'), Probe.Yes);
  assert.equal(p('M-SEARCH * HTTP/1.1\r\n'), Probe.Yes);
  assert.equal(p('HTTP/1.0 404 Not Found\r\n'), Probe.Yes);
  assert.equal(p('HEAD /x HTTP/1.0\r\n'), Probe.Yes);
  assert.equal(p('GE'), Probe.NeedMore);
  assert.equal(p('HTTP/1'), Probe.NeedMore);
  assert.equal(p('GET /very/long'), Probe.NeedMore);
  assert.equal(p('GET /index.html\r\n'), Probe.Maybe); // HTTP/0.9
  assert.equal(p('GET / RTSP/1.0\r\n'), Probe.No);
  assert.equal(p('HTTP/2.0 200 OK'), Probe.No);
  assert.equal(p('SSH-2.0-OpenSSH\r\n'), Probe.No);
  assert.equal(p('get / HTTP/1.1\r\n'), Probe.No);
  const modbus = Buffer.from('000100000006010300000001', 'hex');
  assert.equal(probeHttp(modbus, 0, modbus.length, Dir.ToServer), Probe.No);
  // and the Modbus probe says No to HTTP, so HTTP on 502 is HTTP
  const get = b('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  assert.equal(probeModbus(get, 0, get.length, Dir.ToServer), Probe.No);
});

test('pipelined requests pair with chunked and length-framed responses in order, whatever the segmentation', () => {
  const listing = '<html><head><title>Index of /files/</title></head><body><h1>Index of /files/</h1><hr><pre><a href="../">../</a>\n<a href="plc.cfg">plc.cfg</a>\n</pre></body></html>';
  const requests = Buffer.concat([request('GET', '/files/'), request('POST', '/api/setpoint', {}, 'value=42'), request('GET', '/nope?x=1')]);
  const responses = Buffer.concat([
    response(200, 'OK', { 'Content-Type': 'text/html', 'Transfer-Encoding': 'chunked', Server: 'nginx/1.18.0 (Ubuntu)' }, chunked(listing, 37)),
    response(204, 'No Content'),
    response(404, 'Not Found', { 'Content-Type': 'text/html' }, '<h1>404</h1>'),
  ]);
  for (const cuts of [[0], [1], [3, 7, 1], [200, 5]]) {
    const ctx = run([up(requests), down(responses)], cuts);
    const ops = ctx.operations();
    assert.deepEqual(
      ops.map((o) => [o.codeName, o.kind, o.code, o.result, o.object, o.exceptionName]),
      [
        ['get', 'read', 200, 'ok', 'plc.local/files/', undefined],
        ['post', 'write', 204, 'ok', 'plc.local/api/setpoint', undefined],
        ['get', 'read', 404, 'exception', 'plc.local/nope?x=1', 'not_found'],
      ],
      `cuts ${cuts}`,
    );
    assert.equal(ops[0]!.attributes!.listing_type, 'nginx');
    assert.equal(ops[1]!.attributes!.directory_listing, undefined);
    const listingFacts = facts(ctx.events).filter((f) => f.field === 'directory-listing');
    assert.deepEqual(listingFacts.map((f) => [f.subject.ip, f.value]), [['10.0.0.2', 'http://plc.local/files/']]);
    assert.ok(facts(ctx.events).some((f) => f.field === 'os' && f.value === 'Ubuntu Linux' && f.subject.ip === '10.0.0.2'));
  }
});

test('Basic credentials: user extracted, password never appears in any event', () => {
  const auth = Buffer.from('admin:Sup3r:Secret').toString('base64');
  const ctx = run([up(request('GET', '/admin/config?a=b', { Authorization: `Basic ${auth}` })), down(response(401, 'Unauthorized'))]);
  const [op] = ctx.operations();
  assert.equal(op!.kind, 'authentication');
  assert.equal(op!.attributes!.user, 'admin');
  assert.equal(op!.attributes!.auth_method, 'basic');
  assert.equal(op!.exceptionCode, 401);
  const cred = facts(ctx.events).find((f) => f.field === 'credential')!;
  assert.equal(cred.value, 'http basic user=admin on plc.local/admin/config (password sent in cleartext)');
  assert.equal(cred.subject.ip, '10.0.0.2');
  assert.ok(facts(ctx.events).some((f) => f.field === 'user' && f.value === 'admin' && f.subject.ip === '10.0.0.1'));
  const all = JSON.stringify(ctx.events);
  assert.ok(!all.includes('Sup3r') && !all.includes('Secret') && !all.includes(auth));
});

test('Digest, NTLM and Bearer schemes: method attribute, user where the scheme carries one', () => {
  assert.deepEqual(parseAuthorization('Digest username="op\\"1", realm="plc", response="abc"', 64).user, 'op\\"1');
  assert.equal(parseAuthorization('Bearer eyJhbGciOi', 64).method, 'bearer');
  // NTLM AUTHENTICATE (type 3): domain PLANT, user eng, workstation HMI01, unicode
  const fields = [Buffer.from('PLANT', 'utf16le'), Buffer.from('eng', 'utf16le'), Buffer.from('HMI01', 'utf16le')];
  const head = Buffer.alloc(64);
  head.write('NTLMSSP\0', 0, 'latin1');
  head.writeUInt32LE(3, 8);
  let at = 64;
  [28, 36, 44].forEach((o, i) => {
    head.writeUInt16LE(fields[i]!.length, o);
    head.writeUInt16LE(fields[i]!.length, o + 2);
    head.writeUInt32LE(at, o + 4);
    at += fields[i]!.length;
  });
  head.writeUInt32LE(1, 60);
  const token = Buffer.concat([head, ...fields]).toString('base64');
  const ctx = run([up(request('GET', '/', { Authorization: `NTLM ${token}` })), down(response(200, 'OK'))]);
  assert.equal(ctx.operations()[0]!.attributes!.user, 'PLANT\\eng');
  assert.equal(ctx.operations()[0]!.attributes!.auth_method, 'ntlm');
  assert.ok(facts(ctx.events).some((f) => f.field === 'hostname' && f.value === 'HMI01' && f.subject.ip === '10.0.0.1'));
  assert.ok(!facts(ctx.events).some((f) => f.field === 'credential'));
});

test('directory listings of every known generator are recognised, ordinary pages are not', () => {
  const pages: Array<[string, string, string]> = [
    ['apache', 'Apache/2.4.41 (Ubuntu)', '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">\n<html>\n <head>\n  <title>Index of /backup</title>\n </head>\n <body>\n<h1>Index of /backup</h1>\n<table><tr><td><a href="/">Parent Directory</a></td></tr></table>\n<address>Apache/2.4.41 (Ubuntu) Server at 10.0.0.5 Port 80</address>'],
    ['nginx', 'nginx', '<html>\n<head><title>Index of /files/</title></head>\n<body>\n<h1>Index of /files/</h1><hr><pre><a href="../">../</a>\n</pre><hr></body>\n</html>'],
    ['iis', 'Microsoft-IIS/7.5', '<html><head><title>10.0.0.5 - /logs/</title></head><body><H1>10.0.0.5 - /logs/</H1><hr>\n\n<pre><A HREF="/">[To Parent Directory]</A><br><br> 1/1/2024 10:00 AM        &lt;dir&gt; <A HREF="/logs/old/">old</A><br></pre><hr></body></html>'],
    ['iis', 'Microsoft-IIS/10.0', '<html><head><title>10.0.0.5 - /</title></head><body><H1>10.0.0.5 - /</H1><hr>\n\n<pre> 1/1/2024 10:00 AM        &lt;dir&gt; <A HREF="/logs/">logs</A><br></pre><hr></body></html>'],
    ['lighttpd', 'lighttpd/1.4.59', '<!DOCTYPE html>\n<html><head><title>Index of /pub/</title></head><body><h2>Index of /pub/</h2><div class="list"><table summary="Directory Listing"></table></div><div class="foot">lighttpd/1.4.59</div></body></html>'],
    ['python', 'SimpleHTTP/0.6 Python/3.10.6', '<!DOCTYPE HTML>\n<html>\n<head>\n<title>Directory listing for /</title>\n</head>\n<body>\n<h1>Directory listing for /</h1>'],
    ['jetty', 'Jetty(9.4.z-SNAPSHOT)', '<HTML><HEAD><TITLE>Directory: /files/</TITLE></HEAD><BODY><H1>Directory: /files/</H1><TABLE>'],
    ['tomcat', 'Apache-Coyote/1.1', '<html><head><title>Directory Listing For [/]</title></head><body><h1>Directory Listing For [/]</h1><h3>Apache Tomcat/9.0.50</h3></body></html>'],
    ['go', '', '<!doctype html>\n<meta name="viewport" content="width=device-width">\n<pre>\n<a href="a.txt">a.txt</a>\n</pre>\n'],
    ['thttpd', 'thttpd/2.25b 29dec2003', '<HTML><HEAD><TITLE>Index of /</TITLE></HEAD><BODY BGCOLOR="#99cc99"><H2>Index of /</H2><PRE>\n<A HREF="../">../</A>\n</PRE><ADDRESS><A HREF="http://www.acme.com/software/thttpd/">thttpd/2.25b 29dec2003</A></ADDRESS>'],
    ['mini_httpd', 'mini_httpd/1.19 19dec2003', '<HTML><HEAD><TITLE>Index of /cgi/</TITLE></HEAD><BODY><H2>Index of /cgi/</H2><PRE><A HREF="../">../</A></PRE><ADDRESS><A HREF="http://www.acme.com/software/mini_httpd/">mini_httpd/1.19 19dec2003</A></ADDRESS>'],
    ['boa', 'Boa/0.94.14rc21', '<HTML><HEAD><TITLE>Index of /</TITLE></HEAD>\n<BODY>\n<H2>Index of /</H2>\n<TABLE><TR><TD><A HREF="log/">log/</A></TD></TR></TABLE>'],
  ];
  for (const [flavour, server, html] of pages) {
    assert.equal(directoryListingFlavour(html, server), flavour, flavour);
    const ctx = run([up(request('GET', '/d/')), down(response(200, 'OK', server ? { Server: server, 'Content-Type': 'text/html' } : { 'Content-Type': 'text/html' }, html))], [5]);
    assert.equal(ctx.operations()[0]!.attributes!.listing_type, flavour, flavour);
    assert.equal(ctx.operations()[0]!.attributes!.directory_listing, true);
  }
  for (const html of ['<html><title>Welcome to the HMI</title><p>Index of / is not here</p></html>', '<html><body>Directory of pumps</body></html>']) {
    assert.equal(directoryListingFlavour(html, 'Apache'), '');
  }
  // a listing served as text/plain or as an error page is no listing fact
  const ctx = run([up(request('GET', '/d/')), down(response(403, 'Forbidden', { 'Content-Type': 'text/html' }, pages[0]![2]))]);
  assert.equal(facts(ctx.events).filter((f) => f.field === 'directory-listing').length, 0);
});

test('a gzip-encoded listing is inflated (from the first captured bytes only)', () => {
  const html = `<html><head><title>Index of /recipes/</title></head><body><h1>Index of /recipes/</h1><pre><a href="../">../</a>\n${Array.from({ length: 3000 }, (_, i) => `<a href="r${i * 7919}.csv">r${i * 7919}.csv</a>\n`).join('')}</pre></body></html>`;
  const gz = gzipSync(Buffer.from(html));
  assert.ok(gz.length > 1000);
  const ctx = run([up(request('GET', '/recipes/')), down(response(200, 'OK', { 'Content-Type': 'text/html', 'Content-Encoding': 'gzip' }, gz))], [700], {}, { maxBodyCaptureBytes: 512 });
  assert.equal(ctx.operations()[0]!.attributes!.listing_type, 'nginx');
});

test('header caps: over-long heads, too many headers and long lines are counted and parsing continues', () => {
  const many: Record<string, string> = {};
  for (let i = 0; i < 150; i++) many[`X-H${i}`] = 'v';
  const huge = { 'X-Huge': 'a'.repeat(40000), 'User-Agent': 'after-the-cap' };
  const ctx = run(
    [up(Buffer.concat([request('GET', '/many', { ...many, 'User-Agent': 'late-agent' }), request('GET', '/huge', huge), request('GET', '/next')])),
      down(Buffer.concat([response(200, 'OK'), response(200, 'OK'), response(200, 'OK')]))],
    [1000],
    {},
    { maxHeaderBytes: 8192, maxHeaders: 100, maxLineBytes: 4096 },
  );
  assert.deepEqual(ctx.operations().map((o) => [o.object, o.code]), [['plc.local/many', 200], ['plc.local/huge', 200], ['plc.local/next', 200]]);
  assert.equal(ctx.counters['header-count-cap'], 52); // 150 + Host + User-Agent, 100 kept
  assert.equal(ctx.counters['header-bytes-cap'], 1);
  assert.equal(ctx.operations()[0]!.attributes!.user_agent, undefined); // beyond the header count cap
  assert.equal(ctx.operations()[1]!.attributes!.user_agent, undefined); // beyond the byte cap
});

test('HEAD, 304 and 100-continue have no body; 101 turns the flow into a counted tunnel', () => {
  const ctx = run([
    up(request('HEAD', '/a')), down(response(200, 'OK', { 'Content-Length': '5000' })),
    up(request('GET', '/b')), down(response(304, 'Not Modified', { 'Content-Length': '5000' })),
    up(request('PUT', '/c', { Expect: '100-continue' }, 'abc')), down(Buffer.concat([b('HTTP/1.1 100 Continue\r\n\r\n'), response(201, 'Created')])),
    up(request('GET', '/ws', { Upgrade: 'websocket', Connection: 'Upgrade' })), down(response(101, 'Switching Protocols', { 'Content-Length': '0' })),
    up(b('\x81\x85binaryframe GET / HTTP/1.1\r\n\r\n')), down(b('\x81\x02hi')),
  ]);
  assert.deepEqual(ctx.operations().map((o) => [o.codeName, o.code, o.result]), [['head', 200, 'ok'], ['get', 304, 'ok'], ['put', 201, 'ok'], ['get', 101, 'ok']]);
  assert.equal(ctx.counters['interim-responses'], 1);
  assert.ok(ctx.counters['tunnel-bytes']! > 0);
});

test('a response read until the connection closes; requests without a response are no-response', () => {
  const html = '<title>Directory listing for /x/</title>';
  const ctx = run([up(Buffer.concat([request('GET', '/x/'), request('GET', '/y')])), down(b(`HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n${html}`))], [9]);
  const ops = ctx.operations();
  assert.deepEqual(ops.map((o) => [o.object, o.result, o.code]), [['plc.local/x/', 'ok', 200], ['plc.local/y', 'no-response', 0]]);
  assert.equal(ops[0]!.attributes!.listing_type, 'python');
});

test('guessed sides: a flow whose first bytes are a response is swapped', () => {
  const ctx = run([down(request('GET', '/')), up(response(200, 'OK'))], [0], { sidesGuessed: true });
  assert.equal(ctx.swaps, 1);
  const [op] = ctx.operations();
  assert.equal(op!.src.ip, '10.0.0.2');
  assert.equal(op!.dst.ip, '10.0.0.1');
  assert.equal(op!.code, 200);
});

test('garbage resyncs on the next request line; a gap inside a known-length body keeps the framing', () => {
  const ctx = run([up(Buffer.concat([b('\x00\x01garbage line\r\nmore\r\n'), request('GET', '/after')])), down(response(200, 'OK'))]);
  assert.deepEqual(ctx.operations().map((o) => o.object), ['plc.local/after']);
  assert.ok((ctx.counters.malformed ?? 0) >= 1);
});

test('OS hints from Server and User-Agent headers', () => {
  assert.deepEqual(serverOsHint('Microsoft-IIS/7.5'), { os: 'Windows Server 2008 R2', confidence: 0.6 });
  assert.deepEqual(serverOsHint('Apache/2.2.15 (Win32)'), { os: 'Windows', confidence: 0.6 });
  assert.equal(serverOsHint('Apache/2.4.41 (Ubuntu)').os, 'Ubuntu Linux');
  assert.equal(serverOsHint('GoAhead-Webs').os, '');
  assert.equal(userAgentOsHint('Mozilla/5.0 (Windows NT 10.0; Win64; x64)').os, 'Windows 10 or later');
  assert.equal(userAgentOsHint('curl/8.0').os, '');
});

test('OS and listing hints answer each input on its own, whatever was asked before (they keep the last answer)', () => {
  const win = 'Mozilla/5.0 (Windows NT 6.1; WOW64)';
  const mac = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)';
  for (const [ua, os] of [[win, 'Windows 7 / Server 2008 R2'], [win, 'Windows 7 / Server 2008 R2'], [mac, 'macOS'], ['', ''], [win, 'Windows 7 / Server 2008 R2']] as const) {
    assert.equal(userAgentOsHint(ua).os, os, ua);
  }
  for (const [srv, os] of [['Microsoft-IIS/8.5', 'Windows Server 2012 R2'], ['nginx', ''], ['Microsoft-IIS/8.5', 'Windows Server 2012 R2'], ['', '']] as const) {
    assert.equal(serverOsHint(srv).os, os, srv);
  }
  const nginx = '<html><head><title>Index of /files/</title></head><body><h1>Index of /files/</h1><hr><pre><a href="../">../</a>\n';
  assert.equal(directoryListingFlavour(nginx, 'nginx/1.18.0'), 'nginx');
  assert.equal(directoryListingFlavour(nginx, 'lwIP/1.4'), 'lwip');
  assert.equal(directoryListingFlavour(nginx, 'nginx/1.18.0'), 'nginx');
  assert.equal(directoryListingFlavour('<html>status page</html>', 'nginx/1.18.0'), '');
  assert.equal(directoryListingFlavour('', ''), '');
});
