import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestS3, type TestS3 } from '../helpers/s3-server.js';
import { client, form, startTestServer, type TestServer } from '../helpers/test-server.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Uploads with raw files in an S3 bucket', () => {
  let s3: TestS3;
  let t: TestServer;
  let api: ReturnType<typeof client>;
  let collectionId: string;
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    s3 = await startTestS3();
    // The AWS SDK reads these itself, as it would in production.
    Object.assign(process.env, s3.env);
    t = await startTestServer({ blobUrl: `s3://${await s3.newBucket()}/raw/`, concurrency: 2 });
    api = client(t.url, t.adminKey);
    collectionId = ((await api('POST', '/v1/collections', { name: 'bucket' })).body as { id: string }).id;
  });
  afterAll(async () => {
    await t.close();
    await s3.stop();
    process.env = savedEnv;
  });

  const keysInBucket = async (): Promise<string[]> => {
    const keys: string[] = [];
    for await (const entry of t.app.blobs.list()) {
      keys.push(entry.key);
    }
    return keys;
  };

  it('stores the raw files in the bucket, parses them from it, and checks it for readiness', async () => {
    const files = [
      { name: 'a.md', content: '# A\n\nThe first file, kept in a bucket.' },
      { name: 'b.txt', content: 'The second file, also in the bucket.' },
    ];
    const upload = await api('POST', `/v1/collections/${collectionId}/documents`, form(files));
    expect(upload.status).toBe(202);
    await expect
      .poll(async () => (await api('GET', `/v1/batches/${upload.body.batch.id}`)).body.finished, { timeout: 20_000 })
      .toBe(true);
    const batch = await api('GET', `/v1/batches/${upload.body.batch.id}`);
    expect(batch.body.counts).toEqual({ completed: 2 });
    const sha = (text: string) => createHash('sha256').update(text).digest('hex');
    expect((await keysInBucket()).sort()).toEqual(files.map((f) => sha(f.content)).sort());
    expect(((await (await fetch(`${t.url}/readyz`)).json()) as { checks: { blobs: string } }).checks.blobs).toBe('ok');
  });

  it('records nothing for a client that gave up while its files went to a slow bucket, and keeps none of them', async () => {
    const before = await api('GET', `/v1/documents?collection=${collectionId}&limit=100`);
    const content = 'A file whose client stopped waiting for the answer.';
    const key = createHash('sha256').update(content).digest('hex');
    // The bucket takes 1.5 s to answer each of the next requests; the client waits 0.6 s.
    s3.failNext(6, { delayMs: 1500 });
    const gaveUp = await fetch(`${t.url}/v1/collections/${collectionId}/documents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.adminKey}` },
      body: form([{ name: 'impatient.txt', content }]),
      signal: AbortSignal.timeout(600),
    }).catch((error: unknown) => error);
    expect(gaveUp).toBeInstanceOf(Error);
    await sleep(4000);
    s3.heal();
    const after = await api('GET', `/v1/documents?collection=${collectionId}&limit=100`);
    expect(after.body.documents).toHaveLength(before.body.documents.length);
    // What it stored goes with its hold: nothing refers to it.
    await expect.poll(async () => (await keysInBucket()).includes(key), { timeout: 15_000 }).toBe(false);
  });
});
