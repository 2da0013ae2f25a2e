import type { ChunkerOptions } from '../core/chunker.js';
import type { ParserLimits } from '../parsers/create-document-parser.js';
import { createInProcessSplitter } from '../parsers/in-process-splitter.js';
import { createSandboxedSplitter } from '../runtime/parse-processes/sandboxed-splitter.js';
import type { BlobStore, DocumentSplitter, Embedder, EventBus, JobQueue, Logger, Store } from '../ports/index.js';
import { createDocumentProcessor } from '../services/process-document.js';
import type { SluiceConfig } from './config.js';
import { loadTokenizer } from './create-embedder.js';

/** Parses and chunks in this process (`SLUICE_PARSE_PROCESSES=0`); the parsers, too, are loaded only then. */
async function createSplitterInProcess(limits: ParserLimits, chunker: ChunkerOptions): Promise<DocumentSplitter> {
  const { createDocumentParser } = await import('../parsers/create-document-parser.js');
  return createInProcessSplitter(createDocumentParser(limits), await loadTokenizer(), chunker);
}

/** What processes documents in this thread: the splitter (parse processes, or parsers here) and the processor. */
export interface Work {
  processor: ReturnType<typeof createDocumentProcessor>;
  splitter: DocumentSplitter;
}

export async function createWork(
  config: SluiceConfig,
  deps: { store: Store; blobs: BlobStore; embedder: Embedder; events: EventBus; logger: Logger; queue: JobQueue },
  workerId: string,
  servesRequests: boolean,
): Promise<Work> {
  const limits = {
    maxFileBytes: config.maxFileBytes,
    parseTimeoutMs: config.parseTimeoutMs,
    nonProse: config.indexNonProse,
  };
  const chunker = { maxTokens: config.chunkTokens, overlapTokens: config.chunkOverlap };
  const splitter =
    config.parseProcesses > 0
      ? createSandboxedSplitter({
          ...limits,
          chunker,
          processes: config.parseProcesses,
          maxHeapMb: config.parseMaxHeapMb,
          nice: config.parseNice,
          splitPdfAboveBytes: config.pdfSplitBytes,
          logger: deps.logger,
        })
      : await createSplitterInProcess(limits, {
          ...chunker,
          // Chunking here shares the thread: with a shared queue the worker must also stay responsive,
          // since BullMQ renews job locks from the event loop and a lock that lapses hands the document
          // to another worker.
          ...(servesRequests || deps.queue.shared
            ? { yieldToEventLoop: () => new Promise<void>((resolve) => setImmediate(resolve)) }
            : {}),
        });
  const processor = createDocumentProcessor(
    { ...deps, splitter, workerId },
    {
      embedBatchSize: config.embedBatchSize,
      maxAttempts: config.maxAttempts,
      backoff: { baseMs: config.retryBaseMs, maxMs: config.retryMaxMs },
      // Batches that go through Redis carry ids; their chunks and vectors wait in the store.
      stageChunks: deps.queue.shared,
    },
  );
  return { processor, splitter };
}
