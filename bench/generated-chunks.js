// Chunks and queries made from the fetched corpus's sentences, for the benches that need a collection
// of a given size without parsing one: sentences drawn at random into chunks of about 400 tokens, so
// that any number of them are all different, and queries of a few consecutive words of a sentence.
// The same seed gives the same chunks and queries in every run and store.
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expandPaths } from '../dist/services/expand-paths.js';

export const defaultCorpus = fileURLToPath(new URL('corpus/docs/python-text', import.meta.url));

/** A small deterministic PRNG (mulberry32). */
function seeded(seed) {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Exits with a hint when the corpus has not been fetched. */
export async function openGenerator({ corpus = defaultCorpus, seed = 20261123 } = {}) {
  if (!existsSync(corpus)) {
    console.error('No corpus yet: run `npm run bench:corpus` first.');
    process.exit(1);
  }
  const random = seeded(seed);
  const pick = (list) => list[Math.floor(random() * list.length)];
  const { files } = await expandPaths([corpus], process.cwd());
  const sentences = files
    .flatMap((file) => readFileSync(file.path, 'utf8').split(/(?<=[.!?])\s+|\n\s*\n/))
    .map((s) => s.replace(/\s+/g, ' ').trim())
    .filter((s) => s.length >= 40 && s.length <= 600);
  return {
    /** About 1,800 characters of sentences in random order. */
    chunkText() {
      let text = '';
      while (text.length < 1800) {
        text += `${pick(sentences)} `;
      }
      return text.trim();
    },
    /**
     * `count` queries of 3 to 6 consecutive words of a sentence, as a user would type them; none without
     * a letter (a line of dashes), which the search refuses.
     */
    queries(count) {
      const list = [];
      while (list.length < count) {
        const words = pick(sentences).split(' ');
        const length = 3 + Math.floor(random() * 4);
        const start = Math.floor(random() * Math.max(1, words.length - length));
        const query = words.slice(start, start + length).join(' ');
        if (/\p{L}/u.test(query)) {
          list.push(query);
        }
      }
      return list;
    },
    /** The `count` words of at least `minLength` letters found in the most sentences: in most chunks. */
    commonWords(count, minLength = 4) {
      const seen = new Map();
      for (const sentence of sentences) {
        for (const word of new Set(sentence.toLowerCase().match(/\p{L}+/gu) ?? [])) {
          if (word.length >= minLength) {
            seen.set(word, (seen.get(word) ?? 0) + 1);
          }
        }
      }
      return [...seen.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, count)
        .map(([word]) => word);
    },
  };
}

/**
 * Writes one document of `texts` and their `vectors` through the store's own publish step
 * (`complete`), as ingestion writes a parsed and embedded document.
 */
export async function writeDocument(store, { collectionId, batchId, number, texts, vectors }) {
  const { document } = await store.registerDocument({
    collectionId,
    batchId,
    source: `generated/${number}.txt`,
    sha256: `${number}`.padStart(64, '0'),
    sizeBytes: 1,
  });
  const attemptId = `att_${number}`;
  await store.claim(document.id, attemptId);
  // Published from `indexing`, as the pipeline does: core's table allows no other state.
  await store.setStage(document.id, attemptId, 'indexing');
  let offset = 0;
  const chunks = texts.map((text, index) => {
    const chunk = {
      index,
      text,
      tokenCount: Math.round(text.length / 4),
      charStart: offset,
      charEnd: offset + text.length,
      page: null,
      vector: vectors[index],
    };
    offset += text.length + 1;
    return chunk;
  });
  await store.complete(document.id, attemptId, 'text/plain', chunks);
}
