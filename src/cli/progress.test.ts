import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProgressBar } from './progress.js';

function recorder(): { stream: NodeJS.WriteStream; lines: string[] } {
  const lines: string[] = [];
  const stream = { write: (text: string) => (lines.push(text), true) } as unknown as NodeJS.WriteStream;
  return { stream, lines };
}

test('files: a bar with the fraction done and an ETA', () => {
  const { stream, lines } = recorder();
  const bar = new ProgressBar(stream);
  bar.update(500_000, 1_000_000, 1000);
  bar.done();
  assert.match(lines[0]!, /\[#{14}\.{14}\]  50% 500\.0 KB\/1\.0 MB .* ETA /);
  assert.equal(lines.at(-1), '\r\x1b[K');
});

test('live: packets, packet rate and elapsed time instead of a bar and an ETA; redrawn while idle', async (t) => {
  t.mock.timers.enable({ apis: ['setInterval', 'Date'], now: 1_000_000 });
  const { stream, lines } = recorder();
  const bar = new ProgressBar(stream, 'live:eth0');
  t.mock.timers.tick(1000); // the idle redraw
  assert.match(lines.at(-1)!, /^\r\x1b\[K\[live:eth0\] 0 packets  0 pkt\/s  0 B  0 B\/s  elapsed 1s$/);
  bar.update(2_000_000, 0, 5000);
  t.mock.timers.tick(1000);
  const line = lines.at(-1)!;
  assert.doesNotMatch(line, /ETA|%/);
  // 5000 packets and 2 MB arrived during the last second.
  assert.match(line, /\[live:eth0\] 5\.0k packets  5\.0k pkt\/s  2\.0 MB  2\.0 MB\/s  elapsed 2s$/);
  bar.done();
  const count = lines.length;
  t.mock.timers.tick(5000);
  assert.equal(lines.length, count, 'no redraw after done()');
});
