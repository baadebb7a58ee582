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
  return copy;
}
