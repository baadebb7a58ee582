import { Probe, Dir, type AnalyzerSpec } from '../analyzer.js';
import { framePacket } from './parser.js';
import { MqttSession } from './session.js';

const header = { headerLen: 0 };

/**
 * MQTT probe: a CONNECT (0x10, valid remaining length) whose protocol name is "MQTT" (3.1.1/5) or "MQIsdp"
 * (3.1) is a Yes; from the broker side a 4/5+-byte CONNACK (0x20) is only a Maybe (port 1883 decides).
 */
export function probeMqtt(buf: Buffer, off: number, len: number, dir: Dir): Probe {
  if (len < 1) return Probe.NeedMore;
  const first = buf[off]!;
  if (dir === Dir.ToClient) {
    if (first !== 0x20) return Probe.No;
    if (len < 4) return Probe.NeedMore;
    return buf[off + 1]! >= 2 && buf[off + 1]! < 0x80 ? Probe.Maybe : Probe.No;
  }
  if (first !== 0x10) return Probe.No;
  const total = framePacket(buf, off, len, header);
  if (total < 0) return Probe.No;
  if (total === 0 || len < header.headerLen + 2) return Probe.NeedMore;
  const p = off + header.headerLen;
  const n = buf.readUInt16BE(p);
  if (n !== 4 && n !== 6) return Probe.No;
  if (len < header.headerLen + 2 + n) return Probe.NeedMore;
  const name = buf.toString('latin1', p + 2, p + 2 + n);
  return name === 'MQTT' || name === 'MQIsdp' ? Probe.Yes : Probe.No;
}

export const mqttSpec: AnalyzerSpec = {
  name: 'mqtt',
  transports: ['tcp'],
  ports: [1883],
  probe: probeMqtt,
  create: (ctx) => new MqttSession(ctx),
};
