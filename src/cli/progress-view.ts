import cliProgress from 'cli-progress';
import type { BatchProgress } from '../core/types.js';
import { formatDuration, print } from './output.js';

export interface ProgressView {
  update(progress: BatchProgress): void;
  stop(progress: BatchProgress): void;
}

/**
 * Live progress of a batch: a bar with files, chunks, throughput and ETA on a terminal; plain lines,
 * at most one every two seconds, when stdout is a pipe or a file (CI logs, `| tee`).
 */
export function createProgressView(label: string, tty: boolean): ProgressView {
  const started = Date.now();
  const describe = (p: BatchProgress): Record<string, string | number> => {
    const elapsed = Math.max(0.001, (Date.now() - started) / 1000);
    return {
      label,
      files: `${p.filesDone}/${p.filesTotal}`,
      chunks: p.chunksEmbedded,
      rate: (p.chunksEmbedded / elapsed).toFixed(0),
      failed: p.byState.failed ?? 0,
    };
  };
  if (tty) {
    const bar = new cliProgress.SingleBar(
      {
        format:
          '{label} |{bar}| {percentage}% | files {files} | chunks {chunks} | {rate} chunks/s | failed {failed} | ETA {eta_formatted}',
        hideCursor: true,
        etaBuffer: 50,
        fps: 10,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(1, 0, { label, files: '0/0', chunks: 0, rate: '0', failed: 0 });
    return {
      update(p) {
        bar.setTotal(Math.max(1, p.filesTotal));
        bar.update(p.filesDone, describe(p));
      },
      stop(p) {
        bar.setTotal(Math.max(1, p.filesTotal));
        bar.update(p.filesDone, describe(p));
        bar.stop();
      },
    };
  }
  let lastLine = 0;
  const line = (p: BatchProgress): void => {
    const d = describe(p);
    print(
      `[${formatDuration(Date.now() - started)}] ${label}: files ${d.files}, chunks ${d.chunks} (${d.rate}/s), failed ${d.failed}`,
    );
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
