/**
 * Report timestamps: ISO 8601 UTC with microseconds ("2024-05-01T12:00:00.123456Z"). Capture timestamps are
 * microsecond (or finer) resolution and events within one millisecond must keep their order, so milliseconds
 * (Date#toISOString) would lose information. Fractions finer than a microsecond are rounded.
 */
export function isoTime(epochSeconds: number): string {
  if (!Number.isFinite(epochSeconds)) throw new RangeError(`isoTime: not a finite time: ${epochSeconds}`);
  let seconds = Math.floor(epochSeconds);
  let micros = Math.round((epochSeconds - seconds) * 1e6);
  if (micros >= 1e6) {
    seconds += 1;
    micros -= 1e6;
  }
  const base = new Date(seconds * 1000).toISOString(); // "YYYY-MM-DDTHH:MM:SS.000Z"
  return `${base.slice(0, 19)}.${String(micros).padStart(6, '0')}Z`;
}
