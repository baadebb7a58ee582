/**
 * Wraps Ethernet frames the way a SPAN port or a remote mirror delivers them: 802.1Q / QinQ tags, ERSPAN
 * type II and III inside GRE, VXLAN. Used to prove that the same traffic yields the same analysis however it
 * was mirrored.
 */

const OUTER_SRC_MAC = Buffer.from('02aabbcc0001', 'hex');
const OUTER_DST_MAC = Buffer.from('02aabbcc0002', 'hex');
const OUTER_SRC_IP = Buffer.from([172, 31, 255, 1]);
const OUTER_DST_IP = Buffer.from([172, 31, 255, 2]);

export type Encapsulation = 'none' | 'vlan' | 'qinq' | 'erspan2' | 'erspan3' | 'vxlan';

export function encapsulate(frame: Uint8Array, how: Encapsulation, seq: number): Buffer {
  const inner = Buffer.from(frame);
  switch (how) {
    case 'none':
      return inner;
    case 'vlan':
      return insertTags(inner, [[0x8100, 100]]);
    case 'qinq':
      return insertTags(inner, [[0x88a8, 300], [0x8100, 100]]);
    case 'erspan2': {
      // GRE with the sequence-number bit, protocol 0x88be, then the 8-byte ERSPAN type II header.
      const gre = Buffer.from([0x10, 0x00, 0x88, 0xbe, 0, 0, 0, 0]);
      gre.writeUInt32BE(seq >>> 0, 4);
      const erspan = Buffer.alloc(8);
      erspan.writeUInt16BE((1 << 12) | 0, 0); // version 1 (type II), VLAN 0
      erspan.writeUInt16BE(7, 2); // COS/En/T zero, session id 7
      return outerIpv4(47, Buffer.concat([gre, erspan, inner]));
    }
    case 'erspan3': {
      const gre = Buffer.from([0x10, 0x00, 0x22, 0xeb, 0, 0, 0, 0]);
      gre.writeUInt32BE(seq >>> 0, 4);
      const erspan = Buffer.alloc(12);
      erspan.writeUInt16BE((2 << 12) | 0, 0); // version 2 (type III)
      erspan.writeUInt16BE(7, 2); // session id 7
      erspan.writeUInt32BE(seq >>> 0, 4); // timestamp
      erspan.writeUInt16BE(0, 8); // SGT
      erspan.writeUInt16BE(0, 10); // P/FT/HW/D/Gra/O all zero: no platform sub-header
      return outerIpv4(47, Buffer.concat([gre, erspan, inner]));
    }
    case 'vxlan': {
      const vxlan = Buffer.from([0x08, 0, 0, 0, 0, 0x12, 0x34, 0]);
      const udp = Buffer.alloc(8);
      udp.writeUInt16BE(49152 + (seq % 1000), 0);
      udp.writeUInt16BE(4789, 2);
      udp.writeUInt16BE(8 + vxlan.length + inner.length, 4);
      udp.writeUInt16BE(0, 6); // checksum optional over IPv4
      return outerIpv4(17, Buffer.concat([udp, vxlan, inner]));
    }
  }
}

function insertTags(frame: Buffer, tags: Array<[number, number]>): Buffer {
  const parts = [frame.subarray(0, 12)];
  for (const [tpid, vid] of tags) {
    const tag = Buffer.alloc(4);
    tag.writeUInt16BE(tpid, 0);
    tag.writeUInt16BE(vid & 0x0fff, 2);
    parts.push(tag);
  }
  parts.push(frame.subarray(12));
  return Buffer.concat(parts);
}

function outerIpv4(proto: number, payload: Buffer): Buffer {
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip.writeUInt16BE(20 + payload.length, 2);
  ip[8] = 64;
  ip[9] = proto;
  OUTER_SRC_IP.copy(ip, 12);
  OUTER_DST_IP.copy(ip, 16);
  ip.writeUInt16BE(ipChecksum(ip), 10);
  return Buffer.concat([OUTER_DST_MAC, OUTER_SRC_MAC, Buffer.from([0x08, 0x00]), ip, payload]);
}

function ipChecksum(header: Buffer): number {
  let sum = 0;
  for (let i = 0; i < header.length; i += 2) sum += header.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}
