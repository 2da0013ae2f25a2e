import type { Batch, Collection } from '../core/types.js';
import { acceptFile, type IngestDependencies, type SubmitOutcome } from './ingest-service.js';

/**
 * Re-embeds a collection into another one pinned to the current embedder: every completed document
 * of the source is queued again in the target from its stored raw bytes (no upload, no re-read of the
 * original files). The source stays searchable, untouched, until the caller swaps names.
 */
export async function reindexCollection(
  deps: IngestDependencies,
  source: Collection,
  target: Collection,
  batch: Batch,
  onQueued?: (outcome: SubmitOutcome) => void,
): Promise<number> {
  let queued = 0;
  for (let after: string | undefined; ;) {
    const page = await deps.store.listDocuments({
      collectionId: source.id,
      state: 'completed',
      limit: 500,
      ...(after ? { after } : {}),
    });
    for (const doc of page) {
      const outcome = await acceptFile(
        deps,
        { collection: target, batch, priority: doc.priority },
        {
          source: doc.source,
          sizeBytes: doc.sizeBytes,
          blob: { key: doc.sha256, sha256: doc.sha256, sizeBytes: doc.sizeBytes },
        },
      );
      queued++;
      onQueued?.(outcome);
    }
    if (page.length < 500) {
      return queued;
    }
    after = page[page.length - 1]?.id;
  }
}
