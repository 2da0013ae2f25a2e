import { parentPort, workerData } from 'node:worker_threads';
import { searchFullText } from './full-text-search.js';
import { openSearchConnection, searchMmapBytes } from './search-connection.js';
import { statementCache } from '../statement-cache.js';
import type { TextSearchReply, TextSearchRequest, TextSearchThreadData } from './text-search-messages.js';

// The thread that runs a SQLite store's full-text searches beside the calling thread's vector scan
// (see `text-search-host.ts`). A connection that cannot be opened throws here, and the thread exits:
// the host then searches on its own thread.
const port = parentPort;
if (!port) {
  throw new Error('text-search-thread runs as a worker thread');
}
const { path } = workerData as TextSearchThreadData;
const db = openSearchConnection(path, searchMmapBytes.text);
const statement = statementCache(db);
const reply = (message: TextSearchReply): void => port.postMessage(message);

port.on('message', (message: TextSearchRequest) => {
  if (message.kind === 'forget') {
    statement.clear();
    return;
  }
  try {
    reply({ kind: 'hits', id: message.id, hits: searchFullText(db, statement, message.request) });
  } catch {
    // The host runs it again on its own thread, where the error, if it is one, is thrown as it is.
    reply({ kind: 'failed', id: message.id });
  }
});
reply({ kind: 'ready' });
