import type { EmbedderSpec } from '../core/types.js';

/** Turns texts into vectors of `spec.dimension`. */
export interface Embedder {
  readonly spec: EmbedderSpec;
  /**
   * @remarks must return one vector per input, in order; must honour `signal`; throws a SluiceError
   * whose `retryable` tells transient faults from permanent ones.
   */
  embed(texts: string[], signal?: AbortSignal): Promise<Float32Array[]>;
}
