/**
 * Writes fixtures/<name>.golden.json from the current analyzer output. Run by hand only
 * (`node --import tsx src/protocols/s7comm/test-support/gen-golden.ts`), then check every line against
 * tshark before committing: the golden files are the reviewed expectation, not a snapshot.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { goldenView, runCapture } from './harness.js';

const dir = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'fixtures');
for (const name of readdirSync(dir).filter((n) => n.endsWith('.pcap'))) {
  const view = goldenView(runCapture(join(dir, name)).events);
  const lines = [
    '{',
    '  "operations": [',
    view.operations.map((o) => '    ' + JSON.stringify(o)).join(',\n'),
    '  ],',
    '  "facts": [',
    view.facts.map((f) => '    ' + JSON.stringify(f)).join(',\n'),
    '  ]',
    '}',
    '',
  ];
  writeFileSync(join(dir, name.replace(/\.pcap$/, '.golden.json')), lines.join('\n'));
  console.log(name, view.operations.length, 'operations', view.facts.length, 'facts');
}
