/**
 * How long a collection's languages are kept before they are read again. A document in a language the
 * collection did not hold has its words found in their stemmed forms (`searchTerms`) within this long.
 */
const keepMs = 5000;

/**
 * The languages detected in a collection's documents, for the stems and stop words of its text
 * queries, read at most once per `keepMs` per collection: a query pays an index read only now and then.
 */
export function createCollectionLanguages(
  read: (collectionId: string) => Promise<string[]> | string[],
): (collectionId: string) => Promise<string[]> {
  const known = new Map<string, { languages: Promise<string[]>; at: number }>();
  return (collectionId) => {
    const cached = known.get(collectionId);
    if (cached && performance.now() - cached.at < keepMs) {
      return cached.languages;
    }
    const languages = Promise.resolve().then(() => read(collectionId));
    // A read that failed is not kept: the next query reads again.
    languages.catch(() => known.delete(collectionId));
    known.set(collectionId, { languages, at: performance.now() });
    return languages;
  };
}
