/**
 * Operating-system evidence: families of OS strings (to tell corroboration from conflict) and the last-resort
 * guess from the initial IP TTL. Per host at report time, never per packet.
 */

export type OsFamily = 'windows' | 'macos' | 'ios' | 'android' | 'linux' | 'unix' | 'network-os' | 'rtos' | 'other';

const FAMILY_PATTERNS: ReadonlyArray<readonly [RegExp, OsFamily]> = [
  [/\bwindows\b|\bwin(32|64|nt)\b|\bmicrosoft\b/i, 'windows'],
  [/\bios[- ]?xe\b|\bios[- ]?xr\b|\bnx-?os\b|\bjunos\b|\bfortios\b|\bpan-os\b|\brouteros\b|\beos\b|\bcisco ios\b/i, 'network-os'],
  [/\bmac ?os\b|\bos x\b|\bdarwin\b/i, 'macos'],
  [/\biphone\b|\bipad\b|^ios\b/i, 'ios'],
  [/\bandroid\b/i, 'android'],
  [/\blinux\b|\bubuntu\b|\bdebian\b|\bcentos\b|\bred hat\b|\bfedora\b|\bsuse\b|\balpine\b|\braspbian\b|\bchrome ?os\b/i, 'linux'],
  [/\bunix\b|\bbsd\b|\bsolaris\b|\bsunos\b|\baix\b|\bhp-ux\b/i, 'unix'],
  [/\bvxworks\b|\bqnx\b|\bthreadx\b|\bnucleus\b|\bembedded\b|\bfreertos\b|\bintegrity\b/i, 'rtos'],
];

/** The family of an OS string ("Windows 10 or later" → windows); 'other' when unrecognised. */
export function osFamily(value: string): OsFamily {
  for (const [re, family] of FAMILY_PATTERNS) if (re.test(value)) return family;
  return 'other';
}

/** Desktop families: a DHCP/HTTP fingerprint naming one of them points at a workstation. */
export function isDesktopOs(family: OsFamily): boolean {
  return family === 'windows' || family === 'macos' || family === 'linux';
}

/** The initial TTL a sender most likely used (the next common default at or above the observed value). */
export function initialTtl(observed: number): number {
  if (observed <= 0) return 0;
  if (observed <= 32) return 32;
  if (observed <= 64) return 64;
  if (observed <= 128) return 128;
  return 255;
}

const TTL_GUESS: Readonly<Record<number, string>> = {
  32: 'embedded (initial TTL 32)',
  64: 'Linux/Unix (initial TTL 64)',
  128: 'Windows (initial TTL 128)',
  255: 'network device or embedded (initial TTL 255)',
};

/** Share of a host's TTL observations one initial TTL needs before it is believed. */
const TTL_MAJORITY = 0.8;
/** TTL says little (NAT, tunnels, configurable defaults): always below any protocol-stated OS. */
export const TTL_OS_CONFIDENCE = 0.2;

/**
 * A guess from initial-TTL observation counts (initial TTL → flows), or null when there are none or no value
 * holds a clear majority.
 */
export function osFromTtl(counts: ReadonlyMap<number, number>): { value: string; confidence: number } | null {
  let total = 0;
  let best = 0;
  let bestCount = 0;
  for (const [ttl, n] of counts) {
    total += n;
    if (n > bestCount || (n === bestCount && ttl < best)) {
      best = ttl;
      bestCount = n;
    }
  }
  if (total === 0 || bestCount / total < TTL_MAJORITY) return null;
  const value = TTL_GUESS[best];
  return value === undefined ? null : { value, confidence: TTL_OS_CONFIDENCE };
}
