import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// Just enough protobuf to write an ONNX ModelProto (field numbers from onnx.proto).
const varint = (n: number): Buffer => {
  const out: number[] = [];
  let v = BigInt(n);
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) {
      b |= 0x80;
    }
    out.push(b);
  } while (v);
  return Buffer.from(out);
};
const key = (field: number, wire: number) => varint((field << 3) | wire);
const int = (field: number, n: number) => Buffer.concat([key(field, 0), varint(n)]);
const bytes = (field: number, buf: Buffer) => Buffer.concat([key(field, 2), varint(buf.length), buf]);
const text = (field: number, s: string) => bytes(field, Buffer.from(s, 'utf8'));
const message = (field: number, ...parts: Buffer[]) => bytes(field, Buffer.concat(parts));
const dimension = (d: number | string) => message(1, typeof d === 'number' ? int(1, d) : text(2, d));
const FLOAT = 1;
const INT64 = 7;
const valueInfo = (field: number, name: string, elemType: number, dims: (number | string)[]) =>
  message(field, text(1, name), message(2, message(1, int(1, elemType), message(2, ...dims.map(dimension)))));

export interface TinyModel {
  folder: string;
  vocabulary: string[];
  /** Row `i` is the embedding of token `i`. */
  weights: Float32Array;
  hidden: number;
}

/**
 * Writes a tiny sentence-embedding model in the layout transformers.js reads from a local folder:
 * a word-level tokenizer over `vocabulary` and an ONNX graph that looks token embeddings up (one
 * Gather over seeded random weights) as `last_hidden_state`. Random weights are fine: it exercises the
 * code path — tokenise, run, pool, normalise — and the expected vectors can be computed by hand.
 */
export function writeTinyModel(parent: string, name: string, words: string[], hidden = 8, seed = 1): TinyModel {
  const vocabulary = ['[PAD]', '[UNK]', ...words];
  const weights = new Float32Array(vocabulary.length * hidden);
  let state = seed;
  for (let i = 0; i < weights.length; i++) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    weights[i] = state / 2 ** 31 - 0.5;
  }
  const initializer = message(
    5,
    int(1, vocabulary.length),
    int(1, hidden),
    int(2, FLOAT),
    text(8, 'embeddings'),
    bytes(9, Buffer.from(weights.buffer)),
  );
  const gather = message(
    1,
    text(1, 'embeddings'),
    text(1, 'input_ids'),
    text(2, 'last_hidden_state'),
    text(3, 'lookup'),
    text(4, 'Gather'),
  );
  const graph = message(
    7,
    gather,
    text(2, 'tiny'),
    initializer,
    valueInfo(11, 'input_ids', INT64, ['batch', 'sequence']),
    valueInfo(11, 'attention_mask', INT64, ['batch', 'sequence']),
    valueInfo(12, 'last_hidden_state', FLOAT, ['batch', 'sequence', hidden]),
  );
  const model = Buffer.concat([int(1, 8), text(2, 'sluice-tests'), graph, message(8, text(1, ''), int(2, 13))]);

  const folder = join(parent, name);
  mkdirSync(join(folder, 'onnx'), { recursive: true });
  writeFileSync(join(folder, 'onnx', 'model.onnx'), model);
  writeFileSync(join(folder, 'config.json'), JSON.stringify({ model_type: 'bert', hidden_size: hidden }));
  writeFileSync(
    join(folder, 'tokenizer_config.json'),
    JSON.stringify({ model_max_length: 512, pad_token: '[PAD]', unk_token: '[UNK]', tokenizer_class: 'BertTokenizer' }),
  );
  const special = (id: number, content: string) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  writeFileSync(
    join(folder, 'tokenizer.json'),
    JSON.stringify({
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: [special(0, '[PAD]'), special(1, '[UNK]')],
      normalizer: { type: 'Lowercase' },
      pre_tokenizer: { type: 'Whitespace' },
      post_processor: null,
      decoder: null,
      model: { type: 'WordLevel', vocab: Object.fromEntries(vocabulary.map((w, i) => [w, i])), unk_token: '[UNK]' },
    }),
  );
  return { folder, vocabulary, weights, hidden };
}
