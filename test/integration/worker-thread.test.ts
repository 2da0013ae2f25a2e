import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/app/config.js';
import { createApp, type AppContext } from '../../src/app/create-app.js';
import { createLogger } from '../../src/app/create-logger.js';
import { createWorkerThreadHost, type WorkerThreadHost } from '../../src/app/worker-thread-host.js';
import type { StoredEvent } from '../../src/ports/event-bus.js';
import { startFakeEmbeddingsServer } from '../helpers/fake-embeddings-server.js';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.js';
import { client, form, startTestServer, type TestServer } from '../helpers/test-server.js';

const text = (topic: string): string =>
  `The ${topic} is described here in some detail, sentence after sentence. `.repeat(200);

let server: TestServer | undefined;
let host: WorkerThreadHost | undefined;
let submitter: AppContext | undefined;
let postgres: TestPostgres | undefined;
afterEach(async () => {
  await server?.close();
  await host?.queue.close(1000);
  await submitter?.close();
  await postgres?.stop();
  server = host = submitter = postgres = undefined;
});

async function uploadAndWait(t: TestServer, files: { name: string; content: string }[]) {
  const api = client(t.url, t.adminKey);
  const collection = await api('POST', '/v1/collections', { name: 'docs' });
  const upload = await api('POST', `/v1/collections/${collection.body.id}/documents`, form(files));
  expect(upload.status).toBe(202);
  await expect
    .poll(async () => (await api('GET', `/v1/batches/${upload.body.batch.id}`)).body.finished, { timeout: 20_000 })
    .toBe(true);
  const documents = await t.app.store.listDocuments({ batchId: upload.body.batch.id, limit: 10 });
  return { api, collection: collection.body.id as string, documents };
}

describe('workers in a thread of their own', () => {
  it('serve runs the ingest in a worker thread of the same process; its events, counts and heartbeat reach the API', async () => {
    server = await startTestServer();
    const { api, collection, documents } = await uploadAndWait(server, [
      { name: 'otters.txt', content: text('otter') },
      { name: 'herons.txt', content: text('heron') },
    ]);
    expect(documents.map((d) => d.state)).toEqual(['completed', 'completed']);

    // Held by the thread's worker, not this thread's, which never claims a document here.
    const live = await server.app.store.listLiveWorkers(60_000);
    expect(live).toHaveLength(1);
    expect(live[0]!.pid).toBe(process.pid);
    expect(live[0]!.id).not.toBe(server.app.workerId);
    expect(new Set(documents.map((d) => d.workerId))).toEqual(new Set([live[0]!.id]));

    // The thread's events reach this thread's listeners (stage timings) and its embedder calls the
    // metrics; the last of them may still be on their way when the batch reads finished.
    const scrape = async (): Promise<string> => (await fetch(`${server!.url}/metrics`)).text();
    await expect
      .poll(scrape, { timeout: 5000 })
      .toMatch(/sluice_stage_duration_seconds_count\{stage="embedding"\} 2\n/);
    const metrics = await scrape();
    expect(Number(/sluice_embedder_calls_total\{outcome="ok"\} (\d+)/.exec(metrics)?.[1])).toBeGreaterThanOrEqual(2);
    expect((await api('GET', '/readyz')).body.checks.workers).toBe('ok (1 live)');
    // Status knows the thread's worker (same pid, another id) for a live one of this process.
    const status = (await api('GET', '/v1/status')).body;
    expect(status.workers.map((w: { id: string }) => w.id)).toEqual([live[0]!.id]);
    expect(status.stalled).toEqual([]);

    const hits = await api('POST', `/v1/collections/${collection}/query`, { query: 'heron', k: 1 });
    expect(hits.body.hits[0].source).toBe('herons.txt');

    // Closing the app stops the thread; the ledger no longer lists its worker.
    await server.close();
    server = undefined;
  });

  it('the worker thread runs at a lower priority than the API thread, and its parse processes lower still', async () => {
    // Linux keeps a nice value per thread: field 19 of /proc/<pid>/task/<tid>/stat.
    const niceOf = (stat: string): number => Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
    const tasks = (): string[] => readdirSync('/proc/self/task');
    const base = getPriority();
    server = await startTestServer({ parseProcesses: 1 });
    await uploadAndWait(server, [{ name: 'otters.txt', content: text('otter') }]);

    // Nice values stop at 19, so a test run that is itself lowered still sees the order, if not the gap.
    const lowered = Math.min(19, base + 10);
    const nices = tasks().map((tid) => niceOf(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')));
    expect(nices.filter((nice) => nice === lowered)).toHaveLength(lowered === base ? nices.length : 1);
    expect(nices.filter((nice) => nice !== base && nice !== lowered)).toEqual([]);
    // The parse process, still idle in its pool, was started by the thread and lowered from there.
    const children = tasks().flatMap((tid) =>
      readFileSync(`/proc/self/task/${tid}/children`, 'utf8').split(' ').filter(Boolean),
    );
    expect(children.length).toBeGreaterThanOrEqual(1);
    for (const pid of children) {
      expect(niceOf(readFileSync(`/proc/${pid}/stat`, 'utf8'))).toBe(Math.min(19, base + 20));
    }

    await server.close();
    server = await startTestServer({ workerThreadNice: 0 });
    await uploadAndWait(server, [{ name: 'herons.txt', content: text('heron') }]);
    expect(
      tasks()
        .map((tid) => niceOf(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')))
        .filter((nice) => nice !== base),
    ).toEqual([]);
  });

  it('works the same on PostgreSQL with the in-process queue: each thread has its own pool', async () => {
    postgres = await startTestPostgres();
    server = await startTestServer({ databaseUrl: await postgres.freshDatabaseUrl() });
    const { api, collection, documents } = await uploadAndWait(server, [
      { name: 'otters.txt', content: text('otter') },
      { name: 'herons.txt', content: text('heron') },
    ]);
    expect(documents.map((d) => d.state)).toEqual(['completed', 'completed']);
    expect(documents[0]!.workerId).not.toBe(server.app.workerId);
    const hits = await api('POST', `/v1/collections/${collection}/query`, { query: 'otter', k: 1 });
    expect(hits.body.hits[0].source).toBe('otters.txt');
  });

  it('with SLUICE_WORKER_THREAD=false the workers run on the API thread', async () => {
    server = await startTestServer({ workerThread: 'false' });
    const { documents } = await uploadAndWait(server, [{ name: 'otters.txt', content: text('otter') }]);
    expect(documents[0]!.state).toBe('completed');
    expect(documents[0]!.workerId).toBe(server.app.workerId);
  });

  it('a worker thread that dies mid-document is replaced, and the new one finishes the document', async () => {
    // The first embedding call hangs long enough for the thread to be stopped while it waits.
    const fake = await startFakeEmbeddingsServer(16, (call) =>
      call === 1 ? { kind: 'slow', ms: 5000 } : { kind: 'ok' },
    );
    const dataDir = mkdtempSync(join(tmpdir(), 'sluice-thread-crash-'));
    const config = loadConfig(
      {},
      {
        dataDir,
        logLevel: 'silent',
        retryBaseMs: 10,
        embedder: 'openai',
        openaiBaseUrl: fake.url,
        embedDimension: 16,
        embedMaxRetries: 0,
      },
    );
    // Submitted by an app without workers, as the API does; the thread resumes it when it starts.
    submitter = await createApp(config);
    const collection = await submitter.ensureCollection((await submitter.defaultTenant()).id, 'docs');
    const batch = await submitter.store.createBatch(collection.id, 'crash');
    const folder = mkdtempSync(join(tmpdir(), 'sluice-thread-crash-in-'));
    const file = join(folder, 'otters.txt');
    await import('node:fs/promises').then((fs) => fs.writeFile(file, text('otter')));
    const [outcome] = await submitter.submit({
      collection,
      batch,
      files: [{ path: file, relativePath: basename(file), sizeBytes: text('otter').length }],
    });
    expect(outcome?.kind).toBe('queued');
    const documentId = outcome!.document.id;

    const events: StoredEvent[] = [];
    const crashed: (string | undefined)[] = [];
    const store = submitter.store;
    host = createWorkerThreadHost({
      config,
      logger: createLogger('silent'),
      onEvent: (event) => events.push(event),
      onEmbedderCall: () => undefined,
      onCrash: async (workerId) => {
        crashed.push(workerId);
        if (workerId) {
          await store.removeWorker(workerId);
        }
      },
    });
    expect(await host.start()).toBe(1);
    await expect.poll(() => fake.calls.length, { timeout: 15_000 }).toBeGreaterThan(0);
    const first = await store.getDocument(documentId);
    expect(first?.state).toBe('embedding');
    const firstThread = host.thread!;
    await firstThread.terminate();

    await expect.poll(() => crashed, { timeout: 10_000 }).toEqual([first!.workerId]);
    await expect.poll(async () => (await store.getDocument(documentId))?.state, { timeout: 20_000 }).toBe('completed');
    const done = await store.getDocument(documentId);
    expect(done?.attempts).toBe(2);
    expect(done?.workerId).not.toBe(first!.workerId);
    expect(host.thread).toBeDefined();
    expect(host.thread).not.toBe(firstThread);
    // Events of both threads reach this one, in the ledger's order. The document's state is written a
    // moment before its event is logged and posted, so the last one may still be on its way.
    const states = (): string[] =>
      events.filter((e) => e.type === 'document.state').map((e) => (e as { state: string }).state);
    await expect.poll(states, { timeout: 5000 }).toContain('completed');
    expect(events.map((e) => e.seq)).toEqual([...events.map((e) => e.seq)].sort((a, b) => a - b));
    await fake.close();
  });
});
