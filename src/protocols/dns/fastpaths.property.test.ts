/**
 * The DNS fast paths agree with the straightforward forms they replace: the probe's on-the-wire NetBIOS check
 * with the decoded-name check, nameText's bulk path with per-character escaping, the question comparison with
 * text comparison, the regex-free IPv4 classification with classifyIp, and the pending-query list (one slot
 * plus a Map) with a plain Map in arrival order.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Dir, Probe } from '../analyzer.js';
import { recordingContext } from '../common/test-support.js';
import { classifyIp } from '../../model/address-class.js';
import { fuzzRuns } from '../../util/fuzz-budget.js';
import { isUnicastText } from './emitter.js';
import { knownOpcode } from './names.js';
import { DNS_HEADER_LEN, DnsHeader, DnsName, NameError, Question, ResourceRecord, lowerNameText, nameText, nameTextEqualsLower, plausibleClass, readHeader, readName, readQuestion, readRecord } from './parser.js';
import { looksLikeNetbiosName, probeDnsMessage } from './probe.js';
import { DnsSession } from './session.js';
import { dnsMessage } from './test-frames.js';

/** The probe as it was written against a decoded question (the reference for the wire-level check). */
function referenceProbe(buf: Uint8Array, off: number, end: number, complete: boolean): number {
  const header = new DnsHeader();
  if (!readHeader(buf, off, end, header)) return complete ? Probe.No : Probe.NeedMore;
  if (!knownOpcode(header.opcode)) return Probe.No;
  const qd = header.qdcount;
  const records = header.ancount + header.nscount + header.arcount;
  if (qd > 64) return Probe.No;
  if (complete && DNS_HEADER_LEN + qd * 5 + records * 11 > end - off) return Probe.No;
  if (qd > 0) {
    const question = new Question();
    const p = readQuestion(buf, off + DNS_HEADER_LEN, off, end, question);
    if (p === NameError.Truncated && !complete) return Probe.NeedMore;
    if (p < 0) return Probe.No;
    if (question.type === 0 || !plausibleClass(question.klass)) return Probe.No;
    if (looksLikeNetbiosName(question.name, question.type)) return Probe.No;
    return Probe.Yes;
  }
  if (!header.response || records === 0) return Probe.No;
  const record = new ResourceRecord();
  const p = readRecord(buf, off + DNS_HEADER_LEN, off, end, record, false);
  if (p === NameError.Truncated && !complete) return Probe.NeedMore;
  if (p < 0 || record.type === 0 || !plausibleClass(record.klass)) return Probe.No;
  return Probe.Yes;
}

/** Per-character presentation form, as dig prints it (the reference for nameText). */
function referenceText(name: DnsName): string {
  if (name.labels === 0) return '.';
  const parts: string[] = [];
  for (let p = 0; p < name.length; p += name.bytes[p]! + 1) {
    let label = '';
    for (let i = 1; i <= name.bytes[p]!; i++) {
      const c = name.bytes[p + i]!;
      if (c === 0x2e || c === 0x5c) label += '\\' + String.fromCharCode(c);
      else if (c < 0x21 || c > 0x7e) label += '\\' + String(c).padStart(3, '0');
      else label += String.fromCharCode(c);
    }
    parts.push(label);
  }
  return parts.join('.');
}

const netbiosLabel = fc.array(fc.integer({ min: 0x41, max: 0x50 }), { minLength: 32, maxLength: 32 });

test('probe: the wire-level NetBIOS check gives the decoded-name verdict on valid, compressed and mutated messages', () => {
  fc.assert(
    fc.property(netbiosLabel, fc.constantFrom(0x20, 0x21, 0x01), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.nat(8), (label, type, flips, cut) => {
      const netbios = Buffer.from([0x12, 0x34, 0x01, 0x10, 0, 1, 0, 0, 0, 0, 0, 0, 32, ...label, 0, 0, type, 0, 1]);
      // SRV (33 = 0x21) and type 0x20 questions with ordinary names: NetBIOS types, not NetBIOS names.
      const dns = dnsMessage({ id: 1, question: { name: '_ldap._tcp.dc._msdcs.plant.lan', type: type === 0x01 ? 1 : type } });
      // (A question name at offset 12 can only point backwards into the header: the random-bytes test below
      // covers such pointers.)
      for (const base of [netbios, dns]) {
        const d = Buffer.from(base);
        for (const [pos, value] of flips) d[pos % d.length] = value;
        const end = Math.max(0, d.length - cut);
        for (const complete of [true, false]) assert.equal(probeDnsMessage(d, 0, end, complete), referenceProbe(d, 0, end, complete));
      }
    }),
    { numRuns: fuzzRuns(300) },
  );
});

test('probe: random bytes get the same verdict as the decoded-name reference', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: 80 }), (bytes) => {
      const b = Buffer.from(bytes);
      if (b.length > 5) b[5] = 1; // one question, so the name path is exercised
      if (b.length > 4) b[4] = 0;
      assert.equal(probeDnsMessage(b, 0, b.length, true), referenceProbe(b, 0, b.length, true));
      assert.equal(probeDnsMessage(b, 0, b.length, false), referenceProbe(b, 0, b.length, false));
    }),
    { numRuns: fuzzRuns(300) },
  );
});

test('nameText equals the per-character escaping; nameTextEqualsLower equals comparing the lower-cased text', () => {
  const name = new DnsName();
  const label = fc.oneof(
    fc.uint8Array({ minLength: 1, maxLength: 12 }),
    fc.array(fc.integer({ min: 0x41, max: 0x7a }), { minLength: 1, maxLength: 12 }).map((a) => Uint8Array.from(a)),
  );
  fc.assert(
    fc.property(fc.array(label, { maxLength: 5 }), fc.nat(), fc.nat(5), (labels, mutate, fromLabel) => {
      const wire = Buffer.from([...labels.flatMap((l) => [l.length, ...l]), 0]);
      assert.ok(readName(wire, 0, 0, wire.length, name) >= 0);
      const text = referenceText(name);
      assert.equal(nameText(name), text);
      const tail = nameText(name, fromLabel);
      const expectedTail = fromLabel === 0 ? text : referenceText(skipLabels(name, fromLabel));
      assert.equal(tail, expectedTail);
      const lower = text.toLowerCase();
      assert.equal(nameTextEqualsLower(name, lower), true);
      assert.equal(nameTextEqualsLower(name, text), text === lower);
      // a different text: one character changed, cut, or extended
      const i = mutate % (lower.length + 1);
      for (const other of [lower.slice(0, i), lower + 'a', lower.slice(0, i) + 'x' + lower.slice(i + 1), lower.slice(0, i) + '.' + lower.slice(i)]) {
        assert.equal(nameTextEqualsLower(name, other), other === lower);
      }
    }),
    { numRuns: fuzzRuns(500) },
  );
});

test('the name text cache: repeated, colliding and evicted names keep their exact text and lower-case form', () => {
  const name = new DnsName();
  const label = fc.array(fc.oneof(fc.integer({ min: 0x41, max: 0x5a }), fc.integer({ min: 0x61, max: 0x7a }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 40 });
  // More distinct names than cache slots, asked in an order with many repeats: hits, misses and replacements.
  const pool = fc.array(fc.array(label, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 150 });
  fc.assert(
    fc.property(pool, fc.array(fc.nat(), { minLength: 1, maxLength: 300 }), (names, order) => {
      const wires = names.map((labels) => Buffer.from([...labels.flatMap((l) => [l.length, ...l]), 0]));
      for (const k of order) {
        const wire = wires[k % wires.length]!;
        assert.ok(readName(wire, 0, 0, wire.length, name) >= 0);
        const text = nameText(name);
        assert.equal(text, referenceText(name));
        assert.equal(lowerNameText(text), text.toLowerCase());
        // a text other than the last one made still gets its own lower-case form
        const other = referenceText(name) + 'X';
        assert.equal(lowerNameText(other), other.toLowerCase());
      }
    }),
    { numRuns: fuzzRuns(60) },
  );
});

function skipLabels(name: DnsName, n: number): DnsName {
  const out = new DnsName();
  let p = 0;
  for (let k = 0; k < n && p < name.length; k++) p += name.bytes[p]! + 1;
  out.bytes.set(name.bytes.subarray(p, name.length));
  out.length = name.length - p;
  out.labels = Math.max(0, name.labels - n);
  return out;
}

test('the regex-free IPv4 classification agrees with classifyIp', () => {
  const octet = fc.oneof(fc.integer({ min: 0, max: 300 }).map(String), fc.constantFrom('', '0', '00', '000', '0000', '255', '256', '1a', '-1', ' 1'));
  const text = fc.oneof(
    fc.array(octet, { minLength: 1, maxLength: 6 }).map((parts) => parts.join('.')),
    fc.constantFrom('0.0.0.0', '255.255.255.255', '224.0.0.251', '239.255.255.250', '223.255.255.255', '10.0.0.1', 'fe80::1', 'ff02::fb', '::', '', '1.2.3.4.', '.1.2.3'),
    fc.string({ maxLength: 16 }),
  );
  fc.assert(fc.property(text, (t) => assert.equal(isUnicastText(t), classifyIp(t) === 'unicast', t)), { numRuns: fuzzRuns(1000) });
});

test('pending queries: retransmissions, the cap and the close flush follow arrival order, as a Map would', () => {
  const step = fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 5 }));
  fc.assert(
    fc.property(fc.array(step, { maxLength: 40 }), fc.integer({ min: 1, max: 4 }), (steps, cap) => {
      const ctx = recordingContext({ transport: 'udp', serverPort: 53, clientPort: 40000, clientIp: '10.0.0.5', serverIp: '10.0.0.53' }, { maxPendingTransactions: cap });
      const s = new DnsSession(ctx, 'dns', false);
      // Reference: frames of the queries in a Map by id, emitted as the session should.
      const model = new Map<number, number>();
      const expected: Array<[number, string]> = [];
      steps.forEach(([isQuery, id], i) => {
        const frame = i + 1;
        const question = { name: `q${id}.plant.local`, type: 1 };
        const msg = dnsMessage({ id, response: !isQuery, question });
        s.onData(isQuery ? Dir.ToServer : Dir.ToClient, msg, 0, msg.length, { frame, ts: frame });
        if (isQuery) {
          if (model.has(id)) {
            expected.push([model.get(id)!, 'no-response']);
            model.delete(id);
          }
          if (model.size >= cap) {
            const [oldestId, oldestFrame] = model.entries().next().value as [number, number];
            model.delete(oldestId);
            expected.push([oldestFrame, 'no-response']);
          }
          model.set(id, frame);
        } else if (model.has(id)) {
          expected.push([model.get(id)!, 'ok']);
          model.delete(id);
        } else {
          expected.push([frame, 'ok']);
        }
      });
      s.onClose({ frame: 999, ts: 999 });
      for (const frame of model.values()) expected.push([frame, 'no-response']);
      assert.deepEqual(ctx.operations().map((o) => [o.frame, o.result]), expected);
    }),
    { numRuns: fuzzRuns(300) },
  );
});
