import { withoutControls } from './without-controls.js';
import { tagNames, walkHtml } from './walk-html.js';

const skipped = tagNames('script style noscript template svg head iframe object');
const blocks = tagNames(
  'p div section article header footer main aside nav ul ol li table tr blockquote pre dl dt dd figure figcaption hr br form fieldset address',
);

/**
 * Marks where a heading starts while the text is assembled and tidied (which moves offsets): control
 * characters are taken out of the document's own text, so none of its characters can be taken for one.
 */
const headingMark = '\u0001';

/**
 * Visible text of an HTML document. Headings become Markdown headings (`## Title`), and `headings` says
 * where they start, so the chunker cuts at them and at nothing else that looks like one (`# comment` in a
 * `<pre>`); list items become `- item`, and block elements become line breaks; scripts, styles and the
 * head (except its title) are dropped, and so are control characters.
 */
export function htmlToText(html: string): { text: string; title?: string; headings: number[] } {
  const out: string[] = [];
  let skipDepth = 0;
  let inTitle = false;
  let title = '';
  let preDepth = 0;

  const breakLine = (blank: boolean): void => {
    out.push(blank ? '\n\n' : '\n');
  };

  walkHtml(html, {
    open(name) {
      if (name === 'title') {
        inTitle = true;
      }
      if (skipped.has(name)) {
        skipDepth++;
        return;
      }
      if (skipDepth > 0) {
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
      if (skipDepth > 0) {
        return;
      }
      const visible = withoutControls(data);
      out.push(preDepth > 0 ? visible : visible.replace(/\s+/g, ' '));
    },
    close(name) {
      if (name === 'title') {
        inTitle = false;
      }
      if (skipped.has(name)) {
        skipDepth = Math.max(0, skipDepth - 1);
        return;
      }
      if (skipDepth > 0) {
        return;
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

  const marked = out
    .join('')
    // Only from the start of a run: tried from each of its blanks, a long run with no line end after it is quadratic.
    .replace(/(?<![ \t])[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  const { text, headings } = takeHeadingMarks(marked);
  const cleanTitle = title.replace(/\s+/g, ' ').trim();
  return cleanTitle ? { text, title: cleanTitle, headings } : { text, headings };
}

/** The text without its heading marks, and where each mark stood in it. */
function takeHeadingMarks(marked: string): { text: string; headings: number[] } {
  const parts = marked.split(headingMark);
  const headings: number[] = [];
  let length = 0;
  for (const [i, part] of parts.entries()) {
    if (i > 0) {
      headings.push(length);
    }
    length += part.length;
  }
  return { text: parts.join(''), headings };
}
