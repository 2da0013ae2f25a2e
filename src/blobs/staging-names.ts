import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * A staging file's name says which process writes it (`<pid>.<uuid>.<host>`), so a sweep can remove
 * at once what a process that died left, and leave alone what a live upload is still writing.
 */
export function stagingName(): string {
  return `${process.pid}.${randomUUID()}.${hostname()}`;
}

/** The process a staging file's name says wrote it; undefined for names of another form. */
export function stagingOwner(name: string): { pid: number; host: string } | undefined {
  const match = /^(\d+)\.[0-9a-f-]{36}\.(.+)$/.exec(name);
  return match ? { pid: Number(match[1]), host: match[2] as string } : undefined;
}

/** Whether a process of this host runs under `pid` (one that exists but is not ours counts). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
