import type { MetadataCondition, SearchScope } from '../core/search-scope.js';

type Dialect = 'sqlite' | 'postgres';

/** Adds a parameter and returns its placeholder (`?` in order, or `$n`). */
export type AddParam = (value: unknown) => string;

/** A list parameter: one JSON array in SQLite, one array in PostgreSQL, so that statements do not vary with its length. */
function anyOf(dialect: Dialect, column: string, values: readonly unknown[], add: AddParam, type = 'text'): string {
  return dialect === 'sqlite'
    ? `${column} IN (SELECT value FROM json_each(${add(JSON.stringify(values))}))`
    : `${column} = ANY(${add(values)}::${type}[])`;
}

const bounds = [
  ['gt', '>'],
  ['gte', '>='],
  ['lt', '<'],
  ['lte', '<='],
] as const;

function fieldCondition(dialect: Dialect, condition: MetadataCondition, add: AddParam): string {
  // Placeholders are taken in the order they appear in the text.
  const parts: string[] = [`key = ${add(condition.key)}`];
  if ('in' in condition) {
    const numbers = condition.in.filter((v): v is number => typeof v === 'number');
    const texts = condition.in.map(String);
    // A number also matches a numeric string stored as text ("2024"), and any value matches its text form.
    const either = [anyOf(dialect, 'text_value', texts, add)];
    if (numbers.length > 0) {
      either.push(anyOf(dialect, 'num_value', numbers, add, 'float8'));
    }
    parts.push(`(${either.join(' OR ')})`);
  } else {
    for (const [name, op] of bounds) {
      const bound = condition[name];
      if (bound !== undefined) {
        parts.push(typeof bound === 'number' ? `num_value ${op} ${add(bound)}` : `text_value ${op} ${add(bound)}`);
      }
    }
  }
  return parts.join(' AND ');
}

/**
 * The ids of the collection's documents within `scope`, as a subquery: each condition reads an index
 * (documents by collection and column, `document_fields` by collection, key and value).
 */
export function scopedDocumentsSql(dialect: Dialect, collectionId: string, scope: SearchScope, add: AddParam): string {
  const where = [`collection_id = ${add(collectionId)}`];
  if (scope.documentIds) {
    where.push(anyOf(dialect, 'id', scope.documentIds, add));
  }
  if (scope.sourcePrefix !== undefined) {
    where.push(
      dialect === 'sqlite'
        ? `substr(source, 1, length(${add(scope.sourcePrefix)})) = ${add(scope.sourcePrefix)}`
        : `starts_with(source, ${add(scope.sourcePrefix)})`,
    );
  }
  if (scope.mediaTypes) {
    where.push(anyOf(dialect, 'media_type', scope.mediaTypes, add));
  }
  if (scope.languages) {
    where.push(anyOf(dialect, 'language', scope.languages, add));
  }
  const time = dialect === 'sqlite' ? '' : '::timestamptz';
  if (scope.createdAfter !== undefined) {
    where.push(`created_at >= ${add(scope.createdAfter)}${time}`);
  }
  if (scope.createdBefore !== undefined) {
    where.push(`created_at < ${add(scope.createdBefore)}${time}`);
  }
  for (const condition of scope.metadata ?? []) {
    where.push(
      `id IN (SELECT document_id FROM document_fields WHERE collection_id = ${add(collectionId)} AND ${fieldCondition(dialect, condition, add)})`,
    );
  }
  return `SELECT id FROM documents WHERE ${where.join(' AND ')}`;
}

/** Parameters collected in order, for `?` (SQLite) or `$n` (PostgreSQL, numbered after `first - 1` others). */
export function paramList(dialect: Dialect, first = 1): { add: AddParam; values: unknown[] } {
  const values: unknown[] = [];
  return {
    values,
    add: (value) => {
      values.push(value);
      return dialect === 'sqlite' ? '?' : `$${first + values.length - 1}`;
    },
  };
}
