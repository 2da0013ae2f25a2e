/** One part of a multipart body, as its delimiter and headers show it. */
export interface ScannedPart {
  /** Position in the body, from 0. */
  index: number;
  /** The part's `filename` or `name`, as sent. */
  label: string | undefined;
  /** Why the multipart parser drops this part without a word, if it does. */
  unreadable: string | undefined;
}

const headerEnd = Buffer.from('\r\n\r\n');
const maxHeaderBytes = 16 * 1024;

/**
 * Counts the parts of a multipart body beside the real parser. Busboy drops a part whose name holds a
 * bare line break, or that has no form-data Content-Disposition, without an event, so the answer to an
 * upload could not list it; scanning the delimiters finds every part the client sent.
 */
export function createMultipartScan(boundary: string) {
  // The body may begin with the delimiter itself, so a line break is put before it.
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  const parts: ScannedPart[] = [];
  let carry: Buffer = Buffer.from('\r\n');
  let header: Buffer[] | undefined;
  let headerBytes = 0;
  let closed = false;

  const finishHeader = (bytes: Buffer): void => {
    parts.push({ index: parts.length, ...describeHeader(bytes.toString('utf8')) });
    header = undefined;
  };

  const push = (chunk: Buffer): void => {
    let data = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
    carry = Buffer.alloc(0);
    while (!closed && data.length > 0) {
      if (header) {
        header.push(data);
        headerBytes += data.length;
        const joined = Buffer.concat(header);
        if (joined.length >= 2 && joined.subarray(0, 2).toString('latin1') === '--') {
          closed = true;
          return;
        }
        const end = joined.indexOf(headerEnd);
        if (end >= 0) {
          finishHeader(joined.subarray(0, end));
          data = joined.subarray(end + headerEnd.length);
          continue;
        }
        if (headerBytes > maxHeaderBytes) {
          finishHeader(joined.subarray(0, maxHeaderBytes));
          data = joined.subarray(maxHeaderBytes);
          continue;
        }
        return;
      }
      const found = data.indexOf(delimiter);
      if (found < 0) {
        carry = Buffer.from(data.subarray(Math.max(0, data.length - delimiter.length + 1)));
        return;
      }
      header = [];
      headerBytes = 0;
      data = data.subarray(found + delimiter.length);
    }
  };

  return {
    push,
    /** The parts seen so far; the last may still be arriving. */
    parts: (): readonly ScannedPart[] => parts,
  };
}

/** The same rules busboy applies before it drops a part. */
function describeHeader(text: string): Pick<ScannedPart, 'label' | 'unreadable'> {
  // The header block starts with the rest of the delimiter line (transport padding).
  const lines = text.split('\r\n').slice(1);
  const disposition = lines.find((line) => /^content-disposition\s*:/i.test(line));
  if (!disposition) {
    return { label: undefined, unreadable: 'The part has no Content-Disposition header' };
  }
  const value = disposition.slice(disposition.indexOf(':') + 1);
  const params = new Map<string, string>();
  for (const match of value.matchAll(/;\s*([\w*]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g)) {
    params.set((match[1] ?? '').toLowerCase(), match[2] ?? match[3] ?? '');
  }
  const label = params.get('filename') ?? params.get('name');
  if (!/^\s*form-data\s*(;|$)/i.test(value)) {
    return { label, unreadable: 'The part is not form-data' };
  }
  if ([params.get('name'), params.get('filename')].some((v) => v !== undefined && /[\r\n]/.test(v))) {
    return { label, unreadable: 'The part name or file name holds a line break' };
  }
  return { label, unreadable: undefined };
}
