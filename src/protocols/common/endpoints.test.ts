import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Probe, type AnalyzerContext } from '../analyzer.js';
import { IpProto } from '../../decode/packet.js';
import { fakeSpec, harness, packet } from '../../decode/flow-test-support.js';
import type { ProtocolDetectedEvent } from '../../events/types.js';
import { FlowEvents } from './flow-events.js';
import { eventEndpointOf, flowEndpoints } from './endpoints.js';

test('analyzer events share the endpoints of the flow\'s protocol event until a side\'s MAC changes', () => {
  let events: FlowEvents | null = null;
  let ctx: AnalyzerContext | null = null;
  const spec = fakeSpec({
    name: 'modbus',
    transports: ['udp'],
    ports: [5555],
    probe: () => Probe.Yes,
    onCreate: (c) => {
      ctx = c;
      events = new FlowEvents(c, 'modbus');
    },
  });
  const h = harness([spec]);
  const client = { proto: IpProto.UDP, src: '10.0.0.1', dst: '10.0.0.2', sport: 40000, dport: 5555, srcMac: 0x0000aa000001, dstMac: 0x0000cc000003 };
  h.table.process(packet({ ...client, payload: 'q' }));
  const announced = h.sink.events.find((e): e is ProtocolDetectedEvent => e.type === 'protocol');
  assert.ok(announced && events && ctx);
  const ev = events as FlowEvents;
  assert.equal(ev.client, announced.src);
  assert.equal(ev.server, announced.dst);
  assert.deepEqual(ev.client, { ip: '10.0.0.1', port: 40000, mac: '00:00:aa:00:00:01' });
  assert.deepEqual(ev.server, { ip: '10.0.0.2', port: 5555, mac: '00:00:cc:00:00:03' });
  // The server's own frame shows its real MAC (the first frame's destination was a router's).
  h.table.process(packet({ ...client, src: '10.0.0.2', dst: '10.0.0.1', sport: 5555, dport: 40000, srcMac: 0x0000bb000002, dstMac: 0x0000aa000001, payload: 'r' }));
  ev.refreshEndpoints();
  assert.equal(ev.client, announced.src);
  assert.deepEqual(ev.server, { ip: '10.0.0.2', port: 5555, mac: '00:00:bb:00:00:02' });
  assert.deepEqual(announced.dst, { ip: '10.0.0.2', port: 5555, mac: '00:00:cc:00:00:03' }, 'emitted endpoints are never mutated');
  assert.deepEqual(flowEndpoints((ctx as AnalyzerContext).flow), { client: ev.client, server: ev.server });
});

test('a FlowInfo without event endpoints gets built ones, mac only when known', () => {
  const flow = { id: 1, transport: 'udp' as const, clientIp: '10.0.0.1', serverIp: '10.0.0.2', clientPort: 1, serverPort: 2, clientMac: '', serverMac: '00:00:bb:00:00:02', vlan: 0, sidesGuessed: false };
  assert.deepEqual(eventEndpointOf(flow, true), { ip: '10.0.0.1', port: 1 });
  assert.deepEqual(eventEndpointOf(flow, false), { ip: '10.0.0.2', port: 2, mac: '00:00:bb:00:00:02' });
  assert.equal(JSON.stringify(eventEndpointOf(flow, false)), '{"ip":"10.0.0.2","port":2,"mac":"00:00:bb:00:00:02"}');
});
