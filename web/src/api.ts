/** The HTTP API as the page uses it: every call carries the key kept in this browser session. */
export interface Problem {
  code: string;
  detail: string;
  status: number;
}

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail);
  }
}

const keyName = 'sluice.apiKey';
export const session = {
  key: (): string | null => sessionStorage.getItem(keyName),
  setKey: (key: string | null): void =>
    key ? sessionStorage.setItem(keyName, key) : sessionStorage.removeItem(keyName),
  get: (name: string): string | null => sessionStorage.getItem(`sluice.${name}`),
  set: (name: string, value: string | null): void =>
    value ? sessionStorage.setItem(`sluice.${name}`, value) : sessionStorage.removeItem(`sluice.${name}`),
};

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(path, {
    method,
    headers: {
      authorization: `Bearer ${session.key() ?? ''}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  const data = text ? (JSON.parse(text) as unknown) : undefined;
  if (!response.ok) {
    throw new ApiError(
      (data as Problem | undefined) ?? { code: 'http_error', detail: response.statusText, status: response.status },
    );
  }
  return data as T;
}

/**
 * Uploads files in one multipart request; `onProgress` gets the bytes sent so far. XMLHttpRequest,
 * because fetch reports no upload progress.
 */
export function upload<T>(path: string, files: File[], onProgress: (loaded: number) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    files.forEach((file) => form.append('files', file, file.name));
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    xhr.setRequestHeader('authorization', `Bearer ${session.key() ?? ''}`);
    xhr.upload.onprogress = (e) => onProgress(e.loaded);
    xhr.onload = () => {
      const data = xhr.responseText ? (JSON.parse(xhr.responseText) as unknown) : undefined;
      if (xhr.status === 202) {
        resolve(data as T);
      } else {
        reject(
          new ApiError(
            (data as Problem | undefined) ?? { code: 'http_error', detail: xhr.statusText, status: xhr.status },
          ),
        );
      }
    };
    xhr.onerror = () => reject(new ApiError({ code: 'network_error', detail: 'The upload was cut off', status: 0 }));
    xhr.send(form);
  });
}

export interface StreamMessage {
  id?: string;
  event: string;
  data: string;
}

/**
 * Server-Sent Events over fetch (EventSource cannot send an Authorization header), resuming after a
 * dropped connection from the last event id. Resolves when the server ends the stream for good.
 */
export async function stream(path: string, onMessage: (m: StreamMessage) => void, signal: AbortSignal): Promise<void> {
  let lastId: string | undefined;
  for (let attempt = 0; !signal.aborted; attempt++) {
    try {
      const response = await fetch(path, {
        headers: { authorization: `Bearer ${session.key() ?? ''}`, ...(lastId ? { 'last-event-id': lastId } : {}) },
        signal,
      });
      if (!response.ok || !response.body) {
        throw new Error(`stream answered ${response.status}`);
      }
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      let finished = false;
      for (;;) {
        const { value, done } = await reader.read();
        if (done) {
          break;
        }
        buffer += value;
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const message: StreamMessage = { event: 'message', data: '' };
          for (const line of block.split('\n')) {
            const colon = line.indexOf(':');
            const field = colon < 0 ? line : line.slice(0, colon);
            const content = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (field === 'id') {
              message.id = content;
              lastId = content;
            } else if (field === 'event') {
              message.event = content;
            } else if (field === 'data') {
              message.data += content;
            }
          }
          if (message.data) {
            onMessage(message);
            finished ||= message.event.endsWith('.finished');
          }
        }
      }
      if (finished) {
        return;
      }
    } catch (error) {
      if (signal.aborted) {
        return;
      }
      console.warn('event stream dropped; resuming', error);
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 500 * (attempt + 1))));
  }
}
