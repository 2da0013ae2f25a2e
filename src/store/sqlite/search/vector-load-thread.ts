import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { statementCache } from '../statement-cache.js';
import { readRows } from './vector-matrix.js';
import type { VectorLoadReply, VectorLoadRequest } from './vector-load-messages.js';
import { vectorScanSource } from './vector-scan-source.js';

// Reads one collection's vectors into int8 rows for the in-memory scan, off the thread that searches
// (see `vector-load-host.ts`), hands them over without a copy, and exits. Its connection reads without
// mmap: the vectors it reads once need not stay mapped in the process.
const port = parentPort;
if (!port) {
  throw new Error('vector-load-thread runs as a worker thread');
}
const { path, collectionId, vectors, dimension, budgetBytes } = workerData as VectorLoadRequest;
const db = new Database(path, { readonly: true });
try {
  db.pragma('busy_timeout = 10000');
  sqliteVec.load(db);
  const loaded = readRows(vectorScanSource(db, statementCache(db)), collectionId, vectors, dimension, budgetBytes);
  const reply: VectorLoadReply = loaded ? { kind: 'rows', ...loaded } : { kind: 'too-large' };
  port.postMessage(reply, loaded ? [loaded.rows.buffer as ArrayBuffer, loaded.rowids.buffer as ArrayBuffer] : []);
} finally {
  db.close();
}
