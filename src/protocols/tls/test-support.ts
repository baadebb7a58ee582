/** Builders of TLS records and handshake messages for tests. */
const u16 = (v: number) => Buffer.from([v >> 8, v & 0xff]);
const u24 = (v: number) => Buffer.from([v >> 16, (v >> 8) & 0xff, v & 0xff]);
const u16list = (values: number[]) => Buffer.concat([u16(values.length * 2), ...values.map(u16)]);

export type Extension = [number, Buffer];

export const ext = {
  sni: (name: string): Extension => {
    const n = Buffer.from(name, 'latin1');
    return [0x0000, Buffer.concat([u16(n.length + 3), Buffer.from([0]), u16(n.length), n])];
  },
  alpn: (protocols: Array<string | Buffer>): Extension => {
    const list = Buffer.concat(protocols.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : p)).map((p) => Buffer.concat([Buffer.from([p.length]), p])));
    return [0x0010, Buffer.concat([u16(list.length), list])];
  },
  versions: (versions: number[]): Extension => [0x002b, Buffer.concat([Buffer.from([versions.length * 2]), ...versions.map(u16)])],
  sigalgs: (algs: number[]): Extension => [0x000d, u16list(algs)],
  groups: (groups: number[]): Extension => [0x000a, u16list(groups)],
  empty: (type: number): Extension => [type, Buffer.alloc(0)],
};

function extensions(list: Extension[]): Buffer {
  const body = Buffer.concat(list.map(([t, b]) => Buffer.concat([u16(t), u16(b.length), b])));
  return Buffer.concat([u16(body.length), body]);
}

export function handshake(type: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([type]), u24(body.length), body]);
}

export function clientHello(ciphers: number[], exts: Extension[], legacyVersion = 0x0303): Buffer {
  return handshake(1, Buffer.concat([u16(legacyVersion), Buffer.alloc(32, 7), Buffer.from([32]), Buffer.alloc(32, 9), u16list(ciphers), Buffer.from([1, 0]), extensions(exts)]));
}

export function serverHello(cipher: number, exts: Extension[], legacyVersion = 0x0303): Buffer {
  return handshake(2, Buffer.concat([u16(legacyVersion), Buffer.alloc(32, 3), Buffer.from([0]), u16(cipher), Buffer.from([0]), extensions(exts)]));
}

export function certificate(der: Buffer): Buffer {
  return handshake(11, Buffer.concat([u24(der.length + 3), u24(der.length), der]));
}

export function record(type: number, body: Buffer, version = 0x0303): Buffer {
  return Buffer.concat([Buffer.from([type]), u16(version), u16(body.length), body]);
}

/** The JA4 specification's worked example (technical_details/JA4.md): ciphers and extensions in wire order. */
export const SPEC_CIPHERS = [0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035];
export const SPEC_SIGALGS = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601];
export function specExtensions(order: number[], sigalgs = SPEC_SIGALGS): Extension[] {
  return order.map((t) => {
    switch (t) {
      case 0x0000:
        return ext.sni('example.com');
      case 0x0010:
        return ext.alpn(['h2', 'http/1.1']);
      case 0x002b:
        return ext.versions([0x3a3a, 0x0304, 0x0303]);
      case 0x000d:
        return ext.sigalgs(sigalgs);
      case 0x000a:
        return ext.groups([0x2a2a, 0x001d, 0x0017]);
      default:
        return ext.empty(t);
    }
  });
}
export const SPEC_EXTENSION_ORDER = [0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x000d, 0x0005, 0x0023, 0x0012, 0x002b, 0xff01, 0x000b, 0x000a, 0x0015];
