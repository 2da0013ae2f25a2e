import { metadataLimits, type MetadataScalar } from './document-metadata.js';
import { SluiceError } from './errors.js';
import type { MetadataCondition, SearchScope } from './search-scope.js';

/** Bounds on one metadata key, or a list of values any of which it may hold. */
export interface FieldRange {
  in?: MetadataScalar[] | undefined;
  gt?: string | number | undefined;
  gte?: string | number | undefined;
  lt?: string | number | undefined;
  lte?: string | number | undefined;
}

/** A query's filter as the API takes it (`POST …/query`), and as `sluice query --filter` builds it. */
export interface QueryFilter {
  document_ids?: string[] | undefined;
  source_prefix?: string | undefined;
  media_type?: string | string[] | undefined;
  language?: string | string[] | undefined;
  created_after?: string | undefined;
  created_before?: string | undefined;
  /** Per key: a value it must hold, a list of values any of which it may hold, or bounds. */
  metadata?: Record<string, MetadataScalar | MetadataScalar[] | FieldRange> | undefined;
}

export const filterLimits = { keys: 16, values: 100 };

const invalid = (message: string): SluiceError => new SluiceError('invalid_input', message);
const listOf = <T>(value: T | T[] | undefined): T[] | undefined =>
  value === undefined ? undefined : Array.isArray(value) ? value : [value];

/** A time as the stores keep it (ISO, UTC), so that comparisons order it right. */
function isoTime(value: string, name: string): string {
  const time = new Date(value);
  if (Number.isNaN(time.getTime())) {
    throw invalid(`filter.${name} must be a date or time (ISO 8601), not "${value}"`);
  }
  return time.toISOString();
}

function metadataCondition(key: string, value: MetadataScalar | MetadataScalar[] | FieldRange): MetadataCondition {
  if (Array.isArray(value) || typeof value !== 'object') {
    const values = listOf(value) as MetadataScalar[];
    if (values.length === 0 || values.length > filterLimits.values) {
      throw invalid(`filter.metadata.${key} must list 1 to ${filterLimits.values} values`);
    }
    return { key, in: values };
  }
  if (value.in !== undefined) {
    if (Object.keys(value).length > 1) {
      throw invalid(`filter.metadata.${key} takes "in" or bounds, not both`);
    }
    return metadataCondition(key, value.in);
  }
  const { gt, gte, lt, lte } = value;
  const given = Object.fromEntries(Object.entries({ gt, gte, lt, lte }).filter(([, v]) => v !== undefined));
  if (Object.keys(given).length === 0) {
    throw invalid(`filter.metadata.${key} needs a value, a list, "in", or bounds (gt, gte, lt, lte)`);
  }
  return { key, ...given };
}

/** The stores' scope of a query's filter; throws `invalid_input` on what it cannot mean. */
export function toSearchScope(filter: QueryFilter | undefined): SearchScope {
  if (!filter) {
    return {};
  }
  const metadata = Object.entries(filter.metadata ?? {});
  if (metadata.length > filterLimits.keys) {
    throw invalid(`filter.metadata may name at most ${filterLimits.keys} keys`);
  }
  const mediaTypes = listOf(filter.media_type);
  const languages = listOf(filter.language);
  return {
    ...(filter.document_ids ? { documentIds: filter.document_ids } : {}),
    ...(filter.source_prefix ? { sourcePrefix: filter.source_prefix } : {}),
    ...(mediaTypes ? { mediaTypes } : {}),
    ...(languages ? { languages: languages.map((l) => l.toLowerCase()) } : {}),
    ...(filter.created_after ? { createdAfter: isoTime(filter.created_after, 'created_after') } : {}),
    ...(filter.created_before ? { createdBefore: isoTime(filter.created_before, 'created_before') } : {}),
    ...(metadata.length > 0 ? { metadata: metadata.map(([key, value]) => metadataCondition(key, value)) } : {}),
  };
}

/** Names `--filter` reads as the document's own fields; any other name is a metadata key (`metadata.lang` forces one). */
const builtIn: Record<string, 'language' | 'media_type' | 'created'> = {
  lang: 'language',
  language: 'language',
  type: 'media_type',
  media_type: 'media_type',
  created: 'created',
};

const expression = /^([^=<>!]+?)\s*(>=|<=|=|>|<)\s*(.*)$/s;
const numeric = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;

/**
 * A filter from `--filter` expressions: `key=value` (repeat a key for any of several values),
 * `key>=v`, `key<v` (numbers compare as numbers, anything else as text, such as ISO dates), with
 * `lang`, `type` and `created` meaning the document's language, media type and upload time.
 */
export function filterOfExpressions(expressions: readonly string[]): QueryFilter {
  const filter: QueryFilter = {};
  const metadata: Record<string, FieldRange> = {};
  for (const text of expressions) {
    const match = expression.exec(text.trim());
    if (!match) {
      throw invalid(`--filter "${text}" must read key=value, key>=value, key>value, key<=value or key<value`);
    }
    const [, rawKey = '', op = '', value = ''] = match;
    const key = rawKey.trim();
    const field = builtIn[key];
    if (field === 'created') {
      if (op === '>=') {
        filter.created_after = value;
      } else if (op === '<') {
        filter.created_before = value;
      } else {
        throw invalid('--filter on created takes created>=TIME or created<TIME');
      }
      continue;
    }
    if (field) {
      if (op !== '=') {
        throw invalid(`--filter on ${key} takes ${key}=value`);
      }
      filter[field] = [...(listOf(filter[field]) ?? []), value];
      continue;
    }
    const name = key.startsWith('metadata.') ? key.slice('metadata.'.length) : key;
    if (name.length === 0 || name.length > metadataLimits.keyLength) {
      throw invalid(`--filter "${text}" names no metadata key`);
    }
    const range = (metadata[name] ??= {});
    if (op === '=') {
      // A number matches the same number however it was written (1.5, "1.50"); any value, its text.
      range.in = [...(range.in ?? []), numeric.test(value) ? Number(value) : value];
    } else {
      const bound = numeric.test(value) ? Number(value) : value;
      range[({ '>': 'gt', '>=': 'gte', '<': 'lt', '<=': 'lte' } as const)[op as '>' | '>=' | '<' | '<=']] = bound;
    }
  }
  if (Object.keys(metadata).length > 0) {
    filter.metadata = metadata;
  }
  return filter;
}
