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

/** Failures shown for each error code; the rest are counted, and where to list them is said. */
const examplesPerCode = 3;

/**
 * Prints the failures grouped by error code, most frequent first, a few of each, then the completed /
 * skipped / failed counts last, where they stay on screen; returns the failure count. `listAll` says
 * how to see every failure, printed when some were left out.
 */
export function printSummary(documents: SummaryRow[], elapsedMs: number, listAll?: string): number {
  const count = (state: DocumentRecord['state']): number => documents.filter((d) => d.state === state).length;
  const chunks = documents.reduce(
    (sum, d) =>
      sum +
      (d.state === 'completed' ? d.chunksTotal : d.state === 'completed_with_errors' ? (d.chunksEmbedded ?? 0) : 0),
    0,
  );
  const failed = documents.filter((d) => d.state === 'failed');
  const partial = documents.filter((d) => d.state === 'completed_with_errors');
  let left = 0;
  for (const [label, rows] of [
    ['partly', partial],
    ['failed', failed],
  ] as const) {
    left += printByCode(label, rows);
  }
  if (left > 0) {
    print(`  (${left} more not shown${listAll ? `; all of them: ${listAll}` : ''})`);
  }
  print(
    `Done in ${(elapsedMs / 1000).toFixed(1)} s: ${count('completed')} completed, ` +
      `${partial.length > 0 ? `${partial.length} completed with errors, ` : ''}${count('skipped')} skipped as duplicate, ` +
      `${failed.length} failed, ${count('cancelled')} cancelled; ${chunks} chunks indexed.`,
  );
  return failed.length;
}

/** One block per error code: its count, then a few of its documents; returns how many were not shown. */
function printByCode(label: 'partly' | 'failed', rows: readonly SummaryRow[]): number {
  const byCode = new Map<string, SummaryRow[]>();
  for (const row of rows) {
    const code = row.errorCode ?? 'unknown';
    const group = byCode.get(code) ?? [];
    group.push(row);
    byCode.set(code, group);
  }
  let hidden = 0;
  for (const [code, group] of [...byCode].sort((a, b) => b[1].length - a[1].length)) {
    print(`${label === 'failed' ? 'Failed' : 'Completed with errors'}: ${group.length} × ${code}`);
    for (const doc of group.slice(0, examplesPerCode)) {
      print(`  ${label}  ${doc.source}  [${code}] ${doc.errorMessage ?? ''}`);
    }
    hidden += Math.max(0, group.length - examplesPerCode);
  }
  return hidden;
}
