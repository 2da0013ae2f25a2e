import { withoutControls } from './without-controls.js';
import { tagNames, walkHtml, type ElementAttributes } from './walk-html.js';

const skipped = tagNames('script style noscript template svg head iframe object');
const blocks = tagNames(
  'p div section article header footer main aside nav ul ol li table tr blockquote pre dl dt dd figure figcaption hr br form fieldset address',
);

/** Roles of landmarks that are the site's, not the page's: its navigation, banner, footer and search. */
const chromeRoles = new Set(['navigation', 'banner', 'contentinfo', 'search']);
/**
 * Classes of the same: the navigation bars of DocBook's XSL (`navheader`, `navfooter`) and of Publican
 * (`docnav`), skip links, breadcrumbs.
 */
const chromeClass = /(?:^|\s)(?:navheader|navfooter|docnav|skip-?links?|breadcrumbs?)(?:\s|$)/i;
/** Ids of the same: a site banner above the page (Publican's "Download the ebook"). */
const chromeId = /^(?:banner|site-?header|site-?footer)$/i;

/**
 * Whether an element is page chrome rather than content: navigation, the page's own header and footer
 * (not an article's), landmarks and classes that say so. Its text is left out.
 */
function isChrome(name: string, attributes: ElementAttributes, inContent: boolean): boolean {
  return (
    name === 'nav' ||
    ((name === 'header' || name === 'footer') && !inContent) ||
    chromeRoles.has(attributes.role?.trim().toLowerCase() ?? '') ||
    chromeClass.test(attributes.class ?? '') ||
    chromeId.test(attributes.id?.trim() ?? '')
  );
}

/**
 * Marks where a heading starts, and where a `<pre>` block starts and ends, while the text is assembled
 * and tidied (which moves offsets): control characters are taken out of the document's own text, so none
 * of its characters can be taken for one.
 */
const headingMark = '\u0001';
const codeStartMark = '\u0002';
const codeEndMark = '\u0003';
/* eslint-disable no-control-regex -- the marks are control characters */
const anyMark = /[\u0001-\u0003]/g;
const emptyCodeBlock = /\u0002(\s*)\u0003/g;
const codeStartThenBlanks = /\u0002(\s+)/g;
// Only from the start of a run, as in `tidy`: tried from each of its blanks, a long run is quadratic.
const blanksThenCodeEnd = /(?<!\s)(\s+)\u0003/g;
const bareDash = /^(\u0002?)-(\u0003?)$/gm;
/* eslint-enable no-control-regex */

/**
 * Visible text of an HTML document. Headings become Markdown headings (`## Title`), and `headings` says
 * where they start, so the chunker cuts at them and at nothing else that looks like one (`# comment` in a
 * `<pre>`); `codeBlocks` says where each `<pre>` is, so the chunker can keep one whole; list items become
 * `- item`, and block elements become line breaks; scripts, styles and the head (except its title) are
 * dropped, and so are control characters.
 */
export function htmlToText(html: string): {
  text: string;
  title?: string;
  headings: number[];
  codeBlocks: [start: number, end: number][];
} {
  const out: string[] = [];
  // Elements open now; the depth of the element whose subtree is left out (-1: none); which of the open
  // elements are an article or the main content, inside which a header or footer is content.
  let depth = 0;
  let skipFrom = -1;
  const contentAt: boolean[] = [];
  let inContent = 0;
  let inTitle = false;
  let title = '';
  let preDepth = 0;

  const breakLine = (blank: boolean): void => {
    out.push(blank ? '\n\n' : '\n');
  };

  walkHtml(html, {
    open(name, attributes) {
      depth++;
      if (name === 'title') {
        inTitle = true;
      }
      if (skipFrom < 0 && (skipped.has(name) || isChrome(name, attributes, inContent > 0))) {
        skipFrom = depth;
      }
      const content = name === 'article' || name === 'main';
      contentAt[depth] = content;
      inContent += content ? 1 : 0;
      if (skipFrom >= 0) {
        return;
      }
      const level = /^h([1-6])$/.exec(name)?.[1];
      if (level) {
        breakLine(true);
        out.push(`${headingMark}${'#'.repeat(Number(level))} `);
      } else if (name === 'li') {
        breakLine(false);
        out.push('- ');
      } else if (name === 'pre') {
        preDepth++;
        breakLine(true);
        // A `<pre>` inside another is part of its block.
        if (preDepth === 1) {
          out.push(codeStartMark);
        }
      } else if (name === 'td' || name === 'th') {
        out.push(' | ');
      } else if (blocks.has(name)) {
        breakLine(name === 'p' || name === 'table' || name === 'blockquote');
      }
    },
    text(data) {
      if (inTitle) {
        title += data;
      }
      if (skipFrom >= 0) {
        return;
      }
      const visible = withoutControls(data);
      out.push(preDepth > 0 ? visible : visible.replace(/\s+/g, ' '));
    },
    close(name) {
      if (name === 'title') {
        inTitle = false;
      }
      inContent -= contentAt[depth] === true ? 1 : 0;
      depth--;
      if (skipFrom > depth) {
        skipFrom = -1;
        return;
      }
      if (skipFrom >= 0) {
        return;
      }
      if (name === 'pre' && preDepth === 1) {
        out.push(codeEndMark);
      }
      if (/^h[1-6]$/.test(name) || name === 'p' || name === 'pre') {
        breakLine(true);
        if (name === 'pre') {
          preDepth = Math.max(0, preDepth - 1);
        }
      } else if (blocks.has(name)) {
        breakLine(false);
      }
    },
  });

  const marked = tidy(out.join(''), out.includes(codeStartMark));
  const { text, headings, codeBlocks } = takeMarks(marked);
  const cleanTitle = title.replace(/\s+/g, ' ').trim();
  return cleanTitle ? { text, title: cleanTitle, headings, codeBlocks } : { text, headings, codeBlocks };
}

/**
 * Takes out trailing blanks, bare dashes and extra blank lines. A code block's marks are kept on its
 * first and last visible characters (a block of blanks is dropped), where they split none of the runs
 * taken out, so the text comes out as it would with no marks.
 */
function tidy(joined: string, hasCode: boolean): string {
  const hugCode = (text: string): string =>
    hasCode
      ? text
          .replace(emptyCodeBlock, '$1')
          .replace(codeStartThenBlanks, `$1${codeStartMark}`)
          .replace(blanksThenCodeEnd, `${codeEndMark}$1`)
      : text;
  const trimmedLines = hugCode(joined)
    // Only from the start of a run: tried from each of its blanks, a long run with no line end after it is quadratic.
    .replace(/(?<![ \t])[ \t]+\n/g, '\n')
    // A list item with no text (its content was chrome, or an image) leaves no bare dash behind.
    .replace(bareDash, '$1$2');
  // Taking out a dash may leave a mark beside blanks.
  return hugCode(trimmedLines)
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** The text without its marks, where each heading mark stood in it, and the ranges between code marks. */
function takeMarks(marked: string): { text: string; headings: number[]; codeBlocks: [number, number][] } {
  const parts: string[] = [];
  const headings: number[] = [];
  const codeBlocks: [number, number][] = [];
  let length = 0;
  let from = 0;
  let codeStart = -1;
  for (const match of marked.matchAll(anyMark)) {
    const part = marked.slice(from, match.index);
    parts.push(part);
    length += part.length;
    from = match.index + 1;
    if (match[0] === headingMark) {
      headings.push(length);
    } else if (match[0] === codeStartMark) {
      codeStart = length;
    } else if (codeStart >= 0) {
      codeBlocks.push([codeStart, length]);
      codeStart = -1;
    }
  }
  parts.push(marked.slice(from));
  return { text: parts.join(''), headings, codeBlocks };
}
