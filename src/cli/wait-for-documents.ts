import { isTerminal } from '../core/states.js';
import type { BatchProgress, DocumentRecord } from '../core/types.js';
import type { AppContext } from '../app/create-app.js';

/**
 * Resolves when the batch and any extra documents (same files already pending from an earlier run)
 * have all reached a terminal state; `extraIds` answers undefined while files are still being added. Events make it prompt; a slow poll makes it certain, since the
 * store, not the event stream, is the truth.
 */
export async function waitForDocuments(
  app: AppContext,
  batchId: string,
  extraIds: () => string[] | undefined,
  onProgress: (progress: BatchProgress) => void,
  signal?: AbortSignal,
): Promise<BatchProgress> {
  let timer: NodeJS.Timeout | undefined;
  let unsubscribe: (() => void) | undefined;
  try {
    return await new Promise<BatchProgress>((resolve, reject) => {
      // Stopped (the files could not all be recorded): no more reads of a store about to close.
      signal?.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
      let checking = false;
      let again = false;
      const check = async (): Promise<void> => {
        if (checking) {
          again = true;
          return;
        }
        checking = true;
        try {
          const progress = await app.store.getBatchProgress(batchId);
          if (!progress) {
            throw new Error(`batch ${batchId} vanished`);
          }
          onProgress(progress);
          const ids = extraIds();
          const extras = await Promise.all((ids ?? []).map((id) => app.store.getDocument(id)));
          if (ids && progress.finished && extras.every((d: DocumentRecord | undefined) => !d || isTerminal(d.state))) {
            resolve(progress);
          }
        } finally {
          checking = false;
        }
        if (again) {
          again = false;
          await check();
        }
      };
      const safeCheck = (): void => {
        check().catch(reject);
      };
      let pending = false;
      unsubscribe = app.events.subscribe(() => {
        if (!pending) {
          pending = true;
          setTimeout(() => {
            pending = false;
            safeCheck();
          }, 100);
        }
      });
      timer = setInterval(safeCheck, 1000);
      safeCheck();
    });
  } finally {
    clearInterval(timer);
    unsubscribe?.();
  }
}
