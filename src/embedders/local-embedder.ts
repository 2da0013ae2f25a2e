import { existsSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { SluiceError } from '../core/errors.js';
import type { EmbedderSpec } from '../core/types.js';
import type { Embedder } from '../ports/embedder.js';
import type * as Transformers from '@huggingface/transformers';

export interface LocalEmbedderOptions {
  /**
   * Folder of a sentence-embedding model in the layout transformers.js reads: `config.json`,
   * `tokenizer.json`, `tokenizer_config.json` and `onnx/model.onnx`.
   */
  modelPath: string;
  /** The model's vector size; checked against what the model returns. */
  dimension: number;
  /** Texts per model run, to bound memory. @defaultValue 32 */
  runBatchSize?: number;
}

interface FeatureExtractor {
  (texts: string[], options: { pooling: 'mean'; normalize: boolean }): Promise<{ dims: number[]; data: Float32Array }>;
}

/**
 * A sentence-embedding model run in this process through transformers.js (ONNX Runtime): tokenise,
 * run, mean-pool over the attention mask, L2-normalise. The model is read from a local folder only;
 * nothing is downloaded at run time. `@huggingface/transformers` is an optional dependency, loaded
 * only when this embedder is configured.
 */
export function createLocalEmbedder(options: LocalEmbedderOptions): Embedder {
  const modelPath = resolve(options.modelPath);
  const spec: EmbedderSpec = { name: 'local', model: basename(modelPath), dimension: options.dimension };
  const runBatchSize = options.runBatchSize ?? 32;
  let extractor: Promise<FeatureExtractor> | undefined;

  const load = async (): Promise<FeatureExtractor> => {
    if (!existsSync(resolve(modelPath, 'onnx', 'model.onnx'))) {
      throw new SluiceError(
        'invalid_config',
        `No ONNX model at ${resolve(modelPath, 'onnx', 'model.onnx')} (SLUICE_LOCAL_MODEL_PATH)`,
      );
    }
    let transformers: typeof Transformers;
    try {
      transformers = await import('@huggingface/transformers');
    } catch (error) {
      throw new SluiceError(
        'invalid_config',
        'The local embedder needs @huggingface/transformers: npm install @huggingface/transformers',
        {
          cause: error,
        },
      );
    }
    transformers.env.allowRemoteModels = false;
    transformers.env.allowLocalModels = true;
    transformers.env.localModelPath = `${dirname(modelPath)}/`;
    const pipe = await transformers.pipeline('feature-extraction', basename(modelPath), { dtype: 'fp32' });
    return pipe;
  };

  return {
    spec,
    async embed(texts, signal) {
      extractor ??= load();
      const run = await extractor.catch((error: unknown) => {
        // A failed load is not cached: a fixed folder works on the next try without a restart.
        extractor = undefined;
        throw error;
      });
      const vectors: Float32Array[] = [];
      for (let start = 0; start < texts.length; start += runBatchSize) {
        signal?.throwIfAborted();
        const slice = texts.slice(start, start + runBatchSize);
        const output = await run(slice, { pooling: 'mean', normalize: true });
        const width = output.dims[1] ?? 0;
        if (width !== options.dimension) {
          throw new SluiceError(
            'invalid_config',
            `The model at ${modelPath} returns vectors of ${width} dimensions, not ${options.dimension} (SLUICE_EMBED_DIMENSION)`,
          );
        }
        for (let i = 0; i < slice.length; i++) {
          vectors.push(output.data.slice(i * width, (i + 1) * width));
        }
      }
      return vectors;
    },
  };
}
