const wordChar = '[\\p{L}\\p{M}\\p{N}]';
const ideographic = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u;
const escape = (word: string): string => word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * What to mark in a hit for a query, as one capturing group (for `split`): a word of three letters or
 * more wherever a word begins with it (`install` marks "installing"), a shorter one only as a whole word
 * (`r` marks "R", never the r of "scanner"), and Chinese or Japanese wherever it stands, since those
 * scripts put no spaces between words. Undefined when the query has no word.
 */
export function highlightPattern(query: string): RegExp | undefined {
  const words = [...new Set(query.toLowerCase().match(/[\p{L}\p{M}\p{N}]+/gu) ?? [])];
  if (words.length === 0) {
    return undefined;
  }
  const alternatives = words
    .sort((a, b) => b.length - a.length)
    .map((word) => {
      if (ideographic.test(word)) {
        return escape(word);
      }
      const start = `(?<!${wordChar})${escape(word)}`;
      return word.length >= 3 ? `${start}${wordChar}*` : `${start}(?!${wordChar})`;
    });
  return new RegExp(`(${alternatives.join('|')})`, 'giu');
}
