/** A vector as the bytes of its float32s, as the stores keep staged vectors. */
export function vectorToBytes(vector: Float32Array): Buffer {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
}

/** A vector back from its bytes; copied, since a driver's buffer need not be aligned for Float32Array. */
export function vectorFromBytes(bytes: Uint8Array): Float32Array {
  return new Float32Array(new Uint8Array(bytes).buffer);
}
