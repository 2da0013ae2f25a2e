import { afterEach, describe, expect, it } from 'vitest';
import type { EmbedderSpec } from '../../src/core/types.js';
import type { Embedder } from '../../src/ports/embedder.js';

/** An embedder made for one test, with what it must answer. */
export interface EmbedderUnderTest {
  embedder: Embedder;
  /** The spec it must report. */
  spec: EmbedderSpec;
  /** The vector it must give for a text: a reference computed without the adapter. */
  expected: (text: string) => Float32Array | Promise<Float32Array>;
  /** What the adapter promises beyond the port: vectors of length 1, and the same vector for the same text every time. */
  promises: { normalised: boolean; deterministic: boolean };
  close(): Promise<void>;
}

/** Texts of words the tiny ONNX model knows, and of words it does not. */
export const sampleTexts = [
  'river gate',
  'Water flow sluice river',
  'index vector chunk',
  'unknown words only',
  'gate gate gate water',
  'chunk',
];

const close = (actual: Float32Array, expected: Float32Array): void => {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((value, d) => expect(value).toBeCloseTo(expected[d] as number, 5));
};

/** The behaviour every Embedder adapter must show (`src/ports/embedder.ts`); run it against each. */
export function describeEmbedderContract(name: string, create: () => Promise<EmbedderUnderTest>): void {
  describe(`Embedder contract: ${name}`, () => {
    const opened: EmbedderUnderTest[] = [];
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((e) => e.close()));
    });
    const open = async (): Promise<EmbedderUnderTest> => {
      const made = await create();
      opened.push(made);
      return made;
    };

    it('tells its name, model and dimension', async () => {
      const { embedder, spec } = await open();
      expect(embedder.spec).toEqual(spec);
      expect(Number.isInteger(embedder.spec.dimension) && embedder.spec.dimension > 0).toBe(true);
      expect(embedder.spec.name).not.toBe('');
      expect(embedder.spec.model).not.toBe('');
    });

    it('returns one vector of the dimension per text, in the order of the texts', async () => {
      const { embedder, expected } = await open();
      const vectors = await embedder.embed(sampleTexts);
      expect(vectors).toHaveLength(sampleTexts.length);
      for (const [i, vector] of vectors.entries()) {
        expect(vector).toBeInstanceOf(Float32Array);
        expect(vector).toHaveLength(embedder.spec.dimension);
        expect(vector.every(Number.isFinite)).toBe(true);
        close(vector, await expected(sampleTexts[i] as string));
      }
      // Different texts, different vectors: nothing is constant or shuffled.
      expect([...(vectors[0] as Float32Array)]).not.toEqual([...(vectors[2] as Float32Array)]);
      const reversed = await embedder.embed([...sampleTexts].reverse());
      reversed.reverse().forEach((vector, i) => close(vector, vectors[i] as Float32Array));
    });

    it('keeps the order across as many texts as take several requests or runs', async () => {
      const { embedder, expected } = await open();
      const texts = Array.from({ length: 37 }, (_, i) =>
        `${sampleTexts[i % sampleTexts.length]} ${'river '.repeat(i % 5)}`.trim(),
      );
      const vectors = await embedder.embed(texts);
      expect(vectors).toHaveLength(texts.length);
      for (const [i, vector] of vectors.entries()) {
        close(vector, await expected(texts[i] as string));
      }
    });

    it('answers no texts with no vectors', async () => {
      const { embedder } = await open();
      expect(await embedder.embed([])).toEqual([]);
    });

    it('honours an aborted signal', async () => {
      const { embedder } = await open();
      const controller = new AbortController();
      controller.abort(new Error('cancelled by the test'));
      await expect(embedder.embed(['river gate', 'water flow'], controller.signal)).rejects.toThrow();
    });

    it('gives vectors of length 1, where it promises to', async ({ skip }) => {
      const { embedder, promises } = await open();
      if (!promises.normalised) {
        skip();
      }
      for (const vector of await embedder.embed(sampleTexts)) {
        expect(Math.hypot(...vector)).toBeCloseTo(1, 5);
      }
    });

    it('gives the same vector for the same text every time, whatever it is sent with, where it promises to', async ({
      skip,
    }) => {
      const { embedder, promises } = await open();
      if (!promises.deterministic) {
        skip();
      }
      const first = await embedder.embed(sampleTexts);
      const again = await embedder.embed(sampleTexts);
      expect(again).toEqual(first);
      const [alone] = await embedder.embed(['index vector chunk']);
      close(alone as Float32Array, first[2] as Float32Array);
    });
  });
}
