import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { SluiceClient } from '@sluice/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLiveServer, type LiveServer } from '../helpers/live-server.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

describe('examples/ against a live sluice serve', () => {
  let server: LiveServer;
  let client: SluiceClient;

  const runExample = async (file: string): Promise<string> => {
    const { stdout } = await run(process.execPath, [`examples/${file}`], {
      cwd: root,
      env: { ...process.env, SLUICE_URL: server.url, SLUICE_API_KEY: server.adminKey },
      timeout: 60_000,
    });
    return stdout;
  };

  /** The completed documents of a collection, by file name. */
  const stored = async (collection: string): Promise<Map<string, string>> => {
    const { id } = await client.collections.find(collection);
    const documents = new Map<string, string>();
    for await (const document of client.documents.all({ collection: id, state: 'completed' })) {
      documents.set(document.source, document.id);
    }
    return documents;
  };

  beforeAll(async () => {
    server = await startLiveServer();
    client = new SluiceClient({ baseUrl: server.url, apiKey: server.adminKey });
  });
  afterAll(() => server.stop());

  it('langchain-rag.js ingests with SluiceVectorStore and answers from what it retrieved, each time it runs', async () => {
    for (let run = 1; run <= 2; run++) {
      const output = await runExample('langchain-rag.js');
      const documents = await stored('langchain-example');
      expect([...documents.keys()].sort()).toEqual(['harbour-guide.txt', 'museum-guide.txt']);
      expect(output).toContain('Retrieved from Sluice:');
      // The sources printed are the documents Sluice holds, the best first.
      const harbour = /harbour-guide\.md \(document (doc_\w+), chunk 0, score [\d.]+\)/.exec(output);
      expect(harbour?.[1]).toBe(documents.get('harbour-guide.txt'));
      expect(output.indexOf('harbour-guide.md')).toBeLessThan(output.indexOf('museum-guide.md'));
      expect(output).toContain('Answer: The last ferry of the day sails at 23:40.');
    }
  });

  it('llamaindex-query-engine.js answers through a RetrieverQueryEngine over SluiceRetriever, with its source nodes', async () => {
    const output = await runExample('llamaindex-query-engine.js');
    const documents = await stored('llamaindex-example');
    expect(output).toContain('Retrieved from Sluice:');
    const harbour = /harbour-guide\.md \(document (doc_\w+), chunk 0, score [\d.]+\)/.exec(output);
    expect(harbour?.[1]).toBe(documents.get('harbour-guide.md'));
    expect(output).toMatch(/museum-guide\.md \(document doc_\w+/);
    expect(output).toContain('Answer: The last ferry of the day sails at 23:40.');
  });
});
