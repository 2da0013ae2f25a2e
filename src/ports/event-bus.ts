import type { ErrorCode } from '../core/errors.js';
import type { DocumentState } from '../core/states.js';

export type SluiceEvent =
  | {
      type: 'document.state';
      documentId: string;
      batchId: string;
      state: DocumentState;
      attempt: number;
      errorCode?: ErrorCode;
      errorMessage?: string;
      at: string;
    }
  | {
      type: 'document.progress';
      documentId: string;
      batchId: string;
      chunksEmbedded: number;
      chunksTotal: number;
      at: string;
    };

/** An event as recorded in the log: `seq` grows with every event, so a reader can resume after any. */
export type StoredEvent = SluiceEvent & { seq: number };

/**
 * Progress events. Every event is appended to a durable log before listeners hear of it, so a stream
 * can replay what it missed (SSE `Last-Event-ID`) and then follow live ones without a gap.
 */
export interface EventBus {
  publish(event: SluiceEvent): Promise<void>;
  /** Returns the function that unsubscribes. Listeners must not throw; a throw is reported, not spread. */
  subscribe(listener: (event: StoredEvent) => void): () => void;
}
