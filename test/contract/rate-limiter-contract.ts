import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import type { RateLimiter, RateLimits } from '../../src/ports/rate-limiter.js';

/** A limiter made for one test, on a clock the test can move. */
export interface LimiterUnderTest {
  limiter: RateLimiter;
  /** The length of the window its per-minute limits count over, on its clock. */
  windowMs: number;
  /** Lets `ms` pass on the limiter's clock: a fake clock moved at once, or real time waited out. */
  elapse: (ms: number) => Promise<void>;
  close(): Promise<void>;
}

export interface RateLimiterContractOptions {
  /**
   * Waiters for room in the window are served in the order they came, so a large request is not
   * overtaken by small ones that came after it (beyond the port: the local limiter promises it).
   */
  inOrderThroughWindow: boolean;
}

/** One `acquire`, watched: whether it was granted or refused yet, and its release. */
interface Ticket {
  name: string;
  granted: boolean;
  rejected: unknown;
  release(): void;
}

const noLimits = { requestsPerMinute: 0, tokensPerMinute: 0 };

/** The behaviour every RateLimiter adapter must show (`src/ports/rate-limiter.ts`); run it against each. */
export function describeRateLimiterContract(
  name: string,
  create: (limits: RateLimits) => Promise<LimiterUnderTest>,
  options: RateLimiterContractOptions,
): void {
  describe(`RateLimiter contract: ${name}`, () => {
    const opened: LimiterUnderTest[] = [];
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((l) => l.close()));
    });

    /** A limiter, and helpers that speak in fractions of its window. */
    const open = async (limits: RateLimits) => {
      const made = await create(limits);
      opened.push(made);
      const { limiter, windowMs, elapse } = made;
      const granted: string[] = [];
      const acquire = (ticketName: string, tokens = 1, signal?: AbortSignal): Ticket => {
        const ticket: Ticket = { name: ticketName, granted: false, rejected: undefined, release: () => undefined };
        limiter.acquire(tokens, signal).then(
          (release) => {
            ticket.granted = true;
            ticket.release = release;
            granted.push(ticketName);
          },
          (error: unknown) => {
            ticket.rejected = error ?? new Error('rejected');
          },
        );
        return ticket;
      };
      const wait = (windows: number) => elapse(windows * windowMs);
      /** Moves the clock on in small steps until `done`, failing after `windows` windows. */
      const until = async (done: () => boolean, windows: number, what: string) => {
        for (let waited = 0; !done(); waited += 0.05) {
          if (waited > windows) {
            throw new Error(`${what}: not within ${windows} of the window`);
          }
          await wait(0.05);
        }
      };
      return { limiter, windowMs, acquire, wait, until, granted };
    };

    it('never lets more than maxConcurrent run at once; an end lets the next one in', async () => {
      const { acquire, until } = await open({ maxConcurrent: 2, ...noLimits });
      const [a, b, c] = ['a', 'b', 'c'].map((n) => acquire(n)) as [Ticket, Ticket, Ticket];
      await until(() => a.granted && b.granted, 0.5, 'a and b at once');
      expect(c.granted).toBe(false);
      a.release();
      await until(() => c.granted, 0.5, 'c after a ended');
    });

    it('counts an end once, however often its release is called', async () => {
      const { acquire, wait, until } = await open({ maxConcurrent: 1, ...noLimits });
      const [a, b, c] = ['a', 'b', 'c'].map((n) => acquire(n)) as [Ticket, Ticket, Ticket];
      await until(() => a.granted, 0.5, 'a at once');
      a.release();
      a.release();
      await until(() => b.granted, 0.5, 'b after a ended');
      await wait(0.1);
      expect(c.granted).toBe(false);
      b.release();
      await until(() => c.granted, 0.5, 'c after b ended');
    });

    it('serves the waiters for a free slot in the order they came', async () => {
      const { acquire, wait, until, granted } = await open({ maxConcurrent: 1, ...noLimits });
      const tickets = ['first', 'b', 'c', 'd', 'e'].map((n) => acquire(n));
      await wait(0.1);
      for (const [i, ticket] of tickets.entries()) {
        await until(() => ticket.granted, 0.5, ticket.name);
        expect(tickets.slice(i + 1).some((t) => t.granted)).toBe(false);
        ticket.release();
      }
      expect(granted).toEqual(['first', 'b', 'c', 'd', 'e']);
    });

    it('starts at most requestsPerMinute in any window, ended or not', async () => {
      const { acquire, wait, until } = await open({ maxConcurrent: 10, requestsPerMinute: 3, tokensPerMinute: 0 });
      const first = ['a', 'b', 'c'].map((n) => acquire(n));
      await until(() => first.every((t) => t.granted), 0.5, 'the first three at once');
      first.forEach((t) => t.release());
      const d = acquire('d');
      await wait(0.6);
      expect(d.granted).toBe(false);
      await until(() => d.granted, 1, 'd once the first starts left the window');
    });

    it('spends at most tokensPerMinute in any window, and lets a request larger than the budget go alone', async () => {
      const { acquire, wait, until } = await open({ maxConcurrent: 10, requestsPerMinute: 0, tokensPerMinute: 10 });
      const a = acquire('a', 6);
      await until(() => a.granted, 0.5, 'a at once');
      a.release();
      const b = acquire('b', 6);
      await wait(0.6);
      expect(b.granted).toBe(false);
      await until(() => b.granted, 1, 'b once a left the window');
      b.release();
      const huge = acquire('huge', 25);
      await until(() => huge.granted, 1.5, 'a request larger than the budget, in an empty window');
      huge.release();
      const small = acquire('small', 1);
      await wait(0.5);
      expect(small.granted).toBe(false);
      await until(() => small.granted, 1, 'small once the large one left the window');
    });

    it('counts a request from its start until a window after its end, when the provider may last have counted it', async () => {
      const { acquire, wait, until } = await open({ maxConcurrent: 10, requestsPerMinute: 0, tokensPerMinute: 10 });
      const a = acquire('a', 6);
      await until(() => a.granted, 0.2, 'a at once');
      const b = acquire('b', 6);
      // a runs for most of a window: the provider may count it on arrival, just before it answers.
      await wait(0.7);
      a.release();
      // A window after a started, a window after its end has not passed: b waits on.
      await wait(0.5);
      expect(b.granted).toBe(false);
      await until(() => b.granted, 0.6, 'b a window after a ended');
      b.release();
      // Requests as well: two ended ones in the window leave no room for a third of a limit of two.
      const counted = await open({ maxConcurrent: 10, requestsPerMinute: 2, tokensPerMinute: 0 });
      const [c, d] = ['c', 'd'].map((n) => counted.acquire(n)) as [Ticket, Ticket];
      await counted.until(() => c.granted && d.granted, 0.2, 'c and d at once');
      const e = counted.acquire('e');
      await counted.wait(0.6);
      c.release();
      await counted.wait(0.6);
      expect(e.granted).toBe(false);
      await counted.until(() => e.granted, 0.6, 'e a window after c ended');
      d.release();
    });

    it('starts nobody before a pause ends; a shorter pause does not cut a longer one', async () => {
      const { limiter, windowMs, acquire, wait, until } = await open({ maxConcurrent: 10, ...noLimits });
      limiter.pauseFor(0.6 * windowMs);
      limiter.pauseFor(0.1 * windowMs);
      const a = acquire('a');
      await wait(0.4);
      expect(a.granted).toBe(false);
      await until(() => a.granted, 0.6, 'a once the pause ended');
    });

    it('takes an aborted waiter out of the line: it is refused, and takes neither a slot nor room in the window', async () => {
      const { acquire, wait, until } = await open({ maxConcurrent: 1, requestsPerMinute: 2, tokensPerMinute: 0 });
      const a = acquire('a');
      const leaving = new AbortController();
      const b = acquire('b', 1, leaving.signal);
      const c = acquire('c');
      await wait(0.1);
      leaving.abort(new Error('cancelled by the test'));
      await until(() => b.rejected !== undefined, 0.2, 'b refused once aborted');
      a.release();
      await until(() => c.granted, 0.5, 'c after a ended');
      c.release();
      // The window has seen a and c start: the next one waits for it, and leaving it does not count.
      const gone = new AbortController();
      const d = acquire('d', 1, gone.signal);
      await wait(0.3);
      expect(d.granted).toBe(false);
      gone.abort(new Error('cancelled by the test'));
      await until(() => d.rejected !== undefined, 0.2, 'd refused once aborted');
      const e = acquire('e');
      await until(() => e.granted, 1, 'e once a left the window');
      expect(b.granted || d.granted).toBe(false);
    });

    it('leaves nothing on a caller’s signal once a request is granted: one job’s many requests share it', async () => {
      const { acquire, until } = await open({ maxConcurrent: 1, ...noLimits });
      const job = new AbortController();
      for (let i = 0; i < 12; i++) {
        const ticket = acquire(`request ${i}`, 1, job.signal);
        await until(() => ticket.granted, 0.5, `request ${i} granted`);
        ticket.release();
      }
      expect(getEventListeners(job.signal, 'abort')).toHaveLength(0);
    });

    it('refuses a request whose signal is already aborted, spending nothing', async () => {
      const { acquire, until } = await open({ maxConcurrent: 1, requestsPerMinute: 1, tokensPerMinute: 0 });
      const aborted = AbortSignal.abort(new Error('cancelled before it asked'));
      const early = acquire('early', 1, aborted);
      await until(() => early.rejected !== undefined || early.granted, 0.2, 'an answer to an aborted request');
      expect({ granted: early.granted, refused: early.rejected !== undefined }).toEqual({
        granted: false,
        refused: true,
      });
      early.release();
      // Neither the slot nor the one start of the window was spent on it.
      const a = acquire('a');
      await until(() => a.granted, 0.5, 'a at once');
    });

    it.runIf(options.inOrderThroughWindow)(
      'lets no request overtake a larger one waiting for room in the window',
      async () => {
        const { acquire, wait, until, granted } = await open({
          maxConcurrent: 10,
          requestsPerMinute: 0,
          tokensPerMinute: 10,
        });
        const a = acquire('a', 8);
        await until(() => a.granted, 0.5, 'a at once');
        a.release();
        acquire('large', 6);
        acquire('small', 1);
        await wait(0.5);
        // Two tokens are left in this window: enough for the small one, which still waits its turn.
        expect(granted).toEqual(['a']);
        await until(() => granted.length === 3, 1, 'both once a left the window');
        expect(granted).toEqual(['a', 'large', 'small']);
      },
    );
  });
}
