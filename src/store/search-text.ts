/**
 * Chinese and Japanese are written without spaces between words, and a full-text engine that splits on
 * spaces and punctuation (FTS5's `unicode61`, PostgreSQL's parser) sees a whole clause as one word: a
 * word inside a sentence is never found. Their runs are indexed as overlapping pairs of characters
 * (plus the run's last character alone), and a query's runs are searched as phrases of the same pairs,
 * which matches exactly where the query's characters stand together: whatever a dictionary would make
 * of the sentence, nothing holding the word is missed. Thai, Lao, Khmer and Myanmar, alphabets without
 * spaces, are split into words by ICU's dictionaries (`Intl.Segmenter`), at index and query time alike.
 */
import { stemmerOf } from '../core/language-rules.js';

/** Chinese and Japanese characters, with the iteration and length marks 々 and ー. */
const ideographs = '[\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}\\u3005\\u30fc]';
const ideographic = new RegExp(ideographs, 'u');
const ideographicRun = new RegExp(`${ideographs}+`, 'gu');
const splitAtRuns = new RegExp(`(${ideographs}+)`, 'u');
const unspaced = /[\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;
// Made on first use: building it loads ICU's word data, which commands that never index text (`sluice
// status`) would wait for at start.
let wordSegmenter: Intl.Segmenter | undefined;
const segmenter = (): Intl.Segmenter => (wordSegmenter ??= new Intl.Segmenter(undefined, { granularity: 'word' }));

/** A run's overlapping pairs of characters, then its last character alone (so one character can be found). */
function pairs(run: string): string[] {
  const chars = [...run];
  if (chars.length === 1) {
    return chars;
  }
  const out: string[] = [];
  for (let i = 0; i + 1 < chars.length; i++) {
    out.push(`${chars[i] as string}${chars[i + 1] as string}`);
  }
  out.push(chars[chars.length - 1] as string);
  return out;
}

/** Words of unspaced alphabets set apart by spaces; other text as it is. */
function spaceWords(text: string): string {
  let out = '';
  for (const { segment, isWordLike } of segmenter().segment(text)) {
    out += isWordLike && unspaced.test(segment) ? ` ${segment} ` : segment;
  }
  return out;
}

/** A word as the engines and `queryTerms` see one: letters, marks and digits. */
const word = /[\p{L}\p{M}\p{N}]+/gu;

/** Each word of `text` lower-cased and stemmed, but runs of ideographs, which are indexed as pairs. */
function stemWords(text: string, stem: (word: string) => string): string {
  return text.replace(word, (w) => (ideographic.test(w) ? w : stem(w.toLowerCase())));
}

/**
 * The text a chunk is indexed under: itself, unless its document's `language` has a stemmer of its own
 * (each word is then its stem, see `language-rules.ts`) or it holds scripts written without spaces.
 */
export function indexedText(text: string, language?: string | null): string {
  const stem = stemmerOf(language);
  const words = stem ? stemWords(text, stem) : text;
  const hasIdeographs = ideographic.test(words);
  const hasUnspaced = unspaced.test(words);
  if (!hasIdeographs && !hasUnspaced) {
    return words;
  }
  const spaced = hasUnspaced ? spaceWords(words) : words;
  return hasIdeographs ? spaced.replace(ideographicRun, (run) => ` ${pairs(run).join(' ')} `) : spaced;
}

/** Function words of Chinese that carry no topic; Japanese ones are written in hiragana alone. */
const chineseFunctionWords = new Set(
  (
    '的 了 是 在 和 与 或 及 吗 呢 吧 把 被 个 这 那 有 也 都 就 从 到 对 为 以 于 里 上 下 来 去 要 会 能 ' +
    '可以 怎样 怎么 如何 什么 哪 哪里 哪些 哪个 为什么 一个 一条 一种 我 你 他 我们 需要 应该'
  ).split(' '),
);
const hiraganaOnly = /^[\p{Script=Hiragana}\u30fc]+$/u;
const isFunctionWord = (word: string): boolean => hiraganaOnly.test(word) || chineseFunctionWords.has(word);

/** A term for one run of ideographs: the phrase of its pairs, or one ideograph as a prefix. */
const runTerm = (run: string): string => ([...run].length === 1 ? `${run}*` : pairs(run).slice(0, -1).join(' '));

/**
 * The terms of a run of ideographs in a query. A compound of up to three content words (家目录,
 * 仮想マシン) is one term, matched where its characters stand together. A longer run, or one with
 * function words in it, is a phrase or a sentence (新建用户的家目录里…): ICU's dictionary cuts it into
 * words and each content word is a term of its own, found wherever it stands.
 */
function ideographTerms(run: string): string[] {
  const segments = [...segmenter().segment(run)].filter((s) => s.isWordLike).map((s) => s.segment);
  const content = segments.filter((w) => !isFunctionWord(w));
  // A compound of up to three words, or nothing but function words (kana alone): the run as typed.
  const compound = content.length === segments.length && segments.length <= 3;
  return compound || content.length === 0 ? [runTerm(run)] : content.map(runTerm);
}

/**
 * A query word in the form the engines' queries take: words and runs of ideographs, each run a phrase of
 * its pairs (tokens joined by a space) or, for a single ideograph, itself followed by `*` (any pair it
 * begins, or itself at the end of a run); a word of an unspaced alphabet split into its words.
 */
export function termsOfWord(word: string): string[] {
  if (!ideographic.test(word) && !unspaced.test(word)) {
    return [word];
  }
  const terms: string[] = [];
  // A word of mixed scripts (`usbメモリ`) is split where its ideographs begin and end.
  for (const piece of word.split(splitAtRuns)) {
    if (piece === '') {
      continue;
    }
    if (ideographic.test(piece)) {
      terms.push(...ideographTerms(piece));
    } else if (unspaced.test(piece)) {
      for (const { segment, isWordLike } of segmenter().segment(piece)) {
        if (isWordLike) {
          terms.push(segment);
        }
      }
    } else {
      terms.push(piece);
    }
  }
  return terms;
}
