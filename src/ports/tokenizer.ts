/** Counts tokens the way the embedding model does, so chunks fit its window. */
export interface Tokenizer {
  readonly name: string;
  count(text: string): number;
}
