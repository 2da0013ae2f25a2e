import { readdirSync, readFileSync } from 'node:fs';

function readKb(pid: number, field: string): number | undefined {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined; // gone
  }
}

/** Child processes of every thread of `pid`: a worker thread's children are listed under its own task. */
function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((task) => {
      try {
        return readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8')
          .trim()
          .split(/\s+/)
          .filter(Boolean)
          .map(Number);
      } catch {
        return []; // the thread ended
      }
    });
  } catch {
    return [];
  }
}

export interface PeakRss {
  /** The process's own peak, in MB. */
  selfMb: number;
  /** Each child process's peak (its parse processes), in MB. */
  childrenMb: number[];
  /** The sum of those peaks: at least the peak of the whole tree at any one time. */
  totalMb: number;
  /** The largest resident memory of the process and its children together, as sampled (`VmRSS`), in MB. */
  treeMb: number;
}

/**
 * Follows a process and its child processes' peak resident memory (`VmHWM`, which the kernel keeps for
 * each process), sampled every `intervalMs` while they live: a child that ends is counted as last seen.
 */
export function watchPeakRss(pid: number, intervalMs = 50): { read(): PeakRss; stop(): PeakRss } {
  const peaks = new Map<number, number>();
  let treeKb = 0;
  const sample = (): void => {
    let nowKb = 0;
    for (const p of [pid, ...childrenOf(pid)]) {
      const kb = readKb(p, 'VmHWM');
      if (kb !== undefined) {
        peaks.set(p, Math.max(peaks.get(p) ?? 0, kb));
      }
      nowKb += readKb(p, 'VmRSS') ?? 0;
    }
    treeKb = Math.max(treeKb, nowKb);
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  const read = (): PeakRss => {
    sample();
    const selfMb = (peaks.get(pid) ?? 0) / 1024;
    const childrenMb = [...peaks].filter(([p]) => p !== pid).map(([, kb]) => kb / 1024);
    return { selfMb, childrenMb, totalMb: selfMb + childrenMb.reduce((a, b) => a + b, 0), treeMb: treeKb / 1024 };
  };
  return {
    read,
    stop() {
      clearInterval(timer);
      return read();
    },
  };
}
