import type { SluiceClient, SluiceDocument, UploadFile } from '@sluice/client';
import { SluiceIngestError, type IngestFailure } from './sluice-ingest-error.js';

const filesPerRequest = 100;
// The server reads a form field of at most 1 MiB, and `file_metadata` carries every file's metadata.
const metadataBytesPerRequest = 512 * 1024;
const notWhole = new Set(['failed', 'cancelled', 'completed_with_errors']);

/** Files in request-sized groups, in order. */
function* groupsOf(files: UploadFile[]): Generator<UploadFile[]> {
  const encoder = new TextEncoder();
  let group: UploadFile[] = [];
  let bytes = 0;
  for (const file of files) {
    const size = encoder.encode(`${file.name}${JSON.stringify(file.metadata ?? {})}`).length;
    if (group.length > 0 && (group.length === filesPerRequest || bytes + size > metadataBytesPerRequest)) {
      yield group;
      group = [];
      bytes = 0;
    }
    group.push(file);
    bytes += size;
  }
  if (group.length > 0) {
    yield group;
  }
}

/** The documents of an upload as they ended, once its batch has. */
async function finalStates(
  client: SluiceClient,
  batchId: string,
  documents: SluiceDocument[],
): Promise<SluiceDocument[]> {
  await client.waitForBatch(batchId);
  const ended = new Map<string, SluiceDocument>();
  for await (const document of client.documents.all({ batch: batchId, limit: 500 })) {
    ended.set(document.id, document);
  }
  // An upload can answer with a document of an earlier batch (the same file, still in flight).
  return Promise.all(documents.map(async (d) => ended.get(d.id) ?? (await client.documents.get(d.id))));
}

/**
 * Uploads files into a collection, waits until Sluice has indexed them, and answers their document
 * ids in the order given. Throws `SluiceIngestError` if any was refused or not indexed whole. Each
 * request may wait `waitSeconds` on the server; a batch not done by then is followed by its events.
 */
export async function ingestFiles(
  client: SluiceClient,
  collectionId: string,
  files: UploadFile[],
  waitSeconds: number,
): Promise<string[]> {
  const byName = new Map<string, SluiceDocument>();
  const failures: IngestFailure[] = [];
  for (const group of groupsOf(files)) {
    const answer = await client.documents.upload(collectionId, group, { wait: waitSeconds });
    for (const refused of answer.refused) {
      const name = refused.name ?? `part ${refused.part}`;
      failures.push({ name, documentId: undefined, state: 'refused', code: refused.code, message: refused.detail });
    }
    const documents = answer.batch.finished
      ? answer.documents
      : await finalStates(client, answer.batch.id, answer.documents);
    for (const document of documents) {
      byName.set(document.source, document);
    }
  }
  for (const document of byName.values()) {
    if (notWhole.has(document.state)) {
      failures.push({
        name: document.source,
        documentId: document.id,
        state: document.state,
        code: document.error?.code ?? document.state,
        message: document.error?.message ?? 'not indexed',
      });
    }
  }
  const ids = files.map((file) => byName.get(file.name)?.id);
  if (failures.length > 0) {
    throw new SluiceIngestError(failures, ids);
  }
  return ids as string[];
}
