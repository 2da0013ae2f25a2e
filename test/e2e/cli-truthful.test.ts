import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { writeCorpus } from '../helpers/corpus.js';
import { freePort } from '../helpers/free-port.js';
import { cliPath, runCli } from '../helpers/run-cli.js';

/** Runs the CLI with its stdout piped into a reader that takes one line and closes the pipe, as `| head -1` does. */
function firstLineOnly(args: string[]): Promise<{ code: number | null; stderr: string; line: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let line = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.once('data', (d: Buffer) => {
      line = d.toString().split('\n')[0] ?? '';
      child.stdout.destroy();
    });
    child.on('close', (code) => resolve({ code, stderr, line }));
  });
}

describe('the CLI tells the truth at the edges', () => {
  let root: string;
  let data: string;
  let folder: string;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'sluice-edges-'));
    folder = join(root, 'docs');
    // Enough output that a reader closing after one line leaves the CLI writing into a closed pipe.
    writeCorpus(folder, 40);
    data = join(root, 'data');
    const ingest = await runCli(['ingest', folder, '-c', 'docs', '-d', data]);
    expect(ingest.code).toBe(0);
  });

  it('ends quietly with 0 when the reader of its output goes away', async () => {
    for (const args of [
      ['query', 'the', '-c', 'docs', '-k', '200', '--json', '-d', data],
      ['jobs', '--state', 'completed', '-n', '200', '-d', data],
    ]) {
      const run = await firstLineOnly(args);
      expect(run.line.length).toBeGreaterThan(0);
      expect(run.stderr).not.toMatch(/EPIPE|Unhandled/);
      expect(run.code).toBe(0);
    }
  });

  it('says what was not found, with a code and exit 1', async () => {
    const batch = await runCli(['jobs', '--batch', 'bat_nonexistent', '-d', data]);
    expect(batch.code).toBe(1);
    expect(batch.stderr).toMatch(/error \[not_found\]: No batch bat_nonexistent/);
    const cancel = await runCli(['cancel', 'doc_nonexistent', '-d', data]);
    expect(cancel.code).toBe(1);
    expect(cancel.stderr).toMatch(/error \[not_found\]: No document doc_nonexistent/);
    const empty = await runCli(['query', '', '-c', 'docs', '-d', data]);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(/\[invalid_input\]/);
  });

  it('refuses an empty collection name and a path that is not there, before ingesting anything', async () => {
    const file = join(root, 'one.txt');
    writeFileSync(file, 'one small file');
    const unnamed = await runCli(['ingest', file, '-c', '', '-d', data]);
    expect(unnamed.code).toBe(1);
    expect(unnamed.stderr).toMatch(/\[invalid_input\].*collection name/i);
    const missing = await runCli(['ingest', file, join(root, 'nope.txt'), '-c', 'other', '-d', data]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/\[not_found\].*nope\.txt/);
    const jobs = await runCli(['jobs', '--json', '-d', data]);
    const labels = (JSON.parse(jobs.stdout) as { batch: { label: string } }[]).map((b) => b.batch.label);
    expect(labels.some((label) => label.includes('one.txt'))).toBe(false);
  });

  it('reports an unknown option as unknown, even when a required one is missing', async () => {
    const typo = await runCli(['ingest', folder, '--colection', 'x', '-d', data]);
    expect(typo.code).toBe(1);
    expect(typo.stderr).toMatch(/unknown option '--colection'/);
    expect(typo.stderr).not.toMatch(/required option/);
  });

  it('does not make a data folder for a command that only reads', async () => {
    const nowhere = join(root, 'not-made');
    for (const args of [['jobs'], ['query', 'x', '-c', 'docs'], ['status']]) {
      const run = await runCli([...args, '-d', nowhere]);
      expect(run.code, args.join(' ')).toBe(1);
      expect(run.stderr).toMatch(/\[not_found\]: No Sluice data in/);
    }
    expect(existsSync(nowhere)).toBe(false);
  });

  it('says Redis is unreachable instead of waiting for it, for a command that only reads', async () => {
    // A port nothing listens on: connections are refused at once, and ioredis would retry for ever.
    const env = { REDIS_URL: `redis://127.0.0.1:${await freePort()}` };
    for (const args of [['status'], ['jobs']]) {
      const started = performance.now();
      const run = await runCli([...args, '-d', data], env);
      expect(run.code, args.join(' ')).toBe(1);
      expect(run.stderr).toMatch(/error \[dependency_unavailable\]: Redis \(REDIS_URL\) did not answer within 5 s/);
      expect(performance.now() - started).toBeLessThan(15_000);
    }
  });

  it("reads an embedded server's queue off the ledger, since that queue is in the server's process", async () => {
    // A ledger as `sluice serve` leaves it mid-run: one document running, one handed to its queue,
    // one waiting out a retry, one waiting for its tenant's share.
    const folder = join(root, 'mid-run');
    mkdirSync(folder);
    const store = createSqliteStore({ path: join(folder, 'sluice.db') });
    const tenant = await store.ensureTenant('default');
    const collection = await store.ensureCollection(tenant.id, 'docs', { name: 'hash', model: 'hash', dimension: 4 });
    const batch = await store.createBatch(collection.id, 'b');
    const ids: string[] = [];
    for (const name of ['a', 'b', 'c', 'd']) {
      const registered = await store.registerDocument({
        collectionId: collection.id,
        batchId: batch.id,
        source: name,
        sha256: name,
        sizeBytes: 1,
      });
      ids.push(registered.document.id);
    }
    await store.dispatch(tenant.id, { maxInFlight: 3 });
    await store.claim(ids[0]!, 'att_a', 'wrk_gone');
    await store.claim(ids[1]!, 'att_b', 'wrk_gone');
    await store.scheduleRetry(ids[1]!, 'att_b', 'embedder_failed', 'down', new Date(Date.now() + 60_000));
    await store.close();

    const run = await runCli(['status', '--json', '-d', folder]);
    expect(run.code).toBe(0);
    const status = JSON.parse(run.stdout) as { queue: Record<string, number> };
    expect(status.queue).toEqual({ waiting: 1, active: 1, delayed: 1, failed: 0 });
    const text = await runCli(['status', '-d', folder]);
    expect(text.stdout).toMatch(/queue: 1 waiting, 1 active, 1 delayed, 0 failed/);
  });

  it('lists only the options a command uses in its help', async () => {
    for (const command of ['query', 'jobs', 'status', 'cancel']) {
      const help = await runCli([command, '--help']);
      expect(help.stdout, command).not.toMatch(/--chunk-tokens|--embed-batch-size|--concurrency/);
      expect(help.stdout).toMatch(/--data-dir/);
    }
    const ingest = await runCli(['ingest', '--help']);
    expect(ingest.stdout).toMatch(/--chunk-tokens/);
  });
});

describe('the ingest summary', () => {
  it('groups failures by code, shows a few of each, says how to list them all, and ends with the counts', async () => {
    const root = mkdtempSync(join(tmpdir(), 'sluice-summary-'));
    const folder = join(root, 'docs');
    writeCorpus(folder, 3);
    for (let i = 0; i < 5; i++) {
      writeFileSync(join(folder, `broken-${i}.json`), `{"half": ${i}`);
    }
    writeFileSync(join(folder, 'empty.txt'), '   \n');
    const run = await runCli(['ingest', folder, '-c', 'docs', '-d', join(root, 'data')]);
    expect(run.code).toBe(1);
    const lines = run.stdout.trim().split('\n');
    const corrupt = lines.findIndex((line) => /^Failed: 5 × corrupt_file$/.test(line));
    expect(corrupt).toBeGreaterThanOrEqual(0);
    expect(
      lines
        .slice(corrupt + 1, corrupt + 4)
        .every((line) => /^ {2}failed {2}.*broken-\d\.json {2}\[corrupt_file\]/.test(line)),
    ).toBe(true);
    expect(lines[corrupt + 4]).toMatch(/^Failed: 1 × empty_document$/);
    expect(run.stdout).toMatch(/\(2 more not shown; all of them: sluice jobs -d \S+ --batch bat_\w+ --state failed/);
    expect(lines.at(-1)).toMatch(/^Done in .*: 3 completed, 0 skipped as duplicate, 6 failed, 0 cancelled/);
  });
});
