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

/** Characters sampled from each of up to five places spread over the text. */
const sampleChars = 600;

/**
 * The language most of a document's text is in, as an ISO 639-1 code (639-3 where there is none), or
 * null when the text is too short or too mixed to tell. Samples spread over the document are read, so
 * a long document costs the same as a short one.
 */
export function detectLanguage(chunks: readonly Pick<Chunk, 'text'>[]): string | null {
  if (chunks.length === 0) {
    return null;
  }
  const picks = new Set([0, 1, 2, 3, 4].map((i) => Math.floor((i * (chunks.length - 1)) / 4)));
  const sample = [...picks].map((i) => (chunks[i] as Pick<Chunk, 'text'>).text.slice(0, sampleChars)).join('\n');
  const code = franc(sample, { minLength: 20 });
  if (code === 'und') {
    return null;
  }
  return macrolanguageOf[code] ?? iso6393To1[code] ?? code;
}
