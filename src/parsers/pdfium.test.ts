import { describe, expect, it } from 'vitest';
import { loadPdfium } from './pdfium.js';

describe('PDFium', () => {
  it('leaves nothing on the global object, so a dropped instance can be collected', async () => {
    const before = new Set(Reflect.ownKeys(globalThis));
    const pdfium = await loadPdfium();
    expect(pdfium.pdfium.HEAPU8.byteLength).toBeGreaterThan(0);
    expect(Reflect.ownKeys(globalThis).filter((key) => !before.has(key))).toEqual([]);
  });
});
