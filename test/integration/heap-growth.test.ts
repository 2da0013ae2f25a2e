import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/app/config.js';
import { heapGrowthPercentFor } from '../../src/runtime/heap-growth.js';

const heapGrowthModule = new URL('../../dist/runtime/heap-growth.js', import.meta.url).href;

/**
 * A fresh process that sets the heap growth after start-up, as `sluice serve` does (each of a
 * comma-separated list in turn), then keeps about 20 MB and churns through objects that live long
 * enough to reach the old generation; prints how many full collections ran.
 */
const churn = `
import { PerformanceObserver, constants } from 'node:perf_hooks';
const { setHeapGrowth } = await import(${JSON.stringify(heapGrowthModule)});
for (const percent of process.argv[1].split(',')) setHeapGrowth(Number(percent));
let full = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) if (entry.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) full++;
}).observe({ entryTypes: ['gc'] });
const kept = Array.from({ length: 250_000 }, (_, i) => ({ i, s: 'kept-' + i }));
const held = [];
for (let tick = 0; tick < 1500; tick++) {
  held.push(Array.from({ length: 2000 }, (_, i) => ({ tick, i, s: 't' + tick + '-' + i })));
  if (held.length > 400) held.shift();
  await new Promise((resolve) => setImmediate(resolve));
}
await new Promise((resolve) => setTimeout(resolve, 50));
console.log(JSON.stringify({ full, kept: kept.length }));
`;

/** Full collections in the churn after setting each of `percents` in turn. */
async function fullCollections(...percents: number[]): Promise<number> {
  const { stdout } = await promisify(execFile)(process.execPath, [
    '--input-type=module',
    '-e',
    churn,
    percents.join(','),
  ]);
  return (JSON.parse(stdout) as { full: number }).full;
}

describe('heap growth', () => {
  it('takes effect when set after start-up: a wide margin runs far fewer full collections than a narrow one', async () => {
    const narrow = await fullCollections(10);
    const wide = await fullCollections(300);
    expect(narrow).toBeGreaterThanOrEqual(4);
    expect(wide * 2).toBeLessThan(narrow);
    // 0 gives V8 its own choice back, even after a narrow margin was set.
    expect((await fullCollections(10, 0)) * 2).toBeLessThan(narrow);
  }, 30_000);

  it('is 300 % where requests are answered and 50 % elsewhere, unless SLUICE_HEAP_GROWTH_PERCENT says otherwise; 0 leaves V8 its own choice', () => {
    expect(heapGrowthPercentFor(true, loadConfig({}).heapGrowthPercent)).toBe(300);
    expect(heapGrowthPercentFor(false, loadConfig({}).heapGrowthPercent)).toBe(50);
    for (const servesRequests of [true, false]) {
      expect(
        heapGrowthPercentFor(servesRequests, loadConfig({ SLUICE_HEAP_GROWTH_PERCENT: '0' }).heapGrowthPercent),
      ).toBe(0);
      expect(
        heapGrowthPercentFor(servesRequests, loadConfig({ SLUICE_HEAP_GROWTH_PERCENT: '120' }).heapGrowthPercent),
      ).toBe(120);
    }
    expect(() => loadConfig({ SLUICE_HEAP_GROWTH_PERCENT: '-5' })).toThrow(/SLUICE_HEAP_GROWTH_PERCENT/);
  });

  it('is set from the main thread only: a worker thread (serve runs its workers in one) leaves the process its own', async () => {
    const code = `
      const { parentPort } = require('node:worker_threads');
      import(${JSON.stringify(heapGrowthModule)}).then((m) => parentPort.postMessage(m.applyHeapGrowth(false) ?? 'not set'));`;
    const fromThread = await new Promise((resolve, reject) => {
      const thread = new Worker(code, { eval: true });
      thread.once('message', resolve);
      thread.once('error', reject);
    });
    expect(fromThread).toBe('not set');
  });
});
