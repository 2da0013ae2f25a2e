import { isTerminal } from '../core/states.js';
import type { BatchProgress } from '../core/types.js';
import type { Store } from '../ports/store.js';

/** The longest `?wait` an upload may ask for: beyond it, a request would outlive common proxy timeouts. */
export const maxUploadWaitSeconds = 60;

/**
 * The batch's progress once it is finished and so are `elsewhere` (documents of the upload that another
 * batch holds: the same file already on its way), or undefined when `seconds` pass first or `gone` says
 * the client left. Reads the ledger, a little less often as time goes on; nothing is held meanwhile
 * but the request (no worker, no lock).
 */
export async function waitForBatch(
  store: Pick<Store, 'getBatchProgress' | 'getDocument'>,
  batchId: string,
  seconds: number,
  gone: () => boolean,
  elsewhere: readonly string[] = [],
): Promise<BatchProgress | undefined> {
  const deadline = Date.now() + seconds * 1000;
  let waiting = [...elsewhere];
  for (let pause = 50; ; pause = Math.min(pause * 1.5, 500)) {
    const progress = await store.getBatchProgress(batchId);
    const states = await Promise.all(waiting.map((id) => store.getDocument(id)));
    waiting = waiting.filter((_, i) => {
      const state = states[i]?.state;
      return state !== undefined && !isTerminal(state);
    });
    if (progress?.finished && waiting.length === 0) {
      return progress;
    }
    const left = deadline - Date.now();
    if (left <= 0 || gone()) {
      return undefined;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(pause, left)));
  }
}
