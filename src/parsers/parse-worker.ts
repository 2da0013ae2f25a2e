import type { MessagePort } from 'node:worker_threads';
import { toSluiceError, type ErrorCode } from '../core/errors.js';
import type { ParsedDocument } from '../core/types.js';
import { createDocumentParser, type ParserLimits } from './create-document-parser.js';

/** One file to parse in a parse thread. */
export interface ParseTask {
  bytes: Uint8Array;
  source: string;
  limits: ParserLimits;
  /** Told when the thread starts on the task, so the time limit counts parsing, not waiting for a thread. */
  started: MessagePort;
}

/** Errors cross the thread boundary as data: a structured clone would drop the code. */
export type ParseReply =
  | { ok: true; parsed: ParsedDocument }
  | { ok: false; code: ErrorCode; message: string; retryable: boolean };

/** The parse thread's task (run by the pool in `sandboxed-parser.ts`). */
export default async function parseInThread(task: ParseTask): Promise<ParseReply> {
  task.started.postMessage('started');
  task.started.close();
  try {
    const parsed = await createDocumentParser(task.limits).parse({ bytes: task.bytes, source: task.source });
    return { ok: true, parsed };
  } catch (thrown) {
    const error = toSluiceError(thrown);
    return { ok: false, code: error.code, message: error.message, retryable: error.retryable };
  }
}
