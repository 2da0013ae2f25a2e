import type { Metadata } from '@sluice/client';

type Scalar = string | number | boolean;

/** What became of a LangChain document's metadata: what Sluice will store, and the keys left out. */
export interface SluiceMetadataResult {
  metadata: Metadata;
  /** Key paths (`pdf.info.Trapped`) whose values Sluice cannot hold, left out. */
  dropped: string[];
}

// Sluice's rule for keys, so that one odd key (a PDF's `Creation Date`) drops alone instead of
// refusing the whole upload.
const keyPattern = /^[\p{L}\p{N}_][\p{L}\p{N}_.:-]{0,63}$/u;

const scalarOf = (value: unknown): Scalar | undefined => {
  if (typeof value === 'string' || typeof value === 'boolean') {
    return value;
  }
  if (typeof value === 'number') {
    return Number.isFinite(value) ? value : undefined;
  }
  // ISO 8601 text orders and filters as time does (`{ gte: "2024-01-01" }`).
  if (value instanceof Date && !Number.isNaN(value.getTime())) {
    return value.toISOString();
  }
  return undefined;
};

const listOf = (values: unknown[]): Scalar[] | undefined => {
  const items = values.map(scalarOf);
  return items.every((item) => item !== undefined) ? items : undefined;
};

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' &&
  value !== null &&
  (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null);

/**
 * A LangChain document's metadata as Sluice stores it: strings, finite numbers and booleans, or lists
 * of them. Nested objects are flattened to dotted keys (a text splitter's `loc: { lines: { from: 1 } }`
 * becomes `loc.lines.from: 1`), as Pinecone's store does; dates become ISO 8601 strings. Anything else
 * (null, undefined, lists holding objects, non-finite numbers, functions, class instances) is left
 * out and named in `dropped`, as is a key Sluice refuses (only letters, digits and `_ . : -`, not
 * starting with `. : -`, at most 64 characters). Sluice's limits on sizes are the server's to check
 * (`invalid_input`).
 */
export function toSluiceMetadata(metadata: Record<string, unknown>): SluiceMetadataResult {
  const result: SluiceMetadataResult = { metadata: {}, dropped: [] };
  const visit = (key: string, value: unknown): void => {
    if (isPlainObject(value)) {
      for (const [inner, innerValue] of Object.entries(value)) {
        visit(`${key}.${inner}`, innerValue);
      }
      return;
    }
    const kept = Array.isArray(value) ? listOf(value) : scalarOf(value);
    if (kept === undefined || !keyPattern.test(key)) {
      result.dropped.push(key);
    } else {
      result.metadata[key] = kept;
    }
  };
  for (const [key, value] of Object.entries(metadata)) {
    visit(key, value);
  }
  return result;
}
