import createClient, { type Client } from 'openapi-fetch';
import { errorOf, retryAfterMs, SluiceApiError } from './errors.js';
import { followStream, type StreamOptions } from './event-stream.js';
import { joinChunks } from './join-chunks.js';
import type { paths } from './openapi.js';
import { withRetries, type RetryOptions } from './retries.js';
import type {
  Batch,
  BatchEvent,
  ChunkPage,
  ChunkQuery,
  Collection,
  CollectionWithStats,
  CreateCollection,
  CreateSource,
  Problem,
  DocumentChunk,
  DocumentEvent,
  DocumentPage,
  DocumentQuery,
  Metadata,
  QueryAnswer,
  QueryRequest,
  Scan,
  ScanRequest,
  SluiceDocument,
  Source,
  Stats,
  Status,
  UpdateCollection,
  UploadAnswer,
} from './types.js';
import { uploadBody, type UploadInput } from './upload-body.js';
import { xhrSend } from './xhr-send.js';

export interface SluiceClientOptions {
  /** The server, e.g. `http://localhost:8080`. */
  baseUrl: string;
  /** An API key (`sk_…`), sent as a bearer token. */
  apiKey?: string;
  /** Retries of answers 429 and 503; `false` for none. */
  retry?: RetryOptions | false;
  /** The fetch to send requests with (a proxy agent's, a test's); `globalThis.fetch` by default. */
  fetch?: typeof fetch;
}

export interface UploadOptions {
  /** Metadata of every file of the upload. */
  metadata?: Metadata;
  /** Higher runs first (-100 to 100). */
  priority?: number;
  /** Seconds (at most 60) the server may wait for the batch to end before it answers. */
  wait?: number;
  /** The same key sent again answers with the first upload's batch instead of a second one. */
  idempotencyKey?: string;
  /** Bytes of the request body sent so far. */
  onProgress?: (sentBytes: number) => void;
  /** Aborts the upload, and the waits between its retries. */
  signal?: AbortSignal;
}

export interface WaitOptions extends StreamOptions {
  /** Each event of the batch as it comes. */
  onEvent?: (event: BatchEvent) => void;
}

const idempotentMethods = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);

/** The result of a generated call: its data, or a thrown `SluiceApiError` with the problem's code. */
async function unwrap<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) {
    throw new SluiceApiError(response.status, error, retryAfterMs(response.headers.get('retry-after')));
  }
  return data as T;
}

/**
 * The Sluice HTTP API, typed from its OpenAPI document. `api` makes any call of the document; the rest
 * adds what generation cannot: uploads, following events, waiting for a batch, errors and retries.
 */
export class SluiceClient {
  /**
   * Every route of the API, typed (openapi-fetch): `client.api.GET('/v1/batches/{id}', …)`. It answers
   * `{ data, error, response }` rather than throwing; the methods below throw `SluiceApiError`.
   */
  readonly api: Client<paths>;
  readonly collections;
  readonly documents;
  readonly batches;
  readonly sources;
  private readonly baseUrl: string;
  private readonly headers: Record<string, string>;
  private readonly fetch: typeof fetch;
  private readonly retry: RetryOptions | false;

  constructor(options: SluiceClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.headers = options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {};
    this.fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.retry = options.retry ?? {};
    this.api = createClient<paths>({
      baseUrl: this.baseUrl,
      headers: this.headers,
      fetch: (request) =>
        this.send(() => this.fetch(request.clone()), idempotentMethods.has(request.method), request.signal),
    });
    const api = this.api;
    this.collections = {
      /**
       * Creates a collection (201), or answers the tenant's collection of that name (200), with the
       * settings given here applied to it.
       */
      create: (body: CreateCollection): Promise<Collection> => unwrap(api.POST('/v1/collections', { body })),
      /** Changes a collection's settings. */
      update: (id: string, body: UpdateCollection): Promise<Collection> =>
        unwrap(api.PATCH('/v1/collections/{id}', { params: { path: { id } }, body })),
      list: async (): Promise<Collection[]> => (await unwrap(api.GET('/v1/collections'))).collections,
      get: (id: string): Promise<CollectionWithStats> =>
        unwrap(api.GET('/v1/collections/{id}', { params: { path: { id } } })),
      /** A collection by its id or its name; `not_found` if the key's tenant has none. */
      find: async (idOrName: string): Promise<Collection> => {
        const found = (await this.collections.list()).find((c) => c.id === idOrName || c.name === idOrName);
        if (!found) {
          throw new SluiceApiError(404, {
            type: 'https://sluice.dev/problems/not_found',
            title: 'Not found',
            status: 404,
            code: 'not_found',
            detail: `No collection with the id or name ${idOrName}`,
          } satisfies Problem);
        }
        return found;
      },
      delete: async (id: string): Promise<void> => {
        await unwrap(api.DELETE('/v1/collections/{id}', { params: { path: { id } } }));
      },
    };
    this.documents = {
      /** Uploads files into a collection (one batch); answers at once with the batch and a job per file. */
      upload: (collectionId: string, files: UploadInput[], options: UploadOptions = {}): Promise<UploadAnswer> =>
        this.upload(collectionId, files, options),
      /** One page of documents, oldest first. */
      list: (query: DocumentQuery = {}): Promise<DocumentPage> =>
        unwrap(api.GET('/v1/documents', { params: { query } })),
      /** Every document the query finds, page after page. */
      all: (query: DocumentQuery = {}): AsyncGenerator<SluiceDocument> => this.allDocuments(query),
      get: (id: string): Promise<SluiceDocument> => unwrap(api.GET('/v1/documents/{id}', { params: { path: { id } } })),
      /**
       * One page of a document's published chunks, in order: those a search finds of it now (a
       * skipped copy's are its original's). Pass `next_cursor` back as `cursor` for the next page.
       */
      chunks: (id: string, query: ChunkQuery = {}): Promise<ChunkPage> =>
        unwrap(api.GET('/v1/documents/{id}/chunks', { params: { path: { id }, query } })),
      /** Every published chunk of a document, page after page (`limit` a page, 500 unless given). */
      allChunks: (id: string, query: Pick<ChunkQuery, 'limit'> = {}): AsyncGenerator<DocumentChunk> =>
        this.allChunks(id, query),
      /**
       * The text parsed from a document, put back together from all of its published chunks
       * (`joinChunks`); empty while it has none.
       */
      text: async (id: string): Promise<string> => {
        const chunks: DocumentChunk[] = [];
        for await (const chunk of this.allChunks(id, {})) {
          chunks.push(chunk);
        }
        return joinChunks(chunks);
      },
      delete: async (id: string): Promise<void> => {
        await unwrap(api.DELETE('/v1/documents/{id}', { params: { path: { id } } }));
      },
      cancel: (id: string): Promise<SluiceDocument> =>
        unwrap(api.POST('/v1/documents/{id}/cancel', { params: { path: { id } } })),
      retry: (id: string): Promise<SluiceDocument> =>
        unwrap(api.POST('/v1/documents/{id}/retry', { params: { path: { id } } })),
      /** A document's events until it ends, then the document as it ended. */
      events: (id: string, options: StreamOptions = {}): AsyncGenerator<DocumentEvent> =>
        followStream(
          (lastEventId) =>
            this.openStream(`/v1/documents/${encodeURIComponent(id)}/events`, lastEventId, options.signal),
          {
            event: 'document.finished',
            map: (data) => ({
              type: 'document.finished' as const,
              document: (data as { deleted?: boolean }).deleted ? null : (data as SluiceDocument),
            }),
          },
          options,
        ),
    };
    this.batches = {
      get: (id: string): Promise<Batch> => unwrap(api.GET('/v1/batches/{id}', { params: { path: { id } } })),
      list: async (limit = 20): Promise<Batch[]> =>
        (await unwrap(api.GET('/v1/batches', { params: { query: { limit } } }))).batches,
      retryFailed: async (id: string): Promise<SluiceDocument[]> =>
        (await unwrap(api.POST('/v1/batches/{id}/retry-failed', { params: { path: { id } } }))).documents,
      /** A batch's events as they happen (after `lastEventId`, if given), then `batch.finished`. */
      events: (id: string, options: StreamOptions = {}): AsyncGenerator<BatchEvent> =>
        followStream(
          (lastEventId) => this.openStream(`/v1/batches/${encodeURIComponent(id)}/events`, lastEventId, options.signal),
          { event: 'batch.finished', map: (data) => ({ type: 'batch.finished' as const, batch: data as Batch }) },
          options,
        ),
      /** Follows a batch to its end; the batch as it ended. */
      wait: (id: string, options: WaitOptions = {}): Promise<Batch> => this.waitForBatch(id, options),
    };
    this.sources = {
      /** Adds a bucket prefix as a source of a collection (or sets the patterns of the one there is). */
      create: (collectionId: string, body: CreateSource): Promise<Source> =>
        unwrap(api.POST('/v1/collections/{id}/sources', { params: { path: { id: collectionId } }, body })),
      get: (id: string): Promise<Source> => unwrap(api.GET('/v1/sources/{id}', { params: { path: { id } } })),
      /** Starts a scan of the source; its new objects become a batch. */
      scan: async (id: string, body: ScanRequest = {}): Promise<Scan> =>
        (await unwrap(api.POST('/v1/sources/{id}/scan', { params: { path: { id } }, body }))).scan,
    };
  }

  /** Follows a batch to its end; the batch as it ended. */
  async waitForBatch(id: string, options: WaitOptions = {}): Promise<Batch> {
    for await (const event of this.batches.events(id, options)) {
      options.onEvent?.(event);
      if (event.type === 'batch.finished') {
        return event.batch;
      }
    }
    // followStream ends only with the closing event or an error.
    throw new Error(`The events of batch ${id} ended before it finished`);
  }

  /** Searches a collection (hybrid, vector or text), with metadata filters. */
  query(collectionId: string, request: QueryRequest): Promise<QueryAnswer> {
    return unwrap(
      this.api.POST('/v1/collections/{id}/query', { params: { path: { id: collectionId } }, body: request }),
    );
  }

  /** What the key's tenant holds, and how its work goes: documents by state, rates, backlog. */
  stats(): Promise<Stats> {
    return unwrap(this.api.GET('/v1/stats'));
  }

  /** The service's parts and workers, as the dashboard shows them. */
  status(): Promise<Status> {
    return unwrap(this.api.GET('/v1/status'));
  }

  private send(attempt: () => Promise<Response>, idempotent: boolean, signal?: AbortSignal): Promise<Response> {
    return this.retry === false ? attempt() : withRetries(attempt, { ...this.retry, idempotent, signal });
  }

  private openStream(path: string, lastEventId: string | undefined, signal?: AbortSignal): Promise<Response> {
    const headers = {
      ...this.headers,
      accept: 'text/event-stream',
      ...(lastEventId ? { 'last-event-id': lastEventId } : {}),
    };
    return this.send(
      () => this.fetch(`${this.baseUrl}${path}`, { headers, ...(signal ? { signal } : {}) }),
      true,
      signal,
    );
  }

  private async *allDocuments(query: DocumentQuery): AsyncGenerator<SluiceDocument> {
    let cursor: string | undefined = query.cursor;
    do {
      const page = await this.documents.list({ ...query, ...(cursor ? { cursor } : {}) });
      yield* page.documents;
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
  }

  private async *allChunks(id: string, query: Pick<ChunkQuery, 'limit'>): AsyncGenerator<DocumentChunk> {
    let cursor: string | undefined;
    do {
      const page = await this.documents.chunks(id, { limit: query.limit ?? 500, ...(cursor ? { cursor } : {}) });
      yield* page.chunks;
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
  }

  private async upload(collectionId: string, files: UploadInput[], options: UploadOptions): Promise<UploadAnswer> {
    const fields: Record<string, string> = {};
    if (options.metadata && Object.keys(options.metadata).length > 0) {
      fields.metadata = JSON.stringify(options.metadata);
    }
    const own = Object.fromEntries(
      files.flatMap((f) => ('metadata' in f && f.metadata && !(f instanceof Blob) ? [[f.name, f.metadata]] : [])),
    );
    if (Object.keys(own).length > 0) {
      fields.file_metadata = JSON.stringify(own);
    }
    const query = new URLSearchParams();
    if (options.priority !== undefined) {
      query.set('priority', String(options.priority));
    }
    if (options.wait !== undefined) {
      query.set('wait', String(options.wait));
    }
    const url = `${this.baseUrl}/v1/collections/${encodeURIComponent(collectionId)}/documents${query.size ? `?${query}` : ''}`;
    const body = await uploadBody(files, fields, options.onProgress !== undefined);
    const headers = {
      ...this.headers,
      ...(options.idempotencyKey ? { 'idempotency-key': options.idempotencyKey } : {}),
    };
    const attempt = (): Promise<Response> => {
      const made = body.make(options.onProgress);
      const init = { method: 'POST', headers: { ...headers, ...made.headers }, signal: options.signal };
      if (options.onProgress && !made.streamed && typeof XMLHttpRequest !== 'undefined') {
        return xhrSend(url, { ...init, body: made.body as XMLHttpRequestBodyInit }, options.onProgress);
      }
      return this.fetch(url, {
        ...init,
        body: made.body,
        // Node's fetch sends a stream body only half-duplex, and wants to be told.
        ...(made.streamed ? { duplex: 'half' } : {}),
      } as RequestInit);
    };
    // A streamed body is read as it is sent: it goes once, never again after a 429 or 503.
    const response = body.replayable
      ? await this.send(attempt, Boolean(options.idempotencyKey), options.signal)
      : await attempt();
    if (!response.ok) {
      throw await errorOf(response);
    }
    return (await response.json()) as UploadAnswer;
  }
}
