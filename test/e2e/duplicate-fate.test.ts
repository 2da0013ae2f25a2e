import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeCorpus } from '../helpers/corpus.js';
import { runCli } from '../helpers/run-cli.js';

describe('Copies share their original’s fate', () => {
  it('gives the same counts on every fresh ingest of a corpus holding copies of failing files', async () => {
    const root = mkdtempSync(join(tmpdir(), 'sluice-copies-'));
    const folder = join(root, 'docs');
    const good = writeCorpus(folder, 20);
    // Five files that fail, each with three copies under other names; five good files with a copy each.
    for (let i = 0; i < 5; i++) {
      writeFileSync(join(folder, `broken-${i}.json`), `{"half ${i}": `);
      for (let copy = 1; copy <= 3; copy++) {
        copyFileSync(join(folder, `broken-${i}.json`), join(folder, `broken-${i}-copy-${copy}.json`));
      }
      copyFileSync(join(folder, good[i] as string), join(folder, `good-copy-${i}-${good[i] as string}`));
    }
    const summaries: string[] = [];
    for (let run = 0; run < 3; run++) {
      const data = join(root, `data-${run}`);
      const ingest = await runCli(['ingest', folder, '--collection', 'docs', '--data-dir', data, '--concurrency', '4']);
      const summary = /(\d+) completed, (\d+) skipped as duplicate, (\d+) failed/.exec(ingest.stdout)?.[0];
      summaries.push(summary ?? ingest.stdout + ingest.stderr);
      // Every copy of a failing file fails with its code; each good copy is skipped.
      const failed = await runCli(['jobs', '--state', 'failed', '-d', data]);
      expect(failed.stdout.match(/\[corrupt_file\]/g)).toHaveLength(20);
    }
    expect(summaries).toEqual(Array(3).fill('20 completed, 5 skipped as duplicate, 20 failed'));
  });
});
