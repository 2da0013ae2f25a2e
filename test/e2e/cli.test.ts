import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeCorpus } from '../helpers/corpus.js';
import { runCli } from '../helpers/run-cli.js';

describe('sluice CLI', () => {
  it('ingests a folder with progress, queries it, lists jobs and retries failures', async () => {
    const root = mkdtempSync(join(tmpdir(), 'sluice-cli-'));
    const folder = join(root, 'docs');
    writeCorpus(folder, 12);
    writeFileSync(
      join(folder, 'install.md'),
      '# Installing packages\n\nTo install packages, run `apt-get install name` as root.\n',
    );
    writeFileSync(join(folder, 'broken.json'), '{"half": ');
    const data = join(root, 'data');

    const ingest = await runCli(['ingest', folder, '--collection', 'docs', '--data-dir', data]);
    expect(ingest.stdout).toMatch(/files 14\/14/);
    expect(ingest.stdout).toMatch(/13 completed, 0 skipped as duplicate, 1 failed/);
    expect(ingest.stdout).toMatch(/broken\.json\s+\[corrupt_file\]/);
    expect(ingest.code).toBe(1);

    const query = await runCli(['query', 'how do I install packages', '-c', 'docs', '-k', '3', '-d', data]);
    expect(query.code).toBe(0);
    expect(query.stdout.split('\n')[0]).toMatch(/^1\. .*install\.md\s+\(chunk 0, chars 0-\d+\)\s+score/);

    const json = await runCli(['query', 'apt-get', '-c', 'docs', '--mode', 'text', '--json', '-d', data]);
    const hits = JSON.parse(json.stdout) as { source: string; charStart: number; text: string }[];
    expect(hits[0]?.source).toBe(join(folder, 'install.md'));

    const jobs = await runCli(['jobs', '-d', data]);
    expect(jobs.stdout).toMatch(/files 14\/14 .*completed 13, failed 1/);
    const failed = await runCli(['jobs', '--state', 'failed', '-d', data]);
    expect(failed.stdout).toMatch(/failed\s+attempts 1 .*broken\.json\s+\[corrupt_file\]/);

    writeFileSync(join(folder, 'broken.json'), '{"half": "fixed now"}');
    const again = await runCli(['ingest', folder, '--collection', 'docs', '--data-dir', data]);
    expect(again.stdout).toMatch(/1 completed, 13 skipped as duplicate, 0 failed/);
    expect(again.code).toBe(0);

    const retry = await runCli(['retry', '--failed', '-d', data]);
    expect(retry.stdout).toMatch(/^0 documents queued again/);

    const badFlag = await runCli(['query', 'x', '-c', 'nope', '-d', data]);
    expect(badFlag.code).toBe(1);
    expect(badFlag.stderr).toMatch(/error \[not_found\]: No collection named "nope"/);

    const badConfig = await runCli(['jobs', '-d', data], { SLUICE_CHUNK_TOKENS: 'many' });
    expect(badConfig.code).toBe(1);
    expect(badConfig.stderr).toMatch(/chunkTokens \(SLUICE_CHUNK_TOKENS\)/);
  });

  it('queues with --no-wait and processes with `sluice worker --until-idle`', async () => {
    const root = mkdtempSync(join(tmpdir(), 'sluice-worker-'));
    const folder = join(root, 'docs');
    writeCorpus(folder, 5);
    const data = join(root, 'data');
    const queued = await runCli(['ingest', folder, '-c', 'docs', '--no-wait', '-d', data]);
    expect(queued.stdout).toMatch(/5 files queued/);
    const pending = await runCli(['jobs', '--state', 'queued', '-d', data]);
    expect(pending.stdout.trim().split('\n')).toHaveLength(5);
    const worker = await runCli(['worker', '--until-idle', '-d', data, '--log-level', 'silent']);
    expect(worker.stdout).toMatch(/5 unfinished documents resumed/);
    const done = await runCli(['jobs', '--state', 'completed', '-d', data]);
    expect(done.stdout.trim().split('\n')).toHaveLength(5);
  });

  it('reindexes a collection into another embedder and swaps names when done', async () => {
    const root = mkdtempSync(join(tmpdir(), 'sluice-reindex-'));
    const folder = join(root, 'docs');
    writeCorpus(folder, 6);
    writeFileSync(join(folder, 'otters.md'), '# Otters\n\nSea otters hold hands while they sleep.');
    const data = join(root, 'data');
    expect((await runCli(['ingest', folder, '-c', 'docs', '-d', data])).code).toBe(0);

    const small = { SLUICE_EMBED_DIMENSION: '128' };
    const mismatch = await runCli(['query', 'otters', '-c', 'docs', '-d', data, '--mode', 'vector'], small);
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toMatch(/embedder_mismatch/);

    const reindex = await runCli(['reindex', '-c', 'docs', '--into', 'docs-128', '--swap', '-d', data], small);
    expect(reindex.stdout).toMatch(/7 completed, 0 skipped as duplicate, 0 failed/);
    expect(reindex.stdout).toMatch(/Swapped: "docs" now holds/);
    expect(reindex.code).toBe(0);

    const now = await runCli(
      ['query', 'sea otters sleep', '-c', 'docs', '-d', data, '--mode', 'vector', '--json'],
      small,
    );
    expect((JSON.parse(now.stdout) as { source: string }[])[0]?.source).toBe(join(folder, 'otters.md'));
    const old = await runCli(['query', 'sea otters sleep', '-c', 'docs-128', '-d', data, '--mode', 'vector', '--json']);
    expect((JSON.parse(old.stdout) as { source: string }[])[0]?.source).toBe(join(folder, 'otters.md'));
  });
});
