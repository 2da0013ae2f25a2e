/** A fence that opens or closes a Markdown code block: three or more backticks or tildes, indented up to 3. */
const fence = /^ {0,3}(`{3,}|~{3,})/;
/** An ATX heading: up to 3 spaces, 1 to 6 `#`, then a space or the end of the line. */
const atxHeading = /^ {0,3}#{1,6}(?:[ \t]|$)/;

/**
 * Where the headings of a Markdown text start (char offsets, ascending): ATX headings outside fenced
 * code blocks. A `# comment` in a fenced shell or config example is code, not a heading.
 */
export function markdownHeadings(text: string): number[] {
  const headings: number[] = [];
  let open: string | undefined;
  for (let start = 0; start < text.length;) {
    const newline = text.indexOf('\n', start);
    const end = newline < 0 ? text.length : newline;
    const line = text.slice(start, Math.min(end, start + 256));
    const marker = fence.exec(line)?.[1];
    if (open) {
      // A fence closes with at least as many of the same character.
      if (marker && marker[0] === open[0] && marker.length >= open.length && line.trim() === marker) {
        open = undefined;
      }
    } else if (marker) {
      open = marker;
    } else if (atxHeading.test(line)) {
      headings.push(start + (line.length - line.trimStart().length));
    }
    start = end + 1;
  }
  return headings;
}
