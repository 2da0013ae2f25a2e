import type { SluiceEvent } from './events.js';
import type { ErrorCode } from './errors.js';
import type { DocumentState } from './states.js';
import type { DocumentRecord } from './types.js';

/** The state event of a document, the one shape every publisher (pipeline, intake, actions) uses. */
export function documentStateEvent(
  doc: DocumentRecord,
  state: DocumentState = doc.state,
  error?: { code: ErrorCode; message: string },
): SluiceEvent {
  return {
    type: 'document.state',
    documentId: doc.id,
    batchId: doc.batchId,
    state,
    attempt: doc.attempts,
    ...(error ? { errorCode: error.code, errorMessage: error.message } : {}),
    at: new Date().toISOString(),
  };
}
