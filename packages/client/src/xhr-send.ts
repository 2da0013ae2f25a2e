/**
 * Sends a body with XMLHttpRequest, in a browser, for the one thing fetch cannot tell: bytes uploaded so
 * far. The answer comes back as a fetch Response, so the rest of the client treats both alike.
 */
export function xhrSend(
  url: string,
  init: {
    method: string;
    headers: Record<string, string>;
    body: XMLHttpRequestBodyInit;
    signal?: AbortSignal | undefined;
  },
  onProgress: (sent: number) => void,
): Promise<Response> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(init.method, url);
    Object.entries(init.headers).forEach(([name, value]) => xhr.setRequestHeader(name, value));
    xhr.upload.onprogress = (event) => onProgress(event.loaded);
    xhr.onload = () => {
      const headers = new Headers();
      for (const line of xhr.getAllResponseHeaders().trim().split(/\r?\n/)) {
        const colon = line.indexOf(':');
        if (colon > 0) {
          headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
        }
      }
      resolve(new Response(xhr.responseText, { status: xhr.status, statusText: xhr.statusText, headers }));
    };
    xhr.onerror = () => reject(new TypeError('The upload was cut off'));
    xhr.onabort = () =>
      reject(init.signal?.reason instanceof Error ? init.signal.reason : new DOMException('Aborted', 'AbortError'));
    init.signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(init.body);
  });
}
