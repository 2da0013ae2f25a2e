import { readdirSync, readlinkSync } from 'node:fs';
import type { Socket } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sanitizeFilename } from '../../src/server/sanitize-filename.js';
import {
  blobKeys,
  listDocuments,
  parseAnswers,
  rawExchangeEnding,
  serverSocketInode,
  startLiveServer,
  type LiveServer,
} from '../helpers/live-server.js';

/**
 * Property-based abuse of a real `sluice serve`, generalising hostile-uploads.test.ts: fast-check writes
 * malformed multipart bodies and request heads, each batch goes over raw sockets at once, and after every
 * batch the server must be up, have answered every client that waited (4xx as problem+json, never 5xx),
 * hold no more descriptors or temporary files than before, and have recorded a document for exactly the
 * files its 202 answers list. Replay a failure with FUZZ_SEED=<seed> FUZZ_PATH=<path> from its report.
 */

const limits = { maxFileBytes: 4096, maxUploadFiles: 8, maxRequestBytes: 16_384, bodyTimeoutMs: 1000 };
const boundary = 'fuzz-b0undary';

// ---- What is generated ----------------------------------------------------------------------------

/** A file name as sent: `stem` `times` over, then `ext`; `latin1` sends its bytes as they are (not UTF-8). */
interface Name {
  stem: string;
  times: number;
  ext: string;
  latin1: boolean;
}

/** What busboy makes of a part, and so what the answer must say of it. */
type Outcome = { file: string } | 'refused' | 'field' | 'dropped' | 'poison' | 'unknown';

/** Part header blocks that busboy and Sluice's own scan of the body might read differently. */
const oddHeaders = {
  'no-disposition': ['Content-Type: text/plain', 'refused'],
  'empty-block': ['', 'refused'],
  'leading-space': [' Content-Disposition: form-data; name="file"; filename="a.txt"', 'refused'],
  attachment: ['Content-Disposition: attachment; filename="b.txt"', 'refused'],
  'bare-form-data': ['Content-Disposition: form-data', 'field'],
  'nameless-field': ['Content-Disposition: form-data; name=""', 'field'],
  'nameless-file': ['Content-Disposition: form-data; filename="c.txt"', { file: 'c.txt' }],
  unquoted: ['Content-Disposition: form-data; name=file; filename=d.txt', { file: 'd.txt' }],
  'upper-case': ['content-disposition: FORM-DATA; NAME="file"; FILENAME="e.txt"', { file: 'e.txt' }],
  'spaced-type': ['Content-Disposition: form -data; name="file"; filename="f.txt"', { file: 'f.txt' }],
  'quoted-type': ['Content-Disposition: "form-data"; name="file"; filename="g.txt"', { file: 'g.txt' }],
  folded: ['Content-Disposition: form-data; name="file"; filename="h.txt"\r\n\tfolded', { file: 'h.txt' }],
  twice: ['Content-Disposition: form-data; name="file"; filename="i.txt"\r\nContent-Disposition: x', { file: 'i.txt' }],
  'encoded-bidi': [`Content-Disposition: form-data; name="file"; filename*=UTF-8''%E2%80%AEj.txt`, { file: 'j.txt' }],
  'octet-stream': [
    'Content-Disposition: form-data; name="n"\r\nContent-Type: application/octet-stream',
    { file: 'upload' },
  ],
  unterminated: ['Content-Disposition: form-data; name="file"; filename="k.txt', { file: 'k.txt' }],
  'junk-line-first': ['X-Junk\r\nContent-Disposition: form-data; name="file"; filename="l.txt"', 'dropped'],
  'colon-first': [': x\r\nContent-Disposition: form-data; name="file"; filename="m.txt"', 'dropped'],
  'space-before-colon': ['Content-Disposition : form-data; name="file"; filename="n.txt"', 'dropped'],
  'encoded-line-feed': [`Content-Disposition: form-data; name="file"; filename*=UTF-8''o%0A.txt`, 'dropped'],
  'json-field': ['Content-Disposition: form-data; name="meta"\r\nContent-Type: application/json', 'poison'],
  'prototype-file': ['Content-Disposition: form-data; name="constructor"; filename="p.txt"', 'poison'],
} as const satisfies Record<string, readonly [string, Outcome]>;

/** Content that holds the boundary: harmless, half a delimiter, another boundary's, or a real delimiter. */
const boundaryContent = {
  inline: `before--${boundary}after`,
  partial: `ends with half a delimiter\r\n--${boundary.slice(0, 6)}`,
  decoy: 'looks like a part of the decoy\r\n--decoy\r\nContent-Type: text/plain\r\n\r\nx',
  split: `first half\r\n--${boundary}\r\nsecond half`,
  closing: `cut here\r\n--${boundary}--\r\nthe rest`,
};

type PartSpec =
  | { kind: 'file'; name: Name; size: number }
  | { kind: 'field'; name: string; value: string }
  | { kind: 'header'; header: keyof typeof oddHeaders; size: number }
  | { kind: 'huge-header'; padBytes: number; padFirst: boolean; size: number }
  | { kind: 'cut-header'; keep: number }
  | { kind: 'boundary-in-content'; how: keyof typeof boundaryContent };

const contentTypes = {
  multipart: `multipart/form-data; boundary=${boundary}`,
  'quoted-boundary': `multipart/form-data; boundary="${boundary}"`,
  'extra-params': `multipart/form-data; charset=utf-8; boundary=${boundary}`,
  // busboy takes `boundary`; a scan that looks for the first "boundary=" takes "decoy".
  'decoy-boundary': `multipart/form-data; x-boundary="decoy"; boundary=${boundary}`,
  'wrong-boundary': 'multipart/form-data; boundary=some-other-boundary',
  'no-boundary': 'multipart/form-data',
  'empty-boundary': 'multipart/form-data; boundary=',
  text: 'text/plain',
  json: 'application/json',
  urlencoded: 'application/x-www-form-urlencoded',
  missing: undefined,
};

interface BodySpec {
  preamble: '' | 'text\r\n' | '\r\n' | 'glued';
  parts: PartSpec[];
  ending: 'closed' | 'closed-bare' | 'unclosed' | 'truncated';
  /** For `truncated`: the share of the body kept, in thousandths. */
  keep: number;
  epilogue: '' | 'epilogue\r\n' | 'delimiter';
}

/** Authorization headers, from the key. */
const auths = {
  valid: (key: string) => [`Authorization: Bearer ${key}`],
  lowercase: (key: string) => [`authorization: bearer ${key}`],
  'extra-spaces': (key: string) => [`Authorization:   Bearer    ${key}   `],
  tab: (key: string) => [`Authorization: Bearer\t${key}`],
  // Node keeps the first of two Authorization headers.
  'valid-first': (key: string) => [`Authorization: Bearer ${key}`, 'Authorization: Bearer sk_junk'],
  'junk-first': (key: string) => ['Authorization: Bearer sk_junk', `Authorization: Bearer ${key}`],
  missing: () => [],
  junk: () => ['Authorization: Bearer sk_junk'],
  basic: () => ['Authorization: Basic dXNlcjpwYXNz'],
  empty: () => ['Authorization: Bearer '],
};
const validAuths = new Set(['valid', 'lowercase', 'extra-spaces', 'tab', 'valid-first']);

const chunked = (body: Buffer, last = '0\r\n\r\n'): Buffer =>
  Buffer.concat([
    ...Array.from({ length: Math.ceil(body.length / 1000) }, (_, i) => {
      const piece = body.subarray(i * 1000, (i + 1) * 1000);
      return Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]);
    }),
    Buffer.from(last),
  ]);

/** How the body is framed: its length headers, and the bytes that go on the wire after the head. */
type Framing = (body: Buffer, delta: number) => [string[], Buffer];
const framings = {
  exact: (b) => [[`Content-Length: ${b.length}`], b],
  short: (b, delta) => [[`Content-Length: ${Math.max(0, b.length - delta)}`], b],
  // The body stalls: answered 408 after the body timeout.
  long: (b, delta) => [[`Content-Length: ${b.length + delta}`], b],
  huge: (b) => [['Content-Length: 1000000000000'], b],
  missing: (b) => [[], b],
  'non-numeric': (b) => [[`Content-Length: ${b.length}abc`], b],
  negative: (b) => [[`Content-Length: -${b.length}`], b],
  duplicated: (b) => [[`Content-Length: ${b.length}`, `Content-Length: ${b.length}`], b],
  conflicting: (b) => [[`Content-Length: ${b.length}`, `Content-Length: ${b.length + 1}`], b],
  chunked: (b) => [['Transfer-Encoding: chunked'], chunked(b)],
  'bad-chunk': (b) => [['Transfer-Encoding: chunked'], Buffer.concat([Buffer.from('zz\r\n'), chunked(b)])],
  'unterminated-chunks': (b) => [['Transfer-Encoding: chunked'], chunked(b, '')],
  'chunked-and-length': (b) => [['Transfer-Encoding: chunked', `Content-Length: ${b.length}`], chunked(b)],
  'trailing-garbage': (b) => [[`Content-Length: ${b.length}`], Buffer.concat([b, Buffer.from('GARBAGE\r\n\r\n')])],
  // Another request after the upload, on the same connection.
  pipelined: (b) => [
    [`Content-Length: ${b.length}`],
    Buffer.concat([b, Buffer.from('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n')]),
  ],
} satisfies Record<string, Framing>;

interface HeadSpec {
  auth: keyof typeof auths;
  framing: keyof typeof framings;
  /** How many bytes `short` and `long` are off by. */
  delta: number;
  contentType: keyof typeof contentTypes;
}

/** `wait` writes it all and waits; `trickle` writes it in pieces; the last two give up half-way. */
type ClientSpec = 'wait' | 'trickle' | 'close-after-head' | 'rst-mid-body';

interface RequestSpec {
  body: BodySpec;
  head: HeadSpec;
  client: ClientSpec;
}

/** Everything that is generated from, by name. */
const known = {
  headers: Object.keys(oddHeaders) as (keyof typeof oddHeaders)[],
  framings: Object.keys(framings) as (keyof typeof framings)[],
  bodyContentTypes: [
    'quoted-boundary',
    'extra-params',
    'decoy-boundary',
    'wrong-boundary',
  ] as HeadSpec['contentType'][],
};

const safeStem = fc.stringMatching(/^[a-z0-9]{1,8}$/);
const extension = fc.constantFrom('.txt', '.md', '.csv', '', '.tar.gz');
const oddChar = fc.constantFrom(...['\r', '\n', '\0', '\u202e', '"', '\\', '/', '../', '\t', ' ', 'é', '\u200f', ';']);
const safeName = fc.record({ stem: safeStem, times: fc.constant(1), ext: extension, latin1: fc.constant(false) });
const nameArb: fc.Arbitrary<Name> = fc.oneof(
  { weight: 4, arbitrary: safeName },
  {
    weight: 4,
    arbitrary: fc
      .tuple(safeStem, oddChar, fc.stringMatching(/^[a-z]{0,4}$/), extension)
      .map(([a, odd, b, ext]) => ({ stem: a + odd + b, times: 1, ext, latin1: false })),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom('n', 'ab/', 'é', '\u202e', '\\'), fc.integer({ min: 300, max: 5000 }), extension)
      .map(([stem, times, ext]) => ({ stem, times, ext, latin1: false })),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(safeStem, fc.array(fc.integer({ min: 0x80, max: 0xff }), { minLength: 1, maxLength: 3 }), extension)
      .map(([stem, bytes, ext]) => ({ stem: stem + String.fromCharCode(...bytes), times: 1, ext, latin1: true })),
  },
  {
    weight: 1,
    arbitrary: fc
      .string({ unit: 'binary', minLength: 1, maxLength: 12 })
      .map((stem) => ({ stem, times: 1, ext: '', latin1: false })),
  },
);
const sizeArb = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: limits.maxFileBytes }) },
  { weight: 1, arbitrary: fc.integer({ min: limits.maxFileBytes + 1, max: limits.maxFileBytes + 900 }) },
);
const kind = <K extends PartSpec['kind']>(k: K) => fc.constant(k);
const partArb: fc.Arbitrary<PartSpec> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: kind('file'), name: nameArb, size: sizeArb }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: kind('field'),
      name: fc.constantFrom('note', '', 'a b', 'toString', '__proto__'),
      value: fc.string({ maxLength: 20 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: kind('header'),
      header: fc.constantFrom(...known.headers),
      size: fc.integer({ min: 0, max: 64 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: kind('huge-header'),
      padBytes: fc.integer({ min: 16_500, max: 79_000 }),
      padFirst: fc.boolean(),
      size: fc.integer({ min: 0, max: 64 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: kind('cut-header'), keep: fc.integer({ min: 1, max: 60 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: kind('boundary-in-content'),
      how: fc.constantFrom(...(Object.keys(boundaryContent) as (keyof typeof boundaryContent)[])),
    }),
  },
);
const validHead: HeadSpec = { auth: 'valid', framing: 'exact', delta: 0, contentType: 'multipart' };
const bodyRequestArb: fc.Arbitrary<RequestSpec> = fc.record({
  body: fc.record({
    preamble: fc.constantFrom('', '', '', 'text\r\n', '\r\n', 'glued'),
    parts: fc.array(partArb, { maxLength: 12 }),
    ending: fc.constantFrom('closed', 'closed', 'closed', 'closed', 'closed-bare', 'unclosed', 'truncated'),
    keep: fc.integer({ min: 0, max: 999 }),
    epilogue: fc.constantFrom('', '', 'epilogue\r\n', 'delimiter'),
  }),
  head: fc
    .oneof(
      { weight: 6, arbitrary: fc.constant('multipart' as const) },
      { weight: 4, arbitrary: fc.constantFrom(...known.bodyContentTypes) },
    )
    .map((contentType): HeadSpec => ({ ...validHead, contentType })),
  client: fc.constantFrom<ClientSpec>('wait', 'wait', 'trickle'),
});
/** Small well-formed bodies, under heads that are what is being abused. */
const headRequestArb: fc.Arbitrary<RequestSpec> = fc.record({
  body: fc.record({
    preamble: fc.constant(''),
    parts: fc.array(fc.record({ kind: kind('file'), name: safeName, size: sizeArb }), { minLength: 1, maxLength: 3 }),
    ending: fc.constant('closed'),
    keep: fc.constant(0),
    epilogue: fc.constant(''),
  }),
  head: fc.record({
    auth: fc.oneof(fc.constant('valid'), fc.constantFrom(...(Object.keys(auths) as HeadSpec['auth'][]))),
    framing: fc.oneof(fc.constant('exact'), fc.constantFrom(...known.framings)),
    delta: fc.integer({ min: 3, max: 40 }),
    contentType: fc.oneof(
      fc.constant('multipart'),
      fc.constantFrom(...(Object.keys(contentTypes) as HeadSpec['contentType'][])),
    ),
  }),
  client: fc.constantFrom<ClientSpec>('wait', 'wait', 'wait', 'wait', 'trickle', 'close-after-head', 'rst-mid-body'),
});

// ---- Rendering --------------------------------------------------------------------------------------

const nameText = (name: Name): string => name.stem.repeat(name.times) + name.ext;
const content = (size: number, tag: string): string => `${tag}:`.padEnd(size, 'x').slice(0, size);
const disposition = (filename: string): string =>
  `Content-Disposition: form-data; name="file"; filename="${filename.replace(/["\\]/g, (c) => `\\${c}`)}"`;

function renderPart(part: PartSpec, index: number): Buffer {
  const block = (header: string, body: string, latin1 = false): Buffer =>
    Buffer.concat([
      Buffer.from(`--${boundary}\r\n`),
      Buffer.from(header === '' ? '\r\n' : `${header}\r\n\r\n`, latin1 ? 'latin1' : 'utf8'),
      Buffer.from(`${body}\r\n`),
    ]);
  switch (part.kind) {
    case 'file': {
      const header = `${disposition(nameText(part.name))}\r\nContent-Type: application/octet-stream`;
      return block(header, content(part.size, `file ${index}`), part.name.latin1);
    }
    case 'field':
      return block(`Content-Disposition: form-data; name="${part.name}"`, part.value);
    case 'header':
      return block(oddHeaders[part.header][0], content(part.size, `odd ${index}`));
    case 'huge-header': {
      const [pad, huge] = [`X-Pad: ${'p'.repeat(part.padBytes)}`, disposition('huge.txt')];
      return block(part.padFirst ? `${pad}\r\n${huge}` : `${huge}\r\n${pad}`, content(part.size, `huge ${index}`));
    }
    case 'cut-header':
      return Buffer.from(`--${boundary}\r\n${disposition('cut.txt').slice(0, part.keep)}\r\n`);
    case 'boundary-in-content':
      return block(disposition(`${part.how}.txt`), boundaryContent[part.how]);
  }
}

function renderBody(body: BodySpec): Buffer {
  const closing = `--${boundary}--${body.ending === 'closed-bare' ? '' : '\r\n'}`;
  const epilogue = body.epilogue === 'delimiter' ? `--${boundary}\r\n` : body.epilogue;
  const whole = Buffer.concat([
    Buffer.from(body.preamble),
    ...body.parts.map(renderPart),
    Buffer.from(body.ending === 'unclosed' ? '' : closing + epilogue),
  ]);
  return body.ending === 'truncated' ? whole.subarray(0, Math.floor((whole.length * body.keep) / 1000)) : whole;
}

/** The bytes of a request: its head, and what follows it on the wire. */
function renderRequest(server: LiveServer, { head, body }: RequestSpec): { head: Buffer; rest: Buffer } {
  const [lengthLines, rest] = framings[head.framing](renderBody(body), head.delta);
  const type = contentTypes[head.contentType];
  const lines = [
    `POST /v1/collections/${server.collectionId}/documents HTTP/1.1`,
    'Host: 127.0.0.1',
    // Pipelined, the upload keeps the connection open and the request after it closes it.
    ...(head.framing === 'pipelined' ? [] : ['Connection: close']),
    ...auths[head.auth](server.adminKey),
    ...(type === undefined ? [] : [`Content-Type: ${type}`]),
    ...lengthLines,
  ];
  return { head: Buffer.from(`${lines.join('\r\n')}\r\n\r\n`), rest };
}

/** Sends one request as its client would; resolves with all that came back, and the server's socket inode. */
async function send(server: LiveServer, spec: RequestSpec) {
  const { head, rest } = renderRequest(server, spec);
  // Never end(): Node's server aborts a request whose client half-closes the connection.
  const ways: Record<ClientSpec, (socket: Socket) => void> = {
    wait: (socket) => socket.write(Buffer.concat([head, rest])),
    // Stops sending once an answer comes, as HTTP clients do when a server refuses an upload early.
    trickle: (socket) => {
      socket.setNoDelay(true);
      let answered = false;
      socket.once('data', () => (answered = true));
      const pieces = [
        head,
        ...Array.from({ length: 8 }, (_, i) => rest.subarray((i * rest.length) / 8, ((i + 1) * rest.length) / 8)),
      ];
      const next = (): void => {
        const piece = pieces.shift();
        if (piece && !socket.destroyed && !answered) {
          socket.write(piece, () => setTimeout(next, 2));
        }
      };
      next();
    },
    'close-after-head': (socket) => socket.write(head, () => socket.destroy()),
    'rst-mid-body': (socket) =>
      socket.write(Buffer.concat([head, rest.subarray(0, rest.length >> 1)]), () =>
        setTimeout(() => socket.resetAndDestroy(), 20),
      ),
  };
  let serverInode: Promise<string | undefined> = Promise.resolve(undefined);
  const exchange = await rawExchangeEnding(
    server.port,
    (socket) => {
      serverInode = serverSocketInode(server.port, socket.localPort ?? 0);
      ways[spec.client](socket);
    },
    6000,
  );
  return { ...exchange, answers: parseAnswers(exchange.answer), serverInode: await serverInode };
}

// ---- What must happen -------------------------------------------------------------------------------

function outcomeOf(part: PartSpec): Outcome {
  switch (part.kind) {
    case 'file': {
      const raw = nameText(part.name);
      // A CR LF in a quoted name ends the header line there: what is read then depends on the rest.
      if (raw.includes('\r\n')) {
        return 'unknown';
      }
      const decoded = part.name.latin1 ? Buffer.from(raw, 'latin1').toString('utf8') : raw;
      return /[\r\n]/.test(raw) ? 'refused' : { file: sanitizeFilename(decoded) };
    }
    case 'field':
      return part.name in Object.prototype ? 'poison' : 'field';
    case 'header':
      return oddHeaders[part.header][1];
    case 'huge-header':
      return { file: 'huge.txt' };
    case 'boundary-in-content':
      return part.how === 'split' || part.how === 'closing' ? 'unknown' : { file: `${part.how}.txt` };
    case 'cut-header':
      return 'unknown';
  }
}

interface Expected {
  statuses: number[];
  /** For a 202: the documents in the request's order, and the positions of refused parts (-1: "could not be read"). */
  documents?: { source: string; failed: boolean }[];
  refused?: number[];
}

/** The answer to a body under a valid head, where the body tells it. */
function expectFromBody({ body, head }: RequestSpec): Expected | undefined {
  const outcomes = body.parts.map(outcomeOf);
  if (head.contentType === 'wrong-boundary') {
    return { statuses: [400, 422] };
  }
  if (body.preamble === 'glued' || body.ending === 'truncated' || outcomes.includes('unknown')) {
    return undefined;
  }
  if (renderBody(body).length === 0) {
    return { statuses: [422] };
  }
  if (body.ending === 'unclosed' || outcomes.includes('poison')) {
    return { statuses: [400, 413] };
  }
  const files = body.parts.flatMap((part, i) => {
    const outcome = outcomes[i];
    const size = 'size' in part ? part.size : 0;
    return typeof outcome === 'object' ? [{ source: outcome.file, size }] : [];
  });
  // Each file counts up to the per-file limit and a byte: the parser cuts it there.
  const total = (n: number) => files.slice(0, n).reduce((sum, f) => sum + Math.min(f.size, limits.maxFileBytes + 1), 0);
  if (files.length > limits.maxUploadFiles || total(limits.maxUploadFiles) > limits.maxRequestBytes) {
    return { statuses: [413] };
  }
  if (files.length === 0) {
    return { statuses: [422] };
  }
  // A part busboy drops without a word is found by the scan beside it, at its own position.
  const refused = outcomes.flatMap((o, i) => (o === 'refused' || o === 'field' || o === 'dropped' ? [i] : []));
  return {
    statuses: [202],
    documents: files.map((f) => ({ source: f.source, failed: f.size > limits.maxFileBytes })),
    refused,
  };
}

/** The answer to a small well-formed body under an abused head. */
function expectFromHead({ head }: RequestSpec): Expected {
  if (['non-numeric', 'negative', 'duplicated', 'conflicting', 'chunked-and-length'].includes(head.framing)) {
    return { statuses: [400] };
  }
  // Bytes after the body are read as the next request, whose 400 may come first.
  const leftover = ['short', 'missing', 'trailing-garbage', 'bad-chunk'].includes(head.framing);
  if (!validAuths.has(head.auth)) {
    return { statuses: leftover ? [401, 400] : [401] };
  }
  const stalls = ['long', 'huge', 'unterminated-chunks'].includes(head.framing);
  switch (head.contentType) {
    case 'multipart':
    case 'quoted-boundary':
    case 'extra-params':
    case 'decoy-boundary': {
      const byFraming: Record<string, number[]> = {
        short: [400],
        'bad-chunk': [400],
        missing: [422, 400],
        'trailing-garbage': [202, 400],
      };
      return { statuses: stalls ? [408] : (byFraming[head.framing] ?? [202]) };
    }
    case 'wrong-boundary':
      return { statuses: stalls ? [408] : [400, 422] };
    case 'text':
    case 'json':
      return { statuses: head.framing === 'huge' ? [413] : stalls ? [408] : [400] };
    default:
      return { statuses: [400] };
  }
}

function expectOf(spec: RequestSpec): Expected | undefined {
  if (spec.client === 'close-after-head' || spec.client === 'rst-mid-body') {
    return undefined;
  }
  const { auth, framing, contentType } = spec.head;
  const multipart = contentType.endsWith('boundary') || contentType === 'multipart' || contentType === 'extra-params';
  const plain =
    auth === 'valid' &&
    framing === 'exact' &&
    multipart &&
    !contentType.startsWith('no-') &&
    !contentType.startsWith('empty-');
  return plain ? expectFromBody(spec) : expectFromHead(spec);
}

interface UploadAnswer {
  documents: {
    id: string;
    source: string;
    sha256: string;
    size_bytes: number;
    state: string;
    error: { code: string } | null;
  }[];
  refused: { part: number; name: string | null; code: string }[];
}

// eslint-disable-next-line no-control-regex
const hidden = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/** What holds of every 202, whatever was sent. */
function checkAccepted(spec: RequestSpec, body: UploadAnswer, where: string): void {
  expect(body.documents.length, where).toBeLessThanOrEqual(limits.maxUploadFiles);
  for (const doc of body.documents) {
    const steps = doc.source.split('/');
    const clean = !hidden.test(doc.source) && doc.source.length <= 1024;
    const stepsOk = steps.every((s) => s.length > 0 && !s.startsWith('.') && Array.from(s).length <= 255);
    const tooLarge = doc.size_bytes > limits.maxFileBytes;
    expect({ where, source: doc.source, clean, stepsOk, error: doc.error?.code ?? null }).toEqual({
      ...{ where, source: doc.source, clean: true, stepsOk: true },
      error: tooLarge ? 'file_too_large' : null,
    });
  }
  const indexes = body.refused.map((r) => r.part).filter((p) => p >= 0);
  expect(new Set(indexes).size, `${where}: a part refused twice: ${JSON.stringify(body.refused)}`).toBe(indexes.length);
  // Each part sent is a document or refused, never both: together they are at most the parts sent.
  const sent =
    Buffer.concat([Buffer.from('\r\n'), renderBody(spec.body)])
      .toString('latin1')
      .split(`\r\n--${boundary}`).length - 1;
  expect(
    body.documents.length + indexes.length,
    `${where}: ${body.documents.length} documents and refused parts ${JSON.stringify(body.refused)} out of ${sent} parts`,
  ).toBeLessThanOrEqual(sent);
}

// ---- A batch ----------------------------------------------------------------------------------------

/** What the server's descriptors point at, to tell a socket from a file in a failure. */
function fdTargets(server: LiveServer): string[] {
  return readdirSync(`/proc/${server.pid}/fd`).map((fd) => {
    try {
      return readlinkSync(`/proc/${server.pid}/fd/${fd}`);
    } catch {
      return '(closed)';
    }
  });
}

/** The documents once no request is recording any more: a handler may go on after its connection is gone. */
async function settledDocuments(server: LiveServer): Promise<Set<string>> {
  let last = '';
  for (const deadline = Date.now() + 3000; ;) {
    const ids = (await listDocuments(server)).map((d) => d.id).join();
    if (ids === last || Date.now() > deadline) {
      return new Set(ids.split(',').filter(Boolean));
    }
    last = ids;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function runBatch(server: LiveServer, requests: RequestSpec[], concurrency: number): Promise<void> {
  const documentsBefore = new Set((await listDocuments(server)).map((d) => d.id));
  const blobsBefore = new Set(blobKeys(server));
  const tempBefore = new Set(server.tempFiles());
  // After a request of the test's own client, so that its keep-alive connection is counted.
  const fdsBefore = fdTargets(server);

  const exchanges: Awaited<ReturnType<typeof send>>[] = new Array(requests.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, requests.length) }, async () => {
      for (let i = next++; i < requests.length; i = next++) {
        exchanges[i] = await send(server, requests[i] as RequestSpec);
      }
    }),
  );

  const accepted: UploadAnswer[] = [];
  requests.forEach((spec, i) => {
    const where = `request ${i}`;
    const { answers, ending, ms } = exchanges[i] as Awaited<ReturnType<typeof send>>;
    for (const answer of answers) {
      expect(answer.status, `${where}: ${JSON.stringify(answer.body)}`).toBeLessThan(500);
      if (answer.status >= 400) {
        expect(answer.contentType, where).toMatch(/^application\/problem\+json/);
      }
    }
    // A client that waits gets an answer; one still sending when the server closes may see a reset first.
    if (spec.client !== 'close-after-head' && spec.client !== 'rst-mid-body' && ending !== 'reset') {
      expect(answers.length, `${where}: no answer, connection ${ending} after ${ms} ms`).toBeGreaterThan(0);
    }
    const expected = expectOf(spec);
    const first = answers[0];
    if (expected && first) {
      expect(expected.statuses, `${where} answered ${first.status}: ${JSON.stringify(first.body)}`).toContain(
        first.status,
      );
    }
    if (first?.status === 202) {
      const body = first.body as UploadAnswer;
      accepted.push(body);
      checkAccepted(spec, body, where);
      if (expected?.documents) {
        const documents = body.documents.map((d) => ({ source: d.source, failed: d.state === 'failed' }));
        expect({ where, documents, refused: body.refused.map((r) => r.part) }).toEqual({
          where,
          documents: expected.documents,
          refused: expected.refused,
        });
      }
    }
  });

  expect(server.alive(), 'the server process is alive').toBe(true);
  expect((await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(1000) })).status).toBe(200);
  const leaked = (): string[] => server.tempFiles().filter((f) => !tempBefore.has(f));
  for (const deadline = Date.now() + 3000; Date.now() < deadline;) {
    if (server.fdCount() <= fdsBefore.length && leaked().length === 0) {
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect(leaked(), 'temporary files left behind').toEqual([]);
  const held = fdTargets(server)
    .filter((target) => !fdsBefore.includes(target))
    .map((target) => {
      const request = exchanges.findIndex((e) => target === `socket:[${e.serverInode}]`);
      return request >= 0 ? `${target} of request ${request}` : target;
    });
  expect(server.fdCount(), `descriptors held after the batch: ${held.join(', ')}`).toBeLessThanOrEqual(
    fdsBefore.length,
  );

  // A document for exactly the files that 202 answers list: none for a refused part or a 4xx answer.
  const answered = accepted.flatMap((a) => a.documents);
  const documentsAfter = await settledDocuments(server);
  expect({
    recordedWithoutA202: [...documentsAfter].filter(
      (id) => !documentsBefore.has(id) && !answered.some((d) => d.id === id),
    ),
    answeredButNotRecorded: answered.filter((d) => !documentsAfter.has(d.id)).map((d) => d.id),
  }).toEqual({ recordedWithoutA202: [], answeredButNotRecorded: [] });
  // Raw files for exactly the documents the ledger holds (a new version's upload removes the file of
  // the version it replaces; a file refused at the door has none).
  const stored = new Set((await listDocuments(server)).map((d) => d.sha256).filter(Boolean));
  const blobsAfter = blobKeys(server);
  expect({
    blobsWithoutAStoredFile: blobsAfter.filter((key) => !blobsBefore.has(key) && !stored.has(key)),
    storedFilesWithoutABlob: [...stored].filter((key) => !blobsAfter.includes(key)),
  }).toEqual({ blobsWithoutAStoredFile: [], storedFilesWithoutABlob: [] });
}

/** fast-check's options: a failure's seed and path from the environment replay it. */
function options(numRuns: number): fc.Parameters<unknown> {
  const { FUZZ_SEED: seed, FUZZ_PATH: path } = process.env;
  return {
    numRuns,
    ...(seed ? { seed: Number(seed) } : {}),
    ...(path ? { path } : {}),
    // Each shrinking step is a batch against the live server: bounded, it still ends on a small case.
    interruptAfterTimeLimit: Number(process.env.FUZZ_TIME_LIMIT ?? 30_000),
    markInterruptAsFailure: false,
  };
}

// ---- The suite --------------------------------------------------------------------------------------

const file = (stem: string, size = 3): PartSpec => ({
  kind: 'file',
  name: { stem, times: 1, ext: '.txt', latin1: false },
  size,
});
const upload = (parts: PartSpec[], head: Partial<HeadSpec> = {}): RequestSpec => ({
  body: { preamble: '', parts, ending: 'closed', keep: 0, epilogue: '' },
  head: { ...validHead, ...head },
  client: 'wait',
});

/**
 * Minimal counterexamples the properties once shrank to, one batch each, checked as the properties
 * check theirs: each would fail on its own here, while a property stops at the first it meets.
 */
const counterexamples: { name: string; requests: RequestSpec[] }[] = [
  {
    name: 'a part typed `form -data` is a document, as busboy reads it, and not also refused',
    requests: [upload([{ kind: 'header', header: 'spaced-type', size: 0 }])],
  },
  {
    name: 'a part typed `"form-data"` is a document and not also refused',
    requests: [upload([{ kind: 'header', header: 'quoted-type', size: 0 }])],
  },
  {
    name: 'a part header over 16 KB with Content-Disposition last is a document and not also refused',
    requests: [upload([{ kind: 'huge-header', padBytes: 65_181, padFirst: true, size: 0 }])],
  },
  {
    name: 'a part busboy drops and a form field after it are refused at their own positions',
    requests: [
      upload([
        { kind: 'header', header: 'junk-line-first', size: 0 },
        file('a'),
        { kind: 'field', name: 'note', value: 'x' },
      ]),
    ],
  },
  {
    name: 'a form field after a part cut off in its headers is refused once, at its position',
    requests: [upload([file('a'), { kind: 'cut-header', keep: 20 }, { kind: 'field', name: 'note', value: '' }])],
  },
  {
    name: 'a decoy boundary parameter does not hide a refused part from the answer',
    requests: [
      upload([file('a'), { kind: 'header', header: 'no-disposition', size: 0 }], { contentType: 'decoy-boundary' }),
    ],
  },
  {
    name: 'a form field without a name beside a file is refused, not answered 500',
    requests: [upload([file('a'), { kind: 'header', header: 'bare-form-data', size: 0 }])],
  },
  {
    name: 'an upload followed by garbage on its connection gets its own answer before the connection closes',
    requests: Array.from({ length: 8 }, (_, i) => upload([file(`g${i}`)], { framing: 'trailing-garbage' })),
  },
];

describe('a live server under generated abuse', () => {
  let server: LiveServer;
  beforeAll(async () => {
    // No workers: nothing is processed, so descriptors and document counts stay still between batches.
    server = await startLiveServer(
      {
        SLUICE_MAX_FILE_BYTES: String(limits.maxFileBytes),
        SLUICE_MAX_UPLOAD_FILES: String(limits.maxUploadFiles),
        SLUICE_MAX_REQUEST_BYTES: String(limits.maxRequestBytes),
        SLUICE_BODY_TIMEOUT_MS: String(limits.bodyTimeoutMs),
        SLUICE_WORKERS: 'false',
        SLUICE_RATE_LIMIT_PER_MINUTE: '1000000',
        SLUICE_AUTH_FAILURES_PER_MINUTE: '1000000',
      },
      ['--no-workers'],
    );
  });
  afterAll(() => server?.stop());

  it('answers malformed multipart bodies 202 or 4xx, and records exactly the files it lists', async () => {
    const batch = fc.array(bodyRequestArb, { minLength: 1, maxLength: 14 });
    await fc.assert(
      fc.asyncProperty(batch, fc.constantFrom(14, 4, 1), (requests, concurrency) =>
        runBatch(server, requests, concurrency),
      ),
      options(25),
    );
  }, 120_000);

  it('answers malformed heads 4xx, drops abrupt clients, and gives back every descriptor', async () => {
    const batch = fc.array(headRequestArb, { minLength: 1, maxLength: 16 });
    await fc.assert(
      fc.asyncProperty(batch, (requests) => runBatch(server, requests, 16)),
      options(12),
    );
  }, 120_000);

  it.each(counterexamples)('$name', ({ requests }) => runBatch(server, requests, 8));

  it('is left with no temporary file and answers /healthz', async () => {
    expect(server.tempFiles()).toEqual([]);
    expect((await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(1000) })).status).toBe(200);
  });
});
