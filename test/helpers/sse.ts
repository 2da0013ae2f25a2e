export interface SseMessage {
  id?: string;
  event: string;
  data: string;
}

/**
 * Reads a Server-Sent Events stream over real HTTP until `stop` says so or the server closes it.
 * Comments (heartbeats) are skipped; `onMessage` sees each event as it arrives.
 */
export async function readSse(
  url: string,
  headers: Record<string, string>,
  stop: (message: SseMessage, all: SseMessage[]) => boolean = () => false,
  timeoutMs = 30_000,
): Promise<{ messages: SseMessage[]; status: number; contentType: string | null }> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const response = await fetch(url, { headers, signal: controller.signal });
  const messages: SseMessage[] = [];
  if (!response.body || response.status !== 200) {
    clearTimeout(timer);
    return { messages, status: response.status, contentType: response.headers.get('content-type') };
  }
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const message: SseMessage = { event: 'message', data: '' };
        let isEvent = false;
        for (const line of block.split('\n')) {
          const [field, ...rest] = line.split(':');
          const value = rest.join(':').replace(/^ /, '');
          if (field === 'id') {
            message.id = value;
          } else if (field === 'event') {
            message.event = value;
            isEvent = true;
          } else if (field === 'data') {
            message.data = value;
            isEvent = true;
          }
        }
        if (isEvent) {
          messages.push(message);
          if (stop(message, messages)) {
            controller.abort();
            return { messages, status: 200, contentType: response.headers.get('content-type') };
          }
        }
      }
    }
  } catch (error) {
    if (!controller.signal.aborted) {
      throw error;
    }
  } finally {
    clearTimeout(timer);
  }
  return { messages, status: 200, contentType: response.headers.get('content-type') };
}
