import { stemmer as danish } from '@orama/stemmers/danish';
import { stemmer as dutch } from '@orama/stemmers/dutch';
import { stemmer as english } from '@orama/stemmers/english';
import { stemmer as finnish } from '@orama/stemmers/finnish';
import { stemmer as french } from '@orama/stemmers/french';
import { stemmer as german } from '@orama/stemmers/german';
import { stemmer as hungarian } from '@orama/stemmers/hungarian';
import { stemmer as italian } from '@orama/stemmers/italian';
import { stemmer as norwegian } from '@orama/stemmers/norwegian';
import { stemmer as portuguese } from '@orama/stemmers/portuguese';
import { stemmer as romanian } from '@orama/stemmers/romanian';
import { stemmer as russian } from '@orama/stemmers/russian';
import { stemmer as spanish } from '@orama/stemmers/spanish';
import { stemmer as swedish } from '@orama/stemmers/swedish';
import { stemmer as turkish } from '@orama/stemmers/turkish';
import { stopwords as danishStopWords } from '@orama/stopwords/danish';
import { stopwords as dutchStopWords } from '@orama/stopwords/dutch';
import { stopwords as finnishStopWords } from '@orama/stopwords/finnish';
import { stopwords as frenchStopWords } from '@orama/stopwords/french';
import { stopwords as germanStopWords } from '@orama/stopwords/german';
import { stopwords as hungarianStopWords } from '@orama/stopwords/hungarian';
import { stopwords as italianStopWords } from '@orama/stopwords/italian';
import { stopwords as norwegianStopWords } from '@orama/stopwords/norwegian';
import { stopwords as portugueseStopWords } from '@orama/stopwords/portuguese';
import { stopwords as romanianStopWords } from '@orama/stopwords/romanian';
import { stopwords as russianStopWords } from '@orama/stopwords/russian';
import { stopwords as spanishStopWords } from '@orama/stopwords/spanish';
import { stopwords as swedishStopWords } from '@orama/stopwords/swedish';
import { stopwords as turkishStopWords } from '@orama/stopwords/turkish';

/** How a language's words are searched: its Snowball stemmer (lower-case words in) and its stop words. */
interface LanguageRules {
  stem?: (word: string) => string;
  stopWords: ReadonlySet<string>;
}

/**
 * English words too common to tell chunks apart. OR-ed into a query, each matches nearly every chunk,
 * and BM25 must then score them all, which made text queries slow (measured in BENCH.md). Shorter than
 * Snowball's English list, which also holds words people search with ("up", "down", "off").
 */
const englishStopWords = new Set(
  (
    'a an and are as at be but by do does for from how i if in into is it its me my no not of on or our ' +
    'so such than that the their then there these they this to was we were what when where which who why ' +
    'will with you your'
  ).split(' '),
);

const rules = (stem: (word: string) => string, stopWords: string[]): LanguageRules => ({
  stem,
  stopWords: new Set(stopWords),
});

/**
 * By ISO 639-1 code. English has no stemmer here: the engines stem every word as English (FTS5's
 * `porter`, PostgreSQL's `english` configuration), so English text is indexed as it is, and a word of
 * another language is stemmed by its own rules first (`indexedText`).
 */
const byLanguage: Record<string, LanguageRules> = {
  en: { stopWords: englishStopWords },
  da: rules(danish, danishStopWords),
  de: rules(german, germanStopWords),
  es: rules(spanish, spanishStopWords),
  fi: rules(finnish, finnishStopWords),
  fr: rules(french, frenchStopWords),
  hu: rules(hungarian, hungarianStopWords),
  it: rules(italian, italianStopWords),
  nb: rules(norwegian, norwegianStopWords),
  nl: rules(dutch, dutchStopWords),
  nn: rules(norwegian, norwegianStopWords),
  no: rules(norwegian, norwegianStopWords),
  pt: rules(portuguese, portugueseStopWords),
  ro: rules(romanian, romanianStopWords),
  ru: rules(russian, russianStopWords),
  sv: rules(swedish, swedishStopWords),
  tr: rules(turkish, turkishStopWords),
};

/** The languages whose documents' words are stemmed before they are indexed (`indexedText`). */
export const stemmedLanguages: readonly string[] = Object.keys(byLanguage).filter((l) => byLanguage[l]?.stem);

/** The stemmer of a detected language, if its words are stemmed before indexing. */
export function stemmerOf(language: string | null | undefined): ((word: string) => string) | undefined {
  return language ? byLanguage[language]?.stem : undefined;
}

/**
 * The stemmer that tells which words of a hit's text are forms of a query word, to show them: the
 * language's own, and for English (which the engines stem when indexing) Snowball's English one.
 */
export function matchStemmerOf(language: string | null | undefined): ((word: string) => string) | undefined {
  return language === 'en' ? english : stemmerOf(language);
}

/** Whether a word is a stop word of English or of the language. */
export function isStopWord(word: string, language: string | null | undefined): boolean {
  return englishStopWords.has(word) || (language ? (byLanguage[language]?.stopWords.has(word) ?? false) : false);
}

/**
 * The stop words to leave out of a query: those of the language, among English and `languages` (a
 * collection's), whose stop words the query uses most. English on a tie: "die" stays in "how does a
 * process die", and "wie", "ich" and "einen" go from "wie richte ich einen DHCP-Server ein".
 */
export function stopWordsOfQuery(terms: readonly string[], languages: readonly string[]): ReadonlySet<string> {
  let chosen: ReadonlySet<string> = englishStopWords;
  let most = terms.filter((t) => englishStopWords.has(t)).length;
  for (const language of languages) {
    const stopWords = byLanguage[language]?.stopWords;
    const used = stopWords ? terms.filter((t) => stopWords.has(t)).length : 0;
    if (stopWords && used > most) {
      chosen = stopWords;
      most = used;
    }
  }
  return chosen;
}
