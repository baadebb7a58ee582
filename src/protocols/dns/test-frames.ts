/** Hand-built DNS messages for tests (RFC 1035 wire format). */

export function encodeName(name: string): number[] {
  const out: number[] = [];
  if (name !== '.' && name !== '') for (const label of name.split('.')) out.push(label.length, ...Buffer.from(label, 'latin1'));
  out.push(0);
  return out;
}

export interface TestRecord {
  name: string | number[];
  type: number;
  ttl?: number;
  klass?: number;
  /** A/AAAA address text, or a name for PTR/CNAME, or raw bytes */
  data: string | number[];
}

function be16(n: number): number[] {
  return [(n >> 8) & 255, n & 255];
}

function rdata(r: TestRecord): number[] {
  if (Array.isArray(r.data)) return r.data;
  if (r.type === 1) return r.data.split('.').map(Number);
  if (r.type === 28) {
    const out: number[] = [];
    const [head, tail] = r.data.split('::') as [string, string | undefined];
    const h = head ? head.split(':') : [];
    const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
    const words = [...h, ...new Array(8 - h.length - t.length).fill('0'), ...t];
    for (const w of words) out.push(...be16(parseInt(w, 16)));
    return out;
  }
  return encodeName(r.data);
}

export function dnsMessage(opts: {
  id: number;
  response?: boolean;
  rcode?: number;
  opcode?: number;
  question?: { name: string; type: number; klass?: number } | null;
  answers?: TestRecord[];
  additional?: TestRecord[];
}): Buffer {
  const flags = (opts.response ? 0x8000 : 0) | ((opts.opcode ?? 0) << 11) | 0x0100 | (opts.response ? 0x0080 : 0) | (opts.rcode ?? 0);
  const answers = opts.answers ?? [];
  const additional = opts.additional ?? [];
  const q = opts.question === undefined ? null : opts.question;
  const bytes: number[] = [...be16(opts.id), ...be16(flags), ...be16(q ? 1 : 0), ...be16(answers.length), 0, 0, ...be16(additional.length)];
  if (q) bytes.push(...encodeName(q.name), ...be16(q.type), ...be16(q.klass ?? 1));
  for (const r of [...answers, ...additional]) {
    const data = rdata(r);
    const ttl = r.ttl ?? 300;
    bytes.push(...(Array.isArray(r.name) ? r.name : encodeName(r.name)), ...be16(r.type), ...be16(r.klass ?? 1));
    bytes.push((ttl >>> 24) & 255, (ttl >>> 16) & 255, (ttl >>> 8) & 255, ttl & 255, ...be16(data.length), ...data);
  }
  return Buffer.from(bytes);
}

/** A message with the 2-octet TCP length prefix. */
export function tcpFramed(msg: Buffer): Buffer {
  return Buffer.concat([Buffer.from(be16(msg.length)), msg]);
}
