import cliProgress from 'cli-progress';
import type { BatchProgress } from '../core/types.js';
import { formatDuration, print } from './output.js';

export interface ProgressView {
  update(progress: BatchProgress): void;
  stop(progress: BatchProgress): void;
}

/** An ETA is shown once this share of the files is done and this long has passed: earlier, it guesses. */
const etaAfter = { share: 0.1, ms: 5_000 };

/**
 * The time left, from the pace of the work done so far (files, and the share done of those worked on),
 * once that pace means something; '' before, and whenever it cannot be told (nothing done yet).
 */
export function estimateLeft(done: number, total: number, elapsedMs: number): string {
  if (total <= 0 || done <= 0 || done >= total || done / total < etaAfter.share || elapsedMs < etaAfter.ms) {
    return '';
  }
  const left = (elapsedMs * (total - done)) / done;
  return Number.isFinite(left) ? `ETA ${formatDuration(left)}` : '';
}

/**
 * Live progress of a batch: a bar with files, chunks, throughput and ETA on a terminal; plain lines,
 * at most one every two seconds, when stdout is a pipe or a file (CI logs, `| tee`). With
 * `expectedFiles` (the files were counted first), the total does not grow while they are recorded.
 * The bar moves with the work inside files too (pages of a PDF read, chunks embedded), so one large
 * file is not 0 % until it is done, and its pages read show while it is parsed.
 */
export function createProgressView(label: string, tty: boolean, expectedFiles = 0): ProgressView {
  const started = Date.now();
  const totalOf = (p: BatchProgress): number => Math.max(expectedFiles, p.filesTotal);
  const percentOf = (p: BatchProgress): number =>
    Math.floor((100 * Math.min(p.workDone, totalOf(p))) / Math.max(1, totalOf(p)));
  const describe = (p: BatchProgress): Record<string, string | number> => {
    const elapsedMs = Date.now() - started;
    return {
      label,
      percent: percentOf(p),
      files: `${p.filesDone}/${totalOf(p)}`,
      pages: p.pagesTotal > 0 ? ` | pages ${p.pagesParsed}/${p.pagesTotal}` : '',
      chunks: p.chunksTotal > p.chunksEmbedded ? `${p.chunksEmbedded}/${p.chunksTotal}` : `${p.chunksEmbedded}`,
      rate: (p.chunksEmbedded / Math.max(0.001, elapsedMs / 1000)).toFixed(0),
      failed: p.byState.failed ?? 0,
      eta: estimateLeft(p.workDone, totalOf(p), elapsedMs),
    };
  };
  if (tty) {
    const bar = new cliProgress.SingleBar(
      {
        format:
          '{label} |{bar}| {percent}% | files {files}{pages} | chunks {chunks} | {rate} chunks/s | failed {failed} {eta}',
        hideCursor: true,
        etaBuffer: 50,
        fps: 10,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(Math.max(1, expectedFiles), 0, {
      label,
      percent: 0,
      files: `0/${expectedFiles}`,
      pages: '',
      chunks: 0,
      rate: '0',
      failed: 0,
      eta: '',
    });
    return {
      update(p) {
        bar.setTotal(Math.max(1, totalOf(p)));
        bar.update(p.workDone, describe(p));
      },
      stop(p) {
        bar.setTotal(Math.max(1, totalOf(p)));
        bar.update(p.workDone, describe(p));
        bar.stop();
      },
    };
  }
  let lastLine = 0;
  let lastText = '';
  const line = (p: BatchProgress): void => {
    const d = describe(p);
    const eta = d.eta === '' ? '' : `, ${String(d.eta)}`;
    const pages = p.pagesTotal > 0 ? `, pages ${p.pagesParsed}/${p.pagesTotal}` : '';
    const text = `[${formatDuration(Date.now() - started)}] ${label}: ${d.percent} %, files ${d.files}${pages}, chunks ${d.chunks} (${d.rate}/s), failed ${d.failed}${eta}`;
    // The last update and the stop can fall in the same instant: one line says it.
    if (text !== lastText) {
      lastText = text;
      print(text);
    }
  };
  return {
    update(p) {
      if (Date.now() - lastLine >= 2000) {
        lastLine = Date.now();
        line(p);
      }
    },
    stop: line,
  };
}
