/**
 * Number of runs for a property test. The suite runs a sample; `npm run fuzz` (OTWATCH_FUZZ=full) runs the
 * full budget (the floor is a million inputs in total across parsers).
 */
export function fuzzRuns(sample: number, full = sample * 100): number {
  return process.env.OTWATCH_FUZZ === 'full' ? full : sample;
}
