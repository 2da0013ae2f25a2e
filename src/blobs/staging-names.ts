import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * A staging file's name (and that of a file a removal set aside) says which process it belongs to
 * (`<pid>.<uuid>.<host>`), so that what a process that died left can be cleared at once, and what a
 * live one is still working on left alone.
 */
export function stagingName(): string {
  return `${process.pid}.${randomUUID()}.${hostname()}`;
}

/** The process a staging file's name says it belongs to; undefined for names of another form. */
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

/** Whether the process a name says it belongs to is gone: it is of this host, and no process has its pid. */
export function ownerGone(name: string): boolean {
  const owner = stagingOwner(name);
  return owner !== undefined && owner.host === hostname() && !isProcessAlive(owner.pid);
}
