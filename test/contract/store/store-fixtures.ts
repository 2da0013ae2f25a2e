import type { DocumentMetadata } from '../../../src/core/document-metadata.js';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type {
  Batch,
  Collection,
  DocumentRecord,
  EmbeddedChunk,
  EmbedderSpec,
  Tenant,
} from '../../../src/core/types.js';
import type { PartialCompletion, Store } from '../../../src/ports/store.js';

/** Opens a store on an empty database of its own. */
export type StoreFactory = () => Promise<Store>;

export const spec: EmbedderSpec = { name: 'hash', model: 'test', dimension: 4 };

export function chunk(index: number, text: string, vector: number[]): EmbeddedChunk {
  return {
    index,
    text,
    tokenCount: 3,
    charStart: index * 10,
    charEnd: index * 10 + text.length,
    page: null,
    vector: new Float32Array(vector),
  };
}

/** A store with a tenant, a collection of that tenant and a batch in it. */
export interface Fixture {
  store: Store;
  tenant: Tenant;
  collection: Collection;
  batch: Batch;
}

/** `close` may be called by the test and again after it: the second call does nothing. */
function closingOnce(store: Store): Store {
  let closing: Promise<void> | undefined;
  return new Proxy(store, {
    get(target, key, receiver) {
      if (key === 'close') {
        return () => (closing ??= target.close());
      }
      return Reflect.get(target, key, receiver) as unknown;
    },
  });
}

/** A tenant, a collection of it and a batch in it, in `store`. */
export async function withFixture(store: Store): Promise<Fixture> {
  const tenant = await store.ensureTenant('t1');
  const collection = await store.ensureCollection(tenant.id, 'docs', spec);
  const batch = await store.createBatch(collection.id, 'test');
  return { store, tenant, collection, batch };
}

/**
 * Each test its own store on an empty database, closed after the test even when it fails: PGlite's
 * test database is emptied under whatever store is still open when the next one is made.
 */
export function useStores(createStore: StoreFactory): { open(): Promise<Fixture> } {
  const opened: Store[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()));
  });
  return {
    async open() {
      const store = closingOnce(await createStore());
      opened.push(store);
      return withFixture(store);
    },
  };
}

/**
 * One store for all the tests of a `describe`, for table-driven cases that each work on documents of
 * their own (a store per case would make the PostgreSQL run several times longer).
 */
export function useSharedStore(createStore: StoreFactory): () => Fixture {
  let fixture: Fixture | undefined;
  beforeAll(async () => {
    fixture = await withFixture(closingOnce(await createStore()));
  });
  afterAll(async () => {
    await fixture?.store.close();
  });
  return () => {
    if (!fixture) {
      throw new Error('the shared store is not open');
    }
    return fixture;
  };
}

/** Registers a file of a batch (the fixture's, or any) whose bytes hash to `sha256` (its source by default). */
export async function register(
  { store, collection, batch }: { store: Store; collection: Pick<Collection, 'id'>; batch: Pick<Batch, 'id'> },
  source: string,
  options: { sha256?: string; sizeBytes?: number; priority?: number; metadata?: DocumentMetadata } = {},
): Promise<DocumentRecord> {
  const outcome = await store.registerDocument({
    collectionId: collection.id,
    batchId: batch.id,
    source,
    sha256: options.sha256 ?? source,
    sizeBytes: options.sizeBytes ?? 1,
    ...(options.priority === undefined ? {} : { priority: options.priority }),
    ...(options.metadata === undefined ? {} : { metadata: options.metadata }),
  });
  return outcome.document;
}

/**
 * Publishes chunks as the pipeline does: an attempt starts, moves to `indexing` (the only state core's
 * table lets a document be completed from), and completes. Returns what `complete` answered.
 */
export async function publish(
  store: Store,
  documentId: string,
  attemptId: string,
  chunks: EmbeddedChunk[],
  partial?: PartialCompletion,
  language?: string,
): Promise<boolean> {
  await store.claim(documentId, attemptId);
  if (language) {
    await store.recordLanguage(documentId, attemptId, language);
  }
  await store.setStage(documentId, attemptId, 'indexing');
  return store.complete(documentId, attemptId, 'text/plain', chunks, partial);
}
