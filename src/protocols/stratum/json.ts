/**
 * Just enough JSON for Stratum lines: the value of a named string/number member wherever it appears, without
 * building the object (no JSON.parse: a malformed or hostile line costs a scan, never an exception).
 */

function skipWs(s: string, i: number): number {
  while (i < s.length && (s[i] === ' ' || s[i] === '\t' || s[i] === '\r' || s[i] === '\n')) i++;
  return i;
}

/** Reads a JSON string starting at the opening quote s[i]; returns its (unescaped, capped) text and the index after it. */
function readString(s: string, i: number, max: number): { value: string; next: number } | null {
  if (s[i] !== '"') return null;
  let out = '';
  for (let j = i + 1; j < s.length; j++) {
    const c = s[j]!;
    if (c === '"') return { value: out, next: j + 1 };
    if (c === '\\') {
      j++;
      if (j >= s.length) return null;
      const e = s[j]!;
      if (e === 'u') {
        if (j + 4 >= s.length) return null;
        const code = Number.parseInt(s.slice(j + 1, j + 5), 16);
        if (Number.isNaN(code)) return null;
        if (out.length < max) out += String.fromCharCode(code);
        j += 4;
        continue;
      }
      if (out.length < max) out += e === 'n' ? '\n' : e === 't' ? '\t' : e;
      continue;
    }
    if (out.length < max) out += c;
  }
  return null;
}

/** Index just after `"key"` + ':' (and white space), or -1. The first occurrence wins. */
function valueStart(s: string, key: string): number {
  const needle = `"${key}"`;
  let from = 0;
  for (;;) {
    const at = s.indexOf(needle, from);
    if (at < 0) return -1;
    let i = skipWs(s, at + needle.length);
    if (s[i] === ':') return skipWs(s, i + 1);
    from = at + needle.length;
  }
}

/** Index of the value of member `key` of the outermost object only (nested members with that name are skipped), or -1. */
function topLevelValueStart(s: string, key: string): number {
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
    else if (c === '"') {
      const str = readString(s, i, key.length + 1);
      if (str === null) return -1;
      if (depth === 1 && str.value === key) {
        const j = skipWs(s, str.next);
        if (s[j] === ':') return skipWs(s, j + 1);
      }
      i = str.next - 1;
    }
  }
  return -1;
}

/** The string value of member `key`, '' when absent or not a string. */
export function stringMember(s: string, key: string, max = 256, topLevel = false): string {
  const i = topLevel ? topLevelValueStart(s, key) : valueStart(s, key);
  if (i < 0) return '';
  return readString(s, i, max)?.value ?? '';
}

/** The raw token of member `key` when it is a number/true/false/null or a string (quoted text returned unquoted). */
export function scalarMember(s: string, key: string, topLevel = false): string | null {
  const i = topLevel ? topLevelValueStart(s, key) : valueStart(s, key);
  if (i < 0) return null;
  if (s[i] === '"') return readString(s, i, 64)?.value ?? null;
  let j = i;
  while (j < s.length && /[-+.\w]/.test(s[j]!)) j++;
  return j > i ? s.slice(i, j) : null;
}

/** Is member `key` present with a value other than null? */
export function hasNonNull(s: string, key: string): boolean {
  const i = topLevelValueStart(s, key);
  return i >= 0 && !s.startsWith('null', i);
}

/** The first element of array member `key` when it is a string ("params": ["worker", "x"] → "worker"). */
export function firstArrayString(s: string, key: string, max = 256): string {
  const i = valueStart(s, key);
  if (i < 0 || s[i] !== '[') return '';
  const j = skipWs(s, i + 1);
  return readString(s, j, max)?.value ?? '';
}
