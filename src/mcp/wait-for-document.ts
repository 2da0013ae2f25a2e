import { setTimeout as sleep } from 'node:timers/promises';
import { isTerminal } from '../core/states.js';
import type { DocumentRecord } from '../core/types.js';
import type { Store } from '../ports/store.js';

/**
 * The document once it reaches a terminal state, or as it stands when `seconds` pass or `signal` says
 * the caller left. Reads the ledger, a little less often as time goes on; nothing else is held.
 */
export async function waitForDocument(
  store: Pick<Store, 'getDocument'>,
  document: DocumentRecord,
  seconds: number,
  signal: AbortSignal,
): Promise<DocumentRecord> {
  const deadline = Date.now() + seconds * 1000;
  let current = document;
  for (let pause = 50; !isTerminal(current.state); pause = Math.min(pause * 1.5, 500)) {
    const left = deadline - Date.now();
    if (left <= 0 || signal.aborted) {
      break;
    }
    await sleep(Math.min(pause, left), undefined, { signal }).catch(() => undefined);
    current = (await store.getDocument(current.id)) ?? current;
  }
  return current;
}
