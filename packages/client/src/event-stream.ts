import { EventSourceParserStream } from 'eventsource-parser/stream';
import { errorOf, SluiceApiError } from './errors.js';
import { sleep } from './retries.js';
import type { StreamEvent } from './types.js';

export interface StreamOptions {
  /** Start after this event (an event's `seq`, as the stream's `id`): nothing before it is sent again. */
  lastEventId?: string;
  signal?: AbortSignal;
  /** Reconnections in a row with no event between them before the stream gives up. @defaultValue 10 */
  maxReconnects?: number;
}

/**
 * The events of one SSE stream of the API until its closing event, resuming with `Last-Event-ID` after
 * a dropped connection (or a server restart) so that no event is lost or repeated. Leaving the loop
 * early closes the connection.
 */
export async function* followStream<Final>(
  open: (lastEventId: string | undefined) => Promise<Response>,
  closing: { event: string; map: (data: unknown) => Final },
  options: StreamOptions = {},
): AsyncGenerator<StreamEvent | Final, void, undefined> {
  let lastEventId = options.lastEventId;
  // The server's `retry:` field, as EventSource would honour it.
  let retryMs = 1000;
  let failures = 0;
  const maxReconnects = options.maxReconnects ?? 10;
  for (;;) {
    options.signal?.throwIfAborted();
    let cut: Error | undefined;
    try {
      const response = await open(lastEventId);
      if (!response.ok || !response.body) {
        throw await errorOf(response);
      }
      const reader = response.body
        .pipeThrough(new TextDecoderStream())
        .pipeThrough(new EventSourceParserStream({ onRetry: (ms) => (retryMs = ms) }))
        .getReader();
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) {
            break;
          }
          if (value.event === closing.event) {
            yield closing.map(JSON.parse(value.data));
            return;
          }
          lastEventId = value.id ?? lastEventId;
          failures = 0;
          yield JSON.parse(value.data) as StreamEvent;
        }
      } finally {
        await reader.cancel().catch(() => undefined);
      }
    } catch (error) {
      // An answer of the API (404, 401…) is final; a cut connection is resumed.
      if (options.signal?.aborted || error instanceof SluiceApiError) {
        throw error;
      }
      cut = error instanceof Error ? error : new Error(String(error));
    }
    if (++failures > maxReconnects) {
      throw cut ?? new Error(`The event stream ended ${failures} times without its closing event`);
    }
    await sleep(Math.min(retryMs * failures, 30_000), options.signal);
  }
}
