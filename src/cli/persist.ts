/** `analyze --db`: identify each capture by content hash and ingest the report into the store. */
import { statSync } from 'node:fs';
import { Store, hashFile } from '../store/store.js';
import type { Report } from '../report/types.js';

export async function persistReport(dbPath: string, report: Report, files: string[]): Promise<void> {
  const identities = [];
  for (const file of files) identities.push({ file, sha256: await hashFile(file), size: statSync(file).size });
  const store = Store.open(dbPath);
  try {
    store.ingest(report, identities);
  } finally {
    store.close();
  }
}
