import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/**
 * Compares `actual` with the committed golden file. OTWATCH_UPDATE_GOLDEN=1 rewrites it instead — only to be
 * used when a change is intended, and the diff then reviewed by hand against tshark before committing.
 */
export function assertGolden(path: string, actual: unknown): void {
  const text = formatGolden(actual) + '\n';
  if (process.env.OTWATCH_UPDATE_GOLDEN === '1' || !existsSync(path)) {
    if (process.env.CI) assert.fail(`golden file ${path} is missing`);
    writeFileSync(path, text);
    return;
  }
  assert.deepEqual(JSON.parse(text), JSON.parse(readFileSync(path, 'utf8')), `trace differs from ${path}`);
}

/** Pretty JSON with arrays of primitives (one trace row) kept on one line, so diffs read row by row. */
export function formatGolden(value: unknown, indent = ''): string {
  if (Array.isArray(value)) {
    if (value.every((v) => v === null || typeof v !== 'object')) return JSON.stringify(value);
    if (value.length === 0) return '[]';
    const inner = indent + '  ';
    return `[\n${value.map((v) => inner + formatGolden(v, inner)).join(',\n')}\n${indent}]`;
  }
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return '{}';
    const inner = indent + '  ';
    return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${formatGolden(v, inner)}`).join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value);
}
