import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../helpers/cluster.js';
import { watchPeakRss } from '../helpers/peak-rss.js';

// Fetched from Debian's r-doc-pdf by `npm test`'s pretest step (scripts/ensure-test-prerequisites.sh).
const manual = fileURLToPath(new URL('../../.cache/test-fixtures/fullrefman.pdf', import.meta.url));

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

describe('the largest PDF', { timeout: 240_000 }, () => {
  it('the R reference manual (2,415 pages) ingests on a worker whose processes together stay under 400 MB of resident memory', async () => {
    expect(existsSync(manual), `${manual} is missing: run scripts/ensure-test-prerequisites.sh`).toBe(true);
    cluster = await startCluster({ workers: 1, ledger: 'sqlite', env: { SLUICE_PARSE_PROCESSES: '2' } });
    const worker = cluster.workers[0]!;
    const rss = watchPeakRss(worker.child.pid!);
    const { batchId } = await cluster.upload([manual]);
    const final = await cluster.waitForBatch(batchId, 200_000);
    const peak = rss.stop();
    console.log(
      `largest PDF: peaks of the worker ${peak.selfMb.toFixed(0)} MB, of its parse processes ${peak.childrenMb.map((mb) => mb.toFixed(0)).join(', ')} MB; ` +
        `largest sampled total ${peak.treeMb.toFixed(0)} MB`,
    );
    expect(final.counts).toEqual({ completed: 1 });

    const db = new Database(cluster.ledgerPath, { readonly: true });
    const pages = db.prepare('SELECT count(*) AS chunks, min(page) AS first, max(page) AS last FROM chunks').get() as {
      chunks: number;
      first: number;
      last: number;
    };
    db.close();
    // Chunks cite pages from the first to the last of the manual.
    expect(pages.first).toBe(1);
    expect(pages.last).toBeGreaterThan(2400);
    expect(pages.chunks).toBeGreaterThan(3000);
    // The worker and every parse process it started count, sampled together every 50 ms. (A parse
    // process that grew with the book is replaced once it is done, so their peaks do not add up.)
    expect(peak.childrenMb.length).toBeGreaterThanOrEqual(1);
    expect(peak.treeMb).toBeLessThan(400);
    expect(peak.selfMb).toBeLessThan(400);
    expect(Math.max(...peak.childrenMb)).toBeLessThan(400);
  });
});
