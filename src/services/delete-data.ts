import type { BlobScope } from '../ports/blob-references.js';
import type { DocumentActionDependencies } from './document-actions.js';
import { cancelDocument } from './document-actions.js';
import { collectBlobs, type GarbageDependencies } from './collect-garbage.js';
import { settleCopiesOf } from './settle-copies.js';

export type DeleteDependencies = DocumentActionDependencies & GarbageDependencies;

/**
 * Stops what runs in scope, removes it from the ledger, then its raw files that nothing else refers
 * to. The ledger changes first: a crash before the files go leaves only files nothing refers to,
 * which the next sweep removes, never a document without its file.
 */
async function deleteScope(
  deps: DeleteDependencies,
  scope: BlobScope,
  remove: () => Promise<boolean>,
): Promise<boolean> {
  const keys = await deps.store.blobKeysOf(scope);
  const deleted = await remove();
  if (deleted) {
    await collectBlobs(deps, keys).catch((error: unknown) =>
      deps.logger.warn({ err: error, scope }, 'raw files left for the next sweep'),
    );
  }
  return deleted;
}

/** Stops every unfinished document the filter picks, so no worker writes into what is being removed. */
async function stopUnfinished(deps: DeleteDependencies, inScope: (collectionId: string) => boolean): Promise<void> {
  for (const doc of (await deps.store.listUnfinished()).filter((d) => inScope(d.collectionId))) {
    await cancelDocument(deps, doc.id);
  }
}

/** Deletes a document (and its skipped copies) with its chunks, vectors and raw file. */
export async function deleteDocument(deps: DeleteDependencies, documentId: string): Promise<boolean> {
  return deleteScope(deps, { documentId }, async () => {
    const stopped = await deps.store.cancel(documentId);
    await deps.queue.cancel(documentId);
    // Copies that waited for it go on without it (skipped copies go with it).
    await settleCopiesOf(deps, documentId);
    const deleted = await deps.store.deleteDocument(documentId);
    if (stopped) {
      await deps.dispatcher.collection(stopped.collectionId);
    }
    return deleted;
  });
}

/** Deletes a collection with everything in it, raw files included. */
export async function deleteCollection(deps: DeleteDependencies, collectionId: string): Promise<boolean> {
  return deleteScope(deps, { collectionId }, async () => {
    await stopUnfinished(deps, (id) => id === collectionId);
    return deps.store.deleteCollection(collectionId);
  });
}

/** Deletes a tenant with its collections, keys and raw files. */
export async function deleteTenant(deps: DeleteDependencies, tenantId: string): Promise<boolean> {
  return deleteScope(deps, { tenantId }, async () => {
    const collections = new Set((await deps.store.listCollections(tenantId)).map((c) => c.id));
    await stopUnfinished(deps, (id) => collections.has(id));
    return deps.store.deleteTenant(tenantId);
  });
}
