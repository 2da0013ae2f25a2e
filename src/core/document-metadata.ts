import { SluiceError } from './errors.js';

/** A value a document's metadata may hold: filters compare strings, numbers and booleans. */
export type MetadataScalar = string | number | boolean;

/** Fields a caller attaches to a document (`team: "infra"`, `year: 2024`, `tags: ["a", "b"]`). */
export type DocumentMetadata = Record<string, MetadataScalar | MetadataScalar[]>;

export const metadataLimits = { keys: 32, keyLength: 64, stringLength: 1000, listItems: 64, jsonBytes: 8192 };

/** Letters, digits and `_ . : -`, starting with a letter, digit or `_`: safe in a filter expression. */
const keyPattern = /^[\p{L}\p{N}_][\p{L}\p{N}_.:-]*$/u;

const invalid = (message: string): SluiceError => new SluiceError('invalid_input', message);

function checkScalar(key: string, value: unknown): MetadataScalar {
  if (typeof value === 'string') {
    if (value.length > metadataLimits.stringLength) {
      throw invalid(`Metadata "${key}" is longer than ${metadataLimits.stringLength} characters`);
    }
    return value;
  }
  if (typeof value === 'number' && Number.isFinite(value)) {
    return value;
  }
  if (typeof value === 'boolean') {
    return value;
  }
  throw invalid(`Metadata "${key}" must be a string, a finite number, a boolean or a list of them`);
}

/** Checks what a caller sent as metadata: a flat JSON object within `metadataLimits`. */
export function parseMetadata(value: unknown): DocumentMetadata {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid('Metadata must be a JSON object');
  }
  const entries = Object.entries(value);
  if (entries.length > metadataLimits.keys) {
    throw invalid(`Metadata holds at most ${metadataLimits.keys} keys`);
  }
  const metadata: DocumentMetadata = {};
  for (const [key, item] of entries) {
    if (key.length > metadataLimits.keyLength || !keyPattern.test(key)) {
      throw invalid(
        `Metadata key "${key.slice(0, 80)}" must be at most ${metadataLimits.keyLength} letters, digits or _ . : - (not starting with . : -)`,
      );
    }
    if (Array.isArray(item)) {
      if (item.length > metadataLimits.listItems) {
        throw invalid(`Metadata "${key}" lists more than ${metadataLimits.listItems} values`);
      }
      metadata[key] = item.map((v: unknown) => checkScalar(key, v));
    } else {
      metadata[key] = checkScalar(key, item);
    }
  }
  if (new TextEncoder().encode(JSON.stringify(metadata)).length > metadataLimits.jsonBytes) {
    throw invalid(`Metadata is larger than ${metadataLimits.jsonBytes} bytes as JSON`);
  }
  return metadata;
}

/** Parses metadata sent as JSON text (a form field, a CLI option). */
export function parseMetadataJson(text: string, what = 'metadata'): DocumentMetadata {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalid(`The ${what} is not valid JSON`);
  }
  return parseMetadata(value);
}

/** A string that reads as a number exactly (`2024`, `-1.5`, `1e3`), so a filter may compare it as one. */
const numeric = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;

/** One indexed value of a key: its text form for equality and string ranges, its number for numeric ranges. */
export interface MetadataField {
  key: string;
  text: string;
  num: number | null;
}

/**
 * The rows a document's metadata is indexed as, one per value (a list gives one per item), so that
 * equality, `in` and ranges use an index in either store. A numeric string also counts as its number.
 */
export function metadataFields(metadata: DocumentMetadata): MetadataField[] {
  return Object.entries(metadata).flatMap(([key, value]) =>
    (Array.isArray(value) ? value : [value]).map((item) => ({
      key,
      text: String(item),
      num: typeof item === 'number' ? item : typeof item === 'string' && numeric.test(item) ? Number(item) : null,
    })),
  );
}

/** Metadata as a store keeps it (JSON text), or null for none. */
export function metadataText(metadata: DocumentMetadata | undefined): string | null {
  return metadata && Object.keys(metadata).length > 0 ? JSON.stringify(metadata) : null;
}

/** Metadata from a store's JSON text: an empty object for none. */
export function metadataOf(text: string | null | undefined): DocumentMetadata {
  return text ? (JSON.parse(text) as DocumentMetadata) : {};
}
