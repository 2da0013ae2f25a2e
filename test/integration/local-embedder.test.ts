import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/app/config.js';
import { createApp } from '../../src/app/create-app.js';
import { createLocalEmbedder } from '../../src/embedders/local-embedder.js';
import { expandPaths } from '../../src/services/expand-paths.js';
import { writeTinyModel, type TinyModel } from '../helpers/tiny-onnx-model.js';

const words = ['river', 'sluice', 'gate', 'water', 'flow', 'index', 'vector', 'chunk'];

/** What the pipeline must compute: mean of the tokens' embedding rows, then L2-normalised. */
function expected(model: TinyModel, text: string): number[] {
  const ids = text
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .map((w) => Math.max(1, model.vocabulary.indexOf(w)));
  const mean = Array.from(
    { length: model.hidden },
    (_, d) => ids.reduce((sum, id) => sum + model.weights[id * model.hidden + d]!, 0) / ids.length,
  );
  const norm = Math.hypot(...mean);
  return mean.map((v) => v / norm);
}

describe('local embedder (transformers.js, ONNX model from a folder)', () => {
  it('tokenises, runs the model, mean-pools and normalises', async () => {
    const model = writeTinyModel(mkdtempSync(join(tmpdir(), 'sluice-model-')), 'tiny-model', words);
    const embedder = createLocalEmbedder({ modelPath: model.folder, dimension: 8, runBatchSize: 2 });
    expect(embedder.spec).toEqual({ name: 'local', model: 'tiny-model', dimension: 8 });
    const texts = ['river gate', 'Water flow sluice river', 'unknown words only', 'chunk'];
    const vectors = await embedder.embed(texts);
    expect(vectors).toHaveLength(4);
    vectors.forEach((vector, i) => {
      expect(vector).toBeInstanceOf(Float32Array);
      expect(Math.hypot(...vector)).toBeCloseTo(1, 5);
      [...vector].forEach((v, d) => expect(v).toBeCloseTo(expected(model, texts[i]!)[d]!, 5));
    });
  });

  it('says clearly when the folder or the dimension is wrong', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'sluice-model-'));
    await expect(
      createLocalEmbedder({ modelPath: join(parent, 'missing'), dimension: 8 }).embed(['x']),
    ).rejects.toMatchObject({
      code: 'invalid_config',
      message: expect.stringMatching(/No ONNX model at .*missing/),
    });
    const model = writeTinyModel(parent, 'tiny', words);
    await expect(
      createLocalEmbedder({ modelPath: model.folder, dimension: 384 }).embed(['river']),
    ).rejects.toMatchObject({
      code: 'invalid_config',
      message: expect.stringMatching(/returns vectors of 8 dimensions, not 384/),
    });
    expect(() => loadConfig({ SLUICE_EMBEDDER: 'local' })).toThrow(
      /localModelPath \(SLUICE_LOCAL_MODEL_PATH\): is required/,
    );
  });

  it('ingests and answers queries through the whole pipeline', async () => {
    const root = mkdtempSync(join(tmpdir(), 'sluice-local-'));
    const model = writeTinyModel(root, 'tiny', words);
    const folder = join(root, 'docs');
    mkdirSync(folder);
    writeFileSync(join(folder, 'a.txt'), 'river water flow river water');
    writeFileSync(join(folder, 'b.txt'), 'index vector chunk index vector');
    const app = await createApp(
      loadConfig(
        {},
        {
          dataDir: join(root, 'data'),
          logLevel: 'silent',
          embedder: 'local',
          localModelPath: model.folder,
          embedDimension: 8,
        },
      ),
    );
    try {
      await app.startWorkers();
      const collection = await app.ensureCollection((await app.defaultTenant()).id, 'docs');
      expect(collection.embedder).toEqual({ name: 'local', model: 'tiny', dimension: 8 });
      const batch = await app.store.createBatch(collection.id, 'test');
      await app.submit({ collection, batch, files: (await expandPaths([folder], root)).files });
      await app.queue.idle();
      expect((await app.store.getBatchProgress(batch.id))?.byState).toEqual({ completed: 2 });
      const hits = await app.search(collection, { query: 'vector index', mode: 'vector', topK: 1 });
      expect(hits[0]?.source).toMatch(/b\.txt$/);
    } finally {
      await app.close();
    }
  });
});
