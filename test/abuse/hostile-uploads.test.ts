import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  multipartBody,
  parseAnswer,
  rawExchange,
  startLiveServer,
  uploadHead,
  type LiveServer,
} from '../helpers/live-server.js';

const boundary = 'sluice-abuse-boundary';

interface UploadAnswer {
  documents: { source: string; state: string; error: { code: string } | null }[];
  refused: { part: number; name: string | null; code: string }[];
}

async function upload(
  server: LiveServer,
  parts: Parameters<typeof multipartBody>[1],
): Promise<{ status: number; contentType: string; body: unknown }> {
  const body = multipartBody(boundary, parts);
  const answer = await rawExchange(server.port, (socket) => {
    // Not end(): Node's server aborts a request whose client half-closes the connection.
    socket.write(
      Buffer.concat([
        Buffer.from(uploadHead(server.collectionId, server.adminKey, boundary, body.length, 'Connection: close\r\n')),
        body,
      ]),
    );
  });
  return parseAnswer(answer);
}

async function expectSettled(server: LiveServer, baselineFds: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && (server.fdCount() > baselineFds || server.tempFiles().length > 0)) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(server.tempFiles()).toEqual([]);
  expect(server.fdCount()).toBeLessThanOrEqual(baselineFds);
}

describe.each([1000, 16_384])('files over a per-file limit of %i bytes', (limit) => {
  let server: LiveServer;
  beforeAll(async () => {
    server = await startLiveServer({ SLUICE_MAX_FILE_BYTES: String(limit) });
  });
  afterAll(() => server.stop());

  it('fail alone, 50 times over, and the server stays up', async () => {
    for (let i = 0; i < 50; i++) {
      const answer = await upload(server, [
        { filename: `big-${i}.txt`, content: 'x'.repeat(limit + 1 + i * 37) },
        { filename: `small-${i}.txt`, content: `a small file ${i}` },
      ]);
      expect(answer.status).toBe(202);
      const body = answer.body as UploadAnswer;
      expect(body.documents.map((d) => [d.source, d.error?.code ?? null])).toEqual([
        [`big-${i}.txt`, 'file_too_large'],
        [`small-${i}.txt`, null],
      ]);
      expect(server.alive()).toBe(true);
    }
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect(server.tempFiles()).toEqual([]);
  });
});

describe('cut-off and stalled uploads', () => {
  let server: LiveServer;
  beforeAll(async () => {
    server = await startLiveServer({ SLUICE_BODY_TIMEOUT_MS: '1000' });
  });
  afterAll(() => server.stop());

  it('are answered or dropped, and leave no descriptor, temporary file or document behind', async () => {
    const part = multipartBody(boundary, [{ filename: 'cut.txt', content: 'y'.repeat(20_000) }], false);
    const head = (length: number) => Buffer.from(uploadHead(server.collectionId, server.adminKey, boundary, length));
    // After a first request, so that the keep-alive connection of the test's own client is counted.
    const documentsBefore = await server.documentCount();
    const baselineFds = server.fdCount();
    const ways: Record<string, (socket: Socket) => void> = {
      // The body stops half-way and the client waits: answered 408 after the body timeout.
      stalled: (socket) => socket.write(Buffer.concat([head(part.length * 2), part])),
      // The client gives up half-way, politely (FIN) or not (RST).
      fin: (socket) => {
        socket.write(Buffer.concat([head(part.length * 2), part]));
        setTimeout(() => socket.end(), 100);
      },
      rst: (socket) => {
        socket.write(Buffer.concat([head(part.length * 2), part]));
        setTimeout(() => socket.resetAndDestroy(), 100);
      },
      // A Content-Length shorter than the body, and a body without its closing boundary.
      short: (socket) =>
        socket.write(Buffer.concat([head(part.length - 500), part, Buffer.from(`\r\n--${boundary}--\r\n`)])),
      unclosed: (socket) => socket.write(Buffer.concat([head(part.length), part])),
    };
    const names = Object.keys(ways);
    const answers = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const way = names[i % names.length] as string;
        return {
          way,
          answer: parseAnswer(await rawExchange(server.port, ways[way] as (socket: Socket) => void, 4000)),
        };
      }),
    );
    for (const { way, answer } of answers) {
      if (way === 'rst') {
        continue;
      }
      expect({ way, status: answer.status }).toEqual({ way, status: way === 'stalled' ? 408 : 400 });
      expect(answer.contentType).toMatch(/application\/problem\+json/);
    }
    await expectSettled(server, baselineFds, 3000);
    expect(await server.documentCount()).toBe(documentsBefore);
    expect(server.blobCount()).toBe(0);
    expect(server.alive()).toBe(true);
  });
});

describe('parts of an upload', () => {
  let server: LiveServer;
  beforeAll(async () => {
    server = await startLiveServer();
  });
  afterAll(() => server.stop());

  it('are each accepted or listed as refused: a name with a raw line break, a part without Content-Disposition, a form field', async () => {
    const answer = await upload(server, [
      { filename: 'good.txt', content: 'a good file' },
      { filename: 'bad\nname.txt', content: 'a name with a line feed' },
      { filename: 'bad\rname.txt', content: 'a name with a carriage return' },
      { content: 'no disposition', headers: 'Content-Type: text/plain\r\n' },
      { content: 'a form field', headers: 'Content-Disposition: form-data; name="note"\r\n' },
      { filename: 'also-good.md', content: '# also good' },
    ]);
    expect(answer.status).toBe(202);
    const body = answer.body as UploadAnswer;
    expect(body.documents.map((d) => d.source)).toEqual(['good.txt', 'also-good.md']);
    expect(body.refused).toEqual([
      // A raw line break ends the Content-Disposition header where it stands: the parser drops the part.
      { part: 1, name: null, code: 'invalid_part', detail: expect.stringMatching(/Content-Disposition/) },
      { part: 2, name: null, code: 'invalid_part', detail: expect.stringMatching(/Content-Disposition/) },
      { part: 3, name: null, code: 'invalid_part', detail: expect.stringMatching(/Content-Disposition/) },
      { part: 4, name: 'note', code: 'invalid_part', detail: expect.stringMatching(/form field/) },
    ]);
  });

  it('refuses a request of refused parts alone with no_files, and records nothing', async () => {
    const before = await server.documentCount();
    const answer = await upload(server, [{ filename: 'only\nbad.txt', content: 'x' }]);
    expect(answer.status).toBe(422);
    expect(answer.body).toMatchObject({
      code: 'no_files',
      detail: expect.stringMatching(/part 0: .*Content-Disposition/),
    });
    expect(await server.documentCount()).toBe(before);
  });

  it('keeps the extension of a name too long, and drops bidirectional overrides', async () => {
    const answer = await upload(server, [
      { filename: `${'n'.repeat(400)}.csv`, content: 'a,b\n1,2\n' },
      { filename: 'rtl\u202etxt.exe', content: 'reordered name' },
    ]);
    const sources = (answer.body as UploadAnswer).documents.map((d) => d.source);
    expect(sources[0]).toHaveLength(255);
    expect(sources[0]?.endsWith('.csv')).toBe(true);
    expect(sources[1]).toBe('rtltxt.exe');
  });
});
