import { franc } from 'franc-min';
import { iso6393To1 } from 'iso-639-3';
import type { Chunk } from '../core/types.js';

/** Members of macrolanguages that franc names by ISO 639-3 and that have a two-letter code as their macrolanguage. */
const macrolanguageOf: Record<string, string> = {
  cmn: 'zh',
  arb: 'ar',
  pes: 'fa',
  zlm: 'ms',
  uzn: 'uz',
  azj: 'az',
  swh: 'sw',
  npi: 'ne',
  plt: 'mg',
  pbu: 'ps',
  ckb: 'ku',
  fuv: 'ff',
  qug: 'qu',
  koi: 'kv',
};

/** Chunks read, spread over the document, so a long document costs what a short one does. */
const sampledChunks = 20;
/** Characters of the sample franc reads, shared out among the picked chunks. */
const sampleChars = 3000;
/**
 * An ideograph or syllable carries about as much as three letters. A page is taken for Chinese,
 * Japanese or Korean when its CJK characters, so weighted, make at least a quarter of its text:
 * commands, names and paragraphs not yet translated are common in such pages, while an English page
 * that quotes a word or two stays far below.
 */
const cjkWeight = 3;
const cjkShare = 0.25;

const cjk = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/gu;

const count = (text: string, pattern: RegExp): number => text.match(pattern)?.length ?? 0;

/** The CJK language a text is mostly in, by script, or undefined when it is mostly in other letters. */
function cjkLanguage(text: string): string | undefined {
  const ideographs = count(text, cjk);
  const letters = count(text, /\p{L}/gu);
  const weighted = cjkWeight * ideographs;
  if (ideographs === 0 || weighted < cjkShare * (weighted + letters - ideographs)) {
    return undefined;
  }
  const hangul = count(text, /\p{Script=Hangul}/gu);
  const kana = count(text, /[\p{Script=Hiragana}\p{Script=Katakana}]/gu);
  if (hangul * 2 > ideographs) {
    return 'ko';
  }
  // Japanese writes kana in every sentence; Chinese has none.
  return kana * 20 >= ideographs ? 'ja' : 'zh';
}

/**
 * The language most of a document's text is in, as an ISO 639-1 code (639-3 where there is none), or
 * null when the text is too short or too mixed to tell. Chinese, Japanese and Korean are told by their
 * scripts; other languages by franc, on a sample spread over the document.
 */
export function detectLanguage(chunks: readonly Pick<Chunk, 'text'>[]): string | null {
  if (chunks.length === 0) {
    return null;
  }
  const picks = new Set(
    Array.from({ length: sampledChunks }, (_, i) => Math.floor((i * (chunks.length - 1)) / (sampledChunks - 1))),
  );
  const sample = [...picks].map((i) => (chunks[i] as Pick<Chunk, 'text'>).text).join('\n');
  const byScript = cjkLanguage(sample);
  if (byScript) {
    return byScript;
  }
  // The middle of each picked chunk: its start often repeats the chunk before (the overlap) or is a
  // heading, and a page's first paragraph may be one left untranslated.
  const share = Math.floor(sampleChars / picks.size);
  const spread = [...picks]
    .map((i) => {
      const text = (chunks[i] as Pick<Chunk, 'text'>).text;
      const middle = Math.max(0, Math.floor((text.length - share) / 2));
      return text.slice(middle, middle + share);
    })
    .join('\n');
  const code = franc(spread.replace(cjk, ' '), { minLength: 20 });
  if (code === 'und') {
    return null;
  }
  return macrolanguageOf[code] ?? iso6393To1[code] ?? code;
}
