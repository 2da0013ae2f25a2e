import type { Metadata } from './types.js';

/** A file's bytes: in memory, a Blob (a browser `File`, or Node's `openAsBlob`), or a stream. */
export type UploadData =
  Blob | ArrayBuffer | ArrayBufferView | string | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

export interface UploadFile {
  /** The file's name as the collection shows it (folders kept: `guide/intro.md`). */
  name: string;
  data: UploadData;
  /** Media type; guessed by the server from the content when absent. */
  type?: string;
  /** This file's own metadata, merged over the upload's. */
  metadata?: Metadata;
}

export type UploadInput = File | UploadFile;

/** A request body made again for each attempt when it can be (no stream among the files). */
export interface UploadBody {
  replayable: boolean;
  make(onBytes?: (sent: number) => void): { body: BodyInit; headers: Record<string, string>; streamed: boolean };
}

const isStream = (data: UploadData): data is ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> =>
  (typeof ReadableStream !== 'undefined' && data instanceof ReadableStream) ||
  (typeof data === 'object' && data !== null && Symbol.asyncIterator in data);

const runsOnNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

function toBlob(data: Exclude<UploadData, ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>>, type: string): Blob {
  return data instanceof Blob ? data : new Blob([data as BlobPart], { type });
}

/**
 * The multipart body of an upload: FormData where it will do; on Node, a body streamed part by part
 * (streams are never read into memory, and bytes sent can be counted). A browser reads a stream into a
 * Blob first: it cannot stream a request body over HTTP/1.1.
 */
export async function uploadBody(
  inputs: UploadInput[],
  fields: Record<string, string>,
  wantsProgress: boolean,
): Promise<UploadBody> {
  const files = inputs.map((input) =>
    typeof File !== 'undefined' && input instanceof File
      ? { name: input.name, data: input as Blob, type: input.type }
      : input,
  ) as UploadFile[];
  const streams = files.some((file) => isStream(file.data));
  if (runsOnNode && (streams || wantsProgress)) {
    return { replayable: !streams, make: (onBytes) => streamedMultipart(files, fields, onBytes) };
  }
  const parts = await Promise.all(
    files.map(async (file) => {
      const type = file.type ?? 'application/octet-stream';
      const blob = isStream(file.data) ? await new Response(toReadable(file.data)).blob() : toBlob(file.data, type);
      return { name: file.name, blob };
    }),
  );
  return {
    replayable: true,
    make: () => {
      const form = new FormData();
      Object.entries(fields).forEach(([name, value]) => form.append(name, value));
      parts.forEach(({ name, blob }) => form.append('file', blob, name));
      return { body: form, headers: {}, streamed: false };
    },
  };
}

function toReadable(data: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> {
  if (data instanceof ReadableStream) {
    return data;
  }
  const iterator = data[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next: IteratorResult<Uint8Array> = await iterator.next();
      if (next.done) {
        controller.close();
      } else {
        controller.enqueue(next.value);
      }
    },
    async cancel() {
      await iterator.return?.();
    },
  });
}

// As browsers encode names in multipart/form-data (WHATWG): quotes and line breaks escaped, UTF-8 kept.
const quoted = (name: string): string => `"${name.replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A')}"`;

function streamedMultipart(
  files: UploadFile[],
  fields: Record<string, string>,
  onBytes?: (sent: number) => void,
): { body: BodyInit; headers: Record<string, string>; streamed: boolean } {
  const boundary = `----sluice${Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, '0')).join('')}`;
  const encoder = new TextEncoder();
  async function* parts(): AsyncGenerator<Uint8Array> {
    for (const [name, value] of Object.entries(fields)) {
      yield encoder.encode(`--${boundary}\r\nContent-Disposition: form-data; name=${quoted(name)}\r\n\r\n${value}\r\n`);
    }
    for (const file of files) {
      const type =
        file.type ?? (file.data instanceof Blob && file.data.type ? file.data.type : 'application/octet-stream');
      yield encoder.encode(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename=${quoted(file.name)}\r\nContent-Type: ${type}\r\n\r\n`,
      );
      const data = isStream(file.data) ? file.data : toBlob(file.data, type).stream();
      for await (const chunk of data as AsyncIterable<Uint8Array>) {
        yield chunk;
      }
      yield encoder.encode('\r\n');
    }
    yield encoder.encode(`--${boundary}--\r\n`);
  }
  let sent = 0;
  const counted = async function* (): AsyncGenerator<Uint8Array> {
    for await (const chunk of parts()) {
      sent += chunk.byteLength;
      onBytes?.(sent);
      yield chunk;
    }
  };
  return {
    body: toReadable(counted()),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
    streamed: true,
  };
}
