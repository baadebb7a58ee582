import { Probe, type AnalyzerSpec, type Dir } from '../analyzer.js';
import { SnmpMessage, parseSnmp } from './parser.js';
import { SnmpSession } from './session.js';

const probeMessage = new SnmpMessage();

/** SNMP probe: the whole datagram decodes as a v1/v2c/v3 message under strict BER (Yes), else No. */
export function probeSnmp(buf: Buffer, off: number, len: number, _dir: Dir): Probe {
  if (len < 2 || buf[off] !== 0x30) return Probe.No;
  return parseSnmp(buf, off, len, probeMessage).ok ? Probe.Yes : Probe.No;
}

export const snmpSpec: AnalyzerSpec = {
  name: 'snmp',
  transports: ['udp'],
  ports: [161, 162],
  probe: probeSnmp,
  create: (ctx) => new SnmpSession(ctx),
};
