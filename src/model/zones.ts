/**
 * The zones file (docs/zones.md): named zones by CIDR and/or VLAN with their Purdue level and criticality, and
 * the conduits allowed between them. JSON, or the small YAML subset documented there (block mappings and
 * sequences, flow sequences `[a, b]`, plain/quoted scalars, `#` comments) — no YAML package is installed.
 * Every problem is one line naming the file and, for YAML, the line: a ZonesFileError (exit code 2).
 */
import { readFileSync } from 'node:fs';
import { CaptureInputError } from '../capture/types.js';
import { PROTOCOLS, type ProtocolName } from '../events/types.js';
import { CRITICALITIES, type Criticality } from '../report/types.js';
import { expandIp6, parseIp4 } from './address-class.js';

export class ZonesFileError extends CaptureInputError {
  constructor(message: string) {
    super(message);
    this.name = 'ZonesFileError';
  }
}

export interface CidrRange {
  text: string;
  version: 4 | 6;
  /** IPv4: the network as a 32-bit number; IPv6: 32 hex digits */
  network: number | string;
  prefix: number;
}

export interface ZoneDef {
  name: string;
  cidrs: CidrRange[];
  vlans: number[];
  purdueLevel: number | null;
  criticality: Criticality | null;
}

export interface ConduitDef {
  from: string;
  to: string;
  /** empty: any protocol */
  protocols: ProtocolName[];
  /** empty: any port */
  ports: number[];
  /** false: only from → to initiations are allowed (the default); true: both ways */
  bidirectional: boolean;
}

export interface ZonesConfig {
  zones: ZoneDef[];
  conduits: ConduitDef[];
}

/** The zone name conduits use for any public (Internet) address. */
export const INTERNET_ZONE = 'internet';
const PURDUE_LEVELS: readonly number[] = [0, 1, 2, 3, 3.5, 4, 5];
const MAX_ZONES = 4096;
const MAX_CONDUITS = 65536;

// ---- tiny YAML subset -----------------------------------------------------------------------------------------

interface YamlLine {
  no: number;
  indent: number;
  text: string;
}

type Yaml = string | number | boolean | null | Yaml[] | { [key: string]: Yaml };

function stripComment(line: string): string {
  let quote = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote !== '') {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || line[i - 1] === ' ' || line[i - 1] === '\t')) return line.slice(0, i);
  }
  return line;
}

class YamlReader {
  private pos = 0;
  constructor(
    private readonly lines: YamlLine[],
    private readonly file: string,
  ) {}

  private fail(no: number, message: string): never {
    throw new ZonesFileError(`${this.file}: line ${no}: ${message}`);
  }

  parseDocument(): Yaml {
    if (this.lines.length === 0) return null;
    const value = this.block(this.lines[0]!.indent);
    if (this.pos < this.lines.length) this.fail(this.lines[this.pos]!.no, 'unexpected indentation');
    return value;
  }

  private block(indent: number): Yaml {
    const first = this.lines[this.pos]!;
    if (first.indent !== indent) this.fail(first.no, 'unexpected indentation');
    return first.text.startsWith('- ') || first.text === '-' ? this.sequence(indent) : this.mapping(indent);
  }

  private sequence(indent: number): Yaml[] {
    const out: Yaml[] = [];
    while (this.pos < this.lines.length) {
      const line = this.lines[this.pos]!;
      if (line.indent < indent) break;
      if (line.indent > indent) this.fail(line.no, 'unexpected indentation');
      if (!(line.text.startsWith('- ') || line.text === '-')) this.fail(line.no, 'expected "- " (a sequence item)');
      const rest = line.text.slice(1).trimStart();
      if (rest === '') {
        this.pos++;
        const next = this.lines[this.pos];
        out.push(next && next.indent > indent ? this.block(next.indent) : null);
        continue;
      }
      // "- key: value" opens a mapping whose further keys are indented like `key`.
      const itemIndent = indent + (line.text.length - rest.length);
      if (isMappingEntry(rest)) {
        this.lines[this.pos] = { no: line.no, indent: itemIndent, text: rest };
        out.push(this.mapping(itemIndent));
      } else {
        out.push(this.scalar(rest, line.no));
        this.pos++;
      }
    }
    return out;
  }

  private mapping(indent: number): { [key: string]: Yaml } {
    const out: { [key: string]: Yaml } = {};
    while (this.pos < this.lines.length) {
      const line = this.lines[this.pos]!;
      if (line.indent < indent) break;
      if (line.indent > indent) this.fail(line.no, 'unexpected indentation');
      const m = /^("[^"]*"|'[^']*'|[^:#\s][^:]*?)\s*:(\s+(.*))?$/.exec(line.text);
      if (!m) this.fail(line.no, `expected "key: value", got "${line.text}"`);
      const key = unquote(m[1]!);
      if (Object.hasOwn(out, key)) this.fail(line.no, `duplicate key "${key}"`);
      const rest = (m[3] ?? '').trim();
      this.pos++;
      if (rest !== '') {
        out[key] = this.scalar(rest, line.no);
        continue;
      }
      const next = this.lines[this.pos];
      if (next && (next.indent > indent || (next.indent === indent && next.text.startsWith('- ')))) out[key] = this.block(next.indent);
      else out[key] = null;
    }
    return out;
  }

  private scalar(text: string, no: number): Yaml {
    if (text.startsWith('[')) {
      if (!text.endsWith(']')) this.fail(no, 'unterminated flow sequence (multi-line [ ] is not supported)');
      const inner = text.slice(1, -1).trim();
      if (inner === '') return [];
      return splitFlow(inner).map((item) => {
        if (item === '' ) this.fail(no, 'empty item in flow sequence');
        return this.scalar(item, no);
      });
    }
    if (text.startsWith('{')) this.fail(no, 'flow mappings ({ }) are not supported; use an indented block');
    if (text.startsWith('"') || text.startsWith("'")) {
      if (text.length < 2 || text[text.length - 1] !== text[0]) this.fail(no, 'unterminated quoted string');
      return text.slice(1, -1);
    }
    if (text === '~' || text === 'null') return null;
    if (text === 'true') return true;
    if (text === 'false') return false;
    if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
    if (/^[&*!|>%@`]/.test(text)) this.fail(no, `unsupported YAML syntax "${text[0]}"`);
    return text;
  }
}

function isMappingEntry(text: string): boolean {
  return /^("[^"]*"|'[^']*'|[^:#\s\[\]{}"'][^:]*?)\s*:(\s|$)/.test(text);
}

function unquote(text: string): string {
  return (text.startsWith('"') && text.endsWith('"')) || (text.startsWith("'") && text.endsWith("'")) ? text.slice(1, -1) : text;
}

function splitFlow(inner: string): string[] {
  const out: string[] = [];
  let quote = '';
  let start = 0;
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i]!;
    if (quote !== '') {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === ',') {
      out.push(inner.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(inner.slice(start).trim());
  return out;
}

/** Parses the YAML subset of docs/zones.md. */
export function parseYamlSubset(text: string, file = 'zones file'): unknown {
  const lines: YamlLine[] = [];
  const raw = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (let i = 0; i < raw.length; i++) {
    const line = raw[i]!;
    if (/^\s*\t/.test(line)) throw new ZonesFileError(`${file}: line ${i + 1}: tabs are not allowed for indentation`);
    if (line.trim() === '---' || line.trim() === '...') continue;
    const body = stripComment(line).replace(/\s+$/, '');
    if (body.trim() === '') continue;
    lines.push({ no: i + 1, indent: body.length - body.trimStart().length, text: body.trimStart() });
  }
  return new YamlReader(lines, file).parseDocument();
}

// ---- validation -------------------------------------------------------------------------------------------------

export function parseCidr(text: string): CidrRange | null {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text.trim());
  const addr = m ? m[1]! : text.trim();
  const v4 = parseIp4(addr);
  if (v4 >= 0) {
    const prefix = m ? Number(m[2]) : 32;
    if (prefix > 32) return null;
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    return { text: `${ip4Text((v4 & mask) >>> 0)}/${prefix}`, version: 4, network: (v4 & mask) >>> 0, prefix };
  }
  const v6 = expandIp6(addr);
  if (v6 === null) return null;
  const prefix = m ? Number(m[2]) : 128;
  if (prefix > 128) return null;
  return { text: `${addr.toLowerCase()}/${prefix}`, version: 6, network: maskHex(v6, prefix), prefix };
}

function ip4Text(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}`;
}

function maskHex(hex: string, prefix: number): string {
  let bits = '';
  for (const c of hex) bits += parseInt(c, 16).toString(2).padStart(4, '0');
  bits = bits.slice(0, prefix).padEnd(128, '0');
  let out = '';
  for (let i = 0; i < 128; i += 4) out += parseInt(bits.slice(i, i + 4), 2).toString(16);
  return out;
}

export function cidrContains(range: CidrRange, ip: string): boolean {
  if (range.version === 4) {
    const v4 = parseIp4(ip);
    if (v4 < 0) return false;
    const mask = range.prefix === 0 ? 0 : (0xffffffff << (32 - range.prefix)) >>> 0;
    return ((v4 & mask) >>> 0) === range.network;
  }
  const v6 = expandIp6(ip);
  return v6 !== null && maskHex(v6, range.prefix) === range.network;
}

function fieldError(file: string, where: string, message: string): never {
  throw new ZonesFileError(`${file}: ${where}: ${message}`);
}

function stringList(value: unknown, file: string, where: string): string[] {
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((v, i) => {
    if (typeof v !== 'string' && typeof v !== 'number') fieldError(file, `${where}[${i}]`, 'must be a string');
    return String(v);
  });
}

/** Validates a parsed zones document (from JSON or YAML). */
export function validateZones(doc: unknown, file = 'zones file'): ZonesConfig {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) fieldError(file, '(top)', 'must be a mapping with "zones" (and optionally "conduits")');
  const top = doc as Record<string, unknown>;
  for (const k of Object.keys(top)) if (k !== 'zones' && k !== 'conduits') fieldError(file, k, 'unknown key (expected "zones" or "conduits")');
  if (!Array.isArray(top.zones) || top.zones.length === 0) fieldError(file, 'zones', 'must be a non-empty list');
  if (top.zones.length > MAX_ZONES) fieldError(file, 'zones', `more than ${MAX_ZONES} zones`);
  const zones: ZoneDef[] = [];
  const names = new Set<string>();
  top.zones.forEach((raw: unknown, i: number) => {
    const where = `zones[${i}]`;
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fieldError(file, where, 'must be a mapping');
    const z = raw as Record<string, unknown>;
    for (const k of Object.keys(z)) {
      if (!['name', 'cidrs', 'vlans', 'purdueLevel', 'criticality', 'description'].includes(k)) fieldError(file, `${where}.${k}`, 'unknown key');
    }
    if (typeof z.name !== 'string' || z.name.trim() === '') fieldError(file, `${where}.name`, 'must be a non-empty string');
    const name = z.name.trim();
    if (names.has(name)) fieldError(file, `${where}.name`, `duplicate zone "${name}"`);
    if (name === INTERNET_ZONE) fieldError(file, `${where}.name`, `"${INTERNET_ZONE}" is reserved for public addresses`);
    names.add(name);
    const cidrs = stringList(z.cidrs, file, `${where}.cidrs`).map((c, j) => parseCidr(c) ?? fieldError(file, `${where}.cidrs[${j}]`, `"${c}" is not an IPv4/IPv6 CIDR`));
    const vlans = (z.vlans === undefined || z.vlans === null ? [] : Array.isArray(z.vlans) ? z.vlans : [z.vlans]).map((v: unknown, j: number) => {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 4095) fieldError(file, `${where}.vlans[${j}]`, 'must be an integer 0..4095');
      return v;
    });
    if (cidrs.length === 0 && vlans.length === 0) fieldError(file, where, `zone "${name}" needs "cidrs" or "vlans"`);
    let purdueLevel: number | null = null;
    if (z.purdueLevel !== undefined && z.purdueLevel !== null) {
      if (typeof z.purdueLevel !== 'number' || !PURDUE_LEVELS.includes(z.purdueLevel)) fieldError(file, `${where}.purdueLevel`, `must be one of ${PURDUE_LEVELS.join(', ')}`);
      purdueLevel = z.purdueLevel;
    }
    let criticality: Criticality | null = null;
    if (z.criticality !== undefined && z.criticality !== null) {
      if (typeof z.criticality !== 'string' || !(CRITICALITIES as readonly string[]).includes(z.criticality)) fieldError(file, `${where}.criticality`, `must be one of ${CRITICALITIES.join(', ')}`);
      criticality = z.criticality as Criticality;
    }
    zones.push({ name, cidrs, vlans, purdueLevel, criticality });
  });
  const conduits: ConduitDef[] = [];
  const rawConduits = top.conduits === undefined || top.conduits === null ? [] : top.conduits;
  if (!Array.isArray(rawConduits)) fieldError(file, 'conduits', 'must be a list');
  if (rawConduits.length > MAX_CONDUITS) fieldError(file, 'conduits', `more than ${MAX_CONDUITS} conduits`);
  rawConduits.forEach((raw: unknown, i: number) => {
    const where = `conduits[${i}]`;
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fieldError(file, where, 'must be a mapping');
    const c = raw as Record<string, unknown>;
    for (const k of Object.keys(c)) {
      if (!['from', 'to', 'protocols', 'ports', 'bidirectional', 'description'].includes(k)) fieldError(file, `${where}.${k}`, 'unknown key');
    }
    for (const end of ['from', 'to'] as const) {
      const v = c[end];
      if (typeof v !== 'string' || (!names.has(v) && v !== INTERNET_ZONE && v !== '*')) {
        fieldError(file, `${where}.${end}`, `must name a zone (${[...names].join(', ')}), "${INTERNET_ZONE}" or "*"`);
      }
    }
    const protocols = stringList(c.protocols, file, `${where}.protocols`).map((p) => {
      if (!(PROTOCOLS as readonly string[]).includes(p)) fieldError(file, `${where}.protocols`, `unknown protocol "${p}"`);
      return p as ProtocolName;
    });
    const ports = (c.ports === undefined || c.ports === null ? [] : Array.isArray(c.ports) ? c.ports : [c.ports]).map((p: unknown, j: number) => {
      if (typeof p !== 'number' || !Number.isInteger(p) || p < 0 || p > 65535) fieldError(file, `${where}.ports[${j}]`, 'must be an integer 0..65535');
      return p;
    });
    if (c.bidirectional !== undefined && typeof c.bidirectional !== 'boolean') fieldError(file, `${where}.bidirectional`, 'must be true or false');
    conduits.push({ from: c.from as string, to: c.to as string, protocols, ports, bidirectional: c.bidirectional === true });
  });
  return { zones, conduits };
}

/** Parses zones file text: JSON when it starts with `{`, else the YAML subset. */
export function parseZones(text: string, file = 'zones file'): ZonesConfig {
  const trimmed = text.replace(/^\uFEFF/, '').trimStart();
  let doc: unknown;
  if (trimmed.startsWith('{')) {
    try {
      doc = JSON.parse(trimmed);
    } catch (err) {
      throw new ZonesFileError(`${file}: invalid JSON: ${(err as Error).message.split('\n')[0]}`);
    }
  } else doc = parseYamlSubset(text, file);
  return validateZones(doc, file);
}

export function loadZonesFile(path: string): ZonesConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ZonesFileError(`cannot read zones file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseZones(text, path);
}

/** The declared zone of an address/VLAN: VLAN match first, then the longest matching prefix. */
export function declaredZoneOf(config: ZonesConfig, ips: readonly string[], vlan: number | null): ZoneDef | null {
  if (vlan !== null) {
    const byVlan = config.zones.find((z) => z.vlans.includes(vlan));
    if (byVlan) return byVlan;
  }
  let best: ZoneDef | null = null;
  let bestPrefix = -1;
  for (const z of config.zones) {
    for (const c of z.cidrs) {
      if (c.prefix > bestPrefix && ips.some((ip) => cidrContains(c, ip))) {
        best = z;
        bestPrefix = c.prefix;
      }
    }
  }
  return best;
}

/** Whether a declared conduit (or the same zone) allows `src` → `dst` over protocol/port. */
export function conduitAllows(config: ZonesConfig, src: string, dst: string, protocol: ProtocolName, port: number): boolean {
  if (src === dst) return true;
  return config.conduits.some((c) => {
    const forward = (c.from === '*' || c.from === src) && (c.to === '*' || c.to === dst);
    const backward = c.bidirectional && (c.from === '*' || c.from === dst) && (c.to === '*' || c.to === src);
    if (!forward && !backward) return false;
    if (c.protocols.length > 0 && !c.protocols.includes(protocol)) return false;
    return c.ports.length === 0 || c.ports.includes(port);
  });
}
