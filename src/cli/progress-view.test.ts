import { afterEach, describe, expect, it, vi } from 'vitest';
import type { BatchProgress } from '../core/types.js';
import { createProgressView, estimateLeft } from './progress-view.js';

const progress = (filesDone: number, filesTotal: number): BatchProgress => ({
  batch: { id: 'bat_1', collectionId: 'col_1', label: 'x', createdAt: '' },
  filesTotal,
  filesDone,
  byState: {},
  chunksTotal: 10,
  chunksEmbedded: 4,
  pagesTotal: 0,
  pagesParsed: 0,
  workDone: filesDone,
  finished: false,
});

describe('progress view', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('gives an ETA only once enough files are done and enough time has passed', () => {
    expect(estimateLeft(0, 100, 60_000)).toBe('');
    expect(estimateLeft(5, 100, 60_000)).toBe('');
    expect(estimateLeft(50, 100, 3_000)).toBe('');
    expect(estimateLeft(100, 100, 60_000)).toBe('');
    expect(estimateLeft(0, 0, 60_000)).toBe('');
    expect(estimateLeft(50, 100, 10_000)).toBe('ETA 10.0 s');
    expect(estimateLeft(10, 100, 60_000)).toBe('ETA 9 min 0 s');
  });

  it('keeps the total it was told while the batch records its files, and shows chunks out of those known', () => {
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    const view = createProgressView('batch bat_1', false, 40);
    view.stop(progress(2, 7));
    expect(lines.join('')).toMatch(/files 2\/40, chunks 4\/10/);
    expect(lines.join('')).not.toMatch(/ETA|NaN|NF/);
  });

  it('shows the pages read and the share done inside one large file, and an ETA from that share', () => {
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    const started = Date.now();
    vi.spyOn(Date, 'now').mockReturnValue(started);
    const view = createProgressView('batch bat_1', false, 1);
    vi.spyOn(Date, 'now').mockReturnValue(started + 10_000);
    view.stop({
      ...progress(0, 1),
      chunksTotal: 0,
      chunksEmbedded: 0,
      pagesTotal: 2415,
      pagesParsed: 966,
      workDone: 0.2,
    });
    expect(lines.join('')).toMatch(/20 %, files 0\/1, pages 966\/2415, chunks 0 .*ETA 40\.0 s/);
  });
});
