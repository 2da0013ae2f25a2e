/** One file of an upload, as its row shows it. */
export interface Row {
  key: string;
  name: string;
  size: number;
  documentId?: string;
  state: string;
  sent: number;
  chunksEmbedded: number;
  chunksTotal: number;
  /** Pages of a PDF read so far, of its pages, while it is parsed. */
  pagesParsed?: number;
  pagesTotal?: number;
  error?: string;
}

/**
 * The rows of the current batch, with a listener per row: an event re-renders the one row it is
 * about (and, at most once a frame, the totals), never the whole list, so 500 files stay smooth.
 */
export function createRowStore() {
  const rows = new Map<string, Row>();
  const byDocument = new Map<string, string>();
  const rowListeners = new Map<string, () => void>();
  const listListeners = new Set<() => void>();
  const totalsListeners = new Set<() => void>();
  let totalsQueued = false;
  const touchTotals = (): void => {
    if (!totalsQueued) {
      totalsQueued = true;
      requestAnimationFrame(() => {
        totalsQueued = false;
        totalsListeners.forEach((l) => l());
      });
    }
  };
  return {
    keys: (): string[] => [...rows.keys()],
    get: (key: string): Row | undefined => rows.get(key),
    all: (): Row[] => [...rows.values()],
    reset(next: Row[]): void {
      rows.clear();
      byDocument.clear();
      next.forEach((row) => {
        rows.set(row.key, row);
        if (row.documentId) {
          byDocument.set(row.documentId, row.key);
        }
      });
      listListeners.forEach((l) => l());
      touchTotals();
    },
    update(key: string, change: Partial<Row>): void {
      const row = rows.get(key);
      if (!row) {
        return;
      }
      Object.assign(row, change);
      if (change.documentId) {
        byDocument.set(change.documentId, key);
      }
      rowListeners.get(key)?.();
      touchTotals();
    },
    updateDocument(documentId: string, change: Partial<Row>): void {
      const key = byDocument.get(documentId);
      if (key) {
        this.update(key, change);
      }
    },
    onRow(key: string, listener: () => void): () => void {
      rowListeners.set(key, listener);
      return () => rowListeners.delete(key);
    },
    onList(listener: () => void): () => void {
      listListeners.add(listener);
      return () => listListeners.delete(listener);
    },
    onTotals(listener: () => void): () => void {
      totalsListeners.add(listener);
      return () => totalsListeners.delete(listener);
    },
  };
}
export type RowStore = ReturnType<typeof createRowStore>;
