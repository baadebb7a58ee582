/**
 * `fn` with its answers remembered per text key, at most `max` keys (emptied when full, so memory stays bounded
 * whatever the traffic). For pure per-text functions that run per message or per flow on a handful of distinct
 * values: DNS/TLS names against domain lists, HTTP Server/User-Agent headers, SMB tree paths, addresses.
 */
export function memoByText<T>(fn: (text: string) => T, max = 4096): (text: string) => T {
  const memo = new Map<string, T>();
  return (text) => {
    if (memo.has(text)) return memo.get(text)!;
    const answer = fn(text);
    if (memo.size >= max) memo.clear();
    memo.set(text, answer);
    return answer;
  };
}
