import type { MetadataScalar } from './document-metadata.js';

/** A condition on one metadata key: any of these values, or within bounds (numbers, or strings such as ISO dates). */
export type MetadataCondition =
  | { key: string; in: readonly MetadataScalar[] }
  | { key: string; gt?: string | number; gte?: string | number; lt?: string | number; lte?: string | number };

/**
 * Which chunks a search may return: those of the collection's documents that pass every condition
 * given. Each list is "any of these"; times are ISO strings, `createdAfter` inclusive, `createdBefore` not.
 */
export interface SearchScope {
  documentIds?: readonly string[];
  sourcePrefix?: string;
  mediaTypes?: readonly string[];
  languages?: readonly string[];
  createdAfter?: string;
  createdBefore?: string;
  metadata?: readonly MetadataCondition[];
}

/** True when the scope narrows nothing. */
export function isUnscoped(scope: SearchScope | undefined): boolean {
  return (
    scope === undefined ||
    (scope.documentIds === undefined &&
      scope.sourcePrefix === undefined &&
      scope.mediaTypes === undefined &&
      scope.languages === undefined &&
      scope.createdAfter === undefined &&
      scope.createdBefore === undefined &&
      (scope.metadata === undefined || scope.metadata.length === 0))
  );
}
