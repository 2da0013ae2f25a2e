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

/** Progress events; delivery is best-effort, the store is the truth. */
export interface EventBus {
  publish(event: SluiceEvent): void;
  /** Returns the function that unsubscribes. */
  subscribe(listener: (event: SluiceEvent) => void): () => void;
}
