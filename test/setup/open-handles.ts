import { afterAll, beforeAll } from 'vitest';

/**
 * Fails a test file that leaves a server, socket, child process or thread open: each one outlives the
 * test, holds a port or a descriptor, and can keep the runner from exiting (graphile-worker's check).
 * Counted by kind against what was open before the file began, after a short grace for closes in flight.
 */
const watched = ['TCPServerWrap', 'TCPSocketWrap', 'ProcessWrap', 'PipeWrap', 'Worker', 'UDPWrap'];
const graceMs = 3000;

const count = (): Map<string, number> => {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) {
    if (watched.includes(kind)) {
      counts.set(kind, (counts.get(kind) ?? 0) + 1);
    }
  }
  return counts;
};

const leaks = (before: Map<string, number>): string[] =>
  [...count()]
    .filter(([kind, n]) => n > (before.get(kind) ?? 0))
    .map(([kind, n]) => `${n - (before.get(kind) ?? 0)} ${kind}`);

let before = new Map<string, number>();
beforeAll(() => {
  // Node opens the standard streams on first use: a logger's first line, or a check whether input is
  // a terminal, is no leak.
  void process.stdin.readable;
  void process.stdout.writable;
  void process.stderr.writable;
  before = count();
});
afterAll(async () => {
  const deadline = Date.now() + graceMs;
  while (leaks(before).length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const left = leaks(before);
  if (left.length > 0) {
    throw new Error(`The test file left open: ${left.join(', ')}`);
  }
});
