import { SluiceError } from './errors.js';
import type { Collection, EmbedderSpec } from './types.js';

/**
 * A collection holds vectors of one embedder only: same name, model and dimension, or a clear
 * `embedder_mismatch`. The one check used on ingest, in the worker and on query.
 */
export function assertSameEmbedder(collection: Collection, spec: EmbedderSpec): void {
  const pinned = collection.embedder;
  if (pinned.name !== spec.name || pinned.model !== spec.model || pinned.dimension !== spec.dimension) {
    throw new SluiceError(
      'embedder_mismatch',
      `Collection "${collection.name}" is pinned to ${pinned.name}:${pinned.model} (${pinned.dimension} dimensions), not ${spec.name}:${spec.model} (${spec.dimension})`,
    );
  }
}
