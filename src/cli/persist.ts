/** `analyze --db`: identify each capture by content hash and ingest the report into the store. */
import { statSync } from 'node:fs';
import { Store, StoreError, hashFile } from '../store/store.js';
import type { Report } from '../report/types.js';

/** A store refusal the user can act on (conflicting capture sets, a newer schema, not an otwatch file). */
export class PersistError extends Error {
  override name = 'PersistError';
}

export async function persistReport(dbPath: string, report: Report, files: string[]): Promise<string> {
  const identities = [];
  for (const file of files) identities.push({ file, sha256: await hashFile(file), size: statSync(file).size });
  let store: Store;
  try {
    store = Store.open(dbPath);
  } catch (err) {
    if (err instanceof StoreError) throw new PersistError(`${dbPath}: ${err.message}`);
    throw err;
  }
  try {
    const result = store.ingest(report, identities);
    return result.outcome;
  } catch (err) {
    if (err instanceof StoreError) throw new PersistError(`${dbPath}: ${err.message}`);
    throw err;
  } finally {
    store.close();
  }
}
