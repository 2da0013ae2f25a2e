import { isStopWord, matchStemmerOf } from './language-rules.js';

const word = /[\p{L}\p{M}\p{N}]+/gu;
const ideographic = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u;

/** A passage of a hit's text, and where in it the query's words stand (`[start, end)` offsets). */
export interface Snippet {
  text: string;
  highlights: [number, number][];
}

/**
 * What of a text answers a query: a word of three letters or more where a text word begins with it
 * (`install` marks "installing"), a shorter one only whole (`r` marks "R", never the r of "scanner"),
 * a form of it by the text's language (`Häuser` marks "Haus"), and Chinese or Japanese wherever it
 * stands, those scripts putting no spaces between words. Stop words count only in a query of nothing else.
 */
function queryMatcher(query: string, language: string | null | undefined) {
  const all = [...new Set(query.toLowerCase().match(word) ?? [])];
  const kept = all.filter((w) => !isStopWord(w, language));
  const words = (kept.length > 0 ? kept : all).sort((a, b) => b.length - a.length);
  const ideographs = words.filter((w) => ideographic.test(w));
  const stem = matchStemmerOf(language);
  const stems = new Set(stem ? words.map(stem) : []);
  // Stems keep a word's first letter (but for its accent): only words starting as a query word or
  // stem does are stemmed, most of a text not at all.
  const initial = (w: string): string => w.normalize('NFD')[0] ?? '';
  const initials = new Set([...words, ...stems].map(initial));
  const stemmed = new Map<string, string>();
  const matchesWord = (w: string): boolean => {
    for (const q of words) {
      if (w === q || (q.length >= 3 && w.startsWith(q))) {
        return true;
      }
    }
    if (!stem || !initials.has(initial(w))) {
      return false;
    }
    let s = stemmed.get(w);
    if (s === undefined) {
      s = stem(w);
      stemmed.set(w, s);
    }
    return stems.has(s);
  };
  /** Every match in a text, in order; or the first only, read no further than it. */
  return (text: string, firstOnly = false): [number, number][] => {
    const found: [number, number][] = [];
    const lower = text.toLowerCase();
    for (const m of lower.matchAll(word)) {
      const at = m.index;
      if (!ideographic.test(m[0]) && matchesWord(m[0])) {
        found.push([at, at + m[0].length]);
      } else {
        for (const q of ideographs) {
          for (let i = m[0].indexOf(q); i >= 0; i = m[0].indexOf(q, i + q.length)) {
            found.push([at + i, at + i + q.length]);
          }
        }
      }
      if (firstOnly && found.length > 0) {
        break;
      }
    }
    return found.sort((a, b) => a[0] - b[0]);
  };
}

/**
 * A passage of a hit's text around the first place the query answers (see `queryMatcher`), about
 * `length` characters cut at spaces, on one line, with `…` where it was cut, and the matches in it; the
 * text's start when nothing in it matches. `language` is the hit's document's.
 */
export function snippetOf(text: string, query: string, language?: string | null, length = 240): Snippet {
  return cutSnippet(text, queryMatcher(query, language), length);
}

/** Snippets of many hits of one query: what it matches is worked out once per language. */
export function snippetsOf(query: string): (text: string, language: string | null) => Snippet {
  const matchers = new Map<string | null, ReturnType<typeof queryMatcher>>();
  return (text, language) => {
    let matcher = matchers.get(language);
    if (!matcher) {
      matcher = queryMatcher(query, language);
      matchers.set(language, matcher);
    }
    return cutSnippet(text, matcher, 240);
  };
}

function cutSnippet(text: string, matches: ReturnType<typeof queryMatcher>, length: number): Snippet {
  const at = matches(text, true)[0]?.[0] ?? -1;
  let start = at < 0 ? 0 : Math.max(0, at - Math.floor(length / 3));
  let end = Math.min(text.length, start + length);
  if (start > 0) {
    const space = text.indexOf(' ', start);
    start = space >= 0 && space < (at < 0 ? end : at) ? space + 1 : start;
  }
  if (end < text.length) {
    const space = text.lastIndexOf(' ', end);
    end = space > Math.max(start, at) ? space : end;
  }
  const passage = text.slice(start, end).replace(/\s+/g, ' ').trim();
  const snippet = `${start > 0 ? '…' : ''}${passage}${end < text.length ? '…' : ''}`;
  return { text: snippet, highlights: matches(snippet) };
}
