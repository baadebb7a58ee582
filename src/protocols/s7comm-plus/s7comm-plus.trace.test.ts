/**
 * Golden traces of the three public S7comm-plus captures (ITI/ICS-Security-Tools, CC-BY-4.0, copied in
 * fixtures/). Stock tshark has no S7comm-plus dissector, so the goldens were verified by hand from
 * `tshark -r F -T fields -e frame.number -e data.data` (the COTP payloads) against the layout of the Wireshark
 * "s7comm_plus" plugin:
 *  - S7-1511_db2_var1_HMI.pcap: frame 6 = 72 01 .. 31 0000 04ca 0000 0001 00000120 36, CreateObject (V1) in
 *    container 0x11d (285) of class 82 1f (287 ClassServerSession); frame 7 = its response: return value 00,
 *    1 object id 87 08 = 0x388, the session id every later request carries; string "1;6ES7 511-1AK00-0AB0;V1.0"
 *    in its attribute list. Frame 9 = SetMultiVariables (0x0542) on object 0x388 writing attributes 82 32 (306
 *    ServerSessionVersion) and 8e 26 (1830 SessionKey). Frames 16..32 = GetMultiVariables (0x054c), 1 item,
 *    access area 88 d0 b8 80 02 = 0x8a0e0002 = DB2. Frame 36 = DeleteObject (0x04d4) of 0x388, frame 37 its
 *    response. Requests and responses pair by sequence number (2, 3, ..., 9).
 *  - s7-1200-hmi.pcap: session 0x3be, "6ES7 211-1BE31-0XB0 ;V3.0"; frame 15 SetMultiVariables of attribute 306
 *    only (no session key on this V1/V2 S7-1200); reads of DB3 (88 d0 b8 80 03), frame 61 a write of DB3.
 *  - S7-1511-opc-request-all-types.pcap: TSAP "SIMATIC-ROOT-OTH", session 0x386, GetVarSubStreamed (0x0586) of
 *    object 0xc9, reads of DB6 (88 d0 b8 80 06); frame 62 reads 0x28 = 40 items.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { traceOf } from '../../../test/support/trace.js';
import { assertGolden } from '../../../test/support/golden.js';

/** The protocols this folder analyzes: traces leave out the rest of each capture. */
const TRACED = ['s7comm-plus'];

const fixtures = join(import.meta.dirname, 'fixtures');
const FILES = ['S7-1511_db2_var1_HMI.pcap', 's7-1200-hmi.pcap', 'S7-1511-opc-request-all-types.pcap'];

for (const name of FILES) {
  test(`golden trace: ${name}`, async () => {
    const { trace } = await traceOf(join(fixtures, name), TRACED);
    assertGolden(join(fixtures, name.replace(/\.pcap$/, '.golden.json')), trace);
  });
}

test('every S7comm-plus request of the captures is paired with its response, none left unanswered', async () => {
  for (const name of FILES) {
    const { events } = await traceOf(join(fixtures, name), TRACED);
    const ops = events.filter((e) => e.type === 'operation' && e.protocol === 's7comm-plus');
    assert.ok(ops.length >= 9, `${name}: operations`);
    for (const o of ops) {
      assert.ok(o.type === 'operation' && o.result === 'ok' && o.responseFrame !== undefined && o.responseFrame > o.frame, `${name} frame ${o.frame}`);
    }
    assert.ok(!events.some((e) => e.type === 'protocol' && e.protocol === 's7comm'), `${name}: not claimed by classic S7comm`);
  }
});
