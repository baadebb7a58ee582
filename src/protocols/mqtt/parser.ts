/**
 * MQTT 3.1 / 3.1.1 / 5.0 control packets (OASIS mqtt-v3.1.1 §2-3, mqtt-v5.0 §2-3): fixed header framing and
 * the fields of CONNECT, CONNACK, PUBLISH, SUBSCRIBE/SUBACK, UNSUBSCRIBE and the acks. MQTT 5 properties are
 * skipped by their declared length. Every read is bounds-checked against the packet end; a field that does
 * not fit makes the packet malformed (null), never an exception. The CONNECT password is skipped unread.
 */

export const PACKET_NAMES = [
  'reserved', 'connect', 'connack', 'publish', 'puback', 'pubrec', 'pubrel', 'pubcomp', 'subscribe', 'suback',
  'unsubscribe', 'unsuback', 'pingreq', 'pingresp', 'disconnect', 'auth',
];

export const CONNACK_V3_NAMES: Record<number, string> = {
  1: 'unacceptable_protocol_version',
  2: 'identifier_rejected',
  3: 'server_unavailable',
  4: 'bad_username_or_password',
  5: 'not_authorized',
};

export const REASON_V5_NAMES: Record<number, string> = {
  0x80: 'unspecified_error',
  0x81: 'malformed_packet',
  0x82: 'protocol_error',
  0x83: 'implementation_specific_error',
  0x84: 'unsupported_protocol_version',
  0x85: 'client_identifier_not_valid',
  0x86: 'bad_username_or_password',
  0x87: 'not_authorized',
  0x88: 'server_unavailable',
  0x89: 'server_busy',
  0x8a: 'banned',
  0x8c: 'bad_authentication_method',
  0x8f: 'topic_filter_invalid',
  0x90: 'topic_name_invalid',
  0x91: 'packet_identifier_in_use',
  0x97: 'quota_exceeded',
  0x99: 'payload_format_invalid',
  0x9e: 'shared_subscriptions_not_supported',
  0xa1: 'subscription_identifiers_not_supported',
  0xa2: 'wildcard_subscriptions_not_supported',
};

/**
 * Fixed header at buf[off]: returns the whole packet's length (header + remaining length), 0 when more bytes
 * are needed, -1 when the remaining-length varint is malformed (more than 4 bytes). `headerLen` gets the
 * fixed header's size.
 */
export function framePacket(buf: Buffer, off: number, len: number, out: { headerLen: number }): number {
  if (len < 2) return 0;
  let value = 0;
  let multiplier = 1;
  for (let i = 1; i <= 4; i++) {
    if (i >= len) return 0;
    const b = buf[off + i]!;
    value += (b & 0x7f) * multiplier;
    if ((b & 0x80) === 0) {
      out.headerLen = i + 1;
      return i + 1 + value;
    }
    multiplier *= 128;
  }
  return -1;
}

/** Reader over buf[pos, end): every method returns false/-1 when the field does not fit. */
export class Reader {
  pos = 0;
  end = 0;
  constructor(public buf: Buffer) {}

  at(buf: Buffer, pos: number, end: number): this {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
    return this;
  }

  u8(): number {
    if (this.pos + 1 > this.end) return -1;
    return this.buf[this.pos++]!;
  }

  u16(): number {
    if (this.pos + 2 > this.end) return -1;
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  /** A length-prefixed UTF-8 string (capped to `max` characters); null when it does not fit. */
  str(max = 256): string | null {
    const n = this.u16();
    if (n < 0 || this.pos + n > this.end) return null;
    const s = this.buf.toString('utf8', this.pos, this.pos + (n < max * 4 ? n : max * 4)).slice(0, max);
    this.pos += n;
    return s;
  }

  /** Skips a length-prefixed field without reading it (passwords, will payloads). */
  skipField(): boolean {
    const n = this.u16();
    if (n < 0 || this.pos + n > this.end) return false;
    this.pos += n;
    return true;
  }

  /** Skips MQTT 5 properties (variable byte integer length + that many bytes). */
  skipProperties(): boolean {
    let value = 0;
    let multiplier = 1;
    for (let i = 0; i < 4; i++) {
      const b = this.u8();
      if (b < 0) return false;
      value += (b & 0x7f) * multiplier;
      if ((b & 0x80) === 0) {
        if (this.pos + value > this.end) return false;
        this.pos += value;
        return true;
      }
      multiplier *= 128;
    }
    return false;
  }
}

export interface Connect {
  protocolName: string;
  level: number;
  flags: number;
  keepAlive: number;
  clientId: string;
  /** '' when the user name flag is clear */
  user: string;
  hasUser: boolean;
  hasPassword: boolean;
  willTopic: string;
}

/** CONNECT variable header + payload in r's range. */
export function parseConnect(r: Reader): Connect | null {
  const protocolName = r.str(16);
  if (protocolName === null) return null;
  const level = r.u8();
  const flags = r.u8();
  const keepAlive = r.u16();
  if (keepAlive < 0 || (flags & 0x01) !== 0) return null;
  if (level >= 5 && !r.skipProperties()) return null;
  const clientId = r.str(128);
  if (clientId === null) return null;
  let willTopic = '';
  if (flags & 0x04) {
    if (level >= 5 && !r.skipProperties()) return null;
    const t = r.str(256);
    if (t === null || !r.skipField()) return null;
    willTopic = t;
  }
  let user = '';
  const hasUser = (flags & 0x80) !== 0;
  if (hasUser) {
    const u = r.str(128);
    if (u === null) return null;
    user = u;
  }
  const hasPassword = (flags & 0x40) !== 0;
  if (hasPassword && !r.skipField()) return null;
  return { protocolName, level, flags, keepAlive, clientId, user, hasUser, hasPassword, willTopic };
}
