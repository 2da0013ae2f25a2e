import type { DocumentRecord } from '../core/types.js';
import type { AppContext } from '../app/create-app.js';
import { print } from './output.js';

/** All documents of a batch, page by page. */
export async function listBatchDocuments(app: AppContext, batchId: string): Promise<DocumentRecord[]> {
  const all: DocumentRecord[] = [];
  for (let after: string | undefined; ;) {
    const page = await app.store.listDocuments({ batchId, limit: 1000, ...(after ? { after } : {}) });
    all.push(...page);
    if (page.length < 1000) {
      return all;
    }
    after = page[page.length - 1]?.id;
  }
}

/** What the summary needs of a document, whether read from the ledger or from the HTTP API. */
export type SummaryRow = Pick<DocumentRecord, 'source' | 'state' | 'errorCode' | 'errorMessage' | 'chunksTotal'> &
  Partial<Pick<DocumentRecord, 'chunksEmbedded'>>;

/** Prints completed / skipped / failed counts and each failure's reason; returns the failure count. */
export function printSummary(documents: SummaryRow[], elapsedMs: number): number {
  const count = (state: DocumentRecord['state']): number => documents.filter((d) => d.state === state).length;
  const chunks = documents.reduce(
    (sum, d) =>
      sum +
      (d.state === 'completed' ? d.chunksTotal : d.state === 'completed_with_errors' ? (d.chunksEmbedded ?? 0) : 0),
    0,
  );
  const failed = documents.filter((d) => d.state === 'failed');
  const partial = documents.filter((d) => d.state === 'completed_with_errors');
  print(
    `Done in ${(elapsedMs / 1000).toFixed(1)} s: ${count('completed')} completed, ` +
      `${partial.length > 0 ? `${partial.length} completed with errors, ` : ''}${count('skipped')} skipped as duplicate, ` +
      `${failed.length} failed, ${count('cancelled')} cancelled; ${chunks} chunks indexed.`,
  );
  for (const doc of partial) {
    print(`  partly  ${doc.source}  [${doc.errorCode ?? 'unknown'}] ${doc.errorMessage ?? ''}`);
  }
  for (const doc of failed) {
    print(`  failed  ${doc.source}  [${doc.errorCode ?? 'unknown'}] ${doc.errorMessage ?? ''}`);
  }
  return failed.length;
}
