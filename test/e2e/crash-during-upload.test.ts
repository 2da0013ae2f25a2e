import { describe, expect, it } from 'vitest';
import { startLiveServer, type LiveServer } from '../helpers/live-server.js';
import { prng } from '../helpers/prng.js';
import { form } from '../helpers/test-server.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Answer {
  batch: { id: string; label: string };
  documents: { id: string; source: string; batch_id: string }[];
}

/** The files of one upload: each its own bytes, so no file of any upload is a copy of another. */
const filesOf = (key: string, count: number) =>
  Array.from({ length: count }, (_, i) => ({
    name: `${key}-${i}.md`,
    content: `# ${key} file ${i}\n\n${`The ${key} upload, file ${i}, has these words of its own. `.repeat(20)}`,
  }));

function upload(server: LiveServer, key: string, files: ReturnType<typeof filesOf>): Promise<Response> {
  return fetch(`${server.url}/v1/collections/${server.collectionId}/documents`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.adminKey}`, 'idempotency-key': key },
    body: form(files),
    signal: AbortSignal.timeout(20_000),
  });
}

describe('An API process killed while it records uploads', () => {
  it('leaves each upload recorded whole or not at all, and a retry with its key completes the same batch', async () => {
    const random = prng(32);
    const filesPerUpload = 30;
    let server = await startLiveServer({ SLUICE_LOG_LEVEL: 'error' });
    const { dataDir, adminKey, collectionId } = server;
    try {
      const headers = { authorization: `Bearer ${adminKey}` };
      const keys: string[] = [];

      for (let round = 0; round < 5; round++) {
        const sent = [0, 1, 2].map((n) => {
          const key = `round-${round}-upload-${n}`;
          keys.push(key);
          return upload(server, key, filesOf(key, filesPerUpload)).catch(() => undefined);
        });
        // Killed at a random moment: before, while or after the uploads are recorded.
        await sleep(Math.floor(random() * 250));
        await server.kill();
        await Promise.allSettled(sent);
        server = await startLiveServer({ SLUICE_LOG_LEVEL: 'error' }, [], { dataDir, adminKey, collectionId });

        // Every client retries with its key; each gets one batch holding every file it sent.
        for (const key of keys.slice(-3)) {
          const answer = await upload(server, key, filesOf(key, filesPerUpload));
          expect(answer.status).toBe(202);
          const body = (await answer.json()) as Answer;
          expect(body.documents.map((doc) => doc.source)).toEqual(filesOf(key, filesPerUpload).map((f) => f.name));
          expect(new Set(body.documents.map((doc) => doc.batch_id))).toEqual(new Set([body.batch.id]));
        }
      }

      // One batch per key, no copy recorded by a retry, and every document finishes once.
      const listed = (await (
        await fetch(`${server.url}/v1/documents?collection=${collectionId}&limit=500`, { headers })
      ).json()) as { documents: { source: string; state: string; batch_id: string }[] };
      expect(listed.documents).toHaveLength(keys.length * filesPerUpload);
      expect(listed.documents.filter((doc) => doc.state === 'skipped')).toEqual([]);
      const batches = (await (await fetch(`${server.url}/v1/batches?limit=200`, { headers })).json()) as {
        batches: { id: string; label: string }[];
      };
      expect(new Set(listed.documents.map((doc) => doc.batch_id)).size).toBe(keys.length);
      expect(batches.batches.filter((batch) => /^upload of/.test(batch.label))).toHaveLength(keys.length);
      const deadline = Date.now() + 60_000;
      let unfinished = listed.documents.length;
      while (unfinished > 0 && Date.now() < deadline) {
        await sleep(200);
        const now = (await (
          await fetch(`${server.url}/v1/documents?collection=${collectionId}&limit=500`, { headers })
        ).json()) as { documents: { state: string }[] };
        unfinished = now.documents.filter((doc) => doc.state !== 'completed').length;
      }
      expect(unfinished).toBe(0);
    } finally {
      await server.stop();
    }
  }, 180_000);
});
