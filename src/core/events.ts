import type { ErrorCode } from './errors.js';
import type { DocumentState } from './states.js';

/** What happens to documents, as it is logged and streamed. */
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
      /** While a paged file (PDF) is parsed: the pages read so far, of its pages. */
      pagesParsed?: number;
      pagesTotal?: number;
      at: string;
    };

/** An event as recorded in the log: `seq` grows with every event, so a reader can resume after any. */
export type StoredEvent = SluiceEvent & { seq: number };
