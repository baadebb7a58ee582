/**
 * `analyze --db`: identify each capture by content hash and ingest the report into the store. A live capture
 * has no file to hash: it comes with its identity already made (interfaces + start time, src/capture/live.ts).
 */
import { statSync } from 'node:fs';
import { Store, StoreError, hashFile, type CaptureIdentity } from '../store/store.js';
import type { Report } from '../report/types.js';

/** A store refusal the user can act on (conflicting capture sets, a newer schema, not an otwatch file). */
export class PersistError extends Error {
  override name = 'PersistError';
}

export async function persistReport(dbPath: string, report: Report, captures: ReadonlyArray<string | CaptureIdentity>): Promise<string> {
  const identities: CaptureIdentity[] = [];
  for (const capture of captures) {
    if (typeof capture !== 'string') identities.push(capture);
    else identities.push({ file: capture, sha256: await hashFile(capture), size: statSync(capture).size });
  }
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
