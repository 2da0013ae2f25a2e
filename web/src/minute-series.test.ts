import { describe, expect, it } from 'vitest';
import { minuteSeries } from './minute-series.js';

describe('minute series', () => {
  it('gives the last hour minute by minute, with zeros where nothing completed', () => {
    const now = Date.parse('2026-12-07T13:05:30Z');
    const [times, documents, chunks] = minuteSeries(
      [
        { minute: '2026-12-07T12:10', documents: 9, chunks: 90 },
        { minute: '2026-12-07T13:05', documents: 2, chunks: 7 },
        { minute: '2026-12-07T12:06', documents: 1, chunks: 1 },
      ],
      now,
    );
    expect(times).toHaveLength(60);
    expect(times[0]).toBe(Date.parse('2026-12-07T12:06:00Z') / 1000);
    expect(times.at(-1)).toBe(Date.parse('2026-12-07T13:05:00Z') / 1000);
    expect(documents[0]).toBe(1);
    expect(documents[4]).toBe(9);
    expect(chunks.at(-1)).toBe(7);
    expect(documents.reduce((a, b) => a + b, 0)).toBe(12);
  });
});
