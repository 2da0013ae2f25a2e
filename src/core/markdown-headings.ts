/** A fence that opens or closes a Markdown code block: three or more backticks or tildes, indented up to 3. */
const fence = /^ {0,3}(`{3,}|~{3,})/;
/** An ATX heading: up to 3 spaces, 1 to 6 `#`, then a space or the end of the line. */
const atxHeading = /^ {0,3}#{1,6}(?:[ \t]|$)/;

/** What the chunker needs to know of a Markdown text's structure (offsets ascending, ranges [start, end)). */
export interface MarkdownOutline {
  headings: number[];
  /** Fenced code blocks, from the opening fence to the end of the closing fence's line. */
  codeBlocks: [start: number, end: number][];
}

/**
 * Where the headings and fenced code blocks of a Markdown text are, in one pass over its lines: ATX
 * headings outside fenced code blocks (a `# comment` in a fenced shell or config example is code, not a
 * heading), and the blocks themselves, so that an example can be kept whole. A fence left open runs to
 * the end of the text, as CommonMark reads it.
 */
export function markdownOutline(text: string): MarkdownOutline {
  const headings: number[] = [];
  const codeBlocks: [number, number][] = [];
  let open: string | undefined;
  let openedAt = 0;
  let lineEnd = 0;
  for (let start = 0; start < text.length;) {
    const newline = text.indexOf('\n', start);
    const end = newline < 0 ? text.length : newline;
    const line = text.slice(start, Math.min(end, start + 256));
    const indent = line.length - line.trimStart().length;
    const marker = fence.exec(line)?.[1];
    lineEnd = end;
    if (open) {
      // A fence closes with at least as many of the same character.
      if (marker && marker[0] === open[0] && marker.length >= open.length && line.trim() === marker) {
        open = undefined;
        codeBlocks.push([openedAt, end]);
      }
    } else if (marker) {
      open = marker;
      openedAt = start + indent;
    } else if (atxHeading.test(line)) {
      headings.push(start + indent);
    }
    start = end + 1;
  }
  if (open) {
    codeBlocks.push([openedAt, lineEnd]);
  }
  return { headings, codeBlocks };
}

/** Where the headings of a Markdown text start (char offsets, ascending); see `markdownOutline`. */
export function markdownHeadings(text: string): number[] {
  return markdownOutline(text).headings;
}
