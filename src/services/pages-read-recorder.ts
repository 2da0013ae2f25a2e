import type { DocumentRecord } from '../core/types.js';
import type { EventBus } from '../ports/event-bus.js';
import type { Logger } from '../ports/logger.js';
import type { Store } from '../ports/store.js';

/** Pages read are written and announced at most this often per document: progress, not a log of pages. */
const writeEveryMs = 1000;

export interface PagesReadRecorder {
  /** Takes the latest count the parser reported. */
  hear(pages: { read: number; total: number }): void;
  /** Resolves once the last count heard is written (or refused: the attempt is stale). */
  settle(): Promise<void>;
}

/**
 * Records the pages of a paged file (PDF) that a running attempt has read, as its parser reports them,
 * so that progress inside one large file shows in the ledger, the API and the event stream: at most
 * one write and event a second, never two at once, and the last count heard always. A write that fails
 * costs only that update; the attempt goes on.
 */
export function createPagesReadRecorder(
  { store, events, logger }: { store: Store; events: EventBus; logger: Logger },
  doc: DocumentRecord,
  attemptId: string,
): PagesReadRecorder {
  let latest: { read: number; total: number } | undefined;
  let writtenAt = 0;
  let writing: Promise<void> | undefined;

  const write = async (pages: { read: number; total: number }): Promise<void> => {
    if (await store.recordPages(doc.id, attemptId, pages)) {
      await events.publish({
        type: 'document.progress',
        documentId: doc.id,
        batchId: doc.batchId,
        chunksEmbedded: 0,
        chunksTotal: 0,
        pagesParsed: pages.read,
        pagesTotal: pages.total,
        at: new Date().toISOString(),
      });
    }
  };
  const pump = (): void => {
    if (writing || !latest) {
      return;
    }
    const pages = latest;
    latest = undefined;
    writtenAt = Date.now();
    writing = write(pages)
      .catch((error: unknown) => logger.warn({ documentId: doc.id, err: error }, 'pages read not recorded'))
      .finally(() => {
        writing = undefined;
        // The last page's count waits for nothing: it is what stays once parsing ends.
        if (latest && latest.read >= latest.total) {
          pump();
        }
      });
  };
  return {
    hear(pages) {
      latest = pages;
      if (Date.now() - writtenAt >= writeEveryMs || pages.read >= pages.total) {
        pump();
      }
    },
    async settle() {
      while (writing || latest) {
        pump();
        await writing;
      }
    },
  };
}
