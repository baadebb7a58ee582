/** Builders for BACnet/IP datagrams in tests (hex in, Buffer out, BVLC length filled in). */
export function hex(text: string): Buffer {
  return Buffer.from(text.replace(/\s+/g, ''), 'hex');
}

/** BVLC function `fn` (default Original-Unicast-NPDU) around `body` (NPDU or function parameters). */
export function bvlc(body: string, fn = 0x0a): Buffer {
  const payload = hex(body);
  const out = Buffer.alloc(4 + payload.length);
  out[0] = 0x81;
  out[1] = fn;
  out.writeUInt16BE(out.length, 2);
  payload.copy(out, 4);
  return out;
}

/** NPDU version 1, control 0x00 (or `control`), then the APDU. */
export function apdu(body: string, control = '00'): Buffer {
  return bvlc(`01${control}${body}`);
}
