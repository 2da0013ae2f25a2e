import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { createWriterGate } from './writer-gate.js';

describe('writer gate', () => {
  it('tells a publish that a write waits, and holds the next slice until shortly after it got through', async () => {
    const gate = createWriterGate();
    expect(gate.someoneWaits()).toBe(false);
    let started = performance.now();
    await gate.clear(1000);
    expect(performance.now() - started).toBeLessThan(50);

    const done = gate.waiting();
    expect(gate.someoneWaits()).toBe(true);
    setTimeout(done, 30);
    started = performance.now();
    await gate.clear(1000);
    // Held while the write waited, and a few milliseconds after it got through.
    expect(performance.now() - started).toBeGreaterThanOrEqual(33);
    expect(gate.someoneWaits()).toBe(false);
    done();
    expect(gate.someoneWaits()).toBe(false);
  });

  it('never holds a publish longer than asked, even for a write that never ends', async () => {
    const gate = createWriterGate();
    gate.waiting();
    const started = performance.now();
    await gate.clear(40);
    const held = performance.now() - started;
    expect(held).toBeGreaterThanOrEqual(39);
    expect(held).toBeLessThan(1000);
  });

  it('is one gate across threads that share its memory', async () => {
    const gate = createWriterGate();
    // A real thread takes the gate's memory and announces a waiting write there.
    const thread = new Worker(
      `const { workerData, parentPort } = require('node:worker_threads');
       Atomics.add(new Int32Array(workerData), 0, 1);
       parentPort.postMessage('waiting');`,
      { eval: true, workerData: gate.shared },
    );
    await new Promise((resolve) => thread.once('message', resolve));
    expect(gate.someoneWaits()).toBe(true);
    expect(createWriterGate(gate.shared).someoneWaits()).toBe(true);
    await thread.terminate();
  });
});
