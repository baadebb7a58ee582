import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EventSink, OperationKind, ProtocolName } from '../../events/types.js';
import { Dir } from '../analyzer.js';
import { AnsweredCounting, FlowEvents } from './flow-events.js';
import { recordingContext } from './test-support.js';

/** A sink on the counting path that wants only 'write' operations and records what it is asked and given. */
function countingSink() {
  const asked: string[] = [];
  const counted: string[] = [];
  const emitted: string[] = [];
  const sink: EventSink = {
    emit: (e) => { emitted.push(e.type === 'operation' ? `${e.protocol}/${e.kind}/${e.result}` : e.type); },
    wantsOperation: (protocol: ProtocolName, kind: OperationKind, result) => {
      asked.push(`${protocol}/${kind}/${result}`);
      return kind === 'write';
    },
    countOperation: (_c, _f, protocol, kind) => { counted.push(`${protocol}/${kind}`); },
  };
  return { sink, asked, counted, emitted };
}

test('AnsweredCounting asks the sink again only when the protocol or kind changes', () => {
  const { sink, asked } = countingSink();
  const counting = new AnsweredCounting();
  assert.equal(counting.counts(sink, 'cip', 'read'), true);
  assert.equal(counting.counts(sink, 'cip', 'read'), true);
  assert.equal(counting.counts(sink, 'cip', 'write'), false);
  assert.equal(counting.counts(sink, 'cip', 'write'), false);
  assert.equal(counting.counts(sink, 'enip', 'write'), false);
  assert.equal(counting.counts(sink, 'enip', 'read'), true);
  assert.deepEqual(asked, ['cip/read/ok', 'cip/write/ok', 'enip/write/ok', 'enip/read/ok']);
});

test('AnsweredCounting never counts for a sink without the counting path', () => {
  const counting = new AnsweredCounting();
  assert.equal(counting.counts({ emit() {} }, 'modbus', 'read'), false);
});

test('emitAnswered counts answered operations nobody wants and emits the rest', () => {
  const ctx = recordingContext();
  const { sink, counted, emitted } = countingSink();
  const ev = new FlowEvents({ ...ctx, sink }, 'cip');
  const read = ev.operation(Dir.ToServer, 'read', 0x4c, 'read_tag', 'ok');
  ev.emitAnswered(read);
  ev.emitAnswered(ev.operation(Dir.ToServer, 'read', 0x4c, 'read_tag', 'exception'));
  ev.emitAnswered(ev.operation(Dir.ToServer, 'read', 0x4c, 'read_tag', 'no-response'));
  ev.emitAnswered(ev.operation(Dir.ToServer, 'write', 0x4d, 'write_tag', 'ok'));
  assert.deepEqual(counted, ['cip/read']);
  assert.deepEqual(emitted, ['cip/read/exception', 'cip/read/no-response', 'cip/write/ok']);
  // Without the counting path every event goes out.
  const plain = recordingContext();
  new FlowEvents(plain, 'cip').emitAnswered({ ...read });
  assert.equal(plain.events.length, 1);
});
