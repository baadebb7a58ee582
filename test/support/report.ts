/** A report with everything that legitimately differs between two runs on the same packets removed. */
export function normalise(report: Record<string, any>): Record<string, any> {
  const copy = structuredClone(report);
  delete copy.generatedAt;
  delete copy.stats.durationMs;
  for (const c of copy.captures) {
    delete c.file;
    delete c.format;
    delete c.compressed;
  }
  // Alert evidence names the capture file it came from.
  for (const a of copy.alerts ?? []) for (const e of a.evidence ?? []) delete e.file;
  return copy;
}
