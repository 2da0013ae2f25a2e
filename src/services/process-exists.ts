import { hostname } from 'node:os';

/** Whether a process of this machine with that pid exists (EPERM: it exists, under another user). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
}

/** The name of this process across hosts: `<host>/<pid>`. */
export const processName = (): string => `${hostname()}/${process.pid}`;

/** Whether a name beginning `<host>/<pid>` (see `processName`) names a process of this host that is gone. */
export function namesDeadProcess(name: string): boolean {
  const [host, pid] = name.split('/');
  return host === hostname() && !processExists(Number(pid));
}
