export type { BlobStore, StoredBlob } from './blob-store.js';
export type { Embedder } from './embedder.js';
export type { EventBus, SluiceEvent, StoredEvent } from './event-bus.js';
export type { DocumentParser, ParseInput } from './parser.js';
export type { DocumentJob, JobHandler, JobOutcome, JobQueue, QueuePayloads, QueueStats } from './queue.js';
export type { DocumentFilter, RegisterDocumentInput, RegisterOutcome, Store, WorkerInfo } from './store.js';
export type { Tokenizer } from './tokenizer.js';
export type { Logger } from './logger.js';
