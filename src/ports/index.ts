export type { BlobEntry, BlobStore, FileTally, StagedBlob, StoredBlob } from './blob-store.js';
export type { Embedder } from './embedder.js';
export type { EventBus, SluiceEvent, StoredEvent } from './event-bus.js';
export type { DocumentParser, ParseInput } from './parser.js';
export type { DocumentSplitter, SplitDocument, SplitOptions } from './splitter.js';
export type {
  BatchHandler,
  BatchJob,
  BatchResult,
  DocumentJob,
  FanIn,
  JobHandler,
  JobOutcome,
  JobQueue,
  QueuePayloads,
  QueueStats,
  StartOptions,
} from './queue.js';
export type {
  DocumentFilter,
  RegisterDocumentInput,
  RegisterOutcome,
  Store,
  WaitingSummary,
  WorkerInfo,
} from './store.js';
export type { TextTokenIndex, Tokenizer } from './tokenizer.js';
export type { Logger } from './logger.js';
export type { RateLimiter, RateLimits } from './rate-limiter.js';
