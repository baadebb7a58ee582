import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Dir, Probe, type PacketMeta } from '../analyzer.js';
import { recordingContext } from '../common/test-support.js';
import type { AssetFactEvent } from '../../events/types.js';
import { BacnetSession } from './session.js';
import { probeBacnet } from './probe.js';
import { Tag, readTag } from './parser.js';
import { apdu, bvlc, hex } from './test-support.js';

const UDP = { transport: 'udp' as const, clientPort: 47808, serverPort: 47808, sidesGuessed: true };

function run(datagrams: Array<[Dir, Buffer]>, caps: { maxPendingTransactions?: number; maxBufferBytes?: number } = {}) {
  const ctx = recordingContext(UDP, caps);
  const session = new BacnetSession(ctx);
  let frame = 0;
  for (const [dir, buf] of datagrams) {
    const meta: PacketMeta = { frame: ++frame, ts: frame };
    session.onData(dir, buf, 0, buf.length, meta);
  }
  session.onClose({ frame, ts: frame });
  const facts = ctx.events.filter((e): e is AssetFactEvent => e.type === 'asset-fact');
  return { ctx, ops: ctx.operations(), facts, factMap: Object.fromEntries(facts.map((f) => [f.field, f.value])) };
}

// Real datagrams (UDP payloads, tshark -e udp.payload) from fixtures/bacnet_services_excerpt.pcap.
const RP_REQUEST = hex('810a001601240003016cff0203010c0c004000651955'); // frame 1: readProperty[1] analog-output,101 present-value
const RP_ACK = hex('810a001b01080003016c30010c0c0040006519553e4442c800003f'); // frame 2
const REINIT_REQUEST = hex('810a001c01240003016cff0203891409001d0900657468657265616c'); // frame 62: coldstart, password "ethereal"
const REINIT_ERROR = hex('810a001101080003016c5089149105911a'); // frame 63: services / password-failure
// fixtures/bacnet_segmented_data.pcap frame 5: I-Am device,0, max APDU 1024, segmented-both, vendor 154
const I_AM = hex('810b001401001000c4020000002204009100219a');

test('probe: BVLC type, function and exact length decide', () => {
  assert.equal(probeBacnet(RP_REQUEST, 0, RP_REQUEST.length), Probe.Yes);
  assert.equal(probeBacnet(I_AM, 0, I_AM.length), Probe.Yes);
  assert.equal(probeBacnet(bvlc('0000', 0x00), 0, 6), Probe.Yes);
  assert.equal(probeBacnet(RP_REQUEST, 0, RP_REQUEST.length - 1), Probe.No);
  assert.equal(probeBacnet(hex('810d0004'), 0, 4), Probe.No);
  assert.equal(probeBacnet(hex('820a0004'), 0, 4), Probe.No);
  assert.equal(probeBacnet(bvlc('0200'), 0, 6), Probe.No, 'NPDU version must be 1');
  assert.equal(probeBacnet(hex('474554202f20485454502f312e310d0a'), 0, 16), Probe.No);
});

test('readProperty request pairs with its complex ack by invoke id (tshark frames 1-2)', () => {
  const { ops, ctx } = run([[Dir.ToServer, RP_REQUEST], [Dir.ToClient, RP_ACK]]);
  assert.equal(ops.length, 1);
  const op = ops[0]!;
  assert.equal(op.codeName, 'read_property');
  assert.equal(op.code, 12);
  assert.equal(op.subCode, 0);
  assert.equal(op.kind, 'read');
  assert.equal(op.result, 'ok');
  assert.equal(op.frame, 1);
  assert.equal(op.responseFrame, 2);
  assert.equal(op.object, 'analog-output,101 property 85 (present-value)');
  assert.equal(op.address, 101);
  assert.equal(op.detail, 'to network 3 mac 6c');
  assert.equal(ctx.swaps, 0);
  assert.equal(ctx.confirmations, 1);
});

test('reinitializeDevice: restart kind, state detail, error class/code names (tshark frames 62-63)', () => {
  const { ops } = run([[Dir.ToServer, REINIT_REQUEST], [Dir.ToClient, REINIT_ERROR]]);
  assert.equal(ops.length, 1);
  assert.equal(ops[0]!.kind, 'restart');
  assert.equal(ops[0]!.codeName, 'reinitialize_device');
  assert.equal(ops[0]!.detail, 'coldstart; to network 3 mac 6c');
  assert.equal(ops[0]!.result, 'exception');
  assert.equal(ops[0]!.exceptionCode, 26);
  assert.equal(ops[0]!.exceptionName, 'services:password_failure');
});

test('hand-built reinitializeDevice warmstart without password, answered by a simple ack', () => {
  const { ops } = run([[Dir.ToServer, apdu('00050714 0901')], [Dir.ToClient, apdu('200714')]]);
  assert.equal(ops[0]!.detail, 'warmstart');
  assert.equal(ops[0]!.result, 'ok');
  assert.equal(ops[0]!.responseFrame, 2);
});

test('I-Am: identify event and device/vendor facts about the sender', () => {
  const { ops, factMap, facts } = run([[Dir.ToServer, I_AM]]);
  assert.equal(ops[0]!.codeName, 'i_am');
  assert.equal(ops[0]!.kind, 'identify');
  assert.equal(ops[0]!.result, 'unknown');
  assert.equal(ops[0]!.object, 'device,0');
  assert.equal(ops[0]!.detail, 'max-apdu 1024, segmented-both, vendor 154');
  assert.equal(factMap['station-name'], 'device 0');
  assert.equal(factMap['vendor-id'], '154');
  assert.equal(factMap.vendor, 'Unitec Corporation');
  assert.equal(facts[0]!.subject.ip, '10.0.0.1');
});

test('deviceCommunicationControl disable-initiation with a duration: mode-change', () => {
  // [0] duration 60, [1] disable-initiation (2)
  const { ops } = run([[Dir.ToServer, apdu('00050111 093c 1902')], [Dir.ToClient, apdu('200111')]]);
  assert.equal(ops[0]!.codeName, 'device_communication_control');
  assert.equal(ops[0]!.kind, 'mode-change');
  assert.equal(ops[0]!.detail, 'disable-initiation');
  assert.equal(ops[0]!.result, 'ok');
});

test('writeProperty: object, property, array-less value size and priority', () => {
  // analog-value,3 present-value := REAL 72.5, priority 8
  const { ops } = run([[Dir.ToServer, apdu('0005220f 0c00800003 1955 3e 4442910000 3f 4908')], [Dir.ToClient, apdu('20220f')]]);
  assert.equal(ops[0]!.kind, 'write');
  assert.equal(ops[0]!.codeName, 'write_property');
  assert.equal(ops[0]!.object, 'analog-value,3 property 85 (present-value)');
  assert.equal(ops[0]!.dataBytes, 5);
  assert.equal(ops[0]!.result, 'ok');
});

test('atomicWriteFile: file-transfer with the bytes written', () => {
  // file,2; stream access [0]: start 0, 10 octets
  const { ops } = run([[Dir.ToServer, apdu('00053007 c402800002 0e 3100 650a00010203040506070809 0f')], [Dir.ToClient, apdu('303007 0e3100 0f')]]);
  assert.equal(ops[0]!.kind, 'file-transfer');
  assert.equal(ops[0]!.codeName, 'atomic_write_file');
  assert.equal(ops[0]!.object, 'file,2');
  assert.equal(ops[0]!.dataBytes, 10);
  assert.equal(ops[0]!.result, 'ok');
});

test('segmented complex ack of ReadPropertyMultiple on the device object is reassembled into facts', () => {
  // RPM request device,77: vendor-name, model-name, firmware-revision
  const request = apdu('0205410e 0c0200004d 1e 0979 0946 092c 1f');
  // ack body: device,77 { vendor-name "Acme", model-name "Boiler-9", firmware-revision "1.2" }
  const body = '0c0200004d 1e 2979 4e 7505 0041636d65 4f 2946 4e 7509 00426f696c65722d39 4f 292c 4e 74 00312e32 4f 1f'.replace(/ /g, '');
  const cut = 20;
  const seg0 = apdu(`3c410004 0e ${body.slice(0, cut)}`);
  const seg1 = apdu(`38410104 0e ${body.slice(cut)}`);
  const { ops, factMap, ctx } = run([[Dir.ToServer, request], [Dir.ToClient, seg0], [Dir.ToServer, apdu('40410004')], [Dir.ToClient, seg1]]);
  assert.equal(ops.length, 1);
  assert.equal(ops[0]!.codeName, 'read_property_multiple');
  assert.equal(ops[0]!.quantity, 3);
  assert.equal(ops[0]!.responseFrame, 2);
  assert.equal(ctx.counters.reassembled, 1);
  assert.equal(factMap.vendor, 'Acme');
  assert.equal(factMap.model, 'Boiler-9');
  assert.equal(factMap.firmware, '1.2');
});

test('Forwarded-NPDU: facts are about the originating B/IP address', () => {
  const forwarded = bvlc('c0a80069 bac0 0100 1000 c40200007b 2205c0 9103 220104', 0x04);
  const { facts, ops } = run([[Dir.ToServer, forwarded]]);
  assert.equal(ops[0]!.codeName, 'i_am');
  assert.ok(facts.length >= 2);
  for (const f of facts) {
    assert.equal(f.subject.ip, '192.168.0.105');
    assert.equal(f.subject.mac, undefined, 'the MAC on the wire is the BBMD\'s');
  }
});

test('routed I-Am (SNET present) gives no facts about the router address', () => {
  const routed = apdu('0003011d 1000 c40200001d 2201e0 9103 220104', '08');
  const { facts, ops, ctx } = run([[Dir.ToServer, routed]]);
  assert.equal(ops[0]!.object, 'device,29');
  assert.equal(facts.length, 0);
  assert.equal(ctx.counters['routed-from-remote-network'], 1);
});

test('reject and abort complete the request; answers without a request still report the service', () => {
  const { ops, ctx } = run([
    [Dir.ToServer, apdu('0005090c0c00400065 1955')],
    [Dir.ToClient, apdu('600904')],
    [Dir.ToServer, apdu('00050a0c0c00400065 1955')],
    [Dir.ToClient, apdu('710a03')],
    [Dir.ToClient, apdu('50330c 9102 9120')],
  ]);
  assert.deepEqual(ops.map((o) => [o.codeName, o.result, o.exceptionName]), [
    ['read_property', 'exception', 'reject:invalid_tag'],
    ['read_property', 'exception', 'abort:preempted_by_higher_priority_task'],
    ['read_property', 'exception', 'property:unknown_property'],
  ]);
  assert.equal(ops[2]!.src.ip, '10.0.0.1', 'requester of an unmatched answer is the other side');
  assert.equal(ctx.counters['unexpected-response'], 1);
});

test('sides: an ack first swaps them, a request first confirms them, broadcasts leave them guessed', () => {
  const answered = run([[Dir.ToServer, RP_ACK]]);
  assert.equal(answered.ctx.swaps, 1);
  assert.equal(answered.ctx.confirmations, 0);
  assert.equal(answered.ops[0]!.result, 'ok');
  const asked = run([[Dir.ToServer, I_AM], [Dir.ToServer, RP_REQUEST], [Dir.ToClient, RP_ACK]]);
  assert.equal(asked.ctx.swaps, 0);
  assert.equal(asked.ctx.confirmations, 1);
  const broadcast = run([[Dir.ToServer, I_AM], [Dir.ToServer, I_AM]]);
  assert.equal(broadcast.ctx.swaps + broadcast.ctx.confirmations, 0);
});

test('unanswered requests end as no-response; the pending table is capped and the cap counted', () => {
  const datagrams: Array<[Dir, Buffer]> = [];
  for (let id = 0; id < 5; id++) datagrams.push([Dir.ToServer, apdu(`0005${id.toString(16).padStart(2, '0')}0c0c004000651955`)]);
  const { ops, ctx } = run(datagrams, { maxPendingTransactions: 3 });
  assert.equal(ops.length, 5);
  assert.ok(ops.every((o) => o.result === 'no-response'));
  assert.equal(ctx.counters['transaction-cap'], 2);
});

test('BBMD management: Register-Foreign-Device answered by a BVLC-Result NAK', () => {
  const { ops } = run([[Dir.ToServer, bvlc('003c', 0x05)], [Dir.ToClient, bvlc('0030', 0x00)]]);
  assert.equal(ops[0]!.codeName, 'register_foreign_device');
  assert.equal(ops[0]!.kind, 'connect');
  assert.equal(ops[0]!.result, 'exception');
  assert.equal(ops[0]!.exceptionName, 'register_foreign_device_nak');
  assert.equal(ops[0]!.subCode, undefined);
});

test('network-layer messages: I-Am-Router-To-Network counts its networks, Initialize-Routing-Table is configuration', () => {
  const { ops } = run([[Dir.ToServer, bvlc('0180 01 0003 0005', 0x0b)], [Dir.ToServer, bvlc('0180 06 00', 0x0a)]]);
  assert.equal(ops[0]!.codeName, 'i_am_router_to_network');
  assert.equal(ops[0]!.quantity, 2);
  assert.equal(ops[1]!.codeName, 'initialize_routing_table');
  assert.equal(ops[1]!.kind, 'configuration');
});

test('malformed datagrams are counted and reported, never thrown', () => {
  const { ctx, ops } = run([
    [Dir.ToServer, hex('810a00ff0100')], // length beyond datagram
    [Dir.ToServer, apdu('80')], // reserved APDU type 8
    [Dir.ToServer, apdu('00050c0c0c0040')], // readProperty with a truncated object identifier
    [Dir.ToServer, bvlc('0228')], // NPDU version 2
  ]);
  assert.equal(ctx.counters.malformed, 4);
  assert.equal(ctx.events.filter((e) => e.type === 'anomaly').length, 4);
  assert.equal(ops.length, 1, 'the truncated readProperty is still an operation');
  assert.equal(ops[0]!.object, undefined);
});

test('tag reader: extended tag numbers and lengths, opening/closing tags, bounds', () => {
  const t = new Tag();
  // context tag 20 (extended number), extended length 254 → 2-byte length 3
  const b = hex('fd14fe0003aabbcc');
  assert.ok(readTag(b, 0, b.length, t));
  assert.equal(t.number, 20);
  assert.equal(t.context, true);
  assert.equal(t.valueLen, 3);
  assert.equal(t.next, 8);
  assert.equal(readTag(b, 0, b.length - 1, t), false, 'value runs past the end');
  const opening = new Tag();
  assert.ok(readTag(hex('3e'), 0, 1, opening) && opening.opening && opening.number === 3);
  const closing = new Tag();
  assert.ok(readTag(hex('3f'), 0, 1, closing) && closing.closing && closing.number === 3);
  assert.equal(readTag(hex('75ff'), 0, 2, t), false, '4-byte extended length missing');
  assert.equal(readTag(hex('f0'), 0, 1, t), false, 'extended tag number missing');
});
