import { describe, expect, it } from 'vitest';
import type { DocumentJob, JobOutcome, JobQueue } from '../../src/ports/queue.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The behaviour every JobQueue adapter must show; run it against each backend. */
export function describeQueueContract(name: string, createQueue: () => Promise<JobQueue>): void {
  describe(`JobQueue contract: ${name}`, () => {
    it('runs higher priority first, then in arrival order', async () => {
      const queue = await createQueue();
      const seen: string[] = [];
      await queue.enqueue([
        { documentId: 'low-1' },
        { documentId: 'high', priority: 10 },
        { documentId: 'low-2' },
        { documentId: 'mid', priority: 5 },
      ]);
      queue.start(
        async (job) => {
          seen.push(job.documentId);
          return { kind: 'done' };
        },
        { concurrency: 1 },
      );
      await queue.idle();
      expect(seen).toEqual(['high', 'mid', 'low-1', 'low-2']);
      await queue.close();
    });

    it('never runs more than the concurrency at once, and ignores a job already waiting', async () => {
      const queue = await createQueue();
      let running = 0;
      let peak = 0;
      let runs = 0;
      queue.start(
        async () => {
          running++;
          runs++;
          peak = Math.max(peak, running);
          await sleep(10);
          running--;
          return { kind: 'done' };
        },
        { concurrency: 3 },
      );
      const jobs: DocumentJob[] = Array.from({ length: 12 }, (_, i) => ({ documentId: `d${i}` }));
      await queue.enqueue([...jobs, ...jobs.slice(6)]);
      await queue.idle();
      expect(peak).toBe(3);
      expect(runs).toBe(12);
      await queue.close();
    });

    it('retries after the delay the handler asks for', async () => {
      const queue = await createQueue();
      const times: number[] = [];
      queue.start(
        async (): Promise<JobOutcome> => {
          times.push(Date.now());
          return times.length < 3 ? { kind: 'retry', delayMs: 50 } : { kind: 'done' };
        },
        { concurrency: 1 },
      );
      await queue.enqueue([{ documentId: 'flaky' }]);
      await queue.idle();
      expect(times).toHaveLength(3);
      expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(45);
      expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(45);
      await queue.close();
    });

    it('runs a job whose handler threw again, after a backoff (a dependency was away)', async () => {
      const queue = await createQueue();
      const times: number[] = [];
      queue.start(
        async (): Promise<JobOutcome> => {
          times.push(Date.now());
          if (times.length < 3) {
            throw new Error('database unavailable');
          }
          return { kind: 'done' };
        },
        { concurrency: 1 },
      );
      await queue.enqueue([{ documentId: 'unlucky' }]);
      const deadline = Date.now() + 15_000;
      while (times.length < 3 && Date.now() < deadline) {
        await sleep(50);
      }
      await queue.idle();
      expect(times).toHaveLength(3);
      expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(500);
      expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(times[1]! - times[0]! - 50);
      await queue.close();
    });

    it('cancels a running job through its signal and drops a waiting one', async () => {
      const queue = await createQueue();
      const ran: string[] = [];
      let aborted = false;
      queue.start(
        async (job, signal) => {
          ran.push(job.documentId);
          if (job.documentId === 'long') {
            await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
            aborted = signal.aborted;
          }
          return { kind: 'done' };
        },
        { concurrency: 1 },
      );
      await queue.enqueue([{ documentId: 'long' }, { documentId: 'next' }]);
      await sleep(20);
      await queue.cancel('next');
      await queue.cancel('long');
      await queue.idle();
      expect(aborted).toBe(true);
      expect(ran).toEqual(['long']);
      await queue.close();
    });

    it('holds delayed jobs until their time and counts them', async () => {
      const queue = await createQueue();
      const started = Date.now();
      let ranAt = 0;
      queue.start(
        async () => {
          ranAt = Date.now();
          return { kind: 'done' };
        },
        { concurrency: 1 },
      );
      await queue.enqueue([{ documentId: 'later', delayMs: 80 }]);
      expect(await queue.stats()).toMatchObject({ delayed: 1, waiting: 0 });
      await queue.idle();
      expect(ranAt - started).toBeGreaterThanOrEqual(75);
      await queue.close();
    });

    it('runs a job once more when it is enqueued again while running (a new version arrived)', async () => {
      const queue = await createQueue();
      let runs = 0;
      let release = (): void => undefined;
      // One at a time, so the rerun cannot start (and finish) between the two enqueues below: a rerun
      // that had already started when a newer version arrived must run once more, which is a third run.
      queue.start(
        async () => {
          runs++;
          if (runs === 1) {
            await new Promise<void>((resolve) => (release = resolve));
          }
          return { kind: 'done' };
        },
        { concurrency: 1 },
      );
      await queue.enqueue([{ documentId: 'doc' }]);
      while (runs === 0) {
        await sleep(5);
      }
      await queue.enqueue([{ documentId: 'doc' }]);
      await queue.enqueue([{ documentId: 'doc' }]);
      release();
      await queue.idle();
      expect(runs).toBe(2);
      await queue.close();
    });

    it('fans a job out into batches and hands their results back to the job (fan-in)', async () => {
      const queue = await createQueue();
      const calls: string[] = [];
      const batchesRun: number[] = [];
      queue.start(
        async (job, _signal, fanIn) => {
          if (!fanIn) {
            calls.push('fan-out');
            const chunk = (index: number) => ({
              index,
              text: `t${index}`,
              tokenCount: 1,
              charStart: index,
              charEnd: index + 1,
              page: null,
            });
            return {
              kind: 'fanOut',
              attemptId: 'a1',
              mediaType: 'text/plain',
              batches: [0, 1, 2].map((batch) => ({
                documentId: job.documentId,
                attemptId: 'a1',
                batch,
                chunks: [chunk(batch * 2), chunk(batch * 2 + 1)],
              })),
            };
          }
          calls.push(`fan-in ${fanIn.batches} ${fanIn.mediaType}`);
          const texts = fanIn.results
            .sort((a, b) => a.batch - b.batch)
            .flatMap((r) =>
              r.kind === 'embedded' ? r.chunks.map((c) => `${c.text}=${[...c.vector].join(',')}`) : [r.kind],
            );
          calls.push(texts.join(' '));
          return { kind: 'done' };
        },
        {
          concurrency: 1,
          batches: async (batch) => {
            batchesRun.push(batch.batch);
            return {
              attemptId: batch.attemptId,
              batch: batch.batch,
              kind: 'embedded',
              chunks: batch.chunks.map((c) => ({ ...c, vector: new Float32Array([c.index, 0.5]) })),
            };
          },
        },
      );
      await queue.enqueue([{ documentId: 'doc' }]);
      await queue.idle();
      expect(calls).toEqual([
        'fan-out',
        'fan-in 3 text/plain',
        't0=0,0.5 t1=1,0.5 t2=2,0.5 t3=3,0.5 t4=4,0.5 t5=5,0.5',
      ]);
      expect(batchesRun.sort()).toEqual([0, 1, 2]);
      await queue.close();
    });
  });
}
