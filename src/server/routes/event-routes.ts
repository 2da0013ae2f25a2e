import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { isTerminal, type DocumentState } from '../../core/states.js';
import type { StoredEvent } from '../../ports/event-bus.js';
import type { RouteContext, Server } from '../route-context.js';
import { toBatchView, toDocumentView } from '../views.js';

const params = z.object({ id: z.string() });
const query = z.object({ after: z.coerce.number().int().min(0).optional() });
// The log is also polled, so events written by a worker in another process arrive too.
const pollMs = 1000;
const pageSize = 500;

interface StreamTarget {
  filter: { batchId: string } | { documentId: string };
  /** The closing event once the job is over, or undefined while it runs. */
  finished(): Promise<{ event: string; data: unknown } | undefined>;
}

/**
 * A document's state changes in the ledger a moment before its event is appended to the log, so a
 * stream that sees the job over waits (briefly) for the terminal events of the documents it has
 * followed, lest the last `completed` arrive after `*.finished`.
 */
const terminalEventWaitMs = 3000;

/**
 * Server-Sent Events from the event log: replay after `Last-Event-ID` (or `?after=`), then live events,
 * with no gap and no repeat (each event's id is its sequence number), a heartbeat comment, and a final
 * `*.finished` event when the job is over, after which the stream closes.
 */
async function stream(
  context: RouteContext,
  request: FastifyRequest,
  reply: FastifyReply,
  target: StreamTarget,
): Promise<void> {
  const { app } = context;
  const header = request.headers['last-event-id'];
  let lastSent = Number(
    typeof header === 'string' && /^\d+$/.test(header) ? header : ((request.query as { after?: number }).after ?? 0),
  );
  const raw = reply.raw;
  reply.hijack();
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  raw.write('retry: 2000\n\n');

  let closed = false;
  let busy: Promise<void> = Promise.resolve();
  const matches = (e: StoredEvent): boolean =>
    'batchId' in target.filter ? e.batchId === target.filter.batchId : e.documentId === target.filter.documentId;
  const lastState = new Map<string, string>();
  let finishedSince: number | undefined;
  const send = (e: StoredEvent): void => {
    if (e.type === 'document.state') {
      lastState.set(e.documentId, e.state);
    }
    if (e.seq > lastSent && !closed) {
      raw.write(`id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
      lastSent = e.seq;
    }
  };
  const close = (): void => {
    if (!closed) {
      closed = true;
      clearInterval(heartbeat);
      clearInterval(poll);
      unsubscribe();
      raw.end();
    }
  };
  // Catch up from the log, then see whether the job is over. Serialised, so events go out in order,
  // and coalesced: a burst of events while one catch-up runs schedules just one more.
  let scheduled = false;
  const catchUp = (): void => {
    if (scheduled) {
      return;
    }
    scheduled = true;
    busy = busy
      .then(async () => {
        scheduled = false;
        for (;;) {
          const page = await app.store.listEvents({ ...target.filter, afterSeq: lastSent, limit: pageSize });
          page.forEach(send);
          if (page.length < pageSize || closed) {
            break;
          }
        }
        const final = closed ? undefined : await target.finished();
        if (final) {
          finishedSince ??= Date.now();
        }
        const settled = [...lastState.values()].every((state) => isTerminal(state as DocumentState));
        if (final && !closed && (settled || Date.now() - (finishedSince ?? 0) > terminalEventWaitMs)) {
          raw.write(`event: ${final.event}\ndata: ${JSON.stringify(final.data)}\n\n`);
          close();
        }
      })
      .catch((error: unknown) => {
        app.logger.error({ err: error }, 'event stream failed');
        close();
      });
  };

  const unsubscribe = app.events.subscribe((e) => {
    if (matches(e)) {
      catchUp();
    }
  });
  const heartbeat = setInterval(() => raw.write(': heartbeat\n\n'), app.config.sseHeartbeatSeconds * 1000);
  const poll = setInterval(catchUp, pollMs);
  request.raw.on('close', close);
  catchUp();
  await busy;
}

export function registerEventRoutes(server: Server, context: RouteContext): void {
  const { app, access } = context;

  server.get(
    '/v1/batches/:id/events',
    {
      schema: {
        tags: ['events'],
        summary: 'Server-Sent Events of a batch until it finishes',
        params,
        querystring: query,
      },
    },
    async (request, reply) => {
      const batch = await access.batch(request.auth.tenantId, request.params.id);
      await stream(context, request, reply, {
        filter: { batchId: batch.id },
        async finished() {
          const progress = await app.store.getBatchProgress(batch.id);
          return progress?.finished ? { event: 'batch.finished', data: toBatchView(progress) } : undefined;
        },
      });
    },
  );

  server.get(
    '/v1/documents/:id/events',
    {
      schema: {
        tags: ['events'],
        summary: 'Server-Sent Events of a document until it finishes',
        params,
        querystring: query,
      },
    },
    async (request, reply) => {
      const doc = await access.document(request.auth.tenantId, request.params.id);
      await stream(context, request, reply, {
        filter: { documentId: doc.id },
        async finished() {
          const current = await app.store.getDocument(doc.id);
          return !current || isTerminal(current.state)
            ? { event: 'document.finished', data: current ? toDocumentView(current) : { id: doc.id, deleted: true } }
            : undefined;
        },
      });
    },
  );
}
