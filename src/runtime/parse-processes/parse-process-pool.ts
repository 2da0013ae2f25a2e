import { fork, type ChildProcess } from 'node:child_process';
import { getPriority, setPriority } from 'node:os';
import type { Chunk } from '../../core/types.js';
import type { Logger } from '../../ports/logger.js';
import type { PagesRead } from '../../ports/parser.js';
import { builtEntryPoint } from '../built-entry-point.js';
import { parseProcessExecArgv } from './parse-process-flags.js';
import type { FromParseProcess, ToParseProcess } from './parse-process-messages.js';
import type { SplitProgress, SplitReply } from './split-task.js';

export interface ParseProcessPoolOptions {
  /** Parse processes at most; each is started on first need and then kept. */
  processes: number;
  /** Heap limit of each parse process, in MiB. */
  maxHeapMb: number;
  /** How much lower than this process the parse processes are scheduled (nice, 0–19). */
  nice: number;
  /** A process whose resident memory is above this after a task is replaced rather than kept. */
  recycleAboveMb: number;
  /** An idle process exits after this long without a task. */
  idleTimeoutMs: number;
  logger: Logger;
}

/** How a parse process ended; `stderr` is the end of what it printed. */
export interface ParseProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** A task waiting for, or running in, a parse process. */
export interface PoolJob {
  message: ToParseProcess;
  /** The process running it, once one does. */
  child?: ChildProcess;
  step(step: SplitProgress): void;
  /** The pages the task has read of a paged file, now and then. */
  pages?(pages: PagesRead): void;
  /** A slice of the task's chunks, in text order, ahead of its reply. */
  chunks(chunks: Chunk[]): void;
  done(reply: SplitReply): void;
  /** The process ended before replying. */
  lost(exit: ParseProcessExit): void;
  /** Ends the job from the pool's side (time limit, cancel, close), killing its process if it runs. */
  stop(reason: Error): void;
}

export interface ParseProcessPool {
  /** Queues a job for the next idle process, or a new one while there are fewer than `processes`. */
  submit(job: PoolJob): void;
  /** Takes a job out of the queue; one that a process runs is stopped by killing its `child`. */
  withdraw(job: PoolJob): void;
  /** Stops every job, waiting or running, with an error, and resolves once every process has exited. */
  close(): Promise<void>;
}

/** Takes `item` out of `list`, if it is there. */
function remove<T>(list: T[], item: T): void {
  const at = list.indexOf(item);
  if (at >= 0) {
    list.splice(at, 1);
  }
}

/** Forks a parse process, `nice` lower than this one, keeping the end of what it prints on stderr. */
function forkParseProcess(
  file: string,
  { maxHeapMb, nice, logger }: Pick<ParseProcessPoolOptions, 'maxHeapMb' | 'nice' | 'logger'>,
): { child: ChildProcess; stderr: () => string } {
  const child = fork(file, [], {
    execArgv: parseProcessExecArgv(maxHeapMb),
    serialization: 'advanced',
    // What a parser prints goes to stderr: stdout is for what the command prints (the protocol of `sluice mcp`).
    stdio: ['ignore', 2, 'pipe', 'ipc'],
  });
  if (nice > 0 && child.pid !== undefined) {
    try {
      setPriority(child.pid, Math.min(19, getPriority() + nice));
    } catch (error) {
      // A platform or sandbox that refuses it parses at the same priority: slower answers, same work.
      logger.debug({ err: error }, 'could not lower the priority of a parse process');
    }
  }
  // Kept for the report of a crash: V8 prints why it gave up (out of memory) on stderr.
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (text: string) => {
    stderr = (stderr + text).slice(-4000);
  });
  return { child, stderr: () => stderr };
}

/**
 * A pool of parse processes (`parse-process-main.ts`), each running one task at a time: started on
 * first need, kept while they stay small, ended when idle, replaced when they die.
 */
export function createParseProcessPool(options: ParseProcessPoolOptions): ParseProcessPool {
  const { processes, recycleAboveMb, idleTimeoutMs, logger } = options;
  const file = builtEntryPoint(import.meta.url, './parse-process-main.js');
  const waiting: PoolJob[] = [];
  const idle: ChildProcess[] = [];
  const running = new Map<ChildProcess, PoolJob>();
  const idleTimers = new Map<ChildProcess, NodeJS.Timeout>();
  const children = new Set<ChildProcess>();
  let closed = false;

  const spawnChild = (): ChildProcess => {
    const { child, stderr } = forkParseProcess(file, options);
    children.add(child);
    child.on('message', (message: FromParseProcess) => receive(child, message));
    child.on('error', (error) => logger.warn({ err: error }, 'a parse process failed'));
    child.once('exit', (code, signal) => onExit(child, { code, signal, stderr: stderr() }));
    return child;
  };

  const receive = (child: ChildProcess, message: FromParseProcess): void => {
    const job = running.get(child);
    if (job?.message.id !== message.id) {
      return;
    }
    if ('step' in message) {
      job.step(message.step);
      return;
    }
    if ('pages' in message) {
      job.pages?.(message.pages);
      return;
    }
    if ('chunks' in message) {
      job.chunks(message.chunks);
      return;
    }
    running.delete(child);
    job.done(message.reply);
    if (message.rss > recycleAboveMb * 1024 * 1024) {
      logger.debug({ rssMb: Math.round(message.rss / 1048576) }, 'replacing a parse process that grew');
      child.kill('SIGTERM');
      pump();
      return;
    }
    release(child);
  };

  const onExit = (child: ChildProcess, exit: ParseProcessExit): void => {
    children.delete(child);
    remove(idle, child);
    stopIdleTimer(child);
    const job = running.get(child);
    running.delete(child);
    if (job) {
      job.lost(exit);
    } else if (!closed && exit.signal !== 'SIGTERM') {
      logger.warn({ code: exit.code, signal: exit.signal, stderr: exit.stderr.slice(-500) }, 'a parse process stopped');
    }
    pump();
  };

  const stopIdleTimer = (child: ChildProcess): void => {
    clearTimeout(idleTimers.get(child));
    idleTimers.delete(child);
  };

  /** Idle processes must not keep the service alive on their own, nor their memory for long. */
  const release = (child: ChildProcess): void => {
    // Stopped from here while its answer was already on its way (a cancel, a sibling part failing): it
    // is about to die, and a task handed to it would be lost with it. Its exit tops the pool up.
    if (child.killed) {
      return;
    }
    child.unref();
    child.channel?.unref();
    idle.push(child);
    idleTimers.set(
      child,
      setTimeout(() => {
        if (idle.includes(child)) {
          remove(idle, child);
          child.kill('SIGTERM');
        }
      }, idleTimeoutMs).unref(),
    );
    pump();
  };

  const pump = (): void => {
    while (!closed && waiting.length > 0) {
      const child = idle.pop() ?? (children.size < processes ? spawnChild() : undefined);
      if (!child) {
        return;
      }
      const job = waiting.shift() as PoolJob;
      stopIdleTimer(child);
      child.ref();
      child.channel?.ref();
      job.child = child;
      running.set(child, job);
      child.send(job.message);
    }
  };

  return {
    submit(job) {
      waiting.push(job);
      pump();
    },
    withdraw: (job) => remove(waiting, job),
    async close() {
      closed = true;
      const exits = [...children].map((child) => new Promise((resolve) => child.once('exit', resolve)));
      const closing = new Error('The parse processes were shut down');
      for (const job of [...waiting, ...running.values()]) {
        job.stop(closing);
      }
      for (const child of idle) {
        // Waited for: the loop must not run dry (and end the process) while they exit.
        child.ref();
        child.kill('SIGTERM');
      }
      await Promise.all(exits);
    },
  };
}
