const word = /[\p{L}\p{M}\p{N}]+/gu;
const ideographic = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u;
const wordChar = /[\p{L}\p{M}\p{N}]/u;

/**
 * A passage of a hit's text around the first place a query word stands (a word of Latin, Greek or
 * Cyrillic script where a word begins with it; Chinese or Japanese wherever), about `length` characters
 * cut at spaces, on one line, with `…` where it was cut; the text's start when no word is in it.
 */
export function snippetOf(text: string, query: string, length = 240): string {
  const lower = text.toLowerCase();
  const words = [...new Set(query.toLowerCase().match(word) ?? [])].sort((a, b) => b.length - a.length);
  let at = -1;
  for (const w of words) {
    for (let from = 0; ;) {
      const found = lower.indexOf(w, from);
      if (found < 0) {
        break;
      }
      const startsWord = ideographic.test(w) || found === 0 || !wordChar.test(lower[found - 1] as string);
      if (startsWord && (w.length >= 3 || ideographic.test(w) || !wordChar.test(lower[found + w.length] ?? ' '))) {
        at = at < 0 ? found : Math.min(at, found);
        break;
      }
      from = found + 1;
    }
  }
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
  return `${start > 0 ? '…' : ''}${passage}${end < text.length ? '…' : ''}`;
}
