/** Counts tokens the way the embedding model does, so chunks fit its window. */
export interface Tokenizer {
  readonly name: string;
  count(text: string): number;
  /**
   * Prepares the counting of many ranges of one text (a chunker measures every piece it considers):
   * `countRange(start, end)` must equal `count(text.slice(start, end))`, but may reuse work done once
   * for the whole text. Optional: without it, ranges are sliced and counted.
   */
  indexText?(text: string): TextTokenIndex;
}

export interface TextTokenIndex {
  countRange(start: number, end: number): number;
}
