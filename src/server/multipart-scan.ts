import { createRequire } from 'node:module';
import { SluiceError } from '../core/errors.js';

/** One part of a multipart body, as the multipart parser's own reading of it shows it. */
export interface ScannedPart {
  /** Position in the body, from 0. */
  index: number;
  /** The part's `filename` or `name`, as sent. */
  label: string | undefined;
  /** Why the multipart parser drops this part without a word, if it does. */
  unreadable: string | undefined;
}

type Params = (string | [string, string])[];
type Header = Record<string, string[] | undefined>;

/** What this module uses of busboy's parts (a structural description of its CommonJS internals). */
interface PartStream {
  on(event: 'header', listener: (header: Header) => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
  resume(): this;
}
interface PartParser {
  on(event: 'part' | 'preamble', listener: (part: PartStream) => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
  write(chunk: Buffer): boolean;
  end(): void;
}

// busboy's own part splitter and parameter parser, the ones @fastify/multipart reads the body with,
// so that the scan reads every part exactly as the parser does.
const require = createRequire(import.meta.url);
const Dicer = require('@fastify/busboy/deps/dicer/lib/Dicer') as new (config: {
  boundary: string;
  maxHeaderPairs: number;
  maxHeaderSize: number;
}) => PartParser;
const parseParams = require('@fastify/busboy/lib/utils/parseParams') as (value: string) => Params;

/** busboy's defaults, which @fastify/multipart leaves as they are. */
const maxHeaderPairs = 2000;
const maxHeaderSize = 80 * 1024;

/** The boundary a multipart Content-Type names, read as busboy reads it. */
export function boundaryOf(contentType: string | undefined): string {
  const boundary = parseParams(contentType ?? '').find(
    (param): param is [string, string] => Array.isArray(param) && /^boundary$/i.test(param[0]),
  )?.[1];
  if (!boundary) {
    throw new SluiceError('invalid_multipart', 'The Content-Type names no multipart boundary');
  }
  return boundary;
}

/**
 * Reads the parts of a multipart body beside the real parser. Busboy drops a part whose name holds a
 * bare line break, or that has no form-data Content-Disposition, without an event, so the answer to an
 * upload could not list it; this second reading, with busboy's own splitter and the same rules, finds
 * every part the client sent and which of them the parser skips.
 */
export function createMultipartScan(boundary: string) {
  const parts: ScannedPart[] = [];
  const parser = new Dicer({ boundary, maxHeaderPairs, maxHeaderSize });
  // A malformed body is the real parser's to report; this reading only lists parts.
  parser.on('error', () => undefined);
  parser.on('preamble', (preamble) => preamble.on('error', () => undefined).resume());
  parser.on('part', (part) => {
    const scanned: ScannedPart = {
      index: parts.length,
      label: undefined,
      unreadable: 'The part has no readable header',
    };
    parts.push(scanned);
    part.on('error', () => undefined);
    part.on('header', (header) => Object.assign(scanned, describeHeader(header)));
    part.resume();
  });
  return {
    push: (chunk: Buffer): void => {
      parser.write(chunk);
    },
    /** The parts seen so far; the last may still be arriving. */
    parts: (): readonly ScannedPart[] => parts,
  };
}

/** busboy's rules (lib/types/multipart.js) for whether a part becomes a field or a file event. */
function describeHeader(header: Header): Pick<ScannedPart, 'label' | 'unreadable'> {
  const disposition = header['content-disposition']?.[0];
  if (disposition === undefined) {
    return {
      label: undefined,
      unreadable:
        'The part has no Content-Disposition header the parser can read (a raw line break inside one ends it)',
    };
  }
  const [type, ...params] = parseParams(disposition);
  const labelOf = (): string | undefined => {
    const named = params.filter(
      (param): param is [string, string] => Array.isArray(param) && /^(file)?name$/i.test(param[0]),
    );
    return (named.find(([key]) => /^filename$/i.test(key)) ?? named[0])?.[1];
  };
  if (typeof type !== 'string' || !/^form-data$/i.test(type)) {
    return { label: labelOf(), unreadable: 'The part is not form-data' };
  }
  // In order, as busboy reads them: the first name or file name with a line break drops the part.
  for (const param of params) {
    if (Array.isArray(param) && /^(file)?name$/i.test(param[0]) && /[\r\n]/.test(param[1])) {
      return { label: param[1], unreadable: 'The part name or file name holds a line break' };
    }
  }
  return { label: labelOf(), unreadable: undefined };
}
