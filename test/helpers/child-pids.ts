import { readdirSync, readFileSync } from 'node:fs';

/** Pids of this process's children (the processes it forked), from /proc; Linux only. */
export function childPids(): number[] {
  return readdirSync(`/proc/${process.pid}/task`).flatMap((task) =>
    readFileSync(`/proc/${process.pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number),
  );
}
